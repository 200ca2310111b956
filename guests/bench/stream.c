// stream: passes over a large buffer, each element loaded, multiplied
// and stored back, so the cost is memory bandwidth and loop overhead.
// usage: stream [MiB] [passes] (defaults 64 and 1); prints a checksum.
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int
main(int argc, char *argv[])
{
  size_t mib = argc > 1 ? strtoul(argv[1], 0, 10) : 64;
  int passes = argc > 2 ? atoi(argv[2]) : 1;
  size_t n = mib * 1024 * 1024 / sizeof(uint32_t);
  uint32_t *a = malloc(n * sizeof(uint32_t));
  if (a == 0) {
    fprintf(stderr, "stream: cannot allocate %zu MiB\n", mib);
    return 1;
  }
  for (size_t i = 0; i < n; i++)
    a[i] = (uint32_t)i;
  for (int p = 0; p < passes; p++)
    for (size_t i = 0; i < n; i++)
      a[i] = a[i] * 2654435761u + 1;
  uint32_t sum = 0;
  for (size_t i = 0; i < n; i += 4096 / sizeof(uint32_t))
    sum = sum * 31 + a[i];
  printf("stream %zu MiB x %d: checksum %08x\n", mib, passes, sum);
  free(a);
  return 0;
}
