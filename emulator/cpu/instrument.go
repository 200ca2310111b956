package cpu

import (
	"fmt"
	"strconv"
	"sync"

	"dosemu/emulator/wasm"
)

// Names the rewrite adds to a module. The "__dosemu_" prefix is reserved:
// a module that already exports such a name is refused.
const (
	cpuModule     = "dosemu_cpu"
	exportFuel    = "__dosemu_fuel"
	exportState   = "__dosemu_state"
	exportStart   = "__dosemu_start"
	exportGlobal  = "__dosemu_g"
	reservedNames = "__dosemu_"
)

// addedGlobals counts the globals the rewrite appends: the budget, the
// state and the rewind's target site.
const addedGlobals = 3

// The continuation state, in the exported global __dosemu_state.
const (
	stateNormal    = 0
	stateUnwinding = 1
	stateRewinding = 2
)

// Imports of the "dosemu_cpu" host module, in the order they are added.
const (
	impYield = iota
	impSaveFrame
	impSaveI32
	impSaveI64
	impSaveF32
	impSaveF64
	impSaveFuncref
	impSaveExternref
	impLoadFrame
	impLoadI32
	impLoadI64
	impLoadF32
	impLoadF64
	impLoadFuncref
	impLoadExternref
	impResumeFuel
	impInnermost
	numImps
)

type hostImport struct {
	name    string
	params  []wasm.ValType
	results []wasm.ValType
}

var hostImports = [numImps]hostImport{
	impYield:         {"yield", nil, nil},
	impSaveFrame:     {"save_frame", []wasm.ValType{wasm.I32, wasm.I32}, nil},
	impSaveI32:       {"save_i32", []wasm.ValType{wasm.I32}, nil},
	impSaveI64:       {"save_i64", []wasm.ValType{wasm.I64}, nil},
	impSaveF32:       {"save_f32", []wasm.ValType{wasm.F32}, nil},
	impSaveF64:       {"save_f64", []wasm.ValType{wasm.F64}, nil},
	impSaveFuncref:   {"save_funcref", []wasm.ValType{wasm.FuncRef}, nil},
	impSaveExternref: {"save_externref", []wasm.ValType{wasm.ExternRef}, nil},
	impLoadFrame:     {"load_frame", []wasm.ValType{wasm.I32}, []wasm.ValType{wasm.I32}},
	impLoadI32:       {"load_i32", nil, []wasm.ValType{wasm.I32}},
	impLoadI64:       {"load_i64", nil, []wasm.ValType{wasm.I64}},
	impLoadF32:       {"load_f32", nil, []wasm.ValType{wasm.F32}},
	impLoadF64:       {"load_f64", nil, []wasm.ValType{wasm.F64}},
	impLoadFuncref:   {"load_funcref", nil, []wasm.ValType{wasm.FuncRef}},
	impLoadExternref: {"load_externref", nil, []wasm.ValType{wasm.ExternRef}},
	impResumeFuel:    {"resume_fuel", nil, []wasm.ValType{wasm.I64}},
	impInnermost:     {"innermost", nil, []wasm.ValType{wasm.I32}},
}

func saveImp(t wasm.ValType) int {
	switch t {
	case wasm.I32:
		return impSaveI32
	case wasm.I64:
		return impSaveI64
	case wasm.F32:
		return impSaveF32
	case wasm.F64:
		return impSaveF64
	case wasm.FuncRef:
		return impSaveFuncref
	default:
		return impSaveExternref
	}
}

func loadImp(t wasm.ValType) int {
	switch t {
	case wasm.I32:
		return impLoadI32
	case wasm.I64:
		return impLoadI64
	case wasm.F32:
		return impLoadF32
	case wasm.F64:
		return impLoadF64
	case wasm.FuncRef:
		return impLoadFuncref
	default:
		return impLoadExternref
	}
}

// modInfo is what the rewrite knows about the module as a whole.
type modInfo struct {
	m         *wasm.Module
	nImp      uint32   // imported functions before the rewrite
	funcTypes []uint32 // original function index -> type index
	globTypes []wasm.ValType
	instr     []bool // original function index -> may suspend
	// leafCost maps an original function index to the static charge of a
	// leaf that its direct callers pay for it (0: not such a leaf). A leaf
	// is charged by its caller so that it touches no global; a leaf that
	// may be reached otherwise (exported, in a table, ref.func, start)
	// charges itself on entry instead, and its callers do not.
	leafCost []int
	suspType []bool // type index -> a call_indirect of it may suspend
	impType  []bool // type index -> an import has this signature
	imp      [numImps]uint32
	fuelG    uint32
	stateG   uint32
	// siteG carries the site a rewinding frame is headed for from its
	// restore to the dispatches that lead there. A global, not a local:
	// a local read by every dispatch would be live through the whole
	// function, loops and calls included, while a global costs the
	// normal path nothing.
	siteG uint32
	// entryTest says a defined function tests the budget on entry and
	// suspends there when it is spent (it makes a call, so its entry
	// header yields). A loop every iteration of which calls such a
	// function need not test the budget itself (see loopNeedsNoTest).
	entryTest []bool
	finishF   uint32 // the added function that ends a rewind
	// typesFrozen is set while functions are rewritten in parallel:
	// typeIndex may then only find types, not add them (the first one
	// missing is recorded in missingType and the rewrite fails).
	typesFrozen bool
	typesMu     sync.Mutex
	missingType string
}

// remapFunc maps an original function index to its index after the host
// imports were added (they go after the module's own imports).
func (mi *modInfo) remapFunc(f uint32) uint32 {
	if f >= mi.nImp {
		return f + numImps
	}
	return f
}

// callKind classifies a call instruction of the original module: whether
// it is a suspension site, whether it certainly calls an import, and
// whether it is an indirect call that may or may not.
func (mi *modInfo) callKind(in *wasm.Instr) (site, imp, ind bool) {
	if in.Op == wasm.OpCall {
		if int(in.Index) >= len(mi.instr) {
			return false, false, false
		}
		if in.Index < mi.nImp {
			return true, true, false
		}
		return mi.instr[in.Index], false, false
	}
	if int(in.Index) >= len(mi.suspType) {
		return false, false, false
	}
	if !mi.suspType[in.Index] {
		return false, false, false
	}
	return true, false, mi.impType[in.Index]
}

func (mi *modInfo) resultBlockType(rs []wasm.ValType) wasm.BlockType {
	switch len(rs) {
	case 0:
		return wasm.BlockEmpty
	case 1:
		return wasm.BlockOf(rs[0])
	}
	return wasm.BlockTypeIndex(mi.typeIndex(nil, rs))
}

// typeIndex finds or adds the signature params -> results.
func (mi *modInfo) typeIndex(params, results []wasm.ValType) uint32 {
	want := wasm.FuncType{Params: params, Results: results}
	for i, t := range mi.m.Types {
		if t.Equal(want) {
			return uint32(i)
		}
	}
	if mi.typesFrozen {
		mi.typesMu.Lock()
		if mi.missingType == "" {
			mi.missingType = fmt.Sprintf("%v -> %v", params, results)
		}
		mi.typesMu.Unlock()
		return 0
	}
	mi.m.Types = append(mi.m.Types, wasm.FuncType{
		Params:  append([]wasm.ValType(nil), params...),
		Results: append([]wasm.ValType(nil), results...)})
	return uint32(len(mi.m.Types) - 1)
}

// FrameLayout is the list of value types one suspended frame of a function
// holds, in save order (parameters, declared locals, locals the rewrite
// added), excluding the call-site index that heads every frame.
type FrameLayout []wasm.ValType

// Rewrite is the result of instrumenting a module.
type Rewrite struct {
	// Module is the instrumented module, ready to encode.
	Module *wasm.Module
	// Frames maps the (new) index of every instrumented function to its
	// frame layout. Functions absent from it never suspend.
	Frames map[uint32]FrameLayout
	// Globals lists the module's own mutable globals, exported as
	// "__dosemu_g<index>", in index order, with their types.
	Globals []GlobalSlot
	// HasStart says the module had a start function, now exported as
	// "__dosemu_start" for the runtime to call on a fresh start only.
	HasStart bool
	// HasMemory says the module defines or imports a linear memory.
	HasMemory bool
	// Sites counts the suspension sites (calls and fuel checks).
	Sites int
	// Instrumented counts the functions that may suspend; Leaves those
	// that only charge fuel.
	Instrumented, Leaves int
}

// GlobalSlot is one captured global.
type GlobalSlot struct {
	Index uint32
	Type  wasm.ValType
	Name  string
}

// Instrument rewrites m in place for fuel and continuations and returns
// what the runtime needs to drive it. It never panics on a module that
// Decode accepted; a body it cannot follow (one that would not validate)
// yields an error naming the function and instruction.
func Instrument(m *wasm.Module) (*Rewrite, error) {
	for _, e := range m.Exports {
		if len(e.Name) >= len(reservedNames) && e.Name[:len(reservedNames)] == reservedNames {
			return nil, fmt.Errorf("export %q uses the prefix %q reserved for the rewrite", e.Name, reservedNames)
		}
	}
	for _, im := range m.Imports {
		if im.Module == cpuModule {
			return nil, fmt.Errorf("import %s.%s: the module %q is reserved for the rewrite", im.Module, im.Name, cpuModule)
		}
	}
	addStateAccessors(m) // instrument_tables.go: tables, dropped segments and v128 globals become capturable
	mi := &modInfo{m: m}
	var nImpGlob uint32
	tableImported := false
	for _, im := range m.Imports {
		switch im.Kind {
		case wasm.ExternFunc:
			if int(im.TypeIdx) >= len(m.Types) {
				return nil, fmt.Errorf("import %s.%s: type %d out of range (%d types)", im.Module, im.Name, im.TypeIdx, len(m.Types))
			}
			mi.funcTypes = append(mi.funcTypes, im.TypeIdx)
			mi.nImp++
		case wasm.ExternGlobal:
			mi.globTypes = append(mi.globTypes, im.Global.Type)
			nImpGlob++
		case wasm.ExternTable:
			tableImported = true
		}
	}
	for i := range m.Funcs {
		if int(m.Funcs[i].TypeIdx) >= len(m.Types) {
			return nil, fmt.Errorf("function %d: type %d out of range (%d types)", int(mi.nImp)+i, m.Funcs[i].TypeIdx, len(m.Types))
		}
		mi.funcTypes = append(mi.funcTypes, m.Funcs[i].TypeIdx)
	}
	for _, g := range m.Globals {
		mi.globTypes = append(mi.globTypes, g.Type.Type)
	}

	// Which functions may suspend: any with a loop or a call. The others
	// are leaves that run a bounded number of instructions.
	mi.instr = make([]bool, len(mi.funcTypes))
	mi.entryTest = make([]bool, len(mi.funcTypes))
	for i := uint32(0); i < mi.nImp; i++ {
		mi.instr[i] = true
	}
	for i := range m.Funcs {
		f := int(mi.nImp) + i
		for _, in := range m.Funcs[i].Body {
			switch in.Op {
			case wasm.OpCall, wasm.OpCallIndirect:
				mi.instr[f], mi.entryTest[f] = true, true
			case wasm.OpLoop:
				mi.instr[f] = true
			default:
				continue
			}
			if mi.entryTest[f] {
				break
			}
		}
	}
	mi.leafCost = make([]int, len(mi.funcTypes))
	taken := addressTaken(m)
	for i := range m.Funcs {
		f := int(mi.nImp) + i
		if mi.instr[f] || taken[uint32(f)] {
			continue
		}
		mi.leafCost[f] = leafCharge(m.Funcs[i].Body)
	}
	// call_indirect is resolved by signature: it may suspend if any
	// function of a structurally equal type may (or a foreign table could
	// hold anything).
	mi.suspType = make([]bool, len(m.Types))
	mi.impType = make([]bool, len(m.Types))
	for t := range m.Types {
		for f, ti := range mi.funcTypes {
			if !m.Types[ti].Equal(m.Types[t]) {
				continue
			}
			if mi.instr[f] {
				mi.suspType[t] = true
			}
			if uint32(f) < mi.nImp {
				mi.impType[t] = true
			}
		}
		if tableImported {
			mi.suspType[t], mi.impType[t] = true, true
		}
	}

	// Host imports go after the module's own imports: they take function
	// indices nImp.., which shifts every defined function by numImps.
	newImports := append(make([]wasm.Import, 0, len(m.Imports)+numImps), m.Imports...)
	for i := 0; i < numImps; i++ {
		h := hostImports[i]
		ti := mi.typeIndex(h.params, h.results)
		mi.imp[i] = mi.nImp + uint32(i)
		newImports = append(newImports, wasm.Import{Module: cpuModule, Name: h.name, Kind: wasm.ExternFunc, TypeIdx: ti})
	}

	mi.fuelG = nImpGlob + uint32(len(m.Globals))
	mi.stateG = mi.fuelG + 1
	mi.siteG = mi.fuelG + 2

	rw := &Rewrite{Frames: map[uint32]FrameLayout{}}
	// One function, after all the module's own, ends every rewind.
	mi.finishF = mi.nImp + numImps + uint32(len(m.Funcs))
	newFuncs := make([]wasm.Func, len(m.Funcs), len(m.Funcs)+1)
	if err := mi.rewriteBodies(rw, newFuncs); err != nil { // instrument_parallel.go
		return nil, err
	}

	// Everything that names a function by index moves with the shift.
	for i := range m.Globals {
		mi.remapExpr(m.Globals[i].Init)
	}
	for i := range m.Elems {
		e := &m.Elems[i]
		for j := range e.Funcs {
			e.Funcs[j] = mi.remapFunc(e.Funcs[j])
		}
		for _, x := range e.Exprs {
			mi.remapExpr(x)
		}
	}
	for i := range m.Exports {
		if m.Exports[i].Kind == wasm.ExternFunc {
			m.Exports[i].Index = mi.remapFunc(m.Exports[i].Index)
		}
	}
	if m.HasStart {
		m.Exports = append(m.Exports, wasm.Export{Name: exportStart, Kind: wasm.ExternFunc, Index: mi.remapFunc(m.Start)})
		m.HasStart = false
		m.Start = 0
		rw.HasStart = true
	}
	m.Imports = newImports
	m.Funcs = append(newFuncs, mi.finishBody())
	m.Globals = append(m.Globals,
		wasm.Global{Type: wasm.GlobalType{Type: wasm.I64, Mutable: true}, Init: []wasm.Instr{{Op: wasm.OpI64Const}, {Op: wasm.OpEnd}}},
		wasm.Global{Type: wasm.GlobalType{Type: wasm.I32, Mutable: true}, Init: []wasm.Instr{{Op: wasm.OpI32Const}, {Op: wasm.OpEnd}}},
		wasm.Global{Type: wasm.GlobalType{Type: wasm.I32, Mutable: true}, Init: []wasm.Instr{{Op: wasm.OpI32Const}, {Op: wasm.OpEnd}}})
	m.Exports = append(m.Exports,
		wasm.Export{Name: exportFuel, Kind: wasm.ExternGlobal, Index: mi.fuelG},
		wasm.Export{Name: exportState, Kind: wasm.ExternGlobal, Index: mi.stateG})
	for i, g := range m.Globals[:len(m.Globals)-addedGlobals] {
		if !g.Type.Mutable {
			continue
		}
		idx := nImpGlob + uint32(i)
		name := exportGlobal + strconv.FormatUint(uint64(idx), 10)
		m.Exports = append(m.Exports, wasm.Export{Name: name, Kind: wasm.ExternGlobal, Index: idx})
		rw.Globals = append(rw.Globals, GlobalSlot{Index: idx, Type: g.Type.Type, Name: name})
	}
	rw.HasMemory = len(m.Memories) > 0
	for _, im := range m.Imports {
		rw.HasMemory = rw.HasMemory || im.Kind == wasm.ExternMemory
	}
	m.Customs = rewriteCustoms(m, mi.nImp) // instrument_names.go: names remapped, code-offset sections dropped
	rw.Module = m
	return rw, nil
}

// finishBody is the body of the added function that ends a rewind at the
// innermost frame: normal state, and the budget of the run that rewinds.
func (mi *modInfo) finishBody() wasm.Func {
	return wasm.Func{TypeIdx: mi.typeIndex(nil, nil), Body: []wasm.Instr{
		{Op: wasm.OpI32Const},
		{Op: wasm.OpGlobalSet, Index: mi.stateG},
		{Op: wasm.OpCall, Index: mi.imp[impResumeFuel]},
		{Op: wasm.OpGlobalSet, Index: mi.fuelG},
		{Op: wasm.OpEnd}}}
}

func (mi *modInfo) remapExpr(x []wasm.Instr) {
	for i := range x {
		if x[i].Op == wasm.OpRefFunc || x[i].Op == wasm.OpCall {
			x[i].Index = mi.remapFunc(x[i].Index)
		}
	}
}

// leafCharge is the static charge of a leaf body: every instruction but
// end and else. It is at least 1 (the final end is free, but a body holds
// nothing else only when empty, and an empty leaf still costs its call).
func leafCharge(body []wasm.Instr) int {
	n := 0
	for _, in := range body {
		if in.Op != wasm.OpEnd && in.Op != wasm.OpElse {
			n++
		}
	}
	return max(n, 1)
}

// addressTaken lists the functions reachable other than by a direct call
// from a defined function: exports, table elements, ref.func anywhere, and
// the start function.
func addressTaken(m *wasm.Module) map[uint32]bool {
	t := map[uint32]bool{}
	for _, e := range m.Exports {
		if e.Kind == wasm.ExternFunc {
			t[e.Index] = true
		}
	}
	if m.HasStart {
		t[m.Start] = true
	}
	refs := func(x []wasm.Instr) {
		for i := range x {
			if x[i].Op == wasm.OpRefFunc {
				t[x[i].Index] = true
			}
		}
	}
	for i := range m.Elems {
		for _, f := range m.Elems[i].Funcs {
			t[f] = true
		}
		for _, x := range m.Elems[i].Exprs {
			refs(x)
		}
	}
	for i := range m.Globals {
		refs(m.Globals[i].Init)
	}
	// Decode's summary spares reading every body when none has ref.func
	// (Go guests: 0.8M instructions, ~4% of a rewrite).
	if s := m.Summary; !s.Known || s.RefFuncs {
		for i := range m.Funcs {
			refs(m.Funcs[i].Body)
		}
	}
	return t
}

// leaf copies a function that never suspends. If self is set it charges
// itself for its whole body on entry; otherwise its callers pay for it
// (see modInfo.leafCost), so it runs exactly as written.
func (mi *modInfo) leaf(f *wasm.Func, self bool) wasm.Func {
	body := make([]wasm.Instr, 0, len(f.Body)+4)
	if self {
		body = append(body,
			wasm.Instr{Op: wasm.OpGlobalGet, Index: mi.fuelG},
			wasm.Instr{Op: wasm.OpI64Const, Value: uint64(leafCharge(f.Body))},
			wasm.Instr{Op: wasm.OpI64Sub},
			wasm.Instr{Op: wasm.OpGlobalSet, Index: mi.fuelG})
	}
	for _, in := range f.Body {
		if in.Op == wasm.OpRefFunc || in.Op == wasm.OpCall {
			in.Index = mi.remapFunc(in.Index)
		}
		body = append(body, in)
	}
	return wasm.Func{TypeIdx: f.TypeIdx, Locals: f.Locals, Body: body, Offset: f.Offset, Labels: f.Labels}
}
