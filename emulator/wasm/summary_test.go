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
		name          string
		m             *Module
		tables, drops bool
	}{
		{"plain", mod(i32(1), Instr{Op: OpDrop}), false, false},
		{"table.set", mod(i32(0), Instr{Op: OpRefNull, Index: uint32(FuncRef)}, Instr{Op: OpTableSet}), true, false},
		{"table.grow", mod(Instr{Op: OpRefNull, Index: uint32(FuncRef)}, i32(1), Instr{Op: OpTableGrow}, Instr{Op: OpDrop}), true, false},
		{"elem.drop", mod(Instr{Op: OpElemDrop}), false, true},
		{"data.drop", mod(Instr{Op: OpDataDrop}), false, true},
		{"table.size only", mod(Instr{Op: OpTableSize}, Instr{Op: OpDrop}), false, false},
	} {
		b, err := Encode(tc.m)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		m, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := BodySummary{Known: true, TableChanges: tc.tables, SegmentDrops: tc.drops}
		if m.Summary != want {
			t.Errorf("%s: summary %+v, want %+v", tc.name, m.Summary, want)
		}
	}
}
