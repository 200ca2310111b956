package wasm

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Split divides items 0..n-1 (typically a module's functions) into
// contiguous ranges of about equal cost and runs work on them over up to
// GOMAXPROCS goroutines. Everything it guarantees is about determinism:
//
//   - every item is in exactly one range, no range is empty (no item:
//     no range, and work is not called), ranges are handed out in
//     ascending order, and each runs start to end on one goroutine, so
//     work may keep state across the items of a range and per-worker
//     scratch (indexed by w) is never shared;
//   - Run's error is the one of the lowest failing range, which is the
//     error a sequential loop over the items would have stopped at
//     (provided work stops at a range's first failing item), whatever
//     the scheduling; ranges above a known failure are skipped.
//
// Work must write only to places owned by its items (e.g. slot i of an
// output slice); anything order-dependent belongs in a pass before or
// after Run. A small job (total cost below the minimum given to NewSplit)
// or GOMAXPROCS 1 runs as one range on the caller's goroutine, so tiny
// modules pay nothing for the machinery.
type Split struct {
	// Workers is the number of goroutines Run uses (at least 1): the
	// size of any per-worker scratch the caller keeps.
	Workers int
	bounds  []int // range r is [bounds[r], bounds[r+1])
}

// rangesPerWorker is how many ranges each worker gets on average: more
// ranges even out functions of very different sizes (one Go function can
// be a tenth of a module) at the price of one more hand-out each.
const rangesPerWorker = 8

// NewSplit plans the ranges for n items whose cost (any unit, e.g. bytes
// or instructions) cost(i) returns. Below minCost in total, or with
// GOMAXPROCS 1, it plans one range and one worker. Cost: O(n) calls of
// cost.
func NewSplit(n int, cost func(i int) int, minCost int) Split {
	if n <= 0 {
		return Split{Workers: 1, bounds: []int{0}}
	}
	procs := runtime.GOMAXPROCS(0)
	if n == 1 || procs <= 1 {
		return Split{Workers: 1, bounds: []int{0, n}}
	}
	total := 0
	for i := 0; i < n; i++ {
		total += max(cost(i), 1)
	}
	if total < minCost {
		return Split{Workers: 1, bounds: []int{0, n}}
	}
	want := procs * rangesPerWorker
	per := max(total/want, 1)
	bounds := make([]int, 1, want+2)
	acc := 0
	for i := 0; i < n; i++ {
		acc += max(cost(i), 1)
		if acc >= per && i+1 < n {
			bounds = append(bounds, i+1)
			acc = 0
		}
	}
	bounds = append(bounds, n)
	return Split{Workers: min(procs, len(bounds)-1), bounds: bounds}
}

// Ranges is the number of ranges planned.
func (s Split) Ranges() int { return len(s.bounds) - 1 }

// Run calls work(w, lo, hi) once for every planned range [lo, hi), with w
// in [0, Workers) naming the goroutine that runs it, and returns the
// error of the lowest failing range (nil if none failed). It returns when
// every started call has returned.
func (s Split) Run(work func(w, lo, hi int) error) error {
	nr := s.Ranges()
	if nr <= 0 {
		return nil
	}
	if s.Workers <= 1 {
		for r := 0; r < nr; r++ {
			if err := work(0, s.bounds[r], s.bounds[r+1]); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, nr)
	var next atomic.Int64
	var firstBad atomic.Int64 // lowest failing range so far
	firstBad.Store(int64(nr))
	var wg sync.WaitGroup
	for w := 0; w < s.Workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				r := int(next.Add(1) - 1)
				if r >= nr || int64(r) > firstBad.Load() {
					return
				}
				if err := work(w, s.bounds[r], s.bounds[r+1]); err != nil {
					errs[r] = err
					for {
						cur := firstBad.Load()
						if int64(r) >= cur || firstBad.CompareAndSwap(cur, int64(r)) {
							break
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	if r := firstBad.Load(); r < int64(nr) {
		return errs[r]
	}
	return nil
}

// minParallelInstrs is the number of body instructions below which
// Decode, Validate and Encode handle the bodies on the calling goroutine.
// Tests lower it to run the parallel paths on small modules.
var minParallelInstrs = 1 << 15
