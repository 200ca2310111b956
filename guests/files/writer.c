// writer: writes a small file with plain stdio, for a reader on another
// computer to read through /net/<computer>/... The last line is "END" so
// the reader knows the file is complete.
// usage: writer [path] [lines] (defaults /shared/note.txt and 5)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dosemulib.h"

int
main(int argc, char *argv[])
{
  const char *path = argc > 1 ? argv[1] : "/shared/note.txt";
  int lines = argc > 2 ? atoi(argv[2]) : 5;

  // Create the parent directory if it is missing.
  char dir[256];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
      fprintf(stderr, "writer: mkdir %s: %s\n", dir, strerror(errno));
      return 1;
    }
  }

  FILE *f = fopen(path, "w");
  if (f == 0) {
    fprintf(stderr, "writer: open %s: %s\n", path, strerror(errno));
    return 1;
  }
  unsigned sum = 0;
  for (int i = 1; i <= lines; i++) {
    fprintf(f, "line %d of %d: the square of %d is %d\n", i, lines, i, i * i);
    sum += i * i;
  }
  fprintf(f, "END\n");
  if (fclose(f) != 0) {
    fprintf(stderr, "writer: close %s: %s\n", path, strerror(errno));
    return 1;
  }
  printf("writer: wrote %d lines to %s at %.3fs (sum of squares %u)\n", lines, path, dosemu_seconds(), sum);
  return 0;
}
