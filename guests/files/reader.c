// reader: reads a file that a writer made on another computer, through
// /net/<computer>/path with plain fopen. It polls (every 100 virtual ms,
// for at most 10 s) until the file exists and ends with "END".
// usage: reader [path] (default /net/c0/shared/note.txt)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "dosemulib.h"

// Read the file into buf; returns 1 when it is complete (ends "END\n").
static int
slurp(const char *path, char *buf, size_t cap, size_t *len)
{
  FILE *f = fopen(path, "r");
  if (f == 0)
    return 0;
  *len = fread(buf, 1, cap - 1, f);
  buf[*len] = 0;
  fclose(f);
  return *len >= 4 && strcmp(buf + *len - 4, "END\n") == 0;
}

int
main(int argc, char *argv[])
{
  const char *path = argc > 1 ? argv[1] : "/net/c0/shared/note.txt";
  static char buf[65536];
  size_t len = 0;
  int tries, err = 0;

  for (tries = 0; tries < 100; tries++) {
    errno = 0;
    if (slurp(path, buf, sizeof buf, &len))
      break;
    err = errno;
    dosemu_sleep_ms(100);
  }
  if (tries == 100) {
    fprintf(stderr, "reader: %s not complete after 10s: %s\n", path, err ? strerror(err) : "no END line");
    return 1;
  }
  int lines = 0;
  for (char *p = buf; *p; p++)
    lines += *p == '\n';
  printf("reader: %s has %d lines (%zu bytes), read at %.3fs:\n", path, lines, len, dosemu_seconds());
  fputs(buf, stdout);
  return 0;
}
