package wasm

import (
	"bytes"
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
)

func TestAddImportFuncRenumbers(t *testing.T) {
	m, err := Decode(paddedModule())
	if err != nil {
		t.Fatal(err)
	}
	m.Funcs[1].Body = append([]Instr{{Op: OpLocalGet, Index: 0}, {Op: OpCall, Index: 0}, {Op: OpDrop}}, m.Funcs[1].Body...)
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	idx := m.AddImportFunc("env", "hook", FuncType{Params: []ValType{I32}})
	if idx != 0 {
		t.Fatalf("new import index %d, want 0", idx)
	}
	if got := m.Funcs[1].Body[1].Index; got != 1 {
		t.Errorf("call target %d, want 1", got)
	}
	if got := m.Elems[0].Funcs[0]; got != 1 {
		t.Errorf("element function %d, want 1", got)
	}
	if f, _ := m.ExportedFunc("f"); f != 2 {
		t.Errorf("export f -> %d, want 2", f)
	}
	// name section: function 0 "id" is now function 1.
	if !bytes.Equal(m.Customs[0].Data, []byte{0x01, 0x05, 0x01, 0x01, 0x02, 'i', 'd'}) {
		t.Errorf("name section = % x", m.Customs[0].Data)
	}
	g := m.AddGlobal(GlobalType{Type: I64, Mutable: true}, []Instr{{Op: OpI64Const, Value: 7}})
	if err := m.AddExport("fuel", ExternGlobal, g); err != nil {
		t.Fatal(err)
	}
	if err := m.AddExport("fuel", ExternGlobal, g); err == nil {
		t.Error("duplicate export accepted")
	}
	ti := m.AddType(FuncType{Results: []ValType{I64}})
	fi := m.AddFunc(ti, nil, []Instr{{Op: OpGlobalGet, Index: g}, {Op: OpEnd}})
	if err := m.AddExport("getfuel", ExternFunc, fi); err != nil {
		t.Fatal(err)
	}
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	enc, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	if _, err := rt.NewHostModuleBuilder("env").NewFunctionBuilder().WithFunc(func(int32) {}).Export("hook").Instantiate(ctx); err != nil {
		t.Fatal(err)
	}
	inst, err := rt.Instantiate(ctx, enc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := inst.ExportedFunction("getfuel").Call(ctx)
	if err != nil || res[0] != 7 {
		t.Fatalf("getfuel = %v, %v; want 7", res, err)
	}
	if m.NumInstrs() != len(m.Funcs[0].Body)+len(m.Funcs[1].Body)+2 {
		t.Errorf("NumInstrs = %d", m.NumInstrs())
	}
}

func TestTypingStacks(t *testing.T) {
	m := &Module{Types: []FuncType{{Params: []ValType{I32}, Results: []ValType{I32}}, {Params: []ValType{F32}, Results: []ValType{I64, F32}}}}
	// A valid body: the block takes f32 and yields i64 f32.
	m.Funcs = []Func{{TypeIdx: 0, Body: []Instr{
		{Op: OpLocalGet, Index: 0}, // 0: []
		{Op: OpF32Const},           // 1: [i32]
		{Op: OpBlock, Block: 1},    // 2: [i32 f32]
		{Op: OpDrop},               // 3: [i32 | f32]
		{Op: OpI64Const},           // 4: [i32 |]
		{Op: OpF32Const},           // 5: [i32 | i64]
		{Op: OpUnreachable},        // 6: [i32 | i64 f32]
		{Op: OpEnd},                // 7: [i32 | ] unreachable
		{Op: OpDrop},               // 8: [i32 i64 f32]
		{Op: OpDrop},               // 9: [i32 i64]
		{Op: OpEnd},                // 10: [i32]
	}}}
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	ft, err := m.Typing(0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int][]ValType{0: nil, 2: {I32, F32}, 3: {I32, F32}, 6: {I32, I64, F32}, 7: {I32}, 8: {I32, I64, F32}, 10: {I32}}
	for i, w := range want {
		got := ft.Stack(i, nil)
		if len(got) != len(w) || (len(w) > 0 && string(valBytes(got)) != string(valBytes(w))) {
			t.Errorf("stack before %d = %v, want %v", i, got, w)
		}
	}
	if p := ft.Points[3]; p.Base != 1 || p.Depth != 2 || p.Unreachable {
		t.Errorf("point 3 = %+v, want base 1 depth 2 reachable", p)
	}
	if p := ft.Points[7]; !p.Unreachable || p.Height != 1 {
		t.Errorf("point 7 = %+v, want unreachable height 1", p)
	}
	// The walker sees the same frames.
	err = m.Walk(0, func(i int, in *Instr, st *StackState) error {
		if i == 4 && (st.Current().Kind != FrameBlock || st.Current().Height != 1 || len(st.Frames) != 2) {
			t.Errorf("walk at 4: frames %+v", st.Frames)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Break it: a type mismatch is reported with function and instruction.
	m.Funcs[0].Body[3] = Instr{Op: OpI32Eqz}
	err = Validate(m)
	we, ok := err.(*Error)
	if !ok || we.Func != 0 || we.Instr != 3 {
		t.Fatalf("Validate = %v, want *Error at func 0 instr 3", err)
	}
}

func valBytes(ts []ValType) []byte {
	b := make([]byte, len(ts))
	for i, t := range ts {
		b[i] = byte(t)
	}
	return b
}
