// proctest: the kernel's process tests drive this one program in
// different roles (argv[1]). Build:
//   clang --target=wasm32-wasi -O2 -Wl,--strip-debug -I ../../guests/sdk/c -o proctest.wasm proctest.c
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>
#include "dosemulib.h"

static int
spawn_with(int32_t comp, char *argv[], const char *fds, dosemu_gid_t *child)
{
  static char abuf[1024], ebuf[256];
  long an = dosemu_pack(abuf, sizeof abuf, argv);
  int en = snprintf(ebuf, sizeof ebuf, "DOSEMU_FDS=%s", fds) + 1;
  return dosemu_spawn(comp, argv[0], strlen(argv[0]), abuf, an, ebuf, en, child);
}

static int
waitfor(dosemu_gid_t g, const char *what)
{
  dosemu_gid_t who;
  int32_t st;
  char s[32];
  int e = dosemu_wait(g, 0, &who, &st);
  if (e != 0) {
    fprintf(stderr, "%s: wait: %s\n", what, strerror(e));
    return -1;
  }
  fprintf(stderr, "%s: %s\n", what, dosemu_statusstr(st, s, sizeof s));
  return st;
}

// sink: counts and sums stdin until end of file.
static int
sink(void)
{
  static char buf[8192];
  long n = 0;
  uint32_t sum = 0;
  ssize_t r;
  while ((r = read(0, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < r; i++)
      sum = sum * 31 + (unsigned char)buf[i];
    n += r;
  }
  printf("sink: %ld bytes, sum %u, end %s\n", n, sum, r == 0 ? "eof" : strerror(errno));
  return 0;
}

// source n: writes n bytes of a pattern to stdout.
static int
source(long n)
{
  static char buf[3000];
  for (long off = 0; off < n;) {
    long c = n - off < (long)sizeof buf ? n - off : (long)sizeof buf;
    for (long i = 0; i < c; i++)
      buf[i] = (char)('a' + (off + i) % 26);
    ssize_t w = write(1, buf, c);
    if (w <= 0) {
      fprintf(stderr, "source: write: %s\n", strerror(errno));
      return 1;
    }
    off += w;
  }
  return 0;
}

// local: a pipe within one process: bytes, end of file, EPIPE.
static int
local(void)
{
  int32_t p[2];
  char buf[64];
  int e = dosemu_pipe(p);
  if (e) {
    printf("pipe: %s\n", strerror(e));
    return 1;
  }
  write(p[1], "hello pipe", 10);
  close(p[1]);
  ssize_t r = read(p[0], buf, sizeof buf);
  ssize_t r2 = read(p[0], buf + 10, sizeof buf - 10);
  printf("local: read %zd '%.*s' then %zd\n", r, (int)r, buf, r2);
  close(p[0]);
  dosemu_pipe(p);
  close(p[0]);
  ssize_t w = write(p[1], "x", 1);
  printf("local: write without reader: %zd %s\n", w, w < 0 ? strerror(errno) : "");
  return 0;
}

// transfer comp n: spawns a sink on computer comp fed by a pipe, and
// writes n bytes into it.
static int
transfer(int32_t comp, long n)
{
  int32_t p[2];
  char fds[32];
  dosemu_gid_t child;
  dosemu_pipe(p);
  snprintf(fds, sizeof fds, "0:%d", p[0]);
  char *argv[] = {"proctest", "sink", 0};
  int e = spawn_with(comp, argv, fds, &child);
  if (e) {
    printf("transfer: spawn: %s\n", strerror(e));
    return 1;
  }
  close(p[0]);
  (void)__wasi_fd_renumber(p[1], 1);
  source(n);
  close(1);
  waitfor(child, "transfer: sink");
  return 0;
}

// shell: producer (c1) | filter (c2) | consumer (c0).
static int
shell(void)
{
  int32_t a[2], b[2], count, mine;
  char fa[32], fb[32], fc[32];
  dosemu_gid_t k[3];
  dosemu_computers(&count, &mine);
  dosemu_pipe(a);
  dosemu_pipe(b);
  char *prod[] = {"producer", "50", 0}, *filt[] = {"filter", 0}, *cons[] = {"consumer", 0};
  snprintf(fa, sizeof fa, "1:%d", a[1]);
  snprintf(fb, sizeof fb, "0:%d,1:%d", a[0], b[1]);
  snprintf(fc, sizeof fc, "0:%d", b[0]);
  int e1 = spawn_with((mine + 1) % count, prod, fa, &k[0]);
  int e2 = spawn_with((mine + 2) % count, filt, fb, &k[1]);
  int e3 = spawn_with(mine, cons, fc, &k[2]);
  if (e1 || e2 || e3) {
    printf("shell: spawn: %d %d %d\n", e1, e2, e3);
    return 1;
  }
  close(a[0]);
  close(a[1]);
  close(b[0]);
  close(b[1]);
  waitfor(k[0], "shell: producer");
  waitfor(k[1], "shell: filter");
  waitfor(k[2], "shell: consumer");
  return 0;
}

static volatile int caught;
static void
on_sig(int sig)
{
  caught = sig;
}

// victim: handles SIGTERM (exit 42 once caught), ignores SIGINT.
static int
victim(void)
{
  dosemu_signal(DOSEMU_SIGTERM, (uint32_t)(uintptr_t)on_sig);
  dosemu_signal(DOSEMU_SIGINT, DOSEMU_SIG_IGN);
  for (;;) {
    if (caught) {
      printf("victim: caught %d\n", caught);
      return 42;
    }
    dosemu_sleep_ms(5);
  }
}

static int
spin(void)
{
  volatile uint64_t n = 0;
  for (;;)
    n++;
}

static int
spawn_self(const char *role, dosemu_gid_t *g)
{
  char *argv[] = {"proctest", (char *)role, 0};
  return dosemu_spawnv(-1, "proctest", argv, g);
}

// bump is a call the optimizer keeps, so that the spincall loop is not
// call-free (its preemptions are host calls, not unwinds).
__attribute__((noinline)) static void
bump(volatile uint64_t *n)
{
  *n += 1;
}

// spinner: handles SIGTERM while spinning without system calls, in a
// call-free loop or in one that makes calls.
static int
spinner(int calls)
{
  dosemu_signal(DOSEMU_SIGTERM, (uint32_t)(uintptr_t)on_sig);
  volatile uint64_t n = 0;
  if (calls)
    while (!caught)
      bump(&n);
  else
    while (!caught)
      n++;
  printf("spinner: caught %d\n", caught);
  return 42;
}

// spinsig: SIGTERM to spinners with handlers; each must run its handler
// (and so exit 42) though it makes no system call.
static int
spinsig(void)
{
  static char *roles[] = {"spinloop", "spincall"};
  for (int i = 0; i < 2; i++) {
    dosemu_gid_t s;
    char what[32];
    spawn_self(roles[i], &s);
    dosemu_sleep_ms(10);
    dosemu_kill(s, DOSEMU_SIGTERM);
    snprintf(what, sizeof what, "spinsig: %s", roles[i]);
    dosemu_sleep_ms(20);
    dosemu_gid_t w;
    int32_t st;
    char b[32];
    if (dosemu_wait(s, DOSEMU_WNOHANG, &w, &st) != 0 || w == 0) {
      printf("%s: the handler did not run within 20 ms\n", what);
      dosemu_kill(s, DOSEMU_SIGKILL);
      waitfor(s, what);
      continue;
    }
    fprintf(stderr, "%s: %s\n", what, dosemu_statusstr(st, b, sizeof b));
  }
  return 0;
}

// selfstop: stops itself; exits 3 once continued.
static int
selfstop(void)
{
  dosemu_gid_t me;
  dosemu_self(&me);
  dosemu_kill(me, DOSEMU_SIGSTOP);
  return 3;
}

static void
report(const char *what, int e, dosemu_gid_t w, int32_t st)
{
  char b[32];
  if (e)
    printf("waitstop: %s: %s\n", what, strerror(e));
  else if (w == 0)
    printf("waitstop: %s: nothing\n", what);
  else
    printf("waitstop: %s: %s stopped %d sig %d continued %d exited %d signaled %d\n", what,
           dosemu_statusstr(st, b, sizeof b), DOSEMU_WIFSTOPPED(st) != 0, DOSEMU_WSTOPSIG(st),
           DOSEMU_WIFCONTINUED(st) != 0, DOSEMU_WIFEXITED(st) != 0, DOSEMU_WIFSIGNALED(st) != 0);
}

// waitstop: waitpid with WUNTRACED and WCONTINUED, on a child stopped
// and continued by its parent and on one that stops itself while its
// parent is blocked in wait.
static int
waitstop(void)
{
  dosemu_gid_t s, w;
  int32_t st;
  int e;
  spawn_self("spin", &s);
  dosemu_sleep_ms(5);
  e = dosemu_wait(s, DOSEMU_WNOHANG | DOSEMU_WUNTRACED | DOSEMU_WCONTINUED, &w, &st);
  report("running", e, w, st);
  dosemu_kill(s, DOSEMU_SIGSTOP);
  e = dosemu_wait(s, DOSEMU_WNOHANG, &w, &st);
  report("stopped, without WUNTRACED", e, w, st);
  e = dosemu_wait(s, DOSEMU_WUNTRACED, &w, &st);
  report("stopped", e, w, st);
  e = dosemu_wait(s, DOSEMU_WNOHANG | DOSEMU_WUNTRACED, &w, &st);
  report("stopped again", e, w, st);
  dosemu_kill(s, DOSEMU_SIGCONT);
  e = dosemu_wait(s, DOSEMU_WNOHANG | DOSEMU_WUNTRACED, &w, &st);
  report("continued, without WCONTINUED", e, w, st);
  e = dosemu_wait(s, DOSEMU_WCONTINUED, &w, &st);
  report("continued", e, w, st);
  e = dosemu_wait(s, 64, &w, &st);
  report("bad option", e, w, st);
  dosemu_kill(s, DOSEMU_SIGKILL);
  e = dosemu_wait(s, DOSEMU_WUNTRACED | DOSEMU_WCONTINUED, &w, &st);
  report("killed", e, w, st);

  spawn_self("selfstop", &s);
  e = dosemu_wait(s, DOSEMU_WUNTRACED, &w, &st);
  report("self-stopped", e, w, st);
  dosemu_kill(s, DOSEMU_SIGCONT);
  e = dosemu_wait(s, DOSEMU_WCONTINUED, &w, &st);
  report("self-stopped, continued", e, w, st);
  e = dosemu_wait(s, 0, &w, &st);
  report("self-stopped, ended", e, w, st);
  return 0;
}

// signals: the default actions and a handler, on spawned children.
static int
signals(void)
{
  dosemu_gid_t v, s;
  spawn_self("victim", &v);
  dosemu_sleep_ms(20);
  dosemu_kill(v, DOSEMU_SIGINT);
  dosemu_sleep_ms(20);
  dosemu_gid_t w;
  int32_t st;
  dosemu_wait(v, DOSEMU_WNOHANG, &w, &st);
  printf("signals: victim after SIGINT: %s\n", w == 0 ? "alive" : "gone");
  dosemu_kill(v, DOSEMU_SIGTERM);
  waitfor(v, "signals: victim");

  spawn_self("spin", &s);
  dosemu_sleep_ms(10);
  dosemu_kill(s, DOSEMU_SIGSTOP);
  dosemu_sleep_ms(30);
  dosemu_kill(s, DOSEMU_SIGCONT);
  dosemu_sleep_ms(10);
  dosemu_kill(s, DOSEMU_SIGKILL);
  waitfor(s, "signals: spinner");
  int e = dosemu_kill(s, DOSEMU_SIGTERM);
  printf("signals: kill reaped: %s\n", strerror(e));
  dosemu_self(&w);
  e = dosemu_kill(w, 77);
  printf("signals: bad signal: %s; ", strerror(e));
  e = dosemu_signal(DOSEMU_SIGKILL, DOSEMU_SIG_IGN);
  printf("catch SIGKILL: %s; ", strerror(e));
  e = dosemu_signal(DOSEMU_SIGTERM, 123456);
  printf("bad handler: %s\n", strerror(e));
  fflush(stdout);
  dosemu_kill(w, DOSEMU_SIGTERM);
  printf("signals: not reached\n");
  return 0;
}

// exec: cloexec'd fds close, others stay; the image changes, the pid not.
static int
do_exec(void)
{
  int32_t p[2];
  char a[16], b[16];
  dosemu_gid_t me;
  dosemu_self(&me);
  dosemu_pipe(p);
  dosemu_cloexec(p[1], 1);
  snprintf(a, sizeof a, "%d", p[1]);
  snprintf(b, sizeof b, "%d", p[0]);
  char *bad[] = {"nosuch", 0};
  int e = dosemu_execv("nosuch", bad);
  printf("exec: nosuch: %s\n", strerror(e));
  char *argv[] = {"proctest", "execd", a, b, 0};
  char g[24];
  printf("exec: %s execs\n", dosemu_gidstr(me, g));
  fflush(stdout);
  e = dosemu_execv("proctest", argv);
  printf("exec: failed: %s\n", strerror(e));
  return 1;
}

static int
execd(int argc, char *argv[])
{
  dosemu_gid_t me;
  char g[24];
  dosemu_self(&me);
  int cl = atoi(argv[2]), op = atoi(argv[3]);
  // The kept read end sees end of file: its only writer was closed.
  ssize_t r1 = read(op, g, 1);
  int e1 = r1 < 0 ? errno : 0;
  ssize_t w2 = write(cl, "x", 1);
  int e2 = w2 < 0 ? errno : 0;
  printf("execd %s: kept fd %s, cloexec fd %s\n", dosemu_gidstr(me, g), e1 == 0 ? "at eof" : strerror(e1),
         e2 == 0 ? "open" : strerror(e2));
  return 7;
}

// isolation: after fork each process writes a shared-looking variable;
// neither sees the other's write. A pipe made before fork connects them.
static volatile int shared = 1;
static int
isolation(void)
{
  int32_t p[2];
  dosemu_gid_t pid;
  dosemu_pipe(p);
  fflush(stdout);
  if (dosemu_fork(&pid) != 0) {
    printf("isolation: fork failed\n");
    return 1;
  }
  if (pid == 0) {
    close(p[1]);
    dosemu_sleep_ms(5); // the parent writes 2 meanwhile
    printf("child: sees %d (parent wrote 2 after fork), ", shared);
    shared = 3;
    printf("wrote %d\n", shared);
    char buf[16] = {0};
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    printf("child: pipe from parent: %.*s\n", (int)(n > 0 ? n : 0), buf);
    return 0;
  }
  close(p[0]);
  shared = 2;
  write(p[1], "ping", 4);
  close(p[1]);
  dosemu_gid_t who;
  int32_t st;
  dosemu_wait(pid, 0, &who, &st);
  printf("parent: sees %d (child wrote 3), child exit %d\n", shared, DOSEMU_WEXITSTATUS(st));
  return 0;
}

// forkloop n mib: holds mib MiB of memory with a non-zero byte in every
// 4 KiB page (so no page of it is zero and every one is resident) and
// forks n times; each child checks its copy of two pages, exits at once
// and is reaped.
static int
forkloop(long n, long mib)
{
  long size = mib << 20;
  char *mem = malloc(size);
  if (mib > 0 && !mem) {
    printf("forkloop: no memory for %ld MiB\n", mib);
    return 1;
  }
  for (long i = 0; i < size; i += 4096)
    mem[i] = (char)((i >> 12) | 1);
  for (long i = 0; i < n; i++) {
    dosemu_gid_t pid, who;
    int32_t st;
    int e = dosemu_fork(&pid);
    if (e) {
      printf("forkloop: fork: %s\n", strerror(e));
      return 1;
    }
    if (pid == 0) {
      int ok = size == 0 || (mem[0] == 1 && mem[size - 4096] == (char)(((size - 4096) >> 12) | 1));
      _exit(ok ? 0 : 3);
    }
    dosemu_wait(pid, 0, &who, &st);
    if (st != 0) {
      printf("forkloop: child %ld saw the wrong memory (status %d)\n", i, st);
      return 1;
    }
  }
  printf("forkloop: %ld forks of %ld MiB\n", n, mib);
  return 0;
}

// execloop n: execs itself n times.
static int
execloop(long n)
{
  if (n <= 0)
    return 0;
  char num[24];
  snprintf(num, sizeof num, "%ld", n - 1);
  char *argv[] = {"proctest", "execloop", num, 0};
  return dosemu_execv("proctest", argv);
}

// spawnloop n: spawns and reaps n children that exit at once.
static int
spawnloop(long n)
{
  for (long i = 0; i < n; i++) {
    dosemu_gid_t pid, who;
    int32_t st;
    if (spawn_self("true", &pid) != 0)
      return 1;
    dosemu_wait(pid, 0, &who, &st);
  }
  return 0;
}

// orphan: the child outlives its parent and is adopted by init; a
// grandchild that ended is a zombie until its parent waits.
static int
orphan(void)
{
  dosemu_gid_t pid, par, me;
  char g[24], h[24], s[32];
  fflush(stdout);
  dosemu_fork(&pid);
  if (pid != 0)
    return 0; // the parent leaves at once
  dosemu_fork(&pid);
  if (pid == 0)
    _exit(5);
  dosemu_sleep_ms(20);
  dosemu_gid_t who;
  int32_t st;
  int e = dosemu_wait(pid, DOSEMU_WNOHANG, &who, &st);
  dosemu_parent(&par);
  dosemu_self(&me);
  printf("orphan %s: parent now %s; zombie child reaped: %s, %s\n", dosemu_gidstr(me, g), dosemu_gidstr(par, h),
         e == 0 && who == pid ? "yes" : "no", dosemu_statusstr(st, s, sizeof s));
  return 0;
}

static int
killblocked(void)
{
  dosemu_gid_t v;
  spawn_self("victim", &v);
  dosemu_sleep_ms(10);
  dosemu_kill(v, DOSEMU_SIGKILL);
  waitfor(v, "killblocked: victim");
  return 0;
}

// stopforever: leaves a stopped child behind that nothing continues.
static int
stopforever(void)
{
  dosemu_gid_t s;
  spawn_self("spin", &s);
  dosemu_sleep_ms(2);
  dosemu_kill(s, DOSEMU_SIGSTOP);
  return 0;
}

int
main(int argc, char *argv[])
{
  const char *role = argc > 1 ? argv[1] : "";
  if (!strcmp(role, "sink"))
    return sink();
  if (!strcmp(role, "local"))
    return local();
  if (!strcmp(role, "transfer") && argc > 3)
    return transfer(atoi(argv[2]), atol(argv[3]));
  if (!strcmp(role, "shell"))
    return shell();
  if (!strcmp(role, "victim"))
    return victim();
  if (!strcmp(role, "spin"))
    return spin();
  if (!strcmp(role, "signals"))
    return signals();
  if (!strcmp(role, "spinloop"))
    return spinner(0);
  if (!strcmp(role, "spincall"))
    return spinner(1);
  if (!strcmp(role, "spinsig"))
    return spinsig();
  if (!strcmp(role, "selfstop"))
    return selfstop();
  if (!strcmp(role, "waitstop"))
    return waitstop();
  if (!strcmp(role, "true"))
    return 0;
  if (!strcmp(role, "forkloop") && argc > 3)
    return forkloop(atol(argv[2]), atol(argv[3]));
  if (!strcmp(role, "execloop") && argc > 2)
    return execloop(atol(argv[2]));
  if (!strcmp(role, "spawnloop") && argc > 2)
    return spawnloop(atol(argv[2]));
  if (!strcmp(role, "killblocked"))
    return killblocked();
  if (!strcmp(role, "stopforever"))
    return stopforever();
  if (!strcmp(role, "orphan"))
    return orphan();
  if (!strcmp(role, "isolation"))
    return isolation();
  if (!strcmp(role, "exec"))
    return do_exec();
  if (!strcmp(role, "execd"))
    return execd(argc, argv);
  fprintf(stderr, "proctest: unknown role %s\n", role);
  return 2;
}
