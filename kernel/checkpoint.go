package kernel

// Checkpoint and restore: a running process written to bytes in one run
// and continued from them in another.
//
// A checkpoint is taken at a preemption (never inside a system call, so
// that no call is repeated on restore with a relative timeout restarted),
// and it holds what the kernel owns of the process besides its execution
// state: args, env, signal dispositions and pending signals, its counters
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
// format version this package writes and the only one it reads.
const (
	CheckpointMagic   = "DOSEMUCP"
	CheckpointVersion = 1
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
	// Capture is the serialized execution state (cpu.Capture).
	Capture []byte
}

// CheckpointAt arranges for process pid to be checkpointed at its first
// preemption at or after virtual time t. done gets the checkpoint (the
// process is then ended without a trace of failure: reason "checkpoint"
// in the trace, SIGKILL status) or the error that prevented it; if the
// process ends first, done is never called. It chains onto the kernel's
// preemption hook (chaos keeps working) and removes itself when done.
func (k *Kernel) CheckpointAt(pid int, t vtime.Time, done func(*Checkpoint, error)) error {
	p := k.procs[pid]
	if p == nil || p == k.init || p.th == nil {
		return errf(vfs.ESRCH, "kernel: %s: checkpoint %d: no such live process", k.cfg.Name, pid)
	}
	km := k.migState()
	prev := km.preempted
	var hook func(q *Process)
	hook = func(q *Process) {
		if prev != nil {
			prev(q)
		}
		if q != p || k.loop.Now() < t || q.state != Ready || q.k != k {
			return
		}
		if pm := q.mig; pm != nil && (pm.active != nil || pm.pager != nil) {
			return // moving: try at its next preemption
		}
		if km.preempted != nil {
			km.preempted = prev
		}
		cp, err := k.checkpoint(q)
		if err != nil {
			done(nil, err)
			return
		}
		k.finish(q, k.loop.Now(), SIGKILL, -1, nil, -1, "checkpoint")
		done(cp, nil)
	}
	km.preempted = hook
	return nil
}

// Checkpoint captures process pid now, between slices, and leaves it
// running. It is for callers that know the process is at a preemption
// (a blocked process would repeat its system call on restore).
func (k *Kernel) Checkpoint(pid int) (*Checkpoint, error) {
	p := k.procs[pid]
	if p == nil || p == k.init || p.th == nil {
		return nil, errf(vfs.ESRCH, "kernel: %s: checkpoint %d: no such live process", k.cfg.Name, pid)
	}
	return k.checkpoint(p)
}

func (k *Kernel) checkpoint(p *Process) (*Checkpoint, error) {
	if p.state != Ready && p.state != Stopped {
		return nil, errf(vfs.EBUSY, "kernel: %s: checkpoint %s: the process is %s, not at a preemption", k.cfg.Name, p, p.state)
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
	c, err := p.th.Capture(k.ctx)
	if err != nil {
		return nil, errf(vfs.ENOTSUP, "kernel: %s: checkpoint %s: capture: %v", k.cfg.Name, p, err)
	}
	b, err := c.MarshalBinary()
	if err != nil {
		return nil, errf(vfs.ENOTSUP, "kernel: %s: checkpoint %s: serialize: %v", k.cfg.Name, p, err)
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
		Stats: p.stats, Handlers: p.px.handlers, Pending: p.px.pending, Capture: b,
	}
	if k.tr.Enabled() {
		k.emit(k.loop.Now(), -1, p.pid, "checkpoint", map[string]any{"bytes": len(b), "resume_at": int64(at)})
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
	cfg := cpu.ThreadConfig{Data: p, MemoryLimit: memCap, Args: p.args, Env: p.env}
	if fill == nil {
		return p.prog.Restore(k.ctx, c, cfg)
	}
	return p.prog.RestoreWith(k.ctx, c, cfg, fill)
}

// ---- the file format ----
//
//	magic    "DOSEMUCP"
//	version  uvarint (1)
//	body     fields in the order of Checkpoint's declaration: strings and
//	         byte strings as uvarint length + bytes, lists as uvarint
//	         count + items, integers as uvarint (signed ones zig-zag)
//	crc      4 bytes little endian: CRC-32 (IEEE) of everything before
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
	if v := r.uvarint("version"); r.err == nil && v != CheckpointVersion {
		return fmt.Errorf("checkpoint: version %d, this dosemu reads version %d", v, CheckpointVersion)
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
	out.Capture = bytes.Clone(r.bytes("capture"))
	if r.err == nil && r.off != len(body) {
		r.fail("end", "%d bytes left over", len(body)-r.off)
	}
	if r.err != nil {
		return fmt.Errorf("checkpoint: %w", r.err)
	}
	if out.At < 0 || out.Quantum < 0 {
		return fmt.Errorf("checkpoint: negative time (%d) or quantum (%d)", out.At, out.Quantum)
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
