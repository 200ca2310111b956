package sched

import (
	"fmt"
	"strings"

	"dosemu/emulator/vtime"
)

// Load is one computer's state as a balancer sees it: only counts and
// virtual times, so a balancer's decisions are deterministic.
type Load struct {
	Computer int     // index in the cluster
	Name     string  // "c0", ...
	Cores    int     // vCPUs
	Speed    float64 // instructions per virtual ns
	Live     int     // processes that have not ended (init excluded)
	Ready    int     // processes ready or running
	Procs    []Proc  // live processes that could move, in pid order
}

// Capacity is the computer's instructions per virtual ns over all cores.
func (l Load) Capacity() float64 { return float64(max(l.Cores, 1)) * max(l.Speed, 1e-9) }

// Proc is a live process as a balancer sees it.
type Proc struct {
	PID     int
	Program string
	CPUTime vtime.Duration // CPU time used so far
	Memory  uint64         // linear memory in bytes (the cost of moving it)
	Spawned vtime.Time
}

// Move proposes migrating process PID from computer From to computer To.
type Move struct {
	PID, From, To int
}

func (m Move) String() string { return fmt.Sprintf("move c%d pid %d to c%d", m.From, m.PID, m.To) }

// Balancer is the cluster-level policy: where new processes go, and which
// running ones should move. Place is called for each process the cluster
// places itself (an explicit computer bypasses it); Balance every Period
// of virtual time while processes live (Period 0: never). Like Policy, a
// balancer is called from the event loop only and must be deterministic.
type Balancer interface {
	Name() string
	Place(now vtime.Time, prog string, loads []Load) int
	Period() vtime.Duration
	Balance(now vtime.Time, loads []Load) []Move
}

// NewBalancer returns a built-in balancer by name: "rr" (or "":
// round-robin placement, no migration), "least-loaded", "mosix". The error
// lists the valid names.
func NewBalancer(name string) (Balancer, error) {
	switch strings.ToLower(name) {
	case "", "rr", "round-robin":
		return &RoundRobinPlacer{}, nil
	case "least-loaded", "leastloaded", "least":
		return LeastLoaded{}, nil
	case "mosix":
		return NewMOSIX(0, 0), nil
	}
	return nil, fmt.Errorf("sched: unknown balancer %q (built-ins: %s)", name, strings.Join(BalancerNames(), ", "))
}

// BalancerNames lists the built-in balancer names.
func BalancerNames() []string { return []string{"rr", "least-loaded", "mosix"} }

// RoundRobinPlacer places new processes on computers in turn and never
// migrates; it is the cluster's default.
type RoundRobinPlacer struct{ next int }

// Name implements Balancer.
func (r *RoundRobinPlacer) Name() string { return "rr" }

// Place implements Balancer.
func (r *RoundRobinPlacer) Place(now vtime.Time, prog string, loads []Load) int {
	if len(loads) == 0 {
		return 0
	}
	c := r.next % len(loads)
	r.next++
	return c
}

// Period implements Balancer.
func (r *RoundRobinPlacer) Period() vtime.Duration { return 0 }

// Balance implements Balancer.
func (r *RoundRobinPlacer) Balance(vtime.Time, []Load) []Move { return nil }

// LeastLoaded places a new process on the computer with the fewest live
// processes per unit of capacity (cores × speed), ties to the lowest
// index; it never migrates. Cost: O(computers) per placement.
type LeastLoaded struct{}

// Name implements Balancer.
func (LeastLoaded) Name() string { return "least-loaded" }

// Place implements Balancer.
func (LeastLoaded) Place(now vtime.Time, prog string, loads []Load) int {
	return leastLoaded(loads, func(l Load) float64 { return float64(l.Live) / l.Capacity() })
}

// Period implements Balancer.
func (LeastLoaded) Period() vtime.Duration { return 0 }

// Balance implements Balancer.
func (LeastLoaded) Balance(vtime.Time, []Load) []Move { return nil }

func leastLoaded(loads []Load, load func(Load) float64) int {
	best, bestLoad := 0, 0.0
	for i, l := range loads {
		if v := load(l); i == 0 || v < bestLoad {
			best, bestLoad = i, v
		}
	}
	if len(loads) > 0 {
		return loads[best].Computer
	}
	return 0
}

// MOSIX defaults: compare loads every 100 ms of virtual time and move a
// process when the busiest computer's load exceeds the idlest's by more
// than one process per core.
const (
	DefaultMOSIXPeriod    = vtime.Duration(100_000_000)
	DefaultMOSIXThreshold = 1.0
)

// MOSIX places like LeastLoaded and, every Period, compares the computers'
// loads (ready processes per unit of capacity, as MOSIX's load vector
// does) and proposes moving one process from the busiest computer to the
// idlest when the gap exceeds Threshold and the move narrows it. It picks
// the candidate that has used the most CPU (long-running, CPU-bound
// processes gain the most from moving), ties to the one with less memory,
// then to the lower pid. Cost: O(computers + processes) per balance.
type MOSIX struct {
	Every     vtime.Duration
	Threshold float64
}

// NewMOSIX returns a MOSIX balancer (0 for defaults).
func NewMOSIX(period vtime.Duration, threshold float64) *MOSIX {
	if period <= 0 {
		period = DefaultMOSIXPeriod
	}
	if threshold <= 0 {
		threshold = DefaultMOSIXThreshold
	}
	return &MOSIX{Every: period, Threshold: threshold}
}

// Name implements Balancer.
func (m *MOSIX) Name() string { return "mosix" }

// Period implements Balancer.
func (m *MOSIX) Period() vtime.Duration { return m.Every }

// Place implements Balancer.
func (m *MOSIX) Place(now vtime.Time, prog string, loads []Load) int {
	return LeastLoaded{}.Place(now, prog, loads)
}

// Balance implements Balancer.
func (m *MOSIX) Balance(now vtime.Time, loads []Load) []Move {
	if len(loads) < 2 {
		return nil
	}
	load := func(l Load) float64 { return float64(l.Ready) / l.Capacity() }
	hi, lo := 0, 0
	for i := range loads {
		if load(loads[i]) > load(loads[hi]) {
			hi = i
		}
		if load(loads[i]) < load(loads[lo]) {
			lo = i
		}
	}
	from, to := loads[hi], loads[lo]
	gap := load(from) - load(to)
	// One process moving changes the gap by 1/cap(from) + 1/cap(to); only
	// move when the gap is over the threshold and stays positive after.
	step := 1/from.Capacity() + 1/to.Capacity()
	if gap <= m.Threshold || gap-step < -1e-9 || len(from.Procs) == 0 {
		return nil
	}
	best := -1
	for i, p := range from.Procs {
		if best < 0 {
			best = i
			continue
		}
		b := from.Procs[best]
		if p.CPUTime > b.CPUTime || (p.CPUTime == b.CPUTime && p.Memory < b.Memory) {
			best = i
		}
	}
	return []Move{{PID: from.Procs[best].PID, From: from.Computer, To: to.Computer}}
}

// RemoteBalancer is a balancer that can fail, such as a plugin.
type RemoteBalancer interface {
	Name() string
	Period() vtime.Duration
	Place(now vtime.Time, prog string, loads []Load) (int, error)
	Balance(now vtime.Time, loads []Load) ([]Move, error)
}

// GuardedBalancer runs a RemoteBalancer and falls back for good to
// round-robin placement without migration the first time it fails or
// decides something impossible: a computer out of range, or a move of a
// process that is not a live candidate on its From computer, or to the
// computer it is on. Like Guarded, a fallback changes the rest of the run.
type GuardedBalancer struct {
	remote   RemoteBalancer
	fallback RoundRobinPlacer
	err      error
	onFault  func(now vtime.Time, err error)
}

// NewGuardedBalancer wraps r; onFault (may be nil) is called once when
// the fallback takes over.
func NewGuardedBalancer(r RemoteBalancer, onFault func(now vtime.Time, err error)) *GuardedBalancer {
	return &GuardedBalancer{remote: r, onFault: onFault}
}

// Err is the fault that caused the fallback, or nil.
func (g *GuardedBalancer) Err() error { return g.err }

func (g *GuardedBalancer) fail(now vtime.Time, err error) {
	g.err = fmt.Errorf("balancer %s: %w; falling back to round-robin placement", g.remote.Name(), err)
	if g.onFault != nil {
		g.onFault(now, g.err)
	}
}

// Name implements Balancer.
func (g *GuardedBalancer) Name() string {
	if g.err != nil {
		return g.fallback.Name()
	}
	return g.remote.Name()
}

// Period implements Balancer.
func (g *GuardedBalancer) Period() vtime.Duration {
	if g.err != nil {
		return 0
	}
	return g.remote.Period()
}

// Place implements Balancer.
func (g *GuardedBalancer) Place(now vtime.Time, prog string, loads []Load) int {
	if g.err == nil {
		c, err := g.remote.Place(now, prog, loads)
		if err == nil && !hasComputer(loads, c) {
			err = fmt.Errorf("impossible placement of %s on computer %d (the cluster has %d)", prog, c, len(loads))
		}
		if err == nil {
			return c
		}
		g.fail(now, err)
	}
	return g.fallback.Place(now, prog, loads)
}

// Balance implements Balancer.
func (g *GuardedBalancer) Balance(now vtime.Time, loads []Load) []Move {
	if g.err != nil {
		return nil
	}
	moves, err := g.remote.Balance(now, loads)
	for _, m := range moves {
		if err != nil {
			break
		}
		err = checkMove(m, loads)
	}
	if err != nil {
		g.fail(now, err)
		return nil
	}
	return moves
}

func hasComputer(loads []Load, c int) bool {
	for _, l := range loads {
		if l.Computer == c {
			return true
		}
	}
	return false
}

func checkMove(m Move, loads []Load) error {
	if !hasComputer(loads, m.To) || m.To == m.From {
		return fmt.Errorf("impossible move of pid %d from computer %d to computer %d", m.PID, m.From, m.To)
	}
	for _, l := range loads {
		if l.Computer == m.From {
			for _, p := range l.Procs {
				if p.PID == m.PID {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("impossible move: computer %d has no live process %d", m.From, m.PID)
}
