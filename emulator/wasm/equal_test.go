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
			if !sameInstr(x, y, fa.Labels, fb.Labels) {
				return fmt.Sprintf("defined function %d instr %d: %+v vs %+v", i, k, x, y)
			}
		}
	}
	// Data segments too: Go guests have tens of thousands, which go-cmp
	// takes tens of seconds to walk.
	if len(a.Datas) != len(b.Datas) {
		return fmt.Sprintf("data segment count %d vs %d", len(a.Datas), len(b.Datas))
	}
	for i := range a.Datas {
		da, db := &a.Datas[i], &b.Datas[i]
		if da.Mode != db.Mode || da.Memory != db.Memory || da.Form != db.Form || !slices.Equal(da.Init, db.Init) ||
			!slices.EqualFunc(da.Offset, db.Offset, func(x, y Instr) bool { return sameInstr(x, y, nil, nil) }) {
			return fmt.Sprintf("data segment %d: %v", i, cmp.Diff(da, db, cmpOpts...))
		}
	}
	ca, cb := *a, *b
	ca.Funcs, cb.Funcs = nil, nil
	ca.Datas, cb.Datas = nil, nil
	return cmp.Diff(&ca, &cb, cmpOpts...)
}

// sameInstr compares every field of two instructions and, for br_table,
// the targets they name in their functions' labels (lx, ly).
func sameInstr(x, y Instr, lx, ly []uint32) bool {
	if x.Op == OpBrTable && y.Op == OpBrTable {
		tx, okx := x.BrLabels(lx)
		ty, oky := y.BrLabels(ly)
		return okx && oky && x.Index == y.Index && slices.Equal(tx, ty)
	}
	return x.Op == y.Op && x.Index == y.Index && x.Index2 == y.Index2 && x.Align == y.Align && x.Offset == y.Offset &&
		x.Lane == y.Lane && x.Block == y.Block && x.Value == y.Value && x.ValueHi == y.ValueHi
}
