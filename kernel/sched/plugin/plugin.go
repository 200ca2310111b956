// Package plugin lets a scheduling policy or a cluster balancer live in
// its own executable, started and consulted by dosemu over gRPC
// (hashicorp/go-plugin). It holds both sides: the SDK a plugin author
// uses (Scheduler, Serve, ServeBalancer) and the client dosemu uses
// (Start).
//
// A scheduler plugin is a main package that implements Scheduler and
// calls Serve with a constructor; dosemu makes one instance per computer:
//
//	func main() {
//		plugin.Serve(func(c plugin.Computer) (plugin.Scheduler, error) {
//			return &myPolicy{rng: c.Rand()}, nil
//		})
//	}
//
// and runs with `dosemu boot --sched ./my-sched prog.wasm`.
//
// # Cost and batching
//
// A round trip costs tens of microseconds of host time, so the kernel does
// not ask per quantum. Events are queued on the dosemu side and delivered
// in order with the next Plan request, and a plan is a list of slices the
// kernel follows until it runs out or an event of a kind listed in
// Plan.StaleOn arrives: one round trip per plan.
//
// # Determinism
//
// A plugin sees only what the kernel tells it: events with virtual times,
// the computer's shape and the run's seed (Computer.Rand gives the same
// stream the built-in policies use). A plugin that decides from nothing
// else makes the same decisions for the same seed and inputs, and the
// trace records them ("sched_plan").
//
// # Faults
//
// A plugin that cannot start, crashes, misses the deadline on a request,
// or answers with an impossible decision is reported in one line and
// replaced by round-robin (sched.Guarded); the plugin process is killed
// with dosemu and also exits by itself when its parent goes away.
package plugin

import (
	"math/rand/v2"
	"strings"

	goplugin "github.com/hashicorp/go-plugin"

	"dosemu/emulator/vtime"
	"dosemu/kernel/sched"
)

//go:generate protoc --go_out=. --go_opt=paths=source_relative --go-grpc_out=. --go-grpc_opt=paths=source_relative -I internal/pb internal/pb/sched.proto

// ProtocolVersion is the version of the wire protocol; dosemu refuses a
// plugin built against another.
const ProtocolVersion = 1

// Handshake is what dosemu and a plugin check before talking: the
// protocol version and a cookie that tells a plugin it was started by
// dosemu (run by hand, it prints a short message and exits).
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "DOSEMU_PLUGIN",
	MagicCookieValue: "sched-v1-6f1c2a",
}

// Plugin names in the go-plugin set.
const (
	schedulerPlugin = "scheduler"
	balancerPlugin  = "balancer"
)

// Computer describes the computer a scheduler instance serves.
type Computer struct {
	Name    string // "c0", ...
	Index   int
	Cores   int
	Speed   float64        // instructions per virtual ns
	Quantum vtime.Duration // the kernel's default quantum (Slice.Quantum 0)
	Seed    uint64         // the run's seed
}

// Rand returns the seeded random stream for this computer's scheduler:
// the same one the built-in randomized policies draw from.
func (c Computer) Rand() *rand.Rand {
	return sched.Options{Seed: c.Seed, Computer: c.Name}.Rand()
}

// Plan is a scheduler's answer: slices to run in order, and the event
// kinds that make the rest of it stale (the kernel then asks again). An
// empty StaleOn means the plan is followed to its end whatever happens;
// a newly ready process then waits for the next plan.
type Plan struct {
	Slices  []sched.Slice
	StaleOn []sched.Kind
}

// Scheduler is a CPU scheduling policy in a plugin. It is sched.Policy
// with batching made explicit: Event has no answer (events reach the
// plugin in batches, after the fact), and Plan says itself which events
// invalidate it. Calls for one instance never overlap.
type Scheduler interface {
	Name() string
	TickPeriod() vtime.Duration
	Event(e sched.Event)
	Plan(now vtime.Time, cpu int) Plan
}

// FromPolicy adapts a sched.Policy to Scheduler; each plan is stale on
// staleOn. It lets a plugin serve a built-in policy, or one written
// against sched.Policy, unchanged.
func FromPolicy(p sched.Policy, staleOn ...sched.Kind) Scheduler {
	return policyScheduler{p, staleOn}
}

type policyScheduler struct {
	sched.Policy
	staleOn []sched.Kind
}

func (p policyScheduler) Event(e sched.Event) { p.Policy.Event(e) }

func (p policyScheduler) Plan(now vtime.Time, cpu int) Plan {
	return Plan{Slices: p.Policy.Plan(now, cpu), StaleOn: p.staleOn}
}

func kindMask(kinds []sched.Kind) uint32 {
	var m uint32
	for _, k := range kinds {
		if k < 32 {
			m |= 1 << k
		}
	}
	return m
}

// IsPath reports whether a --sched or --balancer value names a plugin
// executable (it contains a path separator, as in "./my-sched") rather
// than a built-in policy.
func IsPath(name string) bool { return strings.ContainsAny(name, `/\`) }
