// appender: appends numbered lines to a file, one write(2) each, with
// O_APPEND: the shape of a log. Through /net/<computer>/... every line is
// a remote stat and write, so a process moved while one is in flight
// shows whether a line can be lost or written twice.
// usage: appender PATH [lines] (default 200)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
  if (argc < 2) {
    fprintf(stderr, "usage: appender PATH [lines]\n");
    return 2;
  }
  const char *path = argv[1];
  int lines = argc > 2 ? atoi(argv[2]) : 200;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) {
    fprintf(stderr, "appender: open %s: %s\n", path, strerror(errno));
    return 1;
  }
  char buf[64];
  for (int i = 1; i <= lines; i++) {
    int n = snprintf(buf, sizeof buf, "line %d\n", i);
    if (write(fd, buf, n) != n) {
      fprintf(stderr, "appender: write line %d: %s\n", i, strerror(errno));
      return 1;
    }
  }
  close(fd);
  printf("appender: %d lines\n", lines);
  return 0;
}
