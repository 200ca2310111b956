// loop: a tight integer loop (xorshift32 and a running sum).
// usage: loop [iterations] (default 100000000); prints a checksum.
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

int
main(int argc, char *argv[])
{
  uint64_t n = argc > 1 ? strtoull(argv[1], 0, 10) : 100000000ULL;
  uint32_t x = 2463534242u, sum = 0;

  for (uint64_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    sum += x;
  }
  printf("loop %llu: checksum %08x\n", (unsigned long long)n, sum);
  return 0;
}
