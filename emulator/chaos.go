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
// (CRIU's ZDTM idea, applied to every preemption).
//
// Counting is per process: with Capture = 3, a process is taken through a
// capture round trip at its 3rd, 6th, 9th ... preemption (kernel Stats
// Preemptions), whatever the others do. Both may be set; at a preemption
// that is due for both, the capture round trip happens first and the
// migration then moves the restored instance.
type Chaos struct {
	// Capture > 0 captures, serializes, decodes and restores each process
	// into a fresh instance at every Capture-th preemption
	// (kernel.Process.CaptureRoundTrip).
	Capture int
	// Migrate > 0 moves each process to another computer, chosen at random
	// from the stream vtime.Rand(Seed, "emulator:chaos"), at every
	// Migrate-th preemption, with strategy Mode. A cluster of one computer
	// has nowhere to move to and ignores it.
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
// replaces the kernels' preemption hook, so it also turns off
// ChaosMigrate. Errors name what is wrong with ch.
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
		if ch.On() {
			k.SetPreemptHook(c.chaosTurn)
		} else {
			k.SetPreemptHook(nil)
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

// chaosTurn runs on the event loop just after p was preempted (the
// kernel's preemption hook), with p ready and between slices.
func (c *Cluster) chaosTurn(p *kernel.Process) {
	ch := c.chaos.cfg
	n := p.Stats().Preemptions
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
