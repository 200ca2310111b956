package kernel

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero/api"

	"dosemu/emulator/cpu"
	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/kernel/sched"
	"dosemu/vfs"
)

// The dosemu calls of processes: pipe, cloexec, kill, signal, exec (and
// fork in proc_fork.go). Argument layouts are dosemu.h's.

// hPipe: pipe(fds[2]).
func hPipe(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	r, w := p.k.NewPipe()
	rfd, err := p.fds.Alloc(r, fd.RightsStream, 0)
	if err != nil {
		_, _ = r.Close(), w.Close()
		return ErrnoOf(err)
	}
	wfd, err := p.fds.Alloc(w, fd.RightsStream, 0)
	if err != nil {
		_ = p.fds.Close(rfd)
		_ = w.Close()
		return ErrnoOf(err)
	}
	if !putU32(m, a[0], uint32(rfd)) || !putU32(m, a[0]+4, uint32(wfd)) {
		_, _ = p.fds.Close(rfd), p.fds.Close(wfd)
		return vfs.EFAULT
	}
	if p.k.tr.Enabled() {
		pp := r.(*pipeEnd).p
		p.k.emit(p.Now(), p.cpu, p.pid, "pipe", map[string]any{"pipe": pp.ID(), "r": rfd, "w": wfd})
	}
	return 0
}

// hCloexec: cloexec(fd, on).
func hCloexec(_ context.Context, p *Process, _ api.Memory, a []uint64) vfs.Errno {
	e, err := p.fds.Get(int32(a[0]))
	if err != nil {
		return vfs.EBADF
	}
	e.CloseOnExec = int32(a[1]) != 0
	return 0
}

// hKill: kill(gid, sig).
func hKill(_ context.Context, p *Process, _ api.Memory, a []uint64) vfs.Errno {
	g := GID(int64(a[0]))
	sig := int(int32(a[1]))
	target := p.k.world.Process(g)
	if target == nil {
		return vfs.ESRCH
	}
	if target.k != p.k {
		p.charge(CostRemoteSpawn) // a request and a reply over the fabric
	}
	if err := target.Signal(sig, p, p.Now()); err != nil {
		return ErrnoOf(err)
	}
	return 0
}

// hSignal: signal(sig, handler).
func hSignal(_ context.Context, p *Process, _ api.Memory, a []uint64) vfs.Errno {
	return ErrnoOf(p.SetHandler(int(int32(a[0])), uint32(a[1])))
}

// hExec: exec(path, path_len, argv, argv_len, env, env_len). On success
// the guest stops here and the slice's end installs the new image.
func hExec(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	pathLen, argvLen, envLen := uint64(uint32(a[1])), uint64(uint32(a[3])), uint64(uint32(a[5]))
	if pathLen > maxPathLen {
		return vfs.ENAMETOOLONG
	}
	if argvLen > maxArgsLen || envLen > maxArgsLen {
		return vfs.E2BIG
	}
	path, ok1 := read(m, a[0], pathLen)
	argv, ok2 := read(m, a[2], argvLen)
	env, ok3 := read(m, a[4], envLen)
	if !ok1 || !ok2 || !ok3 {
		return vfs.EFAULT
	}
	p.charge(CopyCost(int(pathLen+argvLen+envLen)) + CostSpawn)
	if err := p.Exec(string(path), unpack(argv), unpack(env)); err != nil {
		p.spawnFailed(string(path), err)
		return ErrnoOf(err)
	}
	return 0 // not reached: Exec stops the guest
}

// Exec replaces the calling process's program with the program named
// path, with args (argv[0] included; empty: [path's name]) and env. It
// must be called from the process's own system call. The new instance is
// made first, so a failure (ENOENT: no such program, ENOEXEC, ENOMEM)
// leaves the process as it was; on success it does not return: the guest
// stops and the kernel swaps the image at the slice's end, keeping pid,
// parent, children, fds (minus close-on-exec ones), ignored signals and
// stopped state. Cost: one instantiation.
func (p *Process) Exec(path string, args, env []string) error {
	if p.state != Running || p.th == nil {
		return errf(vfs.EINVAL, "kernel: %s: exec outside the process's own system call", p)
	}
	prog, err := p.k.world.Program(path)
	if err != nil {
		return err
	}
	name := progDisplayName(path)
	if len(args) == 0 {
		args = []string{name}
	}
	var memCap uint64
	k := p.k
	if lim := k.cfg.MemoryLimit; lim > 0 {
		others := k.memUsed - p.stats.Memory // this image's memory is given back
		if others >= lim {
			return errf(vfs.ENOMEM, "kernel: %s: exec %s: memory limit of %d bytes already used by other processes", k.cfg.Name, name, lim)
		}
		memCap = lim - others
	}
	th, err := prog.Start(k.ctx, cpu.ThreadConfig{Data: p, MemoryLimit: memCap, Args: args, Env: env})
	if err != nil {
		if memCap > 0 && isMemoryRefusal(err) {
			return errf(vfs.ENOMEM, "kernel: %s: exec %s: initial memory does not fit the %d bytes left of the computer's memory limit: %v", k.cfg.Name, name, memCap, err)
		}
		return errf(vfs.ENOEXEC, "kernel: %s: exec %s: %v", k.cfg.Name, name, err)
	}
	p.px.exec = &execImage{th: th, prog: prog, name: name, args: args, env: env}
	p.th.Exit(0)
	return nil
}

// exitedBySyscall handles a guest that stopped as Exited because of exec
// or a signal to itself. It reports whether it did.
func (k *Kernel) exitedBySyscall(p *Process, c *vcpu, end vtime.Time, used uint64) bool {
	if x := p.px.exec; x != nil {
		p.px.exec = nil
		k.swapImage(p, x, c, end)
		return true
	}
	if sig := p.px.killSig; sig != 0 {
		k.finish(p, end, sig&0x7f, -1, nil, c.idx, "signal")
		return true
	}
	return false
}

// swapImage installs an exec'd image in p at the end of its slice.
func (k *Kernel) swapImage(p *Process, x *execImage, c *vcpu, end vtime.Time) {
	old := p.th
	p.th = x.th
	p.prog = x.prog
	oldName := p.name
	p.name, p.args, p.env = x.name, x.args, x.env
	if old != nil {
		k.endPostCopyForExec(p)
		_ = old.Close()
	}
	_ = p.fds.CloseOnExec()
	// Handlers point into the old image's table: back to default.
	// Ignored signals stay ignored, as POSIX says.
	for i, h := range p.px.handlers {
		if isHandler(h) {
			p.px.handlers[i] = SigDefault
		}
	}
	p.px.pending = 0
	k.updateMemory(p)
	if k.tr.Enabled() {
		k.emit(end, c.idx, p.pid, "exec", map[string]any{"from": oldName, "prog": p.name, "args": p.args, "mem": p.stats.Memory})
	}
	kind := sched.Preempt
	if p.px.stopped {
		p.state = Stopped
		kind = sched.Stop
	} else {
		p.state = Ready
		k.ready++
	}
	if k.policy.Event(sched.Event{T: end, Kind: kind, PID: p.pid, CPU: c.idx}) {
		k.dropPlans()
	}
}

// endPostCopyForExec ends a post-copy still filling the image that exec
// replaces. The pager serves that image's memory from the source, and
// closing the image hands its reservation back for reuse: a pager left
// running would keep pushing the old image's pages into whatever instance
// gets that reservation next (another process's memory), and the source
// would keep pages nobody needs. The pages still missing are dropped, not
// fetched: nothing will read them. The fetches of the slice that ended
// with the exec are already charged (migAfterRun runs first). The trace
// says so with a "done" event carrying dropped_pages.
func (k *Kernel) endPostCopyForExec(p *Process) {
	pm := p.mig
	if pm == nil || pm.pager == nil || pm.post == nil {
		return
	}
	m := pm.post
	dropped := pm.pager.Missing()
	st := m.endPost(false)
	m.to.emitMig(m, "done", map[string]any{"fetches": st.Fetches, "fetched_pages": st.FetchedPages,
		"pushed_pages": st.PushedPages, "dropped_pages": dropped, "reason": "exec"})
}

// procFinished is the process part of ending p: an exec in flight is
// dropped, and the parent hears SIGCHLD.
func (k *Kernel) procFinished(p *Process, t vtime.Time) {
	if x := p.px.exec; x != nil {
		_ = x.th.Close()
		p.px.exec = nil
	}
	p.px.stopped = false
	p.px.pending = 0
	k.childEnded(p, t)
}

// String of a signal set for errors and traces.
func sigSet(bits uint32) string {
	s := ""
	for i := 1; i < NSIG; i++ {
		if bits&(1<<i) != 0 {
			if s != "" {
				s += ","
			}
			s += fmt.Sprint(i)
		}
	}
	return s
}
