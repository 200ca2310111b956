package cpu

import (
	"context"
	"fmt"
)

// CaptureState is Capture without the copy of the linear memory: the
// result's Memory aliases the thread's live memory, so it stays valid (and
// unchanged) only while the thread is stopped and open. It is for callers
// that move the memory by other means, page by page or by remapping
// (migration), and need from the capture only the execution state and the
// memory's size. The thread stays usable, as after Capture.
//
// Cost: unwinding a parked thread (≈50 ns per saved value); flat in the
// memory's size.
func (t *Thread) CaptureState(ctx context.Context) (*Capture, error) {
	return t.capture(ctx, false)
}

// RestoreWith is Restore with the memory written by fill instead of
// copied from c.Memory, whose length only gives the size: fill gets the
// fresh instance's whole linear memory, already grown to len(c.Memory),
// whose first initLen bytes are what instantiation wrote (data segments)
// and the rest zero. fill may remap the memory's pages (its address and
// length are fixed) rather than write them. An error from fill closes
// the instance and is returned wrapped. fill is not called for a module
// without memory.
//
// Cost: one instantiation, what fill does, and the rewind in the first
// Run.
func (p *Program) RestoreWith(ctx context.Context, c *Capture, cfg ThreadConfig, fill func(dst []byte, initLen int) error) (*Thread, error) {
	var ferr error
	t, err := p.restore(ctx, c, cfg, func(t *Thread, dst []byte, initLen int) {
		t.mem.exposed = true // fill may remap
		ferr = fill(dst, initLen)
	})
	if err != nil {
		return nil, err
	}
	if ferr != nil {
		_ = t.Close()
		return nil, fmt.Errorf("cpu: restore %s: filling %d bytes of memory: %w", p.name, len(c.Memory), ferr)
	}
	return t, nil
}

// ExposeMemory returns the thread's whole linear memory (nil when it has
// none, or none yet) to a caller that moves or serves its pages by other
// means than writing them: package paging's mremap and userfaultfd. Those
// assume private anonymous memory, so a memory sharing pages
// copy-on-write with another (after a fork) is made private first, as
// Unshare does. From then on, releasing the thread empties its
// reservation with a fresh mapping, which also drops whatever
// registrations the caller left on the range (madvise, used for memories
// never exposed, would leave them). The thread must be stopped.
func (t *Thread) ExposeMemory() ([]byte, error) {
	if err := t.Unshare(); err != nil {
		return nil, err
	}
	m := t.mod.Memory()
	if m == nil || m.Size() == 0 {
		return nil, nil
	}
	b, ok := m.Read(0, m.Size())
	if !ok {
		return nil, fmt.Errorf("cpu: expose the memory of %s: reading %d bytes failed", t.prog.name, m.Size())
	}
	t.mem.exposed = true
	return b, nil
}
