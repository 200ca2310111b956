// spin: CPU-bound work with a checksum; prints progress a few times.
// Two spins on one CPU show time-sharing: their progress lines interleave.
// usage: spin [iterations] (default 100000000)
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int
main(int argc, char *argv[])
{
  uint64_t n = argc > 1 ? strtoull(argv[1], 0, 10) : 100000000ULL;
  uint64_t x = 88172645463325252ULL, sum = 0;
  int steps = 4;
  uint64_t chunk = n / steps;

  for (int s = 0; s < steps; s++) {
    uint64_t end = s == steps - 1 ? n - chunk * s : chunk;
    for (uint64_t i = 0; i < end; i++) {
      // xorshift64: the compiler cannot fold it away.
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      sum += x;
    }
    printf("spin: %d/%d done, checksum %016llx\n", s + 1, steps, (unsigned long long)sum);
    fflush(stdout);
  }
  return 0;
}
