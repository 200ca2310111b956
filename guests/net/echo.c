// echo: a client of echod. Finds the server by the name "echo", sends
// some lines, checks each comes back unchanged, and reports.
// usage: echo [lines] (default 3)
#include "sock.h"

int
main(int argc, char *argv[])
{
  int lines = argc > 1 ? atoi(argv[1]) : 3;
  dosemu_gid_t me;
  char g[24];
  check(dosemu_self(&me), "echo: self");
  dosemu_gidstr(me, g);

  int32_t c, p, fd;
  check(lookup("echo", 10000, &c, &p), "echo: name_lookup");
  check(dosemu_socket(DOSEMU_SOCK_STREAM, &fd), "echo: socket");
  check(dosemu_connect(fd, c, p), "echo: connect");

  int ok = 0;
  for (int i = 1; i <= lines; i++) {
    char msg[64], back[64];
    int len = snprintf(msg, sizeof msg, "%s says hello #%d\n", g, i);
    double t0 = dosemu_seconds();
    if (writen(fd, msg, len) != 0 || readn(fd, back, len) != len) {
      fprintf(stderr, "echo %s: line %d: connection lost\n", g, i);
      return 1;
    }
    if (memcmp(msg, back, len) == 0)
      ok++;
    printf("echo %s: line %d came back %s after %.3f ms\n", g, i,
           memcmp(msg, back, len) == 0 ? "intact" : "CHANGED", (dosemu_seconds() - t0) * 1e3);
  }
  close(fd);
  printf("echo %s: %d/%d lines echoed intact\n", g, ok, lines);
  return ok == lines ? 0 : 1;
}
