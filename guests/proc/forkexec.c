// forkexec: the seed's example.
//   pid = fork(); if (pid == 0) exec(...); else wait(...);
// The child replaces itself with another program, by default forkexec
// itself in its "--execd" role, which reports and exits 7; the parent
// waits and prints the child's status.
// usage: forkexec [program [args...]]
#include <stdio.h>
#include <string.h>
#include "dosemulib.h"

int
main(int argc, char *argv[])
{
  char *deflt[] = {"forkexec", "--execd", "hello", "from", "the", "child", 0};
  char **prog = argc > 1 ? argv + 1 : deflt;
  dosemu_gid_t me, pid;
  char g[24], s[32];
  int e;

  if (argc > 1 && strcmp(argv[1], "--execd") == 0) {
    // The new image: same pid, fresh memory, argv from exec.
    dosemu_self(&me);
    printf("execd %s:", dosemu_gidstr(me, g));
    for (int i = 2; i < argc; i++)
      printf(" %s", argv[i]);
    printf("\n");
    return 7;
  }

  dosemu_self(&me);
  printf("forkexec %s: forking\n", dosemu_gidstr(me, g));
  fflush(stdout);
  if ((e = dosemu_fork(&pid)) != 0) {
    fprintf(stderr, "forkexec: fork: %s\n", strerror(e));
    return 1;
  }
  if (pid == 0) {
    dosemu_self(&me);
    printf("child %s: exec %s\n", dosemu_gidstr(me, g), prog[0]);
    fflush(stdout);
    e = dosemu_execv(prog[0], prog);
    fprintf(stderr, "child: exec %s: %s\n", prog[0], strerror(e));
    return 127;
  }
  printf("parent: child is %s, waiting\n", dosemu_gidstr(pid, g));
  fflush(stdout);
  dosemu_gid_t who;
  int32_t status;
  if ((e = dosemu_wait(pid, 0, &who, &status)) != 0) {
    fprintf(stderr, "forkexec: wait: %s\n", strerror(e));
    return 1;
  }
  printf("parent: child %s ended: %s\n", dosemu_gidstr(who, g), dosemu_statusstr(status, s, sizeof s));
  return 0;
}
