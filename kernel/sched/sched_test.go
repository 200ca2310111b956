package sched

import (
	"testing"

	"dosemu/emulator/vtime"
)

// run drives a policy as a one-CPU kernel would: plan, dispatch, preempt,
// for n slices; it returns the pids in the order they ran.
func run(p Policy, n int, used vtime.Duration) []int {
	var out []int
	for i := 0; i < n; i++ {
		plan := p.Plan(vtime.Time(i), 0)
		if len(plan) == 0 {
			break
		}
		pid := plan[0].PID
		out = append(out, pid)
		p.Event(Event{Kind: Run, PID: pid})
		p.Event(Event{Kind: Preempt, PID: pid, Used: used})
	}
	return out
}

func spawn(p Policy, pid int, in Info) {
	in.PID = pid
	p.Event(Event{Kind: Spawn, PID: pid, Info: &in})
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRoundRobinAlternates(t *testing.T) {
	p := NewRoundRobin()
	for pid := 2; pid <= 4; pid++ {
		spawn(p, pid, Info{})
	}
	got := run(p, 7, 1)
	if want := []int{2, 3, 4, 2, 3, 4, 2}; !equal(got, want) {
		t.Fatalf("order %v, want %v", got, want)
	}
}

func TestRoundRobinBlockAndExit(t *testing.T) {
	p := NewRoundRobin()
	spawn(p, 2, Info{})
	spawn(p, 3, Info{})
	p.Event(Event{Kind: Block, PID: 2})
	if got := run(p, 2, 1); !equal(got, []int{3, 3}) {
		t.Fatalf("blocked pid ran: %v", got)
	}
	p.Event(Event{Kind: Ready, PID: 2})
	p.Event(Event{Kind: Exit, PID: 3})
	if got := run(p, 2, 1); !equal(got, []int{2, 2}) {
		t.Fatalf("after wake/exit: %v", got)
	}
	p.Event(Event{Kind: Exit, PID: 2})
	if plan := p.Plan(0, 0); len(plan) != 0 {
		t.Fatalf("empty policy planned %v", plan)
	}
}

func TestQueueCompaction(t *testing.T) {
	q := newQueue()
	for i := 1; i <= 1000; i++ {
		q.Push(i)
	}
	for i := 1; i <= 1000; i += 2 {
		q.Remove(i)
	}
	for i := 2; i <= 1000; i += 2 {
		if got := q.Pop(); got != i {
			t.Fatalf("pop %d, want %d", got, i)
		}
	}
	if q.Len() != 0 || q.Pop() != 0 {
		t.Fatalf("queue not empty: len %d", q.Len())
	}
}

func TestPriorityPrefersLowNiceButAges(t *testing.T) {
	p := NewPriority(1)
	spawn(p, 2, Info{Priority: 0})
	spawn(p, 3, Info{Priority: 5})
	got := run(p, 12, 1)
	// pid 3 waits 5 slices to catch up with pid 2's nice, then wins one.
	count3 := 0
	for _, pid := range got {
		if pid == 3 {
			count3++
		}
	}
	if got[0] != 2 || count3 == 0 || count3 >= 6 {
		t.Fatalf("priority order %v: want pid 2 first and pid 3 aged in but rarer", got)
	}
	p0 := NewPriority(0)
	spawn(p0, 2, Info{Priority: 0})
	spawn(p0, 3, Info{Priority: 5})
	for _, pid := range run(p0, 10, 1) {
		if pid == 3 {
			t.Fatal("without aging, the low-priority process must starve")
		}
	}
}

func TestFairSharePerUser(t *testing.T) {
	p := NewFairShare(ByUser)
	// alice has three processes, bob one: bob must still get half.
	spawn(p, 2, Info{User: "alice"})
	spawn(p, 3, Info{User: "alice"})
	spawn(p, 4, Info{User: "alice"})
	spawn(p, 5, Info{User: "bob"})
	got := run(p, 100, 10)
	bob := 0
	for _, pid := range got {
		if pid == 5 {
			bob++
		}
	}
	if bob != 50 {
		t.Fatalf("bob got %d of 100 slices, want 50", bob)
	}
}

func TestFairShareNewcomerNoMonopoly(t *testing.T) {
	p := NewFairShare(ByParent)
	spawn(p, 2, Info{Parent: 1})
	run(p, 50, 10)
	spawn(p, 3, Info{Parent: 7})
	got := run(p, 10, 10)
	n := 0
	for _, pid := range got {
		if pid == 3 {
			n++
		}
	}
	if n != 5 {
		t.Fatalf("newcomer got %d of 10 slices, want 5: %v", n, got)
	}
}

func TestNewNames(t *testing.T) {
	for _, n := range Names() {
		p, err := New(n)
		if err != nil || p.Name() != n {
			t.Fatalf("New(%q) = %v, %v", n, p, err)
		}
	}
	if _, err := New("lottery-ish"); err == nil {
		t.Fatal("unknown name accepted")
	}
}

func BenchmarkRoundRobinDecision(b *testing.B) {
	p := NewRoundRobin()
	for pid := 2; pid < 66; pid++ {
		spawn(p, pid, Info{})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		pid := p.Plan(vtime.Time(i), 0)[0].PID
		p.Event(Event{Kind: Preempt, PID: pid, Used: 1})
	}
}
