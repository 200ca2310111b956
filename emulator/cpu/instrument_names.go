package cpu

import (
	"strings"

	"dosemu/emulator/wasm"
)

// Custom sections after the rewrite.
//
// The rewrite moves every defined function up by the number of host
// imports it adds and rewrites function bodies, so custom sections that
// refer to functions or to code offsets are stale. Each is kept, remapped
// or dropped on purpose:
//
//   - "name" is kept, remapped: function names and local names move with
//     their functions (traps and profiles then name guest functions); the
//     added imports are named "dosemu_cpu.<import>", functions the
//     rewrite adds are named after their exports, and the fuel and state
//     globals after theirs. Label names are dropped: the rewrite adds
//     blocks, so label positions no longer match. A name section that
//     does not decode is dropped, as is everything an engine would
//     mislabel with it.
//   - DWARF (".debug_*"), "sourceMappingURL", "linking" and "reloc.*"
//     describe code offsets or relocations of the original bodies, which
//     the rewrite changes; they are dropped rather than left to point at
//     the wrong instructions.
//   - Everything else ("producers", "target_features", toolchain notes)
//     describes the module as a whole and is kept verbatim.

// rewriteCustoms returns m's custom sections for the instrumented module.
// It runs at the end of Instrument, once imports, functions, globals and
// exports are final: nImp is the number of imported functions before the
// host imports were inserted.
func rewriteCustoms(m *wasm.Module, nImp uint32) []wasm.Custom {
	out := m.Customs[:0]
	for _, c := range m.Customs {
		switch {
		case c.Name == "name":
			data, ok := remapNames(m, c.Data, nImp)
			if !ok {
				continue
			}
			c.Data = data
		case strings.HasPrefix(c.Name, ".debug_"), c.Name == "sourceMappingURL",
			c.Name == "linking", strings.HasPrefix(c.Name, "reloc."):
			continue
		}
		out = append(out, c)
	}
	return out
}

// remapNames rewrites a name section for the instrumented module (see
// above). Cost: linear in the section plus the module's exports.
func remapNames(m *wasm.Module, data []byte, nImp uint32) ([]byte, bool) {
	n, err := wasm.DecodeNames(data)
	if err != nil {
		return nil, false
	}
	remap := func(f uint32) uint32 {
		if f >= nImp {
			return f + numImps
		}
		return f
	}
	funcs := n.Direct[wasm.NameFuncs]
	named := make(map[uint32]bool, len(funcs)+numImps)
	for i := range funcs {
		funcs[i].Index = remap(funcs[i].Index)
		named[funcs[i].Index] = true
	}
	for i := uint32(0); i < numImps; i++ {
		funcs = append(funcs, wasm.NameAssoc{Index: nImp + i, Name: cpuModule + "." + hostImports[i].name})
		named[nImp+i] = true
	}
	for _, ex := range m.Exports {
		if ex.Kind == wasm.ExternFunc && strings.HasPrefix(ex.Name, reservedNames) && !named[ex.Index] {
			funcs = append(funcs, wasm.NameAssoc{Index: ex.Index, Name: ex.Name})
			named[ex.Index] = true
		}
	}
	n.Direct[wasm.NameFuncs] = funcs
	if locals, ok := n.Indirect[wasm.NameLocals]; ok {
		for i := range locals {
			locals[i].Index = remap(locals[i].Index)
		}
	}
	delete(n.Indirect, wasm.NameLabels)
	globals := n.Direct[wasm.NameGlobals]
	gnamed := make(map[uint32]bool, len(globals))
	for _, g := range globals {
		gnamed[g.Index] = true
	}
	for _, ex := range m.Exports {
		if ex.Kind == wasm.ExternGlobal && (ex.Name == exportFuel || ex.Name == exportState) && !gnamed[ex.Index] {
			globals = append(globals, wasm.NameAssoc{Index: ex.Index, Name: ex.Name})
		}
	}
	if len(globals) > 0 {
		n.Direct[wasm.NameGlobals] = globals
	}
	return n.Encode(), true
}
