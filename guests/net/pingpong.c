// pingpong: two processes on different computers bounce a message back
// and forth over dosemu sockets and print each round trip's virtual time.
// The first to register the name "pingpong" serves; the other pings.
// In dgram mode lost messages are retransmitted after 50 virtual ms.
// A server that sees no client for 5 s ends, so pingpong booted alone ends.
// usage: pingpong [stream|dgram] [rounds] [serve|ping] (defaults stream 5 auto)
#include "sock.h"

#define MSG 16

static int
serve_stream(int ls, int rounds)
{
  int32_t fd, pc, pp;
  if (readable(ls, 5000) != 1) {
    printf("pingpong: no client came within 5s\n");
    return 0;
  }
  check(dosemu_accept(ls, &fd, &pc, &pp), "pingpong: accept");
  printf("pingpong: serving c%d:%d\n", pc, pp);
  char msg[MSG];
  int n = 0;
  while (readn(fd, msg, MSG) == MSG) {
    msg[1] = 'o'; // "ping" becomes "pong"
    if (writen(fd, msg, MSG) != 0)
      break;
    n++;
  }
  close(fd);
  printf("pingpong: answered %d of %d pings\n", n, rounds);
  return n == rounds ? 0 : 1;
}

static int
ping_stream(int32_t c, int32_t p, int rounds)
{
  int32_t fd;
  check(dosemu_socket(DOSEMU_SOCK_STREAM, &fd), "pingpong: socket");
  check(dosemu_connect(fd, c, p), "pingpong: connect");
  char msg[MSG], back[MSG];
  for (int i = 1; i <= rounds; i++) {
    snprintf(msg, sizeof msg, "ping %-10d", i);
    double t0 = dosemu_seconds();
    if (writen(fd, msg, MSG) != 0 || readn(fd, back, MSG) != MSG) {
      fprintf(stderr, "pingpong: round %d: connection lost\n", i);
      return 1;
    }
    if (back[1] != 'o' || memcmp(back + 4, msg + 4, MSG - 4) != 0) {
      fprintf(stderr, "pingpong: round %d: bad reply %.*s\n", i, MSG, back);
      return 1;
    }
    printf("pingpong: round %d, rtt %.3f ms\n", i, (dosemu_seconds() - t0) * 1e3);
  }
  close(fd);
  return 0;
}

static int
serve_dgram(int fd)
{
  // Answer every ping (including retransmissions) until "bye" or 2 s of silence.
  char msg[MSG];
  int n = 0;
  while (readable(fd, 2000) == 1) {
    size_t got;
    int32_t c, p, e;
    if ((e = dosemu_recvfrom(fd, msg, MSG, &got, &c, &p)) != 0) {
      fprintf(stderr, "pingpong: recvfrom: %s\n", strerror(e));
      return 1;
    }
    if (got >= 3 && memcmp(msg, "bye", 3) == 0)
      break;
    msg[1] = 'o';
    size_t sent;
    dosemu_sendto(fd, msg, got, c, p, &sent);
    n++;
  }
  printf("pingpong: answered %d datagrams\n", n);
  return 0;
}

static int
ping_dgram(int32_t c, int32_t p, int rounds)
{
  int32_t fd;
  check(dosemu_socket(DOSEMU_SOCK_DGRAM, &fd), "pingpong: socket");
  check(dosemu_bind(fd, -1, 0), "pingpong: bind");
  char msg[MSG], back[MSG];
  int lost = 0;
  for (int i = 1; i <= rounds; i++) {
    snprintf(msg, sizeof msg, "ping %-10d", i);
    double t0 = dosemu_seconds();
    int tries;
    for (tries = 1; tries <= 20; tries++) {
      size_t n;
      int32_t fc, fp;
      dosemu_sendto(fd, msg, MSG, c, p, &n);
      // Wait for this round's pong; stale pongs from earlier rounds are dropped.
      while (readable(fd, 50) == 1) {
        if (dosemu_recvfrom(fd, back, MSG, &n, &fc, &fp) == 0 && n == MSG &&
            memcmp(back + 4, msg + 4, MSG - 4) == 0)
          goto answered;
      }
      lost++;
    }
    fprintf(stderr, "pingpong: round %d: no answer after 20 tries\n", i);
    return 1;
  answered:
    printf("pingpong: round %d, rtt %.3f ms, %d tries\n", i, (dosemu_seconds() - t0) * 1e3, tries);
  }
  size_t n;
  for (int i = 0; i < 3; i++) // best effort: the server also stops when idle
    dosemu_sendto(fd, "bye", 3, c, p, &n);
  printf("pingpong: %d rounds, %d timeouts\n", rounds, lost);
  return 0;
}

int
main(int argc, char *argv[])
{
  int dgram = argc > 1 && strcmp(argv[1], "dgram") == 0;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  const char *role = argc > 3 ? argv[3] : "auto";
  int type = dgram ? DOSEMU_SOCK_DGRAM : DOSEMU_SOCK_STREAM;
  const char *name = dgram ? "pingpong-dgram" : "pingpong";

  if (strcmp(role, "ping") != 0) {
    int32_t fd;
    check(dosemu_socket(type, &fd), "pingpong: socket");
    check(dosemu_bind(fd, -1, 0), "pingpong: bind");
    if (!dgram)
      check(dosemu_listen(fd, 1), "pingpong: listen");
    int e = dosemu_name_register(name, strlen(name), fd);
    if (e == 0)
      return dgram ? serve_dgram(fd) : serve_stream(fd, rounds);
    if (e != EEXIST || strcmp(role, "serve") == 0)
      check(e, "pingpong: name_register");
    close(fd); // someone else serves: ping them
  }
  int32_t c, p;
  check(lookup(name, 5000, &c, &p), "pingpong: name_lookup");
  printf("pingpong: %s server is at c%d:%d\n", dgram ? "dgram" : "stream", c, p);
  return dgram ? ping_dgram(c, p, rounds) : ping_stream(c, p, rounds);
}
