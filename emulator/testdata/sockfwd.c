// sockfwd: a process uses two datagram sockets made on its home computer
// after it moved elsewhere (or not: "0" stays home). Three datagrams are
// sent before the move and arrive at home while it is on its way; three
// more go out and come back while it is away; after a pause (argv[3] ms,
// optional) it tries once more, which fails cleanly if the home is cut
// off by then. Everything on stdout must be the same wherever it runs.
//
// usage: sockfwd <mode 0|1|2> <computer> [pause-ms]
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dosemu.h"

static int
roundtrip(int32_t from, int32_t to, const char *word)
{
  size_t sent, len = 0;
  int32_t fc, fp;
  char got[32];
  int e = dosemu_sendto(from, word, strlen(word), 0, 7001, &sent);
  if (e != 0) {
    printf("sendto: %s\n", strerror(e));
    return e;
  }
  if ((e = dosemu_recvfrom(to, got, sizeof got - 1, &len, &fc, &fp)) != 0) {
    printf("recvfrom: %s\n", strerror(e));
    return e;
  }
  got[len] = 0;
  printf("echo %s from c%d\n", got, fc);
  return 0;
}

int
main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: sockfwd <mode> <computer> [pause-ms]\n");
    return 2;
  }
  int mode = atoi(argv[1]), to = atoi(argv[2]);
  int32_t a, b, n, mine;
  int e;
  if ((e = dosemu_socket(DOSEMU_SOCK_DGRAM, &a)) != 0 || (e = dosemu_socket(DOSEMU_SOCK_DGRAM, &b)) != 0) {
    printf("socket: %s\n", strerror(e));
    return 1;
  }
  if ((e = dosemu_bind(a, -1, 7001)) != 0) {
    printf("bind: %s\n", strerror(e));
    return 1;
  }
  const char *early[] = {"one", "two", "three"};
  for (int i = 0; i < 3; i++) {
    size_t sent;
    if ((e = dosemu_sendto(b, early[i], strlen(early[i]), 0, 7001, &sent)) != 0) {
      printf("sendto: %s\n", strerror(e));
      return 1;
    }
  }
  if ((e = dosemu_migrate(to, mode)) != 0) {
    printf("migrate: %s\n", strerror(e));
    return 1;
  }
  dosemu_computers(&n, &mine);
  fprintf(stderr, "on c%d\n", mine);
  for (int i = 0; i < 3; i++) {
    char got[32];
    size_t len = 0;
    int32_t fc, fp;
    if ((e = dosemu_recvfrom(a, got, sizeof got - 1, &len, &fc, &fp)) != 0) {
      printf("recvfrom: %s\n", strerror(e));
      return 1;
    }
    got[len] = 0;
    printf("early %s\n", got);
  }
  const char *late[] = {"four", "five", "six"};
  for (int i = 0; i < 3; i++)
    if (roundtrip(b, a, late[i]) != 0)
      return 1;
  if (argc > 3) {
    usleep(atoi(argv[3]) * 1000);
    if (roundtrip(b, a, "seven") != 0)
      return 3;
  }
  return 0;
}
