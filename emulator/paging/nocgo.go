//go:build !(linux && cgo)

package paging

import (
	"errors"
	"fmt"
	"unsafe"
)

// Without cgo on Linux there is no thread outside the Go scheduler to
// serve faults, and no mremap: memory moves by copying.

func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// Pages is memory in transit (here: a Go slice).
type Pages struct{ b []byte }

// NewPages allocates n bytes of zeroed pages.
func NewPages(n int) (*Pages, error) {
	if err := checkLen("pages", n); err != nil {
		return nil, err
	}
	live.pages.Add(1)
	return &Pages{b: make([]byte, n)}, nil
}

// Bytes is the contents.
func (p *Pages) Bytes() []byte {
	if p == nil {
		return nil
	}
	return p.b
}

// Len is the size in bytes.
func (p *Pages) Len() int {
	if p == nil {
		return 0
	}
	return len(p.b)
}

// FreeLater drops the pages (the collector reclaims them).
func (p *Pages) FreeLater() { _ = p.Free() }

// Free drops the pages.
func (p *Pages) Free() error {
	if p != nil && p.b != nil {
		p.b = nil
		live.pages.Add(-1)
	}
	return nil
}

// Detach copies region out and zeroes it. Cost: two passes over the bytes.
func Detach(region []byte) (*Pages, error) {
	if _, err := RegionOf(region); err != nil {
		return nil, err
	}
	p := &Pages{b: append([]byte(nil), region...)}
	live.pages.Add(1)
	clear(region)
	return p, nil
}

// Install copies p over region and frees p.
func Install(region []byte, p *Pages) error {
	defer p.Free()
	if _, err := RegionOf(region); err != nil {
		return err
	}
	if p.Len() != len(region) {
		return fmt.Errorf("%w: installing %d bytes of pages over a %d-byte region", ErrBadArgs, p.Len(), len(region))
	}
	copy(region, p.b)
	return nil
}

var errNoUffd = errors.New("this build has no cgo on Linux, which serving faults needs")

// Available reports why demand paging is not available in this build.
func Available() error { return errNoUffd }

// Options tune a Pager.
type Options struct {
	Fetch      int
	ForceEager bool
}

// Pager fills a region eagerly in this build.
type Pager struct {
	src    *Pages
	npages int
	st     Stats
}

// NewPager copies src into region at once (Mode Eager).
func NewPager(region []byte, src *Pages, opt Options) (*Pager, error) {
	if _, err := RegionOf(region); err != nil {
		return nil, err
	}
	if src.Len() != len(region) {
		return nil, fmt.Errorf("%w: source of %d bytes for a %d-byte region", ErrBadArgs, src.Len(), len(region))
	}
	if opt.Fetch != 0 {
		if err := checkLen("fetch", opt.Fetch); err != nil {
			return nil, err
		}
	}
	if !opt.ForceEager {
		warnEager(errNoUffd)
	}
	copy(region, src.b)
	n := len(region) / PageSize
	live.pagers.Add(1)
	return &Pager{src: src, npages: n, st: Stats{PushedPages: uint64(n)}}, nil
}

// Mode is always Eager here.
func (pg *Pager) Mode() Mode { return Eager }

// Pages is the region's size in pages.
func (pg *Pager) Pages() int { return pg.npages }

// Push has nothing to do: everything is present.
func (pg *Pager) Push(off, n int) (int, error) {
	if off < 0 || n < 0 || off%PageSize != 0 {
		return 0, fmt.Errorf("%w: push of %d bytes at %d", ErrBadArgs, n, off)
	}
	return 0, nil
}

// Present reports whether page i exists.
func (pg *Pager) Present(i int) bool { return i >= 0 && i < pg.npages }

// Missing is always 0.
func (pg *Pager) Missing() int { return 0 }

// Stats returns the counters.
func (pg *Pager) Stats() Stats { return pg.st }

// Err is always nil.
func (pg *Pager) Err() error { return nil }

// Drop is Close: every page is present already.
func (pg *Pager) Drop() error { return pg.Close() }

// Close frees the source. Idempotent.
func (pg *Pager) Close() error {
	if pg.src == nil {
		return nil
	}
	err := pg.src.Free()
	pg.src = nil
	live.pagers.Add(-1)
	return err
}

// Tracker is unavailable without cgo on Linux.
type Tracker struct{}

// NewTracker always fails here (ErrNoTracking).
func NewTracker(region []byte) (*Tracker, error) {
	if _, err := RegionOf(region); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: needs cgo on Linux", ErrNoTracking)
}

// Len is 0.
func (t *Tracker) Len() int { return 0 }

// Scan fails: there is nothing to scan.
func (t *Tracker) Scan(func(off, n int)) error {
	return fmt.Errorf("%w: needs cgo on Linux", ErrNoTracking)
}

// CloseLater does nothing.
func (t *Tracker) CloseLater() {}

// Close does nothing.
func (t *Tracker) Close() error { return nil }
