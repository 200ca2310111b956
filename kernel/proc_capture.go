package kernel

import (
	"dosemu/emulator/cpu"
	"dosemu/vfs"
)

// Recapture captures p's thread and continues p in a fresh instance
// restored from that capture, closing the old one: the round trip a
// checkpoint or a migration makes, without moving. It is how
// `--chaos capture=N` shows that capture is transparent (a guest's output
// must not change). p must be between slices (ready, blocked or stopped),
// and no migration or post-copy of it may be in progress (EBUSY);
// a blocked p is unwound out of its system call, which it repeats after
// the rewind. Cost: an instantiation and one copy of the linear memory,
// made by Fork straight from the old instance into the new (the round
// trip Restore(Capture()) makes, without the intermediate copy).
func (p *Process) Recapture() error {
	k := p.k
	if p.th == nil || p.state == Running || p.state == Zombie || p.state == Dead {
		return errf(vfs.EINVAL, "kernel: %s: recapture: the process is %s", p, p.state)
	}
	// Closing the old instance recycles its reservation, which a pager
	// still filling it would keep writing into.
	if pm := p.mig; pm != nil && (pm.active != nil || pm.pager != nil) {
		return errf(vfs.EBUSY, "kernel: %s: recapture: a migration of it is in progress", p)
	}
	c, err := p.th.CaptureState(k.ctx)
	if err != nil {
		return errf(vfs.ENOTSUP, "kernel: %s: recapture: %v", p, err)
	}
	var memCap uint64
	if lim := k.cfg.MemoryLimit; lim > 0 {
		memCap = lim - min(lim, k.memUsed-p.stats.Memory)
	}
	th, err := p.th.ForkWith(k.ctx, cpu.ThreadConfig{Data: p, MemoryLimit: memCap}, cpu.ForkNonZero)
	if err != nil {
		return errf(vfs.ENOEXEC, "kernel: %s: recapture: restore: %v", p, err)
	}
	old := p.th
	p.th = th
	_ = old.Close()
	k.updateMemory(p)
	if k.tr.Enabled() {
		k.emit(k.loop.Now(), -1, p.pid, "recapture", map[string]any{"mem": p.stats.Memory, "frames": len(c.Frames)})
	}
	return nil
}

// ChaosCapture recaptures (Recapture) every process of the kernels at
// every nth preemption, counted over all of them; n <= 0 turns it off. It
// uses the kernels' preemption hook, which chaos migration also uses: the
// last one set wins.
func ChaosCapture(ks []*Kernel, n int) {
	count := 0
	hook := func(p *Process) {
		count++
		if count%n == 0 && p.state == Ready {
			if err := p.Recapture(); err != nil && p.k.cfg.Failed != nil {
				p.k.cfg.Failed(p, err)
			}
		}
	}
	for _, k := range ks {
		if n <= 0 {
			k.SetPreemptHook(nil)
		} else {
			k.SetPreemptHook(hook)
		}
	}
}
