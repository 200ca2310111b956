package plugin_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"dosemu/emulator/vtime"
	"dosemu/kernel/sched"
	"dosemu/kernel/sched/plugin"
	"dosemu/kernel/sched/plugin/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// sim drives a policy as a one-CPU kernel does (plans followed in order,
// entries for processes not ready skipped, plans dropped when an event is
// stale) over processes that compute, sometimes block, and end. Its own
// randomness is seeded, so the same policy decisions give the same log.
type sim struct {
	p     sched.Policy
	plan  []sched.Slice
	now   vtime.Time
	state map[int]string // pid -> ready, blocked, done
	work  map[int]int    // slices left
	log   []int          // pids in the order they ran
	plans int
}

const simQuantum = vtime.Duration(1000)

func newSim(p sched.Policy, procs int) *sim {
	s := &sim{p: p, state: map[int]string{}, work: map[int]int{}}
	for pid := 2; pid < 2+procs; pid++ {
		s.state[pid], s.work[pid] = "ready", 20+pid
		s.event(sched.Event{Kind: sched.Spawn, PID: pid, CPU: -1, Info: &sched.Info{PID: pid, Priority: pid%5*4 - 8}})
	}
	return s
}

func (s *sim) event(e sched.Event) {
	e.T = s.now
	if s.p.Event(e) {
		s.plan = nil
	}
}

// run dispatches until every process is done or steps run out; it
// returns false if the policy left ready processes idle.
func (s *sim) run(steps int) bool {
	rng := rand.New(rand.NewPCG(7, 7))
	var blocked []int
	for ; steps > 0; steps-- {
		if len(blocked) > 0 && rng.IntN(3) == 0 {
			pid := blocked[0]
			blocked = blocked[1:]
			s.state[pid] = "ready"
			s.event(sched.Event{Kind: sched.Ready, PID: pid, CPU: -1})
		}
		pid := s.pick()
		if pid == 0 {
			if len(blocked) > 0 {
				s.now = s.now.Add(simQuantum)
				continue
			}
			for _, st := range s.state {
				if st == "ready" {
					return false
				}
			}
			return true
		}
		s.log = append(s.log, pid)
		s.event(sched.Event{Kind: sched.Run, PID: pid, CPU: 0})
		s.now = s.now.Add(simQuantum)
		s.work[pid]--
		switch {
		case s.work[pid] == 0:
			s.state[pid] = "done"
			s.event(sched.Event{Kind: sched.Exit, PID: pid, CPU: 0, Used: simQuantum})
		case rng.IntN(5) == 0:
			s.state[pid] = "blocked"
			blocked = append(blocked, pid)
			s.event(sched.Event{Kind: sched.Block, PID: pid, CPU: 0, Used: simQuantum / 2})
		default:
			s.event(sched.Event{Kind: sched.Preempt, PID: pid, CPU: 0, Used: simQuantum})
		}
	}
	return false
}

func (s *sim) pick() int {
	for round := 0; round < 2; round++ {
		for len(s.plan) > 0 {
			sl := s.plan[0]
			s.plan = s.plan[1:]
			if s.state[sl.PID] == "ready" {
				return sl.PID
			}
		}
		s.plan = s.p.Plan(s.now, 0)
		s.plans++
		if len(s.plan) == 0 {
			break
		}
	}
	return 0
}

func start(t *testing.T, path string, o plugin.Options) *plugin.Client {
	t.Helper()
	c, err := plugin.Start(path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func remote(t *testing.T, c *plugin.Client, seed uint64) *plugin.RemoteScheduler {
	t.Helper()
	r, err := c.Scheduler(plugin.Computer{Name: "c0", Cores: 1, Speed: 1, Quantum: simQuantum, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The example plugin, the built-in served over the SDK, and the built-in
// in process make the same decisions for a seed, with one round trip per
// plan rather than per slice.
func TestLotteryPluginsMatchBuiltin(t *testing.T) {
	const seed = 42
	builtin := newSim(sched.NewLottery(sched.Options{Seed: seed, Computer: "c0"}.Rand(), 0), 6)
	if !builtin.run(5000) {
		t.Fatal("built-in lottery did not finish the workload")
	}
	for _, path := range []string{plugintest.Lottery(t), plugintest.TestPlugin(t, "lottery")} {
		r := remote(t, start(t, path, plugin.Options{}), seed)
		g := sched.NewGuarded(r, func(now vtime.Time, err error) { t.Errorf("fallback at %v: %v", now, err) })
		s := newSim(g, 6)
		if !s.run(5000) {
			t.Fatalf("%s: did not finish the workload", path)
		}
		if d := cmp.Diff(builtin.log, s.log); d != "" {
			t.Fatalf("%s: decisions differ from the built-in (-built-in +plugin):\n%s", path, d)
		}
		if r.RoundTrips() != s.plans || s.plans*3 > len(s.log) {
			t.Errorf("%s: %d round trips for %d plans and %d slices: want one per plan, plans of several slices", path, r.RoundTrips(), s.plans, len(s.log))
		}
	}
	// A different seed gives different decisions: the seed reaches the plugin.
	other := newSim(sched.NewGuarded(remote(t, start(t, plugintest.Lottery(t), plugin.Options{}), seed+1), nil), 6)
	other.run(5000)
	if cmp.Equal(builtin.log, other.log) {
		t.Error("seeds 42 and 43 made the same decisions")
	}
}

// Every fault ends in one clear line and a fallback that still runs every
// process to its end.
func TestFaultsFallBackToRoundRobin(t *testing.T) {
	cases := []struct{ mode, want string }{
		{"badpid", "pid 9999, which is not a live process"},
		{"negative", "negative quantum"},
		{"crash", "exited"},
		{"hang", "no answer within the 300ms deadline"},
		{"panic", "panicked: on purpose"},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			c := start(t, plugintest.TestPlugin(t, tc.mode), plugin.Options{Deadline: 300 * time.Millisecond})
			var faults []string
			g := sched.NewGuarded(remote(t, c, 1), func(now vtime.Time, err error) { faults = append(faults, err.Error()) })
			s := newSim(g, 5)
			if !s.run(5000) {
				t.Fatal("processes were left unfinished after the fallback")
			}
			if len(faults) != 1 || !strings.Contains(faults[0], tc.want) || !strings.Contains(faults[0], "falling back to round-robin") || strings.Contains(faults[0], "\n") {
				t.Fatalf("faults %q: want one line mentioning %q", faults, tc.want)
			}
			if g.Name() != "rr" || g.TickPeriod() != 0 {
				t.Errorf("after the fallback: name %q tick %v", g.Name(), g.TickPeriod())
			}
			for pid, st := range s.state {
				if st != "done" {
					t.Errorf("pid %d %s", pid, st)
				}
			}
		})
	}
}

func alive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

// Close leaves no plugin process behind, whatever state it was in.
func TestNoOrphans(t *testing.T) {
	for _, mode := range []string{"rr", "hang"} {
		c, err := plugin.Start(plugintest.TestPlugin(t, mode), plugin.Options{Deadline: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		r := remote(t, c, 1)
		r.Event(sched.Event{Kind: sched.Spawn, PID: 2, Info: &sched.Info{PID: 2}})
		for i := 0; i < 5; i++ {
			_, _ = r.Plan(0, 0) // the hang mode stops answering on the 4th
		}
		pid := c.Pid()
		if !alive(pid) {
			t.Fatalf("%s: plugin pid %d not running before Close", mode, pid)
		}
		c.Close()
		if alive(pid) || !c.Exited() {
			t.Fatalf("%s: plugin pid %d still running after Close", mode, pid)
		}
	}
}

func TestStartErrors(t *testing.T) {
	dir := t.TempDir()
	notExec := dir + "/plain"
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := dir + "/script"
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho not a plugin\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir + "/missing", notExec, dir, script} {
		c, err := plugin.Start(path, plugin.Options{Deadline: time.Second})
		if err == nil {
			c.Close()
			t.Errorf("%s: started", path)
			continue
		}
		if !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %q: want one line naming the path", path, err)
		}
	}
	// A balancer plugin asked for a scheduler says so.
	c := start(t, plugintest.TestPlugin(t, "mosix"), plugin.Options{})
	if _, err := c.Scheduler(plugin.Computer{Name: "c0"}); err == nil || !strings.Contains(err.Error(), "does not serve") {
		t.Errorf("scheduler from a balancer plugin: %v", err)
	}
}

func TestBalancerPlugin(t *testing.T) {
	loads := []sched.Load{
		{Computer: 0, Name: "c0", Cores: 1, Speed: 1, Live: 4, Ready: 4, Procs: []sched.Proc{{PID: 2, CPUTime: 5}, {PID: 3, CPUTime: 9}, {PID: 4, CPUTime: 9, Memory: 1}}},
		{Computer: 1, Name: "c1", Cores: 1, Speed: 1},
	}
	rb, err := start(t, plugintest.TestPlugin(t, "mosix"), plugin.Options{}).Balancer()
	if err != nil {
		t.Fatal(err)
	}
	g := sched.NewGuardedBalancer(rb, func(now vtime.Time, err error) { t.Errorf("fallback: %v", err) })
	want := sched.NewMOSIX(0, 0)
	if g.Name() != "mosix" || g.Period() != want.Period() {
		t.Errorf("name %q period %v", g.Name(), g.Period())
	}
	if got := g.Place(0, "spin", loads); got != 1 {
		t.Errorf("placed on %d, want 1", got)
	}
	if d := cmp.Diff(want.Balance(0, loads), g.Balance(0, loads)); d != "" {
		t.Errorf("moves differ from the built-in: %s", d)
	}

	bad, err := start(t, plugintest.TestPlugin(t, "badplace"), plugin.Options{}).Balancer()
	if err != nil {
		t.Fatal(err)
	}
	var fault error
	gb := sched.NewGuardedBalancer(bad, func(now vtime.Time, err error) { fault = err })
	if a, b := gb.Place(0, "x", loads), gb.Place(0, "x", loads); a != 0 || b != 1 {
		t.Errorf("fallback placement %d, %d: want round-robin 0, 1", a, b)
	}
	if fault == nil || !strings.Contains(fault.Error(), "computer 99") || !errors.Is(gb.Err(), gb.Err()) {
		t.Errorf("fault %v", fault)
	}
}

// BenchmarkPlanRoundTrip measures plugin decisions per second: each op is
// one Plan request carrying a slice's events, answered with a 16-slice
// lottery plan.
func BenchmarkPlanRoundTrip(b *testing.B) {
	c, err := plugin.Start(plugintest.Lottery(b), plugin.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	r, err := c.Scheduler(plugin.Computer{Name: "c0", Cores: 1, Speed: 1, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for pid := 2; pid < 10; pid++ {
		r.Event(sched.Event{Kind: sched.Spawn, PID: pid, Info: &sched.Info{PID: pid}})
	}
	decisions := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Event(sched.Event{Kind: sched.Run, PID: 2, CPU: 0})
		r.Event(sched.Event{Kind: sched.Preempt, PID: 2, CPU: 0, Used: 1000})
		plan, err := r.Plan(vtime.Time(i), 0)
		if err != nil {
			b.Fatal(err)
		}
		decisions += len(plan)
	}
	b.ReportMetric(float64(decisions)/b.Elapsed().Seconds(), "decisions/s")
}
