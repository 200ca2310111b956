// Package sched holds dosemu's CPU scheduling policies and the interface
// through which the kernel consults them.
//
// The interface is shaped so that a policy living in another process (a
// go-plugin over gRPC) can implement it completely and cheaply:
//
//   - The kernel reports every scheduling-relevant change as an Event with
//     its virtual time: a process was spawned, became ready, was
//     dispatched, blocked, used its quantum, yielded, exited, or a periodic
//     tick passed. Events carry only virtual-time data, so a policy fed the
//     same events makes the same decisions.
//   - When a virtual CPU is free, the kernel asks Plan for that CPU. A plan
//     is a list of slices (process, quantum) that the kernel follows in
//     order, skipping entries whose process is no longer ready, until the
//     plan is exhausted or the policy declares it stale by returning true
//     from Event. A local policy returns one slice at a time; a remote one
//     batches to amortise the round trip.
//
// Policies are single-threaded: the kernel calls them from the event loop
// only. None of them iterates a Go map where order could leak into a
// decision, so every policy is deterministic.
package sched

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"dosemu/emulator/vtime"
)

// Kind names what happened to a process.
type Kind uint8

// Event kinds. The kernel reports each process's life as
// Spawn (Ready|Run|Preempt|Yield|Block)* Exit.
const (
	// Spawn: a new process exists and is ready. Info is set.
	Spawn Kind = iota + 1
	// Ready: a blocked or stopped process can run again.
	Ready
	// Run: the kernel dispatched PID on CPU (following a plan entry).
	Run
	// Preempt: PID used its whole quantum on CPU and is ready again. Used is
	// the virtual CPU time it consumed in that slice.
	Preempt
	// Yield: PID gave up CPU early (sched_yield) and is ready again.
	Yield
	// Block: PID waits for something (I/O, timer, child) and cannot run.
	Block
	// Exit: PID ended; it will never be ready again.
	Exit
	// Tick: periodic, every Policy.TickPeriod of virtual time while the
	// computer has processes. PID is 0.
	Tick
	// Stop: PID was stopped (SIGSTOP) and must not run until Ready.
	Stop
)

var kindNames = [...]string{"", "spawn", "ready", "run", "preempt", "yield", "block", "exit", "tick", "stop"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Info describes a process to a policy. Priority is a nice value: lower
// runs first, 0 is the default, the range is -20..19.
type Info struct {
	PID      int
	Parent   int // parent's pid on this computer, 0 if none or remote
	Program  string
	User     string // owner, for fair share per user
	Group    string // group, for fair share per group
	Priority int
}

// Event is one scheduling-relevant change.
type Event struct {
	T    vtime.Time
	Kind Kind
	PID  int
	CPU  int            // the CPU involved for Run/Preempt/Yield/Block/Exit, else -1
	Used vtime.Duration // CPU time of the slice that just ended (Preempt, Yield, Block, Exit)
	Info *Info          // set for Spawn
}

// Slice is one entry of a plan: run PID for Quantum (0 = the kernel's
// default quantum).
type Slice struct {
	PID     int
	Quantum vtime.Duration
}

// Policy decides which process runs on which CPU and for how long.
//
// Event is called for every change, in virtual-time order; it returns true
// when plans already handed out are stale (the kernel then discards them
// and calls Plan afresh). Plan is called when CPU cpu is free at time now;
// an empty plan leaves the CPU idle until the next Ready or Spawn. A plan
// may name only processes the policy was told are ready; the kernel skips
// entries whose process is not ready when their turn comes, so a stale
// entry costs nothing but a skip.
type Policy interface {
	Name() string
	Event(e Event) (stale bool)
	Plan(now vtime.Time, cpu int) []Slice
	// TickPeriod is how often the policy wants Tick events; 0 for never.
	TickPeriod() vtime.Duration
}

// Options are what some built-in policies need beyond their name.
type Options struct {
	// Seed and Computer derive the random stream of randomized policies
	// (vtime.Rand(Seed, "sched:"+Computer)), so each computer draws its
	// own reproducible numbers.
	Seed     uint64
	Computer string
}

// Rand is the random stream a randomized policy on this computer uses.
func (o Options) Rand() *rand.Rand { return vtime.Rand(o.Seed, "sched:"+o.Computer) }

// New returns a built-in policy by name with zero Options; see NewWith.
func New(name string) (Policy, error) { return NewWith(name, Options{}) }

// NewWith returns a built-in policy by name: "rr" (or "" / "round-robin"),
// "priority", "mlfq", "lottery", "fair" (fair share per user),
// "fair-group", "fair-parent". The error lists the valid names.
func NewWith(name string, o Options) (Policy, error) {
	switch strings.ToLower(name) {
	case "", "rr", "round-robin", "roundrobin":
		return NewRoundRobin(), nil
	case "priority", "prio":
		return NewPriority(DefaultAgingStep), nil
	case "mlfq":
		return NewMLFQ(0, 0, 0), nil
	case "lottery":
		return NewLottery(o.Rand(), 0), nil
	case "fair", "fair-user", "fairshare", "fair-share":
		return NewFairShare(ByUser), nil
	case "fair-group":
		return NewFairShare(ByGroup), nil
	case "fair-parent":
		return NewFairShare(ByParent), nil
	}
	return nil, fmt.Errorf("sched: unknown scheduler %q (built-ins: %s)", name, strings.Join(Names(), ", "))
}

// Names lists the built-in policy names accepted by New.
func Names() []string {
	return []string{"rr", "priority", "mlfq", "lottery", "fair", "fair-group", "fair-parent"}
}

// queue is a FIFO of pids with O(1) removal by pid, used by every policy
// to keep the ready set in arrival order.
type queue struct {
	items []int
	head  int
	where map[int]int // pid -> index in items; membership only, never iterated
}

func newQueue() *queue { return &queue{where: map[int]int{}} }

func (q *queue) Len() int { return len(q.where) }

func (q *queue) Has(pid int) bool { _, ok := q.where[pid]; return ok }

func (q *queue) Push(pid int) {
	if q.Has(pid) {
		return
	}
	q.where[pid] = len(q.items)
	q.items = append(q.items, pid)
}

// Pop returns the oldest pid, or 0 when empty.
func (q *queue) Pop() int {
	for q.head < len(q.items) {
		pid := q.items[q.head]
		q.head++
		if pid != 0 {
			delete(q.where, pid)
			q.compact()
			return pid
		}
	}
	q.compact()
	return 0
}

func (q *queue) Remove(pid int) {
	i, ok := q.where[pid]
	if !ok {
		return
	}
	q.items[i] = 0
	delete(q.where, pid)
	q.compact()
}

// compact drops consumed and removed slots once they dominate, keeping
// Push/Pop/Remove amortised O(1).
func (q *queue) compact() {
	if q.head < 64 || q.head < len(q.items)/2 {
		if len(q.where) == 0 {
			q.items, q.head = q.items[:0], 0
		}
		return
	}
	live := q.items[:0:0]
	for _, pid := range q.items[q.head:] {
		if pid != 0 {
			q.where[pid] = len(live)
			live = append(live, pid)
		}
	}
	q.items, q.head = live, 0
}

// Each returns the queued pids in order (for policies that scan).
func (q *queue) Each(f func(pid int) bool) {
	for _, pid := range q.items[q.head:] {
		if pid != 0 && !f(pid) {
			return
		}
	}
}

// RoundRobin runs ready processes in arrival order, each for the default
// quantum. Cost: O(1) per event and per plan.
type RoundRobin struct {
	ready *queue
}

// NewRoundRobin returns the default policy.
func NewRoundRobin() *RoundRobin { return &RoundRobin{ready: newQueue()} }

// Name implements Policy.
func (r *RoundRobin) Name() string { return "rr" }

// TickPeriod implements Policy: round-robin needs no ticks.
func (r *RoundRobin) TickPeriod() vtime.Duration { return 0 }

// Event implements Policy.
func (r *RoundRobin) Event(e Event) bool {
	switch e.Kind {
	case Spawn, Ready, Preempt, Yield:
		r.ready.Push(e.PID)
	case Block, Exit, Stop:
		r.ready.Remove(e.PID)
	}
	return false
}

// Plan implements Policy.
func (r *RoundRobin) Plan(now vtime.Time, cpu int) []Slice {
	pid := r.ready.Pop()
	if pid == 0 {
		return nil
	}
	return []Slice{{PID: pid}}
}

// DefaultAgingStep is how much a waiting process's effective priority
// improves per quantum-length of waiting, under the priority policy.
const DefaultAgingStep = 1

// Priority runs the ready process with the best effective priority:
// its nice value minus one AgingStep for every slice dispatched to others
// while it waited, so that low-priority processes are never starved. Ties
// go to the process that became ready first. Cost: O(ready) per plan.
type Priority struct {
	AgingStep int
	ready     *queue
	base      map[int]int // pid -> nice
	waited    map[int]int // pid -> slices dispatched to others while ready
}

// NewPriority returns a priority policy with the given aging step (0
// disables aging).
func NewPriority(agingStep int) *Priority {
	return &Priority{AgingStep: agingStep, ready: newQueue(), base: map[int]int{}, waited: map[int]int{}}
}

// Name implements Policy.
func (p *Priority) Name() string { return "priority" }

// TickPeriod implements Policy.
func (p *Priority) TickPeriod() vtime.Duration { return 0 }

// Event implements Policy.
func (p *Priority) Event(e Event) bool {
	switch e.Kind {
	case Spawn:
		if e.Info != nil {
			p.base[e.PID] = clampNice(e.Info.Priority)
		}
		p.ready.Push(e.PID)
	case Ready, Preempt, Yield:
		p.ready.Push(e.PID)
	case Block, Stop:
		p.ready.Remove(e.PID)
	case Exit:
		p.ready.Remove(e.PID)
		delete(p.base, e.PID)
		delete(p.waited, e.PID)
	}
	return false
}

func clampNice(n int) int { return max(-20, min(19, n)) }

// Plan implements Policy.
func (p *Priority) Plan(now vtime.Time, cpu int) []Slice {
	best, bestEff := 0, 0
	p.ready.Each(func(pid int) bool {
		eff := p.base[pid] - p.AgingStep*p.waited[pid]
		if best == 0 || eff < bestEff {
			best, bestEff = pid, eff
		}
		return true
	})
	if best == 0 {
		return nil
	}
	p.ready.Remove(best)
	p.ready.Each(func(pid int) bool { p.waited[pid]++; return true })
	delete(p.waited, best)
	return []Slice{{PID: best}}
}

// ShareBy says how the fair-share policy groups processes.
type ShareBy uint8

// Grouping keys for FairShare.
const (
	ByUser ShareBy = iota
	ByGroup
	ByParent
)

// FairShare divides CPU time equally between groups of processes (per
// user, per group, or per parent), then round-robin inside a group: the
// next slice goes to the group that has received the least CPU time among
// those with a ready process; ties go to the group seen first. Cost:
// O(groups) per plan.
type FairShare struct {
	by     ShareBy
	order  []string          // groups in first-seen order
	groups map[string]*share // group key -> state
	of     map[int]string    // pid -> group key
}

type share struct {
	used  vtime.Duration
	ready *queue
}

// NewFairShare returns a fair-share policy keyed by by.
func NewFairShare(by ShareBy) *FairShare {
	return &FairShare{by: by, groups: map[string]*share{}, of: map[int]string{}}
}

// Name implements Policy.
func (f *FairShare) Name() string {
	return [...]string{"fair", "fair-group", "fair-parent"}[f.by]
}

// TickPeriod implements Policy.
func (f *FairShare) TickPeriod() vtime.Duration { return 0 }

func (f *FairShare) key(in *Info) string {
	if in == nil {
		return ""
	}
	switch f.by {
	case ByGroup:
		return in.Group
	case ByParent:
		return fmt.Sprint(in.Parent)
	}
	return in.User
}

// Event implements Policy.
func (f *FairShare) Event(e Event) bool {
	if e.Kind == Spawn {
		k := f.key(e.Info)
		f.of[e.PID] = k
		if f.groups[k] == nil {
			// A newcomer starts level with the least-served active group,
			// so it gets its share from now on rather than a catch-up
			// monopoly for all the time it did not exist.
			g := &share{ready: newQueue(), used: -1}
			for _, ok := range f.order {
				if o := f.groups[ok]; o.ready.Len() > 0 && (g.used < 0 || o.used < g.used) {
					g.used = o.used
				}
			}
			g.used = max(g.used, 0)
			f.groups[k] = g
			f.order = append(f.order, k)
		}
	}
	g := f.groups[f.of[e.PID]]
	if g == nil {
		return false
	}
	g.used += e.Used
	switch e.Kind {
	case Spawn, Ready, Preempt, Yield:
		g.ready.Push(e.PID)
	case Block, Stop:
		g.ready.Remove(e.PID)
	case Exit:
		g.ready.Remove(e.PID)
		delete(f.of, e.PID)
	}
	return false
}

// Plan implements Policy.
func (f *FairShare) Plan(now vtime.Time, cpu int) []Slice {
	var best *share
	for _, k := range f.order {
		g := f.groups[k]
		if g.ready.Len() > 0 && (best == nil || g.used < best.used) {
			best = g
		}
	}
	if best == nil {
		return nil
	}
	return []Slice{{PID: best.ready.Pop()}}
}
