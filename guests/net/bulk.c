// bulk: a one-way stream transfer for tests and benchmarks. The server
// registers "bulk", accepts one connection and reads until end of stream,
// checking that every byte is the one expected at its offset (so a lost,
// duplicated or reordered byte is caught); the sender writes the pattern.
// usage: bulk serve BYTES | bulk send BYTES [CHUNK]   (CHUNK default 16384)
#include "sock.h"

// The byte at offset i: not periodic in any power of two, so a segment
// shifted by a multiple of the MSS or of the window does not match.
static unsigned char
pattern(long i)
{
  return (unsigned char)(i * 7 + i / 251);
}

static int
serve(long want)
{
  int32_t ls, fd, pc, pp;
  check(dosemu_socket(DOSEMU_SOCK_STREAM, &ls), "bulk: socket");
  check(dosemu_listen(ls, 1), "bulk: listen");
  check(dosemu_name_register("bulk", 4, ls), "bulk: name_register");
  check(dosemu_accept(ls, &fd, &pc, &pp), "bulk: accept");
  static unsigned char buf[65536];
  long got = 0, bad = 0;
  double t0 = dosemu_seconds();
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0) {
      perror("bulk: read");
      return 1;
    }
    if (r == 0)
      break;
    for (ssize_t i = 0; i < r; i++)
      if (buf[i] != pattern(got + i))
        bad++;
    got += r;
  }
  double dt = dosemu_seconds() - t0;
  close(fd);
  printf("bulk: received %ld of %ld bytes, %ld wrong, in %.6f s\n", got, want, bad, dt);
  return got == want && bad == 0 ? 0 : 1;
}

static int
send_all(long n, long chunk)
{
  int32_t c, p, fd;
  check(dosemu_name_lookup("bulk", 4, 1, &c, &p), "bulk: name_lookup");
  check(dosemu_socket(DOSEMU_SOCK_STREAM, &fd), "bulk: socket");
  check(dosemu_connect(fd, c, p), "bulk: connect");
  static unsigned char buf[65536];
  if (chunk < 1 || chunk > (long)sizeof buf)
    chunk = sizeof buf;
  for (long off = 0; off < n;) {
    long k = n - off < chunk ? n - off : chunk;
    for (long i = 0; i < k; i++)
      buf[i] = pattern(off + i);
    if (writen(fd, buf, k) != 0) {
      perror("bulk: write");
      return 1;
    }
    off += k;
  }
  close(fd);
  printf("bulk: sent %ld bytes\n", n);
  return 0;
}

int
main(int argc, char *argv[])
{
  if (argc < 3) {
    fprintf(stderr, "usage: bulk serve BYTES | bulk send BYTES [CHUNK]\n");
    return 2;
  }
  long n = atol(argv[2]);
  if (strcmp(argv[1], "serve") == 0)
    return serve(n);
  return send_all(n, argc > 3 ? atol(argv[3]) : 16384);
}
