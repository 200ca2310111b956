package wasm

import "fmt"

// Editing helpers for rewriters. They keep the module's index spaces
// consistent; everything else is plain field access on the IR.

// AddType returns the index of a type equal to t, appending one if none
// exists. Cost: O(types).
func (m *Module) AddType(t FuncType) uint32 {
	for i := range m.Types {
		if m.Types[i].Equal(t) {
			return uint32(i)
		}
	}
	m.Types = append(m.Types, FuncType{Params: append([]ValType(nil), t.Params...), Results: append([]ValType(nil), t.Results...)})
	return uint32(len(m.Types) - 1)
}

// AddImportFunc adds an imported function with signature t and returns its
// function index, which is the old number of imported functions: every
// defined function's index grows by one. AddImportFunc renumbers all
// references — call, ref.func, element segments, global initializers,
// exports, the start function, and the function-indexed subsections
// (function, local and label names) of the "name" custom section. A name
// section that does not parse is dropped rather than left wrong. Other
// custom sections (e.g. DWARF) refer to code offsets, which any rewrite
// invalidates anyway, and are left alone. Cost: linear in the module.
func (m *Module) AddImportFunc(module, name string, t FuncType) uint32 {
	at := uint32(m.NumImportedFuncs())
	ti := m.AddType(t)
	m.Imports = append(m.Imports, Import{Module: module, Name: name, Kind: ExternFunc, TypeIdx: ti})
	m.shiftFuncs(at)
	return at
}

// shiftFuncs adds one to every function index >= at.
func (m *Module) shiftFuncs(at uint32) {
	shift := func(x *uint32) {
		if *x >= at {
			*x++
		}
	}
	shiftExpr := func(body []Instr) {
		for i := range body {
			if op := body[i].Op; op == OpCall || op == OpRefFunc {
				shift(&body[i].Index)
			}
		}
	}
	for i := range m.Funcs {
		shiftExpr(m.Funcs[i].Body)
	}
	for i := range m.Globals {
		shiftExpr(m.Globals[i].Init)
	}
	for i := range m.Elems {
		e := &m.Elems[i]
		for j := range e.Funcs {
			shift(&e.Funcs[j])
		}
		for _, x := range e.Exprs {
			shiftExpr(x)
		}
	}
	for i := range m.Exports {
		if m.Exports[i].Kind == ExternFunc {
			shift(&m.Exports[i].Index)
		}
	}
	if m.HasStart {
		shift(&m.Start)
	}
	for i := 0; i < len(m.Customs); i++ {
		if m.Customs[i].Name != "name" {
			continue
		}
		data, err := shiftNameSection(m.Customs[i].Data, at)
		if err != nil {
			m.Customs = append(m.Customs[:i], m.Customs[i+1:]...)
			i--
			continue
		}
		m.Customs[i].Data = data
	}
}

// shiftNameSection rewrites the function-indexed subsections of a name
// section (1 function names, 2 local names, 3 label names) with function
// indices >= at shifted by one, copying the others verbatim.
func shiftNameSection(data []byte, at uint32) ([]byte, error) {
	d := &decoder{buf: data, fn: -1, instr: -1, sec: SectionCustom}
	var out []byte
	for d.pos < len(data) {
		id := data[d.pos]
		d.pos++
		size, err := d.u32("name subsection size")
		if err != nil {
			return nil, err
		}
		if uint64(size) > uint64(len(data)-d.pos) {
			return nil, fmt.Errorf("name subsection %d: size %d out of bounds", id, size)
		}
		sub := data[d.pos : d.pos+int(size)]
		d.pos += int(size)
		if id >= 1 && id <= 3 {
			if sub, err = shiftNameMap(sub, at, id != 1); err != nil {
				return nil, err
			}
		}
		out = append(out, id)
		out = appendU32(out, uint32(len(sub)))
		out = append(out, sub...)
	}
	return out, nil
}

// shiftNameMap rewrites a name map (or, if indirect, a map of name maps)
// whose outer keys are function indices.
func shiftNameMap(sub []byte, at uint32, indirect bool) ([]byte, error) {
	d := &decoder{buf: sub, fn: -1, instr: -1, sec: SectionCustom}
	n, err := d.count("name map length", 2)
	if err != nil {
		return nil, err
	}
	out := appendU32(nil, n)
	for ; n > 0; n-- {
		idx, err := d.u32("function index")
		if err != nil {
			return nil, err
		}
		if idx >= at {
			idx++
		}
		out = appendU32(out, idx)
		start := d.pos
		if indirect {
			k, err := d.count("inner name map length", 2)
			if err != nil {
				return nil, err
			}
			for ; k > 0; k-- {
				if _, err := d.u32("inner index"); err != nil {
					return nil, err
				}
				if _, err := d.name("name"); err != nil {
					return nil, err
				}
			}
		} else if _, err := d.name("name"); err != nil {
			return nil, err
		}
		out = append(out, sub[start:d.pos]...)
	}
	if d.pos != len(sub) {
		return nil, fmt.Errorf("name map has %d trailing bytes", len(sub)-d.pos)
	}
	return out, nil
}

// AddGlobal appends a defined global and returns its global index. init is
// a constant expression; a missing final OpEnd is added.
func (m *Module) AddGlobal(t GlobalType, init []Instr) uint32 {
	if len(init) == 0 || init[len(init)-1].Op != OpEnd {
		init = append(append([]Instr(nil), init...), Instr{Op: OpEnd})
	}
	m.Globals = append(m.Globals, Global{Type: t, Init: init})
	n := 0
	for i := range m.Imports {
		if m.Imports[i].Kind == ExternGlobal {
			n++
		}
	}
	return uint32(n + len(m.Globals) - 1)
}

// AddExport adds an export, refusing a name that is already exported.
func (m *Module) AddExport(name string, kind ExternKind, index uint32) error {
	for _, ex := range m.Exports {
		if ex.Name == name {
			return fmt.Errorf("wasm: export %q already exists (%s %d)", name, ex.Kind, ex.Index)
		}
	}
	m.Exports = append(m.Exports, Export{Name: name, Kind: kind, Index: index})
	return nil
}

// AddFunc appends a defined function with type index typeIdx and returns
// its function index. body must end with the function's OpEnd.
func (m *Module) AddFunc(typeIdx uint32, locals []ValType, body []Instr) uint32 {
	if m.Summary.Known {
		m.Summary.note(body)
	}
	m.Funcs = append(m.Funcs, Func{TypeIdx: typeIdx, Locals: locals, Body: body})
	return uint32(m.NumImportedFuncs() + len(m.Funcs) - 1)
}

// ExportedFunc returns the function index exported under name.
func (m *Module) ExportedFunc(name string) (uint32, bool) {
	for _, ex := range m.Exports {
		if ex.Kind == ExternFunc && ex.Name == name {
			return ex.Index, true
		}
	}
	return 0, false
}

// NumInstrs returns the number of instructions in all function bodies.
func (m *Module) NumInstrs() int {
	n := 0
	for i := range m.Funcs {
		n += len(m.Funcs[i].Body)
	}
	return n
}
