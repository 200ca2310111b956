package emulator

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
	"dosemu/kernel"
	"dosemu/vfs"
)

// Chaos is fault injection aimed at transparency: things the kernel does
// to running processes that a correct emulator hides from them completely.
// A program's output under any Chaos must equal its output without
// (CRIU's ZDTM idea, applied to every preemption and system call).
//
// Chaos acts at chaos points, counted per process: its preemptions and
// its system-call entries (kernel/chaos.go says which calls are excluded
// and why). At a system call the process is frozen before the call does
// anything and repeats it after the turn, wherever it then runs (restart
// semantics), so even a program too short to be preempted is captured or
// moved. With Capture = 3, a process is taken through a capture round
// trip at its 3rd, 6th, 9th ... chaos point, whatever the others do. Both
// may be set; at a point that is due for both, the capture round trip
// happens first and the migration then moves the restored instance.
// Capture counts system calls too: a capture taken at a call's entry is
// the path a checkpoint of a process inside a call takes.
type Chaos struct {
	// Capture > 0 captures, serializes, decodes and restores each process
	// into a fresh instance at every Capture-th chaos point
	// (kernel.Process.CaptureRoundTrip).
	Capture int
	// Migrate > 0 moves each process to another computer, chosen at random
	// from the stream vtime.Rand(Seed, "emulator:chaos"), at every
	// Migrate-th chaos point, with strategy Mode. A cluster of one
	// computer has nowhere to move to and ignores it.
	Migrate int
	Mode    MigrateMode
}

// On reports whether any chaos is asked for.
func (ch Chaos) On() bool { return ch.Capture > 0 || ch.Migrate > 0 }

func (ch Chaos) String() string {
	s := ""
	if ch.Capture > 0 {
		s = fmt.Sprintf("capture=%d", ch.Capture)
	}
	if ch.Migrate > 0 {
		if s != "" {
			s += ","
		}
		s += fmt.Sprintf("migrate=%d,mode=%s", ch.Migrate, ch.Mode)
	}
	return s
}

// ChaosStats count what chaos did in a run.
type ChaosStats struct {
	Captures     int // capture round trips completed
	CaptureBytes int // their serialized sizes, summed
	Migrations   int // migrations started
	Moved        int // of those, committed
	Aborted      int // of those, resumed on the source
	// Skipped counts turns that could not act on their process: a
	// migration still in progress (EBUSY) or a process no longer between
	// slices. They are not failures; the next turn tries again.
	Skipped int
	// AtCalls counts the turns taken at a system call's entry (the others
	// were taken after a preemption).
	AtCalls int
	// Errors are turns that failed for any other reason, one line each.
	// The process keeps running on its old instance; an error here means
	// the capture path has a bug, and runs report it as a failure.
	Errors []string
}

type chaosState struct {
	cfg   Chaos
	rnd   *rand.Rand
	stats ChaosStats
}

// SetChaos turns chaos on (or off, with the zero Chaos) from now on. It
// installs the kernels' chaos hooks and clears their preemption hook, so
// it also turns off ChaosMigrate. Errors name what is wrong with ch.
func (c *Cluster) SetChaos(ch Chaos) error {
	if ch.Capture < 0 || ch.Migrate < 0 {
		return fmt.Errorf("emulator: chaos %s: counts must be >= 0", ch)
	}
	if ch.Mode > kernel.PostCopy {
		return fmt.Errorf("emulator: chaos: %v is not a migration mode", ch.Mode)
	}
	c.chaos.cfg = ch
	if c.chaos.rnd == nil {
		c.chaos.rnd = vtime.Rand(c.cfg.Seed, "emulator:chaos")
	}
	for _, k := range c.kernels {
		k.SetPreemptHook(nil)
		if ch.On() {
			k.SetChaosHooks(kernel.ChaosHooks{Due: c.chaosDue, Turn: c.chaosTurn})
		} else {
			k.SetChaosHooks(kernel.ChaosHooks{})
		}
	}
	return nil
}

// ChaosStats returns what chaos has done so far.
func (c *Cluster) ChaosStats() ChaosStats {
	s := c.chaos.stats
	s.Errors = append([]string(nil), s.Errors...)
	return s
}

// chaosDue reports whether p's n-th chaos point is due for a capture or
// a migration. The kernel calls it at every chaos point, at a system
// call's entry from the guest's goroutine: it reads only the
// configuration.
func (c *Cluster) chaosDue(_ *kernel.Process, n int) bool {
	ch := c.chaos.cfg
	return ch.Capture > 0 && n%ch.Capture == 0 || ch.Migrate > 0 && n%ch.Migrate == 0 && len(c.kernels) > 1
}

// chaosTurn runs on the event loop at a chaos point that chaosDue said is
// due, with p ready and between slices: after a preemption, or frozen at
// a system call's entry (which it repeats after the turn).
func (c *Cluster) chaosTurn(p *kernel.Process, at kernel.ChaosPoint) {
	ch := c.chaos.cfg
	n := at.N
	if at.Syscall {
		c.chaos.stats.AtCalls++
	}
	if ch.Capture > 0 && n%ch.Capture == 0 {
		trip, err := p.CaptureRoundTrip()
		switch {
		case err == nil:
			c.chaos.stats.Captures++
			c.chaos.stats.CaptureBytes += trip.Bytes
		case errors.Is(err, vfs.EBUSY):
			c.chaos.stats.Skipped++
		default:
			c.chaosError(p, "capture", err)
			return
		}
	}
	if ch.Migrate > 0 && n%ch.Migrate == 0 && len(c.kernels) > 1 {
		k := p.Kernel()
		to := c.chaos.rnd.IntN(len(c.kernels) - 1)
		if to >= k.Index() {
			to++
		}
		err := k.Migrate(p.PID(), to, ch.Mode, kernel.MigrateOptions{Done: func(err error) {
			if err == nil {
				c.chaos.stats.Moved++
			} else {
				c.chaos.stats.Aborted++
			}
		}})
		switch {
		case err == nil:
			c.chaos.stats.Migrations++
		case errors.Is(err, vfs.EBUSY):
			c.chaos.stats.Skipped++
		default:
			c.chaosError(p, "migrate", err)
		}
	}
}

func (c *Cluster) chaosError(p *kernel.Process, what string, err error) {
	line := fmt.Sprintf("%s %s: chaos %s: %s", p.GID(), p.Name(), what, oneLine(err))
	c.chaos.stats.Errors = append(c.chaos.stats.Errors, line)
	c.failures = append(c.failures, line)
	if c.cfg.Tracer.Enabled() {
		c.cfg.Tracer.Emit(trace.Event{T: c.loop.Now(), Computer: p.Kernel().Name(), CPU: -1, PID: p.PID(), Kind: "chaos_error",
			Fields: map[string]any{"what": what, "error": oneLine(err)}})
	}
}
