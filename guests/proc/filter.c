// filter: middle stage of the pipeline; keeps items with an even
// number and appends their square: "item 4" becomes "item 4 16".
#include <stdio.h>

int
main(void)
{
  char line[256];
  int in = 0, out = 0;
  while (fgets(line, sizeof line, stdin)) {
    int v;
    in++;
    if (sscanf(line, "item %d", &v) == 1 && v % 2 == 0) {
      printf("item %d %d\n", v, v * v);
      out++;
    }
  }
  fprintf(stderr, "filter: %d lines in, %d out\n", in, out);
  return 0;
}
