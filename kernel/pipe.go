package kernel

import (
	"fmt"

	"dosemu/kernel/fd"
	"dosemu/vfs"
)

// Pipes
//
// A pipe is a bounded byte buffer owned by the kernel of the computer
// that created it (its home). Each end is an fd.File: reads and writes
// never block in the File (they answer EAGAIN) and the WASI layer blocks
// the caller through Process.Poll on Readable/Writable, which the pipe
// re-arms by notifying the cluster whenever its state changes (data,
// space, an end closing).
//
// Semantics, as POSIX pipes: a read of an empty pipe waits while some
// writer is open and reports end of file (0 bytes) once none is; a write
// with no reader open fails with EPIPE; writes of up to PipeAtomic bytes
// are never split; longer ones may be partial (the caller writes the
// rest). An end shared by several fds (fork, spawn on the same computer)
// is one open file description: the pipe counts descriptions, not fds.
//
// An end held on another computer is a remote end (pipe_remote.go): it
// talks to the home kernel with kernel messages, so its bytes pay the
// fabric's latency and bandwidth.
//
// Costs: a read or write is one copy; a notification is one coalesced
// re-check of blocked processes per virtual instant.

// PipeCapacity is a pipe's buffer size, as Linux's default.
const PipeCapacity = 64 << 10

// PipeAtomic is the largest write that is never split (PIPE_BUF).
const PipeAtomic = 4096

// Pipe is the kernel object behind a pair of pipe ends. It lives on its
// home kernel and is used only from the event loop or a guest goroutine
// while the loop waits (doc/design.md).
type Pipe struct {
	k       *Kernel
	id      uint64
	buf     []byte // ring of PipeCapacity bytes
	head, n int    // first byte, bytes held
	readers int    // open read descriptions (local and remote)
	writers int

	// Ends on other computers waiting for data or space (pipe.ready).
	remote []remoteWaiter

	// Totals for tests and summaries.
	written, read uint64
}

// NewPipe creates a pipe on k and returns its read and write ends, each
// an fd.File holding one reference. Cost: one 64 KiB buffer.
func (k *Kernel) NewPipe() (r, w fd.File) {
	x := k.procExt()
	x.nextPipe++
	p := &Pipe{k: k, id: x.nextPipe, buf: make([]byte, PipeCapacity), readers: 1, writers: 1}
	return &pipeEnd{p: p}, &pipeEnd{p: p, write: true}
}

// ID names the pipe on its home computer ("c0|3"), for traces and errors.
func (p *Pipe) ID() string { return fmt.Sprintf("%s|%d", p.k.cfg.Name, p.id) }

// Buffered is the number of bytes in the pipe now.
func (p *Pipe) Buffered() int { return p.n }

// Ends reports the open read and write descriptions.
func (p *Pipe) Ends() (readers, writers int) { return p.readers, p.writers }

// free is the room left for writers. The ring may hold more than
// PipeCapacity after bytes came back from a closed reader (unread); it
// then takes no more until it is below capacity again.
func (p *Pipe) free() int { return max(PipeCapacity-p.n, 0) }

// readInto moves up to len(b) bytes out of the ring.
func (p *Pipe) readInto(b []byte) int {
	total := 0
	for len(b) > 0 && p.n > 0 {
		end := min(p.head+p.n, len(p.buf))
		c := copy(b, p.buf[p.head:end])
		p.head = (p.head + c) % len(p.buf)
		p.n -= c
		b = b[c:]
		total += c
	}
	if p.n == 0 {
		p.head = 0 // keeps later writes in one piece
		if len(p.buf) > PipeCapacity {
			p.buf = p.buf[:PipeCapacity] // the ring grew for an unread
		}
	}
	p.read += uint64(total)
	return total
}

// unread puts b, bytes a reader took from the pipe and will never
// deliver, back before everything the pipe holds, so the next reader gets
// them first and in their order. The ring grows if it must: the bytes
// were in the pipe before, and refusing them would lose them. Nothing
// happens when no reader is left (the bytes would be dropped at once).
// Cost: one copy of the bytes held and of b.
func (p *Pipe) unread(b []byte) {
	if len(b) == 0 || p.readers == 0 {
		return
	}
	held := make([]byte, len(b)+p.n)
	copy(held, b)
	for i, c := len(b), 0; c < p.n; {
		at := (p.head + c) % len(p.buf)
		m := copy(held[i:], p.buf[at:min(at+p.n-c, len(p.buf))])
		i += m
		c += m
	}
	if len(held) > len(p.buf) {
		p.buf = held
	} else {
		copy(p.buf, held)
	}
	wasEmpty := p.n == 0
	p.head, p.n = 0, len(held)
	p.read -= uint64(len(b))
	if wasEmpty {
		p.changed()
	}
}

// writeFrom appends up to free() bytes of b to the ring.
func (p *Pipe) writeFrom(b []byte) int {
	total := 0
	for len(b) > 0 && p.n < len(p.buf) {
		tail := (p.head + p.n) % len(p.buf)
		end := len(p.buf)
		if tail < p.head {
			end = p.head
		}
		c := copy(p.buf[tail:end], b)
		p.n += c
		b = b[c:]
		total += c
	}
	p.written += uint64(total)
	return total
}

// changed tells the cluster that the pipe's readiness may have changed,
// and gives waiting remote requests another look.
func (p *Pipe) changed() {
	p.tellRemote()
	p.k.notifyHook()
}

// canRead: data, or end of file.
func (p *Pipe) canRead() bool { return p.n > 0 || p.writers == 0 }

// canWrite: room for an atomic write, or no reader (EPIPE at once).
func (p *Pipe) canWrite() bool { return p.readers == 0 || p.free() >= PipeAtomic }

// read serves a read of b; 0, nil is end of file.
func (p *Pipe) readOp(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	if p.n == 0 {
		if p.writers == 0 {
			return 0, nil
		}
		return 0, vfs.EAGAIN
	}
	wasFull := p.free() < PipeAtomic
	n := p.readInto(b)
	if wasFull || p.n == 0 {
		p.changed()
	}
	return n, nil
}

// writeOp serves a write of b.
func (p *Pipe) writeOp(b []byte) (int, error) {
	if p.readers == 0 {
		return 0, vfs.EPIPE
	}
	if len(b) == 0 {
		return 0, nil
	}
	if f := p.free(); f == 0 || (len(b) <= PipeAtomic && f < len(b)) {
		return 0, vfs.EAGAIN
	}
	wasEmpty := p.n == 0
	n := p.writeFrom(b[:min(len(b), p.free())])
	if wasEmpty {
		p.changed()
	}
	return n, nil
}

// addEnd counts one more open description of an end (an end exported
// to another computer).
func (p *Pipe) addEnd(write bool) {
	if write {
		p.writers++
	} else {
		p.readers++
	}
}

// closeEnd drops one open description of an end.
func (p *Pipe) closeEnd(write bool) {
	defer func() {
		if p.readers == 0 && p.writers == 0 {
			delete(p.k.procExt().pipes, p.id)
		}
	}()
	if write {
		if p.writers > 0 {
			p.writers--
		}
		if p.writers == 0 {
			p.changed() // readers see end of file
		}
		return
	}
	if p.readers > 0 {
		p.readers--
	}
	if p.readers == 0 {
		p.n, p.head = 0, 0 // nobody can read it any more
		p.changed()        // writers see EPIPE
	}
}

// pipeEnd is one end of a pipe on its home computer.
type pipeEnd struct {
	fd.Base
	p      *Pipe
	write  bool
	closed bool
	hand   handover // what an end this one replaced (migration) left
}

var (
	_ fd.File      = (*pipeEnd)(nil)
	_ fd.Describer = (*pipeEnd)(nil)
)

func (e *pipeEnd) Type() vfs.FileType { return vfs.TypeUnknown }

func (e *pipeEnd) Read(b []byte) (int, error) {
	if e.write || e.closed {
		return 0, vfs.EBADF
	}
	if n, wait := e.hand.read(b); n > 0 || wait {
		if wait {
			return 0, vfs.EAGAIN
		}
		return n, nil
	}
	return e.p.readOp(b)
}

func (e *pipeEnd) Write(b []byte) (int, error) {
	if !e.write || e.closed {
		return 0, vfs.EBADF
	}
	if e.hand.draining() {
		return 0, vfs.EAGAIN
	}
	return e.p.writeOp(b)
}

func (e *pipeEnd) Stat() (vfs.Stat, error) {
	return vfs.Stat{Type: vfs.TypeUnknown, Nlink: 1, Ino: e.p.id, Size: uint64(e.p.n)}, nil
}

func (e *pipeEnd) Sync(bool) error { return nil }

func (e *pipeEnd) Readable() bool {
	return !e.write && (e.hand.readable() || (!e.hand.waiting() && e.p.canRead()))
}
func (e *pipeEnd) Writable() bool { return e.write && !e.hand.draining() && e.p.canWrite() }

// Close drops the end. A reader that a migration handed bytes it has not
// read gives them back to the pipe first, once those still on their way
// (a predecessor's read in flight) are back, so no other reader loses them.
func (e *pipeEnd) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	if e.write {
		e.p.closeEnd(true)
		return nil
	}
	e.hand.wait(func() {
		e.hand.settle()
		e.p.unread(e.hand.takeCarry())
		e.p.closeEnd(false)
	})
	return nil
}

// Describe implements fd.Describer: the pipe's home and id.
func (e *pipeEnd) Describe() fd.Record {
	return fd.Record{Kind: "pipe", Computer: e.p.k.cfg.Name, Path: e.p.ID(), Ino: e.p.id,
		Flags: e.FDFlags, Read: !e.write, Write: e.write}
}

// Pipe returns the pipe behind an end (for tests and migration).
func (e *pipeEnd) Pipe() *Pipe { return e.p }
