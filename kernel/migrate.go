package kernel

// Live migration: moving a process from this computer to another while it
// keeps its global id.
//
// # Protocol
//
// Every step is a kernel message over the emulated network, so it pays the
// link's latency and bandwidth in virtual time, and the destination answers
// each one (it may refuse, fail, or be unreachable):
//
//	prepare  state (fd table, args, env, links) plus the code, only when the
//	         destination lacks a program with the same content hash
//	mem      memory pages (stop-and-copy: all non-zero pages once; pre-copy:
//	         rounds while the process runs, each sending the pages that
//	         differ from the destination's copy, then a final round frozen)
//	commit   the point of no return: once its answer is back the process
//	         leaves this computer's table and runs on the destination
//	push     post-copy only, after commit: runs of PushSize pages until the
//	         source holds nothing; first touches fetch FetchSize at once
//
// A failure or timeout before commit's answer aborts: the process resumes
// here, never lost and never running twice (the destination installs
// nothing before the commit answer arrives back at the source, and the
// source decides). The process keeps its global id; the home computer keeps
// a forwarding entry so that lookups by id (wait, kill, parent links) find it
// wherever it runs.
//
// # After the hand-off (post-copy)
//
// Once commit is answered the process runs on the destination while some
// of its pages are still at the source, so the two computers depend on
// each other until the push ends. What can happen meanwhile:
//
//   - A lossy link: a push or a demand fetch that goes unanswered is sent
//     again (each attempt pays the link in virtual time); nothing is lost.
//   - A cut link: the push stops and waits, and a process whose slice
//     touched missing pages blocks after that slice until they arrive. The
//     wait is a watch on the fabric (net.Fabric.Watch), not a timer: no
//     event, no host work until the link heals, when the fetch is sent and
//     the push resumes ("stall" and "heal" events). A link that never
//     heals leaves the process blocked, which the end of the run reports
//     as a deadlock like any wait that cannot end.
//   - The destination fails (goes down; MigrateOptions.FailAt "push"
//     injects it at the first push's arrival), or refuses pages: the
//     process ran there and dies with it (SIGKILL). The source stops
//     pushing and frees its pages, and reports it once: a "lost" event and
//     MigStats.Lost. Done was already called (with nil) at the hand-off.
//   - The source fails while pages are still there (FailAt "source"
//     injects it at the first push's arrival): the process cannot go on
//     without its memory and is killed with SIGBUS at that instant, with a
//     reason naming the failed computer and the pages lost; its parent
//     gets the status as for any killed process.
//
// Failures are noticed at the instant the fabric changes (Watch) and also
// from a push or fetch that fails, so each ends the post-copy exactly
// once. Demand fetches are accounted at the end of the slice that made
// them (the guest's instructions after a first touch count before the
// wait): on a healthy loss-free link as a cost added to the slice, on a
// lossy or cut one as the blocking request above.
//
// # Memory
//
// The destination's copy is real: stop-and-copy and pre-copy build it in a
// paging.Pages image from the transferred pages only and install that image
// under the guest (a page the transfer forgot would change the guest's
// output); post-copy detaches the pages (the source image), empties the
// guest's memory and serves first touches from the source through
// userfaultfd. Which pages are present at each slice boundary depends only
// on virtual time: pushes land at message arrival instants between slices,
// and fetches happen on first touch, which is deterministic.

import (
	"context"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero/api"

	"dosemu/emulator/cpu"
	"dosemu/emulator/paging"
	"dosemu/emulator/vtime"
	"dosemu/kernel/sched"
	"dosemu/kernel/wasi"
	"dosemu/net"
	"dosemu/vfs"
)

// MigrateMode is a memory-transfer strategy (dosemu.h DOSEMU_MIGRATE_*).
type MigrateMode uint8

// Migration strategies, numbered as in dosemu.h.
const (
	StopCopy MigrateMode = iota
	PreCopy
	PostCopy
)

var modeNames = [...]string{"stopcopy", "precopy", "postcopy"}

func (m MigrateMode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ParseMigrateMode parses "stopcopy" (or "stop-and-copy"), "precopy" or
// "postcopy".
func ParseMigrateMode(s string) (MigrateMode, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "-", "")) {
	case "stopcopy", "stopandcopy":
		return StopCopy, nil
	case "precopy":
		return PreCopy, nil
	case "postcopy":
		return PostCopy, nil
	}
	return 0, fmt.Errorf("unknown migration mode %q (want stopcopy, precopy or postcopy)", s)
}

// Migration phases, as named in traces and in MigrateOptions.FailAt.
const (
	PhasePrepare = "prepare"
	PhaseMem     = "mem"
	PhaseCommit  = "commit"
	PhasePush    = "push"
	// FailSource is a FailAt value: the source computer fails when the
	// first post-copy push arrives at the destination (after the hand-off).
	FailSource = "source"
)

// SIGBUS is the signal of a process whose memory cannot be read back: a
// post-copy whose source failed with pages still there (Linux's number).
const SIGBUS = 7

// MigrateOptions tune one migration.
type MigrateOptions struct {
	// FailAt injects a fault, for tests: PhasePrepare, PhaseMem or
	// PhaseCommit make the destination refuse that phase (EIO), which
	// aborts; PhasePush makes the destination computer fail (go down)
	// when the first post-copy push arrives, FailSource the source.
	FailAt string
	// Done, if set, is called once from the event loop with the outcome
	// when the process runs again (here after an abort, there after a
	// commit); nil error means it moved.
	Done func(error)
	// Resumed, if set, is called once from the event loop immediately
	// before the moved process's first slice on the destination starts:
	// the end of its downtime as the guest sees it. Never after an abort.
	Resumed func()
}

// MigStats count a computer's migrations (as the source).
type MigStats struct {
	Started, Moved, Aborted int
	BytesSent               uint64 // state, code and memory bytes sent
	Fetches, FetchedPages   uint64 // post-copy demand fetches (deterministic)
	PushedPages             uint64 // post-copy background pages
	// Lost counts post-copies that ended early because a computer failed
	// (or the destination refused pages) after the hand-off: the process
	// was killed and the source's pages freed.
	Lost     int
	Downtime vtime.Duration
	// Forwarded counts socket calls that processes of this computer made
	// to sockets homed elsewhere (each a request to that computer and,
	// but for close, a reply: socket_fwd.go), and ForwardedBytes their
	// payload and call bytes both ways (without kernel message headers).
	Forwarded, ForwardedBytes uint64
}

// Tunables of the protocol.
const (
	migTimeout     = vtime.Duration(50_000_000) // per attempt of one message
	migRetries     = 2
	stateBaseBytes = 512 // pid, links, cwd, signal state, registers
	fdBytes        = 64
)

// kernMig is a kernel's migration bookkeeping.
type kernMig struct {
	away     map[int]*Process  // home pid -> the process, now elsewhere
	have     map[[32]byte]bool // code this computer received
	handlers bool              // message handlers registered
	// sockServed: the home side of forwarded socket calls is registered
	// (socket_fwd.go).
	sockServed bool
	preempted  func(p *Process) // hook: a process was preempted
	stats      MigStats
}

// procMig is a process's migration bookkeeping.
type procMig struct {
	home      GID // its global id for life
	active    *migration
	pager     *paging.Pager // post-copy in progress
	pagerFrom *Kernel
	fetches   uint64 // pager fetches already charged
	fetched   uint64
	cursor    int // next page for the background push
	result    vfs.Errno
	// answered: result is the answer to the dosemu_migrate call that the
	// capture unwound; the guest makes that call again after the rewind
	// (on either computer) and gets result instead of a new migration.
	answered bool
	seq      int    // migrations started
	resumed  func() // MigrateOptions.Resumed of the last commit, until its first slice
	release  func() // frees the source's memory once the process runs here (migrate_mem.go)
	// sockCall is the forwarded socket call the process waits for, kept
	// when a capture interrupts the wait so that the repeated call takes
	// its reply (socket_fwd.go).
	sockCall *sockCall
	// deferred is a move waiting for the process's remote file call
	// (migrate_defer.go).
	deferred *deferredMove

	// After a post-copy's hand-off (migrate_mem.go): post is the
	// migration whose pages are arriving, unwatch ends its watch on the
	// fabric; pushStall and fetchHeld say the push and the process's
	// fetch wait for a cut link to heal; fetchOut that the process waits
	// for fetchPages pages; heldDeadline that its system call's deadline
	// (fetchDeadline) waits for them too.
	post          *migration
	unwatch       func()
	pushStall     bool
	fetchHeld     bool
	fetchOut      bool
	fetchPages    uint64
	heldDeadline  bool
	fetchDeadline vtime.Time
}

type migration struct {
	p        *Process
	from, to *Kernel
	mode     MigrateMode
	opt      MigrateOptions
	flow     int64
	started  vtime.Time
	frozenAt vtime.Time
	frozen   bool
	wasReady bool // frozen from Ready (else from Blocked)
	wait     func() bool
	deadline vtime.Time
	staging  *paging.Pages
	mem      migMem // memory transfer state (migrate_mem.go)
	round    int
	sent     uint64
	// state is the capture taken at the freeze, serialized without its
	// memory (the memory travels as pages); unsent is what of it the next
	// protocol message still has to carry; capErr a capture failure, which
	// aborts at the next message.
	state  []byte
	unsent int
	capErr error
}

func (k *Kernel) migState() *kernMig {
	if k.mig == nil {
		k.mig = &kernMig{away: map[int]*Process{}, have: map[[32]byte]bool{}}
	}
	return k.mig
}

// MigrationStats returns the computer's migration counters.
func (k *Kernel) MigrationStats() MigStats { return k.migState().stats }

// SetPreemptHook installs f to be called (from the event loop, after the
// slice) whenever one of this computer's processes is preempted: the
// emulator's chaos migrations use it. nil removes it.
func (k *Kernel) SetPreemptHook(f func(p *Process)) { k.migState().preempted = f }

// forward finds a process that left this computer but was born here.
func (k *Kernel) forward(pid int) *Process {
	if k.mig == nil {
		return nil
	}
	p := k.mig.away[pid]
	if p != nil && p.state == Dead {
		delete(k.mig.away, pid)
		return nil
	}
	return p
}

// Home is the computer the process was born on (its global id's computer).
func (p *Process) Home() int { return p.GID().Computer() }

// Migrate starts moving process pid of this computer to computer to with
// the given strategy. It returns at once; the process moves (or resumes
// here after a failure) later in virtual time, and opt.Done reports which.
// Errors (ESRCH, EINVAL, EBUSY, ENOSYS) are for requests that cannot
// start: no such process, bad target, a migration already in progress, or
// a process not between slices.
func (k *Kernel) Migrate(pid, to int, mode MigrateMode, opt MigrateOptions) error {
	p := k.procs[pid]
	if p == nil || p == k.init || p.th == nil {
		return errf(vfs.ESRCH, "kernel: %s: migrate %d: no such live process", k.cfg.Name, pid)
	}
	return k.migrate(p, to, mode, opt)
}

func (k *Kernel) migrate(p *Process, to int, mode MigrateMode, opt MigrateOptions) error {
	dst := k.world.Kernel(to)
	switch {
	case dst == nil:
		return errf(vfs.EINVAL, "kernel: %s: migrate %s to computer %d: no such computer", k.cfg.Name, p, to)
	case mode > PostCopy:
		return errf(vfs.EINVAL, "kernel: %s: migrate %s: %v is not a migration mode", k.cfg.Name, p, mode)
	case k.host() == nil:
		return errf(vfs.ENOSYS, "kernel: %s: migrate %s: this cluster has no network", k.cfg.Name, p)
	case p.state != Ready && p.state != Blocked:
		return errf(vfs.EBUSY, "kernel: %s: migrate %s: process is %v (migrate between slices)", k.cfg.Name, p, p.state)
	}
	pm := p.migState()
	if pm.active != nil || pm.pager != nil || pm.deferred != nil {
		return errf(vfs.EBUSY, "kernel: %s: migrate %s: a migration of it is still in progress", k.cfg.Name, p)
	}
	if dst == k {
		if opt.Done != nil {
			k.loop.At(k.loop.Now(), func() { opt.Done(nil) })
		}
		return nil
	}
	if p.remoteCall {
		k.deferMove(p, to, mode, opt) // migrate_defer.go
		return nil
	}
	pm.seq++
	// Flow ids must be unique within a trace and the same every run: the
	// process's id and its migration count give both.
	m := &migration{p: p, from: k, to: dst, mode: mode, opt: opt, flow: int64(pm.home)*1000 + int64(pm.seq%1000), started: k.loop.Now()}
	pm.active = m
	k.migState().stats.Started++
	dst.registerMigHandlers()
	k.registerMigHandlers() // the source answers post-copy fetches
	k.emitMig(m, "start", map[string]any{"flow_phase": "start", "mem": p.th.MemorySize()})
	if mode != PreCopy {
		m.freeze()
	}
	m.send(PhasePrepare, m.stateBytes(), func() { m.memory() })
	return nil
}

func (p *Process) migState() *procMig {
	if p.mig == nil {
		p.mig = &procMig{home: p.GID()}
	}
	return p.mig
}

func (k *Kernel) emitMig(m *migration, phase string, f map[string]any) {
	if !k.tr.Enabled() {
		return
	}
	if f == nil {
		f = map[string]any{}
	}
	f["phase"] = phase
	f["mode"] = m.mode.String()
	f["from"] = m.from.cfg.Name
	f["to"] = m.to.cfg.Name
	f["gid"] = m.p.GID().String()
	f["flow"] = m.flow
	k.emit(k.loop.Now(), -1, m.p.pid, "migrate", f)
}

// stateBytes is the wire size of the kernel state, plus the code if the
// destination lacks it. The captured execution state is added by send to
// the first message after the freeze.
func (m *migration) stateBytes() int {
	p := m.p
	n := stateBaseBytes + fdBytes*p.fds.Len()
	for _, s := range p.args {
		n += len(s) + 1
	}
	for _, s := range p.env {
		n += len(s) + 1
	}
	if !m.to.hasProgram(p.prog.Hash()) {
		n += p.prog.SourceSize()
	}
	return n
}

// hasProgram reports whether this computer holds the code with that hash:
// it ran it, or received it in a migration.
func (k *Kernel) hasProgram(h [32]byte) bool {
	if k.migState().have[h] {
		return true
	}
	for _, q := range k.records {
		if q.prog != nil && q.prog.Hash() == h {
			return true
		}
	}
	return false
}

// freeze takes the process off the run queue (or the blocked list) of its
// computer; it stays in the process table until commit.
func (m *migration) freeze() {
	p, k := m.p, m.from
	m.frozen, m.frozenAt = true, k.loop.Now()
	switch p.state {
	case Ready:
		m.wasReady = true
		k.ready--
		if k.policy.Event(sched.Event{T: k.loop.Now(), Kind: sched.Block, PID: p.pid, CPU: -1}) {
			k.dropPlans()
		}
	case Blocked:
		k.unblock(p)
		m.wait, m.deadline = p.waitReady, p.deadline
		k.loop.Cancel(p.timer)
		p.timer = nil
	}
	p.state = Blocked
	p.waitReady = nil
	m.captureState()
	f := map[string]any{"state_bytes": len(m.state)}
	if m.capErr != nil {
		f["error"] = m.capErr.Error()
	}
	k.emitMig(m, "freeze", f)
}

// captureState takes the frozen process's execution state (without its
// memory) and serializes it: this is what the destination restores a fresh
// instance from. A process frozen inside a system call is unwound out of
// it and repeats it after the rewind (restart semantics), on whichever
// computer it continues; it is then made ready, not blocked, when thawed,
// since the repeated call decides again whether to wait. The source
// thread stays usable, so an abort resumes it where it was.
func (m *migration) captureState() {
	p := m.p
	c, err := p.th.CaptureState(m.from.ctx)
	if err != nil {
		m.capErr = fmt.Errorf("capture: %v", err)
		return
	}
	st := *c
	st.Memory = nil
	b, err := st.MarshalBinary()
	if err != nil {
		m.capErr = fmt.Errorf("serialize the capture: %v", err)
		return
	}
	m.state, m.unsent = b, len(b)
	if !m.wasReady {
		m.wait, m.deadline = nil, never
	}
}

func (k *Kernel) unblock(p *Process) {
	for i, q := range k.blocked {
		if q == p {
			k.blocked = append(k.blocked[:i], k.blocked[i+1:]...)
			return
		}
	}
}

// thaw puts the frozen process back in the queues of k (the source after an
// abort, the destination after a commit).
func (m *migration) thaw(k *Kernel) {
	p := m.p
	now := k.loop.Now()
	if m.wasReady || m.wait == nil {
		p.state = Ready
		k.ready++
		if k.policy.Event(sched.Event{T: now, Kind: sched.Ready, PID: p.pid, CPU: -1}) {
			k.dropPlans()
		}
		k.kick(now)
		return
	}
	p.state = Blocked
	p.waitReady, p.deadline = m.wait, m.deadline
	k.blocked = append(k.blocked, p)
	if p.deadline != never {
		d := max(p.deadline, now)
		p.timer = k.loop.At(d, func() { k.timeout(p) })
	}
	k.Notify(now)
}

// alive reports whether the process is still the one being migrated (it
// may have been killed meanwhile).
func (m *migration) alive() bool {
	return m.p.state != Zombie && m.p.state != Dead && m.p.k == m.from
}

type migMsg struct {
	m     *migration
	phase string
}

// send sends one protocol message of size bytes to the destination and
// calls next when its answer is back; any failure aborts.
func (m *migration) send(phase string, size int, next func()) {
	if m.capErr != nil {
		err := m.capErr
		m.from.loop.At(m.from.loop.Now(), func() { m.abort(err) })
		return
	}
	size += m.unsent
	m.unsent = 0
	m.sent += uint64(size)
	m.from.migState().stats.BytesSent += uint64(size)
	_, err := m.from.host().Call(m.to.cfg.Index, net.Message{Type: "mig." + phase, Body: &migMsg{m, phase}, Size: size},
		net.CallOpts{Timeout: migTimeout + net.TxTime(size, m.link().Bandwidth), Retries: migRetries},
		func(_ net.Message, e net.Errno) {
			if !m.alive() {
				m.abort(nil)
				return
			}
			if e != 0 {
				m.abort(fmt.Errorf("%s to %s failed: %v", phase, m.to.cfg.Name, e))
				return
			}
			next()
		})
	if err != nil {
		m.from.loop.At(m.from.loop.Now(), func() { m.abort(err) })
	}
}

func (m *migration) link() net.LinkParams { return m.from.linkTo(m.to.cfg.Index) }

// linkTo is the fabric's link from this computer to computer to (zero
// without a network).
func (k *Kernel) linkTo(to int) net.LinkParams {
	if nw := k.network(); nw != nil {
		if l, err := nw.Fabric().Link(k.cfg.Index, to); err == nil {
			return l
		}
	}
	return net.LinkParams{}
}

// registerMigHandlers installs the destination side of the protocol: it
// checks what a real destination would (room for the process, not told to
// fail) and answers; the source does the installing on commit's answer.
func (k *Kernel) registerMigHandlers() {
	km := k.migState()
	if km.handlers {
		return
	}
	km.handlers = true
	h := k.host()
	for _, ph := range []string{PhasePrepare, PhaseMem, PhaseCommit, PhasePush, "pagereq"} {
		h.Handle("mig."+ph, func(from int, msg net.Message, reply func(net.Message, net.Errno)) {
			mm, ok := msg.Body.(*migMsg)
			if !ok {
				reply(net.Message{}, net.Errno(vfs.EINVAL))
				return
			}
			if mm.phase == "pagereq" {
				// The source's side of a demand fetch: the pages.
				reply(net.Message{Type: "mig.pages", Size: int(mm.m.p.mig.fetchPages) * paging.PageSize}, 0)
				return
			}
			if mm.phase == PhasePush {
				switch mm.m.opt.FailAt {
				case PhasePush:
					// The destination fails as the pages arrive: it
					// answers nothing, ever.
					_ = k.network().Fabric().SetDown(k.cfg.Index, true)
					return
				case FailSource:
					mm.m.pushArrived()
					_ = k.network().Fabric().SetDown(mm.m.from.cfg.Index, true)
					return
				}
			}
			if mm.m.opt.FailAt == mm.phase {
				reply(net.Message{}, net.Errno(vfs.EIO))
				return
			}
			if mm.phase == PhasePrepare {
				if k.count >= k.cfg.MaxProcs {
					reply(net.Message{}, net.Errno(vfs.EAGAIN))
					return
				}
				if lim := k.cfg.MemoryLimit; lim > 0 && k.memUsed+mm.m.p.stats.Memory > lim {
					reply(net.Message{}, net.Errno(vfs.ENOMEM))
					return
				}
				// Instantiate now what the commit will restore into, so
				// that its host time is not spent while the process is
				// frozen (pre-copy freezes only later). Virtual time is
				// unaffected; a failure here leaves the restore to
				// instantiate, and report, itself.
				_ = mm.m.p.prog.Prepare(k.ctx)
			}
			if mm.phase == PhasePush {
				mm.m.pushArrived()
			}
			reply(net.Message{Type: "mig.ack", Size: 16}, 0)
		})
	}
}

// commit runs when the destination acknowledged the commit: the process
// moves.
func (m *migration) commit() {
	p, a, b := m.p, m.from, m.to
	if nw := a.network(); nw != nil && nw.Fabric().IsDown(b.cfg.Index) {
		m.abort(fmt.Errorf("%s went down before the hand-off", b.cfg.Name))
		return
	}
	th, err := m.restore()
	if err != nil {
		m.abort(err)
		return
	}
	a.emitMig(m, "commit", map[string]any{"bytes": m.sent})
	// The hand-off: the source instance ends only now, so that until this
	// point an abort resumes it, and after it only the new one exists.
	m.releaseSource()
	old := p.th
	p.th = th
	_ = old.Close()
	f := m.rebind()
	m.move()
	pm := p.mig
	pm.active = nil
	b.migState().have[p.prog.Hash()] = true
	pm.resumed = m.opt.Resumed
	st := &a.migState().stats
	st.Moved++
	st.Downtime += b.loop.Now().Sub(m.frozenAt)
	f["flow_phase"], f["bytes"] = "end", m.sent
	f["downtime_ns"], f["total_ns"] = int64(b.loop.Now().Sub(m.frozenAt)), int64(b.loop.Now().Sub(m.started))
	b.emitMig(m, "resume", f)
	m.thaw(b)
	if pm.pager != nil {
		m.postStart()
	}
	if m.opt.Done != nil {
		m.opt.Done(nil)
	}
}

// restore makes the process's new instance on the destination from the
// serialized capture and the transferred memory: stop-and-copy and
// pre-copy move the staging image (built from the transferred pages only)
// under the new instance's memory; post-copy leaves that memory empty and
// serves it from the source's detached pages. On error nothing has
// changed on the source: its instance is intact and resumes on abort.
func (m *migration) restore() (*cpu.Thread, error) {
	p, b := m.p, m.to
	var c cpu.Capture
	if err := c.UnmarshalBinary(m.state); err != nil {
		return nil, fmt.Errorf("decode the state at %s: %v", b.cfg.Name, err)
	}
	mem, err := m.memBytes()
	if err != nil {
		return nil, err
	}
	// The memory's size travels with the state; its bytes as pages.
	c.Memory = mem
	if m.mode == PostCopy {
		th, err := b.restoreThread(p, &c, func(dst []byte, initLen int) error {
			// Instantiation wrote the data segments: the pager needs an
			// empty region, and the source has the real bytes anyway.
			return dropPages(dst[:initLen])
		})
		if err != nil {
			return nil, fmt.Errorf("restore at %s: %v", b.cfg.Name, err)
		}
		if len(mem) > 0 {
			region, err := memRegion(th)
			if err == nil {
				err = m.startPostCopy(region, mem)
			}
			if err != nil {
				_ = th.Close()
				return nil, err
			}
		}
		return th, nil
	}
	th, err := b.restoreThread(p, &c, func(dst []byte, _ int) error {
		st := m.staging
		m.staging = nil
		if st == nil {
			if len(dst) == 0 {
				return nil // a memory of 0 pages: no page to transfer
			}
			return fmt.Errorf("no memory image was transferred")
		}
		return paging.Install(dst, st)
	})
	if err != nil {
		return nil, fmt.Errorf("restore at %s: %v", b.cfg.Name, err)
	}
	return th, nil
}

// memRegion is a thread's linear memory as a region of its reservation.
func memRegion(th *cpu.Thread) ([]byte, error) {
	b, err := th.ExposeMemory()
	if err != nil || b == nil {
		return nil, err
	}
	return paging.RegionOf(b)
}

// dropPages empties region (a page-aligned part of a fresh reservation).
func dropPages(region []byte) error {
	if len(region) == 0 {
		return nil
	}
	pg, err := paging.Detach(region)
	if err != nil {
		return err
	}
	return pg.Free()
}

// rebind gives the process, past the point of no return, what reaches its
// residual dependencies from the destination: pipe ends that work from
// there (remote ends, or local ones again for pipes homed there) and its
// files reopened through the destination (migrate_files.go); sockets stay
// where they are and their calls are forwarded (socket_fwd.go). A failure leaves
// that fd as it was, still working through the old computer's objects,
// and is reported in the resume event's fields, which it returns.
func (m *migration) rebind() map[string]any {
	p, b := m.p, m.to
	f := map[string]any{}
	if err := p.MovePipeEnds(b); err != nil {
		f["pipe_error"] = err.Error()
	}
	if err := p.rebindFiles(b); err != nil {
		f["file_error"] = err.Error()
	}
	return f
}

// move transfers the process between the two kernels' tables.
func (m *migration) move() {
	p, a, b := m.p, m.from, m.to
	home := p.mig.home
	delete(a.procs, p.pid)
	a.live--
	a.count--
	a.memUsed -= p.stats.Memory
	if a.policy.Event(sched.Event{T: a.loop.Now(), Kind: sched.Exit, PID: p.pid, CPU: -1}) {
		a.dropPlans()
	}
	if hk := a.world.Kernel(home.Computer()); hk != nil {
		hk.migState().away[home.PID()] = p
	}
	pid := b.nextPID
	if b.cfg.Index == home.Computer() {
		pid = home.PID() // back home: its own pid again
		delete(b.migState().away, pid)
	} else {
		b.nextPID++
	}
	p.k, p.pid, p.cpu = b, pid, -1
	b.procs[pid] = p
	b.records = append(b.records, p)
	b.live++
	b.count++
	b.memUsed += p.stats.Memory
	b.stats.PeakMem = max(b.stats.PeakMem, b.memUsed)
	b.stats.PeakProcs = max(b.stats.PeakProcs, b.count)
	b.policy.Event(sched.Event{T: b.loop.Now(), Kind: sched.Spawn, PID: pid, CPU: -1, Info: p.info()})
}

// abort resumes the process on the source.
func (m *migration) abort(err error) {
	p, a := m.p, m.from
	m.closeMem()
	if m.staging != nil {
		_ = m.staging.Free()
		m.staging = nil
	}
	if p.mig != nil && p.mig.active == m {
		p.mig.active = nil
		// A dosemu_migrate call may be waiting for this one to end.
		a.Notify(a.loop.Now())
	}
	if !m.alive() {
		return // killed meanwhile: nothing to resume
	}
	a.migState().stats.Aborted++
	f := map[string]any{"flow_phase": "end"}
	if err != nil {
		f["error"] = err.Error()
	}
	a.emitMig(m, "abort", f)
	if m.frozen {
		m.thaw(a)
	}
	if m.opt.Done != nil {
		if err == nil {
			err = fmt.Errorf("migration aborted")
		}
		m.opt.Done(errf(vfs.EHOSTUNREACH, "kernel: migrate %s to %s: %v", p.GID(), m.to.cfg.Name, err))
	}
}

// migAfterRun charges the demand fetches of the slice that just ran (the
// network round trip of each) and reports the traffic; it returns the
// virtual time to add to the slice.
func (k *Kernel) migAfterRun(p *Process) vtime.Duration {
	pm := p.mig
	if pm == nil || pm.pager == nil {
		return 0
	}
	st := pm.pager.Stats()
	nf, np := st.Fetches-pm.fetches, st.FetchedPages-pm.fetched
	if nf == 0 {
		return 0
	}
	pm.fetches, pm.fetched = st.Fetches, st.FetchedPages
	src := pm.pagerFrom
	ss := &src.migState().stats
	ss.Fetches += nf
	ss.FetchedPages += np
	ss.BytesSent += np * paging.PageSize
	var l, back net.LinkParams
	if nw := k.network(); nw != nil {
		l, _ = nw.Fabric().Link(src.cfg.Index, k.cfg.Index)
		back, _ = nw.Fabric().Link(k.cfg.Index, src.cfg.Index)
	}
	if m := pm.post; m != nil && src != k && (l.Loss > 0 || back.Loss > 0 || !m.reachable()) {
		// Requests that may be lost or cannot get through now: the process
		// waits for a real answer. The faults beyond the first each cost
		// their round trip, as below.
		cost := vtime.Duration(nf-1) * (2 * l.Latency)
		if k.tr.Enabled() {
			k.emit(p.Now(), p.cpu, p.pid, "page_fetch", map[string]any{"fetches": nf, "pages": np, "cost_ns": int64(cost), "wait": true})
		}
		m.fetchWait(p, np)
		return cost
	}
	if h := src.host(); h != nil && src != k {
		_ = h.Post(k.cfg.Index, net.Message{Type: "mig.fetch", Size: int(np * paging.PageSize)})
	}
	cost := vtime.Duration(nf)*(2*l.Latency) + net.TxTime(int(np*paging.PageSize), l.Bandwidth)
	if k.tr.Enabled() {
		k.emit(p.Now(), p.cpu, p.pid, "page_fetch", map[string]any{"fetches": nf, "pages": np, "cost_ns": int64(cost)})
	}
	return cost
}

// migPreempted runs the preemption hook after the slice.
func (k *Kernel) migPreempted(p *Process) {
	if k.mig == nil || k.mig.preempted == nil {
		return
	}
	f := k.mig.preempted
	k.loop.At(k.loop.Now(), func() {
		if p.k == k && p.state == Ready {
			f(p)
		}
	})
}

// hMigrate is dosemu_migrate(computer, mode): the calling process moves
// to computer and the call returns there (0), or here with the errno of
// the failure. It blocks the process for the duration: the migration
// starts after the slice, with the process frozen at this system call.
func hMigrate(ctx context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	to, mode := int(int32(a[0])), MigrateMode(uint32(a[1]))
	pm := p.migState()
	if pm.answered {
		// The call repeated after the capture's rewind: the migration it
		// started is over, here or there.
		pm.answered = false
		r := pm.result
		pm.result = 0
		return r
	}
	if to < 0 || to >= p.k.world.NumComputers() {
		return vfs.EINVAL
	}
	if mode > PostCopy {
		return vfs.EINVAL
	}
	if to == p.k.cfg.Index {
		return 0
	}
	if p.th == nil || p.state != Running {
		return vfs.EBUSY
	}
	if pm.active != nil || pm.pager != nil {
		// A move the guest did not ask for (a plan, the balancer, chaos),
		// or the push of its own last post-copy, is still under way: the
		// call waits for it to end rather than fail, so that the kernel's
		// own moves stay invisible. A capture meanwhile (that move's
		// freeze) unwinds the call, which is repeated where the process
		// then runs.
		idle := func() bool { return pm.active == nil && pm.pager == nil }
		if r := p.Poll(wasi.NoDeadline, idle); r == wasi.PollAbort {
			return vfs.EINTR
		}
		if !idle() {
			return vfs.EBUSY // not inside a slice: nobody to wait
		}
	}
	pm.result = vfs.EINPROGRESS
	k := p.k
	k.loop.At(p.Now(), func() {
		err := k.migrate(p, to, mode, MigrateOptions{Done: func(err error) {
			pm.result, pm.answered = 0, true
			if err != nil {
				pm.result = ErrnoOf(err)
			}
			if p.state == Blocked && p.k == k && p.waitReady == nil {
				// A pre-copy that failed before its freeze never captured
				// the caller: it still waits in this call.
				k.unblock(p)
				k.wakeMigrated(p)
			}
		}})
		if err != nil {
			pm.result = ErrnoOf(err)
			if p.state == Blocked && p.k == k {
				k.unblock(p)
				k.wakeMigrated(p)
			}
		}
	})
	p.waitReady, p.deadline = nil, never
	if !p.th.Block() {
		pm.result = 0
		return vfs.EINTR
	}
	r := pm.result
	pm.result, pm.answered = 0, false
	return r
}

// wakeMigrated makes a process frozen at dosemu_migrate ready again.
func (k *Kernel) wakeMigrated(p *Process) {
	p.state = Ready
	k.ready++
	if k.policy.Event(sched.Event{T: k.loop.Now(), Kind: sched.Ready, PID: p.pid, CPU: -1}) {
		k.dropPlans()
	}
	k.kick(k.loop.Now())
}
