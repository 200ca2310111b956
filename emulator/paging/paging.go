// Package paging holds guest memory outside the Go heap and moves it
// between owners page by page: the memory side of live migration.
//
// # Model
//
// A guest's linear memory lives in one fixed reservation of address space
// (the cpu package's allocator maps it once at the memory's maximum, so it
// never moves). Migration treats the first n bytes of such a reservation
// as a Region and works on it with three operations:
//
//   - Detach moves the region's pages out into a Pages mapping and leaves
//     the region's range mapped but empty. With cgo on Linux this is
//     mremap(MREMAP_DONTUNMAP): it moves page tables, not bytes, so its
//     cost is flat in the memory's size. Pages are plain anonymous
//     memory, readable by the fault-service thread without Go.
//   - Install moves a Pages mapping over the region (mremap MREMAP_FIXED):
//     the guest then runs on exactly the bytes that were put there, so a
//     page a transfer forgot shows up as wrong guest output, not as a
//     silently shared page.
//   - NewPager serves first touches of an empty region from a Pages source
//     (post-copy): a Linux userfaultfd registered on the region, served by
//     a C thread the Go scheduler does not own (a goroutine would deadlock:
//     a faulting guest keeps its P, and a stop-the-world parks the
//     handler). Each first touch fetches FetchSize bytes around the fault;
//     Push installs larger runs in the background; presence is tracked per
//     PageSize page.
//
// Where userfaultfd cannot be had (no cgo, not Linux, no permission), a
// Pager copies everything at once (Eager) and the package says so once on
// standard error.
//
// # Determinism
//
// A page becomes present either by Push (called by the kernel at a virtual
// time of its choosing) or by the first guest touch of a missing page. The
// guest's execution is deterministic and so is the presence set at the start
// of each run, hence Stats.Fetches and Stats.FetchedPages are deterministic
// too; Stats.Faults (fault messages, including the repeats of a fault
// interrupted by a signal) is host-dependent and must stay out of traces.
//
// # Concurrency
//
// A Pager's methods are for one goroutine (the kernel's event loop); the
// fault-service thread shares only the presence map and the counters, under
// its own lock.
//
// # Accounting
//
// Live counts the package's objects that hold host resources (mappings,
// fault-service threads, userfaultfds) and have not been released yet;
// Settle waits for the releases handed to other goroutines (FreeLater,
// CloseLater). A caller that owns its objects' whole life can assert that
// the counts come back to where they started, which catches a staging
// image, a pager or a tracker that nobody closed.
package paging

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// PageSize is the granularity of presence tracking: the host page.
const PageSize = 4096

// FetchSize is what one demand fault fetches: measured here, a 64 KiB
// fault costs about 2-3 times a 4 KiB one, so fetching the neighbourhood
// of a touch is cheaper than faulting on each of its pages.
const FetchSize = 64 << 10

// PushSize is the default run for background pushes (between 256 KiB and
// 2 MiB amortizes the per-copy system call without delaying a fault much).
const PushSize = 1 << 20

// Mode is how a Pager fills its region.
type Mode uint8

const (
	// Demand: pages arrive on first touch (userfaultfd) or by Push.
	Demand Mode = iota + 1
	// Eager: every page was copied when the Pager was made.
	Eager
)

func (m Mode) String() string {
	switch m {
	case Demand:
		return "demand"
	case Eager:
		return "eager"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Stats count a Pager's work.
type Stats struct {
	// Fetches is the number of demand fetches: first touches of a missing
	// page. Deterministic.
	Fetches uint64
	// FetchedPages is the pages installed by demand fetches. Deterministic.
	FetchedPages uint64
	// PushedPages is the pages installed by Push (or by the eager copy).
	PushedPages uint64
	// Faults is the fault messages read, repeats included: host-dependent.
	Faults uint64
	// Wakes is the faults answered by a wake alone (the page was already
	// there: a repeated fault or EEXIST). Host-dependent.
	Wakes uint64
}

// ErrBadArgs wraps errors about sizes and offsets.
var ErrBadArgs = errors.New("paging: bad arguments")

// ErrNoTracking wraps NewTracker's failures: the host cannot track writes
// (no cgo, not Linux, a kernel older than 6.7, or no permission). Callers
// fall back to comparing pages.
var ErrNoTracking = errors.New("paging: write tracking unavailable")

// ErrUntracked wraps Tracker.Scan's report that the region was remapped
// under the tracker, so the scan cannot be trusted.
var ErrUntracked = errors.New("paging: region remapped since tracking began")

func checkLen(what string, n int) error {
	if n <= 0 || n%PageSize != 0 {
		return fmt.Errorf("%w: %s of %d bytes: want a positive multiple of %d", ErrBadArgs, what, n, PageSize)
	}
	return nil
}

var warnOnce sync.Once

// warnEager tells the user once per host process that demand paging is
// off, with the reason. It writes to stderr rather than a trace because
// the trace must not depend on the host.
func warnEager(why error) {
	warnOnce.Do(func() {
		fmt.Fprintf(os.Stderr, "dosemu: userfaultfd unavailable (%v): post-copy migration copies memory eagerly\n", why)
	})
}

// RegionOf checks that mem (a guest's linear memory as a slice of its
// reservation) can be detached and installed over: page aligned start and
// length. It returns mem unchanged.
func RegionOf(mem []byte) ([]byte, error) {
	if len(mem) == 0 {
		return nil, fmt.Errorf("%w: empty memory", ErrBadArgs)
	}
	if err := checkLen("memory", len(mem)); err != nil {
		return nil, err
	}
	if addrOf(mem)%PageSize != 0 {
		return nil, fmt.Errorf("%w: memory at %#x is not page aligned (not allocated by the paged allocator?)", ErrBadArgs, addrOf(mem))
	}
	return mem, nil
}

// Counts are the package's objects not yet released, by kind.
type Counts struct {
	// Pages is the Pages mappings not yet freed or installed (a Pager's
	// source counts here until the Pager closes).
	Pages int64
	// Pagers is the Pagers not yet closed.
	Pagers int64
	// Trackers is the Trackers not yet closed.
	Trackers int64
}

func (c Counts) String() string {
	return fmt.Sprintf("%d pages, %d pagers, %d trackers", c.Pages, c.Pagers, c.Trackers)
}

// live holds the counters behind Live; bg the releases in flight on other
// goroutines. Cost: one atomic add per object made or released.
var live struct {
	pages, pagers, trackers atomic.Int64
	bg                      sync.WaitGroup
}

// Live returns the objects this process holds now. A release handed to
// another goroutine (FreeLater, CloseLater) counts until it has happened:
// call Settle first for a count that does not depend on host timing.
func Live() Counts {
	return Counts{Pages: live.pages.Load(), Pagers: live.pagers.Load(), Trackers: live.trackers.Load()}
}

// Settle waits until every release started by FreeLater or CloseLater
// has finished. Cost: the slowest of them (an unmap of a large image is
// ~40 ns per resident page).
func Settle() { live.bg.Wait() }

// later runs a release on another goroutine, visible to Settle.
func later(f func()) {
	live.bg.Add(1)
	go func() {
		defer live.bg.Done()
		f()
	}()
}
