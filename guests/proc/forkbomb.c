// forkbomb: forks until the kernel says EAGAIN (its process limit),
// reports how many children it made, reaps them all and exits 0. The
// children sleep a second and exit, so the bomb defuses itself.
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "dosemulib.h"

#define CAP 1000000

int
main(void)
{
  int n = 0, e = 0;
  for (; n < CAP; n++) {
    dosemu_gid_t pid;
    e = dosemu_fork(&pid);
    if (e != 0)
      break;
    if (pid == 0) {
      sleep(1);
      _exit(0);
    }
  }
  if (e != 0 && e != EAGAIN) {
    fprintf(stderr, "forkbomb: fork %d: %s\n", n + 1, strerror(e));
    return 1;
  }
  printf("forkbomb: %d children, then %s\n", n, e == EAGAIN ? "EAGAIN" : "no limit hit");
  fflush(stdout);
  int reaped = 0;
  dosemu_gid_t who;
  int32_t status;
  while (dosemu_wait(-1, 0, &who, &status) == 0)
    reaped++;
  printf("forkbomb: reaped %d children\n", reaped);
  return reaped == n ? 0 : 1;
}
