// netbad: feeds the socket and name-service calls bad input and prints
// the errno each one answers, one "case: errno" line each, so a test can
// check that every mistake is an error and none is a crash.
#include <fcntl.h>
#include <sys/socket.h>
#include "sock.h"

static void
report(const char *what, int e)
{
  printf("%s: %d (%s)\n", what, e, e ? strerror(e) : "ok");
}

int
main(void)
{
  int32_t fd, fd2, st, c, p, n32;
  size_t n;
  report("socket type 99", dosemu_socket(99, &fd));
  check(dosemu_socket(DOSEMU_SOCK_DGRAM, &fd), "netbad: socket");
  report("bind no such computer", dosemu_bind(fd, 77, 5000));
  report("bind port 70000", dosemu_bind(fd, -1, 70000));
  report("bind port 5000", dosemu_bind(fd, -1, 5000));
  check(dosemu_socket(DOSEMU_SOCK_DGRAM, &fd2), "netbad: socket");
  report("bind port in use", dosemu_bind(fd2, -1, 5000));
  report("bind twice", dosemu_bind(fd, -1, 5001));

  static char big[70000];
  report("sendto oversized", dosemu_sendto(fd, big, sizeof big, 0, 5000, &n));
  report("sendto no such computer", dosemu_sendto(fd, "x", 1, 77, 5000, &n));
  report("sendto port 0", dosemu_sendto(fd, "x", 1, 0, 0, &n));
  report("sendto bad pointer", dosemu_sendto(fd, (void *)0xfffffff0u, 64, 0, 5000, &n));
  report("recvfrom bad pointer", dosemu_recvfrom(fd, (void *)0xfffffff0u, 64, &n, &c, &p));
  report("sendto loopback", dosemu_sendto(fd, "xy", 2, -1, 5000, &n));
  report("recvfrom truncated", dosemu_recvfrom(fd, big, 1, &n, &c, &p));
  close(fd);
  report("sendto closed socket", dosemu_sendto(fd, "x", 1, 0, 5000, &n));
  report("sockname closed socket", dosemu_sockname(fd, &c, &p));
  report("sockname stdout", dosemu_sockname(1, &c, &p));
  report("listen dgram", dosemu_listen(fd2, 1));

  check(dosemu_socket(DOSEMU_SOCK_STREAM, &st), "netbad: socket");
  report("write unconnected stream", write(st, "x", 1) < 0 ? errno : 0);
  report("connect no such computer", dosemu_connect(st, 77, 80));
  report("connect port 0", dosemu_connect(st, 0, 0));
  report("connect no listener", dosemu_connect(st, 0, 81));
  report("write after refused connect", write(st, "x", 1) < 0 ? errno : 0);
  report("accept not listening", dosemu_accept(st, &n32, &c, &p));
  int32_t ls, cl, sv;
  check(dosemu_socket(DOSEMU_SOCK_STREAM, &ls), "netbad: socket");
  check(dosemu_listen(ls, 4), "netbad: listen");
  check(dosemu_sockname(ls, &c, &p), "netbad: sockname");
  check(dosemu_socket(DOSEMU_SOCK_STREAM, &cl), "netbad: socket");
  report("connect loopback", dosemu_connect(cl, c, p));
  report("accept", dosemu_accept(ls, &sv, &c, &p));
  report("shutdown write", shutdown(cl, SHUT_WR) < 0 ? errno : 0);
  report("write after shutdown", write(cl, "x", 1) < 0 ? errno : 0);
  char b[4];
  report("read end of stream", read(sv, b, sizeof b) == 0 ? 0 : errno);

  // Non-blocking sockets answer EAGAIN / EINPROGRESS / EALREADY instead of waiting.
  int32_t nd, nl, nc;
  check(dosemu_socket(DOSEMU_SOCK_DGRAM, &nd), "netbad: socket");
  check(dosemu_bind(nd, -1, 0), "netbad: bind");
  report("nonblock set", fcntl(nd, F_SETFL, O_NONBLOCK) < 0 ? errno : 0);
  report("nonblock recvfrom", dosemu_recvfrom(nd, b, sizeof b, &n, &c, &p));
  report("nonblock read", read(nd, b, sizeof b) < 0 ? errno : 0);
  check(dosemu_socket(DOSEMU_SOCK_STREAM, &nl), "netbad: socket");
  check(dosemu_listen(nl, 4), "netbad: listen");
  fcntl(nl, F_SETFL, O_NONBLOCK);
  report("nonblock accept", dosemu_accept(nl, &n32, &c, &p));
  int32_t lc, lp;
  check(dosemu_sockname(nl, &lc, &lp), "netbad: sockname");
  check(dosemu_socket(DOSEMU_SOCK_STREAM, &nc), "netbad: socket");
  fcntl(nc, F_SETFL, O_NONBLOCK);
  report("nonblock connect", dosemu_connect(nc, lc, lp));
  report("nonblock connect again", dosemu_connect(nc, lc, lp));
  report("nonblock write while connecting", write(nc, "x", 1) < 0 ? errno : 0);
  struct pollfd pw = {.fd = nc, .events = POLLOUT};
  report("poll until connected", poll(&pw, 1, 1000) == 1 ? 0 : errno);
  report("nonblock connect done", dosemu_connect(nc, lc, lp));
  report("name empty", dosemu_name_register("", 0, ls));
  static char longname[300];
  memset(longname, 'n', sizeof longname);
  report("name too long", dosemu_name_register(longname, sizeof longname, ls));
  report("name with space", dosemu_name_register("a b", 3, ls));
  report("name register", dosemu_name_register("netbad", 6, ls));
  report("name taken", dosemu_name_register("netbad", 6, cl));
  report("name on stdout", dosemu_name_register("other", 5, 1));
  report("lookup unknown", dosemu_name_lookup("nobody", 6, 0, &c, &p));
  report("lookup bad pointer", dosemu_name_lookup((void *)0xfffffff0u, 64, 0, &c, &p));
  close(ls);
  report("lookup after close", dosemu_name_lookup("netbad", 6, 0, &c, &p));
  printf("netbad: done\n");
  return 0;
}
