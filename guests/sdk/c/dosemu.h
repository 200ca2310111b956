/*
 * dosemu.h — the "dosemu" host module: what WASI preview1 lacks.
 *
 * This header is the ABI's source of truth; the Go package
 * dosemu/guests/sdk/go/dosemu mirrors it. Conventions, as in WASI:
 *   - every function returns an errno (0 = success; values are WASI's
 *     __WASI_ERRNO_*), results go through out-pointers;
 *   - a global process id (gid) is an int64: (computer index << 32) | pid,
 *     printed as "c<computer>:<pid>";
 *   - strings are (pointer, length), not NUL-terminated;
 *   - argv and env lists are packed: each item followed by a NUL byte.
 *   - computer index -1 means "the computer I am on".
 */
#ifndef DOSEMU_H
#define DOSEMU_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DOSEMU_IMPORT(name) __attribute__((import_module("dosemu"), import_name(name)))

typedef int64_t dosemu_gid_t;

#define DOSEMU_GID(computer, pid) ((((int64_t)(computer)) << 32) | (uint32_t)(pid))
#define DOSEMU_GID_COMPUTER(gid) ((int32_t)((gid) >> 32))
#define DOSEMU_GID_PID(gid) ((int32_t)((gid) & 0xffffffff))

/* ---- identity and the cluster ---- */

/* My global id. */
DOSEMU_IMPORT("self") int32_t dosemu_self(dosemu_gid_t *gid);
/* Number of computers in the cluster, and the index of mine. */
DOSEMU_IMPORT("computers") int32_t dosemu_computers(int32_t *count, int32_t *mine);
/* Name of computer idx ("c0", ...), written to buf; *len gets its length.
 * If buf_len is too small, *len still gets the length and the call
 * returns ERANGE without writing buf. */
DOSEMU_IMPORT("computer_name") int32_t dosemu_computer_name(int32_t idx, char *buf, size_t buf_len, size_t *len);
/* Virtual nanoseconds since boot (same clock as WASI's monotonic clock). */
DOSEMU_IMPORT("now") int32_t dosemu_now(int64_t *ns);

/* ---- processes ---- */

/* Start program `path` (a path in the caller's file system, or the name of
 * a program given to `dosemu boot`) as a child on computer `computer`, with
 * packed argv (argv[0] included) and env. The child has its own stdin,
 * stdout and stderr, except that it inherits my fds 0-2 that are pipe
 * ends; an env entry "DOSEMU_FDS=0:5,1:7" instead gives it my fd 5 as its
 * stdin and my fd 7 as its stdout (child fds 0-2 only; the entry is
 * removed from its environment). Pipes work across computers; other
 * files only on mine (EXDEV). */
DOSEMU_IMPORT("spawn") int32_t dosemu_spawn(int32_t computer, const char *path, size_t path_len,
                                            const char *argv, size_t argv_len,
                                            const char *env, size_t env_len, dosemu_gid_t *child);
/* Wait for child `gid` (-1: any child) to end, as waitpid does. options:
 * DOSEMU_WNOHANG (do not block), DOSEMU_WUNTRACED (also report a child
 * that stopped), DOSEMU_WCONTINUED (also report a stopped child that was
 * continued); each stop or continue is reported once, and such a child is
 * not reaped. *status gets the wait status, encoded as on Linux: exit
 * code << 8, or the terminating signal in the low 7 bits, or
 * SIGSTOP << 8 | 0x7f for a stop, or 0xffff for a continue. Returns ECHILD
 * if there is no such child, EINVAL for unknown options, and with WNOHANG,
 * 0 with *waited = 0 if no child has anything to report yet. */
#define DOSEMU_WNOHANG 1
#define DOSEMU_WUNTRACED 2
#define DOSEMU_WCONTINUED 8
DOSEMU_IMPORT("wait") int32_t dosemu_wait(dosemu_gid_t gid, int32_t options, dosemu_gid_t *waited, int32_t *status);
#define DOSEMU_WIFEXITED(s) (((s) & 0x7f) == 0)
#define DOSEMU_WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define DOSEMU_WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define DOSEMU_WTERMSIG(s) ((s) & 0x7f)
#define DOSEMU_WIFSTOPPED(s) (((s) & 0xff) == 0x7f)
#define DOSEMU_WSTOPSIG(s) (((s) >> 8) & 0xff)
#define DOSEMU_WIFCONTINUED(s) ((s) == 0xffff)
/* My parent's global id (0 for init). */
DOSEMU_IMPORT("parent") int32_t dosemu_parent(dosemu_gid_t *gid);
/* fork: *child gets the child's gid in the parent and 0 in the child. */
DOSEMU_IMPORT("fork") int32_t dosemu_fork(dosemu_gid_t *child);
/* Replace my program image; does not return on success. */
DOSEMU_IMPORT("exec") int32_t dosemu_exec(const char *path, size_t path_len, const char *argv, size_t argv_len,
                                          const char *env, size_t env_len);
/* Signals. */
#define DOSEMU_SIGINT 2
#define DOSEMU_SIGKILL 9
#define DOSEMU_SIGTERM 15
#define DOSEMU_SIGCHLD 17
#define DOSEMU_SIGCONT 18
#define DOSEMU_SIGSTOP 19
DOSEMU_IMPORT("kill") int32_t dosemu_kill(dosemu_gid_t gid, int32_t sig);
/* Register handler (an index into the guest's function table, i.e. a C
 * function pointer of type void(int)), DOSEMU_SIG_DFL for the default
 * action, DOSEMU_SIG_IGN to ignore. (Ignore is not 1: wasm-ld puts the
 * first address-taken function at table index 1.) EINVAL for SIGKILL,
 * SIGSTOP, an unknown signal, or a handler that is not a void(int)
 * function of the table. Handlers run when the process next makes a
 * system call or waits in one. */
#define DOSEMU_SIG_DFL 0u
#define DOSEMU_SIG_IGN 0xffffffffu
DOSEMU_IMPORT("signal") int32_t dosemu_signal(int32_t sig, uint32_t handler);
/* A pipe: fds[0] reads, fds[1] writes. */
DOSEMU_IMPORT("pipe") int32_t dosemu_pipe(int32_t fds[2]);
/* Mark fd close-on-exec (1) or not (0). */
DOSEMU_IMPORT("cloexec") int32_t dosemu_cloexec(int32_t fd, int32_t on);
/* Move me to another computer. */
#define DOSEMU_MIGRATE_STOPCOPY 0
#define DOSEMU_MIGRATE_PRECOPY 1
#define DOSEMU_MIGRATE_POSTCOPY 2
DOSEMU_IMPORT("migrate") int32_t dosemu_migrate(int32_t computer, int32_t mode);

/* ---- network: sockets addressed by (computer, port) ---- */

#define DOSEMU_SOCK_DGRAM 1
#define DOSEMU_SOCK_STREAM 2
DOSEMU_IMPORT("socket") int32_t dosemu_socket(int32_t type, int32_t *fd);
/* port 0 picks a free port. */
DOSEMU_IMPORT("bind") int32_t dosemu_bind(int32_t fd, int32_t computer, int32_t port);
DOSEMU_IMPORT("listen") int32_t dosemu_listen(int32_t fd, int32_t backlog);
DOSEMU_IMPORT("connect") int32_t dosemu_connect(int32_t fd, int32_t computer, int32_t port);
/* Accept: WASI's sock_accept works too; this one also returns the peer. */
DOSEMU_IMPORT("accept") int32_t dosemu_accept(int32_t fd, int32_t *conn, int32_t *computer, int32_t *port);
DOSEMU_IMPORT("sendto") int32_t dosemu_sendto(int32_t fd, const void *buf, size_t len, int32_t computer,
                                              int32_t port, size_t *sent);
DOSEMU_IMPORT("recvfrom") int32_t dosemu_recvfrom(int32_t fd, void *buf, size_t len, size_t *got,
                                                  int32_t *computer, int32_t *port);
/* The address a socket is bound to. */
DOSEMU_IMPORT("sockname") int32_t dosemu_sockname(int32_t fd, int32_t *computer, int32_t *port);

/* ---- the name service ---- */

/* Register `name` for the socket fd's address (cluster-wide; EEXIST if taken). */
DOSEMU_IMPORT("name_register") int32_t dosemu_name_register(const char *name, size_t name_len, int32_t fd);
/* Look up `name`: ENOENT if it is not registered, or, when wait != 0,
 * block until it is. */
DOSEMU_IMPORT("name_lookup") int32_t dosemu_name_lookup(const char *name, size_t name_len, int32_t wait,
                                                        int32_t *computer, int32_t *port);

#ifdef __cplusplus
}
#endif
#endif
