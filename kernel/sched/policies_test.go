package sched

import (
	"errors"
	"strings"
	"testing"

	"dosemu/emulator/vtime"
)

func TestMLFQDemotesAndBoosts(t *testing.T) {
	m := NewMLFQ(3, 1000, 0)
	spawn(m, 2, Info{})
	spawn(m, 3, Info{})
	// 2 uses whole quanta and sinks; 3 yields early and stays on top.
	for i := 0; i < 3; i++ {
		m.Event(Event{Kind: Run, PID: 2})
		m.Event(Event{Kind: Preempt, PID: 2, Used: 1000})
	}
	m.Event(Event{Kind: Yield, PID: 3})
	if m.Level(2) != 2 || m.Level(3) != 0 {
		t.Fatalf("levels %d %d, want 2 0", m.Level(2), m.Level(3))
	}
	if p := m.Plan(0, 0); len(p) != 1 || p[0].PID != 3 || p[0].Quantum != 1000 {
		t.Fatalf("plan %v: want the top-level 3 with the base quantum", p)
	}
	if p := m.Plan(0, 0); len(p) != 1 || p[0].PID != 2 || p[0].Quantum != 4000 {
		t.Fatalf("plan %v: want 2 with the bottom level's quantum", p)
	}
	m.Event(Event{Kind: Preempt, PID: 2})
	m.Event(Event{Kind: Tick})
	if m.Level(2) != 0 || m.TickPeriod() != DefaultMLFQBoost {
		t.Fatalf("after a boost 2 is at level %d", m.Level(2))
	}
	m.Event(Event{Kind: Exit, PID: 2})
	if m.Level(2) != -1 || len(m.Plan(0, 0)) != 0 {
		t.Fatal("an exited process is still scheduled")
	}
}

func TestLotteryIsProportionalAndSeeded(t *testing.T) {
	draw := func(seed uint64) map[int]int {
		l := NewLottery(Options{Seed: seed, Computer: "c0"}.Rand(), 0)
		spawn(l, 2, Info{Priority: -20}) // 40 tickets
		spawn(l, 3, Info{Priority: 0})   // 20 tickets
		spawn(l, 4, Info{Priority: 19})  // 1 ticket
		n := map[int]int{}
		for i := 0; i < 200; i++ {
			for _, s := range l.Plan(0, 0) {
				n[s.PID]++
			}
		}
		return n
	}
	n := draw(1)
	if r := float64(n[2]) / float64(n[3]); r < 1.8 || r > 2.2 || n[4] == 0 || n[3] < 10*n[4] || n[3] > 40*n[4] {
		t.Fatalf("draws %v: want about 40:20:1", n)
	}
	if m := draw(1); m[2] != n[2] || m[3] != n[3] {
		t.Fatal("the same seed drew differently")
	}
	if m := draw(2); m[2] == n[2] && m[3] == n[3] {
		t.Fatal("another seed drew the same")
	}
	l := NewLottery(Options{}.Rand(), 4)
	if !l.Event(Event{Kind: Spawn, PID: 2}) || l.Event(Event{Kind: Run, PID: 2}) || l.Event(Event{Kind: Preempt, PID: 2}) || !l.Event(Event{Kind: Block, PID: 2}) {
		t.Fatal("staleness does not follow LotteryStaleOn")
	}
	if len(l.Plan(0, 0)) != 0 {
		t.Fatal("a plan with nothing ready")
	}
}

// fakeRemote answers with a fixed plan or error.
type fakeRemote struct {
	plan []Slice
	err  error
	n    int
}

func (f *fakeRemote) Name() string               { return "fake" }
func (f *fakeRemote) TickPeriod() vtime.Duration { return 5 }
func (f *fakeRemote) Event(Event) bool           { return false }
func (f *fakeRemote) Plan(vtime.Time, int) ([]Slice, error) {
	f.n++
	return f.plan, f.err
}

func TestGuardedFallsBackWithoutLosingProcesses(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *fakeRemote
		want string
	}{
		{"error", &fakeRemote{err: errors.New("plugin x: plan: the plugin process exited")}, "exited"},
		{"unknown pid", &fakeRemote{plan: []Slice{{PID: 77}}}, "pid 77, which is not a live process"},
		{"negative", &fakeRemote{plan: []Slice{{PID: 2, Quantum: -1}}}, "negative quantum"},
		{"too long", &fakeRemote{plan: make([]Slice, MaxPlan+1)}, "slices (at most"},
	} {
		var faults []string
		g := NewGuarded(tc.r, func(now vtime.Time, err error) { faults = append(faults, err.Error()) })
		spawn(g, 2, Info{})
		spawn(g, 3, Info{})
		g.Event(Event{Kind: Run, PID: 2})
		spawn(g, 4, Info{})
		got := run(g, 4, 1)
		if len(faults) != 1 || !strings.Contains(faults[0], tc.want) || tc.r.n != 1 {
			t.Errorf("%s: faults %q after %d remote plans", tc.name, faults, tc.r.n)
		}
		// 2 was running when the fallback came; it returns when preempted.
		g.Event(Event{Kind: Preempt, PID: 2})
		got = append(got, run(g, 3, 1)...)
		if want := []int{3, 4, 3, 4, 3, 4, 2}; !equal(got[:7], want) {
			t.Errorf("%s: after the fallback ran %v, want %v", tc.name, got, want)
		}
		if g.Name() != "rr" || g.TickPeriod() != 0 || g.Err() == nil {
			t.Errorf("%s: name %q tick %v err %v", tc.name, g.Name(), g.TickPeriod(), g.Err())
		}
	}
	ok := &fakeRemote{plan: []Slice{{PID: 2, Quantum: 3}}}
	g := NewGuarded(ok, nil)
	spawn(g, 2, Info{})
	if p := g.Plan(0, 0); len(p) != 1 || g.Err() != nil || g.Name() != "fake" || g.TickPeriod() != 5 {
		t.Fatalf("a valid plan was refused: %v %v", p, g.Err())
	}
}

// FuzzGuardedPlan feeds arbitrary plugin answers to Guarded: it never
// panics, accepts exactly the valid plans, and always keeps scheduling.
func FuzzGuardedPlan(f *testing.F) {
	f.Add([]byte{2, 0, 3, 1}, false)
	f.Add([]byte{99, 0}, false)
	f.Add([]byte{2, 200}, true)
	f.Fuzz(func(t *testing.T, data []byte, fail bool) {
		var plan []Slice
		for i := 0; i+1 < len(data); i += 2 {
			plan = append(plan, Slice{PID: int(int8(data[i])), Quantum: vtime.Duration(int8(data[i+1]))})
		}
		r := &fakeRemote{plan: plan}
		if fail {
			r.err = errors.New("boom")
		}
		g := NewGuarded(r, nil)
		for pid := 2; pid < 6; pid++ {
			spawn(g, pid, Info{})
		}
		valid := !fail
		for _, s := range plan {
			if s.PID < 2 || s.PID > 5 || s.Quantum < 0 {
				valid = false
			}
		}
		got := g.Plan(0, 0)
		if (g.Err() == nil) != valid {
			t.Fatalf("plan %v fail=%v: err %v", plan, fail, g.Err())
		}
		if !valid && (len(got) != 1 || got[0].PID != 2) {
			t.Fatalf("fallback planned %v, want pid 2 first", got)
		}
	})
}

func TestBalancers(t *testing.T) {
	loads := []Load{
		{Computer: 0, Cores: 2, Speed: 1, Live: 4, Ready: 4, Procs: []Proc{{PID: 2, CPUTime: 9, Memory: 8}, {PID: 3, CPUTime: 9, Memory: 4}, {PID: 4, CPUTime: 1}}},
		{Computer: 1, Cores: 1, Speed: 1, Live: 1, Ready: 1},
		{Computer: 2, Cores: 1, Speed: 2, Live: 1, Ready: 0},
	}
	if c := (LeastLoaded{}).Place(0, "x", loads); c != 2 {
		t.Errorf("least-loaded placed on %d, want 2 (1 process on capacity 2)", c)
	}
	m := NewMOSIX(0, 0)
	moves := m.Balance(0, loads)
	if len(moves) != 1 || moves[0] != (Move{PID: 3, From: 0, To: 2}) {
		t.Errorf("mosix proposed %v, want pid 3 (most CPU, less memory) from c0 to c2", moves)
	}
	loads[0].Ready = 2
	if moves := m.Balance(0, loads); len(moves) != 0 {
		t.Errorf("mosix moved %v under the threshold", moves)
	}
	rr, _ := NewBalancer("")
	if a, b, c := rr.Place(0, "", loads), rr.Place(0, "", loads), rr.Place(0, "", loads); a != 0 || b != 1 || c != 2 {
		t.Errorf("round-robin placed %d %d %d", a, b, c)
	}
	if _, err := NewBalancer("nosuch"); err == nil || !strings.Contains(err.Error(), "mosix") {
		t.Errorf("unknown balancer: %v", err)
	}
	for _, name := range Names() {
		if p, err := NewWith(name, Options{Seed: 1}); err != nil || p == nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
