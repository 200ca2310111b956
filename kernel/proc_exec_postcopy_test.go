package kernel_test

import (
	"fmt"
	"strings"
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

	byExec, resumes := checkPostCopies(t, r.events(t))
	execAt := int64(-1)
	for _, e := range evs {
		if e.Kind == "exec" && e.C == "c1" {
			execAt = e.T
		}
	}
	if resumes != 2 {
		t.Fatalf("%d migrations resumed, want 2 (the child's, then the parent's)", resumes)
	}
	if execAt < 0 {
		t.Fatal("the child never exec'd on c1")
	}
	if byExec["c0:3"] != 1 || len(byExec) != 1 {
		t.Errorf("post-copies ended by an exec: %v, want only the child's (c0:3), once", byExec)
	}

	r2, _ := run()
	if r.trace.String() != r2.trace.String() {
		t.Error("same seed, different traces")
	}
}

// checkPostCopies checks every post-copy in a trace: one that ended by an
// exec accounts for all its pages (fetched + pushed + dropped), any other
// filled its whole memory itself (fetched + pushed: a page its pager found
// already there was written by someone else). A post-copy whose process
// exits first ends without an event. It returns the post-copies ended by an exec per global
// id, and the number of migrations that resumed.
func checkPostCopies(t *testing.T, evs []event) (byExec map[string]int, resumes int) {
	t.Helper()
	byExec = map[string]int{}
	mem := map[float64]float64{} // flow -> bytes of memory at its start
	for _, e := range evs {
		if e.Kind != "migrate" {
			continue
		}
		flow, _ := e.raw["flow"].(float64)
		switch e.raw["phase"] {
		case "start":
			mem[flow], _ = e.raw["mem"].(float64)
		case "resume":
			resumes++
		case "done":
			fetched, _ := e.raw["fetched_pages"].(float64)
			pushed, _ := e.raw["pushed_pages"].(float64)
			got, want := fetched+pushed, mem[flow]/4096
			if e.raw["reason"] == "exec" {
				byExec[fmt.Sprint(e.raw["gid"])]++
				dropped, _ := e.raw["dropped_pages"].(float64)
				if got+dropped != want {
					t.Errorf("post-copy of %v (flow %v) ended by exec: %v fetched+pushed + %v dropped pages, want %v", e.raw["gid"], flow, got, dropped, want)
				}
				continue
			}
			if got != want {
				t.Errorf("post-copy of %v (flow %v) done with %v pages fetched or pushed, want all %v: pages came from elsewhere", e.raw["gid"], flow, got, want)
			}
		}
	}
	return byExec, resumes
}

// TestPipelineStagesMovedAtCalls replays, with chosen chaos points, the
// ZDTM run that lost the pipeline's children: its first child (the
// producer stage) is frozen at a system call's entry and moved by
// post-copy to c1, where it execs with half its pages still at c0, and
// the parent is moved by post-copy to c2 at the same kind of point; in
// the second case the parent also moves back and forth at every 4th
// chaos point, the entries of its calls to wait included. Every stage must end, the parent must reap each by
// its global id, and every post-copy must fill its memory from its own
// source.
func TestPipelineStagesMovedAtCalls(t *testing.T) {
	for _, tc := range []struct {
		name  string
		every int // the parent also moves at every such chaos point after the 10th
	}{{"once", 0}, {"parent-every-4", 4}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newProcRig(t, 3, func(cfg *emulator.Config) { cfg.Quantum = 20_000 })
			r.load(t, "pipeline", "producer", "filter", "consumer")
			child, parent := kernel.MakeGID(0, 3), kernel.MakeGID(0, 2)
			atCalls := 0
			due := func(p *kernel.Process, n int) bool {
				switch p.GID() {
				case child:
					return n == 10
				case parent:
					return n == 10 || tc.every > 0 && n > 10 && n%tc.every == 0
				}
				return false
			}
			turn := func(p *kernel.Process, at kernel.ChaosPoint) {
				to := 1
				if p.GID() == parent {
					to = (p.Kernel().Index() + 2) % 3
					if at.Syscall {
						atCalls++
					}
				}
				if err := p.Kernel().Migrate(p.PID(), to, kernel.PostCopy, kernel.MigrateOptions{}); err != nil {
					// A post-copy still filling the process refuses a new
					// move; that is the kernel's rule, not a failure.
					if !strings.Contains(err.Error(), "in progress") {
						t.Errorf("move %s at %+v: %v", p.GID(), at, err)
					}
				}
			}
			for i := 0; i < 3; i++ {
				r.Kernel(i).SetChaosHooks(kernel.ChaosHooks{Due: due, Turn: turn})
			}
			r.spawn(t, 0, "pipeline", "8")
			r.run(t)
			r.wantOut(t, "producer: wrote 8 items", "filter: 8 lines in, 4 out", "consumer: 4 items, sum of squares 120",
				"pipeline: stage 1 (c0:3) ended: exit 0", "pipeline: stage 2 (c0:4) ended: exit 0", "pipeline: stage 3 (c0:5) ended: exit 0")
			if strings.Contains(r.out.String(), "pipeline: wait") {
				t.Errorf("the parent could not reap a stage:\n%s", r.out.String())
			}
			byExec, resumes := checkPostCopies(t, r.events(t))
			if byExec[child.String()] != 1 {
				t.Errorf("post-copies ended by an exec: %v, want the producer stage's (%s) among them", byExec, child)
			}
			if resumes < 2 {
				t.Errorf("%d migrations resumed, want at least the two chosen ones", resumes)
			}
			t.Logf("%d migrations resumed, %d post-copies ended by exec, %d of the parent's turns at a call's entry", resumes, len(byExec), atCalls)
		})
	}
}
