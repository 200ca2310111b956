package kernel_test

import (
	"fmt"
	"testing"

	"dosemu/emulator"
	"dosemu/emulator/trace"
	"dosemu/kernel"
)

// TestExecEndsPostCopy: a child moved by post-copy execs while its
// post-copy is still open (the push of its old image is on the wire), and
// its parent, blocked in wait for it by global id, is moved by post-copy
// to the same computer just after. Exec must end the child's post-copy at
// once: closing the old image recycles its reservation, and a pager left
// running pushes the old image's pages into whichever instance gets that
// reservation next. In the ZDTM pipeline (migrate=10, postcopy, seed 2)
// that was the parent's new instance: its copy of the children's ids read
// as the child's zeros, and wait(0) answered ECHILD.
//
// Checked: the output is the unmigrated one; exactly the child's
// post-copy ends at its exec, with a "done" event carrying reason exec
// and its pages accounted for (fetched + pushed + dropped = the memory's
// pages); every other post-copy filled its whole memory itself (fetched +
// pushed = the memory's pages: a page its pager found already there was
// written by someone else); and the same seed gives the same trace.
func TestExecEndsPostCopy(t *testing.T) {
	run := func() (*procRig, []event) {
		var c *emulator.Cluster
		var child, parent emulator.GID
		var errs []error
		migrate := func(g emulator.GID, to int) {
			p := c.Process(g)
			if p == nil {
				errs = append(errs, fmt.Errorf("migrate %s: no such process", g))
				return
			}
			err := p.Kernel().Migrate(p.PID(), to, kernel.PostCopy, kernel.MigrateOptions{Done: func(err error) {
				if err != nil {
					errs = append(errs, fmt.Errorf("migrate %s to c%d: %v", g, to, err))
				}
			}})
			if err != nil {
				errs = append(errs, fmt.Errorf("migrate %s to c%d: %v", g, to, err))
			}
		}
		r := newProcRig(t, 2, func(cfg *emulator.Config) {
			cfg.Tracer = trace.New(cfg.Tracer, sinkFunc(func(e trace.Event) {
				switch {
				case e.Kind == "fork" && child == 0:
					// The child's first move: as soon as it exists.
					child = kernel.MakeGID(0, e.PID)
					c.Loop().At(c.Loop().Now(), func() { migrate(child, 1) })
				case e.Kind == "migrate" && e.Fields["phase"] == "resume" && e.Fields["gid"] == child.String() && parent != 0:
					// The parent's move, while the child's pages are
					// still on their way and the parent waits for it.
					g := parent
					parent = 0
					c.Loop().At(c.Loop().Now(), func() { migrate(g, 1) })
				}
			}))
		})
		c = r.Cluster
		r.load(t, "forkexec")
		parent = r.spawn(t, 0, "forkexec")
		r.run(t)
		for _, err := range errs {
			t.Error(err)
		}
		return r, r.events(t)
	}
	r, evs := run()
	r.wantOut(t, "parent: child is c0:3, waiting", "execd c0:3: hello from the child", "parent: child c0:3 ended: exit 7")
	if len(r.fails) > 0 {
		t.Errorf("failures: %v", r.fails)
	}

	mem := map[float64]float64{} // flow -> bytes of memory at its start
	var execAt int64 = -1
	byExec, resumes := 0, 0
	for _, e := range evs {
		switch {
		case e.Kind == "exec" && e.C == "c1":
			execAt = e.T
		case e.Kind == "migrate" && e.raw["phase"] == "start":
			mem[e.raw["flow"].(float64)] = e.raw["mem"].(float64)
		case e.Kind == "migrate" && e.raw["phase"] == "resume":
			resumes++
		case e.Kind == "migrate" && e.raw["phase"] == "done":
			flow := e.raw["flow"].(float64)
			got := e.raw["fetched_pages"].(float64) + e.raw["pushed_pages"].(float64)
			if e.raw["reason"] == "exec" {
				byExec++
				if e.raw["gid"] != "c0:3" {
					t.Errorf("post-copy of %v ended by an exec: want only the child's (c0:3)", e.raw["gid"])
				}
				if d := e.raw["dropped_pages"].(float64); got+d != mem[flow]/4096 {
					t.Errorf("child's post-copy ended by exec: %v fetched+pushed + %v dropped pages, want %v", got, d, mem[flow]/4096)
				}
				continue
			}
			if want := mem[flow] / 4096; got != want {
				t.Errorf("post-copy of %v (flow %v) done with %v pages fetched or pushed, want all %v: pages came from elsewhere",
					e.raw["gid"], flow, got, want)
			}
		}
	}
	if resumes != 2 {
		t.Fatalf("%d migrations resumed, want 2 (the child's, then the parent's)", resumes)
	}
	if execAt < 0 {
		t.Fatal("the child never exec'd on c1")
	}
	if byExec != 1 {
		t.Errorf("%d post-copies ended by an exec, want 1 (the child's pages were all there before it exec'd?)", byExec)
	}

	r2, _ := run()
	if r.trace.String() != r2.trace.String() {
		t.Error("same seed, different traces")
	}
}
