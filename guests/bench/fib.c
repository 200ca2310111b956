// fib: naive recursive Fibonacci, so the cost is in calls and returns.
// usage: fib [n] (default 32); prints fib(n) and the number of calls.
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

static uint64_t calls;

// noinline keeps the recursion real at -O2.
__attribute__((noinline)) static uint64_t
fib(uint32_t n)
{
  calls++;
  if (n < 2)
    return n;
  return fib(n - 1) + fib(n - 2);
}

int
main(int argc, char *argv[])
{
  uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], 0, 10) : 32;
  uint64_t r = fib(n);
  printf("fib(%u) = %llu, %llu calls\n", n, (unsigned long long)r, (unsigned long long)calls);
  return 0;
}
