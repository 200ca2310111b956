package emulator

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"dosemu/emulator/vtime"
	"dosemu/kernel"
)

// zdtmCase is one standalone guest of guests/ with small arguments: a
// program the ZDTM-style tests run with and without chaos. load lists
// the other programs it spawns or execs.
type zdtmCase struct {
	name string
	args []string
	load []string
	// quantum overrides zdtmQuantum: Go guests poll the clock while idle
	// and burn more instructions the shorter the quantum; short guests
	// and sleepers get a 1 µs quantum so that chaos has turns with them
	// in the middle of their computations too, not only at their system
	// calls.
	quantum int64
	// vary matches the parts of the output that report virtual time or
	// the computer: a migration takes virtual time (the process is frozen
	// while its state crosses the network), so a guest that prints how
	// long it took legitimately prints another number, and one that asks
	// dosemu which computer it is on is told the truth. A child forked or
	// spawned after its parent moved is born on (and named after) the
	// computer the parent is on by then. They are masked
	// before comparing; everything else must match byte for byte.
	vary *regexp.Regexp
}

// zdtmGuests is every standalone guest in guests/ (with sizes that keep a
// run short). Network and file guests need peers or mounts and are
// covered by their own packages' tests.
var zdtmGuests = []zdtmCase{
	{name: "hello", quantum: 1_000},
	{name: "spin", args: []string{"spin", "3000000"}},
	{name: "primes", quantum: 1_000},
	{name: "goinfo", args: []string{"goinfo", "30000"}, quantum: 1_000_000, vary: regexp.MustCompile(`took [0-9.]+ ms|on computer c[0-9]+ \([0-9]+ of`)},
	{name: "alice", args: []string{"alice", "2"}, quantum: 1_000, vary: regexp.MustCompile(`virtual time [0-9.]+s`)},
	{name: "bob", args: []string{"bob", "2"}, quantum: 1_000, vary: regexp.MustCompile(`virtual time [0-9.]+s`)},
	{name: "driver", args: []string{"driver", "2"}, load: []string{"alice", "bob"}, quantum: 1_000, vary: regexp.MustCompile(`virtual time [0-9.]+s|c[0-9]+:[0-9]+`)},
	{name: "bench/fib", args: []string{"fib", "22"}},
	{name: "bench/loop", args: []string{"loop", "2000000"}},
	{name: "bench/sha256", args: []string{"sha256", "1"}},
	{name: "bench/stream", args: []string{"stream", "2", "2"}},
	{name: "bench/gowork", args: []string{"gowork", "200"}, quantum: 1_000_000},
	{name: "proc/forkexec", quantum: 1_000, vary: regexp.MustCompile(`virtual time [0-9.]+s|c[0-9]+:[0-9]+`)},
	{name: "proc/signals", quantum: 1_000, vary: regexp.MustCompile(`c[0-9]+:[0-9]+`)},
	{name: "proc/pipeline", args: []string{"pipeline", "8"}, quantum: 20_000, load: []string{"proc/producer", "proc/filter", "proc/consumer"}, vary: regexp.MustCompile(`c[0-9]+:[0-9]+`)},
}

func (c zdtmCase) mask(out string) string {
	if c.vary == nil {
		return out
	}
	return c.vary.ReplaceAllString(out, "<varies>")
}

// zdtmQuantum is short so that even the small runs are preempted many
// times: every preemption is a chance for chaos.
const zdtmQuantum = 200_000

// zdtmRun runs one guest on c0 of an n-computer cluster and returns its
// output (every process's, prefixed with its global id and stream), the
// exit code of the first process, and the chaos counters. With one
// computer the output is in the order it was written; with more, it is
// grouped per process and stream (each group in write order): processes
// moved to other computers run in parallel with the rest, so how lines of
// different processes interleave legitimately changes, while what each
// process writes must not.
func zdtmRun(t *testing.T, c zdtmCase, computers int, seed uint64, ch Chaos) (string, int, ChaosStats) {
	t.Helper()
	q := c.quantum
	if q == 0 {
		q = zdtmQuantum
	}
	r := newRig(t, Config{Computers: Uniform(computers, 1), Seed: seed, Quantum: vtime.Duration(q), Chaos: ch})
	base := c.name[strings.LastIndexByte(c.name, '/')+1:]
	if err := r.Load(base, guest(t, c.name)); err != nil {
		t.Fatal(err)
	}
	for _, l := range c.load {
		if err := r.Load(l[strings.LastIndexByte(l, '/')+1:], guest(t, l)); err != nil {
			t.Fatal(err)
		}
	}
	streams := map[string]*strings.Builder{}
	if computers > 1 {
		r.Cluster.cfg.Output = func(g GID, prog string, stream int, data []byte) {
			k := fmt.Sprintf("[%s %s %d]", g, prog, stream)
			if streams[k] == nil {
				streams[k] = &strings.Builder{}
			}
			streams[k].Write(data)
		}
	}
	g, err := r.Spawn(0, base, c.args, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("%s under %s: %v\noutput:\n%s", c.name, ch, err, r.out.String())
	}
	st := r.ChaosStats()
	if len(st.Errors) > 0 {
		t.Fatalf("%s under %s: chaos errors: %v", c.name, ch, st.Errors)
	}
	out := r.out.String()
	if computers > 1 {
		// Blocks are ordered by their masked text, so that a child whose
		// global id legitimately differs (it was born where its parent had
		// moved) still lands in the same place.
		blocks := make([]string, 0, len(streams))
		for k, s := range streams {
			blocks = append(blocks, c.mask(fmt.Sprintf("%s\n%s\n", k, s.String())))
		}
		sort.Strings(blocks)
		out = strings.Join(blocks, "")
	}
	return out, r.proc(t, g).ExitCode, st
}

// TestChaosCaptureKeepsOutput: every guest prints exactly what it prints
// without chaos when each of its processes goes through a capture,
// serialize, decode, restore round trip at every Nth chaos point
// (preemption or system-call entry). A round trip charges no virtual
// time, but one taken at a system call ends the slice there (the process
// is frozen between slices, as after a yield), and a guest that reads the
// clock sees it at slice granularity: what it reports as elapsed virtual
// time is masked, as under migration.
func TestChaosCaptureKeepsOutput(t *testing.T) {
	for _, c := range zdtmGuests {
		t.Run(c.name, func(t *testing.T) {
			want, wantCode, _ := zdtmRun(t, c, 1, 1, Chaos{})
			want = c.mask(want)
			trips, atCalls := 0, 0
			for _, n := range []int{1, 2, 7} {
				got, code, st := zdtmRun(t, c, 1, 1, Chaos{Capture: n})
				got = c.mask(got)
				if got != want || code != wantCode {
					t.Fatalf("capture=%d: exit %d, output:\n%s\nwant exit %d, output:\n%s", n, code, got, wantCode, want)
				}
				trips += st.Captures
				atCalls += st.AtCalls
			}
			if trips == 0 || atCalls == 0 {
				t.Errorf("%d captures, %d of them at system calls: the test proves nothing for %s", trips, atCalls, c.name)
			}
		})
	}
}

// zdtmFull reports whether the whole matrix was asked for.
func zdtmFull() bool { return os.Getenv("DOSEMU_FULL_MATRIX") == "1" }

// TestChaosMigrateMatrix is the ZDTM-style matrix: every guest, under
// --chaos migrate=N for several N and seeds, in each strategy, prints
// what it prints unmigrated. By default it runs a representative subset
// (every guest in every strategy with one N and seed, which keeps CI
// short); DOSEMU_FULL_MATRIX=1 runs N in {1, 3, 10} × seeds {1, 2, 3}.
// Every guest must commit migrations, some of them taken at a system
// call's entry.
func TestChaosMigrateMatrix(t *testing.T) {
	ns, seeds := []int{2}, []uint64{1}
	if zdtmFull() {
		ns, seeds = []int{1, 3, 10}, []uint64{1, 2, 3}
	} else {
		t.Log("representative subset (migrate=2, seed 1); DOSEMU_FULL_MATRIX=1 runs migrate=1,3,10 × seeds 1,2,3")
	}
	modes := []kernel.MigrateMode{kernel.StopCopy, kernel.PreCopy, kernel.PostCopy}
	for _, c := range zdtmGuests {
		t.Run(c.name, func(t *testing.T) {
			want, wantCode, _ := zdtmRun(t, c, 3, 1, Chaos{})
			want = c.mask(want)
			moved, atCalls := 0, 0
			for _, mode := range modes {
				for _, n := range ns {
					for _, seed := range seeds {
						// Output does not depend on the seed without chaos
						// (no guest here draws random numbers), so one
						// baseline serves every seed.
						ch := Chaos{Migrate: n, Mode: mode}
						got, code, st := zdtmRun(t, c, 3, seed, ch)
						got = c.mask(got)
						if got != want || code != wantCode {
							t.Fatalf("%s seed %d: exit %d, output:\n%s\nwant exit %d, output:\n%s", ch, seed, code, got, wantCode, want)
						}
						moved += st.Moved
						atCalls += st.AtCalls
					}
				}
			}
			if moved == 0 {
				t.Errorf("no migration committed: the test proves nothing for %s", c.name)
			}
			if atCalls == 0 {
				t.Errorf("no chaos turn at a system call for %s", c.name)
			}
			t.Logf("%d migrations committed, %d turns at system calls", moved, atCalls)
		})
	}
}

// TestChaosAtSystemCalls: with a quantum so long that hello is never
// preempted, chaos still captures and moves it, at its system calls;
// the output is unchanged, every chaos point is a system call's entry or
// a preemption (the repeat of a frozen call is not a new one, else
// migrate=1 would never end), and the same seed gives the same trace.
func TestChaosAtSystemCalls(t *testing.T) {
	run := func(computers int, ch Chaos) (*rig, *kernel.Process) {
		r := newRig(t, Config{Computers: Uniform(computers, 1), Seed: 3, Quantum: vtime.Duration(1_000_000_000), Chaos: ch})
		r.load(t, "hello")
		g, err := r.Spawn(0, "hello", []string{"hello", "a", "b"}, []string{"K=V"})
		if err != nil {
			t.Fatal(err)
		}
		p := r.Process(g)
		r.run(t)
		if st := r.ChaosStats(); len(st.Errors) > 0 {
			t.Fatalf("%s: chaos errors: %v", ch, st.Errors)
		}
		return r, p
	}
	base, bp := run(1, Chaos{})
	if bp.Stats().Preemptions != 0 || bp.Stats().Syscalls == 0 {
		t.Fatalf("hello: %d preemptions, %d system calls: want none and some", bp.Stats().Preemptions, bp.Stats().Syscalls)
	}
	if bp.ChaosPoints() != 0 {
		t.Errorf("without chaos, %d chaos points were counted", bp.ChaosPoints())
	}
	want := sortLines(base.out.String())

	r, p := run(1, Chaos{Capture: 1})
	st, ps := r.ChaosStats(), p.Stats()
	if got := sortLines(r.out.String()); got != want {
		t.Fatalf("capture=1: output:\n%s\nwant:\n%s", got, want)
	}
	if ps.Syscalls != bp.Stats().Syscalls {
		t.Errorf("capture=1: %d system calls, want %d as without chaos (a frozen entry is not a call)", ps.Syscalls, bp.Stats().Syscalls)
	}
	if p.ChaosPoints() != ps.Syscalls+ps.Preemptions {
		t.Errorf("capture=1: %d chaos points, want %d system calls + %d preemptions", p.ChaosPoints(), ps.Syscalls, ps.Preemptions)
	}
	if st.Captures != p.ChaosPoints() || st.AtCalls != ps.Syscalls {
		t.Errorf("capture=1: %d captures (%d at calls), want one per chaos point (%d, %d at calls)", st.Captures, st.AtCalls, p.ChaosPoints(), ps.Syscalls)
	}

	var traces [2]string
	for i := range traces {
		r, p := run(3, Chaos{Migrate: 1, Mode: kernel.StopCopy})
		st := r.ChaosStats()
		// Blocks of output per process: the moved process writes them
		// from wherever it is, in the same order.
		if got := sortLines(r.out.String()); got != want {
			t.Fatalf("migrate=1: output:\n%s\nwant:\n%s", got, want)
		}
		// Stop-and-copy is over before the process runs again, so no
		// turn finds it busy: it moves at every system call.
		if st.AtCalls != p.Stats().Syscalls || st.Moved != st.AtCalls {
			t.Fatalf("migrate=1: %+v: want a committed move at each of the %d system calls", st, p.Stats().Syscalls)
		}
		if p.Stats().Syscalls != bp.Stats().Syscalls {
			t.Errorf("migrate=1: %d system calls, want %d", p.Stats().Syscalls, bp.Stats().Syscalls)
		}
		traces[i] = r.trace.String()
		if i == 0 {
			t.Logf("migrate=1: %d chaos points, %d system calls, %d migrations committed", p.ChaosPoints(), p.Stats().Syscalls, st.Moved)
		}
	}
	if traces[0] != traces[1] {
		t.Error("migrate=1: two runs with the same seed gave different traces")
	}
}

// TestChaosBothAtOnce: capture round trips and migrations on the same
// processes, the restored instance being the one that moves.
func TestChaosBothAtOnce(t *testing.T) {
	c := zdtmCase{name: "bench/stream", args: []string{"stream", "2", "3"}}
	want, _, _ := zdtmRun(t, c, 3, 5, Chaos{})
	got, _, st := zdtmRun(t, c, 3, 5, Chaos{Capture: 1, Migrate: 3, Mode: kernel.PostCopy})
	if got != want {
		t.Fatalf("output:\n%s\nwant:\n%s", got, want)
	}
	if st.Captures == 0 || st.Moved == 0 {
		t.Fatalf("chaos did nothing: %+v", st)
	}
}

func TestSetChaosRejectsBadValues(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(1, 1)})
	for _, ch := range []Chaos{{Capture: -1}, {Migrate: -2}, {Migrate: 1, Mode: 9}} {
		if err := r.SetChaos(ch); err == nil {
			t.Errorf("SetChaos(%+v) accepted", ch)
		}
	}
	if _, err := New(Config{Computers: Uniform(1, 1), Engine: testEngine, Chaos: Chaos{Capture: -1}}); err == nil {
		t.Error("New accepted a negative chaos count")
	}
}

// BenchmarkCaptureRoundTrip measures one capture + serialize + decode +
// restore of a real guest (stream with 4 MiB of memory) between slices.
func BenchmarkCaptureRoundTrip(b *testing.B) {
	for _, mib := range []int{1, 16} {
		b.Run(fmt.Sprintf("stream-%dMiB", mib), func(b *testing.B) {
			r := newRig(b, Config{Computers: Uniform(1, 1), Quantum: zdtmQuantum})
			if err := r.Load("stream", guest(b, "bench/stream")); err != nil {
				b.Fatal(err)
			}
			g, err := r.Spawn(0, "stream", []string{"stream", fmt.Sprint(mib), "1000"}, nil)
			if err != nil {
				b.Fatal(err)
			}
			// Run until the guest has touched its memory and is preempted.
			for r.Process(g).Stats().Preemptions < 3 {
				if !r.Loop().Step() {
					b.Fatal("guest ended early")
				}
			}
			for r.Process(g).State() != kernel.Ready {
				r.Loop().Step()
			}
			p := r.Process(g)
			var bytes int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				trip, err := p.CaptureRoundTrip()
				if err != nil {
					b.Fatal(err)
				}
				bytes = trip.Bytes
			}
			b.ReportMetric(float64(bytes), "capture-bytes")
		})
	}
}

// TestMosixProposalsMigrate: the MOSIX balancer's proposals are carried
// out (balance events with applied true, processes committed elsewhere)
// and the spins' output is what it is without a balancer moving them.
func TestMosixProposalsMigrate(t *testing.T) {
	out := func(balancer string) (*rig, string) {
		r := newRig(t, Config{Computers: Uniform(3, 1), Seed: 2, Balancer: balancer, BalanceMode: kernel.PreCopy})
		r.load(t, "spin")
		for i := 0; i < 5; i++ {
			if _, err := r.Spawn(0, "spin", []string{"spin", "20000000"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		r.run(t)
		return r, r.out.String()
	}
	_, want := out("")
	r, got := out("mosix")
	tr := r.trace.String()
	if !strings.Contains(tr, `"applied":true`) {
		t.Fatalf("no balance proposal was applied:\n%s", grepLines(tr, `"kind":"balance"`))
	}
	moved := 0
	for i := 0; i < r.NumComputers(); i++ {
		moved += r.Kernel(i).MigrationStats().Moved
	}
	if moved == 0 {
		t.Fatal("balance events say applied, but no migration committed")
	}
	// Where each line comes from is the same process (its global id does
	// not change); the order of lines between processes may differ, since
	// moved processes run in parallel on other computers.
	if sortLines(got) != sortLines(want) {
		t.Fatalf("output under mosix:\n%s\nwant (in any order):\n%s", got, want)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func sortLines(s string) string {
	ls := strings.Split(s, "\n")
	sort.Strings(ls)
	return strings.Join(ls, "\n")
}

// BenchmarkChaosAtCalls: nowloop (a million dosemu.now calls; one op is
// one run) without chaos, with chaos hooks that never call a turn, and
// with capture round trips at every 999,999th and every 10,000th chaos
// point (1 and 100 turns per run, nearly all at system calls: unwind,
// capture, serialize, decode, restore, rewind). "never" against "off" is
// the cost of counting a chaos point at every system call's entry (a few
// ns); "capture=999999" against "never" is one turn, which leaves the
// restored instance as fast as the original. "off" against
// BenchmarkSyscall of a tree without chaos points is the cost of the nil
// check at every entry.
func BenchmarkChaosAtCalls(b *testing.B) {
	const perRun = 1000000
	for _, bc := range []struct {
		name string
		ch   Chaos
	}{{"off", Chaos{}}, {"capture=never", Chaos{Capture: 1 << 40}}, {"capture=999999", Chaos{Capture: 999999}}, {"capture=10000", Chaos{Capture: 10000}}} {
		b.Run(bc.name, func(b *testing.B) {
			c, err := New(Config{Computers: Uniform(1, 1), Seed: 1, Engine: testEngine, Chaos: bc.ch})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { c.Close() })
			if err := c.Load("nowloop", guest(b, "nowloop")); err != nil {
				b.Fatal(err)
			}
			runs := 0
			for b.Loop() {
				if _, err := c.Spawn(0, "nowloop", nil, nil); err != nil {
					b.Fatal(err)
				}
				if err := c.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				runs++
			}
			st := c.ChaosStats()
			if len(st.Errors) > 0 {
				b.Fatal(st.Errors)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(runs*perRun), "ns/syscall")
			b.ReportMetric(float64(st.Captures)/float64(runs), "turns/op")
			b.ReportMetric(float64(st.AtCalls)/float64(runs), "at-calls/op")
		})
	}
}
