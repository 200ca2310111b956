// migtour: a process with an open file, a pipe to a child, two sockets,
// an environment and a working directory, taken on a tour of computers
// c0 -> c1 -> c2 -> c0 by its own dosemu_migrate calls (or, with "child",
// the pipe's reading end takes the tour). Every line it prints must be
// the same as when nothing moves.
//
// usage: migtour <mode 0|1|2> <parent|child|none>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dosemu.h"

static const int tour[] = {1, 2, 0};

static void
die(const char *what, int e)
{
  fprintf(stderr, "%s: %s\n", what, strerror(e));
  exit(1);
}

static void
hop(int i, int mode, const char *who)
{
  int32_t n, mine;
  int e;
  // Busy: the pages of the last post-copy move are still arriving.
  while ((e = dosemu_migrate(tour[i], mode)) == EBUSY)
    usleep(1000);
  if (e != 0)
    die("migrate", e);
  dosemu_computers(&n, &mine);
  // Where it runs is the one thing allowed to differ: print it to stderr.
  fprintf(stderr, "%s hop %d: on c%d\n", who, i, mine);
}

static void
child(int rd, int mode, int moves)
{
  char buf[64];
  int hops = 0;
  for (;;) {
    // One line at a time: how the writer's lines are split into reads
    // depends on timing, which moving changes.
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read(rd, buf + len, 1)) == 1 && buf[len++] != '\n')
      ;
    if (r < 0)
      die("child read", errno);
    if (len == 0)
      break;
    buf[len] = 0;
    printf("child got: %s", buf);
    fflush(stdout);
    if (moves && hops < 3)
      hop(hops++, mode, "child");
  }
  printf("child: end of pipe after %d hops\n", hops);
  exit(7);
}

int
main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: migtour <mode> <parent|child|none>\n");
    return 2;
  }
  int mode = atoi(argv[1]);
  int pmoves = strcmp(argv[2], "parent") == 0;
  int cmoves = strcmp(argv[2], "child") == 0;

  if (mkdir("/work", 0755) != 0 && errno != EEXIST)
    die("mkdir", errno);
  if (chdir("/work") != 0)
    die("chdir", errno);
  int f = open("log.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (f < 0)
    die("open", errno);
  if (write(f, "alpha\n", 6) != 6)
    die("write", errno);

  int32_t p[2];
  int e = dosemu_pipe(p);
  if (e != 0)
    die("pipe", e);
  dosemu_gid_t kid;
  e = dosemu_fork(&kid);
  if (e != 0)
    die("fork", e);
  if (kid == 0) {
    close(p[1]);
    close(f);
    child(p[0], mode, cmoves);
  }
  close(p[0]);

  int32_t a, b;
  if ((e = dosemu_socket(DOSEMU_SOCK_DGRAM, &a)) != 0 || (e = dosemu_socket(DOSEMU_SOCK_DGRAM, &b)) != 0)
    die("socket", e);
  if ((e = dosemu_bind(a, -1, 7001)) != 0)
    die("bind", e);

  const char *words[] = {"one", "two", "three"};
  for (int i = 0; i < 3; i++) {
    if (pmoves)
      hop(i, mode, "parent");
    char line[64];
    int n = snprintf(line, sizeof line, "%s\n", words[i]);
    if (write(f, line, n) != n)
      die("write log", errno);
    if (write(p[1], line, n) != n)
      die("write pipe", errno);
    // A datagram from one of its sockets to the other, both made at home.
    size_t sent;
    if ((e = dosemu_sendto(b, words[i], strlen(words[i]), 0, 7001, &sent)) != 0)
      die("sendto", e);
    char got[32];
    size_t len = 0;
    int32_t fc, fp;
    if ((e = dosemu_recvfrom(a, got, sizeof got - 1, &len, &fc, &fp)) != 0)
      die("recvfrom", e);
    got[len] = 0;
    char cwd[64];
    if (!getcwd(cwd, sizeof cwd))
      die("getcwd", errno);
    // A file made now goes where "/" is: the home computer.
    char name[32];
    snprintf(name, sizeof name, "/work/made-%d.txt", i);
    int m = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (m < 0 || write(m, words[i], strlen(words[i])) < 0)
      die("made", errno);
    close(m);
    printf("step %d: datagram %s from c%d:%d, cwd %s, TOUR=%s\n", i, got, fc, fp, cwd, getenv("TOUR"));
    fflush(stdout);
  }
  close(p[1]);
  if (lseek(f, 0, SEEK_SET) != 0)
    die("lseek", errno);
  char all[128];
  ssize_t r = read(f, all, sizeof all - 1);
  if (r < 0)
    die("read log", errno);
  all[r] = 0;
  printf("log:\n%s", all);
  dosemu_gid_t w;
  int32_t st;
  if ((e = dosemu_wait(kid, 0, &w, &st)) != 0)
    die("wait", e);
  printf("child status %d (same child: %d)\n", st, w == kid);
  return 0;
}
