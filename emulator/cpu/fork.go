package cpu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// ErrForkCapture marks a Fork that failed while capturing the parent
// (the parent's state cannot be captured), as opposed to one that failed
// making the child.
var ErrForkCapture = errors.New("capturing the parent failed")

// ForkMode is how Fork gives the child its memory.
type ForkMode uint8

const (
	// ForkShared (the default) makes both memories copy-on-write views of
	// one image (see memory.go): a process's first fork writes its
	// non-zero memory into the image once, later forks of it only the
	// pages written since. Where memfd is unavailable it is ForkNonZero,
	// as stated once on standard error.
	ForkShared ForkMode = iota
	// ForkNonZero copies the parent's non-zero 4 KiB chunks into the
	// child's fresh memory.
	ForkNonZero
	// ForkCopyAll copies every byte of the parent's memory, as WASIX's
	// fork does: the baseline the others are measured against.
	ForkCopyAll
)

func (m ForkMode) String() string {
	switch m {
	case ForkShared:
		return "shared"
	case ForkNonZero:
		return "nonzero"
	case ForkCopyAll:
		return "copyall"
	}
	return fmt.Sprintf("ForkMode(%d)", uint8(m))
}

// Fork makes a copy of the stopped thread t as a new thread: a fresh
// instance of the same program in t's state (memory, globals, suspended
// frames, fuel), as Restore(Capture()) would, without the intermediate
// copy of the memory; the memory is shared copy-on-write (ForkShared). t
// stays usable: its next Run rewinds, as after Capture. cfg is as for
// Restore. Afterwards writes by either thread are invisible to the other.
//
// Cost: unwinding t if it is parked, one instantiation, the rewind in the
// child's first Run, and the memory's cost as ForkWith states it.
func (t *Thread) Fork(ctx context.Context, cfg ThreadConfig) (*Thread, error) {
	return t.ForkWith(ctx, cfg, ForkShared)
}

// ForkWith is Fork with the memory given to the child in the way mode
// says. Costs for the memory:
//   - ForkShared: see memory.go; t's and the child's later first touches
//     of each page fault (a read maps the shared page, a write copies it).
//   - ForkNonZero: a read of t's memory and a write of its non-zero 4 KiB
//     chunks into pages populated in batches (one system call per run of
//     non-zero chunks rather than a page fault per page).
//   - ForkCopyAll: a copy of all of t's memory.
func (t *Thread) ForkWith(ctx context.Context, cfg ThreadConfig, mode ForkMode) (*Thread, error) {
	if mode > ForkCopyAll {
		return nil, fmt.Errorf("cpu: fork %s: unknown fork mode %d", t.prog.name, uint8(mode))
	}
	c, err := t.capture(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrForkCapture, err)
	}
	src := c.Memory
	if mode == ForkShared && len(src) > 0 && t.ownsMemory(src) && cowOff() == nil {
		if img, err := t.mem.share(len(src)); err == nil {
			return t.forkShared(ctx, c, cfg, img)
		}
		// Sharing failed (out of mappings or file memory): a copy still
		// makes a correct child.
	}
	return t.prog.restore(ctx, c, cfg, func(_ *Thread, dst []byte, initLen int) {
		if mode == ForkCopyAll {
			copy(dst, src)
			return
		}
		copyNonZero(dst, src, initLen, t.mem.populated(src))
	})
}

// ownsMemory reports whether mem (t's linear memory) is the start of t's
// own reservation, as opposed to a memory the module imports.
func (t *Thread) ownsMemory(mem []byte) bool {
	return len(t.mem.buf) >= len(mem) && unsafe.SliceData(t.mem.buf) == unsafe.SliceData(mem)
}

// forkShared makes the child of a capture whose memory t has just shared
// as img (holding a reference for the child).
func (t *Thread) forkShared(ctx context.Context, c *Capture, cfg ThreadConfig, img *memImage) (*Thread, error) {
	n := len(c.Memory)
	// The child's memory is replaced wholesale by the mapping: nothing to
	// fill.
	child, err := t.prog.restore(ctx, c, cfg, func(*Thread, []byte, int) {})
	if err != nil {
		img.release()
		return nil, err
	}
	if !child.ownsMemory(child.mem.buf[:min(n, len(child.mem.buf))]) || child.MemorySize() != uint64(n) {
		img.release()
		_ = child.Close()
		return nil, fmt.Errorf("cpu: fork %s: the child's memory is not its own %d-byte reservation", t.prog.name, n)
	}
	if err := child.mem.adopt(img, n); err != nil {
		img.release()
		_ = child.Close()
		return nil, fmt.Errorf("cpu: fork %s: %w", t.prog.name, err)
	}
	return child, nil
}

// Unshare makes the thread's memory private anonymous memory, as a fresh
// thread's is, if a fork left it sharing pages copy-on-write; package
// paging's Detach, Install and Pager need that, so callers use Unshare on
// a stopped thread before handing its memory to them. Cost: nothing for
// a memory that shares nothing, else a copy of its non-zero 4 KiB chunks.
func (t *Thread) Unshare() error {
	if t.closed {
		return fmt.Errorf("cpu: unshare %s: %w", t.prog.name, ErrClosed)
	}
	if t.state == stRunning {
		return fmt.Errorf("cpu: unshare %s: thread is running", t.prog.name)
	}
	if err := t.mem.unshare(); err != nil {
		return fmt.Errorf("cpu: unshare %s: %w", t.prog.name, err)
	}
	return nil
}

// chunk is the unit of the zero test: the host's base page size, so a
// skipped chunk is a page the child never faults in.
const chunk = 4096

// copyNonZero makes dst equal to src (same length). dst is a fresh
// mapping: zero beyond dirty, and anything below it (data segments). A
// zero chunk of src is skipped when dst's is known or checked to be zero;
// runs of non-zero chunks are pre-faulted in one madvise call and copied.
func copyNonZero(dst, src []byte, dirty int, pop pageSet) {
	for off := 0; off < len(src); {
		start, end := nonZeroRun(src, off, pop)
		// The zero chunks before the run: dst may hold data there only
		// below dirty.
		for c := off; c < start && c < dirty; c += chunk {
			if e := min(c+chunk, start); !isZero(dst[c:e]) {
				clear(dst[c:e])
			}
		}
		if start == end {
			return
		}
		populate(dst[start:end])
		copy(dst[start:end], src[start:end])
		off = end
	}
}

// nonZeroRun finds the first non-zero chunk of src at or after off (a
// multiple of chunk) and the end of the run of non-zero chunks it begins:
// src[start:end] is that run, and start == end == len(src) when the rest
// of src is zero. Fork, capture and the fork image all move memory by
// these runs, so that zero pages are neither read twice nor written.
// Chunks pop does not hold are zero without being read (nil pop holds
// every chunk).
func nonZeroRun(src []byte, off int, pop pageSet) (start, end int) {
	n := len(src)
	for off < n && (!pop.has(off/chunk) || isZero(src[off:min(off+chunk, n)])) {
		off += chunk
	}
	if off >= n {
		return n, n
	}
	end = min(off+chunk, n)
	for end < n {
		e := min(end+chunk, n)
		if !pop.has(end/chunk) || isZero(src[end:e]) {
			break
		}
		end = e
	}
	return off, end
}

// pageSet is a set of a memory's chunks (4 KiB pages) by index, one bit
// each; the nil set holds every chunk.
type pageSet []uint64

func (s pageSet) has(i int) bool { return s == nil || s[i>>6]&(1<<(i&63)) != 0 }

// zeroChunk is compared against: bytes.Equal is the runtime's vectorized
// memequal, several times faster than a Go loop over words.
var zeroChunk [chunk]byte

// isZero reports whether b (at most chunk bytes) is all zero.
func isZero(b []byte) bool {
	return bytes.Equal(b, zeroChunk[:len(b)])
}

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14): fault the range
// in, writable, in one call.
const madvPopulateWrite = 23

// populate pre-faults b's pages so the copy that follows takes no page
// fault per page. It is only an optimization: on kernels without
// MADV_POPULATE_WRITE, or for memory not page aligned, the copy faults
// the pages in itself.
func populate(b []byte) {
	const page = 4096
	if len(b) < 2*page {
		return
	}
	start := uintptr(unsafe.Pointer(&b[0]))
	first := (start + page - 1) &^ (page - 1)
	last := (start + uintptr(len(b))) &^ (page - 1)
	if last <= first {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, first, last-first, madvPopulateWrite)
}
