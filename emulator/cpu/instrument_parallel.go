package cpu

import (
	"fmt"

	"dosemu/emulator/wasm"
)

// minParallelInstrs is the number of body instructions below which a
// module's functions are rewritten on the calling goroutine: spreading a
// small module costs more in goroutine start and scratch than it saves.
// Tests lower it to run the parallel path on small modules.
var minParallelInstrs = 1 << 15

// rewriteBodies rewrites every defined function of mi's module into
// newFuncs (same indices) and records frames and counts in rw.
//
// The functions are independent once the module-level facts in mi are
// known, so they are spread over GOMAXPROCS goroutines (wasm.Split), each
// with its own scratch. The output does not depend on the number of
// workers: each function's result goes to its own slot and everything
// order-dependent happens before or after, in function order:
//
//   - the one module-level addition a function's rewrite makes, the block
//     type of a multi-value result, is added here first, in the order the
//     sequential loop would have added it; after that mi.typesFrozen makes
//     typeIndex a pure lookup, so the workers only read m.Types;
//   - frames, site and function counts are gathered afterwards.
//
// The error is the one of the lowest-indexed failing function, as in a
// sequential loop.
func (mi *modInfo) rewriteBodies(rw *Rewrite, newFuncs []wasm.Func) error {
	m := mi.m
	for i := range m.Funcs {
		if mi.instr[mi.nImp+uint32(i)] {
			mi.resultBlockType(m.Types[m.Funcs[i].TypeIdx].Results)
		}
	}
	mi.typesFrozen = true
	defer func() { mi.typesFrozen = false }()

	layouts := make([]FrameLayout, len(m.Funcs))
	sites := make([]int, len(m.Funcs))
	split := wasm.NewSplit(len(m.Funcs), func(i int) int { return len(m.Funcs[i].Body) }, minParallelInstrs)
	scratch := make([]rewriteScratch, split.Workers)
	err := split.Run(func(w, lo, hi int) error {
		sc := &scratch[w]
		for i := lo; i < hi; i++ {
			f := &m.Funcs[i]
			orig := mi.nImp + uint32(i)
			if !mi.instr[orig] {
				newFuncs[i] = mi.leaf(f, mi.leafCost[orig] == 0)
				continue
			}
			r := &funcRewriter{mi: mi, fidx: mi.remapFunc(orig), ft: m.Types[f.TypeIdx], body: f.Body, sc: sc}
			nf, layout, err := r.rewrite(f)
			if err != nil {
				return err
			}
			newFuncs[i] = *nf
			layouts[i] = layout
			sites[i] = r.next
		}
		return nil
	})
	if err != nil {
		return err
	}
	if mi.missingType != "" {
		return fmt.Errorf("rewrite: a function's rewrite needed the new type %s, which must be added before the functions are rewritten", mi.missingType)
	}
	for i := range m.Funcs {
		orig := mi.nImp + uint32(i)
		if !mi.instr[orig] {
			rw.Leaves++
			continue
		}
		rw.Frames[mi.remapFunc(orig)] = layouts[i]
		rw.Sites += sites[i]
		rw.Instrumented++
	}
	return nil
}
