// generals: the Two Generals over a lossy datagram link. General A
// proposes to attack and sends messengers (one every interval, at most
// m) until one comes back with an acknowledgement; general B acknowledges
// every messenger that reaches it. At the deadline each decides: A
// attacks if it got an acknowledgement, B attacks if a messenger reached
// it. Both print a "decision" line, so a run over many seeds counts how
// often they agreed: no finite protocol makes it certain.
// The first to register "general-a" is A, the other B.
// usage: generals [messengers] [interval_ms] [deadline_ms] [A|B]
//        (defaults 5, 100, 2000, auto)
#include "sock.h"

int
main(int argc, char *argv[])
{
  int m = argc > 1 ? atoi(argv[1]) : 5;
  int interval = argc > 2 ? atoi(argv[2]) : 100;
  int deadline = argc > 3 ? atoi(argv[3]) : 2000;
  const char *role = argc > 4 ? argv[4] : "auto";

  int32_t fd;
  check(dosemu_socket(DOSEMU_SOCK_DGRAM, &fd), "generals: socket");
  check(dosemu_bind(fd, -1, 0), "generals: bind");
  int a = 0, e;
  if (strcmp(role, "B") != 0) {
    e = dosemu_name_register("general-a", 9, fd);
    if (e == 0)
      a = 1;
    else if (e != EEXIST || strcmp(role, "A") == 0)
      check(e, "generals: register general-a");
  }
  if (!a)
    check(dosemu_name_register("general-b", 9, fd), "generals: register general-b");
  const char *peer = a ? "general-b" : "general-a";
  int32_t pc, pp;
  if ((e = lookup(peer, 5000, &pc, &pp)) == ENOENT) {
    printf("generals: %s found no %s within 5s\n", a ? "A" : "B", peer);
    printf("generals: decision %s RETREAT\n", a ? "A" : "B");
    return 0;
  }
  check(e, "generals: lookup peer");

  double start = dosemu_seconds(), end = start + deadline / 1000.0;
  int sent = 0, got = 0, acks = 0;
  char msg[32];
  size_t n;
  int32_t fc, fp;
  while (dosemu_seconds() < end) {
    if (a && acks == 0 && sent < m) {
      int len = snprintf(msg, sizeof msg, "ATTACK %d", sent + 1);
      dosemu_sendto(fd, msg, len, pc, pp, &n);
      sent++;
    }
    // Round up: a wait of 0 ms with time left would spin until the deadline.
    int wait = (int)((end - dosemu_seconds()) * 1000 + 0.999);
    if (a && acks == 0 && sent < m && wait > interval)
      wait = interval;
    if (wait <= 0 || readable(fd, wait) != 1)
      continue;
    if (dosemu_recvfrom(fd, msg, sizeof msg - 1, &n, &fc, &fp) != 0)
      continue;
    msg[n] = 0;
    if (a && strncmp(msg, "ACK", 3) == 0) {
      acks++;
    } else if (!a && strncmp(msg, "ATTACK", 6) == 0) {
      got++;
      int len = snprintf(msg, sizeof msg, "ACK %d", got);
      dosemu_sendto(fd, msg, len, pc, pp, &n);
      sent++;
    }
  }
  int attack = a ? acks > 0 : got > 0;
  if (a)
    printf("generals: A sent %d messengers, got %d acks\n", sent, acks);
  else
    printf("generals: B got %d messengers, sent %d acks\n", got, sent);
  printf("generals: decision %s %s\n", a ? "A" : "B", attack ? "ATTACK" : "RETREAT");
  return 0;
}
