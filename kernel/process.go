package kernel

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"

	"dosemu/emulator/cpu"
	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/kernel/sched"
	"dosemu/kernel/wasi"
)

// State is where a process is in its life.
type State uint8

// Process states. A process is Ready (waiting for a vCPU), Running (on a
// vCPU now), Blocked (in a system call waiting for an event), Stopped
// (SIGSTOP; not scheduled until continued), or a Zombie (ended, its exit
// status not yet collected by its parent). Once reaped it is Dead: gone
// from the process table, kept only as a record for the summary.
const (
	Ready State = iota + 1
	Running
	Blocked
	Stopped
	Zombie
	Dead
)

var stateNames = [...]string{"", "ready", "running", "blocked", "stopped", "zombie", "dead"}

func (s State) String() string {
	if int(s) < len(stateNames) && s != 0 {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Signals that end processes, used in wait statuses (dosemu.h).
const (
	SIGKILL = 9
	// SIGSEGV is the wait-status signal of a guest that trapped: WASI has
	// no signals, and a trap is the wasm analogue of a fault.
	SIGSEGV = 11
)

// Stats are a process's counters. CPUTime is virtual: the guest's
// instructions at its computer's speed plus the modelled cost of its
// system calls.
type Stats struct {
	CPUTime      vtime.Duration
	Instructions uint64
	Switches     int // times it left a vCPU (preempted, blocked, yielded)
	Preemptions  int
	Syscalls     int
	Memory       uint64 // linear memory now (bytes)
	PeakMemory   uint64
}

// Process is one guest process (or a computer's init, which has no
// program). It implements wasi.Proc. Its methods that a guest reaches
// through host functions run on the guest's goroutine while the kernel
// waits in Thread.Run; everything else runs on the event loop; so the
// process needs no locks (doc/design.md).
type Process struct {
	k        *Kernel
	pid      int
	parent   GID
	children []GID
	name     string // program name as shown to people
	prog     *cpu.Program
	th       *cpu.Thread
	args     []string
	env      []string
	fds      *fd.Table
	user     string
	group    string
	priority int

	state    State
	spawned  vtime.Time
	ended    vtime.Time
	status   int   // wait status (dosemu.h): code<<8, or the signal
	exitCode int   // exit code, or -1 when ended by a signal
	err      error // why it failed, nil for a normal exit
	stats    Stats
	rnd      *rand.Rand
	atExit   []func()

	// The slice in progress (state Running).
	cpu        int
	sliceStart vtime.Time
	sliceCost  vtime.Duration // syscall costs charged in this slice so far

	// Blocking (state Blocked or on its way there).
	yielding bool
	// remoteCall: the wait is PollRemote's (migrate_defer.go): moves and
	// checkpoints wait for it to end instead of interrupting it.
	remoteCall bool
	waitReady  func() bool
	deadline   vtime.Time
	timer      *vtime.Event
	timedOut   bool

	// callAt is when the system call in progress started. A call that a
	// capture interrupted (migration, checkpoint) is repeated after the
	// rewind; restart then makes the repeat keep the first call's start,
	// so that a relative timeout (poll_oneoff, sleep) ends at the instant
	// it would have without the interruption (CallStart).
	callAt  vtime.Time
	restart bool

	mig *procMig // migration state (migrate.go); nil if never migrated

	chaos chaosProc // chaos points (chaos.go)

	px procState // signals, fork, exec (proc_state.go)
}

var _ wasi.Proc = (*Process)(nil)

// GID is the process's global id.
func (p *Process) GID() GID {
	if p.mig != nil {
		return p.mig.home // migrated: the id it was born with (migrate.go)
	}
	return MakeGID(p.k.cfg.Index, p.pid)
}

// PID is the process's id on its computer.
func (p *Process) PID() int { return p.pid }

// Kernel is the kernel the process lives on.
func (p *Process) Kernel() *Kernel { return p.k }

// Name is the program's name ("init" for init).
func (p *Process) Name() string { return p.name }

// Program is the compiled program it runs (nil for init).
func (p *Process) Program() *cpu.Program { return p.prog }

// Parent is the parent's global id (0 for init).
func (p *Process) Parent() GID { return p.parent }

// Children are the global ids of children not yet reaped, in spawn order.
func (p *Process) Children() []GID { return append([]GID(nil), p.children...) }

// State is the process's state.
func (p *Process) State() State { return p.state }

// Stats returns the process's counters.
func (p *Process) Stats() Stats { return p.stats }

// Status is the wait status once the process has ended (dosemu.h
// encoding: exit code << 8, or the terminating signal in the low 7 bits).
func (p *Process) Status() int { return p.status }

// ExitCode is the exit code once ended, -1 if a signal or trap ended it.
func (p *Process) ExitCode() int { return p.exitCode }

// Err is why the process failed (trap, kill, kernel error); nil when it
// exited by itself or is still alive.
func (p *Process) Err() error { return p.err }

// Spawned and Ended are the virtual times of its start and end.
func (p *Process) Spawned() vtime.Time { return p.spawned }

// Ended is when the process ended (0 while alive).
func (p *Process) Ended() vtime.Time { return p.ended }

// Thread is the guest's CPU context (nil for init and once ended).
func (p *Process) Thread() *cpu.Thread { return p.th }

// AtExit registers f to run when the process ends, after its fds are
// closed: the hook for temporary files and any other per-process resource
// that a subsystem creates. Hooks run in registration order.
func (p *Process) AtExit(f func()) { p.atExit = append(p.atExit, f) }

func (p *Process) String() string { return p.GID().String() + " " + p.name }

// ---- wasi.Proc ----

// Args implements wasi.Proc.
func (p *Process) Args() []string { return p.args }

// Environ implements wasi.Proc.
func (p *Process) Environ() []string { return p.env }

// FDs implements wasi.Proc.
func (p *Process) FDs() *fd.Table { return p.fds }

// Now implements wasi.Proc: inside a slice, the slice's start plus the
// system-call costs charged so far; otherwise the loop's time. The
// guest's own instructions in the current slice are added when the slice
// ends (the runtime does not expose the fuel left mid-run), so a guest
// reading the clock in a pure CPU loop sees it advance once per quantum.
func (p *Process) Now() vtime.Time {
	if p.state == Running {
		return p.sliceStart.Add(p.sliceCost)
	}
	return p.k.loop.Now()
}

// Epoch implements wasi.Proc.
func (p *Process) Epoch() int64 { return p.k.cfg.Epoch }

// CPUTime implements wasi.Proc.
func (p *Process) CPUTime() vtime.Duration {
	if p.state == Running {
		return p.stats.CPUTime + p.sliceCost
	}
	return p.stats.CPUTime
}

// Resolution implements wasi.Proc.
func (p *Process) Resolution() vtime.Duration { return 1 }

// Random implements wasi.Proc: a stream per process derived from the
// cluster seed and the process's global id, so it is the same every run
// and independent of what other processes draw.
func (p *Process) Random(b []byte) {
	if p.rnd == nil {
		p.rnd = vtime.Rand(p.k.cfg.Seed, "kernel:random:"+p.GID().String())
	}
	var w [8]byte
	for len(b) > 0 {
		binary.LittleEndian.PutUint64(w[:], p.rnd.Uint64())
		b = b[copy(b, w[:]):]
	}
}

// Poll implements wasi.Proc. The process blocks (its vCPU switches to
// another process) until ready() holds, re-checked whenever the kernel is
// notified of a change, or until deadline.
func (p *Process) Poll(deadline vtime.Time, ready func() bool) wasi.PollResult {
	for {
		p.deliverSignals()
		if ready() {
			return wasi.PollReady
		}
		if p.Now() >= deadline {
			return wasi.PollTimeout
		}
		if p.th == nil || p.state != Running {
			// Not inside a slice (a host call during instantiation): there
			// is nobody to hand the CPU to.
			return wasi.PollTimeout
		}
		p.waitReady, p.deadline, p.timedOut = func() bool { return ready() || p.deliverable() }, deadline, false
		p.hookFiles()
		ok := p.th.Block()
		p.waitReady = nil
		if !ok {
			p.restart = true // the guest repeats this call after the rewind
			return wasi.PollAbort
		}
		if p.timedOut {
			if ready() {
				return wasi.PollReady
			}
			return wasi.PollTimeout
		}
	}
}

// hookFiles points every open file's readiness hook at the cluster's
// notifier, so that data arriving on a pipe or socket wakes pollers.
// O(open fds) per block, a few dozen at most.
func (p *Process) hookFiles() {
	n := p.fds.Len()
	for i := 0; i < n; i++ {
		if e, err := p.fds.Get(int32(i)); err == nil {
			e.File().SetNotify(p.k.notifyHook)
		}
	}
}

// CallStart implements wasi.CallStarter: when the system call in progress
// started, after its entry cost. For the repeat of a call that a capture
// interrupted (the process migrated, or was checkpointed, while blocked in
// it) it is the interrupted call's start, so relative timeouts keep their
// original deadline wherever the process continues.
func (p *Process) CallStart() vtime.Time { return p.callAt }

// Exit implements wasi.Proc (proc_exit): it does not return.
func (p *Process) Exit(code uint32) { p.th.Exit(code) }

// Yield implements wasi.Proc (sched_yield): the vCPU goes to the next
// ready process, and this one stays ready.
func (p *Process) Yield() {
	if p.th == nil || p.state != Running {
		return
	}
	p.yielding = true
	p.th.Block()
	p.yielding = false
}

// Syscall implements wasi.Proc: count, charge, trace.
func (p *Process) Syscall(c wasi.Call) { p.syscall(c.String()) }

func (p *Process) syscall(name string) {
	if p.px.pending != 0 {
		p.deliverSignals()
	}
	p.stats.Syscalls++
	p.sliceCost += CostSyscall
	if p.restart {
		p.restart = false // the repeat of an interrupted call: same start
	} else {
		p.callAt = p.Now()
	}
	if p.k.tr.Enabled() {
		p.k.emit(p.Now(), p.cpu, p.pid, "syscall", map[string]any{"name": name})
	}
}

// charge adds a modelled cost to the current slice (and so to the
// process's CPU time and the vCPU's clock).
func (p *Process) charge(d vtime.Duration) {
	if p.state == Running {
		p.sliceCost += d
	}
}

// info describes the process to a scheduling policy.
func (p *Process) info() *sched.Info {
	par := 0
	if p.parent.Computer() == p.k.cfg.Index {
		par = p.parent.PID()
	}
	return &sched.Info{PID: p.pid, Parent: par, Program: p.name, User: p.user, Group: p.group, Priority: p.priority}
}

// outputWriter feeds a process's stdout or stderr to the kernel's sink.
type outputWriter struct {
	p      *Process
	stream int
}

func (w outputWriter) Write(b []byte) (int, error) {
	w.p.charge(CopyCost(len(b)))
	if out := w.p.k.cfg.Output; out != nil && len(b) > 0 {
		out(w.p, w.stream, b)
	}
	return len(b), nil
}
