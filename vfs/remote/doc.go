// Package remote is dosemu's remote file protocol: a server that exports
// one computer's local name space and a client that implements vfs.FS by
// forwarding every operation to that server over the emulated network
// (net.Host kernel calls), so every byte pays the fabric's latency and
// bandwidth in virtual time and suffers its losses and partitions.
//
// One Node per computer holds both ends: Node.Server answers other
// computers, Node.Local is the tracked view the computer's own processes
// use for their local files, and Node.Client(server, base) is a vfs.FS for
// the subtree base of another computer (the kernel mounts one at
// /net/<computer> for every computer, and more for --mount c2:/x=c0:/y).
//
// # How a blocking call waits
//
// vfs.FS is synchronous, but a guest's system call runs on the guest's
// goroutine while the event loop waits for it, so the network cannot make
// progress while the caller sits in a Go wait. Instead the client issues
// the request with Host.Call (which completes from a loop event) and then
// calls the computer's WaitFunc with a ready() that reports the reply has
// come. The kernel's WaitFunc is Process.Poll: the process blocks, its
// vCPU runs others, virtual time advances, the reply event sets the flag
// and calls Env.Wake (the cluster's Notify), the kernel re-checks ready()
// and resumes the process. Outside a process (tests, boot) LoopWait steps
// the event loop itself until the reply is in. A request made inside a
// slice is sent at the process's clock (Env.Now), not at the slice's start.
//
// If the wait is aborted (the process is being captured or killed) the
// call is abandoned and EINTR returned; the guest repeats the call when it
// resumes (restart semantics). A request already sent may have been
// applied; a reopened handle whose reply arrives late is closed at once.
//
// # Coherence (Sprite's rule, with write-through)
//
//   - A client may cache a file's blocks only while the server allows it.
//     The server keeps, per file (device, inode), who has it open: each
//     remote computer and the server's own processes count as one party
//     each. A file is write-shared while it is open by two or more parties
//     and at least one of them writes. An open that is not write-shared is
//     granted caching; one that makes the file write-shared revokes
//     caching from every other party (a "vfs.cb" call each) and is answered
//     only after they acknowledged or their callback timed out, so from the
//     moment the writer's open returns no other computer reads from its
//     cache. While write-shared every read and write goes to the server.
//   - Every change the server applies (a write, truncate or time change
//     through any party, or a host edit reported by fsnotify) gives the
//     file a new version from one server-wide counter. Cached blocks are
//     tagged with the version they were read at; every open returns the
//     current version and a client drops blocks of any other version.
//     So a file written and closed on one computer and opened afterwards
//     on another shows the new bytes (sequential write-sharing), and
//     concurrent write-sharing never shows stale data once the writer's
//     open has returned, let alone after its close.
//   - Writes are write-through: WriteAt returns only after the server
//     applied the bytes and answered, so an acknowledged write is never
//     lost when the client or the network fails afterwards.
//   - Grants and revocations carry a per-file sequence number, so a
//     callback overtaking an older open reply (jitter, reordering) cannot
//     resurrect a revoked grant.
//   - Metadata (Stat, ReadDir, Readlink) is never cached: each is one round
//     trip, as with NFS mounted with noac.
//
// A host edit of an open, cached file is pushed to caching clients when the
// server notices it: at its next request, or when the emulator calls
// Node.Pump between events (fsnotify runs on its own goroutine and may not
// touch the loop).
//
// # Faults
//
// Every request is a Host.Call with Options.Timeout per attempt and
// Options.Retries re-sends; the server runs a request once however often
// it arrives. A server that is down or partitioned away therefore gives
// ETIMEDOUT after (1+Retries)·Timeout of virtual time (3 s by default),
// never a hang. Close is sent without waiting (a process exiting must not
// block); a lost close only leaves the file counted as open, which can only
// disable caching, never serve stale bytes.
//
// # Traces
//
// The client emits one "vfs" event per remote operation: op, server,
// path, bytes, lat_ns (virtual time from request to reply), and for reads
// hits and misses (cache blocks); errors add errno. Cache hits that need
// no message are counted in the next read's event, not traced alone.
//
// # Security
//
// The server trusts nothing in a request: paths must be clean relative
// paths (no "..", no leading "/", no NUL, at most vfs.MaxPathLen), handles
// must belong to the computer that sends them, sizes and offsets are
// bounded. Symbolic links are resolved by the exported file system inside
// its own root, so nothing reached through /net leads out of a host mount.
// A subtree mount (c2:/shared=c0:/export) is a convenience, not a fence: an
// absolute symbolic link inside it resolves in c0's whole name space, which
// every computer can read through /net/c0 anyway.
//
// A server exports its computer's local name space (memory root, host
// mounts, /proc), not the remote mounts in it: a server's handlers run on
// the event loop and cannot wait for a third computer. So /net/c0/shared
// is c0's empty mount point when c0 mounts /shared from elsewhere.
//
// # Costs
//
// One round trip per metadata operation and per open/close; reads and
// writes move at most Options.Block bytes per message, all blocks of one
// call in flight at once, so a large sequential read runs at the link's
// bandwidth after one latency. Cache hits cost a map lookup and a copy.
package remote
