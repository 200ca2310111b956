// pipeline: a shell's "producer | filter | consumer" with each stage on
// its own computer. For each stage it forks; the child puts the pipe ends
// on its stdin/stdout (fd_renumber, like dup2), moves to the stage's
// computer (migrate) and execs the stage. The pipes stay connected across
// computers. If migration is unavailable the stage runs here instead.
// usage: pipeline [items] (default 20)
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>
#include "dosemulib.h"

static dosemu_gid_t
stage(char *argv[], int in, int out, int32_t where, int closefd[], int nclose)
{
  dosemu_gid_t pid;
  char g[24];
  int e = dosemu_fork(&pid);
  if (e != 0) {
    fprintf(stderr, "pipeline: fork for %s: %s\n", argv[0], strerror(e));
    return -1;
  }
  if (pid != 0)
    return pid;
  // Child: wire up stdin/stdout, drop every other pipe end so that
  // readers see end-of-file when the writers finish.
  if (in >= 0 && __wasi_fd_renumber(in, 0) != 0)
    _exit(126);
  if (out >= 0 && __wasi_fd_renumber(out, 1) != 0)
    _exit(126);
  for (int i = 0; i < nclose; i++)
    if (closefd[i] != in && closefd[i] != out)
      close(closefd[i]);
  int32_t count, mine;
  dosemu_computers(&count, &mine);
  if (where != mine && (e = dosemu_migrate(where, DOSEMU_MIGRATE_STOPCOPY)) != 0)
    fprintf(stderr, "pipeline: %s stays on c%d (migrate to c%d: %s)\n", argv[0], mine, where, strerror(e));
  dosemu_gid_t me;
  dosemu_self(&me);
  fprintf(stderr, "pipeline: %s runs as %s\n", argv[0], dosemu_gidstr(me, g));
  e = dosemu_execv(argv[0], argv);
  fprintf(stderr, "pipeline: exec %s: %s\n", argv[0], strerror(e));
  _exit(127);
}

int
main(int argc, char *argv[])
{
  char *items = argc > 1 ? argv[1] : "20";
  int32_t a[2], b[2], count, mine;
  int e;

  if ((e = dosemu_computers(&count, &mine)) != 0 || (e = dosemu_pipe(a)) != 0 || (e = dosemu_pipe(b)) != 0) {
    fprintf(stderr, "pipeline: setup: %s\n", strerror(e));
    return 1;
  }
  int all[4] = {a[0], a[1], b[0], b[1]};
  char *prod[] = {"producer", items, 0}, *filt[] = {"filter", 0}, *cons[] = {"consumer", 0};
  dosemu_gid_t kids[3];
  kids[0] = stage(prod, -1, a[1], mine, all, 4);
  kids[1] = stage(filt, a[0], b[1], (mine + 1) % count, all, 4);
  kids[2] = stage(cons, b[0], -1, (mine + 2) % count, all, 4);
  for (int i = 0; i < 4; i++)
    close(all[i]);

  int failed = 0;
  for (int i = 0; i < 3; i++) {
    dosemu_gid_t who;
    int32_t status;
    char g[24], s[32];
    if (kids[i] < 0) {
      failed = 1;
      continue;
    }
    if ((e = dosemu_wait(kids[i], 0, &who, &status)) != 0) {
      fprintf(stderr, "pipeline: wait: %s\n", strerror(e));
      return 1;
    }
    printf("pipeline: stage %d (%s) ended: %s\n", i + 1, dosemu_gidstr(who, g), dosemu_statusstr(status, s, sizeof s));
    failed |= status != 0;
  }
  return failed;
}
