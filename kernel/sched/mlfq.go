package sched

import "dosemu/emulator/vtime"

// MLFQ defaults: three levels whose quanta double from 1 ms, and a boost
// of every process back to the top level each 100 ms.
const (
	DefaultMLFQLevels  = 3
	DefaultMLFQQuantum = vtime.Duration(1_000_000)
	DefaultMLFQBoost   = vtime.Duration(100_000_000)
)

// MLFQ is a multi-level feedback queue: a new process starts at the top
// level; one that uses its whole quantum moves down a level (longer
// quantum, lower priority); one that yields or blocks early keeps its
// level, so interactive processes stay responsive. Every Boost of virtual
// time all processes return to the top, so CPU-bound ones are not starved.
// Level i runs slices of Quantum<<i. Cost: O(levels) per plan, O(1) per
// event, O(processes) per boost.
type MLFQ struct {
	Quantum vtime.Duration
	Boost   vtime.Duration
	levels  []*queue
	level   map[int]int // pid -> level; membership only, never iterated
	order   *queue      // every live pid in spawn order, for boosting
}

// NewMLFQ returns an MLFQ with n levels (n < 1 means the default), base
// quantum q (0: default) and boost period boost (0: default).
func NewMLFQ(n int, q, boost vtime.Duration) *MLFQ {
	if n < 1 {
		n = DefaultMLFQLevels
	}
	if q <= 0 {
		q = DefaultMLFQQuantum
	}
	if boost <= 0 {
		boost = DefaultMLFQBoost
	}
	m := &MLFQ{Quantum: q, Boost: boost, level: map[int]int{}, order: newQueue()}
	for i := 0; i < n; i++ {
		m.levels = append(m.levels, newQueue())
	}
	return m
}

// Name implements Policy.
func (m *MLFQ) Name() string { return "mlfq" }

// TickPeriod implements Policy: the tick drives the priority boost.
func (m *MLFQ) TickPeriod() vtime.Duration { return m.Boost }

// Event implements Policy.
func (m *MLFQ) Event(e Event) bool {
	switch e.Kind {
	case Spawn:
		m.level[e.PID] = 0
		m.order.Push(e.PID)
		m.levels[0].Push(e.PID)
	case Ready, Yield:
		if l, ok := m.level[e.PID]; ok {
			m.levels[l].Push(e.PID)
		}
	case Preempt:
		if l, ok := m.level[e.PID]; ok {
			l = min(l+1, len(m.levels)-1)
			m.level[e.PID] = l
			m.levels[l].Push(e.PID)
		}
	case Run, Block, Stop:
		// Run removes too: a dispatch the policy did not plan itself
		// (a fallback's, a test's) must not leave a second queue entry.
		if l, ok := m.level[e.PID]; ok {
			m.levels[l].Remove(e.PID)
		}
	case Exit:
		if l, ok := m.level[e.PID]; ok {
			m.levels[l].Remove(e.PID)
			delete(m.level, e.PID)
			m.order.Remove(e.PID)
		}
	case Tick:
		m.boost()
	}
	return false
}

// boost moves every ready process to the top level, keeping the order in
// which they were spawned so the result does not depend on level history.
func (m *MLFQ) boost() {
	var ready []int
	m.order.Each(func(pid int) bool {
		l := m.level[pid]
		if m.levels[l].Has(pid) {
			m.levels[l].Remove(pid)
			ready = append(ready, pid)
		}
		m.level[pid] = 0
		return true
	})
	for _, pid := range ready {
		m.levels[0].Push(pid)
	}
}

// Level reports pid's current level (-1 if unknown), for tests and tools.
func (m *MLFQ) Level(pid int) int {
	if l, ok := m.level[pid]; ok {
		return l
	}
	return -1
}

// Plan implements Policy.
func (m *MLFQ) Plan(now vtime.Time, cpu int) []Slice {
	for i, q := range m.levels {
		if pid := q.Pop(); pid != 0 {
			return []Slice{{PID: pid, Quantum: m.Quantum << i}}
		}
	}
	return nil
}
