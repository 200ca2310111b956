// Package net is dosemu's emulated network: a deterministic packet fabric
// between the cluster's computers, kernel-to-kernel messaging on it, guest
// sockets (datagrams and a small TCP) addressed by (computer, port), and
// the cluster-wide name service.
//
// Everything runs on the cluster's vtime.Loop, single-threaded, and draws
// every random choice from the cluster seed; host time never enters.
//
// # The fabric model
//
// Computers are 0..N-1, named c0, c1, .... Every ordered pair (a, b) is a
// unidirectional link with its own LinkParams: latency L, bandwidth B
// (bytes/s), jitter J, loss, duplication and reordering probabilities, a
// reorder delay R, a transmit-queue bound Q, and a cut flag. A packet of s
// bytes (headers included: SegHeader, DgramHeader, KernelHeader) sent at
// virtual time t on a link last busy until u is
//
//	dropped            if the link is cut or either computer is down ("partition", "computer down"),
//	                   with probability loss ("loss"),
//	                   if the bytes waiting for the link plus s exceed Q ("queue overflow");
//	serialized         from start = max(t, u) to end = start + ceil(s·1e9/B) ns (FIFO per link);
//	delivered at       end + L + U[0,J] (+ U[0,R] with probability reorder);
//	delivered again at end + L + U'[0,J] with probability dup.
//
// So with no faults and an idle link a packet arrives at exactly
// t + L + ceil(s·1e9/B). A cut also drops packets in flight when they
// arrive. Each link draws six numbers per packet from its own stream
// vtime.Rand(seed, "net:ca->cb") whatever effects are enabled, so the same
// seed gives the same losses, and changing one link or one effect does not
// shift what another link or effect draws. Packets to one's own computer
// (loopback) skip the links and faults and arrive at once.
//
// Parameters are set by Config (Go, or YAML via ParseConfig) and changed
// while running by a fault plan (ParsePlan, Fabric.Schedule; e.g. "at 2s
// cut c0|c1, at 5s heal") or directly (Cut, Heal, Partition, SetLinks,
// SetDown).
//
// Trace events (trace.Event kinds): "send" (to, proto, what, bytes, pkt,
// arrive), "deliver" (from, ...), "dup", "drop" (reason: loss, partition,
// no-listener, queue overflow, computer down), "partition" / "heal" (a, b),
// "link" (a parameter change), "computer-down" / "computer-up", and for
// sockets "listen", "connect", "established", "sock-end", "sock-timeout",
// and "name" (op register/unregister/update).
//
// # Kernel-to-kernel messaging
//
// Host.Post sends a one-way typed Message; Host.Call sends a request and
// completes with the reply, the handler's errno, ENOTSUP (no handler), or
// ETIMEDOUT after 1+Retries attempts of Timeout each. The server runs a
// request once however often it arrives (a duplicate or a retry is
// answered from a bounded cache), so retries are safe. Kernel messages
// share the links with guest traffic and suffer the same faults.
//
// # Sockets
//
// Sockets live on a Host and are addressed by Addr{Computer, Port}. All
// calls are non-blocking and return WASI errnos (type Errno): EAGAIN where
// POSIX would block, EINPROGRESS from a stream Connect. The kernel wraps
// them into blocking calls by waiting for Readiness to change; a socket's
// notify callback (SetNotify) runs as its own loop event whenever it may
// have. Port 0 binds the next free port from EphemeralFirst up,
// deterministically. Datagram sockets are unreliable (they see loss, dups
// and reordering), carry at most MaxDatagram bytes (EMSGSIZE beyond), and
// queue at most DgramQueueBytes unread.
//
// # TCP-lite
//
// Stream sockets give a reliable, ordered byte stream over the lossy
// fabric:
//   - Setup: SYN, SYN-ACK, ACK, each retransmitted on timeout. A SYN to a
//     port with no listener is answered by RST, so connect fails with
//     ECONNREFUSED. A listener's backlog bounds unaccepted connections;
//     SYNs beyond it are ignored and the client retries.
//   - Sequence numbers are 64 bits and never wrap; the initial ones come
//     from the per-computer stream vtime.Rand(seed, "net:cN:iss").
//   - The receiver acknowledges every segment at once (cumulative ACKs),
//     buffers out-of-order segments inside its window, trims and discards
//     duplicates, and advertises window = RcvBuf − unread bytes. Reads that
//     reopen the window by 2·MSS (or from below one MSS) send an update.
//   - The sender keeps at most min(peer window, SndBuf) bytes in flight, in
//     MSS-sized segments. Retransmission timeout: Jacobson/Karels
//     (SRTT + 4·RTTVAR, clamped to [MinRTO, MaxRTO]; InitialRTO before a
//     sample; Karn's rule), doubled on each timeout. On a timeout or three
//     duplicate ACKs it resends the oldest unacknowledged segment and, until
//     everything sent before then is acknowledged, resends the next hole on
//     each partial ACK (NewReno-style). A closed peer window is probed one
//     byte at a time on the same timer. There is no congestion window: the
//     fabric's FIFO queues model the bottleneck.
//   - Bound: after MaxRetries consecutive timeouts with nothing at all
//     heard from the peer, the connection fails with ETIMEDOUT (RST sent),
//     so no call waits forever (DefaultTCP: about 16 s of virtual time).
//     Any segment from the peer resets the count, so a healed partition
//     resumes the stream without loss.
//   - FIN after the queued data on Shutdown(ShutWR) or Close; the reader
//     sees EOF after the last byte. Close with unread data sends RST (the
//     peer gets ECONNRESET). The active closer lingers TimeWait to re-ACK a
//     lost final FIN; a closed socket waits at most FinWait2 for the peer's.
//
// Socket state is kept in plain structs (DgramState, StreamState) so it
// can be serialized for checkpoint and migration.
//
// # Name service
//
// Names maps a name to an Addr cluster-wide: Register (EEXIST if taken),
// Lookup, Wait (called back when the name appears), Unregister,
// UnregisterOwner (a process exited), and Update/Repoint so lookups follow
// a migrated process.
//
// # Determinism
//
// Given the seed, the configuration and the sequence of calls made at each
// virtual time, everything this package does — delays, drops, duplicates,
// ports, sequence numbers, traces — is identical from run to run. Costs:
// a Send is O(log events) plus six random draws; no map is iterated where
// its order could reach an output.
package net
