package wasm

import "fmt"

// maxMemPages is the 4 GiB limit of a 32-bit memory, in 64 KiB pages.
const maxMemPages = 65536

// Validate checks m against the WebAssembly 2.0 validation rules: index
// ranges, limits, constant expressions, export names, the start function,
// segment types, and the type of every function body (see Walk). It also
// refuses more than one memory (multi-memory is not supported). The error
// is an *Error naming the section and, for bodies, the function and
// instruction. Cost: linear in the module size; the function bodies are
// checked on up to GOMAXPROCS goroutines.
func Validate(m *Module) error {
	c := newChecker(m)
	fail := func(sec SectionID, format string, args ...any) error {
		return &Error{Section: sec, Func: -1, Instr: -1, Offset: -1, Msg: fmt.Sprintf(format, args...)}
	}
	nTypes := uint32(len(m.Types))
	for i := range m.Imports {
		im := &m.Imports[i]
		switch im.Kind {
		case ExternFunc:
			if im.TypeIdx >= nTypes {
				return fail(SectionImport, "import %d (%s.%s): unknown type %d", i, im.Module, im.Name, im.TypeIdx)
			}
		case ExternTable:
			if err := checkLimits(im.Table.Limits, 1<<32-1, "table"); err != nil {
				return fail(SectionImport, "import %d (%s.%s): %v", i, im.Module, im.Name, err)
			}
		case ExternMemory:
			if err := checkLimits(im.Mem.Limits, maxMemPages, "memory"); err != nil {
				return fail(SectionImport, "import %d (%s.%s): %v", i, im.Module, im.Name, err)
			}
		case ExternGlobal:
		default:
			return fail(SectionImport, "import %d (%s.%s): unknown kind %d", i, im.Module, im.Name, im.Kind)
		}
	}
	for i := range m.Funcs {
		if m.Funcs[i].TypeIdx >= nTypes {
			return fail(SectionFunction, "function %d: unknown type %d", len(c.funcTypes)-len(m.Funcs)+i, m.Funcs[i].TypeIdx)
		}
	}
	for i, t := range m.Tables {
		if err := checkLimits(t.Limits, 1<<32-1, "table"); err != nil {
			return fail(SectionTable, "table %d: %v", i, err)
		}
	}
	for i, mt := range m.Memories {
		if err := checkLimits(mt.Limits, maxMemPages, "memory"); err != nil {
			return fail(SectionMemory, "memory %d: %v", i, err)
		}
	}
	if c.nMems > 1 {
		return fail(SectionMemory, "multiple memories (%d): the multi-memory proposal is not supported", c.nMems)
	}
	for i := range m.Globals {
		g := &m.Globals[i]
		if err := c.constExpr(g.Init, g.Type.Type); err != nil {
			return fail(SectionGlobal, "global %d initializer: %v", c.nImpGlob+i, err)
		}
	}
	seen := make(map[string]bool, len(m.Exports))
	for _, ex := range m.Exports {
		if seen[ex.Name] {
			return fail(SectionExport, "duplicate export name %q", ex.Name)
		}
		seen[ex.Name] = true
		var n int
		switch ex.Kind {
		case ExternFunc:
			n = len(c.funcTypes)
		case ExternTable:
			n = len(c.tables)
		case ExternMemory:
			n = c.nMems
		case ExternGlobal:
			n = len(c.globals)
		default:
			return fail(SectionExport, "export %q: unknown kind %d", ex.Name, ex.Kind)
		}
		if ex.Index >= uint32(n) {
			return fail(SectionExport, "export %q: unknown %s %d", ex.Name, ex.Kind, ex.Index)
		}
	}
	if m.HasStart {
		t, ok := m.FuncSignature(m.Start)
		if !ok {
			return fail(SectionStart, "unknown start function %d", m.Start)
		}
		if len(t.Params) != 0 || len(t.Results) != 0 {
			return fail(SectionStart, "start function %d has type %v -> %v, want [] -> []", m.Start, t.Params, t.Results)
		}
	}
	for i := range m.Elems {
		e := &m.Elems[i]
		if !e.Type.IsRef() {
			return fail(SectionElement, "element segment %d: malformed reference type %s", i, e.Type)
		}
		if e.Mode == SegmentActive {
			if e.Table >= uint32(len(c.tables)) {
				return fail(SectionElement, "element segment %d: unknown table %d", i, e.Table)
			}
			if c.tables[e.Table].Elem != e.Type {
				return fail(SectionElement, "element segment %d: type mismatch: %s segment for %s table %d", i, e.Type, c.tables[e.Table].Elem, e.Table)
			}
			if err := c.constExpr(e.Offset, I32); err != nil {
				return fail(SectionElement, "element segment %d offset: %v", i, err)
			}
		}
		for _, f := range e.Funcs {
			if f >= uint32(len(c.funcTypes)) {
				return fail(SectionElement, "element segment %d: unknown function %d", i, f)
			}
		}
		for j, x := range e.Exprs {
			if err := c.constExpr(x, e.Type); err != nil {
				return fail(SectionElement, "element segment %d item %d: %v", i, j, err)
			}
		}
	}
	if m.HasDataCount && m.DataCount != uint32(len(m.Datas)) {
		return fail(SectionDataCount, "data count %d does not match the %d data segments", m.DataCount, len(m.Datas))
	}
	for i := range m.Datas {
		d := &m.Datas[i]
		if d.Mode == SegmentActive {
			if d.Memory >= uint32(c.nMems) {
				return fail(SectionData, "data segment %d: unknown memory %d", i, d.Memory)
			}
			if err := c.constExpr(d.Offset, I32); err != nil {
				return fail(SectionData, "data segment %d offset: %v", i, err)
			}
		}
	}
	// Bodies are checked in parallel (see Split): each worker has its own
	// copy of the per-function state; the error is the lowest function's.
	nImp := uint32(len(c.funcTypes) - len(m.Funcs))
	split := NewSplit(len(m.Funcs), func(i int) int { return len(m.Funcs[i].Body) }, minParallelInstrs)
	checkers := make([]*checker, split.Workers)
	checkers[0] = c
	return split.Run(func(w, lo, hi int) error {
		cw := checkers[w]
		if cw == nil {
			cw = c.fork()
			checkers[w] = cw
		}
		for i := lo; i < hi; i++ {
			if err := cw.function(nImp+uint32(i), nil); err != nil {
				return err
			}
		}
		return nil
	})
}

func checkLimits(l Limits, bound uint64, what string) error {
	if uint64(l.Min) > bound {
		return fmt.Errorf("%s size minimum %d must be at most %d", what, l.Min, bound)
	}
	if l.HasMax {
		if uint64(l.Max) > bound {
			return fmt.Errorf("%s size maximum %d must be at most %d", what, l.Max, bound)
		}
		if l.Max < l.Min {
			return fmt.Errorf("%s size minimum %d must not be greater than maximum %d", what, l.Min, l.Max)
		}
	}
	return nil
}

// constExpr checks a constant expression producing one value of type want.
// As in WebAssembly 2.0 (and wazero), global.get may only read imported
// immutable globals.
func (c *checker) constExpr(expr []Instr, want ValType) error {
	// The stack is reused across expressions: Go modules have tens of
	// thousands of data segments, each with an offset expression.
	stack := c.cstack[:0]
	defer func() { c.cstack = stack[:0] }()
	if len(expr) == 0 || expr[len(expr)-1].Op != OpEnd {
		return fmt.Errorf("constant expression must end with end")
	}
	for k, in := range expr[:len(expr)-1] {
		switch in.Op {
		case OpI32Const:
			stack = append(stack, I32)
		case OpI64Const:
			stack = append(stack, I64)
		case OpF32Const:
			stack = append(stack, F32)
		case OpF64Const:
			stack = append(stack, F64)
		case OpV128Const:
			stack = append(stack, V128)
		case OpRefNull:
			t := ValType(in.Index)
			if !t.IsRef() {
				return fmt.Errorf("malformed reference type %s", t)
			}
			stack = append(stack, t)
		case OpRefFunc:
			if in.Index >= uint32(len(c.funcTypes)) {
				return fmt.Errorf("unknown function %d", in.Index)
			}
			stack = append(stack, FuncRef)
		case OpGlobalGet:
			if in.Index >= uint32(c.nImpGlob) {
				if in.Index < uint32(len(c.globals)) {
					return fmt.Errorf("global.get %d: constant expressions may only read imported globals", in.Index)
				}
				return fmt.Errorf("unknown global %d", in.Index)
			}
			g := c.globals[in.Index]
			if g.Mutable {
				return fmt.Errorf("constant expression required: global %d is mutable", in.Index)
			}
			stack = append(stack, g.Type)
		default:
			return fmt.Errorf("constant expression required: instruction %d is %s", k, in.Op)
		}
	}
	if len(stack) != 1 || stack[0] != want {
		return fmt.Errorf("type mismatch: constant expression yields %v, want [%s]", append([]ValType(nil), stack...), want)
	}
	return nil
}
