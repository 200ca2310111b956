package kernel_test

import (
	"fmt"
	"strings"
	"testing"

	"dosemu/kernel"
)

// TestSignalHandlerInSpinningLoop: a process spinning without system
// calls runs its SIGTERM handler at its next slice (within one quantum of
// the signal), whether its loop is call-free (preempted by unwinding) or
// makes calls (preempted in a host call); also under capture=1.
func TestSignalHandlerInSpinningLoop(t *testing.T) {
	for _, chaos := range []int{0, 1} {
		t.Run(fmt.Sprintf("capture=%d", chaos), func(t *testing.T) {
			r := newProcRig(t, 1, nil)
			r.load(t, "proctest")
			if chaos > 0 {
				kernel.ChaosCapture([]*kernel.Kernel{r.Kernel(0)}, chaos)
			}
			r.spawn(t, 0, "proctest", "spinsig")
			r.run(t)
			if len(r.fails) > 0 {
				t.Fatalf("failures: %v", r.fails)
			}
			r.wantOut(t, "spinsig: spinloop: exit 42", "spinsig: spincall: exit 42", "spinner: caught 15")
			sigAt := map[int]int64{}
			handled := map[int]bool{}
			for _, e := range r.events(t) {
				switch {
				case e.Kind == "signal" && e.raw["name"] == "SIGTERM":
					sigAt[e.PID] = e.T
				case e.Kind == "sighandler":
					at, ok := sigAt[e.PID]
					if !ok {
						t.Fatalf("handler of pid %d ran before any SIGTERM", e.PID)
					}
					if d := e.T - at; d > int64(kernel.DefaultQuantum) {
						t.Errorf("pid %d ran its handler %d ns after the signal, more than a quantum (%d)", e.PID, d, kernel.DefaultQuantum)
					}
					handled[e.PID] = true
				}
			}
			if len(sigAt) != 2 || len(handled) != 2 {
				t.Fatalf("signalled %v, handled %v: want two spinners signalled and handled", sigAt, handled)
			}
		})
	}
}

func TestWaitUntracedContinued(t *testing.T) {
	r := newProcRig(t, 1, nil)
	r.load(t, "proctest")
	g := r.spawn(t, 0, "proctest", "waitstop")
	r.run(t)
	if len(r.fails) > 0 {
		t.Fatalf("failures: %v", r.fails)
	}
	want := []string{
		"waitstop: running: nothing",
		"waitstop: stopped, without WUNTRACED: nothing",
		"waitstop: stopped: stopped by signal 19 stopped 1 sig 19 continued 0 exited 0 signaled 0",
		"waitstop: stopped again: nothing",
		"waitstop: continued, without WCONTINUED: nothing",
		"waitstop: continued: continued stopped 0 sig 255 continued 1 exited 0 signaled 0",
		"waitstop: bad option: Invalid argument",
		"waitstop: killed: signal 9 stopped 0 sig 0 continued 0 exited 0 signaled 1",
		"waitstop: self-stopped: stopped by signal 19 stopped 1 sig 19",
		"waitstop: self-stopped, continued: continued",
		"waitstop: self-stopped, ended: exit 3",
	}
	got := r.plain[g].String()
	last := -1
	for _, w := range want {
		i := strings.Index(got, w)
		if i < 0 {
			t.Fatalf("output lacks %q:\n%s", w, got)
		}
		if i < last {
			t.Errorf("%q out of order:\n%s", w, got)
		}
		last = i
	}
}
