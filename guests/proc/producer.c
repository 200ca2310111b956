// producer: first stage of the pipeline; writes n lines "item i".
// usage: producer [n] (default 20)
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char *argv[])
{
  int n = argc > 1 ? atoi(argv[1]) : 20;
  for (int i = 1; i <= n; i++)
    printf("item %d\n", i);
  fprintf(stderr, "producer: wrote %d items\n", n);
  return 0;
}
