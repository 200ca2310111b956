package kernel_test

import (
	"fmt"
	"strings"
	"testing"

	"dosemu/emulator"
	"dosemu/kernel"
)

func TestForkExecWait(t *testing.T) {
	var first string
	for i := 0; i < 2; i++ {
		r := newProcRig(t, 1, nil)
		r.load(t, "forkexec")
		r.spawn(t, 0, "forkexec")
		r.run(t)
		r.wantOut(t, "forkexec c0:2: forking", "parent: child is c0:3, waiting", "child c0:3: exec forkexec",
			"execd c0:3: hello from the child", "parent: child c0:3 ended: exit 7")
		if len(r.fails) > 0 {
			t.Fatalf("failures: %v", r.fails)
		}
		if i == 0 {
			first = r.out.String()
		} else if r.out.String() != first {
			t.Fatalf("output differs between runs:\n%s\n---\n%s", first, r.out.String())
		}
	}
}

func TestForkSignalsGuest(t *testing.T) {
	r := newProcRig(t, 1, nil)
	r.load(t, "signals")
	r.spawn(t, 0, "signals")
	r.run(t)
	r.wantOut(t, "child 1: caught signal 15, cleaning up", "child 2 after SIGINT: still running",
		"child 2 (ignores SIGINT) ended: signal 15", "child 3 (spinning) ended: signal 9")
	t.Log(r.out.String())
}

func TestForkBomb(t *testing.T) {
	r := newProcRig(t, 1, func(c *emulator.Config) { c.Computers[0].MaxProcs = 40 })
	r.load(t, "forkbomb")
	r.spawn(t, 0, "forkbomb")
	r.run(t)
	// The bomb itself is one of the 40.
	r.wantOut(t, "forkbomb: 39 children, then EAGAIN", "forkbomb: reaped 39 children")
	if !strings.Contains(r.trace.String(), `"errno":"EAGAIN"`) && !strings.Contains(r.trace.String(), "process limit") {
		t.Errorf("trace does not show the refused fork")
	}
}

func TestForkIsolation(t *testing.T) {
	r := newProcRig(t, 1, nil)
	r.load(t, "proctest")
	r.spawn(t, 0, "proctest", "isolation")
	r.run(t)
	r.wantOut(t, "child: sees 1 (parent wrote 2 after fork), wrote 3",
		"parent: sees 2 (child wrote 3), child exit 0",
		fmt.Sprint("child: pipe from parent: ping"))
}

func TestPipelineGuest(t *testing.T) {
	r := newProcRig(t, 3, nil)
	r.load(t, "pipeline", "producer", "filter", "consumer")
	r.spawn(t, 0, "pipeline", "30")
	r.run(t)
	// Items 1..30, even ones kept: sum of squares 4*(1²+..+15²) = 4960.
	r.wantOut(t, "consumer: 15 items, sum of squares 4960", "filter: 30 lines in, 15 out",
		"stage 1 (c0:3) ended: exit 0", "stage 2 (c0:4) ended: exit 0", "stage 3 (c0:5) ended: exit 0")
	t.Log(r.out.String())
}

func TestOrphansAndZombies(t *testing.T) {
	r := newProcRig(t, 1, nil)
	r.load(t, "proctest")
	r.spawn(t, 0, "proctest", "orphan")
	r.run(t)
	r.wantOut(t, "orphan c0:3: parent now c0:1; zombie child reaped: yes, exit 5")
	tree := kernel.PSTree([]*kernel.Kernel{r.Kernel(0)})
	want := "c0:1 init\n├─ c0:2 proctest  exit 0\n└─ c0:3 proctest  exit 0\n   └─ c0:4 proctest  exit 5\n"
	if tree != want {
		t.Fatalf("tree:\n%s\nwant:\n%s", tree, want)
	}
}

func TestKillBlockedProcess(t *testing.T) {
	// The victim is blocked in a sleep when SIGKILL arrives; it must end
	// at once with signal 9 (the signals test covers a spinning one).
	r := newProcRig(t, 1, nil)
	r.load(t, "proctest")
	r.spawn(t, 0, "proctest", "killblocked")
	r.run(t)
	r.wantOut(t, "killblocked: victim: signal 9")
}

// TestCaptureChaosTransparent runs the seed's fork/exec/wait program, the
// signals program and the isolation test with every process captured
// and restored at every preemption (capture=1): the output must be the
// same as without.
func TestCaptureChaosTransparent(t *testing.T) {
	cases := [][]string{{"forkexec"}, {"signals"}, {"proctest", "isolation"}, {"proctest", "forkloop", "5", "1"}}
	for _, args := range cases {
		t.Run(strings.Join(args, "-"), func(t *testing.T) {
			outs := [2]string{}
			for i, n := range []int{0, 1} {
				r := newProcRig(t, 1, nil)
				r.load(t, args[0])
				if n > 0 {
					kernel.ChaosCapture([]*kernel.Kernel{r.Kernel(0)}, n)
				}
				r.spawn(t, 0, args[0], args[1:]...)
				r.run(t)
				if len(r.fails) > 0 {
					t.Fatalf("capture=%d: failures %v", n, r.fails)
				}
				outs[i] = r.out.String()
				if n > 0 && !strings.Contains(r.trace.String(), `"kind":"recapture"`) && args[0] == "signals" {
					t.Errorf("capture=1 captured nothing")
				}
			}
			if outs[0] != outs[1] {
				t.Fatalf("output changed under capture=1:\n%s\n---\n%s", outs[0], outs[1])
			}
		})
	}
}
