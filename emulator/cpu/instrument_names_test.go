package cpu

import (
	"context"
	"strings"
	"testing"

	"dosemu/emulator/wasm"
)

// namedModule has a name section, a DWARF section and a producers
// section; outer calls inner, which traps.
func namedModule(t *testing.T) []byte {
	t.Helper()
	names := &wasm.Names{
		Direct: map[byte]wasm.NameMap{
			wasm.NameFuncs:   {{Index: 0, Name: "env_nop"}, {Index: 1, Name: "outer_fn"}, {Index: 2, Name: "inner_fn"}},
			wasm.NameGlobals: {{Index: 0, Name: "counter"}},
		},
		Indirect: map[byte]wasm.IndirectNameMap{
			wasm.NameLocals: {{Index: 2, Names: wasm.NameMap{{Index: 0, Name: "depth"}}}},
			wasm.NameLabels: {{Index: 1, Names: wasm.NameMap{{Index: 0, Name: "lbl"}}}},
		},
	}
	m := &wasm.Module{
		Types:   []wasm.FuncType{{}, {Params: []wasm.ValType{wasm.I32}}},
		Imports: []wasm.Import{{Module: "env", Name: "nop", Kind: wasm.ExternFunc, TypeIdx: 0}},
		Globals: []wasm.Global{{Type: wasm.GlobalType{Type: wasm.I32, Mutable: true}, Init: []wasm.Instr{i32c(0), ins(wasm.OpEnd)}}},
		Funcs: []wasm.Func{
			{TypeIdx: 0, Body: []wasm.Instr{insI(wasm.OpCall, 0), i32c(3), insI(wasm.OpCall, 2), ins(wasm.OpEnd)}},
			{TypeIdx: 1, Body: []wasm.Instr{ins(wasm.OpUnreachable), ins(wasm.OpEnd)}},
		},
		Exports: []wasm.Export{{Name: "outer", Kind: wasm.ExternFunc, Index: 1}},
		Customs: []wasm.Custom{
			{Name: "name", Data: names.Encode(), After: wasm.SectionData},
			{Name: ".debug_info", Data: []byte{1, 2, 3}, After: wasm.SectionData},
			{Name: "producers", Data: []byte{0}, After: wasm.SectionData},
		},
	}
	b, err := wasm.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRewriteKeepsNames(t *testing.T) {
	out, _, err := instrumentBytes(namedModule(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := wasm.Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	var names *wasm.Names
	for _, c := range m.Customs {
		kept = append(kept, c.Name)
		if c.Name == "name" {
			if names, err = wasm.DecodeNames(c.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if strings.Join(kept, ",") != "name,producers" {
		t.Fatalf("custom sections after the rewrite: %v, want name and producers (DWARF dropped)", kept)
	}
	fn := map[uint32]string{}
	for _, a := range names.Direct[wasm.NameFuncs] {
		fn[a.Index] = a.Name
	}
	want := map[uint32]string{0: "env_nop", 1: "dosemu_cpu.yield", 1 + numImps: "outer_fn", 2 + numImps: "inner_fn"}
	for i, w := range want {
		if fn[i] != w {
			t.Errorf("function %d named %q, want %q", i, fn[i], w)
		}
	}
	if loc := names.Indirect[wasm.NameLocals]; len(loc) != 1 || loc[0].Index != 2+numImps {
		t.Errorf("local names: %+v, want them under function %d", loc, 2+numImps)
	}
	if _, ok := names.Indirect[wasm.NameLabels]; ok {
		t.Error("label names kept although the rewrite adds blocks")
	}
	gn := map[string]bool{}
	for _, a := range names.Direct[wasm.NameGlobals] {
		gn[a.Name] = true
	}
	if !gn["counter"] || !gn[exportFuel] || !gn[exportState] {
		t.Errorf("global names %+v, want counter and the rewrite's globals", names.Direct[wasm.NameGlobals])
	}
}

// A trap names the guest's functions, as it does without the rewrite.
func TestTrapNamesGuestFunctions(t *testing.T) {
	eng := newTestEngine(t, Config{})
	p, err := eng.Load(context.Background(), "named", namedModule(t))
	if err != nil {
		t.Fatal(err)
	}
	th, err := p.Start(context.Background(), ThreadConfig{Entry: "outer"})
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	s := th.Run(1 << 30)
	if s.Kind != Trapped {
		t.Fatalf("got %v, want a trap", s.Kind)
	}
	for _, w := range []string{"inner_fn", "outer_fn"} {
		if !strings.Contains(s.Err.Error(), w) {
			t.Errorf("trap %q does not name %s", s.Err, w)
		}
	}
}
