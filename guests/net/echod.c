// echod: an echo server. Registers the name "echo", accepts stream
// connections and echoes every byte back, serving several clients at once
// with poll(). Exits after n clients have come and gone, or, with n = 0,
// once no client is connected and none has come for 3 virtual seconds.
// usage: echod [clients] (default 0)
#include "sock.h"

#define MAXC 64

int
main(int argc, char *argv[])
{
  int want = argc > 1 ? atoi(argv[1]) : 0;
  int32_t ls;
  check(dosemu_socket(DOSEMU_SOCK_STREAM, &ls), "echod: socket");
  check(dosemu_bind(ls, -1, 0), "echod: bind");
  check(dosemu_listen(ls, 16), "echod: listen");
  check(dosemu_name_register("echo", 4, ls), "echod: name_register");
  int32_t c, p;
  check(dosemu_sockname(ls, &c, &p), "echod: sockname");
  printf("echod: listening at c%d:%d as \"echo\"\n", c, p);

  struct pollfd fds[MAXC + 1];
  int n = 0, accepted = 0, done = 0;
  long bytes = 0;
  fds[0].fd = ls;
  fds[0].events = POLLIN;
  while (want == 0 || done < want) {
    int r = poll(fds, n + 1, n == 0 ? 3000 : -1);
    if (r < 0) {
      perror("echod: poll");
      return 1;
    }
    if (r == 0)
      break; // idle: nobody connected for 3 s
    if ((fds[0].revents & POLLIN) && (want == 0 || accepted < want) && n < MAXC) {
      int32_t fd, pc, pp;
      check(dosemu_accept(ls, &fd, &pc, &pp), "echod: accept");
      accepted++;
      printf("echod: client %d from c%d:%d\n", accepted, pc, pp);
      if (accepted == want)
        fds[0].fd = -1; // no more clients: stop watching the listener (poll
                        // skips negative fds; an entry with no events is ENOSYS)
      n++;
      fds[n].fd = fd;
      fds[n].events = POLLIN;
      fds[n].revents = 0;
    }
    for (int i = 1; i <= n; i++) {
      if (fds[i].revents == 0)
        continue;
      char buf[1024];
      ssize_t r = read(fds[i].fd, buf, sizeof buf);
      if (r > 0 && writen(fds[i].fd, buf, r) == 0) {
        bytes += r;
        continue;
      }
      // End of stream or an error: this client is done.
      close(fds[i].fd);
      fds[i] = fds[n];
      n--;
      i--;
      done++;
    }
  }
  printf("echod: served %d clients, echoed %ld bytes\n", done, bytes);
  return 0;
}
