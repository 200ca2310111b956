package wasm

import "fmt"

// Unknown is the type of an operand-stack value whose type is not
// constrained: it only occurs in unreachable code, where the stack is
// polymorphic (after unreachable, br, br_table or return).
const Unknown ValType = 0

// FrameKind is the kind of a control frame.
type FrameKind uint8

// Control frame kinds.
const (
	FrameFunc FrameKind = iota
	FrameBlock
	FrameLoop
	FrameIf
	FrameElse
)

// Frame is one control frame of the validation algorithm.
type Frame struct {
	Kind    FrameKind
	Start   int // index of the opening block/loop/if in Body; -1 for the function
	Params  []ValType
	Results []ValType
	// Height is the operand-stack height when the frame was entered,
	// below its parameters: Vals[Height:] belong to this frame, the values
	// below to enclosing frames.
	Height      int
	Unreachable bool // the rest of the frame is unreachable code
}

// LabelTypes returns the types a branch to this frame carries: the
// parameters for a loop, the results otherwise.
func (f *Frame) LabelTypes() []ValType {
	if f.Kind == FrameLoop {
		return f.Params
	}
	return f.Results
}

// StackState is the validation state before an instruction. It is only
// valid during the Visitor call and must not be modified or retained.
type StackState struct {
	Vals   []ValType // operand stack, bottom first
	Frames []Frame   // control frames, outermost (the function) first
}

// Current returns the innermost control frame.
func (s *StackState) Current() *Frame { return &s.Frames[len(s.Frames)-1] }

// Visitor is called by Walk before each instruction i of a body.
// Returning an error stops the walk with that error.
type Visitor func(i int, in *Instr, st *StackState) error

// NumImportedFuncs returns how many functions are imported; defined
// function j has index NumImportedFuncs()+j.
func (m *Module) NumImportedFuncs() int {
	n := 0
	for i := range m.Imports {
		if m.Imports[i].Kind == ExternFunc {
			n++
		}
	}
	return n
}

// FuncTypeIdx returns the type index of function idx (imports included).
func (m *Module) FuncTypeIdx(idx uint32) (uint32, bool) {
	n := uint32(0)
	for i := range m.Imports {
		if m.Imports[i].Kind == ExternFunc {
			if n == idx {
				return m.Imports[i].TypeIdx, true
			}
			n++
		}
	}
	j := idx - n
	if idx < n || j >= uint32(len(m.Funcs)) {
		return 0, false
	}
	return m.Funcs[j].TypeIdx, true
}

// FuncSignature returns the signature of function idx (imports included).
func (m *Module) FuncSignature(idx uint32) (FuncType, bool) {
	ti, ok := m.FuncTypeIdx(idx)
	if !ok || ti >= uint32(len(m.Types)) {
		return FuncType{}, false
	}
	return m.Types[ti], true
}

// Walk type-checks function funcIdx (an index in the function index
// space; it must be a defined function) exactly as validation does and
// calls visit, if not nil, before each instruction with the operand stack
// and control frames at that point. It returns the first type error as an
// *Error naming the function and instruction. Cost: linear in the body
// length plus the values popped and pushed; no allocation per instruction.
func (m *Module) Walk(funcIdx uint32, visit Visitor) error {
	c := newChecker(m)
	return c.function(funcIdx, visit)
}

// FuncTyping is the precomputed operand-stack typing of one function: for
// every instruction, the stack before it, stored as a persistent linked
// stack so the whole table costs O(instructions) memory.
type FuncTyping struct {
	// Points[i] describes the state before Body[i].
	Points []Point
	nodes  []stackNode
}

// Point is the stack summary before one instruction.
type Point struct {
	Height      uint32 // operand values on the stack, all frames
	Base        uint32 // height at which the innermost frame starts
	Depth       uint32 // number of control frames, the function's included
	Unreachable bool   // the instruction is in unreachable code
	top         int32
}

type stackNode struct {
	t      ValType
	parent int32
}

// Stack appends the operand-stack types before instruction i (bottom
// first) to dst and returns it. Cost: O(height).
func (ft *FuncTyping) Stack(i int, dst []ValType) []ValType {
	p := &ft.Points[i]
	start := len(dst)
	for k := uint32(0); k < p.Height; k++ {
		dst = append(dst, 0)
	}
	n := p.top
	for k := len(dst) - 1; k >= start; k-- {
		dst[k] = ft.nodes[n].t
		n = ft.nodes[n].parent
	}
	return dst
}

// Typing computes the FuncTyping of defined function funcIdx (function
// index space), or the type error that makes it invalid.
func (m *Module) Typing(funcIdx uint32) (*FuncTyping, error) {
	c := newChecker(m)
	ft := &FuncTyping{}
	c.rec = ft
	if err := c.function(funcIdx, nil); err != nil {
		return nil, err
	}
	return ft, nil
}

var singleTypes [256][1]ValType

func init() {
	for _, t := range []ValType{I32, I64, F32, F64, V128, FuncRef, ExternRef} {
		singleTypes[t][0] = t
	}
}

// checker holds the module context and the reusable per-function state of
// the validation algorithm.
type checker struct {
	m         *Module
	funcTypes []uint32
	globals   []GlobalType
	tables    []TableType
	nMems     int
	nImpGlob  int
	refs      []bool
	// per function
	labels   []uint32 // the function's br_table targets
	locals   []ValType
	results  []ValType
	vals     []ValType
	ctrls    []Frame
	rec      *FuncTyping
	valNodes []int32
	cstack   []ValType  // constant-expression stack
	st       StackState // handed to visitors; kept here so it is not allocated per function
}

func newChecker(m *Module) *checker {
	c := &checker{m: m}
	for i := range m.Imports {
		im := &m.Imports[i]
		switch im.Kind {
		case ExternFunc:
			c.funcTypes = append(c.funcTypes, im.TypeIdx)
		case ExternTable:
			c.tables = append(c.tables, im.Table)
		case ExternMemory:
			c.nMems++
		case ExternGlobal:
			c.globals = append(c.globals, im.Global)
			c.nImpGlob++
		}
	}
	for i := range m.Funcs {
		c.funcTypes = append(c.funcTypes, m.Funcs[i].TypeIdx)
	}
	c.tables = append(c.tables, m.Tables...)
	c.nMems += len(m.Memories)
	for i := range m.Globals {
		c.globals = append(c.globals, m.Globals[i].Type)
	}
	c.refs = make([]bool, len(c.funcTypes))
	mark := func(expr []Instr) {
		for _, in := range expr {
			if in.Op == OpRefFunc && int(in.Index) < len(c.refs) {
				c.refs[in.Index] = true
			}
		}
	}
	for i := range m.Globals {
		mark(m.Globals[i].Init)
	}
	for i := range m.Elems {
		for _, f := range m.Elems[i].Funcs {
			if int(f) < len(c.refs) {
				c.refs[f] = true
			}
		}
		for _, x := range m.Elems[i].Exprs {
			mark(x)
		}
	}
	for _, ex := range m.Exports {
		if ex.Kind == ExternFunc && int(ex.Index) < len(c.refs) {
			c.refs[ex.Index] = true
		}
	}
	return c
}

// fork returns a checker for the same module with its own per-function
// state, for checking bodies on another goroutine. The module context is
// shared: nothing writes it after newChecker.
func (c *checker) fork() *checker {
	return &checker{m: c.m, funcTypes: c.funcTypes, globals: c.globals, tables: c.tables,
		nMems: c.nMems, nImpGlob: c.nImpGlob, refs: c.refs}
}

// typeErr is a type error inside a body; function() adds the location.
type typeErr string

func (e typeErr) Error() string { return string(e) }

func errf(format string, args ...any) error { return typeErr(fmt.Sprintf(format, args...)) }

func (c *checker) push(t ValType) {
	c.vals = append(c.vals, t)
	if c.rec != nil {
		parent := int32(-1)
		if n := len(c.valNodes); n > 0 {
			parent = c.valNodes[n-1]
		}
		c.rec.nodes = append(c.rec.nodes, stackNode{t: t, parent: parent})
		c.valNodes = append(c.valNodes, int32(len(c.rec.nodes)-1))
	}
}

func (c *checker) pushAll(ts []ValType) {
	for _, t := range ts {
		c.push(t)
	}
}

func (c *checker) pop() (ValType, error) {
	f := &c.ctrls[len(c.ctrls)-1]
	n := len(c.vals)
	if n == f.Height {
		if f.Unreachable {
			return Unknown, nil
		}
		return 0, errf("type mismatch: operand stack is empty in the current block")
	}
	t := c.vals[n-1]
	c.vals = c.vals[:n-1]
	if c.rec != nil {
		c.valNodes = c.valNodes[:n-1]
	}
	return t, nil
}

func (c *checker) popWant(want ValType) (ValType, error) {
	t, err := c.pop()
	if err != nil {
		return 0, errf("type mismatch: expected %s, but the operand stack is empty in the current block", want)
	}
	if t != want && t != Unknown && want != Unknown {
		return 0, errf("type mismatch: expected %s, got %s", want, t)
	}
	return t, nil
}

// popAll pops ts (last first) and checks their types.
func (c *checker) popAll(ts []ValType) error {
	for i := len(ts) - 1; i >= 0; i-- {
		if _, err := c.popWant(ts[i]); err != nil {
			return err
		}
	}
	return nil
}

// popPush pops ts and pushes back what was popped (possibly Unknown), as
// br_table does for each of its labels.
func (c *checker) popPush(ts []ValType) error {
	var buf [8]ValType
	got := buf[:0]
	if len(ts) > len(buf) {
		got = make([]ValType, 0, len(ts))
	}
	got = got[:len(ts)]
	for i := len(ts) - 1; i >= 0; i-- {
		t, err := c.popWant(ts[i])
		if err != nil {
			return err
		}
		got[i] = t
	}
	c.pushAll(got)
	return nil
}

func (c *checker) pushCtrl(kind FrameKind, start int, in, out []ValType) {
	c.ctrls = append(c.ctrls, Frame{Kind: kind, Start: start, Params: in, Results: out, Height: len(c.vals)})
	c.pushAll(in)
}

func (c *checker) popCtrl() (Frame, error) {
	f := c.ctrls[len(c.ctrls)-1]
	if err := c.popAll(f.Results); err != nil {
		return f, err
	}
	if len(c.vals) != f.Height {
		return f, errf("type mismatch: %d values left on the stack at the end of the block, expected %d (%v)", len(c.vals)-f.Height+len(f.Results), len(f.Results), f.Results)
	}
	c.ctrls = c.ctrls[:len(c.ctrls)-1]
	return f, nil
}

func (c *checker) setUnreachable() {
	f := &c.ctrls[len(c.ctrls)-1]
	c.vals = c.vals[:f.Height]
	if c.rec != nil {
		c.valNodes = c.valNodes[:f.Height]
	}
	f.Unreachable = true
}

func (c *checker) blockSig(bt BlockType) (in, out []ValType, err error) {
	if bt == BlockEmpty {
		return nil, nil, nil
	}
	if bt.IsIndex() {
		if bt.Index() >= uint32(len(c.m.Types)) {
			return nil, nil, errf("unknown type %d in block type", bt.Index())
		}
		t := &c.m.Types[bt.Index()]
		return t.Params, t.Results, nil
	}
	r, _ := bt.Result()
	if !r.Valid() {
		return nil, nil, errf("malformed block type %d", int64(bt))
	}
	return nil, singleTypes[r][:], nil
}

func (c *checker) function(funcIdx uint32, visit Visitor) error {
	m := c.m
	nImp := uint32(len(c.funcTypes) - len(m.Funcs))
	if funcIdx < nImp || funcIdx-nImp >= uint32(len(m.Funcs)) {
		return &Error{Section: SectionCode, Func: int(funcIdx), Instr: -1, Offset: -1, Msg: "not a defined function"}
	}
	f := &m.Funcs[funcIdx-nImp]
	fail := func(i int, err error) error {
		return &Error{Section: SectionCode, Func: int(funcIdx), Instr: i, Offset: int(f.Offset), Msg: err.Error()}
	}
	if f.TypeIdx >= uint32(len(m.Types)) {
		return fail(-1, errf("unknown type %d", f.TypeIdx))
	}
	sig := &m.Types[f.TypeIdx]
	c.locals = append(append(c.locals[:0], sig.Params...), f.Locals...)
	c.results = sig.Results
	c.labels = f.Labels
	c.vals = c.vals[:0]
	c.ctrls = c.ctrls[:0]
	c.valNodes = c.valNodes[:0]
	c.ctrls = append(c.ctrls, Frame{Kind: FrameFunc, Start: -1, Results: sig.Results})
	if c.rec != nil {
		c.rec.Points = make([]Point, len(f.Body))
		c.rec.nodes = c.rec.nodes[:0]
	}
	st := &c.st
	for i := range f.Body {
		in := &f.Body[i]
		if len(c.ctrls) == 0 {
			return fail(i, errf("instruction after the end of the function"))
		}
		if c.rec != nil {
			top := int32(-1)
			if n := len(c.valNodes); n > 0 {
				top = c.valNodes[n-1]
			}
			cur := &c.ctrls[len(c.ctrls)-1]
			c.rec.Points[i] = Point{Height: uint32(len(c.vals)), Base: uint32(cur.Height), Depth: uint32(len(c.ctrls)), Unreachable: cur.Unreachable, top: top}
		}
		if visit != nil {
			st.Vals, st.Frames = c.vals, c.ctrls
			if err := visit(i, in, st); err != nil {
				return err
			}
		}
		if err := c.instr(i, in); err != nil {
			return fail(i, fmt.Errorf("%s: %w", in.Op, err))
		}
	}
	if len(c.ctrls) != 0 {
		return fail(len(f.Body), errf("function body does not end with end"))
	}
	return nil
}

func (c *checker) memory(op Opcode) error {
	if c.nMems == 0 {
		return errf("unknown memory 0 (the module has no memory)")
	}
	return nil
}

func (c *checker) table(idx uint32) (*TableType, error) {
	if idx >= uint32(len(c.tables)) {
		return nil, errf("unknown table %d", idx)
	}
	return &c.tables[idx], nil
}

func (c *checker) label(depth uint32) (*Frame, error) {
	if depth >= uint32(len(c.ctrls)) {
		return nil, errf("unknown label %d (depth %d)", depth, len(c.ctrls))
	}
	return &c.ctrls[len(c.ctrls)-1-int(depth)], nil
}

func (c *checker) dataCount() uint32 {
	if c.m.HasDataCount {
		return c.m.DataCount
	}
	return uint32(len(c.m.Datas))
}

func (c *checker) instr(i int, in *Instr) error {
	sg := in.Op.sig()
	if sg.flags&sigValid == 0 {
		return errf("unknown opcode")
	}
	switch sg.imm {
	case immMemArg, immMemLane:
		if err := c.memory(in.Op); err != nil {
			return err
		}
		if in.Align > uint32(sg.align) {
			return errf("alignment must not be larger than natural (2^%d > %d bytes)", in.Align, 1<<sg.align)
		}
		if sg.imm == immMemLane && in.Lane >= sg.lanes {
			return errf("invalid lane index %d (max %d)", in.Lane, sg.lanes-1)
		}
	case immLane:
		if in.Lane >= sg.lanes {
			return errf("invalid lane index %d (max %d)", in.Lane, sg.lanes-1)
		}
	case immShuffle:
		b := in.V128Bytes()
		for _, l := range b {
			if l >= 32 {
				return errf("invalid lane index %d (max 31)", l)
			}
		}
	case immMemZero, immMemCopy:
		if err := c.memory(in.Op); err != nil {
			return err
		}
	}
	if sg.flags&sigFixed != 0 {
		// Fast path: the operands are all there with exactly the wanted
		// types. Anything else (too few values, Unknown in unreachable
		// code, a mismatch) takes the general path, which also words
		// the error.
		n := int(sg.nin)
		base := len(c.vals) - n
		if c.rec == nil && base >= c.ctrls[len(c.ctrls)-1].Height {
			ok := true
			for k := 0; k < n; k++ {
				if c.vals[base+k] != sg.in[k] {
					ok = false
					break
				}
			}
			if ok {
				c.vals = append(c.vals[:base], sg.out[:sg.nout]...)
				if sg.flags&sigSpecial == 0 {
					return nil
				}
				return c.special(i, in)
			}
		}
		if err := c.popAll(sg.in[:n]); err != nil {
			return err
		}
		c.pushAll(sg.out[:sg.nout])
		if sg.flags&sigSpecial == 0 {
			return nil
		}
		return c.special(i, in)
	}
	if sg.flags&sigSpecial == 0 {
		// A fixed signature too long for opSig.
		inf := in.Op.info()
		if err := c.popAll(inf.in); err != nil {
			return err
		}
		c.pushAll(inf.out)
	}
	return c.special(i, in)
}

// special handles instructions whose typing depends on immediates or
// context, and the extra index checks of fixed-signature ones.
func (c *checker) special(i int, in *Instr) error {
	m := c.m
	switch in.Op {
	case OpUnreachable:
		c.setUnreachable()
	case OpBlock, OpLoop, OpIf:
		pt, rt, err := c.blockSig(in.Block)
		if err != nil {
			return err
		}
		if in.Op == OpIf {
			if _, err := c.popWant(I32); err != nil {
				return err
			}
		}
		if err := c.popAll(pt); err != nil {
			return err
		}
		kind := FrameBlock
		if in.Op == OpLoop {
			kind = FrameLoop
		} else if in.Op == OpIf {
			kind = FrameIf
		}
		c.pushCtrl(kind, i, pt, rt)
	case OpElse:
		if c.ctrls[len(c.ctrls)-1].Kind != FrameIf {
			return errf("else without a matching if")
		}
		f, err := c.popCtrl()
		if err != nil {
			return err
		}
		c.pushCtrl(FrameElse, f.Start, f.Params, f.Results)
	case OpEnd:
		f, err := c.popCtrl()
		if err != nil {
			return err
		}
		if f.Kind == FrameIf && !sameTypes(f.Params, f.Results) {
			return errf("type mismatch: if without else must have equal parameter and result types")
		}
		if len(c.ctrls) > 0 {
			c.pushAll(f.Results)
		}
	case OpBr:
		f, err := c.label(in.Index)
		if err != nil {
			return err
		}
		if err := c.popAll(f.LabelTypes()); err != nil {
			return err
		}
		c.setUnreachable()
	case OpBrIf:
		if _, err := c.popWant(I32); err != nil {
			return err
		}
		f, err := c.label(in.Index)
		if err != nil {
			return err
		}
		if err := c.popAll(f.LabelTypes()); err != nil {
			return err
		}
		c.pushAll(f.LabelTypes())
	case OpBrTable:
		if _, err := c.popWant(I32); err != nil {
			return err
		}
		def, err := c.label(in.Index)
		if err != nil {
			return err
		}
		arity := len(def.LabelTypes())
		targets, ok := in.BrLabels(c.labels)
		if !ok {
			return errf("br_table names targets %d..%d+%d of the function's %d", in.Value, in.Value, in.Index2, len(c.labels))
		}
		for _, l := range targets {
			f, err := c.label(l)
			if err != nil {
				return err
			}
			lt := f.LabelTypes()
			if len(lt) != arity {
				return errf("type mismatch: br_table label %d carries %d values, default carries %d", l, len(lt), arity)
			}
			if err := c.popPush(lt); err != nil {
				return err
			}
		}
		def, _ = c.label(in.Index)
		if err := c.popAll(def.LabelTypes()); err != nil {
			return err
		}
		c.setUnreachable()
	case OpReturn:
		if err := c.popAll(c.results); err != nil {
			return err
		}
		c.setUnreachable()
	case OpCall:
		if in.Index >= uint32(len(c.funcTypes)) {
			return errf("unknown function %d", in.Index)
		}
		ti := c.funcTypes[in.Index]
		if ti >= uint32(len(m.Types)) {
			return errf("function %d has unknown type %d", in.Index, ti)
		}
		t := &m.Types[ti]
		if err := c.popAll(t.Params); err != nil {
			return err
		}
		c.pushAll(t.Results)
	case OpCallIndirect:
		tab, err := c.table(in.Index2)
		if err != nil {
			return err
		}
		if tab.Elem != FuncRef {
			return errf("type mismatch: table %d holds %s, not funcref", in.Index2, tab.Elem)
		}
		if in.Index >= uint32(len(m.Types)) {
			return errf("unknown type %d", in.Index)
		}
		if _, err := c.popWant(I32); err != nil {
			return err
		}
		t := &m.Types[in.Index]
		if err := c.popAll(t.Params); err != nil {
			return err
		}
		c.pushAll(t.Results)
	case OpDrop:
		_, err := c.pop()
		return err
	case OpSelect:
		if _, err := c.popWant(I32); err != nil {
			return err
		}
		t1, err := c.pop()
		if err != nil {
			return err
		}
		t2, err := c.pop()
		if err != nil {
			return err
		}
		if t1.IsRef() || t2.IsRef() {
			return errf("type mismatch: untyped select cannot choose references")
		}
		if t1 != t2 && t1 != Unknown && t2 != Unknown {
			return errf("type mismatch: select operands %s and %s differ", t2, t1)
		}
		if t1 == Unknown {
			t1 = t2
		}
		c.push(t1)
	case OpSelectT:
		t := ValType(in.Index)
		if !t.Valid() {
			return errf("malformed select type %s", t)
		}
		if _, err := c.popWant(I32); err != nil {
			return err
		}
		if err := c.popAll([]ValType{t, t}); err != nil {
			return err
		}
		c.push(t)
	case OpLocalGet, OpLocalSet, OpLocalTee:
		if in.Index >= uint32(len(c.locals)) {
			return errf("unknown local %d", in.Index)
		}
		t := c.locals[in.Index]
		if in.Op != OpLocalGet {
			if _, err := c.popWant(t); err != nil {
				return err
			}
		}
		if in.Op != OpLocalSet {
			c.push(t)
		}
	case OpGlobalGet, OpGlobalSet:
		if in.Index >= uint32(len(c.globals)) {
			return errf("unknown global %d", in.Index)
		}
		g := c.globals[in.Index]
		if in.Op == OpGlobalGet {
			c.push(g.Type)
		} else {
			if !g.Mutable {
				return errf("global %d is immutable", in.Index)
			}
			_, err := c.popWant(g.Type)
			return err
		}
	case OpTableGet, OpTableSet, OpTableGrow, OpTableFill, OpTableSize:
		tab, err := c.table(in.Index)
		if err != nil {
			return err
		}
		switch in.Op {
		case OpTableGet:
			if _, err := c.popWant(I32); err != nil {
				return err
			}
			c.push(tab.Elem)
		case OpTableSet:
			return c.popAll([]ValType{I32, tab.Elem})
		case OpTableGrow:
			if err := c.popAll([]ValType{tab.Elem, I32}); err != nil {
				return err
			}
			c.push(I32)
		case OpTableFill:
			return c.popAll([]ValType{I32, tab.Elem, I32})
		}
	case OpRefNull:
		t := ValType(in.Index)
		if !t.IsRef() {
			return errf("malformed reference type %s", t)
		}
		c.push(t)
	case OpRefIsNull:
		t, err := c.pop()
		if err != nil {
			return errf("type mismatch: expected a reference, but the operand stack is empty")
		}
		if t != Unknown && !t.IsRef() {
			return errf("type mismatch: expected a reference, got %s", t)
		}
		c.push(I32)
	case OpRefFunc:
		if in.Index >= uint32(len(c.funcTypes)) {
			return errf("unknown function %d", in.Index)
		}
		if !c.refs[in.Index] {
			return errf("undeclared function reference %d (not in an element segment, export or global)", in.Index)
		}
		c.push(FuncRef)
	case OpMemoryInit, OpDataDrop:
		if in.Op == OpMemoryInit {
			if err := c.memory(in.Op); err != nil {
				return err
			}
		}
		if !m.HasDataCount {
			return errf("data count section required")
		}
		if in.Index >= c.dataCount() {
			return errf("unknown data segment %d", in.Index)
		}
	case OpTableInit, OpElemDrop:
		if in.Index >= uint32(len(m.Elems)) {
			return errf("unknown element segment %d", in.Index)
		}
		if in.Op == OpTableInit {
			tab, err := c.table(in.Index2)
			if err != nil {
				return err
			}
			if et := m.Elems[in.Index].Type; et != tab.Elem {
				return errf("type mismatch: element segment %d has %s, table %d holds %s", in.Index, et, in.Index2, tab.Elem)
			}
		}
	case OpTableCopy:
		dst, err := c.table(in.Index)
		if err != nil {
			return err
		}
		src, err := c.table(in.Index2)
		if err != nil {
			return err
		}
		if dst.Elem != src.Elem {
			return errf("type mismatch: table.copy from %s table to %s table", src.Elem, dst.Elem)
		}
	}
	return nil
}

func sameTypes(a, b []ValType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
