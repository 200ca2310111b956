// sock.h — shared helpers for the network guests: exact reads and
// writes on stream sockets, and waiting for input with a virtual-time
// timeout (poll() is WASI poll_oneoff, so the timeout is virtual).
#ifndef SOCK_H
#define SOCK_H

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dosemulib.h"

// Die with a message naming the call and the errno.
static inline void
check(int e, const char *what)
{
  if (e != 0) {
    fprintf(stderr, "%s: %s\n", what, strerror(e));
    exit(1);
  }
}

// Read exactly n bytes; returns n, 0 at end of stream, or -1 on error.
static inline long
readn(int fd, void *buf, size_t n)
{
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, (char *)buf + got, n - got);
    if (r < 0)
      return -1;
    if (r == 0)
      return got == 0 ? 0 : -1;
    got += r;
  }
  return n;
}

// Write all n bytes; returns 0 or -1.
static inline int
writen(int fd, const void *buf, size_t n)
{
  size_t put = 0;
  while (put < n) {
    ssize_t w = write(fd, (const char *)buf + put, n - put);
    if (w <= 0)
      return -1;
    put += w;
  }
  return 0;
}

// Wait up to ms virtual milliseconds for fd to be readable: 1 if it is,
// 0 on timeout, -1 on error.
static inline int
readable(int fd, int ms)
{
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r = poll(&p, 1, ms);
  return r < 0 ? -1 : r > 0;
}

// Look name up, polling every 50 virtual ms for up to ms: 0 when found,
// ENOENT if it was not registered in time, or another errno. Guests use
// this rather than a blocking lookup so that one booted without its peer
// ends instead of waiting forever.
static inline int
lookup(const char *name, int ms, int32_t *c, int32_t *p)
{
  for (int waited = 0;; waited += 50) {
    int e = dosemu_name_lookup(name, strlen(name), 0, c, p);
    if (e != ENOENT || waited >= ms)
      return e;
    dosemu_sleep_ms(50);
  }
}

#endif
