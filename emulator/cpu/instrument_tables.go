package cpu

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"dosemu/emulator/wasm"
)

// Tables and segments as execution state.
//
// A table changed at run time (table.set, table.grow, table.fill,
// table.copy, table.init) and a segment dropped at run time (elem.drop,
// data.drop) are part of a process's state: a fresh instance would have
// the tables and segments instantiation gives. The rewrite makes them
// capturable, and only in modules whose code contains such instructions:
//
//   - each defined table that is the target of a change gets four exported
//     accessors, __dosemu_tsize<T>, __dosemu_tget<T>, __dosemu_tset<T> and
//     __dosemu_tgrow<T> (size, read an entry, write an entry, grow with
//     null entries), which the host calls only while the thread is
//     stopped;
//   - a funcref entry is named by a function index: the rewrite adds a
//     table holding every function a reference can be made to (those
//     named by ref.func or by an element segment), filled by an active
//     segment, and an accessor __dosemu_fref(k) reading its slot k, so
//     the host can map an engine reference to its function and back;
//   - each elem.drop and data.drop first sets a mutable i32 global of its
//     own (one per segment), so the dropped set is captured with the
//     globals; __dosemu_redrop drops again, after a restore, every
//     segment whose flag is set.
//
// wazero's API reads and writes only the low 64 bits of a v128 global, so
// each mutable v128 global gets two accessors as well: __dosemu_vhi<G>
// returns its high half and __dosemu_vset<G> sets both halves.
//
// The accessors are leaves: they charge their own few instructions to the
// fuel global, which the host does not read after a capture started and
// which the next Run overwrites. Imported tables belong to their exporter
// and are not captured, nor are changes another module makes to a table
// this one exports.

// Export names of the table accessors (the table index follows).
const (
	exportTSize  = "__dosemu_tsize"
	exportTGet   = "__dosemu_tget"
	exportTSet   = "__dosemu_tset"
	exportTGrow  = "__dosemu_tgrow"
	exportFRef   = "__dosemu_fref"
	exportRedrop = "__dosemu_redrop"
	exportVHi    = "__dosemu_vhi"
	exportVSet   = "__dosemu_vset"
)

// addStateAccessors adds what makes run-time table changes, segment drops
// and v128 globals capturable (see above); a module with none of them is
// left untouched.
func addStateAccessors(m *wasm.Module) {
	addV128Access(m)
	addTableState(m)
}

// addV128Access adds __dosemu_vhi<G> and __dosemu_vset<G> for each defined
// mutable v128 global G.
func addV128Access(m *wasm.Module) {
	var nImpGlob uint32
	for _, im := range m.Imports {
		if im.Kind == wasm.ExternGlobal {
			nImpGlob++
		}
	}
	n := len(m.Globals)
	for i := 0; i < n; i++ {
		g := m.Globals[i].Type
		if !g.Mutable || g.Type != wasm.V128 {
			continue
		}
		idx := nImpGlob + uint32(i)
		suffix := strconv.FormatUint(uint64(idx), 10)
		i64 := []wasm.ValType{wasm.I64}
		hi := m.AddFunc(m.AddType(wasm.FuncType{Results: i64}), nil, []wasm.Instr{
			{Op: wasm.OpGlobalGet, Index: idx}, {Op: wasm.OpI64x2ExtractLane, Lane: 1}, {Op: wasm.OpEnd}})
		set := m.AddFunc(m.AddType(wasm.FuncType{Params: []wasm.ValType{wasm.I64, wasm.I64}}), nil, []wasm.Instr{
			{Op: wasm.OpLocalGet, Index: 0}, {Op: wasm.OpI64x2Splat},
			{Op: wasm.OpLocalGet, Index: 1}, {Op: wasm.OpI64x2ReplaceLane, Lane: 1},
			{Op: wasm.OpGlobalSet, Index: idx}, {Op: wasm.OpEnd}})
		m.Exports = append(m.Exports,
			wasm.Export{Name: exportVHi + suffix, Kind: wasm.ExternFunc, Index: hi},
			wasm.Export{Name: exportVSet + suffix, Kind: wasm.ExternFunc, Index: set})
	}
}

// addTableState prepares m for capturing its changed tables and dropped
// segments (see above). It runs before the rest of the rewrite, on the
// original module, and leaves a module that changes neither untouched.
// Cost: one pass over the instructions; for modules that change tables,
// an extra table with one entry per referenceable function.
func addTableState(m *wasm.Module) {
	var nImpTables uint32
	for _, im := range m.Imports {
		if im.Kind == wasm.ExternTable {
			nImpTables++
		}
	}
	if s := m.Summary; s.Known && !s.TableChanges && !s.SegmentDrops {
		return // what Decode saw spares reading every body
	}
	changed := map[uint32]bool{}
	dropsElem, dropsData := false, false
	for i := range m.Funcs {
		for _, in := range m.Funcs[i].Body {
			switch in.Op {
			case wasm.OpTableSet, wasm.OpTableGrow, wasm.OpTableFill, wasm.OpTableCopy:
				changed[in.Index] = true
			case wasm.OpTableInit:
				changed[in.Index2] = true
			case wasm.OpElemDrop:
				dropsElem = true
			case wasm.OpDataDrop:
				dropsData = true
			}
		}
	}
	if len(changed) == 0 && !dropsElem && !dropsData {
		return
	}
	ty := func(params, results []wasm.ValType) uint32 {
		return m.AddType(wasm.FuncType{Params: params, Results: results})
	}
	export := func(name string, fn uint32) {
		m.Exports = append(m.Exports, wasm.Export{Name: name, Kind: wasm.ExternFunc, Index: fn})
	}
	i32 := []wasm.ValType{wasm.I32}
	for t := nImpTables; t < nImpTables+uint32(len(m.Tables)); t++ {
		if !changed[t] {
			continue
		}
		rt := m.Tables[t-nImpTables].Elem
		ref := []wasm.ValType{rt}
		suffix := strconv.FormatUint(uint64(t), 10)
		export(exportTSize+suffix, m.AddFunc(ty(nil, i32), nil, []wasm.Instr{
			{Op: wasm.OpTableSize, Index: t}, {Op: wasm.OpEnd}}))
		export(exportTGet+suffix, m.AddFunc(ty(i32, ref), nil, []wasm.Instr{
			{Op: wasm.OpLocalGet, Index: 0}, {Op: wasm.OpTableGet, Index: t}, {Op: wasm.OpEnd}}))
		export(exportTSet+suffix, m.AddFunc(ty([]wasm.ValType{wasm.I32, rt}, nil), nil, []wasm.Instr{
			{Op: wasm.OpLocalGet, Index: 0}, {Op: wasm.OpLocalGet, Index: 1}, {Op: wasm.OpTableSet, Index: t}, {Op: wasm.OpEnd}}))
		export(exportTGrow+suffix, m.AddFunc(ty(i32, i32), nil, []wasm.Instr{
			{Op: wasm.OpRefNull, Index: uint32(rt)}, {Op: wasm.OpLocalGet, Index: 0}, {Op: wasm.OpTableGrow, Index: t}, {Op: wasm.OpEnd}}))
	}
	if len(changed) > 0 {
		addRefTable(m, nImpTables, ty(i32, []wasm.ValType{wasm.FuncRef}), export)
	}
	if dropsElem || dropsData {
		addDropFlags(m, ty(nil, nil), export)
	}
	// The accessors hold such instructions too (the summary was true
	// already if Known, but keep it exact).
	m.Summary.TableChanges = m.Summary.TableChanges || len(changed) > 0
	m.Summary.SegmentDrops = m.Summary.SegmentDrops || dropsElem || dropsData
}

// addRefTable adds the table of referenceable functions, its filling
// segment and __dosemu_fref.
func addRefTable(m *wasm.Module, nImpTables uint32, frefType uint32, export func(string, uint32)) {
	seen := map[uint32]bool{}
	var funcs []uint32
	note := func(f uint32) {
		if !seen[f] {
			seen[f] = true
			funcs = append(funcs, f)
		}
	}
	refs := func(x []wasm.Instr) {
		for _, in := range x {
			if in.Op == wasm.OpRefFunc {
				note(in.Index)
			}
		}
	}
	for i := range m.Elems {
		for _, f := range m.Elems[i].Funcs {
			note(f)
		}
		for _, x := range m.Elems[i].Exprs {
			refs(x)
		}
	}
	for i := range m.Globals {
		refs(m.Globals[i].Init)
	}
	for i := range m.Funcs {
		refs(m.Funcs[i].Body)
	}
	n := uint32(len(funcs))
	rt := nImpTables + uint32(len(m.Tables))
	m.Tables = append(m.Tables, wasm.TableType{Elem: wasm.FuncRef, Limits: wasm.Limits{Min: n, Max: n, HasMax: true}})
	m.Elems = append(m.Elems, wasm.Elem{Mode: wasm.SegmentActive, Table: rt, Type: wasm.FuncRef, Funcs: funcs,
		Offset: []wasm.Instr{{Op: wasm.OpI32Const}, {Op: wasm.OpEnd}}, Form: elemFormTable(rt)})
	export(exportFRef, m.AddFunc(frefType, nil, []wasm.Instr{
		{Op: wasm.OpLocalGet, Index: 0}, {Op: wasm.OpTableGet, Index: rt}, {Op: wasm.OpEnd}}))
}

// elemFormTable is the element segment encoding for an active funcref
// segment given as function indices: form 0 only addresses table 0.
func elemFormTable(t uint32) uint8 {
	if t == 0 {
		return 0
	}
	return 2
}

// addDropFlags gives every element and data segment that some elem.drop
// or data.drop names a mutable i32 flag global, sets it before each drop,
// and adds __dosemu_redrop.
func addDropFlags(m *wasm.Module, voidType uint32, export func(string, uint32)) {
	elemFlag := map[uint32]uint32{}
	dataFlag := map[uint32]uint32{}
	flag := func(flags map[uint32]uint32, seg uint32) uint32 {
		g, ok := flags[seg]
		if !ok {
			g = m.AddGlobal(wasm.GlobalType{Type: wasm.I32, Mutable: true}, []wasm.Instr{{Op: wasm.OpI32Const}})
			flags[seg] = g
		}
		return g
	}
	for i := range m.Funcs {
		f := &m.Funcs[i]
		n := 0
		for _, in := range f.Body {
			if in.Op == wasm.OpElemDrop || in.Op == wasm.OpDataDrop {
				n++
			}
		}
		if n == 0 {
			continue
		}
		body := make([]wasm.Instr, 0, len(f.Body)+2*n)
		for _, in := range f.Body {
			switch in.Op {
			case wasm.OpElemDrop:
				body = append(body, wasm.Instr{Op: wasm.OpI32Const, Value: 1}, wasm.Instr{Op: wasm.OpGlobalSet, Index: flag(elemFlag, in.Index)})
			case wasm.OpDataDrop:
				body = append(body, wasm.Instr{Op: wasm.OpI32Const, Value: 1}, wasm.Instr{Op: wasm.OpGlobalSet, Index: flag(dataFlag, in.Index)})
			}
			body = append(body, in)
		}
		f.Body = body
	}
	var redrop []wasm.Instr
	emit := func(flags map[uint32]uint32, op wasm.Opcode, nSegs int) {
		for seg := uint32(0); seg < uint32(nSegs); seg++ {
			g, ok := flags[seg]
			if !ok {
				continue
			}
			redrop = append(redrop,
				wasm.Instr{Op: wasm.OpGlobalGet, Index: g},
				wasm.Instr{Op: wasm.OpIf, Block: wasm.BlockEmpty},
				wasm.Instr{Op: op, Index: seg},
				wasm.Instr{Op: wasm.OpEnd})
		}
	}
	// Segment indices out of range would not validate; the rewrite runs
	// on validated modules only, but stay within range regardless.
	emit(elemFlag, wasm.OpElemDrop, len(m.Elems))
	emit(dataFlag, wasm.OpDataDrop, len(m.Datas))
	redrop = append(redrop, wasm.Instr{Op: wasm.OpEnd})
	export(exportRedrop, m.AddFunc(voidType, nil, redrop))
}

// tablePlan is the runtime's view of what addTableState added, read back
// from the instrumented module's exports.
type tablePlan struct {
	tables []planTable
	// refs lists, per slot of the reference table, the function index
	// (in the instrumented module) it holds; nil when no table is
	// captured.
	refs   []uint32
	redrop bool
	// v128 lists the mutable v128 globals (global index) in index order;
	// their high halves follow the Rewrite.Globals values in a capture.
	v128 []uint32
}

// planTable is one captured table.
type planTable struct {
	index uint32
	elem  wasm.ValType
}

// tablePlanOf reads the plan from the instrumented module: the accessor
// exports name the captured tables, and the reference table's filling
// segment lists the functions. A module the rewrite left alone has an
// empty plan.
func tablePlanOf(m *wasm.Module) (tablePlan, error) {
	var p tablePlan
	var nImpTables uint32
	var tableTypes []wasm.ValType
	for _, im := range m.Imports {
		if im.Kind == wasm.ExternTable {
			nImpTables++
			tableTypes = append(tableTypes, im.Table.Elem)
		}
	}
	for _, t := range m.Tables {
		tableTypes = append(tableTypes, t.Elem)
	}
	hasFRef := false
	for _, ex := range m.Exports {
		if ex.Kind != wasm.ExternFunc {
			continue
		}
		switch {
		case ex.Name == exportFRef:
			hasFRef = true
		case ex.Name == exportRedrop:
			p.redrop = true
		case strings.HasPrefix(ex.Name, exportVHi):
			g, err := strconv.ParseUint(ex.Name[len(exportVHi):], 10, 32)
			if err != nil {
				return p, fmt.Errorf("v128 accessor %q names no global", ex.Name)
			}
			p.v128 = append(p.v128, uint32(g))
		case strings.HasPrefix(ex.Name, exportTSize):
			t, err := strconv.ParseUint(ex.Name[len(exportTSize):], 10, 32)
			if err != nil || t >= uint64(len(tableTypes)) || uint32(t) < nImpTables {
				return p, fmt.Errorf("table accessor %q names no defined table", ex.Name)
			}
			p.tables = append(p.tables, planTable{index: uint32(t), elem: tableTypes[t]})
		}
	}
	slices.Sort(p.v128)
	if len(p.tables) > 0 {
		if !hasFRef || len(m.Elems) == 0 {
			return p, fmt.Errorf("captured tables without the reference table")
		}
		// The reference table is the last table, filled by the last segment.
		last := m.Elems[len(m.Elems)-1]
		if last.Mode != wasm.SegmentActive || int(last.Table) != len(tableTypes)-1 || last.Exprs != nil {
			return p, fmt.Errorf("the reference table's segment is missing")
		}
		p.refs = last.Funcs
	}
	return p, nil
}
