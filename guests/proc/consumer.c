// consumer: last stage of the pipeline; sums the squares it is given.
#include <stdio.h>

int
main(void)
{
  char line[256];
  int n = 0;
  long sum = 0;
  while (fgets(line, sizeof line, stdin)) {
    int v, sq;
    if (sscanf(line, "item %d %d", &v, &sq) == 2) {
      n++;
      sum += sq;
    }
  }
  printf("consumer: %d items, sum of squares %ld\n", n, sum);
  return 0;
}
