package kernel

// Checkpoint and restore: a running process written to bytes in one run
// and continued from them in another.
//
// A checkpoint is taken at a preemption, or while the process is blocked
// in a system call: the capture then unwinds it out of the call, which
// the guest makes again after the restore, and the checkpoint carries the
// call's start so that the repeat keeps its relative timeout's original
// deadline (a sleep of 1 s checkpointed after 0.4 s ends 0.6 s after the
// restored process resumes, not 1 s). It holds what the kernel owns of
// the process besides its execution state: args, env, signal dispositions and pending signals, its counters
// (CPU time is visible to the guest through its CPU-time clock), and the
// virtual time at which it would have run next, so the restored process
// sees its clocks continue where they were. Its fd table must hold only
// what a new run recreates the same way: the standard streams and
// preopened directories. Open files, pipes and sockets are refused with
// an error naming the fd; parent, children and the random stream are not
// carried (a restored process is a child of init, and random_get starts
// a new stream).

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"dosemu/emulator/cpu"
	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/kernel/sched"
	"dosemu/vfs"
)

// CheckpointMagic starts every checkpoint file; CheckpointVersion is the
// format version this package writes. It reads that version and every
// older one (version 1 lacks InCall and CallStart: its processes were all
// taken at a preemption).
const (
	CheckpointMagic   = "DOSEMUCP"
	CheckpointVersion = 2
)

// Checkpoint is a process frozen at a preemption, ready to be written
// (MarshalBinary) and continued in another run (Kernel.RestoreCheckpoint).
type Checkpoint struct {
	// Name is the program's name; Wasm its module, byte for byte (filled
	// in by the caller: the kernel keeps only the compiled code).
	Name string
	Wasm []byte
	Args []string
	Env  []string
	// GID is the id the process had; informational (the restored process
	// gets a pid on its new computer).
	GID GID
	// At is the virtual time at which the process would have run next:
	// the restored process becomes ready at this time.
	At vtime.Time
	// Quantum and Seed are the run's, so that a restore can repeat them;
	// Dirs are the caller's preopened directories (host, guest) in fd
	// order, kept for the caller to open again.
	Quantum vtime.Duration
	Seed    uint64
	Dirs    [][2]string
	// Stats are the process's counters at the checkpoint.
	Stats Stats
	// Handlers and Pending are its signal dispositions and pending set.
	Handlers [NSIG]uint32
	Pending  uint32
	// InCall says the process was taken blocked in a system call, which
	// it repeats when restored; CallStart is when that call started (see
	// Process.CallStart), so that the repeat's relative timeout ends when
	// it would have. CallStart is 0 when InCall is false.
	InCall    bool
	CallStart vtime.Time
	// Capture is the serialized execution state (cpu.Capture).
	Capture []byte
}

// CheckpointAt arranges for process pid to be checkpointed at virtual
// time t if it is then blocked in a system call, else at its first
// preemption after t. done gets the checkpoint (the process is then ended
// without a trace of failure: reason "checkpoint" in the trace, SIGKILL
// status) or the error that prevented it; if the process ends first, done
// is never called. It chains onto the kernel's preemption hook (chaos
// keeps working) and removes itself when done.
func (k *Kernel) CheckpointAt(pid int, t vtime.Time, done func(*Checkpoint, error)) error {
	p := k.procs[pid]
	if p == nil || p == k.init || p.th == nil {
		return errf(vfs.ESRCH, "kernel: %s: checkpoint %d: no such live process", k.cfg.Name, pid)
	}
	km := k.migState()
	prev := km.preempted
	taken := false
	take := func(q *Process) {
		if taken || q.k != k || (q.state != Ready && q.state != Blocked) {
			return
		}
		if pm := q.mig; pm != nil && (pm.active != nil || pm.pager != nil || pm.deferred != nil) {
			return // moving: try at its next preemption
		}
		if q.remoteCall {
			return // in a remote file call (migrate_defer.go): likewise
		}
		taken = true
		cp, err := k.checkpoint(q)
		if err != nil {
			done(nil, err)
			return
		}
		k.finish(q, k.loop.Now(), SIGKILL, -1, nil, -1, "checkpoint")
		done(cp, nil)
	}
	var hook func(q *Process)
	hook = func(q *Process) {
		if prev != nil {
			prev(q)
		}
		if q != p || k.loop.Now() < t || q.state != Ready || taken {
			return
		}
		if km.preempted != nil {
			km.preempted = prev
		}
		take(q)
	}
	km.preempted = hook
	// A process asleep at t (or blocked on input) would not be preempted
	// until it wakes: take it in its call instead.
	k.loop.At(max(t, k.loop.Now()), func() {
		if p.state == Blocked && !taken {
			take(p)
		}
	})
	return nil
}

// Checkpoint captures process pid now, between slices, and leaves it
// running. A process blocked in a system call is unwound out of it and
// made ready: it repeats the call, with its original start (CallStart),
// here as after a restore.
func (k *Kernel) Checkpoint(pid int) (*Checkpoint, error) {
	p := k.procs[pid]
	if p == nil || p == k.init || p.th == nil {
		return nil, errf(vfs.ESRCH, "kernel: %s: checkpoint %d: no such live process", k.cfg.Name, pid)
	}
	blocked := p.state == Blocked
	cp, err := k.checkpoint(p)
	if err == nil && blocked && p.state == Blocked {
		// The capture ended its wait: the guest decides again, in the
		// repeated call, whether to block.
		k.unblock(p)
		k.loop.Cancel(p.timer)
		p.timer = nil
		k.wakeMigrated(p)
	}
	return cp, err
}

func (k *Kernel) checkpoint(p *Process) (*Checkpoint, error) {
	if p.state != Ready && p.state != Stopped && p.state != Blocked {
		return nil, errf(vfs.EBUSY, "kernel: %s: checkpoint %s: the process is %s, not at a preemption or in a system call", k.cfg.Name, p, p.state)
	}
	if pm := p.mig; pm != nil && (pm.active != nil || pm.pager != nil || pm.deferred != nil) {
		return nil, errf(vfs.EBUSY, "kernel: %s: checkpoint %s: the process is migrating", k.cfg.Name, p)
	}
	if p.remoteCall {
		// Interrupting it could repeat a request already applied
		// (migrate_defer.go).
		return nil, errf(vfs.EBUSY, "kernel: %s: checkpoint %s: the process waits in a remote file call", k.cfg.Name, p)
	}
	for _, s := range p.fds.Snapshot() {
		if s.Preopen != "" || (s.FD <= 2 && (s.Record.Kind == "stdio" || s.Record.Kind == "opaque")) {
			continue
		}
		what := s.Record.Kind
		if s.Record.Path != "" {
			what += " " + s.Record.Path
		}
		return nil, errf(vfs.ENOTSUP, "kernel: %s: checkpoint %s: fd %d (%s) cannot be checkpointed: only the standard streams and preopened directories can", k.cfg.Name, p, s.FD, what)
	}
	// The capture's memory aliases the instance's, which stays stopped
	// until the encoding below has copied it.
	c, err := p.th.CaptureState(k.ctx)
	if err != nil {
		return nil, errf(vfs.ENOTSUP, "kernel: %s: checkpoint %s: capture: %v", k.cfg.Name, p, err)
	}
	b, err := c.MarshalBinary()
	if err != nil {
		return nil, errf(vfs.ENOTSUP, "kernel: %s: checkpoint %s: serialize: %v", k.cfg.Name, p, err)
	}
	// A blocked process was unwound out of its call by the capture
	// (Poll marked the repeat); one preempted between calls was not.
	inCall := p.restart
	var callAt vtime.Time
	if inCall {
		callAt = p.callAt
	}
	at := k.loop.Now()
	if p.cpu >= 0 && p.cpu < len(k.cpus) {
		// Between slices the loop's time is the last slice's start; the
		// process would run again when its vCPU is free.
		at = max(at, k.cpus[p.cpu].freeAt)
	}
	cp := &Checkpoint{
		Name: p.name, Args: append([]string(nil), p.args...), Env: append([]string(nil), p.env...),
		GID: p.GID(), At: at, Quantum: k.cfg.Quantum, Seed: k.cfg.Seed,
		Stats: p.stats, Handlers: p.px.handlers, Pending: p.px.pending, InCall: inCall, CallStart: callAt, Capture: b,
	}
	if k.tr.Enabled() {
		f := map[string]any{"bytes": len(b), "resume_at": int64(at)}
		if inCall {
			f["call_start"] = int64(callAt)
		}
		k.emit(k.loop.Now(), -1, p.pid, "checkpoint", f)
	}
	return cp, nil
}

// RestoreCheckpoint continues cp's process on this computer as a child
// of init, with prog (which must be cp's program: same content hash). It
// becomes ready at cp.At, or now if that is past. Its fd table is made
// as Spawn makes one (standard streams, then Config.SetupFDs's
// preopens); its counters continue from cp's. Errors name the cause:
// another program, a corrupt capture, the process or memory limit.
func (k *Kernel) RestoreCheckpoint(cp *Checkpoint, prog *cpu.Program) (*Process, error) {
	if cp == nil || prog == nil {
		return nil, errf(vfs.EINVAL, "kernel: %s: restore: no checkpoint or no program", k.cfg.Name)
	}
	var c cpu.Capture
	if err := c.UnmarshalBinary(cp.Capture); err != nil {
		return nil, errf(vfs.EINVAL, "kernel: %s: restore %s: %v", k.cfg.Name, cp.Name, err)
	}
	if c.Program != prog.Hash() {
		return nil, errf(vfs.EINVAL, "kernel: %s: restore %s: the checkpoint is of program %x, not of %s (%x)", k.cfg.Name, cp.Name, c.Program[:8], prog.Name(), prog.HashString()[:16])
	}
	if k.count >= k.cfg.MaxProcs {
		return nil, errf(vfs.EAGAIN, "kernel: %s: restore %s: process limit of %d reached", k.cfg.Name, cp.Name, k.cfg.MaxProcs)
	}
	at := max(cp.At, k.loop.Now())
	p := &Process{
		k: k, pid: k.nextPID, parent: k.init.GID(), name: cp.Name, prog: prog,
		args: append([]string(nil), cp.Args...), env: append([]string(nil), cp.Env...),
		spawned: at, exitCode: -1, cpu: -1, fds: fd.NewTable(),
	}
	_ = p.fds.Set(0, fd.NewInput(nil), fd.RightsStream, 0)
	_ = p.fds.Set(1, fd.NewOutput("stdout", outputWriter{p, 1}), fd.RightsStream, 0)
	_ = p.fds.Set(2, fd.NewOutput("stderr", outputWriter{p, 2}), fd.RightsStream, 0)
	if k.cfg.SetupFDs != nil {
		if err := k.cfg.SetupFDs(p); err != nil {
			_ = p.fds.CloseAll()
			return nil, fmt.Errorf("kernel: %s: restore %s: file descriptors: %w", k.cfg.Name, cp.Name, err)
		}
	}
	th, err := k.restoreThread(p, &c, nil)
	if err != nil {
		_ = p.fds.CloseAll()
		return nil, errf(vfs.ENOEXEC, "kernel: %s: restore %s: %v", k.cfg.Name, cp.Name, err)
	}
	p.th = th
	p.stats = cp.Stats
	p.px.handlers, p.px.pending = cp.Handlers, cp.Pending
	// The guest's first act is to repeat the interrupted call, which then
	// keeps the original start.
	p.callAt, p.restart = cp.CallStart, cp.InCall
	p.stats.Memory = th.MemorySize()
	p.stats.PeakMemory = max(p.stats.PeakMemory, p.stats.Memory)
	k.memUsed += p.stats.Memory
	k.stats.PeakMem = max(k.stats.PeakMem, k.memUsed)

	k.nextPID++
	k.procs[p.pid] = p
	k.records = append(k.records, p)
	k.live++
	k.count++
	k.stats.Spawned++
	k.stats.PeakProcs = max(k.stats.PeakProcs, k.count)
	k.init.children = append(k.init.children, p.GID())
	p.state = Ready
	k.ready++
	if k.tr.Enabled() {
		k.emit(at, -1, p.pid, "restore", map[string]any{"prog": p.name, "from": cp.GID.String(), "mem": p.stats.Memory, "runq": k.ready})
	}
	k.policy.Event(sched.Event{T: at, Kind: sched.Spawn, PID: p.pid, CPU: -1, Info: p.info()})
	k.kick(at)
	k.armTick()
	return p, nil
}

// restoreThread makes a fresh instance of p's program on k in c's state,
// for p to continue in: the one restore path that checkpoint restore,
// capture round trips and migration share. With fill nil the memory is
// copied from c.Memory (cpu.Program.Restore); otherwise fill writes or
// remaps it and c.Memory gives only its size (cpu.Program.RestoreWith).
// The instance's memory limit is what k's limit leaves besides the other
// processes on k: p's own memory does not count against it when p is
// already one of k's. The caller installs the thread and closes any old
// one. Cost: one instantiation plus the memory's copy (or fill's work).
func (k *Kernel) restoreThread(p *Process, c *cpu.Capture, fill func(dst []byte, initLen int) error) (*cpu.Thread, error) {
	var memCap uint64
	if lim := k.cfg.MemoryLimit; lim > 0 {
		used := k.memUsed
		if p.k == k {
			used -= min(used, p.stats.Memory)
		}
		memCap = lim - min(lim, used)
	}
	// No Args or Env: the kernel's WASI answers from p, and a config
	// without them can take an instance prepared in advance (Prepare).
	cfg := cpu.ThreadConfig{Data: p, MemoryLimit: memCap}
	if fill == nil {
		return p.prog.Restore(k.ctx, c, cfg)
	}
	return p.prog.RestoreWith(k.ctx, c, cfg, fill)
}

// ---- the file format ----
//
//	magic    "DOSEMUCP"
//	version  uvarint (2)
//	body     fields in the order of Checkpoint's declaration: strings and
//	         byte strings as uvarint length + bytes, lists as uvarint
//	         count + items, integers as uvarint (signed ones zig-zag),
//	         booleans as one byte 0 or 1
//	crc      4 bytes little endian: CRC-32 (IEEE) of everything before
//
// Version 1 is version 2 without InCall and CallStart.
//
// The program is stored whole and its SHA-256 checked against the
// capture's on decode, so a checkpoint file is self-contained.

// MarshalBinary encodes cp. Cost: one copy of the program and capture.
func (cp *Checkpoint) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, len(CheckpointMagic)+len(cp.Wasm)+len(cp.Capture)+512)
	b = append(b, CheckpointMagic...)
	b = binary.AppendUvarint(b, CheckpointVersion)
	str := func(s []byte) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	list := func(ss []string) {
		b = binary.AppendUvarint(b, uint64(len(ss)))
		for _, s := range ss {
			str([]byte(s))
		}
	}
	str([]byte(cp.Name))
	str(cp.Wasm)
	list(cp.Args)
	list(cp.Env)
	b = binary.AppendUvarint(b, uint64(cp.GID))
	b = binary.AppendVarint(b, int64(cp.At))
	b = binary.AppendVarint(b, int64(cp.Quantum))
	b = binary.AppendUvarint(b, cp.Seed)
	b = binary.AppendUvarint(b, uint64(len(cp.Dirs)))
	for _, d := range cp.Dirs {
		str([]byte(d[0]))
		str([]byte(d[1]))
	}
	st := cp.Stats
	for _, v := range []int64{int64(st.CPUTime), int64(st.Instructions), int64(st.Switches), int64(st.Preemptions), int64(st.Syscalls), int64(st.PeakMemory)} {
		b = binary.AppendVarint(b, v)
	}
	b = binary.AppendUvarint(b, NSIG)
	for _, h := range cp.Handlers {
		b = binary.AppendUvarint(b, uint64(h))
	}
	b = binary.AppendUvarint(b, uint64(cp.Pending))
	in := byte(0)
	if cp.InCall {
		in = 1
	}
	b = append(b, in)
	b = binary.AppendVarint(b, int64(cp.CallStart))
	str(cp.Capture)
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// ErrNotCheckpoint is wrapped by UnmarshalBinary's error for data that
// does not start with CheckpointMagic.
var ErrNotCheckpoint = errors.New("not a dosemu checkpoint")

type cpReader struct {
	b   []byte
	off int
	err error
}

func (r *cpReader) fail(what, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s at byte %d: %s", what, r.off, fmt.Sprintf(format, args...))
	}
}

func (r *cpReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail(what, "truncated or overlong number")
		return 0
	}
	r.off += n
	return v
}

func (r *cpReader) byte(what string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail(what, "truncated")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *cpReader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail(what, "truncated or overlong number")
		return 0
	}
	r.off += n
	return v
}

func (r *cpReader) bytes(what string) []byte {
	n := r.uvarint(what + " length")
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(what, "length %d is past the end (%d bytes left)", n, len(r.b)-r.off)
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *cpReader) list(what string) []string {
	n := r.uvarint(what + " count")
	if r.err != nil {
		return nil
	}
	// Each item takes at least one byte: a count beyond what is left is
	// corrupt, and checking it first bounds the allocation.
	if n > uint64(len(r.b)-r.off) {
		r.fail(what, "count %d is more than the %d bytes left", n, len(r.b)-r.off)
		return nil
	}
	out := make([]string, 0, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		out = append(out, string(r.bytes(what)))
	}
	return out
}

// UnmarshalBinary decodes a checkpoint written by MarshalBinary. Wrong
// magic, another version, a bad checksum, truncation, trailing bytes, or
// a program whose hash is not the capture's: each is an error naming what
// and where; nothing panics, and nothing is allocated beyond the input's
// size.
func (cp *Checkpoint) UnmarshalBinary(data []byte) error {
	if len(data) < len(CheckpointMagic) || !bytes.Equal(data[:len(CheckpointMagic)], []byte(CheckpointMagic)) {
		return fmt.Errorf("checkpoint: %w (it does not start with %q)", ErrNotCheckpoint, CheckpointMagic)
	}
	if len(data) < len(CheckpointMagic)+5 {
		return fmt.Errorf("checkpoint: truncated: %d bytes", len(data))
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	r := &cpReader{b: body, off: len(CheckpointMagic)}
	version := r.uvarint("version")
	if r.err == nil && (version < 1 || version > CheckpointVersion) {
		return fmt.Errorf("checkpoint: version %d, this dosemu reads versions 1 to %d", version, CheckpointVersion)
	}
	if got := crc32.ChecksumIEEE(body); got != sum {
		return fmt.Errorf("checkpoint: checksum %08x does not match the contents (%08x): the file is corrupt", sum, got)
	}
	var out Checkpoint
	out.Name = string(r.bytes("name"))
	out.Wasm = bytes.Clone(r.bytes("program"))
	out.Args = r.list("args")
	out.Env = r.list("env")
	out.GID = GID(r.uvarint("gid"))
	out.At = vtime.Time(r.varint("time"))
	out.Quantum = vtime.Duration(r.varint("quantum"))
	out.Seed = r.uvarint("seed")
	nd := r.uvarint("dir count")
	if r.err == nil && nd > uint64(len(body)-r.off) {
		r.fail("dirs", "count %d is more than the bytes left", nd)
	}
	for i := uint64(0); i < nd && r.err == nil; i++ {
		h, g := string(r.bytes("dir host")), string(r.bytes("dir guest"))
		out.Dirs = append(out.Dirs, [2]string{h, g})
	}
	var st [6]int64
	for i := range st {
		st[i] = r.varint("counters")
		if st[i] < 0 {
			r.fail("counters", "negative counter %d", st[i])
		}
	}
	out.Stats = Stats{CPUTime: vtime.Duration(st[0]), Instructions: uint64(st[1]), Switches: int(st[2]),
		Preemptions: int(st[3]), Syscalls: int(st[4]), PeakMemory: uint64(st[5])}
	if n := r.uvarint("signal count"); r.err == nil && n != NSIG {
		r.fail("signals", "%d dispositions, want %d", n, NSIG)
	}
	for i := range out.Handlers {
		h := r.uvarint("signal disposition")
		if h > math.MaxUint32 {
			r.fail("signal disposition", "%d is not a 32-bit value", h)
		}
		out.Handlers[i] = uint32(h)
	}
	pend := r.uvarint("pending signals")
	if pend > math.MaxUint32 {
		r.fail("pending signals", "%d is not a 32-bit set", pend)
	}
	out.Pending = uint32(pend)
	if version >= 2 {
		switch in := r.byte("in-call flag"); {
		case r.err != nil:
		case in > 1:
			r.fail("in-call flag", "%d is not 0 or 1", in)
		default:
			out.InCall = in == 1
		}
		out.CallStart = vtime.Time(r.varint("call start"))
		if r.err == nil && !out.InCall && out.CallStart != 0 {
			r.fail("call start", "%d without a call in progress", out.CallStart)
		}
	}
	out.Capture = bytes.Clone(r.bytes("capture"))
	if r.err == nil && r.off != len(body) {
		r.fail("end", "%d bytes left over", len(body)-r.off)
	}
	if r.err != nil {
		return fmt.Errorf("checkpoint: %w", r.err)
	}
	if out.At < 0 || out.Quantum < 0 || out.CallStart < 0 {
		return fmt.Errorf("checkpoint: negative time (%d), quantum (%d) or call start (%d)", out.At, out.Quantum, out.CallStart)
	}
	if out.CallStart > out.At {
		return fmt.Errorf("checkpoint: the call in progress starts at %d, after the checkpoint's time %d", out.CallStart, out.At)
	}
	var c cpu.Capture
	if err := c.UnmarshalBinary(out.Capture); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if h := sha256.Sum256(out.Wasm); h != c.Program {
		return fmt.Errorf("checkpoint: the stored program (%x...) is not the one captured (%x...)", h[:8], c.Program[:8])
	}
	*cp = out
	return nil
}
