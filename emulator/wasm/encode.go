package wasm

import (
	"fmt"
	"math"
)

// Encode writes m in the binary format with minimal LEB128s. Sections are
// written in the spec's order, empty ones omitted (except a datacount
// section when HasDataCount), custom sections after the section they
// followed when decoded. Encode checks only what it needs to produce
// well-formed bytes (e.g. opcodes and locals counts); it does not
// validate. Cost: linear in the output size, about one allocation per
// doubling of the output buffer.
func Encode(m *Module) ([]byte, error) {
	e := &encoder{b: make([]byte, 0, estimateSize(m))}
	e.b = append(e.b, 0, 'a', 's', 'm', 1, 0, 0, 0)
	e.customs(m, SectionCustom)
	order := [...]SectionID{SectionType, SectionImport, SectionFunction, SectionTable, SectionMemory,
		SectionGlobal, SectionExport, SectionStart, SectionElement, SectionDataCount, SectionCode, SectionData}
	for _, id := range order {
		if err := e.section(m, id); err != nil {
			return nil, err
		}
		e.customs(m, id)
	}
	return e.b, nil
}

// estimateSize guesses the encoded size of m so that Encode usually
// allocates its output once. Instructions average about 2.2 bytes in
// toolchain output once LEBs are minimal; a short guess costs one
// regrowth, a long one unused capacity, so it aims slightly high. Cost:
// O(functions + segments), it does not look at instructions.
func estimateSize(m *Module) int {
	n := 256
	for i := range m.Types {
		n += 3 + len(m.Types[i].Params) + len(m.Types[i].Results)
	}
	for i := range m.Imports {
		n += 16 + len(m.Imports[i].Module) + len(m.Imports[i].Name)
	}
	for i := range m.Funcs {
		f := &m.Funcs[i]
		n += 12 + 2*len(f.Locals) + 9*len(f.Body)/4
	}
	n += 8 * (len(m.Tables) + len(m.Memories))
	for i := range m.Globals {
		n += 4 + 4*len(m.Globals[i].Init)
	}
	for i := range m.Exports {
		n += 8 + len(m.Exports[i].Name)
	}
	for i := range m.Elems {
		n += 16 + 6*len(m.Elems[i].Offset) + 3*len(m.Elems[i].Funcs) + 6*len(m.Elems[i].Exprs)
	}
	for i := range m.Datas {
		n += 8 + 3*len(m.Datas[i].Offset) + len(m.Datas[i].Init)
	}
	for i := range m.Customs {
		n += 12 + len(m.Customs[i].Name) + len(m.Customs[i].Data)
	}
	return n
}

type encoder struct {
	b []byte
}

func (e *encoder) u32(v uint32) {
	if v < 0x80 {
		e.b = append(e.b, byte(v))
		return
	}
	e.b = appendU32(e.b, v)
}

func (e *encoder) name(s string) {
	e.u32(uint32(len(s)))
	e.b = append(e.b, s...)
}

// begin reserves room for a size prefix; end fills it in minimally,
// shifting the content left over the unused reserved bytes.
func (e *encoder) begin() int {
	e.b = append(e.b, 0, 0, 0, 0, 0)
	return len(e.b)
}

func (e *encoder) end(start int) error {
	size := len(e.b) - start
	if size > math.MaxUint32 {
		return fmt.Errorf("wasm: encode: section or body of %d bytes exceeds 4 GiB", size)
	}
	n := sizeU32(uint32(size))
	dst := start - 5
	if n < 5 {
		copy(e.b[dst+n:], e.b[start:])
		e.b = e.b[:len(e.b)-(5-n)]
	}
	appendU32(e.b[dst:dst], uint32(size))
	return nil
}

func (e *encoder) customs(m *Module, after SectionID) {
	for i := range m.Customs {
		c := &m.Customs[i]
		if c.After != after {
			continue
		}
		e.b = append(e.b, byte(SectionCustom))
		s := e.begin()
		e.name(c.Name)
		e.b = append(e.b, c.Data...)
		e.end(s)
	}
}

func (e *encoder) limits(l Limits) {
	if l.HasMax {
		e.b = append(e.b, 1)
		e.u32(l.Min)
		e.u32(l.Max)
	} else {
		e.b = append(e.b, 0)
		e.u32(l.Min)
	}
}

func (e *encoder) globalType(g GlobalType) {
	m := byte(0)
	if g.Mutable {
		m = 1
	}
	e.b = append(e.b, byte(g.Type), m)
}

func (e *encoder) section(m *Module, id SectionID) error {
	var n int
	switch id {
	case SectionType:
		n = len(m.Types)
	case SectionImport:
		n = len(m.Imports)
	case SectionFunction, SectionCode:
		n = len(m.Funcs)
	case SectionTable:
		n = len(m.Tables)
	case SectionMemory:
		n = len(m.Memories)
	case SectionGlobal:
		n = len(m.Globals)
	case SectionExport:
		n = len(m.Exports)
	case SectionStart:
		if m.HasStart {
			n = 1
		}
	case SectionElement:
		n = len(m.Elems)
	case SectionDataCount:
		if m.HasDataCount {
			n = 1
		}
	case SectionData:
		n = len(m.Datas)
	}
	if n == 0 && !(anchorsCustom(m, id) && id != SectionStart && id != SectionDataCount) {
		return nil
	}
	e.b = append(e.b, byte(id))
	s := e.begin()
	switch id {
	case SectionType:
		e.u32(uint32(n))
		for _, t := range m.Types {
			e.b = append(e.b, 0x60)
			e.u32(uint32(len(t.Params)))
			for _, v := range t.Params {
				e.b = append(e.b, byte(v))
			}
			e.u32(uint32(len(t.Results)))
			for _, v := range t.Results {
				e.b = append(e.b, byte(v))
			}
		}
	case SectionImport:
		e.u32(uint32(n))
		for i := range m.Imports {
			im := &m.Imports[i]
			e.name(im.Module)
			e.name(im.Name)
			e.b = append(e.b, byte(im.Kind))
			switch im.Kind {
			case ExternFunc:
				e.u32(im.TypeIdx)
			case ExternTable:
				e.b = append(e.b, byte(im.Table.Elem))
				e.limits(im.Table.Limits)
			case ExternMemory:
				e.limits(im.Mem.Limits)
			case ExternGlobal:
				e.globalType(im.Global)
			default:
				return fmt.Errorf("wasm: encode: import %d (%s.%s) has unknown kind %d", i, im.Module, im.Name, im.Kind)
			}
		}
	case SectionFunction:
		e.u32(uint32(n))
		for i := range m.Funcs {
			e.u32(m.Funcs[i].TypeIdx)
		}
	case SectionTable:
		e.u32(uint32(n))
		for _, t := range m.Tables {
			e.b = append(e.b, byte(t.Elem))
			e.limits(t.Limits)
		}
	case SectionMemory:
		e.u32(uint32(n))
		for _, mt := range m.Memories {
			e.limits(mt.Limits)
		}
	case SectionGlobal:
		e.u32(uint32(n))
		for i := range m.Globals {
			e.globalType(m.Globals[i].Type)
			if err := e.expr(m.Globals[i].Init, nil); err != nil {
				return fmt.Errorf("wasm: encode: global %d: %w", i, err)
			}
		}
	case SectionExport:
		e.u32(uint32(n))
		for _, ex := range m.Exports {
			e.name(ex.Name)
			e.b = append(e.b, byte(ex.Kind))
			e.u32(ex.Index)
		}
	case SectionStart:
		e.u32(m.Start)
	case SectionElement:
		e.u32(uint32(n))
		for i := range m.Elems {
			if err := e.elem(&m.Elems[i]); err != nil {
				return fmt.Errorf("wasm: encode: element segment %d: %w", i, err)
			}
		}
	case SectionDataCount:
		e.u32(m.DataCount)
	case SectionCode:
		e.u32(uint32(n))
		if err := e.code(m.Funcs); err != nil {
			return err
		}
	case SectionData:
		e.u32(uint32(n))
		for i := range m.Datas {
			ds := &m.Datas[i]
			switch {
			case ds.Mode == SegmentPassive:
				e.b = append(e.b, 1)
			case ds.Memory != 0 || ds.Form == 2:
				e.b = append(e.b, 2)
				e.u32(ds.Memory)
			default:
				e.b = append(e.b, 0)
			}
			if ds.Mode != SegmentPassive {
				if err := e.expr(ds.Offset, nil); err != nil {
					return fmt.Errorf("wasm: encode: data segment %d: %w", i, err)
				}
			}
			e.u32(uint32(len(ds.Init)))
			e.b = append(e.b, ds.Init...)
		}
	}
	return e.end(s)
}

// elemForm picks the flags value for s: its decoded Form when that still
// expresses the segment, else the most explicit form that does.
func elemForm(s *Elem) uint32 {
	exprs := uint32(0)
	if s.Exprs != nil {
		exprs = 4
	}
	switch s.Mode {
	case SegmentPassive:
		return 1 | exprs
	case SegmentDeclarative:
		return 3 | exprs
	}
	implicitOK := s.Table == 0 && s.Type == FuncRef
	if s.Form&2 == 0 && implicitOK {
		return exprs
	}
	return 2 | exprs
}

func (e *encoder) elem(s *Elem) error {
	flags := elemForm(s)
	e.u32(flags)
	if s.Mode == SegmentActive {
		if flags&2 != 0 {
			e.u32(s.Table)
		}
		if err := e.expr(s.Offset, nil); err != nil {
			return err
		}
	}
	if flags&3 != 0 {
		if flags&4 == 0 {
			if s.Type != FuncRef {
				return fmt.Errorf("function-index element segment must have type funcref, has %s", s.Type)
			}
			e.b = append(e.b, 0)
		} else {
			e.b = append(e.b, byte(s.Type))
		}
	}
	if flags&4 == 0 {
		e.u32(uint32(len(s.Funcs)))
		for _, f := range s.Funcs {
			e.u32(f)
		}
		return nil
	}
	e.u32(uint32(len(s.Exprs)))
	for _, x := range s.Exprs {
		if err := e.expr(x, nil); err != nil {
			return err
		}
	}
	return nil
}

// code encodes the function bodies. A large module's bodies are encoded
// in parallel (see Split): each worker appends its ranges to its own
// buffer and the ranges are then copied out in function order, so the
// bytes are those of one pass in order.
func (e *encoder) code(funcs []Func) error {
	split := NewSplit(len(funcs), func(i int) int { return len(funcs[i].Body) }, minParallelInstrs)
	one := func(w *encoder, lo, hi int) error {
		for i := lo; i < hi; i++ {
			if err := w.funcBody(&funcs[i]); err != nil {
				return fmt.Errorf("wasm: encode: defined function %d: %w", i, err)
			}
		}
		return nil
	}
	if split.Workers == 1 {
		return split.Run(func(_, lo, hi int) error { return one(e, lo, hi) })
	}
	type span struct{ w, start, end, hi int }
	spans := make([]span, len(funcs)) // indexed by the first function of a range
	bufs := make([]encoder, split.Workers)
	size := 0
	for i := range funcs {
		size += 12 + 2*len(funcs[i].Locals) + 9*len(funcs[i].Body)/4
	}
	err := split.Run(func(w, lo, hi int) error {
		b := &bufs[w]
		if b.b == nil {
			b.b = make([]byte, 0, size/split.Workers+size/8)
		}
		start := len(b.b)
		if err := one(b, lo, hi); err != nil {
			return err
		}
		spans[lo] = span{w, start, len(b.b), hi}
		return nil
	})
	if err != nil {
		return err
	}
	for i := 0; i < len(funcs); i = spans[i].hi {
		sp := spans[i]
		e.b = append(e.b, bufs[sp.w].b[sp.start:sp.end]...)
	}
	return nil
}

func (e *encoder) funcBody(f *Func) error {
	s := e.begin()
	groups := 0
	for i := range f.Locals {
		if i == 0 || f.Locals[i] != f.Locals[i-1] {
			groups++
		}
	}
	e.u32(uint32(groups))
	for i := 0; i < len(f.Locals); {
		j := i
		for j < len(f.Locals) && f.Locals[j] == f.Locals[i] {
			j++
		}
		e.u32(uint32(j - i))
		e.b = append(e.b, byte(f.Locals[i]))
		i = j
	}
	if err := e.expr(f.Body, f.Labels); err != nil {
		return err
	}
	return e.end(s)
}

// expr encodes a body or constant expression; labels holds the br_table
// targets (the function's Labels; nil for a constant expression). The loop
// keeps the output slice in a local and inlines the one-byte LEB case:
// most instructions are an opcode byte plus at most one small index.
func (e *encoder) expr(body []Instr, labels []uint32) error {
	b := e.b
	for i := range body {
		in := &body[i]
		op := in.Op
		var k immKind
		if op < 0x100 {
			k = immTab[0][op]
			b = append(b, byte(op))
		} else {
			k = op.immOf()
			b = append(b, byte(op>>16))
			b = appendU32(b, uint32(op&0xFFFF))
		}
		switch k {
		case immNone:
		case immLabel, immFunc, immLocal, immGlobal, immTable, immData, immElem:
			if in.Index < 0x80 {
				b = append(b, byte(in.Index))
			} else {
				b = appendU32(b, in.Index)
			}
		case immBlock:
			b = appendS64(b, int64(in.Block))
		case immMemArg:
			b = appendU32(b, in.Align)
			b = appendU32(b, in.Offset)
		case immI32:
			b = appendS64(b, int64(int32(in.Value)))
		case immI64:
			b = appendS64(b, int64(in.Value))
		case immBrTable:
			targets, ok := in.BrLabels(labels)
			if !ok {
				e.b = b
				return fmt.Errorf("instruction %d: br_table names targets %d..%d+%d of %d", i, in.Value, in.Value, in.Index2, len(labels))
			}
			b = appendU32(b, uint32(len(targets)))
			for _, l := range targets {
				b = appendU32(b, l)
			}
			b = appendU32(b, in.Index)
		case immCallIndirect, immTableInit, immTableCopy:
			b = appendU32(b, in.Index)
			b = appendU32(b, in.Index2)
		case immMemLane:
			b = appendU32(b, in.Align)
			b = appendU32(b, in.Offset)
			b = append(b, in.Lane)
		case immF32:
			v := uint32(in.Value)
			b = append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
		case immF64:
			b = appendU64le(b, in.Value)
		case immV128, immShuffle:
			b = appendU64le(b, in.Value)
			b = appendU64le(b, in.ValueHi)
		case immLane:
			b = append(b, in.Lane)
		case immSelectT:
			b = append(b, 1, byte(in.Index))
		case immRefType:
			b = append(b, byte(in.Index))
		case immMemZero:
			b = append(b, 0)
		case immMemInit:
			b = appendU32(b, in.Index)
			b = append(b, 0)
		case immMemCopy:
			b = append(b, 0, 0)
		default:
			e.b = b
			return fmt.Errorf("instruction %d: unknown opcode %s", i, op)
		}
	}
	e.b = b
	return nil
}

func appendU64le(b []byte, v uint64) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24), byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56))
}

// anchorsCustom reports whether a custom section is placed after section
// id; an empty vector section is then still written, so that the custom
// section's position survives a round trip.
func anchorsCustom(m *Module, id SectionID) bool {
	for i := range m.Customs {
		if m.Customs[i].After == id {
			return true
		}
	}
	return false
}
