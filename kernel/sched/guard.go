package sched

import (
	"fmt"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
)

// Remote is a policy that can fail, such as a plugin in another process:
// its Plan returns an error when the policy crashed, timed out or could
// not be reached. Event is local and cannot fail (a remote policy batches
// events and sends them with the next Plan request).
type Remote interface {
	Name() string
	TickPeriod() vtime.Duration
	Event(e Event) (stale bool)
	Plan(now vtime.Time, cpu int) ([]Slice, error)
}

// MaxPlan bounds the length of one plan; a longer one is an impossible
// decision.
const MaxPlan = 1 << 16

// Guarded runs a Remote policy and falls back to round-robin for good the
// first time it fails or decides something impossible: a plan naming a
// pid it was never told about (or that exited), a negative quantum, or a
// plan longer than MaxPlan. Guests keep running under the fallback with
// no process lost, because Guarded feeds every event to a shadow
// round-robin that already knows the ready processes in arrival order.
//
// A fallback changes the trace from that point: decisions are then
// round-robin's. Faults detected by a host-time deadline (a hung plugin)
// therefore make a run depend on the host; faults detected from the
// decision itself (an impossible plan) do not. Cost over the remote: one
// map update per spawn/exit, O(1) per event, O(plan) validation per plan.
type Guarded struct {
	remote  Remote
	shadow  *RoundRobin
	live    map[int]bool // membership only, never iterated
	err     error
	onFault func(now vtime.Time, err error)
}

// NewGuarded wraps r; onFault (may be nil) is called once, with the
// virtual time and the cause, when the fallback takes over.
func NewGuarded(r Remote, onFault func(now vtime.Time, err error)) *Guarded {
	return &Guarded{remote: r, shadow: NewRoundRobin(), live: map[int]bool{}, onFault: onFault}
}

// Name implements Policy: the remote's name, or "rr" after a fallback.
func (g *Guarded) Name() string {
	if g.err != nil {
		return g.shadow.Name()
	}
	return g.remote.Name()
}

// Err is the fault that caused the fallback, or nil.
func (g *Guarded) Err() error { return g.err }

// TickPeriod implements Policy.
func (g *Guarded) TickPeriod() vtime.Duration {
	if g.err != nil {
		return 0
	}
	return g.remote.TickPeriod()
}

// Event implements Policy.
func (g *Guarded) Event(e Event) bool {
	switch e.Kind {
	case Spawn:
		g.live[e.PID] = true
	case Exit:
		delete(g.live, e.PID)
	}
	if g.err != nil {
		return g.shadow.Event(e)
	}
	g.shadow.Event(e)
	if e.Kind == Run {
		// The shadow never planned this dispatch, so take the process out
		// of its queue as its own Plan would have.
		g.shadow.ready.Remove(e.PID)
	}
	return g.remote.Event(e)
}

// Plan implements Policy.
func (g *Guarded) Plan(now vtime.Time, cpu int) []Slice {
	if g.err != nil {
		return g.shadow.Plan(now, cpu)
	}
	plan, err := g.remote.Plan(now, cpu)
	if err == nil {
		err = g.check(plan)
	}
	if err != nil {
		g.err = fmt.Errorf("scheduler %s: %w; falling back to round-robin", g.remote.Name(), err)
		if g.onFault != nil {
			g.onFault(now, g.err)
		}
		return g.shadow.Plan(now, cpu)
	}
	return plan
}

func (g *Guarded) check(plan []Slice) error {
	if len(plan) > MaxPlan {
		return fmt.Errorf("impossible plan: %d slices (at most %d)", len(plan), MaxPlan)
	}
	for i, s := range plan {
		if !g.live[s.PID] {
			return fmt.Errorf("impossible plan: slice %d names pid %d, which is not a live process", i, s.PID)
		}
		if s.Quantum < 0 {
			return fmt.Errorf("impossible plan: slice %d gives pid %d a negative quantum %v", i, s.PID, s.Quantum)
		}
	}
	return nil
}

// Traced wraps a policy so that every plan it makes is recorded in the
// trace as a "sched_plan" event of computer: fields "policy", "pids"
// and, when any slice sets one, "quanta" (ns, 0 = the default). Plans
// derive only from events with virtual times, so the record is as
// deterministic as the policy. Cost: one trace event per plan.
func Traced(p Policy, tr *trace.Tracer, computer string) Policy {
	if !tr.Enabled() {
		return p
	}
	return &traced{Policy: p, tr: tr, computer: computer}
}

type traced struct {
	Policy
	tr       *trace.Tracer
	computer string
}

// Unwrap returns the traced policy.
func (t *traced) Unwrap() Policy { return t.Policy }

func (t *traced) Plan(now vtime.Time, cpu int) []Slice {
	plan := t.Policy.Plan(now, cpu)
	pids := make([]int, len(plan))
	var quanta []int64
	for i, s := range plan {
		pids[i] = s.PID
		if s.Quantum != 0 && quanta == nil {
			quanta = make([]int64, len(plan))
		}
	}
	f := map[string]any{"policy": t.Policy.Name(), "pids": pids}
	if quanta != nil {
		for i, s := range plan {
			quanta[i] = int64(s.Quantum)
		}
		f["quanta"] = quanta
	}
	t.tr.Emit(trace.Event{T: now, Computer: t.computer, CPU: cpu, Kind: "sched_plan", Fields: f})
	return plan
}
