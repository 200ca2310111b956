// alice: prints a line every virtual second, N times (argv[1], default 3).
// The driver starts her on another computer; she also runs on her own.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "dosemulib.h"

int
main(int argc, char *argv[])
{
  int n = argc > 1 ? atoi(argv[1]) : 3;
  for (int i = 1; i <= n; i++) {
    sleep(1);
    printf("alice: %d/%d, virtual time %.3fs\n", i, n, dosemu_seconds());
    fflush(stdout);
  }
  return 0;
}
