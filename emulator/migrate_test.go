package emulator

import (
	"context"
	"strings"
	"testing"

	"dosemu/kernel"
)

// migRun runs stream (a few MiB, several passes: the checksum depends on
// every page) on c0 of a three-computer cluster with the given plans.
func migRun(t *testing.T, plans ...string) (*rig, GID) {
	t.Helper()
	r := newRig(t, Config{Computers: Uniform(3, 1), Seed: 7})
	if err := r.Load("stream", guest(t, "bench/stream")); err != nil {
		t.Fatal(err)
	}
	g, err := r.Spawn(0, "stream", []string{"stream", "4", "60"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range plans {
		m, err := ParseMigratePlan(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.PlanMigration(m); err != nil {
			t.Fatal(err)
		}
	}
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
			r, g := migRun(t, "at=3ms pid=c0:2 to=c1 mode="+mode, "at=400ms pid=c0:2 to=c2 mode="+mode)
			if got := r.out.String(); got != want {
				t.Fatalf("output after migration:\n%s\nwant:\n%s", got, want)
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
	for _, bad := range []string{"", "at=5ms", "at=x pid=c0:1 to=c1", "at=1ms pid=zz to=c1", "at=1ms pid=c0:1 to=q",
		"at=1ms pid=c0:1 to=c1 mode=fast", "at=1ms at=2ms pid=c0:1 to=c1", "at=1ms pid=c0:1 to=c1 fail=push", "junk"} {
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
