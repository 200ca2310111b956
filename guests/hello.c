// hello: prints a greeting, its arguments and its environment.
// Uses only WASI preview1, so it runs under any WASI runtime.
#include <stdio.h>

extern char **environ;

int
main(int argc, char *argv[])
{
  printf("hello, world from %s\n", argc > 0 ? argv[0] : "?");
  for (int i = 1; i < argc; i++)
    printf("  arg[%d] = %s\n", i, argv[i]);
  for (char **e = environ; e && *e; e++)
    printf("  env %s\n", *e);
  return 0;
}
