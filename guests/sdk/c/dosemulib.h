/*
 * dosemulib.h — small helpers over dosemu.h for C guests: packing argv
 * lists, spawning by program name, printing global ids, virtual time.
 * Header-only (static functions), so a guest needs no extra library:
 *   clang --target=wasm32-wasi -O2 -I guests/sdk/c prog.c
 * Errnos from dosemu calls are WASI's, which are also wasi-libc's errno
 * values, so strerror() and EAGAIN/ECHILD/... apply to them directly.
 */
#ifndef DOSEMULIB_H
#define DOSEMULIB_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "dosemu.h"

extern char **environ;

/* Pack a NULL-terminated list as the ABI wants (each item then a NUL)
 * into buf. Returns the packed length, or -1 if it does not fit. */
static inline long
dosemu_pack(char *buf, size_t cap, char *const items[])
{
  size_t n = 0;
  for (int i = 0; items && items[i]; i++) {
    size_t l = strlen(items[i]) + 1;
    if (n + l > cap)
      return -1;
    memcpy(buf + n, items[i], l);
    n += l;
  }
  return (long)n;
}

/* Spawn program prog on computer with argv (argv[0] included) and my
 * environment. A program given to `dosemu boot` can be named with or
 * without ".wasm"; on ENOENT the other spelling is tried. Returns 0 or
 * an errno. */
static inline int
dosemu_spawnv(int32_t computer, const char *prog, char *const argv[], dosemu_gid_t *child)
{
  static char abuf[4096], ebuf[8192], alt[256];
  long an = dosemu_pack(abuf, sizeof abuf, argv);
  long en = dosemu_pack(ebuf, sizeof ebuf, environ);
  if (an < 0 || en < 0)
    return E2BIG;
  int e = dosemu_spawn(computer, prog, strlen(prog), abuf, an, ebuf, en, child);
  if (e != ENOENT)
    return e;
  size_t pl = strlen(prog);
  if (pl > 5 && strcmp(prog + pl - 5, ".wasm") == 0)
    snprintf(alt, sizeof alt, "%.*s", (int)(pl - 5), prog);
  else
    snprintf(alt, sizeof alt, "%s.wasm", prog);
  return dosemu_spawn(computer, alt, strlen(alt), abuf, an, ebuf, en, child);
}

/* Replace my image with prog (same name rules as dosemu_spawnv).
 * Returns only on failure, with an errno. */
static inline int
dosemu_execv(const char *prog, char *const argv[])
{
  static char abuf[4096], ebuf[8192], alt[256];
  long an = dosemu_pack(abuf, sizeof abuf, argv);
  long en = dosemu_pack(ebuf, sizeof ebuf, environ);
  if (an < 0 || en < 0)
    return E2BIG;
  int e = dosemu_exec(prog, strlen(prog), abuf, an, ebuf, en);
  if (e != ENOENT)
    return e;
  size_t pl = strlen(prog);
  if (pl > 5 && strcmp(prog + pl - 5, ".wasm") == 0)
    snprintf(alt, sizeof alt, "%.*s", (int)(pl - 5), prog);
  else
    snprintf(alt, sizeof alt, "%s.wasm", prog);
  return dosemu_exec(alt, strlen(alt), abuf, an, ebuf, en);
}

/* Format gid as "c1:7" into buf (at least 24 bytes); returns buf. */
static inline char *
dosemu_gidstr(dosemu_gid_t gid, char *buf)
{
  snprintf(buf, 24, "c%d:%d", (int)DOSEMU_GID_COMPUTER(gid), (int)DOSEMU_GID_PID(gid));
  return buf;
}

/* Describe a wait status: "exit 3" or "signal 9". */
static inline char *
dosemu_statusstr(int32_t status, char *buf, size_t cap)
{
  if (DOSEMU_WIFCONTINUED(status))
    snprintf(buf, cap, "continued");
  else if (DOSEMU_WIFSTOPPED(status))
    snprintf(buf, cap, "stopped by signal %d", DOSEMU_WSTOPSIG(status));
  else if (DOSEMU_WIFSIGNALED(status))
    snprintf(buf, cap, "signal %d", DOSEMU_WTERMSIG(status));
  else
    snprintf(buf, cap, "exit %d", DOSEMU_WEXITSTATUS(status));
  return buf;
}

/* Virtual seconds since boot, from the WASI monotonic clock (which is
 * dosemu's virtual clock). */
static inline double
dosemu_seconds(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleep for ms virtual milliseconds (WASI poll_oneoff). */
static inline void
dosemu_sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, 0);
}

#endif
