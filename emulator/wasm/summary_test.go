package wasm

import "testing"

func TestDecodeSummary(t *testing.T) {
	mod := func(body ...Instr) *Module {
		return &Module{
			Types:        []FuncType{{}},
			Funcs:        []Func{{TypeIdx: 0, Body: append(body, Instr{Op: OpEnd})}},
			Tables:       []TableType{{Elem: FuncRef, Limits: Limits{Min: 1}}},
			Elems:        []Elem{{Mode: SegmentPassive, Type: FuncRef, Funcs: []uint32{0}, Form: 1}},
			Datas:        []Data{{Mode: SegmentPassive, Form: 1}},
			HasDataCount: true, DataCount: 1,
		}
	}
	i32 := func(v int) Instr { return Instr{Op: OpI32Const, Value: uint64(v)} }
	for _, tc := range []struct {
		name                string
		m                   *Module
		tables, drops, refs bool
	}{
		{"plain", mod(i32(1), Instr{Op: OpDrop}), false, false, false},
		{"table.set", mod(i32(0), Instr{Op: OpRefNull, Index: uint32(FuncRef)}, Instr{Op: OpTableSet}), true, false, false},
		{"table.grow", mod(Instr{Op: OpRefNull, Index: uint32(FuncRef)}, i32(1), Instr{Op: OpTableGrow}, Instr{Op: OpDrop}), true, false, false},
		{"elem.drop", mod(Instr{Op: OpElemDrop}), false, true, false},
		{"data.drop", mod(Instr{Op: OpDataDrop}), false, true, false},
		{"table.size only", mod(Instr{Op: OpTableSize}, Instr{Op: OpDrop}), false, false, false},
		{"ref.func", mod(Instr{Op: OpRefFunc}, Instr{Op: OpDrop}), false, false, true},
	} {
		b, err := Encode(tc.m)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		m, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := BodySummary{Known: true, TableChanges: tc.tables, SegmentDrops: tc.drops, RefFuncs: tc.refs}
		if m.Summary != want {
			t.Errorf("%s: summary %+v, want %+v", tc.name, m.Summary, want)
		}
		// A function added later keeps the summary exact.
		plain, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		plain.Summary = BodySummary{Known: true}
		plain.AddFunc(0, nil, tc.m.Funcs[0].Body)
		if plain.Summary != want {
			t.Errorf("%s: summary after AddFunc %+v, want %+v", tc.name, plain.Summary, want)
		}
	}
}
