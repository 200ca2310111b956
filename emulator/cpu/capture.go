package cpu

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/tetratelabs/wazero/api"

	"dosemu/emulator/wasm"
)

// Capture is the complete state of a stopped thread, enough to continue it
// in a fresh instance of the same program: the program's hash, the linear
// memory, the module's own mutable globals, the suspended wasm frames
// (outermost first) and the entry call they belong to.
//
// Tables the program changes at run time (table.set, table.grow,
// table.fill, table.copy, table.init) are held too, entries named by
// function index, and so is which segments elem.drop and data.drop
// dropped (as globals the rewrite adds); a program that changes no table
// pays nothing for this. A table entry that is a host value (non-null
// externref) or a function of another module cannot be captured: Capture
// fails with ErrHostRef.
//
// What it does not hold: imported tables, globals and memories (they
// belong to their exporter), and host state (the kernel's process: fds,
// pid, ...). References held in locals across a suspension are raw engine
// values: externrefs are the host's own values and survive; a non-null
// funcref is only valid in the instance it came from, so Restore refuses
// captures that hold one.
type Capture struct {
	// Program is the SHA-256 of the original (uninstrumented) module.
	Program [sha256.Size]byte
	// Entry and Params are the export being run and its arguments; empty
	// Entry means no call was pending.
	Entry  string
	Params []uint64
	// Fuel is the budget left in the stopped run (negative: overshoot).
	Fuel int64
	// Memory is the whole linear memory (nil when the module has none).
	Memory []byte
	// Globals are the values of Rewrite.Globals, in that order (a v128
	// global's low half), then the high halves of the v128 ones among
	// them, in index order.
	Globals []uint64
	// Frames is the suspended stack, outermost first; empty when the
	// pending entry has not started.
	Frames []Frame
	// FuncRefs marks that some frame holds a non-null funcref.
	FuncRefs bool
	// Tables are the tables the program changes at run time, in table
	// index order; empty for programs that change none.
	Tables []Table
}

var errNoCapture = errors.New("thread is not stopped at a point that can be captured")

// Capture returns the thread's complete state. The thread must be stopped
// (its last Run returned Preempted, Blocked or Unwound, or it has not run
// yet). A thread parked in a host function (Blocked, or preempted at a
// function entry) is unwound first: the host function returns at once and
// will be called again, with the same arguments, when the capture (or this
// thread) resumes. The thread stays usable: its next Run rewinds.
//
// Cost: unwinding (≈50 ns per saved value, a few per frame), plus copying
// the linear memory.
func (t *Thread) Capture(ctx context.Context) (*Capture, error) {
	return t.capture(ctx, true)
}

// capture is Capture; with copyMem false, Capture.Memory aliases the live
// linear memory instead of copying it, valid only while the thread stays
// stopped (Fork's use).
func (t *Thread) capture(ctx context.Context, copyMem bool) (*Capture, error) {
	if t.prog.inst == nil {
		return nil, fmt.Errorf("cpu: capture %s: %w", t.prog.name, errNotInstrumented)
	}
	if t.closed {
		return nil, fmt.Errorf("cpu: capture %s: %w", t.prog.name, ErrClosed)
	}
	switch t.state {
	case stParked:
		t.state = stRunning
		t.resume <- actCapture
		s := <-t.stopped
		if s.Kind != Preempted && s.Kind != Unwound {
			return nil, fmt.Errorf("cpu: capture %s: unwinding ended with %v: %v", t.prog.name, s.Kind, s.Err)
		}
	case stIdle:
	case stRunning:
		return nil, fmt.Errorf("cpu: capture %s: thread is running (Capture called from a host function?)", t.prog.name)
	}
	pi := t.prog.inst.(*progInst)
	cs := t.cont
	// Fuel first: the table accessors charge the fuel global.
	c := &Capture{Program: t.prog.hash, Fuel: int64(cs.fuel.Get())}
	if t.state == stIdle {
		c.Entry, c.Params = t.eName, append([]uint64(nil), t.params...)
	}
	if cs.rewind {
		c.Frames = copyFrames(cs.frames, nil)
		for _, f := range c.Frames {
			if lay, ok := pi.frames[f.Func]; ok {
				c.FuncRefs = c.FuncRefs || frameHasFuncRef(lay, f.Values)
			}
		}
	}
	if pi.hasMem {
		m := t.mod.Memory()
		b, ok := m.Read(0, m.Size())
		if !ok {
			return nil, fmt.Errorf("cpu: capture %s: reading %d bytes of memory failed", t.prog.name, m.Size())
		}
		c.Memory = b
		if copyMem {
			c.Memory = cloneSparse(b, t.mem.populated(b))
		}
	}
	gs, err := t.boundGlobals()
	if err != nil {
		return nil, fmt.Errorf("cpu: capture %s: %w", t.prog.name, err)
	}
	c.Globals = make([]uint64, len(gs), len(gs)+len(pi.tables.v128))
	for i, g := range gs {
		c.Globals[i] = g.Get()
	}
	if c.Globals, err = t.captureV128(c.Globals); err != nil {
		return nil, fmt.Errorf("cpu: capture %s: %w", t.prog.name, err)
	}
	if err := t.captureTables(c); err != nil {
		return nil, fmt.Errorf("cpu: capture %s: %w", t.prog.name, err)
	}
	return c, nil
}

// cloneSparse copies a linear memory into a new zeroed buffer, writing
// only its non-zero 4 KiB chunks: guests leave most of their memory zero
// (untouched heap, stack below its high-water mark), and comparing a chunk
// with zero reads it once where a copy would also write it. Chunks pop
// does not hold are not even read.
func cloneSparse(src []byte, pop pageSet) []byte {
	dst := make([]byte, len(src))
	for off := 0; off < len(src); {
		start, end := nonZeroRun(src, off, pop)
		copy(dst[start:end], src[start:end])
		off = end
	}
	return dst
}

// copyFrames copies frames, their values laid end to end in vals when
// given (which must already hold them in order) or else in one new array:
// two allocations whatever the depth.
func copyFrames(frames []Frame, vals []uint64) []Frame {
	if vals == nil {
		n := 0
		for _, f := range frames {
			n += len(f.Values)
		}
		vals = make([]uint64, 0, n)
		for _, f := range frames {
			vals = append(vals, f.Values...)
		}
	}
	out := make([]Frame, len(frames))
	k := 0
	for i, f := range frames {
		e := k + len(f.Values)
		out[i] = Frame{Func: f.Func, Site: f.Site, Values: vals[k:e:e]}
		k = e
	}
	return out
}

func frameHasFuncRef(lay FrameLayout, vals []uint64) bool {
	k := 0
	for _, ty := range lay {
		if k >= len(vals) {
			return false
		}
		if ty == wasm.FuncRef && vals[k] != 0 {
			return true
		}
		k++
		if ty == wasm.V128 {
			k++
		}
	}
	return false
}

// restoringKey marks the context of an instantiation made by Restore, so
// that the module's start function is not run again.
type restoringKey struct{}

// Restore makes a fresh instance of the program in the captured state. Its
// first Run continues where the capture was taken (or starts the pending
// entry). cfg supplies what the capture does not hold (Data, limits,
// streams); its Entry and Params are ignored. Cost: one instantiation, a
// copy of the memory, and the rewind (≈50 ns per saved value) in the first
// Run.
func (p *Program) Restore(ctx context.Context, c *Capture, cfg ThreadConfig) (*Thread, error) {
	return p.restore(ctx, c, cfg, func(_ *Thread, dst []byte, initLen int) { copyNonZero(dst, c.Memory, initLen, nil) })
}

// boundGlobals returns the instance's captured globals (Rewrite.Globals),
// looked up by export name on first use and kept: a capture or restore
// then reads or writes them without a lookup.
func (t *Thread) boundGlobals() ([]api.MutableGlobal, error) {
	cs := t.cont
	pi := t.prog.inst.(*progInst)
	if cs.globals != nil || len(pi.globals) == 0 {
		return cs.globals, nil
	}
	gs := make([]api.MutableGlobal, len(pi.globals))
	for i, g := range pi.globals {
		mg, ok := t.mod.ExportedGlobal(g.Name).(api.MutableGlobal)
		if !ok {
			return nil, fmt.Errorf("global %s is not an exported mutable global", g.Name)
		}
		gs[i] = mg
	}
	cs.globals = gs
	return gs, nil
}

// restore is Restore with the memory write left to fill: it gets the
// fresh instance's whole memory, already grown to len(c.Memory), and the
// size instantiation gave it (the part data segments may have written;
// the rest is zero).
func (p *Program) restore(ctx context.Context, c *Capture, cfg ThreadConfig, fill func(t *Thread, dst []byte, initLen int)) (*Thread, error) {
	if p.inst == nil {
		return nil, fmt.Errorf("cpu: restore %s: %w", p.name, errNotInstrumented)
	}
	if c.Program != p.hash {
		return nil, fmt.Errorf("cpu: restore %s: capture is of program %x, not %x", p.name, c.Program[:8], p.hash[:8])
	}
	if c.FuncRefs {
		return nil, fmt.Errorf("cpu: restore %s: capture holds a function reference in a suspended frame, valid only in its own instance", p.name)
	}
	pi := p.inst.(*progInst)
	if n := len(pi.globals) + len(pi.tables.v128); len(c.Globals) != n {
		return nil, fmt.Errorf("cpu: restore %s: capture has %d global values, program has %d", p.name, len(c.Globals), n)
	}
	if len(c.Tables) != len(pi.tables.tables) {
		return nil, fmt.Errorf("cpu: restore %s: capture has %d tables, program changes %d", p.name, len(c.Tables), len(pi.tables.tables))
	}
	for i, f := range c.Frames {
		lay, ok := pi.frames[f.Func]
		if !ok {
			return nil, fmt.Errorf("cpu: restore %s: frame %d is of function %d, which never suspends", p.name, i, f.Func)
		}
		if n := layoutSlots(lay); n != len(f.Values) {
			return nil, fmt.Errorf("cpu: restore %s: frame %d (function %d) has %d values, want %d", p.name, i, f.Func, len(f.Values), n)
		}
	}
	cfg.NoEntry = true
	cfg.Entry, cfg.Params = "", nil
	t, err := p.Start(context.WithValue(ctx, restoringKey{}, true), cfg)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Thread, error) {
		_ = t.Close()
		return nil, fmt.Errorf("cpu: restore %s: %w", p.name, err)
	}
	switch {
	case !pi.hasMem && len(c.Memory) > 0:
		return fail(fmt.Errorf("capture has %d bytes of memory, program has no memory", len(c.Memory)))
	case pi.hasMem:
		m := t.mod.Memory()
		if len(c.Memory)%pageSize != 0 {
			return fail(fmt.Errorf("captured memory of %d bytes is not whole pages", len(c.Memory)))
		}
		cur := uint64(m.Size())
		want := uint64(len(c.Memory))
		if want < cur {
			return fail(fmt.Errorf("captured memory (%d bytes) is smaller than the initial memory (%d bytes)", want, cur))
		}
		if want > cur {
			if _, ok := m.Grow(uint32((want - cur) / pageSize)); !ok {
				return fail(fmt.Errorf("growing memory to %d bytes failed", want))
			}
		}
		dst, ok := m.Read(0, uint32(want))
		if !ok || uint64(len(dst)) != want {
			return fail(fmt.Errorf("writing %d bytes of memory failed", want))
		}
		// Only data segments wrote to the fresh memory: beyond their
		// extent (when it is known statically) every byte is zero, so a
		// fill need not read or clear those pages.
		dirty := cur
		if pi.dataKnown {
			dirty = min(dirty, pi.dataEnd)
		}
		fill(t, dst, int(dirty))
	}
	gs, err := t.boundGlobals()
	if err != nil {
		return fail(err)
	}
	for i, g := range gs {
		g.Set(c.Globals[i])
	}
	if err := t.restoreV128(c.Globals); err != nil {
		return fail(err)
	}
	if err := t.restoreTables(c); err != nil {
		return fail(err)
	}
	if c.Entry != "" {
		if err := t.Call(c.Entry, c.Params...); err != nil {
			return fail(err)
		}
	}
	if len(c.Frames) > 0 {
		if c.Entry == "" {
			return fail(errors.New("capture has frames but no entry"))
		}
		cs := t.cont
		cs.vals = cs.vals[:0]
		for _, f := range c.Frames {
			cs.vals = append(cs.vals, f.Values...)
		}
		cs.frames = copyFrames(c.Frames, cs.vals)
		cs.rewind = true
	}
	return t, nil
}

func layoutSlots(lay FrameLayout) int {
	n := 0
	for _, ty := range lay {
		n++
		if ty == wasm.V128 {
			n++
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// Serialization.
//
// Layout (little endian, uvarint = unsigned LEB128 as encoding/binary):
//
//	"DOSEMUCP" magic, u16 version (1)
//	[32]byte program hash
//	uvarint len + entry name
//	uvarint n + n × u64 params
//	u64 fuel (two's complement)
//	u8 flags (bit 0: funcrefs)
//	uvarint len + memory bytes
//	uvarint n + n × u64 globals
//	uvarint n frames; each: uvarint func, uvarint site, uvarint n + n × u64
//	version 2 only: uvarint n ≥ 1 tables; each: uvarint index, u8 element
//	  type, uvarint n + n × uvarint entry (0 null, else 1 + function)
//	u32 CRC-32 (IEEE) of everything before it
//
// A capture without tables is written as version 1, so captures of
// programs that change no table are byte for byte what they were before
// tables were captured.

const (
	captureMagic   = "DOSEMUCP"
	captureVersion = 2
	maxCaptureMem  = 1 << 32
)

// MarshalBinary encodes the capture (see the layout above). Cost: one copy
// of the memory.
func (c *Capture) MarshalBinary() ([]byte, error) {
	n := 64 + len(c.Entry) + 8*len(c.Params) + len(c.Memory) + 8*len(c.Globals)
	for _, f := range c.Frames {
		n += 16 + 8*len(f.Values)
	}
	for _, tb := range c.Tables {
		n += 16 + 5*len(tb.Funcs)
	}
	version := uint16(1)
	if len(c.Tables) > 0 {
		version = 2
	}
	b := make([]byte, 0, n)
	b = append(b, captureMagic...)
	b = binary.LittleEndian.AppendUint16(b, version)
	b = append(b, c.Program[:]...)
	b = binary.AppendUvarint(b, uint64(len(c.Entry)))
	b = append(b, c.Entry...)
	b = appendU64s(b, c.Params)
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Fuel))
	var flags byte
	if c.FuncRefs {
		flags |= 1
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(c.Memory)))
	b = append(b, c.Memory...)
	b = appendU64s(b, c.Globals)
	b = binary.AppendUvarint(b, uint64(len(c.Frames)))
	for _, f := range c.Frames {
		b = binary.AppendUvarint(b, uint64(f.Func))
		b = binary.AppendUvarint(b, uint64(f.Site))
		b = appendU64s(b, f.Values)
	}
	if version == 2 {
		b = binary.AppendUvarint(b, uint64(len(c.Tables)))
		for _, tb := range c.Tables {
			b = binary.AppendUvarint(b, uint64(tb.Index))
			b = append(b, byte(tb.Elem))
			b = binary.AppendUvarint(b, uint64(len(tb.Funcs)))
			for _, e := range tb.Funcs {
				b = binary.AppendUvarint(b, uint64(e))
			}
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

func appendU64s(b []byte, vs []uint64) []byte {
	b = binary.AppendUvarint(b, uint64(len(vs)))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

// capReader decodes with bounds checks; the first failure sticks.
type capReader struct {
	b   []byte
	off int
	err error
}

func (r *capReader) fail(what string, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("cpu: capture: %s at byte %d: %s", what, r.off, fmt.Sprintf(format, args...))
	}
}

func (r *capReader) bytes(n uint64, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail(what, "needs %d bytes, %d left", n, len(r.b)-r.off)
		return nil
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *capReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail(what, "bad varint")
		return 0
	}
	r.off += n
	return v
}

func (r *capReader) u64(what string) uint64 {
	s := r.bytes(8, what)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(s)
}

func (r *capReader) u64s(what string) []uint64 {
	n := r.uvarint(what + " count")
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off)/8 {
		r.fail(what, "count %d exceeds the remaining %d bytes", n, len(r.b)-r.off)
		return nil
	}
	vs := make([]uint64, n)
	for i := range vs {
		vs[i] = r.u64(what)
	}
	return vs
}

// tables reads the table list of a version 2 capture: at least one table
// (a capture without tables is written as version 1), entries as uvarints
// of at most 32 bits.
func (r *capReader) tables() []Table {
	nt := r.uvarint("table count")
	if r.err != nil {
		return nil
	}
	if nt == 0 {
		r.fail("table count", "a version 2 capture holds at least one table")
		return nil
	}
	if nt > uint64(len(r.b)-r.off)/3 {
		r.fail("table count", "%d tables cannot fit in %d bytes", nt, len(r.b)-r.off)
		return nil
	}
	var out []Table
	for i := uint64(0); i < nt && r.err == nil; i++ {
		idx := r.uvarint("table index")
		ty := r.bytes(1, "table element type")
		n := r.uvarint("table size")
		if r.err != nil {
			break
		}
		if idx > 1<<32-1 {
			r.fail("table index", "%d out of range", idx)
			break
		}
		if et := wasm.ValType(ty[0]); et != wasm.FuncRef && et != wasm.ExternRef {
			r.fail("table element type", "%#x is not a reference type", ty[0])
			break
		}
		if n > uint64(len(r.b)-r.off) {
			r.fail("table size", "%d entries cannot fit in %d bytes", n, len(r.b)-r.off)
			break
		}
		tb := Table{Index: uint32(idx), Elem: wasm.ValType(ty[0]), Funcs: make([]uint32, n)}
		for k := range tb.Funcs {
			e := r.uvarint("table entry")
			if e > 1<<32-1 {
				r.fail("table entry", "%d out of range", e)
			}
			tb.Funcs[k] = uint32(e)
		}
		out = append(out, tb)
	}
	return out
}

// UnmarshalBinary decodes a capture written by MarshalBinary. A truncated,
// corrupted (checksum) or foreign input gives an error naming what was
// wrong and where; it never panics, and it allocates no more than the
// input's size.
func (c *Capture) UnmarshalBinary(data []byte) error {
	const trailer = 4
	if len(data) < len(captureMagic)+2+trailer || string(data[:len(captureMagic)]) != captureMagic {
		return fmt.Errorf("cpu: capture: not a capture (%d bytes, want the %q magic)", len(data), captureMagic)
	}
	body := data[:len(data)-trailer]
	if got, want := crc32.ChecksumIEEE(body), binary.LittleEndian.Uint32(data[len(data)-trailer:]); got != want {
		return fmt.Errorf("cpu: capture: checksum mismatch (stored %08x, computed %08x): corrupt or truncated", want, got)
	}
	r := &capReader{b: body, off: len(captureMagic)}
	version := binary.LittleEndian.Uint16(r.bytes(2, "version"))
	if version < 1 || version > captureVersion {
		return fmt.Errorf("cpu: capture: version %d, this build reads versions 1 to %d", version, captureVersion)
	}
	var out Capture
	copy(out.Program[:], r.bytes(sha256.Size, "program hash"))
	out.Entry = string(r.bytes(r.uvarint("entry length"), "entry name"))
	out.Params = r.u64s("params")
	out.Fuel = int64(r.u64("fuel"))
	if fl := r.bytes(1, "flags"); fl != nil {
		if fl[0]&^1 != 0 {
			r.fail("flags", "unknown bits %#x", fl[0])
		}
		out.FuncRefs = fl[0]&1 != 0
	}
	memLen := r.uvarint("memory length")
	if memLen > maxCaptureMem {
		r.fail("memory length", "%d bytes exceeds 4 GiB", memLen)
	}
	if mem := r.bytes(memLen, "memory"); mem != nil && memLen > 0 {
		out.Memory = bytes.Clone(mem)
	}
	out.Globals = r.u64s("globals")
	nf := r.uvarint("frame count")
	if r.err == nil && nf > uint64(len(r.b)-r.off)/3 {
		r.fail("frame count", "%d frames cannot fit in %d bytes", nf, len(r.b)-r.off)
	}
	for i := uint64(0); i < nf && r.err == nil; i++ {
		fn := r.uvarint("frame function")
		site := r.uvarint("frame site")
		if fn > 1<<32-1 || site > 1<<32-1 {
			r.fail("frame", "function %d or site %d out of range", fn, site)
		}
		vals := r.u64s("frame values")
		out.Frames = append(out.Frames, Frame{Func: uint32(fn), Site: uint32(site), Values: vals})
	}
	if version == 2 {
		out.Tables = r.tables()
	}
	if r.err == nil && r.off != len(r.b) {
		r.fail("end", "%d trailing bytes", len(r.b)-r.off)
	}
	if r.err != nil {
		return r.err
	}
	*c = out
	return nil
}
