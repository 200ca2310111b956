// Package kernel is the operating system of one dosemu computer: its
// process table, its scheduler and virtual CPUs, and the "dosemu" host
// module (guests/sdk/c/dosemu.h). WASI preview1 lives in kernel/wasi and
// reaches processes through wasi.Proc, which *Process implements.
//
// # Processes
//
// Pids are per computer and start at 1, the computer's init: a
// kernel-internal process without a program that adopts orphans and reaps
// them at once. A global id (GID) is (computer, pid), printed "c1:7".
// A process is ready, running, blocked, stopped or a zombie; its parent
// collects its wait status with the dosemu wait call. When a process ends
// — by exiting, trapping or being killed — the kernel closes all its fds
// (files, pipes, sockets), runs its AtExit hooks (temporary files), frees
// its instance and memory, re-parents its children to init, and wakes its
// parent.
//
// # Virtual CPUs and time
//
// A computer has Cores vCPUs. Each is a sequence of slices in virtual
// time: the kernel asks the scheduling policy (kernel/sched) for a
// process, runs it with Thread.Run(quantum × speed fuel), and advances the
// vCPU's clock by the instructions it used divided by the speed, plus the
// modelled costs of its system calls (costs.go) and of the context switch.
// Slices of different vCPUs that start at the same virtual instant run one
// after another on the host, in vCPU index order, so K vCPUs run K
// processes in the same virtual instant with a deterministic order. The
// price of running slices whole is that effects inside a slice are seen by
// slices that start later on the host even if they started earlier in
// virtual time on another vCPU; causality across vCPUs is exact only at
// slice boundaries.
//
// # Blocking
//
// A system call that must wait calls Process.Poll(deadline, ready): the
// guest goroutine parks (Thread.Block), the vCPU moves on, and the process
// wakes when ready() holds — re-checked whenever anything notifies the
// cluster (fd readiness hooks, a process exiting) — or when the deadline
// passes on a virtual-time timer.
//
// # Process calls
//
// fork, exec, kill and signals, pipes (local and across computers) and
// the process tree live in proc_*.go, signal.go and pipe*.go; each file
// opens with its contract.
//
// # Concurrency
//
// Everything runs on the event-loop goroutine or on a guest goroutine while
// the loop waits for it (doc/design.md), so the kernel has no locks and
// must not be used from other goroutines.
package kernel

import (
	"context"
	"fmt"
	"strings"

	"dosemu/emulator/cpu"
	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/kernel/sched"
	"dosemu/vfs"
)

// World is what a kernel needs from the cluster around it: the other
// computers, the program registry, and cluster-wide notification. The
// emulator's Cluster implements it.
type World interface {
	// NumComputers is the number of computers; Kernel(i) the i-th one's
	// kernel (nil when i is out of range).
	NumComputers() int
	Kernel(i int) *Kernel
	// Program finds a program by its registry name; the error says why not.
	Program(name string) (*cpu.Program, error)
	// Process finds a live or zombie process by global id (nil if none).
	Process(g GID) *Process
	// Notify tells every kernel that something a blocked process may be
	// waiting for has changed at virtual time t.
	Notify(t vtime.Time)
}

// Config configures one computer's kernel.
type Config struct {
	Index int     // computer index in the cluster
	Name  string  // computer name, "c0" by default
	Cores int     // vCPUs, default 1
	Speed float64 // instructions per virtual ns, default 1.0
	// MemoryLimit bounds the sum of the guests' linear memories (0: no
	// limit). A guest whose initial memory does not fit what others leave
	// fails to start (ENOMEM); a running guest's memory.grow fails once it
	// would pass what was left when it started. Growth of several guests
	// at once can therefore overshoot the sum until one of them ends: the
	// runtime takes a fixed cap per instance, not a shared budget.
	MemoryLimit uint64
	MaxProcs    int // processes (live + zombies, init excluded); 0 = 1024
	Quantum     vtime.Duration
	// Policy schedules this computer's vCPUs; nil means round-robin. A
	// policy instance must not be shared between kernels.
	Policy sched.Policy
	Seed   uint64
	Epoch  int64 // realtime clock at boot, ns since the Unix epoch
	Loop   *vtime.Loop
	Tracer *trace.Tracer
	World  World
	// Context is the context guest instances run under.
	Context context.Context
	// Output receives every write to a process's stdout (stream 1) or
	// stderr (stream 2). data is valid only during the call.
	Output func(p *Process, stream int, data []byte)
	// Failed is told, in one line, about each process that failed (trap,
	// kill by the kernel) after it ended.
	Failed func(p *Process, err error)
	// SetupFDs, when set, installs preopened directories and the like
	// into a new process's fd table after 0, 1 and 2.
	SetupFDs func(p *Process) error
}

// DefaultQuantum is the time slice when Config.Quantum is 0.
const DefaultQuantum = vtime.Duration(1_000_000)

// DefaultEpoch is 2024-01-01T00:00:00Z in ns since the Unix epoch.
const DefaultEpoch = int64(1_704_067_200) * 1e9

// never is a due time that means "idle".
const never = vtime.Time(1<<63 - 1)

// Kernel is one computer's operating system.
type Kernel struct {
	cfg    Config
	loop   *vtime.Loop
	tr     *trace.Tracer
	policy sched.Policy
	world  World
	ctx    context.Context

	procs   map[int]*Process // live and zombie, including init
	records []*Process       // every process ever, in pid order
	init    *Process
	nextPID int
	live    int // not yet ended, init excluded
	count   int // live + zombies, init excluded
	ready   int // processes in state Ready
	memUsed uint64

	cpus       []*vcpu
	dispatchEv *vtime.Event
	running    *Process
	blocked    []*Process // in blocking order
	recheckEv  *vtime.Event
	tickEv     *vtime.Event
	notifyHook func()

	stats KernelStats

	px procExt // pipes, signals, fork/exec bookkeeping (proc_state.go)

	mig *kernMig // migration state (migrate.go)

	chaos ChaosHooks // chaos points' hooks (chaos.go)
}

// KernelStats are a computer's counters.
type KernelStats struct {
	Spawned   int
	Switches  int            // context switches (a vCPU changing process)
	Slices    int            // slices run
	Busy      vtime.Duration // sum over vCPUs of time spent running slices
	PeakMem   uint64
	PeakProcs int
}

type vcpu struct {
	idx    int
	due    vtime.Time // next dispatch; never = idle
	freeAt vtime.Time // end of the last slice
	last   *Process
	plan   []sched.Slice
}

// New returns a kernel with its init process.
func New(cfg Config) (*Kernel, error) {
	if cfg.Loop == nil || cfg.World == nil {
		return nil, fmt.Errorf("kernel: computer %d: Loop and World are required", cfg.Index)
	}
	if cfg.Name == "" {
		cfg.Name = fmt.Sprintf("c%d", cfg.Index)
	}
	if cfg.Cores < 0 || cfg.Cores > 4096 {
		return nil, fmt.Errorf("kernel: %s: %d cores: want 1..4096", cfg.Name, cfg.Cores)
	}
	if cfg.Cores == 0 {
		cfg.Cores = 1
	}
	if cfg.Speed < 0 || cfg.Speed > 1e6 || cfg.Speed != cfg.Speed {
		return nil, fmt.Errorf("kernel: %s: speed %v: want a positive number of instructions per ns", cfg.Name, cfg.Speed)
	}
	if cfg.Speed == 0 {
		cfg.Speed = 1
	}
	if cfg.Quantum < 0 {
		return nil, fmt.Errorf("kernel: %s: negative quantum %v", cfg.Name, cfg.Quantum)
	}
	if cfg.Quantum == 0 {
		cfg.Quantum = DefaultQuantum
	}
	if cfg.MaxProcs <= 0 {
		cfg.MaxProcs = 1024
	}
	if cfg.Epoch == 0 {
		cfg.Epoch = DefaultEpoch
	}
	if cfg.Policy == nil {
		cfg.Policy = sched.NewRoundRobin()
	}
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	k := &Kernel{
		cfg:     cfg,
		loop:    cfg.Loop,
		tr:      cfg.Tracer,
		policy:  cfg.Policy,
		world:   cfg.World,
		ctx:     cpu.WithResumeHook(cfg.Context, resumeSignals),
		procs:   map[int]*Process{},
		nextPID: 1,
	}
	for i := 0; i < cfg.Cores; i++ {
		k.cpus = append(k.cpus, &vcpu{idx: i, due: never})
	}
	k.notifyHook = func() { k.world.Notify(k.world.Kernel(k.cfg.Index).currentTime()) }
	k.init = &Process{k: k, pid: 1, name: "init", state: Blocked, fds: fd.NewTable(), exitCode: -1}
	k.procs[1] = k.init
	k.records = append(k.records, k.init)
	k.nextPID = 2
	return k, nil
}

// Name is the computer's name; Index its index.
func (k *Kernel) Name() string { return k.cfg.Name }

// Index is the computer's index in the cluster.
func (k *Kernel) Index() int { return k.cfg.Index }

// Config returns the kernel's configuration (with defaults filled in).
func (k *Kernel) Config() Config { return k.cfg }

// Policy is the scheduling policy in use.
func (k *Kernel) Policy() sched.Policy { return k.policy }

// Stats returns the computer's counters.
func (k *Kernel) Stats() KernelStats { return k.stats }

// Live is the number of processes that have not ended (init excluded).
func (k *Kernel) Live() int { return k.live }

// MemoryUsed is the sum of the live guests' linear memories.
func (k *Kernel) MemoryUsed() uint64 { return k.memUsed }

// Lookup returns the live or zombie process with that pid, or nil.
func (k *Kernel) Lookup(pid int) *Process {
	if p := k.procs[pid]; p != nil {
		return p
	}
	return k.forward(pid) // born here, running elsewhere (migrate.go)
}

// Records returns every process this kernel ever had, init first, in pid
// order; reaped ones included (state Dead). For summaries.
func (k *Kernel) Records() []*Process { return append([]*Process(nil), k.records...) }

// Blocked returns the processes blocked now, in the order they blocked,
// then the stopped ones (SIGSTOP) in pid order: none of them can run
// until something happens, so at the end of a run they are deadlocked.
func (k *Kernel) Blocked() []*Process {
	out := append([]*Process(nil), k.blocked...)
	for _, p := range k.records {
		if p.state == Stopped {
			out = append(out, p)
		}
	}
	return out
}

// currentTime is the virtual time of whatever is happening on this kernel:
// the running process's clock inside a slice, else the loop's.
func (k *Kernel) currentTime() vtime.Time {
	if k.running != nil {
		return k.running.Now()
	}
	return k.loop.Now()
}

// CurrentTime is the virtual time as seen by this kernel now: inside a
// slice, the running process's clock; otherwise the event loop's.
func (k *Kernel) CurrentTime() vtime.Time { return k.currentTime() }

// Running is the process whose slice is being run, or nil.
func (k *Kernel) Running() *Process { return k.running }

func (k *Kernel) emit(t vtime.Time, cpuIdx, pid int, kind string, f map[string]any) {
	if k.tr.Enabled() {
		k.tr.Emit(trace.Event{T: t, Computer: k.cfg.Name, CPU: cpuIdx, PID: pid, Kind: kind, Fields: f})
	}
}

// SpawnSpec describes a process to start.
type SpawnSpec struct {
	Program *cpu.Program
	Name    string   // shown in output and traces; default Program.Name()
	Args    []string // argv, argv[0] included; default [Name]
	Env     []string // "KEY=VALUE"
	Stdin   []byte
	// Parent is the parent's global id; 0 makes the new process a child of
	// this computer's init.
	Parent   GID
	User     string
	Group    string
	Priority int
	// At is when the process becomes ready; earlier than the loop's time
	// (the zero value) means now.
	At vtime.Time
	// Inherit, when set, installs fds the parent passes down (pipes on
	// 0-2, proc_spawn.go) after the standard streams and before
	// Config.SetupFDs's preopens. An error fails the spawn.
	Inherit func(p *Process) error
}

// Spawn creates a process running spec.Program and makes it ready. Errors
// name the computer, program and cause, and carry the errno a guest spawn
// answers: EAGAIN at the process limit, ENOMEM when the initial memory
// does not fit the computer's memory limit, ENOEXEC when instantiation
// fails (unknown import, start trap). Cost: one instantiation (no
// compilation: the program is compiled once) plus bookkeeping.
func (k *Kernel) Spawn(spec SpawnSpec) (*Process, error) {
	if spec.Program == nil {
		return nil, errf(vfs.EINVAL, "kernel: %s: spawn: no program given", k.cfg.Name)
	}
	name := spec.Name
	if name == "" {
		name = spec.Program.Name()
	}
	if k.count >= k.cfg.MaxProcs {
		return nil, errf(vfs.EAGAIN, "kernel: %s: spawn %s: process limit of %d reached", k.cfg.Name, name, k.cfg.MaxProcs)
	}
	at := max(spec.At, k.loop.Now())
	parent := spec.Parent
	if parent == 0 {
		parent = k.init.GID()
	}
	args := spec.Args
	if len(args) == 0 {
		args = []string{name}
	}
	p := &Process{
		k: k, pid: k.nextPID, parent: parent, name: name, prog: spec.Program,
		args: args, env: spec.Env, user: spec.User, group: spec.Group,
		priority: spec.Priority, spawned: at, exitCode: -1, cpu: -1,
		fds: fd.NewTable(),
	}
	_ = p.fds.Set(0, fd.NewInput(spec.Stdin), fd.RightsStream, 0)
	_ = p.fds.Set(1, fd.NewOutput("stdout", outputWriter{p, 1}), fd.RightsStream, 0)
	_ = p.fds.Set(2, fd.NewOutput("stderr", outputWriter{p, 2}), fd.RightsStream, 0)
	if spec.Inherit != nil {
		if err := spec.Inherit(p); err != nil {
			_ = p.fds.CloseAll()
			return nil, fmt.Errorf("kernel: %s: spawn %s: inherited fds: %w", k.cfg.Name, name, err)
		}
	}
	if k.cfg.SetupFDs != nil {
		if err := k.cfg.SetupFDs(p); err != nil {
			_ = p.fds.CloseAll()
			return nil, fmt.Errorf("kernel: %s: spawn %s: file descriptors: %w", k.cfg.Name, name, err)
		}
	}
	var memCap uint64
	if lim := k.cfg.MemoryLimit; lim > 0 {
		if k.memUsed >= lim {
			_ = p.fds.CloseAll()
			return nil, errf(vfs.ENOMEM, "kernel: %s: spawn %s: memory limit of %d bytes already used by other processes", k.cfg.Name, name, lim)
		}
		memCap = lim - k.memUsed
	}
	th, err := spec.Program.Start(k.ctx, cpu.ThreadConfig{Data: p, MemoryLimit: memCap, Args: args, Env: spec.Env})
	if err != nil {
		_ = p.fds.CloseAll()
		if memCap > 0 && isMemoryRefusal(err) {
			return nil, errf(vfs.ENOMEM, "kernel: %s: spawn %s: initial memory does not fit the %d bytes left of the computer's memory limit: %v", k.cfg.Name, name, memCap, err)
		}
		return nil, errf(vfs.ENOEXEC, "kernel: %s: spawn %s: %v", k.cfg.Name, name, err)
	}
	p.th = th
	p.stats.Memory = th.MemorySize()
	p.stats.PeakMemory = p.stats.Memory
	k.memUsed += p.stats.Memory
	k.stats.PeakMem = max(k.stats.PeakMem, k.memUsed)

	k.nextPID++
	k.procs[p.pid] = p
	k.records = append(k.records, p)
	k.live++
	k.count++
	k.stats.Spawned++
	k.stats.PeakProcs = max(k.stats.PeakProcs, k.count)
	if par := k.world.Process(parent); par != nil {
		par.children = append(par.children, p.GID())
	}
	p.state = Ready
	k.ready++
	if k.tr.Enabled() {
		k.emit(at, -1, p.pid, "spawn", map[string]any{"prog": name, "parent": parent.String(), "args": args, "mem": p.stats.Memory, "runq": k.ready})
	}
	k.policy.Event(sched.Event{T: at, Kind: sched.Spawn, PID: p.pid, CPU: -1, Info: p.info()})
	k.kick(at)
	k.armTick()
	return p, nil
}

// kick wakes the lowest-numbered idle vCPU at time t, if there is one.
func (k *Kernel) kick(t vtime.Time) {
	for _, c := range k.cpus {
		if c.due == never {
			c.due = max(t, c.freeAt)
			k.arm()
			return
		}
	}
}

// arm makes sure the dispatch event is due at the earliest vCPU's time.
func (k *Kernel) arm() {
	next := never
	for _, c := range k.cpus {
		next = min(next, c.due)
	}
	if next == never {
		k.loop.Cancel(k.dispatchEv)
		k.dispatchEv = nil
		return
	}
	if k.dispatchEv.Pending() && k.dispatchEv.At() <= next {
		return
	}
	k.loop.Cancel(k.dispatchEv)
	k.dispatchEv = k.loop.At(next, k.dispatch)
}

// dispatch runs the slices due now, in vCPU index order.
func (k *Kernel) dispatch() {
	k.dispatchEv = nil
	now := k.loop.Now()
	for _, c := range k.cpus {
		if c.due <= now {
			k.runSlice(c, now)
		}
	}
	k.arm()
}

// pick returns the next process for c, following its plan and asking the
// policy for a new one when the plan runs out.
func (k *Kernel) pick(c *vcpu, now vtime.Time) (*Process, vtime.Duration) {
	for round := 0; round < 2; round++ {
		for len(c.plan) > 0 {
			s := c.plan[0]
			c.plan = c.plan[1:]
			if p := k.procs[s.PID]; p != nil && p.state == Ready {
				q := s.Quantum
				if q <= 0 {
					q = k.cfg.Quantum
				}
				return p, q
			}
		}
		c.plan = k.policy.Plan(now, c.idx)
		if len(c.plan) == 0 {
			break
		}
	}
	return nil, 0
}

// runSlice runs one slice on c starting at now.
func (k *Kernel) runSlice(c *vcpu, now vtime.Time) {
	p, quantum := k.pick(c, now)
	if p == nil {
		c.due = never
		if c.last != nil {
			k.emit(now, c.idx, 0, "idle", nil)
			c.last = nil
		}
		return
	}
	start := now
	if c.last != p {
		k.stats.Switches++
		if c.last != nil {
			start = start.Add(CostContextSwitch)
		}
	}
	c.last = p
	k.ready--
	p.state = Running
	p.cpu = c.idx
	p.sliceStart = start
	p.sliceCost = 0
	k.policy.Event(sched.Event{T: start, Kind: sched.Run, PID: p.pid, CPU: c.idx})
	if k.tr.Enabled() {
		k.emit(start, c.idx, p.pid, "run", map[string]any{"prog": p.name, "quantum": int64(quantum), "runq": k.ready})
	}
	fuel := uint64(float64(quantum) * k.cfg.Speed)
	if fuel == 0 {
		fuel = 1
	}
	k.running = p
	k.migBeforeRun(p)
	stop := p.th.Run(fuel)
	k.running = nil
	p.sliceCost += k.migAfterRun(p)

	used := vtime.Duration(float64(stop.Used) / k.cfg.Speed)
	dur := used + p.sliceCost
	end := start.Add(dur)
	p.stats.CPUTime += dur
	p.stats.Instructions += stop.Used
	k.stats.Slices++
	k.stats.Busy += dur
	c.freeAt = end
	c.due = end
	k.updateMemory(p)

	var reason string
	var kind sched.Kind
	switch stop.Kind {
	case cpu.Preempted:
		reason, kind = "preempt", sched.Preempt
		p.stats.Preemptions++
		defer k.startDeferred(p)
		defer k.migPreempted(p)
		defer k.chaosPreempted(p)
	case cpu.Blocked:
		if p.yielding {
			reason, kind = "yield", sched.Yield
		} else {
			reason, kind = "block", sched.Block
		}
	case cpu.Unwound:
		// Fork and capture unwind at a system call and continue on the
		// next Run; to the scheduler it is a preemption.
		reason, kind = "unwound", sched.Preempt
		k.unwound(p, end)
		k.chaosUnwound(p)
		defer k.startDeferred(p)
	case cpu.Exited:
		p.stats.Switches++
		if k.exitedBySyscall(p, c, end, stop.Used) {
			return
		}
		k.finish(p, end, int(stop.ExitCode)<<8, int(stop.ExitCode), nil, c.idx, "exit")
		return
	default:
		p.stats.Switches++
		err := stop.Err
		if err == nil {
			err = fmt.Errorf("stopped for an unknown reason (%v)", stop.Kind)
		}
		err = firstLine(err)
		k.finish(p, end, SIGSEGV, -1, err, c.idx, "trap")
		return
	}
	p.stats.Switches++
	if k.tr.Enabled() {
		k.emit(end, c.idx, p.pid, "switch", map[string]any{"reason": reason, "used": stop.Used, "cpu_ns": int64(dur), "runq": k.ready})
	}
	if kind == sched.Block {
		p.state = Blocked
		k.blocked = append(k.blocked, p)
		if p.deadline != never {
			d := p.deadline
			p.timer = k.loop.At(d, func() { k.timeout(p) })
		}
	} else if p.px.stopped {
		p.state = Stopped
		kind = sched.Stop
		k.emit(end, c.idx, p.pid, "stop", map[string]any{"runq": k.ready})
	} else if kind == sched.Preempt && k.migThrottle(p, end, dur) {
		kind = sched.Block
	} else {
		p.state = Ready
		k.ready++
	}
	if k.policy.Event(sched.Event{T: end, Kind: kind, PID: p.pid, CPU: c.idx, Used: dur}) {
		k.dropPlans()
	}
}

func (k *Kernel) dropPlans() {
	for _, c := range k.cpus {
		c.plan = nil
	}
}

func (k *Kernel) updateMemory(p *Process) {
	if p.th == nil {
		return
	}
	m := p.th.MemorySize()
	k.memUsed += m - p.stats.Memory
	p.stats.Memory = m
	p.stats.PeakMemory = max(p.stats.PeakMemory, m)
	k.stats.PeakMem = max(k.stats.PeakMem, k.memUsed)
}

// timeout wakes p when its poll deadline passes.
func (k *Kernel) timeout(p *Process) {
	p.timer = nil
	if p.state != Blocked {
		return
	}
	p.timedOut = true
	k.wake(p, k.loop.Now(), "timeout")
}

// wake makes a blocked process ready at t.
func (k *Kernel) wake(p *Process, t vtime.Time, why string) {
	for i, q := range k.blocked {
		if q == p {
			k.blocked = append(k.blocked[:i], k.blocked[i+1:]...)
			break
		}
	}
	k.loop.Cancel(p.timer)
	p.timer = nil
	if p.parkStopped(t) {
		k.emit(t, -1, p.pid, "wake", map[string]any{"reason": why, "stopped": true, "runq": k.ready})
		return
	}
	p.state = Ready
	k.ready++
	if k.tr.Enabled() {
		k.emit(t, -1, p.pid, "wake", map[string]any{"reason": why, "runq": k.ready})
	}
	if k.policy.Event(sched.Event{T: t, Kind: sched.Ready, PID: p.pid, CPU: -1}) {
		k.dropPlans()
	}
	k.kick(t)
}

// Notify asks the kernel to re-check its blocked processes at virtual
// time t (or now, if t is past). Notifications are coalesced: one re-check
// per instant however many arrive.
func (k *Kernel) Notify(t vtime.Time) {
	if len(k.blocked) == 0 {
		return
	}
	if k.recheckEv.Pending() && k.recheckEv.At() <= t {
		return
	}
	k.loop.Cancel(k.recheckEv)
	k.recheckEv = k.loop.At(t, k.recheck)
}

// recheck wakes every blocked process whose condition now holds, in the
// order they blocked. Cost: O(blocked) ready() calls.
func (k *Kernel) recheck() {
	k.recheckEv = nil
	now := k.loop.Now()
	var woken []*Process
	for _, p := range k.blocked {
		if p.waitReady != nil && p.waitReady() {
			woken = append(woken, p)
		}
	}
	for _, p := range woken {
		k.wake(p, now, "ready")
	}
}

// armTick keeps the policy's periodic tick going while there are processes.
func (k *Kernel) armTick() {
	period := k.policy.TickPeriod()
	if period <= 0 || k.tickEv.Pending() || k.live == 0 {
		return
	}
	k.tickEv = k.loop.After(period, func() {
		k.tickEv = nil
		if k.live == 0 {
			return
		}
		if k.policy.Event(sched.Event{T: k.loop.Now(), Kind: sched.Tick, CPU: -1}) {
			k.dropPlans()
		}
		k.armTick()
	})
}

// finish ends p at time t with the given wait status; err is non-nil when
// it failed. It cleans up everything p held and wakes its parent.
func (k *Kernel) finish(p *Process, t vtime.Time, status, code int, err error, cpuIdx int, reason string) {
	switch p.state {
	case Ready:
		k.ready--
	case Blocked:
		for i, q := range k.blocked {
			if q == p {
				k.blocked = append(k.blocked[:i], k.blocked[i+1:]...)
				break
			}
		}
	}
	k.loop.Cancel(p.timer)
	p.timer = nil
	p.state = Zombie
	p.status, p.exitCode, p.err, p.ended = status, code, err, t
	k.live--
	_ = p.fds.CloseAll()
	for _, f := range p.atExit {
		f()
	}
	p.atExit = nil
	if p.th != nil {
		_ = p.th.Close()
		k.memUsed -= p.stats.Memory
		p.stats.Memory = 0
	}
	p.th = nil
	f := map[string]any{"reason": reason, "status": status, "cpu_ns": int64(p.stats.CPUTime), "runq": k.ready}
	if code >= 0 {
		f["code"] = code
	}
	if err != nil {
		f["error"] = err.Error()
	}
	if k.tr.Enabled() {
		k.emit(t, cpuIdx, p.pid, "exit", f)
	}
	if k.policy.Event(sched.Event{T: t, Kind: sched.Exit, PID: p.pid, CPU: cpuIdx, Used: 0}) {
		k.dropPlans()
	}
	if err != nil && k.cfg.Failed != nil {
		k.cfg.Failed(p, err)
	}
	// Orphans go to the init of the computer they live on.
	for _, cg := range p.children {
		if ch := k.world.Process(cg); ch != nil {
			ini := ch.k.init
			ch.parent = ini.GID()
			ini.children = append(ini.children, cg)
			if ch.state == Zombie {
				ch.k.reapByInit(ch)
			}
		}
	}
	p.children = nil
	k.procFinished(p, t)
	par := k.world.Process(p.parent)
	if par == nil || par == par.k.init {
		k.reapByInit(p)
	} else {
		k.world.Notify(t)
	}
}

// reapByInit removes a zombie whose parent is init.
func (k *Kernel) reapByInit(p *Process) {
	k.reap(p, k.init)
}

// reap removes zombie p from the process table on behalf of parent.
func (k *Kernel) reap(p *Process, parent *Process) {
	if p.state != Zombie {
		return
	}
	p.state = Dead
	delete(p.k.procs, p.pid)
	p.k.count--
	for i, g := range parent.children {
		if g == p.GID() {
			parent.children = append(parent.children[:i], parent.children[i+1:]...)
			break
		}
	}
}

// Kill ends process pid with signal sig (SIGKILL semantics: it cannot be
// caught) at the kernel's current time. It answers ESRCH for no such
// live process. A running process cannot be killed from outside its own
// slice; the kernel only calls Kill between slices.
func (k *Kernel) Kill(pid int, sig int, why error) error {
	p := k.procs[pid]
	if p == nil || p == k.init || p.state == Zombie || p.state == Dead {
		return errf(vfs.ESRCH, "kernel: %s: kill %d: no such process", k.cfg.Name, pid)
	}
	if p.state == Running {
		return errf(vfs.EBUSY, "kernel: %s: kill %s: process is running (kill between slices)", k.cfg.Name, p)
	}
	k.finish(p, k.currentTime(), sig&0x7f, -1, why, -1, "kill")
	return nil
}

// Shutdown kills every live process (SIGKILL), closing their threads and
// fds. It is for Ctrl-C and for the end of a run that left processes
// blocked forever; errs names each one killed, with why.
func (k *Kernel) Shutdown(why string) {
	for _, p := range k.records {
		if p != k.init && (p.state == Ready || p.state == Blocked || p.state == Stopped) {
			_ = k.Kill(p.pid, SIGKILL, fmt.Errorf("%s", why))
		}
	}
	for _, c := range k.cpus {
		c.due = never
		c.plan = nil
	}
	k.arm()
	k.loop.Cancel(k.tickEv)
	k.loop.Cancel(k.recheckEv)
}

// isMemoryRefusal reports whether a start failed because the linear
// memory did not fit the limit given to the thread.
func isMemoryRefusal(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "exceeds the limit") || strings.Contains(msg, "linear memory")
}

// firstLine keeps an error's first line: wazero appends a multi-line wasm
// stack trace to traps, and failures are reported one line each.
func firstLine(err error) error {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		return &lineError{msg: msg[:i], err: err}
	}
	return err
}

type lineError struct {
	msg string
	err error
}

func (e *lineError) Error() string { return e.msg }
func (e *lineError) Unwrap() error { return e.err }
