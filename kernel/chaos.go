package kernel

import (
	"fmt"

	"dosemu/emulator/cpu"
	"dosemu/vfs"
)

// CaptureTrip is what one capture round trip (CaptureRoundTrip) moved.
type CaptureTrip struct {
	Bytes  int // size of the serialized capture
	Frames int // suspended wasm frames in it
}

// CaptureRoundTrip takes p through the whole path a checkpoint takes,
// without moving it: capture its thread (Thread.Capture), serialize the
// capture (MarshalBinary), decode that into a new value (UnmarshalBinary),
// restore it into a fresh instance (Program.Restore), close the old
// thread, and continue p on the new one. Everything the kernel owns (pid,
// fds, cwd, signal state, links) stays on p untouched, so the guest must
// not be able to tell: this is what `--chaos capture=N` checks.
//
// p must be between slices (ready, blocked or stopped); a blocked p is
// unwound out of its system call, which it repeats after the rewind. A
// process with a migration or a post-copy transfer in progress is refused
// (EBUSY): its memory is being served from elsewhere. No virtual time is
// charged, so a program's timing, and therefore its output, is unchanged.
// On any error p keeps its old thread and carries on as if nothing
// happened. Cost: serialization copies the linear memory twice (encode,
// straight from the stopped instance, and decode), and the restore
// instantiates and copies it once more.
func (p *Process) CaptureRoundTrip() (CaptureTrip, error) {
	k := p.k
	if p.th == nil || p.state == Running || p.state == Zombie || p.state == Dead {
		return CaptureTrip{}, errf(vfs.EINVAL, "kernel: %s: capture round trip: the process is %s", p, p.state)
	}
	if pm := p.mig; pm != nil && (pm.active != nil || pm.pager != nil) {
		return CaptureTrip{}, errf(vfs.EBUSY, "kernel: %s: capture round trip: a migration of it is in progress", p)
	}
	// The capture's memory aliases the instance's, which stays stopped
	// until the encoding below has copied it.
	c, err := p.th.CaptureState(k.ctx)
	if err != nil {
		return CaptureTrip{}, errf(vfs.ENOTSUP, "kernel: %s: capture: %v", p, err)
	}
	b, err := c.MarshalBinary()
	if err != nil {
		return CaptureTrip{}, errf(vfs.ENOTSUP, "kernel: %s: serialize capture: %v", p, err)
	}
	var back cpu.Capture
	if err := back.UnmarshalBinary(b); err != nil {
		return CaptureTrip{}, errf(vfs.EIO, "kernel: %s: decode the capture just written (%d bytes): %v", p, len(b), err)
	}
	th, err := k.restoreThread(p, &back, nil)
	if err != nil {
		return CaptureTrip{}, errf(vfs.ENOEXEC, "kernel: %s: restore: %v", p, err)
	}
	old := p.th
	p.th = th
	_ = old.Close()
	k.updateMemory(p)
	trip := CaptureTrip{Bytes: len(b), Frames: len(back.Frames)}
	if k.tr.Enabled() {
		k.emit(k.loop.Now(), -1, p.pid, "capture", map[string]any{"bytes": trip.Bytes, "frames": trip.Frames, "mem": p.stats.Memory})
	}
	return trip, nil
}

// String names the trip for logs.
func (t CaptureTrip) String() string {
	return fmt.Sprintf("%d bytes, %d frames", t.Bytes, t.Frames)
}

// Chaos points
//
// The emulator's chaos (`--chaos capture=N`, `--chaos migrate=N`) acts on
// a process at its chaos points, counted per process: every preemption and
// every system-call entry. Preemptions alone are not enough: a short
// program may never be preempted at all, and the contract is that
// a process can be frozen "at a preemption point or system call".
//
// Freezing at a system call's entry uses restart semantics: the host
// function asks for an unwind (Thread.Unwind) before the call has done
// anything (no cost charged, no signal delivered, no argument read, no
// trace event), returns at once, and the slice ends as Unwound. The turn
// then runs on the event loop with the process ready and its stack
// captured, exactly as after a preemption; wherever the process continues,
// the rewind repeats the same call with the same arguments, and that repeat
// is an ordinary call (and not a new chaos point).
//
// Every call is a chaos point, proc_exit, sched_yield, poll_oneoff and the
// dosemu calls (fork, exec, wait, migrate) included, since none has
// started when it is frozen: an exit then happens on the destination (its
// status reaches the parent through the home computer like any moved
// process's), a yield or a fork is made there, and a poll's relative
// timeout starts at the repeat (its start, CallStart, is taken by the
// repeat: the call had not begun, as if the process had been preempted just
// before it). What is not a chaos point, because freezing there is wrong:
//
//   - the repeat of an interrupted call (the rewind of a chaos freeze, of a
//     capture in a blocking call, of fork, of dosemu_migrate, of a
//     forwarded socket call): the call already began, and the kernel holds
//     its answer or its start; counting it would also let migrate=1 freeze
//     the same call forever;
//   - calls made by a signal handler: the handler runs inside another host
//     function, whose Go frame cannot be captured;
//   - calls outside a slice (a start function during instantiation): there
//     is no slice to end;
//   - calls of a process whose memory is still moving (a migration or a
//     post-copy in progress): no turn could act, so the unwind would be
//     wasted. The point still counts.
//
// Counting is deterministic: it depends only on the guest's own calls and
// preemptions, never on host timing.

// ChaosPoint describes where a chaos turn happens.
type ChaosPoint struct {
	// N is the process's chaos points so far, this one included (from 1).
	N int
	// Syscall is set when the process was frozen at a system call's
	// entry, clear after a preemption.
	Syscall bool
}

// ChaosHooks are what the emulator's chaos does at chaos points. Due
// reports whether the n-th chaos point of p wants a turn: it is called at
// every chaos point, on the guest's goroutine at a system call's entry
// (where only the decision may be taken) and on the event loop after a
// preemption; it must be cheap and deterministic and change nothing. Turn
// then runs from the event loop, with p ready and between slices, unless
// something else took p meanwhile (a throttle, a stop, a kill).
type ChaosHooks struct {
	Due  func(p *Process, n int) bool
	Turn func(p *Process, at ChaosPoint)
}

// chaosProc is a process's chaos bookkeeping.
type chaosProc struct {
	points int // chaos points so far
	// frozen: the process unwound at a system call's entry for a turn;
	// its next call is that call's repeat.
	frozen bool
	at     int // the chaos point of that freeze
}

// SetChaosHooks installs chaos hooks on this computer (the zero value
// removes them). Processes keep their counts when hooks change, and when
// they move: hooks are per computer, counts per process. Without hooks the
// cost at a system call's entry is one nil check.
func (k *Kernel) SetChaosHooks(h ChaosHooks) {
	if h.Due == nil || h.Turn == nil {
		h = ChaosHooks{}
	}
	k.chaos = h
}

// ChaosPoints is how many chaos points the process has had (preemptions
// and system-call entries counted while chaos hooks were installed where
// it ran).
func (p *Process) ChaosPoints() int { return p.chaos.points }

// chaosEnter is called at the entry of every system call, before the call
// does anything. It reports true when the process has just been asked to
// unwind for a chaos turn: the host function must then return at once,
// and its results are ignored.
func (p *Process) chaosEnter() bool {
	k := p.k
	if k.chaos.Turn == nil || p.px.inSig > 0 {
		return false
	}
	if p.chaos.frozen {
		p.chaos.frozen = false // the repeat of the frozen call
		return false
	}
	if p.state != Running || p.th == nil || p.repeating() {
		return false
	}
	p.chaos.points++
	if pm := p.mig; pm != nil && (pm.active != nil || pm.pager != nil) {
		return false
	}
	if !k.chaos.Due(p, p.chaos.points) {
		return false
	}
	if p.th.Unwind() != nil {
		return false // a program that cannot unwind just makes its call
	}
	p.chaos.frozen, p.chaos.at = true, p.chaos.points
	return true
}

// repeating reports whether the call being entered repeats one that a
// capture interrupted (its answer or start is held by the kernel).
func (p *Process) repeating() bool {
	if p.restart || p.px.answered || p.px.forking {
		return true
	}
	pm := p.mig
	return pm != nil && (pm.answered || pm.sockCall != nil)
}

// chaosPreempted counts a preemption as a chaos point and schedules the
// turn if one is due. Called from runSlice once p's state is settled.
func (k *Kernel) chaosPreempted(p *Process) {
	h := k.chaos
	if h.Turn == nil {
		return
	}
	p.chaos.points++
	n := p.chaos.points
	if !h.Due(p, n) {
		return
	}
	k.chaosLater(p, ChaosPoint{N: n})
}

// chaosUnwound schedules the turn of a process whose slice ended because
// it unwound at a system call's entry for chaos (chaosEnter).
func (k *Kernel) chaosUnwound(p *Process) {
	if !p.chaos.frozen || k.chaos.Turn == nil {
		return
	}
	k.chaosLater(p, ChaosPoint{N: p.chaos.at, Syscall: true})
}

func (k *Kernel) chaosLater(p *Process, at ChaosPoint) {
	turn := k.chaos.Turn
	k.loop.At(k.loop.Now(), func() {
		if p.k == k && p.state == Ready {
			turn(p, at)
		}
	})
}
