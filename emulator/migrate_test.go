package emulator

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"dosemu/emulator/cpu"
	"dosemu/emulator/paging"
	"dosemu/emulator/vtime"
	"dosemu/kernel"
	"dosemu/net"
)

// migRun runs stream (a few MiB, several passes: the checksum depends on
// every page) on c0 of a three-computer cluster with the given plans.
func migRun(t *testing.T, plans ...string) (*rig, GID) {
	t.Helper()
	defer leakCheck(t)()
	r, g := streamRig(t)
	r.plan(t, plans...)
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.jsonl.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(r.fails) > 0 || len(r.Failures()) > 0 {
		t.Fatalf("failures: %v %v", r.fails, r.Failures())
	}
	return r, g
}

// leakCheck notes what paging holds now; the function it returns fails t
// if, once the releases in flight are done, anything more is held: a
// staging image, detached source pages, a pager or a write tracker that a
// migration (moved, aborted or failed after its hand-off) did not let go.
func leakCheck(t *testing.T) func() {
	t.Helper()
	paging.Settle()
	before := paging.Live()
	return func() {
		t.Helper()
		paging.Settle()
		if now := paging.Live(); now != before {
			t.Errorf("paging holds %v after the run, %v before it", now, before)
		}
	}
}

func moved(r *rig) (moved, aborted int) {
	for i := 0; i < r.NumComputers(); i++ {
		s := r.Kernel(i).MigrationStats()
		moved += s.Moved
		aborted += s.Aborted
	}
	return
}

func TestMigrateEachModeKeepsOutput(t *testing.T) {
	base, _ := migRun(t)
	want := base.out.String()
	if !strings.Contains(want, "checksum") {
		t.Fatalf("baseline output %q has no checksum", want)
	}
	for _, mode := range []string{"stopcopy", "precopy", "postcopy"} {
		t.Run(mode, func(t *testing.T) {
			prog, err := base.Program("stream")
			if err != nil {
				t.Fatal(err)
			}
			spares := prog.Spares()
			r, g := migRun(t, "at=3ms pid=c0:2 to=c1 mode="+mode, "at=400ms pid=c0:2 to=c2 mode="+mode)
			if got := r.out.String(); got != want {
				t.Fatalf("output after migration:\n%s\nwant:\n%s", got, want)
			}
			// Each destination prepares an instance at the prepare phase,
			// and the restore at commit takes it (a config it cannot take
			// would leave them piling up).
			if n := prog.Spares(); n > spares {
				t.Errorf("%d prepared instances after two moves, %d before: the restores did not take them", n, spares)
			}
			if m, a := moved(r); m != 2 || a != 0 {
				t.Fatalf("moved %d aborted %d, want 2 and 0\n%s", m, a, r.trace.String())
			}
			tr := r.trace.String()
			for _, ph := range []string{`"phase":"commit"`, `"phase":"resume"`, `"flow_phase":"end"`} {
				if !strings.Contains(tr, ph) {
					t.Errorf("trace lacks %s", ph)
				}
			}
			if g.String() != "c0:2" || !strings.Contains(r.out.String(), "[c0:2 stream 1]") {
				t.Errorf("output not attributed to the process's own id c0:2: %q", r.out.String())
			}
			if mode == "postcopy" && !strings.Contains(tr, `"phase":"done"`) {
				t.Errorf("post-copy never finished pushing")
			}
		})
	}
}

func TestMigrateFailureResumesAtSource(t *testing.T) {
	base, _ := migRun(t)
	for _, mode := range []string{"stopcopy", "precopy", "postcopy"} {
		for _, ph := range []string{kernel.PhasePrepare, kernel.PhaseMem, kernel.PhaseCommit} {
			if mode == "postcopy" && ph == kernel.PhaseMem {
				continue // post-copy sends no memory before commit
			}
			t.Run(mode+"/"+ph, func(t *testing.T) {
				r, _ := migRun(t, "at=3ms pid=c0:2 to=c1 mode="+mode+" fail="+ph)
				if got := r.out.String(); got != base.out.String() {
					t.Fatalf("output %q, want %q", got, base.out.String())
				}
				if m, a := moved(r); m != 0 || a != 1 {
					t.Fatalf("moved %d aborted %d, want 0 and 1", m, a)
				}
				if r.Kernel(1).Stats().Spawned != 0 || len(r.Kernel(1).Records()) != 1 {
					t.Fatalf("the destination got a process")
				}
			})
		}
	}
}

func TestMigrateDestinationDown(t *testing.T) {
	defer leakCheck(t)()
	r := newRig(t, Config{Computers: Uniform(2, 1), Seed: 1})
	if err := r.Load("stream", guest(t, "bench/stream")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Spawn(0, "stream", []string{"stream", "2", "4"}, nil); err != nil {
		t.Fatal(err)
	}
	_ = r.Network().Fabric().SetDown(1, true)
	m, _ := ParseMigratePlan("at=1ms pid=c0:2 to=c1 mode=stopcopy")
	_ = r.PlanMigration(m)
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if mv, a := moved(r); mv != 0 || a != 1 {
		t.Fatalf("moved %d aborted %d, want 0 and 1", mv, a)
	}
	if !strings.Contains(r.out.String(), "checksum") {
		t.Fatalf("process did not finish at the source: %q", r.out.String())
	}
}

func TestParseMigratePlan(t *testing.T) {
	m, err := ParseMigratePlan("at=50ms pid=c0:3 to=c2 mode=precopy")
	if err != nil || m.At != 50_000_000 || m.GID.String() != "c0:3" || m.To != 2 || m.Mode != kernel.PreCopy {
		t.Fatalf("got %+v, %v", m, err)
	}
	for _, f := range []string{"prepare", "mem", "commit", "push", "source"} {
		m, err := ParseMigratePlan("at=1ms pid=c0:2 to=c1 fail=" + f)
		if err != nil || m.FailAt != f {
			t.Errorf("fail=%s: got %+v, %v", f, m, err)
		}
	}
	for _, bad := range []string{"", "at=5ms", "at=x pid=c0:1 to=c1", "at=1ms pid=zz to=c1", "at=1ms pid=c0:1 to=q",
		"at=1ms pid=c0:1 to=c1 mode=fast", "at=1ms at=2ms pid=c0:1 to=c1", "at=1ms pid=c0:1 to=c1 fail=pushed", "at=1ms pid=c0:1 to=c1 fail=", "junk"} {
		if _, err := ParseMigratePlan(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParseMigratePlan(f *testing.F) {
	f.Add("at=50ms pid=c0:3 to=c2 mode=postcopy")
	f.Add("at=1ms pid=c1:2 to=c0 fail=commit")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMigratePlan(s)
		if err != nil {
			return
		}
		if _, err := ParseMigratePlan(m.String()); err != nil {
			t.Fatalf("%q parsed, but its String %q does not: %v", s, m.String(), err)
		}
	})
}

// tourRun runs migtour on c0 of a three-computer cluster with a root
// directory; who is "parent", "child" or "none" (nothing moves).
func tourRun(t *testing.T, mode kernel.MigrateMode, who string) *rig {
	t.Helper()
	defer leakCheck(t)()
	r := newRig(t, Config{Computers: Uniform(3, 1), Seed: 5, RootDir: true})
	r.load(t, "migtour")
	if _, err := r.Spawn(0, "migtour", []string{"migtour", fmt.Sprint(int(mode)), who}, []string{"TOUR=on"}); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.jsonl.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(r.fails) > 0 || len(r.Failures()) > 0 {
		t.Fatalf("failures: %v %v\n%s", r.fails, r.Failures(), r.out.String())
	}
	return r
}

var outMark = regexp.MustCompile(`\[(c\d+:\d+) [a-z]+ ([12])\] `)

// streams splits the rig's output into each process's streams, keyed
// "c0:2 1" (stdout) or "c0:2 2" (stderr).
func streams(s string) map[string]string {
	out := map[string]string{}
	ms := outMark.FindAllStringSubmatchIndex(s, -1)
	for i, m := range ms {
		end := len(s)
		if i+1 < len(ms) {
			end = ms[i+1][0]
		}
		key := s[m[2]:m[3]] + " " + s[m[4]:m[5]]
		out[key] += s[m[1]:end]
	}
	return out
}

// TestMigrateTour takes a process with an open file, a pipe to a child,
// two sockets, env and cwd from c0 to c1, c2 and back (or its child, the
// pipe's reader, on the same tour), in every strategy: its output must be
// the unmoved run's, files made on the way must land at home, and the
// forwarded file and socket calls must have paid the network.
func TestMigrateTour(t *testing.T) {
	base := streams(tourRun(t, kernel.StopCopy, "none").out.String())
	for key, l := range map[string]string{"c0:2 1": "step 2: datagram three from c0:49152, cwd /work, TOUR=on\nlog:\nalpha\none\ntwo\nthree\nchild status 1792 (same child: 1)\n",
		"c0:3 1": "child got: three\nchild: end of pipe after 0 hops\n"} {
		if !strings.HasSuffix(base[key], l) {
			t.Fatalf("unmoved output of %s does not end with %q: %q", key, l, base[key])
		}
	}
	for _, mode := range []kernel.MigrateMode{kernel.StopCopy, kernel.PreCopy, kernel.PostCopy} {
		for _, who := range []string{"parent", "child"} {
			t.Run(mode.String()+"/"+who, func(t *testing.T) {
				r := tourRun(t, mode, who)
				got := streams(r.out.String())
				for _, key := range []string{"c0:2 1", "c0:3 1"} {
					want := base[key]
					if who == "child" && key == "c0:3 1" {
						want = strings.Replace(want, "after 0 hops", "after 3 hops", 1)
					}
					if got[key] != want {
						t.Errorf("output of %s:\n%s\nwant:\n%s", key, got[key], want)
					}
				}
				mover := map[string]string{"parent": "c0:2 2", "child": "c0:3 2"}[who]
				if want := who + " hop 0: on c1\n" + who + " hop 1: on c2\n" + who + " hop 2: on c0\n"; got[mover] != want {
					t.Errorf("%s's tour: %q, want %q", who, got[mover], want)
				}
				if m, a := moved(r); m != 3 || a != 0 {
					t.Fatalf("moved %d aborted %d, want 3 and 0", m, a)
				}
				for i := 0; i < 3; i++ {
					if _, err := r.FS(0).Stat(fmt.Sprintf("work/made-%d.txt", i), true); err != nil {
						t.Errorf("made-%d.txt is not at home: %v", i, err)
					}
					for c := 1; c < 3; c++ {
						if _, err := r.FS(c).Stat(fmt.Sprintf("work/made-%d.txt", i), true); err == nil {
							t.Errorf("made-%d.txt was made on c%d, not at home", i, c)
						}
					}
				}
				if who == "parent" {
					fwd := r.Kernel(1).MigrationStats().Forwarded + r.Kernel(2).MigrationStats().Forwarded
					if fwd == 0 {
						t.Errorf("no socket call was forwarded home")
					}
					if st := r.FileStats(1); st.Calls == 0 || st.BytesOut == 0 {
						t.Errorf("c1 made no remote file writes (%+v): the file was used in place", st)
					}
				}
				if !strings.Contains(r.trace.String(), `"what":"pipe.`) {
					t.Errorf("no pipe traffic crossed the network")
				}
			})
		}
	}
}

// TestMigrateSleeperKeepsDeadline moves alice while she sleeps her first
// second (blocked in poll_oneoff with a relative timeout): the call is
// repeated on the destination, and must end at the instant it would have
// without the move (1 s after it started, plus the microseconds alice
// spends before it), not a second after the arrival. A move whose hand-off
// ends after that instant wakes her at once on arrival.
func TestMigrateSleeperKeepsDeadline(t *testing.T) {
	alice := regexp.MustCompile(`alice: 1/1, virtual time ([0-9.]+)s`)
	wake := func(t *testing.T, plans ...string) (float64, *rig) {
		t.Helper()
		r := newRig(t, Config{Computers: Uniform(2, 1), Seed: 3})
		r.load(t, "alice")
		if _, err := r.Spawn(0, "alice", []string{"alice", "1"}, nil); err != nil {
			t.Fatal(err)
		}
		r.plan(t, plans...)
		r.run(t)
		m := alice.FindStringSubmatch(outMark.ReplaceAllString(r.out.String(), ""))
		if m == nil {
			t.Fatalf("no wake-up line in %q", r.out.String())
		}
		var s float64
		fmt.Sscan(m[1], &s)
		return s, r
	}
	base, _ := wake(t)
	if base < 1 || base > 1.001 {
		t.Fatalf("unmoved alice woke at %.3fs, want 1.000s", base)
	}
	for _, mode := range []string{"stopcopy", "precopy", "postcopy"} {
		t.Run(mode, func(t *testing.T) {
			got, r := wake(t, "at=400ms pid=c0:2 to=c1 mode="+mode)
			if mv, a := moved(r); mv != 1 || a != 0 {
				t.Fatalf("moved %d aborted %d, want 1 and 0", mv, a)
			}
			if !strings.Contains(r.out.String(), "[c0:2 alice 1]") {
				t.Fatalf("output not from the moved process: %q", r.out.String())
			}
			// The move took well under a millisecond of virtual time; the
			// printed clock has millisecond resolution.
			if got < base || got > base+0.002 {
				t.Fatalf("moved alice woke at %.3fs, want %.3fs (the sleep restarted on arrival?)", got, base)
			}
		})
	}
	t.Run("aborted", func(t *testing.T) {
		// Frozen at 400 ms and resumed on the source after the destination
		// refused the commit: the repeated call keeps its deadline there too.
		got, r := wake(t, "at=400ms pid=c0:2 to=c1 mode=stopcopy fail=commit")
		if mv, a := moved(r); mv != 0 || a != 1 {
			t.Fatalf("moved %d aborted %d, want 0 and 1", mv, a)
		}
		if got < base || got > base+0.002 {
			t.Fatalf("alice woke at %.3fs after an aborted move, want %.3fs", got, base)
		}
	})
}

// sockRun runs sockfwd (mode, computer, pause) on c0 of a three-computer
// cluster whose links have the given latency, with the given migration
// plans and fault steps; it returns the rig and the ended process.
func sockRun(t *testing.T, latency vtime.Duration, args []string, plans []string, steps []net.Step) (*rig, *kernel.Process) {
	t.Helper()
	defer leakCheck(t)()
	r := newRig(t, Config{Computers: Uniform(3, 1), Seed: 11, Network: &net.Config{Link: net.LinkParams{Latency: latency}}})
	r.load(t, "sockfwd")
	g, err := r.Spawn(0, "sockfwd", append([]string{"sockfwd"}, args...), nil)
	if err != nil {
		t.Fatal(err)
	}
	r.plan(t, plans...)
	if err := r.Network().Fabric().Schedule(steps); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := r.jsonl.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < r.NumComputers(); i++ {
		for _, p := range r.Kernel(i).Records() {
			if p.GID() == g && (p.State() == kernel.Dead || p.State() == kernel.Zombie) {
				return r, p
			}
		}
	}
	t.Fatalf("process %s did not end: %s", g, r.out.String())
	return nil, nil
}

// TestMigrateSocketForwarding: sockets stay home and the moved process's
// calls on them are requests and replies on the fabric. The datagrams
// that reached home while it moved are all there, its output is the
// unmoved run's, each forwarded call is a message pair that pays the
// link's latency both ways (1 ms here), and a call repeated after a
// capture that interrupted its wait takes the first attempt's reply
// (nothing lost, nothing done twice).
func TestMigrateSocketForwarding(t *testing.T) {
	const lat = vtime.Duration(1_000_000)
	base, bp := sockRun(t, lat, []string{"0", "0"}, nil, nil)
	want := streams(base.out.String())["c0:2 1"]
	if !strings.Contains(want, "early three\n") || !strings.HasSuffix(want, "echo six from c0\n") || bp.ExitCode() != 0 {
		t.Fatalf("unmoved run: exit %d, output %q", bp.ExitCode(), want)
	}
	for _, mode := range []kernel.MigrateMode{kernel.StopCopy, kernel.PreCopy, kernel.PostCopy} {
		t.Run(mode.String(), func(t *testing.T) {
			r, p := sockRun(t, lat, []string{fmt.Sprint(int(mode)), "1"}, nil, nil)
			got := streams(r.out.String())
			if got["c0:2 1"] != want || got["c0:2 2"] != "on c1\n" || p.ExitCode() != 0 {
				t.Fatalf("moved run: exit %d, output %q, want %q on c1", p.ExitCode(), got, want)
			}
			st := r.Kernel(1).MigrationStats()
			// 3 early recvfrom, then 3 × (sendto, recvfrom); the closes at
			// exit are applied at home without messages.
			if st.Forwarded != 9 {
				t.Errorf("c1 forwarded %d calls, want 9", st.Forwarded)
			}
			tr := r.trace.String()
			for _, op := range []string{"sock.sendto", "sock.recvfrom"} {
				if !strings.Contains(tr, `"kind":"deliver","bytes":`) || !strings.Contains(tr, `"what":"`+op+`"`) {
					t.Errorf("no %s message in the trace", op)
				}
			}
			// Each forwarded call waits for a round trip: 9 of them cost at
			// least 18 ms more than the unmoved run's local calls.
			if d := p.Ended().Sub(bp.Ended()); d < 18*lat {
				t.Errorf("the moved run ended only %v after the unmoved one: forwarded calls did not pay the network", d)
			}
		})
	}
	t.Run("interrupted", func(t *testing.T) {
		// The first forwarded recvfrom is on the wire from 6.0 to 8.0 ms
		// (see the trace): moving on to c2 at 7 ms captures the process
		// while it waits; the reply ("one") must not be lost.
		r, p := sockRun(t, lat, []string{"0", "1"}, []string{"at=7ms pid=c0:2 to=c2 mode=stopcopy"}, nil)
		got := streams(r.out.String())
		if got["c0:2 1"] != want || p.ExitCode() != 0 || p.Kernel() != r.Kernel(2) {
			t.Fatalf("exit %d on %s, output %q, want %q", p.ExitCode(), p.Kernel().Name(), got["c0:2 1"], want)
		}
		if m, a := moved(r); m != 2 || a != 0 {
			t.Fatalf("moved %d aborted %d, want 2 and 0", m, a)
		}
		if r.Kernel(2).MigrationStats().Forwarded != 8 {
			t.Errorf("c2 forwarded %d calls, want 8 (the interrupted one is not sent again)", r.Kernel(2).MigrationStats().Forwarded)
		}
	})
	t.Run("partition", func(t *testing.T) {
		// The home is cut off from c1 at 30 ms; the call after the 50 ms
		// pause gets no reply and fails with ETIMEDOUT after its attempts
		// (3 × 50 ms), not a hang; the process then exits 3.
		cut := net.Step{At: 30 * lat, Cut: [][2]int{{0, 1}}}
		r, p := sockRun(t, lat, []string{"0", "1", "50"}, nil, []net.Step{cut})
		out := streams(r.out.String())["c0:2 1"]
		if !strings.HasSuffix(out, "sendto: Operation timed out\n") || p.ExitCode() != 3 {
			t.Fatalf("exit %d, output %q: want a timed-out sendto and exit 3", p.ExitCode(), out)
		}
		if end := p.Ended(); end > vtime.Time(300*lat) {
			t.Errorf("the failing call ended at %v, want within its 150 ms of attempts after the pause", end)
		}
	})
}

// TestMigratePhaseFaultKeepsSourceInstance injects a refusal by the
// destination at each phase before the hand-off, in each strategy, and
// checks the atomic hand-off on the instances themselves: after an abort
// the process runs on in the very thread it had (not a restored copy),
// on the source, no instance of the program exists besides it, and the
// destination never ran a slice; its output is the unmoved run's. A
// migration that succeeds closes the source instance and leaves exactly
// one, the destination's.
func TestMigratePhaseFaultKeepsSourceInstance(t *testing.T) {
	base, _ := migRun(t)
	for _, mode := range []kernel.MigrateMode{kernel.StopCopy, kernel.PreCopy, kernel.PostCopy} {
		for _, ph := range []string{kernel.PhasePrepare, kernel.PhaseMem, kernel.PhaseCommit, ""} {
			if mode == kernel.PostCopy && ph == kernel.PhaseMem {
				continue // post-copy sends no memory before commit
			}
			name := ph
			if name == "" {
				name = "none"
			}
			t.Run(mode.String()+"/"+name, func(t *testing.T) {
				defer leakCheck(t)()
				r, g := streamRig(t)
				var (
					old, after   *cpu.Thread
					outcome      error
					threads      int
					doneOn       string
					slicesBefore int
				)
				r.Loop().At(vtime.Time(3_000_000), func() {
					p := r.Process(g)
					old = p.Thread()
					slicesBefore = r.Kernel(1).Stats().Slices
					err := p.Kernel().Migrate(p.PID(), 1, mode, kernel.MigrateOptions{FailAt: ph, Done: func(err error) {
						outcome, after, threads, doneOn = err, p.Thread(), p.Program().Threads(), p.Kernel().Name()
					}})
					if err != nil {
						t.Errorf("migrate: %v", err)
					}
				})
				r.run(t)
				if got := r.out.String(); got != base.out.String() {
					t.Fatalf("output %q, want %q", got, base.out.String())
				}
				if old == nil || after == nil {
					t.Fatalf("the migration never started or never ended")
				}
				if threads != 1 {
					t.Errorf("%d instances of the program when the migration ended, want 1", threads)
				}
				if ph != "" {
					if outcome == nil || doneOn != "c0" || after != old {
						t.Fatalf("outcome %v on %s, same thread %v: want an abort that resumes the source's own instance", outcome, doneOn, after == old)
					}
					if s := r.Kernel(1).Stats(); s.Slices != slicesBefore || s.Spawned != 0 {
						t.Errorf("the destination ran %d slices (spawned %d) for a migration that failed", s.Slices-slicesBefore, s.Spawned)
					}
					for _, p := range r.Kernel(0).Records() {
						if p.GID() == g && (p.Kernel() != r.Kernel(0) || p.ExitCode() != 0) {
							t.Errorf("the process ended on %s with exit %d, want c0 and 0", p.Kernel().Name(), p.ExitCode())
						}
					}
					return
				}
				if outcome != nil || doneOn != "c1" || after == old {
					t.Fatalf("outcome %v on %s, new thread %v: want a move to c1 in a fresh instance", outcome, doneOn, after != old)
				}
				if s := old.Run(1); s.Kind != cpu.Trapped || !errors.Is(s.Err, cpu.ErrClosed) {
					t.Errorf("the source instance still runs after the hand-off: %+v", s)
				}
			})
		}
	}
}

// postRun runs stream (4 MiB, 60 passes) on c0 of a three-computer
// cluster, moves it to c1 with post-copy at 3 ms (fail, if set, injects a
// fault after the hand-off) under the given fault plan, and returns the
// rig, the process and Run's error.
func postRun(t *testing.T, fail string, steps ...net.Step) (*rig, *kernel.Process, error) {
	t.Helper()
	r, g := streamRig(t)
	plan := "at=3ms pid=c0:2 to=c1 mode=postcopy"
	if fail != "" {
		plan += " fail=" + fail
	}
	m, err := ParseMigratePlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.PlanMigration(m); err != nil {
		t.Fatal(err)
	}
	if err := r.Network().Fabric().Schedule(steps); err != nil {
		t.Fatal(err)
	}
	runErr := r.Run(context.Background())
	if err := r.jsonl.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Kernel(1).Records() {
		if p.GID() == g {
			return r, p, runErr
		}
	}
	t.Fatalf("%s never reached c1: %v\n%s", g, runErr, r.out.String())
	return nil, nil, nil
}

// phases counts the trace's migrate events of each phase.
func phases(r *rig) map[string]int {
	n := map[string]int{}
	for _, l := range strings.Split(r.trace.String(), "\n") {
		if m := phaseRe.FindStringSubmatch(l); m != nil && strings.Contains(l, `"kind":"migrate"`) {
			n[m[1]]++
		}
	}
	return n
}

var phaseRe = regexp.MustCompile(`"phase":"([a-z]+)"`)

// TestPostCopyAfterHandOff covers what can go wrong once a post-copy has
// handed the process over while pages are still at the source: the link
// cut and healed, or lossy (the process waits, nothing is lost), cut for
// good (the run reports the wait as a deadlock, no endless retries), the
// destination failing (the process dies with it, the source frees its
// pages and reports it once) and the source failing (the process is
// killed with SIGBUS, not left hanging). None may leave paging holding
// anything.
func TestPostCopyAfterHandOff(t *testing.T) {
	if err := paging.Available(); err != nil {
		t.Skipf("post-copy needs userfaultfd here: %v", err)
	}
	base, _ := migRun(t)
	want := base.out.String()
	cut := func(at time.Duration) net.Step { return net.Step{At: vtime.Duration(at), Cut: [][2]int{{0, 1}}} }
	heal := func(at time.Duration) net.Step { return net.Step{At: vtime.Duration(at), Heal: [][2]int{{0, 1}}} }

	t.Run("partition-heals", func(t *testing.T) {
		defer leakCheck(t)()
		r, p, err := postRun(t, "", cut(5*time.Millisecond), heal(400*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.out.String(); got != want || p.ExitCode() != 0 {
			t.Fatalf("exit %d, output %q, want %q", p.ExitCode(), got, want)
		}
		ph := phases(r)
		if ph["stall"] == 0 || ph["heal"] != 1 || ph["done"] != 1 || ph["lost"] != 0 {
			t.Fatalf("phases %v: want stalls, one heal, done, nothing lost", ph)
		}
		if !strings.Contains(r.trace.String(), `"wait":true`) {
			t.Error("no fetch waited for the link")
		}
		// Every pass touches all 4 MiB, so the process needed a missing page
		// during the cut and waited for the heal.
		if p.Ended() < vtime.Time(400*time.Millisecond) {
			t.Errorf("ended at %v, before the link healed at 400ms", p.Ended())
		}
		if st := r.Kernel(0).MigrationStats(); st.Moved != 1 || st.Lost != 0 || st.PushedPages+st.FetchedPages == 0 {
			t.Errorf("source stats %+v", st)
		}
	})

	t.Run("lossy", func(t *testing.T) {
		defer leakCheck(t)()
		loss := 0.3
		lossy := net.Step{At: vtime.Duration(4 * time.Millisecond), Set: []net.LinkRule{{From: 0, To: 1, Both: true, Patch: net.LinkPatch{Loss: &loss}}}}
		r, p, err := postRun(t, "", lossy)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.out.String(); got != want || p.ExitCode() != 0 {
			t.Fatalf("exit %d, output %q, want %q", p.ExitCode(), got, want)
		}
		if ph := phases(r); ph["done"] != 1 || ph["lost"] != 0 {
			t.Fatalf("phases %v: want done, nothing lost", ph)
		}
		if !strings.Contains(r.trace.String(), `"reason":"loss"`) {
			t.Error("no message was lost: the test does not test loss")
		}
	})

	t.Run("partition-forever", func(t *testing.T) {
		defer leakCheck(t)()
		r, p, err := postRun(t, "", cut(5*time.Millisecond))
		if err == nil || !strings.Contains(err.Error(), "deadlock") || !strings.Contains(err.Error(), "c0:2") {
			t.Fatalf("run error %v, want a deadlock naming c0:2", err)
		}
		if p.State() != kernel.Dead && p.State() != kernel.Zombie {
			t.Fatalf("state %v after the run", p.State())
		}
		if ph := phases(r); ph["lost"] != 0 || ph["done"] != 0 {
			t.Errorf("phases %v: a cut link lost or finished the transfer", ph)
		}
		// Waiting costs no events: the trace stops growing at the cut.
		if n := strings.Count(r.trace.String(), `"what":"mig.push"`); n > 20 {
			t.Errorf("%d push messages for a link cut for good: retrying without end?", n)
		}
	})

	for _, tc := range []struct{ fail, at, reason string }{
		{kernel.PhasePush, "c0", "c1 failed"},
		{kernel.FailSource, "c1", "c0 failed"},
	} {
		t.Run("fail="+tc.fail, func(t *testing.T) {
			defer leakCheck(t)()
			r, p, err := postRun(t, tc.fail)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if p.State() != kernel.Dead && p.State() != kernel.Zombie {
				t.Fatalf("state %v", p.State())
			}
			sig := kernel.SIGKILL
			if tc.fail == kernel.FailSource {
				sig = kernel.SIGBUS
			}
			if p.Status()&0x7f != sig || p.Err() == nil || !strings.Contains(p.Err().Error(), tc.reason) || !strings.Contains(p.Err().Error(), "pages") {
				t.Fatalf("status %#x, reason %v: want signal %d and a reason naming %q and the pages", p.Status(), p.Err(), sig, tc.reason)
			}
			if ph := phases(r); ph["lost"] != 1 || ph["done"] != 0 {
				t.Fatalf("phases %v: want one lost, no done", ph)
			}
			if !regexp.MustCompile(`"c":"` + tc.at + `"[^\n]*"phase":"lost"`).MatchString(r.trace.String()) {
				t.Errorf("the loss is not reported by %s", tc.at)
			}
			if st := r.Kernel(0).MigrationStats(); st.Moved != 1 || st.Lost != 1 {
				t.Errorf("source stats %+v: want one move, one loss", st)
			}
			if strings.Contains(r.out.String(), "checksum") {
				t.Errorf("the process finished: %q", r.out.String())
			}
		})
	}
}

// plan schedules migrations given in ParseMigratePlan's syntax.
func (r *rig) plan(t testing.TB, plans ...string) {
	t.Helper()
	for _, s := range plans {
		m, err := ParseMigratePlan(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.PlanMigration(m); err != nil {
			t.Fatal(err)
		}
	}
}

// streamRig starts stream (4 MiB, 60 passes: its checksum depends on every
// page) on c0 of a three-computer cluster, seed 7: the process most
// migration tests move.
func streamRig(t testing.TB) (*rig, GID) {
	t.Helper()
	r := newRig(t, Config{Computers: Uniform(3, 1), Seed: 7})
	if err := r.Load("stream", guest(t, "bench/stream")); err != nil {
		t.Fatal(err)
	}
	g, err := r.Spawn(0, "stream", []string{"stream", "4", "60"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r, g
}
