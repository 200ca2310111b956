package wasm

import (
	"strings"
	"testing"
)

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

// TestBrTableLabels checks the br_table targets' storage in Func.Labels:
// SetBrLabels and BrLabels agree, a run outside the function's labels is
// refused (by BrLabels, Encode and Validate) instead of panicking, and a
// br_table in a constant expression is refused by Decode.
func TestBrTableLabels(t *testing.T) {
	var labels []uint32
	a := Instr{Op: OpBrTable, Index: 0}
	a.SetBrLabels(&labels, []uint32{0, 1, 0})
	b := Instr{Op: OpBrTable, Index: 1}
	b.SetBrLabels(&labels, []uint32{1})
	if got, ok := a.BrLabels(labels); !ok || len(got) != 3 || got[1] != 1 {
		t.Fatalf("first br_table: %v %v", got, ok)
	}
	if got, ok := b.BrLabels(labels); !ok || len(got) != 1 || got[0] != 1 {
		t.Fatalf("second br_table: %v %v", got, ok)
	}
	for _, bad := range []Instr{{Op: OpBrTable, Value: 3, Index2: 2}, {Op: OpBrTable, Value: 1 << 40, Index2: 1}, {Op: OpBrTable, Value: 0, Index2: 5}} {
		if _, ok := bad.BrLabels(labels); ok {
			t.Fatalf("%+v: accepted against %d labels", bad, len(labels))
		}
	}
	// (block (block (br_table 0 1 0 (local.get 0)))) in a () -> () with an i32 local.
	body := []Instr{{Op: OpBlock, Block: BlockEmpty}, {Op: OpBlock, Block: BlockEmpty}, {Op: OpLocalGet}, a,
		{Op: OpEnd}, {Op: OpEnd}, {Op: OpEnd}}
	m := &Module{Types: []FuncType{{}}, Funcs: []Func{{Locals: []ValType{I32}, Body: body, Labels: labels}}}
	bin, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(m2); err != nil {
		t.Fatal(err)
	}
	if got, ok := m2.Funcs[0].Body[3].BrLabels(m2.Funcs[0].Labels); !ok || len(got) != 3 || got[0] != 0 || got[1] != 1 {
		t.Fatalf("decoded targets %v %v", got, ok)
	}
	m.Funcs[0].Labels = labels[:2]
	if _, err := Encode(m); err == nil || !strings.Contains(err.Error(), "br_table") {
		t.Fatalf("Encode with the targets out of range: %v", err)
	}
	if err := Validate(m); err == nil || !strings.Contains(err.Error(), "br_table") {
		t.Fatalf("Validate with the targets out of range: %v", err)
	}
	// A global initialized by br_table: refused when decoded.
	g := []byte{0, 'a', 's', 'm', 1, 0, 0, 0, byte(SectionGlobal), 8, 1, byte(I32), 0, byte(OpBrTable), 1, 0, 0, byte(OpEnd)}
	if _, err := Decode(g); err == nil || !strings.Contains(err.Error(), "constant expression") {
		t.Fatalf("br_table in a global's initializer: %v", err)
	}
}
