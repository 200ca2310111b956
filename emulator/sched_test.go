package emulator

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"dosemu/emulator/vtime"
	"dosemu/kernel/sched/plugin/plugintest"
)

// spinArgs makes each spin about 20 quanta of CPU work.
var spinArgs = []string{"spin", "2000000"}

// schedRun boots two computers of two cores with four spins each under
// the given policy and returns the rig after the run.
func schedRun(t testing.TB, cfg Config) *rig {
	t.Helper()
	cfg.Computers = Uniform(2, 2)
	if cfg.Seed == 0 {
		cfg.Seed = 11
	}
	r := newRig(t, cfg)
	r.load(t, "spin")
	for i := 0; i < 8; i++ {
		if _, err := r.Spawn(i%2, "spin", spinArgs, nil); err != nil {
			t.Fatal(err)
		}
	}
	r.run(t)
	return r
}

// checkSpins asserts that all eight spins finished with the right output.
func checkSpins(t *testing.T, r *rig) {
	t.Helper()
	n := 0
	for _, c := range r.Summary().Computers {
		for _, p := range c.Processes {
			if p.Program != "spin" {
				continue
			}
			n++
			if p.ExitCode != 0 {
				t.Errorf("%s: exit %d", p.GID, p.ExitCode)
			}
		}
	}
	if n != 8 || len(r.fails) != 0 {
		t.Fatalf("%d spins ended, failures %q", n, r.fails)
	}
	if got := strings.Count(r.out.String(), "4/4 done, checksum b8b2104747db859a"); got != 8 {
		t.Fatalf("%d spins printed the right final checksum:\n%s", got, r.out.String())
	}
}

// The bar: the example plugin and the built-in lottery give the same
// trace for a seed, plans included.
func TestPluginSchedulerSameTraceAsBuiltin(t *testing.T) {
	builtin := schedRun(t, Config{Sched: "lottery"})
	checkSpins(t, builtin)
	plug := schedRun(t, Config{Sched: plugintest.Lottery(t)})
	checkSpins(t, plug)
	want := strings.Split(builtin.trace.String(), "\n")
	got := strings.Split(plug.trace.String(), "\n")
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("traces differ (-built-in +plugin):\n%s", d)
	}
	if n := strings.Count(plug.trace.String(), `"kind":"sched_plan"`); n < 10 {
		t.Fatalf("%d sched_plan events: plans are not recorded", n)
	}
	other := schedRun(t, Config{Sched: plugintest.Lottery(t), Seed: 12})
	if other.trace.String() == plug.trace.String() {
		t.Error("seeds 11 and 12 gave the same trace")
	}
}

// The bar: killing the plugin mid-run leaves every guest finishing
// correctly under round-robin, with one line per computer saying why.
func TestPluginKilledMidRun(t *testing.T) {
	var mu sync.Mutex
	var faults []string
	cfg := Config{Computers: Uniform(2, 2), Seed: 11, Sched: plugintest.Lottery(t), PluginDeadline: 2 * time.Second,
		PolicyFault: func(c string, err error) { mu.Lock(); faults = append(faults, c+": "+err.Error()); mu.Unlock() }}
	r := newRig(t, cfg)
	r.load(t, "spin")
	for i := 0; i < 8; i++ {
		if _, err := r.Spawn(i%2, "spin", spinArgs, nil); err != nil {
			t.Fatal(err)
		}
	}
	pid := r.sch.schedPlug.Pid()
	killed := false
	r.Loop().At(vtime.Time(10_000_000), func() {
		killed = syscall.Kill(pid, syscall.SIGKILL) == nil
		for i := 0; i < 200 && !r.sch.schedPlug.Exited(); i++ {
			time.Sleep(5 * time.Millisecond)
		}
	})
	r.run(t)
	if !killed {
		t.Fatal("the plugin was not running at 10ms")
	}
	checkSpins(t, r)
	if len(faults) != 2 {
		t.Fatalf("faults %q: want one per computer", faults)
	}
	for _, f := range faults {
		if !strings.Contains(f, "exited") || !strings.Contains(f, "falling back to round-robin") || strings.Contains(f, "\n") {
			t.Errorf("fault %q: want one line saying the plugin exited", f)
		}
	}
	if n := strings.Count(r.trace.String(), `"kind":"sched_fallback"`); n != 2 {
		t.Errorf("%d sched_fallback events, want 2", n)
	}
}

// An impossible decision also falls back; this fault is detected from the
// decision itself, so the run stays deterministic.
func TestPluginImpossibleDecision(t *testing.T) {
	var faults []string
	cfg := Config{Sched: plugintest.TestPlugin(t, "badpid"), PolicyFault: func(c string, err error) { faults = append(faults, err.Error()) }}
	r := schedRun(t, cfg)
	checkSpins(t, r)
	if len(faults) != 2 || !strings.Contains(faults[0], "pid 9999") {
		t.Fatalf("faults %q", faults)
	}
	again := schedRun(t, Config{Sched: plugintest.TestPlugin(t, "badpid")})
	if again.trace.String() != r.trace.String() {
		t.Error("an impossible-decision fallback gave different traces for one seed")
	}
}

func TestPluginStartFailure(t *testing.T) {
	_, err := New(Config{Computers: Uniform(1, 1), Sched: "./no/such/plugin", Engine: testEngine})
	if err == nil || !strings.Contains(err.Error(), "./no/such/plugin") {
		t.Fatalf("missing plugin: %v", err)
	}
	_, err = New(Config{Computers: Uniform(1, 1), Balancer: "nosuch", Engine: testEngine})
	if err == nil || !strings.Contains(err.Error(), "mosix") {
		t.Fatalf("unknown balancer: %v: want the built-ins listed", err)
	}
}

func TestBalancerPlacementAndProposals(t *testing.T) {
	for _, tc := range []struct {
		balancer string
		want     []int // processes per computer
	}{
		{"", []int{2, 2, 1}},
		{"least-loaded", []int{1, 1, 3}}, // c2 is three times as fast
		{"mosix", []int{1, 1, 3}},
		{plugintest.TestPlugin(t, "mosix"), []int{1, 1, 3}},
	} {
		cfg := Config{Computers: []ComputerConfig{{Cores: 1}, {Cores: 1}, {Cores: 1, Speed: 3}}, Seed: 2, Balancer: tc.balancer}
		r := newRig(t, cfg)
		r.load(t, "spin")
		for i := 0; i < 5; i++ {
			if _, err := r.Spawn(-1, "spin", []string{"spin", "20000000"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		var got []int
		for _, l := range r.Loads() {
			got = append(got, l.Live)
		}
		if !cmp.Equal(got, tc.want) {
			t.Errorf("%q: placed %v, want %v", tc.balancer, got, tc.want)
		}
		if strings.Contains(tc.balancer, "mosix") {
			// Pile more work on c0 so the loads diverge and MOSIX proposes moves.
			for i := 0; i < 4; i++ {
				r.Spawn(0, "spin", []string{"spin", "20000000"}, nil)
			}
		}
		r.run(t)
		moves := strings.Count(r.trace.String(), `"kind":"balance"`)
		if strings.Contains(tc.balancer, "mosix") != (moves > 0) {
			t.Errorf("%q: %d balance proposals", tc.balancer, moves)
		}
		for _, line := range strings.Split(r.trace.String(), "\n") {
			if strings.Contains(line, `"kind":"balance"`) && !strings.Contains(line, `"c":"c0"`) {
				t.Errorf("%q: a move not from the busy c0: %s", tc.balancer, line)
				break
			}
		}
	}
}

// benchBoot boots 2 computers × 2 cores with 8 spins under a policy; one
// op is a whole boot (about 2,200 slices).
func benchBoot(b *testing.B, policy string) {
	for b.Loop() {
		b.StopTimer()
		c, err := New(Config{Computers: Uniform(2, 2), Seed: 1, Engine: testEngine, Sched: policy})
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Load("spin", guest(b, "spin")); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 8; i++ {
			c.Spawn(i%2, "spin", []string{"spin", "30000000"}, nil)
		}
		b.StartTimer()
		if err := c.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		c.Close()
		b.StartTimer()
	}
}

// BenchmarkBootLottery compares a whole boot under the built-in lottery
// with the same policy in the example plugin (goal: at most 2× slower).
func BenchmarkBootLottery(b *testing.B) {
	b.Run("builtin", func(b *testing.B) { benchBoot(b, "lottery") })
	b.Run("plugin", func(b *testing.B) { benchBoot(b, plugintest.Lottery(b)) })
}
