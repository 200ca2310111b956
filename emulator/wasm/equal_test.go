package wasm

import (
	"fmt"
	"slices"

	"github.com/google/go-cmp/cmp"
)

// diffModules reports how a and b differ, ignoring what Encode does not
// preserve (see cmpOpts), or "" if they are equal. Function bodies are
// compared with a direct loop: go-cmp's reflection takes minutes on the
// millions of instructions of a Go guest.
func diffModules(a, b *Module) string {
	if len(a.Funcs) != len(b.Funcs) {
		return fmt.Sprintf("function count %d vs %d", len(a.Funcs), len(b.Funcs))
	}
	for i := range a.Funcs {
		fa, fb := &a.Funcs[i], &b.Funcs[i]
		if fa.TypeIdx != fb.TypeIdx || !slices.Equal(fa.Locals, fb.Locals) || len(fa.Body) != len(fb.Body) {
			return fmt.Sprintf("defined function %d: header differs: %v", i, cmp.Diff(fa, fb, cmpOpts...))
		}
		for k := range fa.Body {
			x, y := fa.Body[k], fb.Body[k]
			if !slices.Equal(x.Labels, y.Labels) {
				return fmt.Sprintf("defined function %d instr %d: br_table labels %v vs %v", i, k, x.Labels, y.Labels)
			}
			if x.Op != y.Op || x.Index != y.Index || x.Index2 != y.Index2 || x.Align != y.Align || x.Offset != y.Offset ||
				x.Lane != y.Lane || x.Block != y.Block || x.Value != y.Value || x.ValueHi != y.ValueHi {
				return fmt.Sprintf("defined function %d instr %d: %+v vs %+v", i, k, x, y)
			}
		}
	}
	ca, cb := *a, *b
	ca.Funcs, cb.Funcs = nil, nil
	return cmp.Diff(&ca, &cb, cmpOpts...)
}
