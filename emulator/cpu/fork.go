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

// Fork makes a copy of the stopped thread t as a new thread: a fresh
// instance of the same program in t's state (memory, globals, suspended
// frames, fuel), as Restore(Capture()) would, but with one pass over the
// memory instead of two. The child's memory is written straight from t's
// live memory, which is stable because t is stopped and Fork runs on the
// goroutine that drives it. Pages that are zero in t are not touched in
// the child (its fresh mapping is already zero), so memory t never used
// costs the child nothing. t stays usable: its next Run rewinds, as after
// Capture. cfg is as for Restore.
//
// Cost: unwinding t if it is parked, one instantiation, a read of t's
// memory and a write of its non-zero 4 KiB chunks into pages populated in
// batches (one system call per run of non-zero chunks rather than a page
// fault per page), and the rewind in the child's first Run. Afterwards
// the two memories are independent: writes by either are invisible to
// the other.
func (t *Thread) Fork(ctx context.Context, cfg ThreadConfig) (*Thread, error) {
	c, err := t.capture(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrForkCapture, err)
	}
	src := c.Memory
	return t.prog.restore(ctx, c, cfg, func(dst []byte, initLen int) {
		copyNonZero(dst, src, initLen)
	})
}

// chunk is the unit of the zero test: the host's base page size, so a
// skipped chunk is a page the child never faults in.
const chunk = 4096

// copyNonZero makes dst equal to src (same length). dst is a fresh
// mapping: zero beyond dirty, and anything below it (data segments). A
// zero chunk of src is skipped when dst's is known or checked to be zero;
// runs of non-zero chunks are pre-faulted in one madvise call and copied.
func copyNonZero(dst, src []byte, dirty int) {
	n := len(src)
	for off := 0; off < n; {
		end := min(off+chunk, n)
		if isZero(src[off:end]) {
			if off < dirty && !isZero(dst[off:end]) {
				clear(dst[off:end])
			}
			off = end
			continue
		}
		// Extend the run of non-zero chunks.
		run := end
		for run < n {
			e := min(run+chunk, n)
			if isZero(src[run:e]) {
				break
			}
			run = e
		}
		populate(dst[off:run])
		copy(dst[off:run], src[off:run])
		off = run
	}
}

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
