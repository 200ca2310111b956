// signals: registers a SIGTERM handler and shows the signal actions.
//  1. a child that handles SIGTERM cleans up and exits 42;
//  2. a child that ignores SIGINT survives it, then dies of SIGTERM
//     once the default action is back;
//  3. a spinning child is stopped, continued, then killed with SIGKILL.
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "dosemulib.h"

static volatile int caught;

static void
on_term(int sig)
{
  caught = sig;
}

static dosemu_gid_t
child(int kind)
{
  dosemu_gid_t pid;
  // Flush first, or the child would inherit and print the parent's
  // buffered output a second time.
  fflush(stdout);
  int e = dosemu_fork(&pid);
  if (e != 0) {
    fprintf(stderr, "signals: fork: %s\n", strerror(e));
    _exit(1);
  }
  if (pid != 0)
    return pid;
  if (kind == 1) {
    // The handler was registered before fork, so the child has it too.
    while (!caught)
      dosemu_sleep_ms(10);
    printf("child 1: caught signal %d, cleaning up\n", caught);
    fflush(stdout);
    _exit(42);
  }
  if (kind == 2) {
    dosemu_signal(DOSEMU_SIGINT, DOSEMU_SIG_IGN);
    dosemu_signal(DOSEMU_SIGTERM, DOSEMU_SIG_DFL);
    for (;;)
      dosemu_sleep_ms(10);
  }
  volatile uint64_t spins = 0;
  for (;;)
    spins++;
}

static void
reap(const char *what, dosemu_gid_t pid)
{
  dosemu_gid_t who;
  int32_t status;
  char s[32];
  int e = dosemu_wait(pid, 0, &who, &status);
  if (e != 0)
    printf("signals: %s: wait: %s\n", what, strerror(e));
  else
    printf("signals: %s ended: %s\n", what, dosemu_statusstr(status, s, sizeof s));
}

int
main(void)
{
  int e = dosemu_signal(DOSEMU_SIGTERM, (uint32_t)(uintptr_t)on_term);
  if (e != 0) {
    fprintf(stderr, "signals: signal: %s\n", strerror(e));
    return 1;
  }
  fflush(stdout);

  dosemu_gid_t c1 = child(1);
  dosemu_sleep_ms(50);
  dosemu_kill(c1, DOSEMU_SIGTERM);
  reap("child 1 (handles SIGTERM)", c1);

  dosemu_gid_t c2 = child(2);
  dosemu_sleep_ms(50);
  dosemu_kill(c2, DOSEMU_SIGINT);
  dosemu_sleep_ms(50);
  dosemu_gid_t w;
  int32_t st;
  e = dosemu_wait(c2, DOSEMU_WNOHANG, &w, &st);
  printf("signals: child 2 after SIGINT: %s\n", e == 0 && w == 0 ? "still running" : "gone");
  dosemu_kill(c2, DOSEMU_SIGTERM);
  reap("child 2 (ignores SIGINT)", c2);

  dosemu_gid_t c3 = child(3);
  dosemu_sleep_ms(20);
  dosemu_kill(c3, DOSEMU_SIGSTOP);
  dosemu_sleep_ms(50);
  dosemu_kill(c3, DOSEMU_SIGCONT);
  dosemu_sleep_ms(20);
  dosemu_kill(c3, DOSEMU_SIGKILL);
  reap("child 3 (spinning)", c3);
  return 0;
}
