package wasm

import (
	"fmt"
	"math"
	"unicode/utf8"
)

// MaxLocals bounds the declared locals of one function. The spec allows up
// to 2^32-1, but locals are expanded in the IR, so an unbounded count would
// let a few bytes of input allocate gigabytes. Real compilers stay far
// below this.
const MaxLocals = 50000

// sectionOrder gives each known section id its required position.
var sectionOrder = [13]int{
	SectionType: 1, SectionImport: 2, SectionFunction: 3, SectionTable: 4,
	SectionMemory: 5, SectionGlobal: 6, SectionExport: 7, SectionStart: 8,
	SectionElement: 9, SectionDataCount: 10, SectionCode: 11, SectionData: 12,
}

type decoder struct {
	buf     []byte // input, truncated to the end of the current section or body
	pos     int    // absolute offset in the input
	sec     SectionID
	fn      int // function index being decoded, or -1
	instr   int // instruction index in the body, or -1
	m       *Module
	nImport int // imported functions
	// Arenas shared by the whole module: instructions, br_table labels and
	// value types are carved out of a few large chunks.
	arena     []Instr
	arenaHint int      // next chunk size outside the code section
	secEnd    int      // absolute end of the current section
	labels    []uint32 // br_table targets; the current function's start at labStart
	labStart  int
	inConst   bool // decoding a constant expression
	types     []ValType
	// The first memory.init or data.drop, which needs a datacount section.
	sawDataOp             bool
	dataOpFn, dataOpInstr int
	// sum is what the bodies decoded by this decoder showed (see
	// Module.Summary); the code section's workers merge theirs into it.
	sum BodySummary
}

func (d *decoder) errf(format string, args ...any) *Error {
	return &Error{Section: d.sec, Func: d.fn, Instr: d.instr, Offset: d.pos, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) wrap(err error, what string) *Error {
	return &Error{Section: d.sec, Func: d.fn, Instr: d.instr, Offset: d.pos, Msg: what, Err: err}
}

func (d *decoder) byte1(what string) (byte, error) {
	if d.pos >= len(d.buf) {
		return 0, d.wrap(errUnexpectedEnd, what)
	}
	b := d.buf[d.pos]
	d.pos++
	return b, nil
}

func (d *decoder) u32(what string) (uint32, error) {
	if d.pos < len(d.buf) && d.buf[d.pos] < 0x80 {
		v := uint32(d.buf[d.pos])
		d.pos++
		return v, nil
	}
	v, n, err := readU32(d.buf[d.pos:])
	if err != nil {
		return 0, d.wrap(err, what)
	}
	d.pos += n
	return v, nil
}

func (d *decoder) signed(bits int, what string) (int64, error) {
	if d.pos < len(d.buf) && d.buf[d.pos] < 0x80 {
		// One byte: seven value bits, bit 6 the sign.
		v := int64(d.buf[d.pos]<<1) << 56 >> 57
		d.pos++
		return v, nil
	}
	v, n, err := readSigned(d.buf[d.pos:], bits)
	if err != nil {
		return 0, d.wrap(err, what)
	}
	d.pos += n
	return v, nil
}

// count reads a vector length and checks that at least minSize bytes per
// element remain, so a forged length cannot trigger a huge allocation.
func (d *decoder) count(what string, minSize int) (uint32, error) {
	n, err := d.u32(what)
	if err != nil {
		return 0, err
	}
	if uint64(n)*uint64(minSize) > uint64(len(d.buf)-d.pos) {
		return 0, d.errf("%s %d exceeds the remaining %d bytes", what, n, len(d.buf)-d.pos)
	}
	return n, nil
}

func (d *decoder) name(what string) (string, error) {
	n, err := d.u32(what + " length")
	if err != nil {
		return "", err
	}
	if uint64(n) > uint64(len(d.buf)-d.pos) {
		return "", d.errf("%s length %d out of bounds (%d bytes remain)", what, n, len(d.buf)-d.pos)
	}
	b := d.buf[d.pos : d.pos+int(n)]
	if !utf8.Valid(b) {
		return "", d.errf("%s is malformed UTF-8", what)
	}
	d.pos += int(n)
	return string(b), nil
}

func (d *decoder) valType(what string) (ValType, error) {
	b, err := d.byte1(what)
	if err != nil {
		return 0, err
	}
	t := ValType(b)
	if !t.Valid() {
		d.pos--
		return 0, d.errf("malformed %s 0x%02x", what, b)
	}
	return t, nil
}

func (d *decoder) refType(what string) (ValType, error) {
	b, err := d.byte1(what)
	if err != nil {
		return 0, err
	}
	if t := ValType(b); t.IsRef() {
		return t, nil
	}
	d.pos--
	return 0, d.errf("malformed reference type 0x%02x in %s", b, what)
}

func (d *decoder) limits(what string, isMem bool) (Limits, error) {
	flag, err := d.byte1(what + " limits flag")
	if err != nil {
		return Limits{}, err
	}
	switch {
	case flag <= 1:
	case isMem && (flag == 2 || flag == 3):
		d.pos--
		return Limits{}, d.errf("shared memory (threads proposal) is not supported")
	case isMem && flag >= 4 && flag <= 7:
		d.pos--
		return Limits{}, d.errf("64-bit memory (memory64 proposal) is not supported")
	default:
		d.pos--
		return Limits{}, d.errf("malformed %s limits flag 0x%02x", what, flag)
	}
	var l Limits
	if l.Min, err = d.u32(what + " minimum"); err != nil {
		return l, err
	}
	if flag == 1 {
		l.HasMax = true
		if l.Max, err = d.u32(what + " maximum"); err != nil {
			return l, err
		}
	}
	return l, nil
}

func (d *decoder) tableType() (TableType, error) {
	t, err := d.refType("table element type")
	if err != nil {
		return TableType{}, err
	}
	l, err := d.limits("table", false)
	return TableType{Elem: t, Limits: l}, err
}

func (d *decoder) globalType() (GlobalType, error) {
	t, err := d.valType("global value type")
	if err != nil {
		return GlobalType{}, err
	}
	mut, err := d.byte1("global mutability")
	if err != nil {
		return GlobalType{}, err
	}
	if mut > 1 {
		d.pos--
		return GlobalType{}, d.errf("malformed mutability 0x%02x", mut)
	}
	return GlobalType{Type: t, Mutable: mut == 1}, nil
}

// Decode parses a binary module. It accepts every encoding the spec allows
// (including padded LEB128s), refuses unsupported features and malformed
// input with an *Error, and never panics. Decode does not validate: run
// Validate on the result before trusting indices and types.
//
// The returned Module shares no memory with data. Cost: linear in
// len(data).
func Decode(data []byte) (*Module, error) {
	d := &decoder{buf: data, fn: -1, instr: -1, m: &Module{}, sec: sectionHeader}
	if len(data) < 8 {
		return nil, d.errf("module is %d bytes, shorter than the 8-byte header", len(data))
	}
	if string(data[:4]) != "\x00asm" {
		return nil, d.errf("bad magic number %x, want 0061736d", data[:4])
	}
	if v := data[4:8]; v[0] != 1 || v[1] != 0 || v[2] != 0 || v[3] != 0 {
		return nil, d.errf("unsupported binary version %x (want 01000000; 0x0d000000 and above are component-model or layered formats)", v)
	}
	d.pos = 8
	lastOrder := 0
	lastID := SectionCustom
	var funcTypes []uint32
	haveFuncSec, haveCode := false, false
	for d.pos < len(data) {
		d.buf = data
		d.sec = sectionHeader
		idPos := d.pos
		id := data[d.pos]
		d.pos++
		if id > byte(SectionDataCount) {
			d.pos = idPos
			if id == 13 {
				return nil, d.errf("tag section (exception handling proposal) is not supported")
			}
			return nil, d.errf("malformed section id %d", id)
		}
		d.sec = SectionID(id)
		size, err := d.u32("section size")
		if err != nil {
			return nil, err
		}
		if uint64(size) > uint64(len(data)-d.pos) {
			return nil, d.errf("section size %d out of bounds (%d bytes remain)", size, len(data)-d.pos)
		}
		end := d.pos + int(size)
		d.buf = data[:end]
		d.secEnd = end
		if d.sec != SectionCustom {
			ord := sectionOrder[d.sec]
			if ord <= lastOrder {
				d.pos = idPos
				return nil, d.errf("unexpected %s section: duplicate or out of order", d.sec)
			}
			lastOrder = ord
		}
		m := d.m
		switch d.sec {
		case SectionCustom:
			name, err := d.name("custom section name")
			if err != nil {
				return nil, err
			}
			b := make([]byte, end-d.pos)
			copy(b, data[d.pos:end])
			d.pos = end
			m.Customs = append(m.Customs, Custom{Name: name, Data: b, After: lastID})
		case SectionType:
			err = d.typeSection()
		case SectionImport:
			err = d.importSection()
		case SectionFunction:
			haveFuncSec = true
			n, err2 := d.count("function count", 1)
			if err2 != nil {
				return nil, err2
			}
			funcTypes = make([]uint32, n)
			for i := range funcTypes {
				if funcTypes[i], err = d.u32("function type index"); err != nil {
					return nil, err
				}
			}
		case SectionTable:
			n, err2 := d.count("table count", 3)
			if err2 != nil {
				return nil, err2
			}
			m.Tables = make([]TableType, n)
			for i := range m.Tables {
				if m.Tables[i], err = d.tableType(); err != nil {
					return nil, err
				}
			}
		case SectionMemory:
			n, err2 := d.count("memory count", 2)
			if err2 != nil {
				return nil, err2
			}
			m.Memories = make([]MemType, n)
			for i := range m.Memories {
				if m.Memories[i].Limits, err = d.limits("memory", true); err != nil {
					return nil, err
				}
			}
		case SectionGlobal:
			n, err2 := d.count("global count", 3)
			if err2 != nil {
				return nil, err2
			}
			d.arenaHint = 2*int(n) + 2
			m.Globals = make([]Global, n)
			for i := range m.Globals {
				g := &m.Globals[i]
				if g.Type, err = d.globalType(); err != nil {
					return nil, err
				}
				if g.Init, err = d.constExpr(); err != nil {
					return nil, err
				}
			}
		case SectionExport:
			err = d.exportSection()
		case SectionStart:
			m.HasStart = true
			m.Start, err = d.u32("start function index")
		case SectionElement:
			err = d.elemSection()
		case SectionDataCount:
			m.HasDataCount = true
			m.DataCount, err = d.u32("data count")
		case SectionCode:
			haveCode = true
			err = d.codeSection(funcTypes)
		case SectionData:
			err = d.dataSection()
		}
		if err != nil {
			return nil, err
		}
		if d.pos != end {
			return nil, d.errf("section size mismatch: section ends at offset 0x%x but its content ends at 0x%x", end, d.pos)
		}
		if d.sec != SectionCustom {
			lastID = d.sec
		}
	}
	d.buf = data
	d.sec = SectionCode
	if len(funcTypes) > 0 && !haveCode {
		return nil, d.errf("function section declares %d functions but there is no code section", len(funcTypes))
	}
	if haveCode && !haveFuncSec && len(d.m.Funcs) > 0 {
		return nil, d.errf("code section has %d bodies but there is no function section", len(d.m.Funcs))
	}
	if d.m.HasDataCount && int(d.m.DataCount) != len(d.m.Datas) {
		d.sec = SectionData
		return nil, d.errf("data count section says %d segments but the data section has %d", d.m.DataCount, len(d.m.Datas))
	}
	if !d.m.HasDataCount && d.sawDataOp {
		fi := d.dataOpFn - d.nImport
		in := &d.m.Funcs[fi].Body[d.dataOpInstr]
		return nil, &Error{Section: SectionCode, Func: d.dataOpFn, Instr: d.dataOpInstr, Offset: int(d.m.Funcs[fi].Offset),
			Msg: in.Op.String() + " requires a data count section"}
	}
	d.m.Summary = d.sum
	d.m.Summary.Known = true
	return d.m, nil
}

func (d *decoder) typeSection() error {
	n, err := d.count("type count", 3)
	if err != nil {
		return err
	}
	d.m.Types = make([]FuncType, n)
	for i := range d.m.Types {
		form, err := d.byte1("type form")
		if err != nil {
			return err
		}
		if form != 0x60 {
			d.pos--
			return d.errf("type %d: malformed function type form 0x%02x (want 0x60; GC types are not supported)", i, form)
		}
		var ft FuncType
		for k := 0; k < 2; k++ {
			c, err := d.count("type parameter/result count", 1)
			if err != nil {
				return err
			}
			ts := d.valTypes(int(c))
			for j := range ts {
				if ts[j], err = d.valType("value type"); err != nil {
					return err
				}
			}
			if k == 0 {
				ft.Params = ts
			} else {
				ft.Results = ts
			}
		}
		d.m.Types[i] = ft
	}
	return nil
}

func (d *decoder) importSection() error {
	n, err := d.count("import count", 4)
	if err != nil {
		return err
	}
	d.m.Imports = make([]Import, n)
	for i := range d.m.Imports {
		im := &d.m.Imports[i]
		if im.Module, err = d.name("import module name"); err != nil {
			return err
		}
		if im.Name, err = d.name("import name"); err != nil {
			return err
		}
		k, err := d.byte1("import kind")
		if err != nil {
			return err
		}
		im.Kind = ExternKind(k)
		switch im.Kind {
		case ExternFunc:
			im.TypeIdx, err = d.u32("import type index")
			d.nImport++
		case ExternTable:
			im.Table, err = d.tableType()
		case ExternMemory:
			im.Mem.Limits, err = d.limits("memory", true)
		case ExternGlobal:
			im.Global, err = d.globalType()
		case 4:
			d.pos--
			return d.errf("import %d: tag imports (exception handling proposal) are not supported", i)
		default:
			d.pos--
			return d.errf("import %d: malformed import kind 0x%02x", i, k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) exportSection() error {
	n, err := d.count("export count", 3)
	if err != nil {
		return err
	}
	d.m.Exports = make([]Export, n)
	for i := range d.m.Exports {
		ex := &d.m.Exports[i]
		if ex.Name, err = d.name("export name"); err != nil {
			return err
		}
		k, err := d.byte1("export kind")
		if err != nil {
			return err
		}
		if k > 3 {
			d.pos--
			return d.errf("export %q: malformed export kind 0x%02x", ex.Name, k)
		}
		ex.Kind = ExternKind(k)
		if ex.Index, err = d.u32("export index"); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) elemSection() error {
	n, err := d.count("element segment count", 2)
	if err != nil {
		return err
	}
	d.arenaHint = 2*int(n) + 2
	d.m.Elems = make([]Elem, n)
	for i := range d.m.Elems {
		e := &d.m.Elems[i]
		flags, err := d.u32("element segment flags")
		if err != nil {
			return err
		}
		if flags > 7 {
			return d.errf("element segment %d: malformed flags %d", i, flags)
		}
		e.Form = uint8(flags)
		e.Type = FuncRef
		switch {
		case flags&1 == 0:
			e.Mode = SegmentActive
		case flags&2 == 0:
			e.Mode = SegmentPassive
		default:
			e.Mode = SegmentDeclarative
		}
		if e.Mode == SegmentActive {
			if flags&2 != 0 {
				if e.Table, err = d.u32("element segment table index"); err != nil {
					return err
				}
			}
			if e.Offset, err = d.constExpr(); err != nil {
				return err
			}
		}
		if flags&3 != 0 { // explicit element kind or reference type
			if flags&4 == 0 {
				k, err := d.byte1("element kind")
				if err != nil {
					return err
				}
				if k != 0 {
					d.pos--
					return d.errf("element segment %d: malformed element kind 0x%02x", i, k)
				}
			} else if e.Type, err = d.refType("element segment"); err != nil {
				return err
			}
		}
		if flags&4 == 0 {
			c, err := d.count("element count", 1)
			if err != nil {
				return err
			}
			e.Funcs = make([]uint32, c)
			for j := range e.Funcs {
				if e.Funcs[j], err = d.u32("element function index"); err != nil {
					return err
				}
			}
		} else {
			c, err := d.count("element count", 2)
			if err != nil {
				return err
			}
			e.Exprs = make([][]Instr, c)
			for j := range e.Exprs {
				if e.Exprs[j], err = d.constExpr(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (d *decoder) dataSection() error {
	n, err := d.count("data segment count", 2)
	if err != nil {
		return err
	}
	d.arenaHint = 2*int(n) + 2
	// One copy of the rest of the section backs every segment's Init
	// (Go modules have tens of thousands of segments); the few header
	// bytes in between are the price of a single allocation.
	blob := make([]byte, len(d.buf)-d.pos)
	copy(blob, d.buf[d.pos:])
	base := d.pos
	d.m.Datas = make([]Data, n)
	for i := range d.m.Datas {
		s := &d.m.Datas[i]
		flags, err := d.u32("data segment flags")
		if err != nil {
			return err
		}
		if flags > 2 {
			return d.errf("data segment %d: malformed flags %d", i, flags)
		}
		s.Form = uint8(flags)
		if flags == 1 {
			s.Mode = SegmentPassive
		} else {
			if flags == 2 {
				if s.Memory, err = d.u32("data segment memory index"); err != nil {
					return err
				}
			}
			if s.Offset, err = d.constExpr(); err != nil {
				return err
			}
		}
		sz, err := d.u32("data segment length")
		if err != nil {
			return err
		}
		if uint64(sz) > uint64(len(d.buf)-d.pos) {
			return d.errf("data segment length %d out of bounds (%d bytes remain)", sz, len(d.buf)-d.pos)
		}
		off := d.pos - base
		s.Init = blob[off : off+int(sz) : off+int(sz)]
		d.pos += int(sz)
	}
	return nil
}

func (d *decoder) codeSection(funcTypes []uint32) error {
	n, err := d.count("code entry count", 2)
	if err != nil {
		return err
	}
	if int(n) != len(funcTypes) {
		return d.errf("function and code section have inconsistent lengths: %d declared, %d bodies", len(funcTypes), n)
	}
	d.m.Funcs = make([]Func, n)
	secBuf := d.buf
	// A first pass finds the bodies (only their size prefixes are read);
	// the bodies are then decoded in parallel (see Split), each worker
	// with its own decoder and arenas. A size that runs past the section
	// ends the pass; the bodies before it are still decoded first, so the
	// error is the one a body-by-body decoder would have met first.
	ends := make([]int, n) // end of body i; its start is f.Offset + the size prefix
	starts := make([]int, n)
	var sizeErr error
	for i := range d.m.Funcs {
		f := &d.m.Funcs[i]
		f.TypeIdx = funcTypes[i]
		f.Offset = uint32(d.pos)
		d.fn = d.nImport + i
		size, err := d.u32("function body size")
		if err == nil && uint64(size) > uint64(len(secBuf)-d.pos) {
			err = d.errf("function body size %d out of bounds (%d bytes remain)", size, len(secBuf)-d.pos)
		}
		if err != nil {
			sizeErr = err
			d.m.Funcs = d.m.Funcs[:i]
			break
		}
		starts[i], ends[i] = d.pos, d.pos+int(size)
		d.pos = ends[i]
	}
	funcs := d.m.Funcs
	afterBodies, secEnd := d.pos, d.secEnd
	split := NewSplit(len(funcs), func(i int) int { return ends[i] - starts[i] }, 3*minParallelInstrs)
	workers := make([]*decoder, split.Workers)
	workers[0] = d
	err = split.Run(func(w, lo, hi int) error {
		wd := workers[w]
		if wd == nil {
			wd = &decoder{fn: -1, instr: -1, m: d.m, nImport: d.nImport, sec: SectionCode}
			workers[w] = wd
		}
		// The arena's next chunk is sized from what remains of this range.
		wd.secEnd = ends[hi-1]
		for i := lo; i < hi; i++ {
			wd.fn = d.nImport + i
			wd.buf, wd.pos = secBuf[:ends[i]], starts[i]
			if err := wd.funcBody(&funcs[i]); err != nil {
				return err
			}
			if wd.pos != ends[i] {
				return wd.errf("function body size mismatch: body ends at 0x%x, code at 0x%x", ends[i], wd.pos)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if sizeErr != nil {
		return sizeErr
	}
	// What the workers noticed, merged as one pass in order would have.
	for _, wd := range workers[1:] {
		if wd == nil {
			continue
		}
		d.sum.TableChanges = d.sum.TableChanges || wd.sum.TableChanges
		d.sum.SegmentDrops = d.sum.SegmentDrops || wd.sum.SegmentDrops
		d.sum.RefFuncs = d.sum.RefFuncs || wd.sum.RefFuncs
		if wd.sawDataOp && (!d.sawDataOp || wd.dataOpFn < d.dataOpFn) {
			d.sawDataOp, d.dataOpFn, d.dataOpInstr = true, wd.dataOpFn, wd.dataOpInstr
		}
	}
	d.buf, d.pos, d.secEnd = secBuf, afterBodies, secEnd
	d.fn = -1
	return nil
}

func (d *decoder) funcBody(f *Func) error {
	groups, err := d.count("local declaration count", 2)
	if err != nil {
		return err
	}
	start := d.pos
	var total uint64
	for g := uint32(0); g < groups; g++ {
		c, err := d.u32("local count")
		if err != nil {
			return err
		}
		if _, err := d.valType("local type"); err != nil {
			return err
		}
		total += uint64(c)
	}
	if total > math.MaxUint32 {
		return d.errf("too many locals: %d", total)
	}
	if total > MaxLocals {
		return d.errf("function declares %d locals, more than the supported %d", total, MaxLocals)
	}
	if total > 0 {
		f.Locals = d.valTypes(int(total))
		d.pos = start
		k := 0
		for g := uint32(0); g < groups; g++ {
			c, _ := d.u32("local count")
			t, _ := d.valType("local type")
			for ; c > 0; c-- {
				f.Locals[k] = t
				k++
			}
		}
	}
	d.labStart = len(d.labels)
	body, err := d.expr(false)
	if err != nil {
		return err
	}
	f.Body = body
	if n := len(d.labels); n > d.labStart {
		f.Labels = d.labels[d.labStart:n:n]
	}
	return nil
}

// constExpr reads an initializer expression. Which instructions are
// allowed in it is checked by Validate, not here.
func (d *decoder) constExpr() ([]Instr, error) {
	saveInstr := d.instr
	d.inConst = true
	defer func() { d.instr, d.inConst = saveInstr, false }()
	return d.expr(true)
}

// expr reads instructions up to and including the end that closes the
// expression. Instructions are decoded in place into the instruction
// arena; the result is a capacity-limited window of it, so appending to
// one body reallocates instead of overwriting the next.
func (d *decoder) expr(isConst bool) ([]Instr, error) {
	start := len(d.arena)
	depth := 0
	for {
		if d.pos >= len(d.buf) {
			if isConst {
				return nil, d.errf("constant expression not terminated by end")
			}
			return nil, d.errf("function body not terminated by end")
		}
		if len(d.arena) == cap(d.arena) {
			d.growArena(start)
			start = 0
		}
		d.instr = len(d.arena) - start
		d.arena = d.arena[:len(d.arena)+1]
		in := &d.arena[len(d.arena)-1]
		if !d.fastInstr(in) {
			if err := d.instrAt(in); err != nil {
				return nil, err
			}
		}
		switch in.Op {
		case OpBlock, OpLoop, OpIf:
			depth++
		case OpEnd:
			if depth == 0 {
				d.instr = -1
				return d.arena[start:len(d.arena):len(d.arena)], nil
			}
			depth--
		case OpMemoryInit, OpDataDrop:
			if !d.sawDataOp && !isConst {
				d.sawDataOp = true
				d.dataOpFn, d.dataOpInstr = d.fn, d.instr
			}
			if in.Op == OpDataDrop {
				d.sum.SegmentDrops = true
			}
		case OpElemDrop:
			d.sum.SegmentDrops = true
		case OpTableSet, OpTableGrow, OpTableFill, OpTableCopy, OpTableInit:
			d.sum.TableChanges = true
		case OpRefFunc:
			if !isConst {
				d.sum.RefFuncs = true
			}
		}
	}
}

// growArena starts a new instruction chunk and moves the partly decoded
// expression arena[start:] into it. Chunks are sized from what remains of
// the current section (about one instruction per three bytes in toolchain
// output), so a module costs a handful of allocations rather than one per
// function, and the unused tail of the last chunk stays small.
func (d *decoder) growArena(start int) {
	partial := d.arena[start:]
	var n int
	if d.sec == SectionCode {
		n = (d.secEnd - d.pos) / 3
	} else {
		// Constant expressions: the section start guessed two
		// instructions per item; double the guess each time it is short.
		n = d.arenaHint
		d.arenaHint *= 2
	}
	n += 2 * len(partial)
	if n < 64 {
		n = 64
	}
	chunk := make([]Instr, len(partial), n)
	copy(chunk, partial)
	d.arena = chunk
}

// funcLabels extends the current function's br_table targets, which
// occupy d.labels[d.labStart:], by n entries and returns them. A
// function's targets stay contiguous (Func.Labels is one slice): when the
// chunk is full, those decoded so far move to a new one.
func (d *decoder) funcLabels(n int) []uint32 {
	if cap(d.labels)-len(d.labels) < n {
		partial := d.labels[d.labStart:]
		c := max(2*cap(d.labels), 1024, 2*(len(partial)+n))
		chunk := make([]uint32, len(partial), c)
		copy(chunk, partial)
		d.labels, d.labStart = chunk, 0
	}
	l := len(d.labels)
	d.labels = d.labels[:l+n]
	return d.labels[l : l+n : l+n]
}

// valTypes returns a capacity-limited window of n entries of the shared
// value-type arena (locals and signatures), allocating a new chunk when
// it is full.
func (d *decoder) valTypes(n int) []ValType {
	if d.types == nil || cap(d.types)-len(d.types) < n {
		c := 2 * cap(d.types)
		if c < 4096 {
			c = 4096
		}
		if c < n {
			c = n
		}
		d.types = make([]ValType, 0, c)
	}
	l := len(d.types)
	d.types = d.types[:l+n]
	return d.types[l : l+n : l+n]
}

// fastInstr decodes the common shapes inline — a plain opcode with no
// immediate, one one-byte index or constant, a one-byte memarg pair, or
// an inline block type — and reports false, consuming nothing, for
// everything else (prefixed and invalid opcodes, multi-byte LEBs), which
// instrAt then decodes and checks in full. Most instructions in
// toolchain output take this path.
func (d *decoder) fastInstr(in *Instr) bool {
	p, buf := d.pos, d.buf
	if p+1 >= len(buf) {
		return false
	}
	op := buf[p]
	x := buf[p+1]
	switch immTab[0][op] {
	case immNone:
		in.Op = Opcode(op)
		d.pos = p + 1
		return true
	case immLabel, immFunc, immLocal, immGlobal, immTable:
		if x < 0x80 {
			in.Op, in.Index = Opcode(op), uint32(x)
			d.pos = p + 2
			return true
		}
	case immI32, immI64:
		if x < 0x80 {
			in.Op, in.Value = Opcode(op), uint64(int64(x<<1)<<56>>57)
			d.pos = p + 2
			return true
		}
	case immMemArg:
		if x < 0x40 && p+2 < len(buf) && buf[p+2] < 0x80 {
			in.Op, in.Align, in.Offset = Opcode(op), uint32(x), uint32(buf[p+2])
			d.pos = p + 3
			return true
		}
	case immBlock:
		if x == 0x40 || ValType(x).Valid() {
			in.Op, in.Block = Opcode(op), BlockType(int64(x)-0x80)
			d.pos = p + 2
			return true
		}
	}
	return false
}

var unsupportedOps = map[byte]string{
	0x06: "try (exception handling proposal)", 0x07: "catch (exception handling proposal)",
	0x08: "throw (exception handling proposal)", 0x09: "rethrow (exception handling proposal)",
	0x0A: "throw_ref (exception handling proposal)", 0x18: "delegate (exception handling proposal)",
	0x19: "catch_all (exception handling proposal)", 0x1F: "try_table (exception handling proposal)",
	0x12: "return_call (tail call proposal)", 0x13: "return_call_indirect (tail call proposal)",
	0x14: "call_ref (function references proposal)", 0x15: "return_call_ref (function references proposal)",
	0xD3: "ref.as_non_null (function references proposal)", 0xD4: "br_on_null (function references proposal)",
	0xD5: "ref.eq (GC proposal)", 0xD6: "br_on_non_null (function references proposal)",
	0xFB: "GC instructions (0xFB prefix)", 0xFE: "atomic instructions (threads proposal, 0xFE prefix)",
}

func (d *decoder) instrAt(in *Instr) error {
	opPos := d.pos
	b := d.buf[d.pos]
	d.pos++
	op := Opcode(b)
	if b == 0xFC || b == 0xFD {
		sub, err := d.u32("prefixed opcode")
		if err != nil {
			return err
		}
		if sub > 0xFF {
			d.pos = opPos
			if b == 0xFD {
				return d.errf("SIMD opcode 0x%x is not supported (relaxed SIMD is outside WebAssembly 2.0)", sub)
			}
			return d.errf("illegal opcode 0xfc 0x%x", sub)
		}
		op = Opcode(b)<<16 | Opcode(sub)
	}
	inf := op.info()
	if inf == nil {
		d.pos = opPos
		if why, ok := unsupportedOps[b]; ok {
			return d.errf("%s is not supported", why)
		}
		if op>>16 != 0 {
			if op>>16 == 0xFC && op&0xFF >= 18 && op&0xFF <= 19 {
				return d.errf("opcode 0xfc %d (wide arithmetic / memory64 table ops) is not supported", op&0xFF)
			}
			return d.errf("illegal opcode 0x%02x %d", byte(op>>16), op&0xFFFF)
		}
		return d.errf("illegal opcode 0x%02x", b)
	}
	in.Op = op
	var err error
	switch inf.imm {
	case immNone:
	case immBlock:
		err = d.blockType(in)
	case immLabel, immFunc, immLocal, immGlobal, immTable, immData, immElem:
		// Inline the one-byte case and name the immediate only on error:
		// building the message eagerly allocated once per instruction.
		if d.pos < len(d.buf) && d.buf[d.pos] < 0x80 {
			in.Index = uint32(d.buf[d.pos])
			d.pos++
			return nil
		}
		v, n, err := readU32(d.buf[d.pos:])
		if err != nil {
			return d.wrap(err, inf.name+" immediate")
		}
		d.pos += n
		in.Index = v
	case immBrTable:
		if d.inConst {
			d.pos = opPos
			return d.errf("br_table in a constant expression")
		}
		var n uint32
		if n, err = d.count("br_table label count", 1); err != nil {
			return err
		}
		labels := d.funcLabels(int(n))
		in.Value, in.Index2 = uint64(len(d.labels)-len(labels)-d.labStart), n
		for i := range labels {
			if labels[i], err = d.u32("br_table label"); err != nil {
				return err
			}
		}
		in.Index, err = d.u32("br_table default label")
	case immCallIndirect:
		if in.Index, err = d.u32("call_indirect type index"); err != nil {
			return err
		}
		in.Index2, err = d.u32("call_indirect table index")
	case immMemArg, immMemLane:
		if in.Align, err = d.u32("memarg alignment"); err != nil {
			return err
		}
		if in.Align&0x40 != 0 {
			return d.errf("memarg with a memory index (multi-memory proposal) is not supported")
		}
		if in.Offset, err = d.u32("memarg offset"); err != nil {
			return err
		}
		if inf.imm == immMemLane {
			in.Lane, err = d.byte1("lane index")
		}
	case immI32:
		var v int64
		v, err = d.signed(32, "i32.const immediate")
		in.Value = uint64(v)
	case immI64:
		var v int64
		v, err = d.signed(64, "i64.const immediate")
		in.Value = uint64(v)
	case immF32:
		if len(d.buf)-d.pos < 4 {
			return d.wrap(errUnexpectedEnd, "f32.const immediate")
		}
		p := d.buf[d.pos:]
		in.Value = uint64(uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16 | uint32(p[3])<<24)
		d.pos += 4
	case immF64:
		in.Value, err = d.u64le(inf.name)
	case immV128, immShuffle:
		if in.Value, err = d.u64le(inf.name); err != nil {
			return err
		}
		in.ValueHi, err = d.u64le(inf.name)
	case immLane:
		in.Lane, err = d.byte1("lane index")
	case immSelectT:
		var n uint32
		if n, err = d.u32("select type count"); err != nil {
			return err
		}
		if n != 1 {
			return d.errf("typed select with %d types: invalid result arity (must be 1)", n)
		}
		var t ValType
		t, err = d.valType("select type")
		in.Index = uint32(t)
	case immRefType:
		var t ValType
		t, err = d.refType("ref.null")
		in.Index = uint32(t)
	case immMemZero:
		err = d.zero(inf.name)
	case immMemInit:
		if in.Index, err = d.u32("memory.init data index"); err != nil {
			return err
		}
		err = d.zero(inf.name)
	case immMemCopy:
		if err = d.zero(inf.name); err != nil {
			return err
		}
		err = d.zero(inf.name)
	case immTableInit:
		if in.Index, err = d.u32("table.init element index"); err != nil {
			return err
		}
		in.Index2, err = d.u32("table.init table index")
	case immTableCopy:
		if in.Index, err = d.u32("table.copy destination table"); err != nil {
			return err
		}
		in.Index2, err = d.u32("table.copy source table")
	}
	return err
}

func (d *decoder) u64le(what string) (uint64, error) {
	if len(d.buf)-d.pos < 8 {
		return 0, d.wrap(errUnexpectedEnd, what+" immediate")
	}
	p := d.buf[d.pos : d.pos+8]
	d.pos += 8
	return uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
		uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56, nil
}

// zero reads the reserved memory-index byte, which must be a single 0x00
// in WebAssembly 2.0 (anything else is multi-memory syntax).
func (d *decoder) zero(what string) error {
	b, err := d.byte1(what + " memory index")
	if err != nil {
		return err
	}
	if b != 0 {
		d.pos--
		return d.errf("%s: zero byte expected for the memory index, got 0x%02x (multi-memory is not supported)", what, b)
	}
	return nil
}

func (d *decoder) blockType(in *Instr) error {
	if d.pos >= len(d.buf) {
		return d.wrap(errUnexpectedEnd, "block type")
	}
	b := d.buf[d.pos]
	if b == 0x40 || ValType(b).Valid() {
		d.pos++
		in.Block = BlockType(int64(b) - 0x80)
		return nil
	}
	v, err := d.signed(33, "block type")
	if err != nil {
		return err
	}
	if v < 0 {
		return d.errf("malformed block type %d", v)
	}
	in.Block = BlockType(v)
	return nil
}
