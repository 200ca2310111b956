package kernel

import (
	"context"

	"github.com/tetratelabs/wazero/api"

	"dosemu/emulator/vtime"
	"dosemu/kernel/sched"
	"dosemu/vfs"
)

// Fork
//
// fork captures the caller with the rewriter's continuations: the call
// asks for an unwind (Thread.Unwind) and returns; the guest's stack
// unwinds into a capture and its slice ends as Unwound. The kernel then
// makes the child — a copy of the process (fd table via fd.Table.Fork,
// args, env, signal dispositions, stopped-ness cleared) whose thread is a
// fresh instance restored from the capture — and lets both run. Each
// rewinds into the same fork call, which this time answers at once: the
// child's gid in the parent, 0 in the child (restart semantics,
// doc/design.md). From then on their memories are separate.
//
// Limits: the per-computer process limit applies (EAGAIN before any
// capture, so a fork bomb costs one check per attempt), and the memory
// limit (ENOMEM). A failure after the capture is answered by the
// parent's repeated call.

// hFork: fork(*child).
func hFork(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	if p.px.answered {
		p.px.answered = false
		err := p.px.forkErr
		p.px.forkErr = nil
		if err != nil {
			return ErrnoOf(err)
		}
		if !putU64(m, a[0], uint64(p.px.answer)) {
			return vfs.EFAULT
		}
		return 0
	}
	k := p.k
	if k.count >= k.cfg.MaxProcs {
		if k.tr.Enabled() {
			k.emit(p.Now(), p.cpu, p.pid, "spawn_error", map[string]any{"prog": p.name, "errno": vfs.EAGAIN.Error(),
				"error": "fork: process limit reached"})
		}
		return vfs.EAGAIN
	}
	if lim := k.cfg.MemoryLimit; lim > 0 && k.memUsed+p.stats.Memory > lim {
		return vfs.ENOMEM
	}
	// The stack must be writable by the guest; check before capturing so
	// a bad pointer is EFAULT and not a fork whose answer cannot land.
	if !putU64(m, a[0], 0) {
		return vfs.EFAULT
	}
	p.charge(CostSpawn)
	if err := p.th.Unwind(); err != nil {
		return vfs.ENOTSUP
	}
	p.px.forking = true
	return 0 // ignored: the call is repeated after the rewind
}

// unwound is told that p's slice ended with its stack captured.
func (k *Kernel) unwound(p *Process, end vtime.Time) {
	if !p.px.forking {
		return
	}
	p.px.forking = false
	child, err := k.forkChild(p, end)
	p.px.answered = true
	if err != nil {
		p.px.forkErr = err
		if k.tr.Enabled() {
			k.emit(end, -1, p.pid, "spawn_error", map[string]any{"prog": p.name, "errno": ErrnoOf(err).Error(), "error": err.Error()})
		}
		return
	}
	p.px.answer = child.GID()
}

// forkChild makes the child of p from p's captured thread.
func (k *Kernel) forkChild(p *Process, at vtime.Time) (*Process, error) {
	if k.count >= k.cfg.MaxProcs {
		return nil, errf(vfs.EAGAIN, "kernel: %s: fork %s: process limit of %d reached", k.cfg.Name, p, k.cfg.MaxProcs)
	}
	child := &Process{
		k: k, pid: k.nextPID, parent: p.GID(), name: p.name, prog: p.prog,
		args: append([]string(nil), p.args...), env: append([]string(nil), p.env...),
		user: p.user, group: p.group, priority: p.priority,
		spawned: at, exitCode: -1, cpu: -1,
		fds: p.fds.Fork(),
	}
	child.px.handlers = p.px.handlers
	child.ownStdio(p)
	var memCap uint64
	if lim := k.cfg.MemoryLimit; lim > 0 {
		if k.memUsed >= lim {
			_ = child.fds.CloseAll()
			return nil, errf(vfs.ENOMEM, "kernel: %s: fork %s: memory limit of %d bytes used", k.cfg.Name, p, lim)
		}
		memCap = lim - k.memUsed
	}
	th, err := k.cloneThread(p, child, memCap)
	if err != nil {
		_ = child.fds.CloseAll()
		return nil, err
	}
	child.th = th
	child.px.answered = true // its repeated fork call answers 0
	child.stats.Memory = th.MemorySize()
	child.stats.PeakMemory = child.stats.Memory
	k.memUsed += child.stats.Memory
	k.stats.PeakMem = max(k.stats.PeakMem, k.memUsed)

	k.nextPID++
	k.procs[child.pid] = child
	k.records = append(k.records, child)
	k.live++
	k.count++
	k.stats.Spawned++
	k.stats.PeakProcs = max(k.stats.PeakProcs, k.count)
	p.children = append(p.children, child.GID())
	child.state = Ready
	k.ready++
	if k.tr.Enabled() {
		k.emit(at, -1, child.pid, "fork", map[string]any{"prog": child.name, "parent": p.GID().String(), "mem": child.stats.Memory, "runq": k.ready})
	}
	k.policy.Event(sched.Event{T: at, Kind: sched.Spawn, PID: child.pid, CPU: -1, Info: child.info()})
	k.kick(at)
	k.armTick()
	return child, nil
}
