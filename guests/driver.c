// driver: the classic pair. Spawns alice and bob on the next two
// computers by program name, waits for both, prints their exit statuses.
// usage: driver [ticks] (default 3), passed on to alice and bob.
#include <stdio.h>
#include <string.h>
#include "dosemulib.h"

int
main(int argc, char *argv[])
{
  char *ticks = argc > 1 ? argv[1] : "3";
  char *names[2] = {"alice", "bob"};
  dosemu_gid_t kids[2];
  char g[24], s[32];
  int32_t count, mine;
  int e;

  if ((e = dosemu_computers(&count, &mine)) != 0) {
    fprintf(stderr, "driver: dosemu_computers: %s\n", strerror(e));
    return 1;
  }
  for (int i = 0; i < 2; i++) {
    int32_t where = (mine + 1 + i) % count;
    char *args[] = {names[i], ticks, 0};
    if ((e = dosemu_spawnv(where, names[i], args, &kids[i])) != 0) {
      fprintf(stderr, "driver: spawn %s on computer %d: %s\n", names[i], where, strerror(e));
      return 1;
    }
    printf("driver: started %s as %s\n", names[i], dosemu_gidstr(kids[i], g));
  }
  int failed = 0;
  for (int i = 0; i < 2; i++) {
    dosemu_gid_t who;
    int32_t status;
    if ((e = dosemu_wait(kids[i], 0, &who, &status)) != 0) {
      fprintf(stderr, "driver: wait %s: %s\n", dosemu_gidstr(kids[i], g), strerror(e));
      return 1;
    }
    printf("driver: %s (%s) ended: %s\n", names[i], dosemu_gidstr(who, g),
           dosemu_statusstr(status, s, sizeof s));
    failed |= status != 0;
  }
  return failed;
}
