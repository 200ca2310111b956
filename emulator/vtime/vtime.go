// Package vtime is dosemu's virtual clock and discrete-event loop.
//
// Everything that happens in a dosemu cluster — a CPU slice, a packet's
// arrival, a timer firing, a page transfer — is an event scheduled at a
// virtual time. The loop runs events strictly in (time, sequence) order,
// where sequence is the order in which they were scheduled, so two runs
// that schedule the same events in the same order run identically no matter
// how fast or loaded the host is. Host time never enters.
//
// The loop is single-threaded: Run, Step, At and After must be called from
// the goroutine that drives the loop (or from code it calls). Guest
// goroutines only touch the loop while the driver is blocked waiting for
// them, which makes that a happens-before hand-off, not a data race.
package vtime

import (
	"container/heap"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// Time is an instant of virtual time, in nanoseconds since boot.
type Time int64

// Duration is a span of virtual time in nanoseconds. It converts to and
// from time.Duration freely: both count nanoseconds.
type Duration = time.Duration

// Add returns t+d.
func (t Time) Add(d Duration) Time { return t + Time(d) }

// Sub returns t-u.
func (t Time) Sub(u Time) Duration { return Duration(t - u) }

// String prints the time as seconds with nanosecond precision, e.g. "1.000250000s".
func (t Time) String() string {
	return fmt.Sprintf("%d.%09ds", int64(t)/1e9, int64(t)%1e9)
}

// Event is a scheduled callback. Cancel removes it if it has not run.
type Event struct {
	at    Time
	seq   uint64
	fn    func()
	index int // in the heap; -1 once run or cancelled
}

// At returns when the event is (or was) due.
func (e *Event) At() Time { return e.at }

// Pending reports whether the event is still waiting to run.
func (e *Event) Pending() bool { return e != nil && e.index >= 0 }

// Loop is a discrete-event loop in virtual time.
type Loop struct {
	now     Time
	seq     uint64
	q       eventHeap
	stopped bool
}

// NewLoop returns a loop at virtual time 0.
func NewLoop() *Loop { return &Loop{} }

// Now returns the current virtual time: the due time of the event being
// run, or of the last one run.
func (l *Loop) Now() Time { return l.now }

// At schedules fn to run at time t. A t in the past runs at Now, after the
// events already due then. Events at the same time run in the order they
// were scheduled.
func (l *Loop) At(t Time, fn func()) *Event {
	if t < l.now {
		t = l.now
	}
	l.seq++
	e := &Event{at: t, seq: l.seq, fn: fn}
	heap.Push(&l.q, e)
	return e
}

// After schedules fn to run d from now.
func (l *Loop) After(d Duration, fn func()) *Event { return l.At(l.now.Add(d), fn) }

// Cancel removes e from the queue; it is a no-op for an event that already
// ran or was cancelled, or a nil event.
func (l *Loop) Cancel(e *Event) {
	if e == nil || e.index < 0 {
		return
	}
	heap.Remove(&l.q, e.index)
	e.index = -1
}

// Len returns the number of pending events.
func (l *Loop) Len() int { return len(l.q) }

// Next returns the due time of the next event and whether there is one.
func (l *Loop) Next() (Time, bool) {
	if len(l.q) == 0 {
		return 0, false
	}
	return l.q[0].at, true
}

// Step runs the next event, advancing Now to its time. It reports false
// when there was nothing to run.
func (l *Loop) Step() bool {
	if len(l.q) == 0 {
		return false
	}
	e := heap.Pop(&l.q).(*Event)
	e.index = -1
	l.now = e.at
	e.fn()
	return true
}

// Stop makes Run return after the event being run.
func (l *Loop) Stop() { l.stopped = true }

// Run runs events until none are left, Stop is called, or the next event
// is due after until (until < 0 means no limit). It returns Now.
func (l *Loop) Run(until Time) Time {
	l.stopped = false
	for !l.stopped {
		t, ok := l.Next()
		if !ok || (until >= 0 && t > until) {
			break
		}
		l.Step()
	}
	return l.now
}

type eventHeap []*Event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *eventHeap) Push(x any) {
	e := x.(*Event)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// Rand returns a deterministic random source for one named consumer
// ("net:c0->c1", "kernel:c2:random_get", ...). Each consumer gets its own
// stream derived from the cluster seed and its name, so adding a consumer
// or drawing more from one never shifts the numbers another one sees.
func Rand(seed uint64, name string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(name))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}
