package cpu

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"dosemu/emulator/wasm"
)

// tableModule builds a module that changes its state in every way a
// capture must now keep: table.set and table.grow on a funcref table, a
// table.set of a host value into an externref table, data.drop, and a
// mutable v128 global. Functions:
//
//	one, two, three: () -> i32, return 1, 2, 3 (one and two fill table 0)
//	call(i) = call_indirect table 0 entry i
//	mutate(): table 0 entry 0 := three; grow table 0 by 3 entries of two
//	size() = table.size 0
//	setext(r externref): table 1 entry 0 := r
//	dropdata(): data.drop 0;  init(): memory.init 0 (0, 0, 1)
//	vset(): v := (5, 7);  vhi() = high lane of v
//	spin(n): table 0 entry 1 := three; loop n times; then call(1)
func tableModule(t testing.TB) []byte {
	t.Helper()
	i32 := []wasm.ValType{wasm.I32}
	m := &wasm.Module{
		Types: []wasm.FuncType{
			{Results: i32},                           // 0: () -> i32
			{Params: i32, Results: i32},              // 1: (i32) -> i32
			{},                                       // 2: () -> ()
			{Params: []wasm.ValType{wasm.ExternRef}}, // 3: (externref) -> ()
			{Results: []wasm.ValType{wasm.I64}},      // 4: () -> i64
		},
		Tables: []wasm.TableType{
			{Elem: wasm.FuncRef, Limits: wasm.Limits{Min: 2}},
			{Elem: wasm.ExternRef, Limits: wasm.Limits{Min: 1}},
		},
		Memories: []wasm.MemType{{Limits: wasm.Limits{Min: 1}}},
		Globals: []wasm.Global{{Type: wasm.GlobalType{Type: wasm.V128, Mutable: true},
			Init: []wasm.Instr{{Op: wasm.OpV128Const}, ins(wasm.OpEnd)}}},
		Elems: []wasm.Elem{
			{Mode: wasm.SegmentActive, Table: 0, Type: wasm.FuncRef, Funcs: []uint32{0, 1}, Offset: []wasm.Instr{i32c(0), ins(wasm.OpEnd)}},
			{Mode: wasm.SegmentDeclarative, Type: wasm.FuncRef, Funcs: []uint32{2}, Form: 3},
		},
		Datas:        []wasm.Data{{Mode: wasm.SegmentPassive, Init: []byte{42}, Form: 1}},
		HasDataCount: true,
		DataCount:    1,
	}
	add := func(name string, ty uint32, locals []wasm.ValType, body ...wasm.Instr) {
		idx := uint32(len(m.Funcs))
		m.Funcs = append(m.Funcs, wasm.Func{TypeIdx: ty, Locals: locals, Body: append(body, ins(wasm.OpEnd))})
		m.Exports = append(m.Exports, wasm.Export{Name: name, Kind: wasm.ExternFunc, Index: idx})
	}
	add("one", 0, nil, i32c(1))
	add("two", 0, nil, i32c(2))
	add("three", 0, nil, i32c(3))
	add("call", 1, nil, insI(wasm.OpLocalGet, 0), wasm.Instr{Op: wasm.OpCallIndirect, Index: 0})
	add("mutate", 2, nil,
		i32c(0), insI(wasm.OpRefFunc, 2), insI(wasm.OpTableSet, 0),
		insI(wasm.OpRefFunc, 1), i32c(3), insI(wasm.OpTableGrow, 0), ins(wasm.OpDrop))
	add("size", 0, nil, insI(wasm.OpTableSize, 0))
	add("setext", 3, nil, i32c(0), insI(wasm.OpLocalGet, 0), insI(wasm.OpTableSet, 1))
	add("dropdata", 2, nil, insI(wasm.OpDataDrop, 0))
	add("init", 2, nil, i32c(0), i32c(0), i32c(1), insI(wasm.OpMemoryInit, 0))
	v := wasm.Instr{Op: wasm.OpV128Const}
	v.SetV128Bytes([16]byte{5, 0, 0, 0, 0, 0, 0, 0, 7})
	add("vset", 2, nil, v, insI(wasm.OpGlobalSet, 0))
	add("vhi", 4, nil, insI(wasm.OpGlobalGet, 0), wasm.Instr{Op: wasm.OpI64x2ExtractLane, Lane: 1})
	// spin(n): entry 1 := three; do { n-- } while n != 0; call(1)
	add("spin", 1, nil,
		i32c(1), insI(wasm.OpRefFunc, 2), insI(wasm.OpTableSet, 0),
		blockT(wasm.OpLoop, wasm.BlockEmpty),
		insI(wasm.OpLocalGet, 0), i32c(1), ins(wasm.OpI32Sub), insI(wasm.OpLocalTee, 0),
		insI(wasm.OpBrIf, 0),
		ins(wasm.OpEnd),
		i32c(1), wasm.Instr{Op: wasm.OpCallIndirect, Index: 0})
	b, err := wasm.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startTables starts tableModule on a fresh instrumented engine.
func startTables(t *testing.T, cfg ThreadConfig) *Thread {
	t.Helper()
	p, err := newTestEngine(t, Config{}).Load(context.Background(), "tables", tableModule(t))
	if err != nil {
		t.Fatal(err)
	}
	th, err := p.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// moveThread captures th, sends the capture through bytes, restores it
// into a fresh thread and closes th.
func moveThread(t testing.TB, th *Thread) *Thread {
	t.Helper()
	ctx := context.Background()
	c, err := th.Capture(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := throughBytes(t, c)
	if !reflect.DeepEqual(c.Tables, c2.Tables) {
		t.Fatalf("tables changed through bytes: %+v -> %+v", c.Tables, c2.Tables)
	}
	nt, err := th.Program().Restore(ctx, c2, ThreadConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_ = th.Close()
	return nt
}

// throughBytes encodes c and decodes the bytes into a new capture; it
// returns both.
func throughBytes(t testing.TB, c *Capture) (*Capture, []byte) {
	t.Helper()
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var d Capture
	if err := d.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return &d, b
}

func call(t *testing.T, th *Thread, export string, params ...uint64) Stop {
	t.Helper()
	if err := th.Call(export, params...); err != nil {
		t.Fatal(err)
	}
	for {
		s := th.Run(1 << 40)
		if s.Kind != Preempted {
			return s
		}
	}
}

func TestCaptureKeepsTablesDropsAndV128(t *testing.T) {
	th := startTables(t, ThreadConfig{NoEntry: true})
	for _, e := range []string{"mutate", "dropdata", "vset"} {
		if s := call(t, th, e); s.Kind != Exited {
			t.Fatalf("%s: %v %v", e, s.Kind, s.Err)
		}
	}
	th = moveThread(t, th)
	defer func() { _ = th.Close() }()
	want := []uint64{3, 2, 2, 2, 2}
	for i, w := range want {
		s := call(t, th, "call", uint64(i))
		if s.Kind != Exited || s.Results[0] != w {
			t.Errorf("call(%d) after restore: %v %v %v, want %d", i, s.Kind, s.Results, s.Err, w)
		}
	}
	if s := call(t, th, "call", 5); s.Kind != Trapped {
		t.Errorf("call(5) beyond the grown table: %v, want a trap", s.Kind)
	}
	if s := call(t, th, "size"); s.Kind != Exited || s.Results[0] != 5 {
		t.Errorf("size after restore: %v %v, want 5", s.Kind, s.Results)
	}
	if s := call(t, th, "init"); s.Kind != Trapped {
		t.Errorf("memory.init of the dropped segment after restore: %v, want a trap", s.Kind)
	}
	if s := call(t, th, "vhi"); s.Kind != Exited || s.Results[0] != 7 {
		t.Errorf("v128 global's high half after restore: %v %v, want 7", s.Kind, s.Results)
	}
}

// A fresh instance of the same program still has its initial tables and
// live segments: the restore above is what changed them.
func TestTableModuleFreshInstance(t *testing.T) {
	th := startTables(t, ThreadConfig{NoEntry: true})
	defer th.Close()
	if s := call(t, th, "call", 0); s.Kind != Exited || s.Results[0] != 1 {
		t.Errorf("call(0): %v %v, want 1", s.Kind, s.Results)
	}
	if s := call(t, th, "init"); s.Kind != Exited {
		t.Errorf("memory.init of a live segment: %v %v", s.Kind, s.Err)
	}
}

// Captured at every preemption of a loop that runs after a table.set, the
// thread still calls through the changed entry when it ends.
func TestCaptureMidCallKeepsTable(t *testing.T) {
	th := startTables(t, ThreadConfig{Entry: "spin", Params: []uint64{200}})
	moves := 0
	for {
		s := th.Run(50)
		if s.Kind == Exited {
			if s.Results[0] != 3 {
				t.Fatalf("spin returned %d after %d moves, want 3 (the changed entry)", s.Results[0], moves)
			}
			break
		}
		if s.Kind != Preempted {
			t.Fatalf("spin: %v %v", s.Kind, s.Err)
		}
		th = moveThread(t, th)
		moves++
	}
	_ = th.Close()
	if moves < 3 {
		t.Fatalf("only %d moves: the budget does not preempt the loop", moves)
	}
}

func TestCaptureRefusesHostRefInTable(t *testing.T) {
	th := startTables(t, ThreadConfig{NoEntry: true})
	defer th.Close()
	if _, err := th.Capture(context.Background()); err != nil {
		t.Fatalf("null externrefs only: %v", err)
	}
	if s := call(t, th, "setext", 0x1234); s.Kind != Exited {
		t.Fatalf("setext: %v %v", s.Kind, s.Err)
	}
	_, err := th.Capture(context.Background())
	if !errors.Is(err, ErrHostRef) || !strings.Contains(err.Error(), "table 1 entry 0") {
		t.Fatalf("capture with a host value in a table: %v, want ErrHostRef naming table 1 entry 0", err)
	}
}

// Programs that change no table get no accessors and no version 2
// captures: they pay nothing.
func TestNoTableChangesNoCost(t *testing.T) {
	m, err := wasm.Decode(testModule(t))
	if err != nil {
		t.Fatal(err)
	}
	nTables, nExports := len(m.Tables), len(m.Exports)
	addStateAccessors(m)
	if len(m.Tables) != nTables || len(m.Exports) != nExports {
		t.Fatalf("a module that changes no table got %d tables and %d exports added", len(m.Tables)-nTables, len(m.Exports)-nExports)
	}
	c := &Capture{Entry: "x"}
	b, _ := c.MarshalBinary()
	if b[len(captureMagic)] != 1 {
		t.Fatalf("capture without tables written as version %d, want 1", b[len(captureMagic)])
	}
}

func TestCaptureTablesRoundTrip(t *testing.T) {
	c := &Capture{Entry: "_start", Params: []uint64{7}, Globals: []uint64{1}, Tables: []Table{
		{Index: 0, Elem: wasm.FuncRef, Funcs: []uint32{0, 5, 300}},
		{Index: 2, Elem: wasm.ExternRef, Funcs: []uint32{0}},
	}}
	d, b := throughBytes(t, c)
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("round trip: %+v -> %+v", c.Tables, d.Tables)
	}
	for cut := 0; cut < len(b); cut++ {
		if err := d.UnmarshalBinary(b[:cut]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", cut)
		}
	}
}

// FuzzInstrumentTables is FuzzInstrument seeded with modules that change
// tables and drop segments: whatever the decoder and validator accept is
// rewritten, with its table accessors, into a module wazero compiles.
func FuzzInstrumentTables(f *testing.F) {
	// A mutated module may come to use the rewrite's reserved names, which
	// it refuses on purpose.
	fuzzInstrument(f, tableModule(f), true)
}
