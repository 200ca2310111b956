// Package wasi is dosemu's own implementation of wasi_snapshot_preview1,
// as host functions over kernel-owned state.
//
// wazero ships a WASI implementation, but it keeps a process's files, clocks
// and randomness inside wazero where the kernel cannot serialize or move
// them. Here every function reaches its process through the Proc interface
// (implemented by the kernel's process) and keeps nothing of its own: fds
// are in the process's fd.Table, time is virtual, randomness is the
// process's seeded stream. Capturing a process therefore captures its whole
// WASI state.
//
// Register installs the module in a wazero runtime once; the module is
// shared by every guest instance, and each call finds its caller through
// the Lookup given at registration.
//
// # Kernel-owned state
//
// Args, environment, the fd table (open file descriptions with their
// offsets and flags, rights, preopens with their guest paths), the clocks
// and the random stream all belong to the Proc. Files are named by their
// name space and path (fd.Record), so an open fd can be re-established on
// another computer; see package kernel/fd.
//
// # Errors
//
// Every function returns a WASI errno (vfs.Errno, numbered as the
// specification numbers them). File systems answer errnos directly; host
// errors from host mounts are mapped by vfs.ErrnoOf (ENOENT, EEXIST, EACCES,
// ... one to one; an escape refused by os.Root is ENOTCAPABLE; anything
// unrecognised is EIO). Rules particular to this layer:
//   - a guest pointer or length outside linear memory: EFAULT, checked
//     before anything changes (no partial side effects);
//   - an unknown fd: EBADF; reading or writing an fd without that right:
//     EBADF; lacking any other right: ENOTCAPABLE;
//   - a path that is absolute or climbs above its directory fd:
//     ENOTCAPABLE; a path operation on a non-directory fd: ENOTDIR;
//   - invalid flags, whence, clock ids or an empty subscription list:
//     EINVAL; a too-small prestat name buffer: ENAMETOOLONG;
//   - sock_* on an fd that is not a socket: ENOTSOCK; proc_raise: ENOSYS
//     (no signals in preview1, as other implementations answer);
//   - a blocking call interrupted because the thread is being captured or
//     killed: EINTR, which the guest never sees — the call is repeated
//     from the start when the process resumes.
//
// # Blocking and time
//
// fd_read, fd_write and sock_* on a blocking fd that is not ready, and
// poll_oneoff, block through Proc.Poll: the process sleeps in virtual time
// and is woken when the file's notify hook fires or the earliest clock
// subscription's deadline passes. Realtime is Proc.Epoch()+Proc.Now();
// CPU-time clock subscriptions are approximated as elapsed time (the
// process does not run while it waits).
//
// # Cost
//
// The trivial path (fd_write of nothing, clock_time_get) does one lookup,
// one Proc.Syscall and bounds checks, with no allocation; see
// BenchmarkTrivialSyscall. Path operations allocate the path string.
package wasi
