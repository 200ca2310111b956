package kernel

import (
	"fmt"

	"dosemu/emulator/vtime"
	"dosemu/kernel/wasi"
	"dosemu/vfs"
)

// Moves wait for remote file calls
//
// A call to a file of another computer (package vfs/remote) may already
// have been applied there while its reply is still on the way. A capture
// in between would make the guest repeat the call (restart semantics),
// and a repeat is not harmless: an O_APPEND write is a stat and a write,
// so its repeat finds the first write made and writes the data again at
// the new end; mkdir, unlink, rename and O_EXCL would answer an error for
// what succeeded. So a process waiting in such a call (PollRemote) is not
// frozen there. A migration asked meanwhile is deferred to the first
// clean point after the call returned: the process's next system-call
// entry (frozen before that call does anything, as chaos does) or its
// next preemption. The trace shows a "migrate" event with phase
// "deferred"; the move then starts as any other. A checkpoint asked
// meanwhile is refused with EBUSY.

// deferredMove is a migration waiting for its process's remote file call.
type deferredMove struct {
	to   int
	mode MigrateMode
	opt  MigrateOptions
	// frozen: the process unwound at a system call's entry for it.
	frozen bool
}

// PollRemote is Poll for a call whose request may already have taken
// effect at another computer when the wait is interrupted (vfs/remote's
// wait): while it waits, moves are deferred and checkpoints refused
// instead of interrupting it (see above). Cost: that of Poll.
func (p *Process) PollRemote(deadline vtime.Time, ready func() bool) wasi.PollResult {
	p.remoteCall = true
	defer func() { p.remoteCall = false }()
	return p.Poll(deadline, ready)
}

// deferMove records a migration asked while p waits in a remote file call.
func (k *Kernel) deferMove(p *Process, to int, mode MigrateMode, opt MigrateOptions) {
	pm := p.migState()
	d := &deferredMove{to: to, mode: mode, opt: opt}
	pm.deferred = d
	if k.tr.Enabled() {
		k.emit(k.loop.Now(), -1, p.pid, "migrate", map[string]any{"phase": "deferred", "mode": mode.String(),
			"from": k.cfg.Name, "to": k.world.Kernel(to).cfg.Name, "gid": p.GID().String(), "reason": "remote file call"})
	}
	p.AtExit(func() {
		if pm.deferred == d {
			pm.deferred = nil
			if d.opt.Done != nil {
				d.opt.Done(errf(vfs.ESRCH, "kernel: %s: migrate %s: the process ended before its remote file call returned", k.cfg.Name, p))
			}
		}
	})
}

// migEnter freezes, at a system call's entry, a process whose move waited
// for a remote file call that has since returned; the move starts when
// the slice has ended (startDeferred). It reports whether the call must
// return at once (its result unseen: the guest repeats it after the
// rewind, wherever it continues).
func (p *Process) migEnter() bool {
	pm := p.mig
	if pm == nil || pm.deferred == nil || pm.deferred.frozen || p.remoteCall ||
		p.state != Running || p.th == nil || p.px.inSig > 0 || p.repeating() {
		return false
	}
	if p.th.Unwind() != nil {
		return false
	}
	pm.deferred.frozen = true
	return true
}

// startDeferred starts, once p's slice has ended, a move that waited for
// p's remote file call: after a freeze at a call's entry, or at a
// preemption that finds the call over.
func (k *Kernel) startDeferred(p *Process) {
	pm := p.mig
	if pm == nil || pm.deferred == nil || p.remoteCall {
		return
	}
	d := pm.deferred
	k.loop.At(k.loop.Now(), func() {
		if pm.deferred != d || p.k != k || p.remoteCall {
			return
		}
		if p.state != Ready && p.state != Blocked {
			return // it will come to a clean point again
		}
		pm.deferred = nil
		if err := k.migrate(p, d.to, d.mode, d.opt); err != nil && d.opt.Done != nil {
			d.opt.Done(fmt.Errorf("deferred until its remote file call returned: %w", err))
		}
	})
}
