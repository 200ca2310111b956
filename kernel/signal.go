package kernel

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental/table"

	"dosemu/emulator/vtime"
	"dosemu/kernel/sched"
	"dosemu/vfs"
)

// Signals
//
// The numbers are Linux's (dosemu.h). Each signal has a default action —
// terminate (SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGKILL), stop (SIGSTOP),
// continue (SIGCONT) or ignore (SIGCHLD) — that a guest may replace with
// "ignore" or a handler, except for SIGKILL and SIGSTOP.
//
// Delivery. A signal whose action is terminate, stop or continue acts at
// once on a process that is not running (between slices or blocked): a
// blocked process is abandoned in its system call, a ready one never gets
// its next slice. A signal to the sender itself acts when the sending
// call returns. A handled signal is pending until the process reaches a
// safe point — the start of any system call, a wait inside one (a
// blocked process is woken for it), or the resumption of a preempted
// process — where the kernel calls the handler on the guest's stack; the
// interrupted call or loop then carries on (restart semantics). So a pure
// loop runs a handler at the start of its next slice, within one quantum
// of the signal. SIGKILL and SIGSTOP need no handler and always work. Handlers do not nest; signals of one number do not
// queue (one pending bit each). A stopped process keeps every signal but
// SIGKILL and SIGCONT pending until it is continued.
//
// Handlers are entries of the guest's function table (a C function
// pointer of type void(int)); the kernel finds the function with wazero's
// table lookup, which checks the type, so a bad index is EINVAL at
// registration and never a crash.
//
// Known limit: a capture (fork, migration) that happens while a handler
// runs and is preempted cannot be rewound; signal handlers should be
// short, as in C.

// Signal numbers (dosemu.h).
const (
	SIGINT  = 2
	SIGUSR1 = 10
	SIGUSR2 = 12
	SIGTERM = 15
	SIGCHLD = 17
	SIGCONT = 18
	SIGSTOP = 19
	NSIG    = 32
)

// Handler values of dosemu_signal.
const (
	SigDefault = 0
	// SigIgnore is not 1: wasm-ld puts the first address-taken function
	// at table index 1, so 1 is a real handler.
	SigIgnore = 0xffffffff
)

// sigAction is what a signal does by default.
type sigAction uint8

const (
	actNone sigAction = iota // not a signal dosemu knows
	actTerm
	actStop
	actCont
	actIgnore
)

func defaultAction(sig int) sigAction {
	switch sig {
	case SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGKILL:
		return actTerm
	case SIGSTOP:
		return actStop
	case SIGCONT:
		return actCont
	case SIGCHLD:
		return actIgnore
	}
	return actNone
}

var sigNames = map[int]string{SIGINT: "SIGINT", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGCHLD: "SIGCHLD",
	SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGUSR1: "SIGUSR1", SIGUSR2: "SIGUSR2"}

// SignalName is "SIGTERM" for 15, "signal 40" for unknown numbers.
func SignalName(sig int) string {
	if n, ok := sigNames[sig]; ok {
		return n
	}
	return fmt.Sprintf("signal %d", sig)
}

// Signal sends sig to p from sender (nil: the kernel) at virtual time t.
// Signal 0 only checks that p can be signalled. Errors: EINVAL for an
// unknown signal, ESRCH when p has ended.
func (p *Process) Signal(sig int, sender *Process, t vtime.Time) error {
	if sig != 0 && defaultAction(sig) == actNone {
		return errf(vfs.EINVAL, "kernel: kill %s: unknown signal %d", p, sig)
	}
	if p == p.k.init || p.state == Zombie || p.state == Dead || p.state == 0 {
		return errf(vfs.ESRCH, "kernel: kill %s: no such process", p.GID())
	}
	if sig == 0 {
		return nil
	}
	k := p.k
	from := ""
	if sender != nil {
		from = sender.GID().String()
	}
	action := "pending"
	h := p.px.handlers[sig]
	switch {
	case sig == SIGKILL:
		action = "terminate"
	case sig == SIGSTOP:
		action = "stop"
	case sig == SIGCONT:
		action = "continue"
	case h == SigIgnore || (h == SigDefault && defaultAction(sig) == actIgnore):
		action = "ignore"
	case h == SigDefault && !p.px.stopped:
		action = "terminate"
	}
	if k.tr.Enabled() {
		f := map[string]any{"sig": sig, "name": SignalName(sig), "action": action}
		if from != "" {
			f["from"] = from
		}
		k.emit(t, -1, p.pid, "signal", f)
	}
	switch action {
	case "terminate":
		p.terminate(sig, t)
	case "stop":
		p.stop(t)
	case "continue":
		p.cont(t)
		if isHandler(h) {
			p.px.pending |= 1 << sig
			p.signalWake(t)
		}
	case "pending":
		p.px.pending |= 1 << sig
		p.signalWake(t)
	}
	return nil
}

// signalWake wakes a blocked process so that it reaches its safe point.
func (p *Process) signalWake(t vtime.Time) {
	if p.state == Blocked && !p.px.stopped {
		p.k.Notify(t)
	}
}

// terminate ends p by signal sig. Inside p's own slice (it signalled
// itself) the guest is stopped at once and the slice's end finishes it.
func (p *Process) terminate(sig int, t vtime.Time) {
	if p.state == Running {
		p.px.killSig = sig
		if p.th != nil {
			p.th.Exit(0) // does not return: unwinds the host function
		}
		return
	}
	p.k.finish(p, t, sig&0x7f, -1, nil, -1, "signal")
}

// stop takes p off the CPUs until SIGCONT.
func (p *Process) stop(t vtime.Time) {
	if p.px.stopped {
		return
	}
	p.px.stopped = true
	k := p.k
	p.px.report = reportStopped
	k.world.Notify(t) // a parent may wait with WUNTRACED
	switch p.state {
	case Ready:
		k.ready--
		p.state = Stopped
		k.emit(t, -1, p.pid, "stop", map[string]any{"runq": k.ready})
		if k.policy.Event(sched.Event{T: t, Kind: sched.Stop, PID: p.pid, CPU: -1}) {
			k.dropPlans()
		}
	case Running:
		// Stopping itself: give up the CPU now; the slice's end sees the
		// flag and parks it.
		p.Yield()
	case Blocked:
		// It stays blocked; if what it waits for happens while it is
		// stopped, wake() parks it as stopped instead of ready.
		k.emit(t, -1, p.pid, "stop", map[string]any{"runq": k.ready, "blocked": true})
	}
}

// cont lets a stopped p run again.
func (p *Process) cont(t vtime.Time) {
	if !p.px.stopped {
		return
	}
	p.px.stopped = false
	k := p.k
	p.px.report = reportContinued
	k.world.Notify(t) // a parent may wait with WCONTINUED
	if k.tr.Enabled() {
		k.emit(t, -1, p.pid, "cont", map[string]any{"state": p.state.String()})
	}
	if p.state == Stopped {
		p.state = Ready
		k.ready++
		if k.policy.Event(sched.Event{T: t, Kind: sched.Ready, PID: p.pid, CPU: -1}) {
			k.dropPlans()
		}
		k.kick(t)
	}
	// Signals that waited for the continue: defaults act now, handled
	// ones at the next safe point.
	for sig := 1; sig < NSIG; sig++ {
		if p.px.pending&(1<<sig) != 0 && p.px.handlers[sig] == SigDefault && defaultAction(sig) == actTerm {
			p.px.pending &^= 1 << sig
			p.terminate(sig, t)
			return
		}
	}
	p.signalWake(t)
}

// parkStopped is called where a process would become ready: a stopped
// one is parked instead. It reports whether it parked p.
func (p *Process) parkStopped(t vtime.Time) bool {
	if !p.px.stopped {
		return false
	}
	p.state = Stopped
	if p.k.policy.Event(sched.Event{T: t, Kind: sched.Stop, PID: p.pid, CPU: -1}) {
		p.k.dropPlans()
	}
	return true
}

// deliverable reports whether a safe point has a signal to act on.
func (p *Process) deliverable() bool { return p.px.pending != 0 && !p.px.stopped && p.px.inSig == 0 }

// deliverSignals runs the handlers of pending signals; it is called at
// safe points on the guest goroutine, inside a system call. A pending
// signal whose action became default terminates the process here.
func (p *Process) deliverSignals() {
	if !p.deliverable() || p.th == nil || p.px.ctx == nil || p.state != Running {
		return
	}
	for sig := 1; sig < NSIG && p.px.pending != 0; sig++ {
		if p.px.pending&(1<<sig) == 0 {
			continue
		}
		p.px.pending &^= 1 << sig
		h := p.px.handlers[sig]
		switch {
		case h == SigIgnore:
		case h == SigDefault:
			if defaultAction(sig) == actTerm {
				p.terminate(sig, p.Now())
				return
			}
		default:
			fn, err := p.handlerFunc(h)
			if err != nil {
				continue // checked at registration; the table changed since
			}
			if p.k.tr.Enabled() {
				p.k.emit(p.Now(), p.cpu, p.pid, "sighandler", map[string]any{"sig": sig, "handler": h})
			}
			p.px.inSig++
			_, err = fn.Call(p.px.ctx, uint64(sig))
			p.px.inSig--
			if err != nil {
				// The handler trapped or exited: that ends the process as
				// the same thing would outside a handler.
				panic(err)
			}
		}
	}
}

// resumeSignals is every thread's resume hook (cpu.WithResumeHook): a
// process continuing after a preemption runs its pending handlers there,
// so a loop that makes no system call still runs them within a quantum.
func resumeSignals(ctx context.Context) {
	p := procOf(ctx)
	if p == nil || p.px.pending == 0 {
		return
	}
	p.px.ctx = ctx
	p.deliverSignals()
}

// handlerFunc finds a handler in table 0 with type (i32) -> ().
func (p *Process) handlerFunc(h uint32) (fn api.Function, err error) {
	defer func() {
		if r := recover(); r != nil {
			fn, err = nil, errf(vfs.EINVAL, "kernel: %s: signal handler %d: %v", p, h, r)
		}
	}()
	if p.th == nil || p.th.Module() == nil {
		return nil, errf(vfs.EINVAL, "kernel: %s: no instance for a signal handler", p)
	}
	fn = table.LookupFunction(p.th.Module(), 0, h, []api.ValueType{api.ValueTypeI32}, nil)
	if fn == nil {
		return nil, errf(vfs.EINVAL, "kernel: %s: signal handler %d: no such function", p, h)
	}
	return fn, nil
}

func isHandler(h uint32) bool { return h != SigDefault && h != SigIgnore }

// SetHandler registers h for sig (SigDefault, SigIgnore or a table
// index). EINVAL for an unknown signal, for SIGKILL and SIGSTOP, or for a
// handler that is not a function of type void(int) in the guest's table.
func (p *Process) SetHandler(sig int, h uint32) error {
	if sig <= 0 || sig >= NSIG || defaultAction(sig) == actNone {
		return errf(vfs.EINVAL, "kernel: %s: signal %d: no such signal", p, sig)
	}
	if sig == SIGKILL || sig == SIGSTOP {
		return errf(vfs.EINVAL, "kernel: %s: %s cannot be caught or ignored", p, SignalName(sig))
	}
	if isHandler(h) {
		if _, err := p.handlerFunc(h); err != nil {
			return err
		}
	}
	p.px.handlers[sig] = h
	if h == SigIgnore {
		p.px.pending &^= 1 << sig
	}
	return nil
}

// Stopped reports whether the process is stopped by SIGSTOP.
func (p *Process) Stopped() bool { return p.px.stopped }

// childEnded tells p's parent with SIGCHLD (its default: ignored).
func (k *Kernel) childEnded(p *Process, t vtime.Time) {
	par := k.world.Process(p.parent)
	if par == nil || par == par.k.init || par.state == Zombie || par.state == Dead {
		return
	}
	if isHandler(par.px.handlers[SIGCHLD]) {
		_ = par.Signal(SIGCHLD, nil, t)
	}
}
