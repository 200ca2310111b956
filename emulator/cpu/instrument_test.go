package cpu

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"dosemu/emulator/wasm"
)

func ins(op wasm.Opcode) wasm.Instr { return wasm.Instr{Op: op} }
func insI(op wasm.Opcode, i uint32) wasm.Instr {
	return wasm.Instr{Op: op, Index: i}
}
func i32c(v int32) wasm.Instr { return wasm.Instr{Op: wasm.OpI32Const, Value: uint64(int64(v))} }
func blockT(op wasm.Opcode, bt wasm.BlockType) wasm.Instr {
	return wasm.Instr{Op: op, Block: bt}
}

// testModule builds a module exercising the rewrite's hard cases:
// recursion with an operand below a call (fib), a call-free loop over
// memory (sum), calls in both arms of an if, a call in a result block
// with a value of the enclosing frame below it, br_table carrying a value,
// multi-value results (mixed), and the loop clang makes of fib's second
// recursive call (fibloop: one direct call per iteration, its argument
// computed by pure code, so the loop needs no test of its own).
func testModule(t testing.TB) []byte {
	const n = 1000
	data := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(data[4*i:], uint32(i*7+3))
	}
	m := &wasm.Module{
		Types: []wasm.FuncType{
			{Params: []wasm.ValType{wasm.I32}, Results: []wasm.ValType{wasm.I32}},
			{Params: []wasm.ValType{wasm.I32}, Results: []wasm.ValType{wasm.I64}},
			{Params: []wasm.ValType{wasm.I32}, Results: []wasm.ValType{wasm.I32, wasm.I32}},
		},
		Memories: []wasm.MemType{{Limits: wasm.Limits{Min: 1}}},
		Datas:    []wasm.Data{{Mode: wasm.SegmentActive, Offset: []wasm.Instr{i32c(0), ins(wasm.OpEnd)}, Init: data}},
		Exports: []wasm.Export{
			{Name: "fib", Kind: wasm.ExternFunc, Index: 0},
			{Name: "sum", Kind: wasm.ExternFunc, Index: 1},
			{Name: "mixed", Kind: wasm.ExternFunc, Index: 2},
			{Name: "fibloop", Kind: wasm.ExternFunc, Index: 3},
		},
	}
	fib := []wasm.Instr{
		insI(wasm.OpLocalGet, 0), i32c(2), ins(wasm.OpI32LtS),
		blockT(wasm.OpIf, wasm.BlockOf(wasm.I32)),
		insI(wasm.OpLocalGet, 0),
		ins(wasm.OpElse),
		insI(wasm.OpLocalGet, 0), i32c(1), ins(wasm.OpI32Sub), insI(wasm.OpCall, 0),
		insI(wasm.OpLocalGet, 0), i32c(2), ins(wasm.OpI32Sub), insI(wasm.OpCall, 0),
		ins(wasm.OpI32Add),
		ins(wasm.OpEnd),
		ins(wasm.OpEnd),
	}
	// locals: 1 = i (i32), 2 = acc (i64)
	sum := []wasm.Instr{
		blockT(wasm.OpBlock, wasm.BlockEmpty),
		blockT(wasm.OpLoop, wasm.BlockEmpty),
		insI(wasm.OpLocalGet, 1), insI(wasm.OpLocalGet, 0), ins(wasm.OpI32GeU), insI(wasm.OpBrIf, 1),
		insI(wasm.OpLocalGet, 2),
		insI(wasm.OpLocalGet, 1), i32c(4), ins(wasm.OpI32Mul), {Op: wasm.OpI64Load32U, Align: 2},
		ins(wasm.OpI64Add), insI(wasm.OpLocalSet, 2),
		insI(wasm.OpLocalGet, 1), i32c(1), ins(wasm.OpI32Add), insI(wasm.OpLocalSet, 1),
		insI(wasm.OpBr, 0),
		ins(wasm.OpEnd),
		ins(wasm.OpEnd),
		insI(wasm.OpLocalGet, 2),
		ins(wasm.OpEnd),
	}
	mixed := []wasm.Instr{
		i32c(100),
		blockT(wasm.OpBlock, wasm.BlockOf(wasm.I32)),
		insI(wasm.OpLocalGet, 0), insI(wasm.OpCall, 0),
		insI(wasm.OpLocalGet, 0),
		{Op: wasm.OpBrTable, Index2: 2, Index: 0}, // targets 0, 0 in the function's Labels
		ins(wasm.OpEnd),
		ins(wasm.OpI32Add),
		insI(wasm.OpLocalGet, 0), i32c(3), ins(wasm.OpI32Sub), insI(wasm.OpCall, 0),
		ins(wasm.OpEnd),
	}
	// local 1 = acc (i64)
	fibloop := []wasm.Instr{
		insI(wasm.OpLocalGet, 0), i32c(2), ins(wasm.OpI32GeU),
		blockT(wasm.OpIf, wasm.BlockEmpty),
		blockT(wasm.OpLoop, wasm.BlockEmpty),
		insI(wasm.OpLocalGet, 0), i32c(1), ins(wasm.OpI32Sub), insI(wasm.OpCall, 3),
		insI(wasm.OpLocalGet, 1), ins(wasm.OpI64Add), insI(wasm.OpLocalSet, 1),
		insI(wasm.OpLocalGet, 0), i32c(2), ins(wasm.OpI32Sub), insI(wasm.OpLocalTee, 0),
		i32c(2), ins(wasm.OpI32GeU), insI(wasm.OpBrIf, 0),
		ins(wasm.OpEnd),
		ins(wasm.OpEnd),
		insI(wasm.OpLocalGet, 1), insI(wasm.OpLocalGet, 0), ins(wasm.OpI64ExtendI32U), ins(wasm.OpI64Add),
		ins(wasm.OpEnd),
	}
	m.Funcs = []wasm.Func{
		{TypeIdx: 0, Body: fib},
		{TypeIdx: 1, Locals: []wasm.ValType{wasm.I32, wasm.I64}, Body: sum},
		{TypeIdx: 2, Body: mixed, Labels: []uint32{0, 0}},
		{TypeIdx: 1, Locals: []wasm.ValType{wasm.I64}, Body: fibloop},
	}
	b, err := wasm.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type runResult struct {
	results []uint64
	used    []uint64
	stops   int
}

// runAll runs entry to completion with the given budget per run; when
// capture is set, every stop is captured, serialized and restored into a
// fresh thread.
func runAll(t testing.TB, p *Program, entry string, param uint64, fuel uint64, capture bool) runResult {
	t.Helper()
	ctx := context.Background()
	th, err := p.Start(ctx, ThreadConfig{Entry: entry, Params: []uint64{param}})
	if err != nil {
		t.Fatal(err)
	}
	var rr runResult
	for {
		s := th.Run(fuel)
		rr.used = append(rr.used, s.Used)
		switch s.Kind {
		case Exited:
			_ = th.Close()
			rr.results = s.Results
			return rr
		case Preempted:
			rr.stops++
			if capture {
				th = moveThread(t, th)
			}
		default:
			t.Fatalf("%s(%d): stop %v: %v", entry, param, s.Kind, s.Err)
		}
		if rr.stops > 1e6 {
			t.Fatalf("%s(%d): no progress", entry, param)
		}
	}
}

func TestInstrumentedMatchesPlainAndCaptureEverywhere(t *testing.T) {
	bin := testModule(t)
	plainEng := newTestEngine(t, Config{Plain: true})
	eng := newTestEngine(t, Config{})
	ctx := context.Background()
	pp, err := plainEng.Load(ctx, "test", bin)
	if err != nil {
		t.Fatal(err)
	}
	ip, err := eng.Load(ctx, "test", bin)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		entry string
		arg   uint64
	}{{"fib", 14}, {"sum", 300}, {"mixed", 9}, {"fibloop", 15}}
	for _, c := range cases {
		want := runAll(t, pp, c.entry, c.arg, 1<<62, false).results
		for _, fuel := range []uint64{1, 7, 50, 1000, 1 << 40} {
			a := runAll(t, ip, c.entry, c.arg, fuel, false)
			if !reflect.DeepEqual(a.results, want) {
				t.Fatalf("%s(%d) fuel %d: got %v, plain gives %v", c.entry, c.arg, fuel, a.results, want)
			}
			if fuel < 1000 && a.stops == 0 {
				t.Errorf("%s(%d) fuel %d: never preempted", c.entry, c.arg, fuel)
			}
			// Determinism: the same budget stops at the same points.
			b := runAll(t, ip, c.entry, c.arg, fuel, false)
			if !reflect.DeepEqual(a.used, b.used) {
				t.Fatalf("%s(%d) fuel %d: fuel use differs between identical runs", c.entry, c.arg, fuel)
			}
			if fuel > 1000 {
				continue
			}
			// Capture at every preemption: same result, same CPU time.
			cc := runAll(t, ip, c.entry, c.arg, fuel, true)
			if !reflect.DeepEqual(cc.results, want) {
				t.Fatalf("%s(%d) fuel %d capture-everywhere: got %v, want %v", c.entry, c.arg, fuel, cc.results, want)
			}
			if !reflect.DeepEqual(cc.used, a.used) {
				t.Fatalf("%s(%d) fuel %d capture-everywhere: fuel use differs from uncaptured run", c.entry, c.arg, fuel)
			}
		}
	}
}

// TestLoopWithoutOwnTest checks the shape of fibloop's loop: every
// iteration calls a function that tests the budget on entry, so the loop
// only charges (no test of its own, no rewind dispatch), and the call's
// argument is computed in place (no spill: a rewind lands before it).
// TestInstrumentedMatchesPlainAndCaptureEverywhere checks that it still
// preempts and rewinds right.
func TestLoopWithoutOwnTest(t *testing.T) {
	m, err := wasm.Decode(testModule(t))
	if err != nil {
		t.Fatal(err)
	}
	rw, err := Instrument(m)
	if err != nil {
		t.Fatal(err)
	}
	body := rw.Module.Funcs[3].Body
	loop := -1
	for k, in := range body {
		if in.Op == wasm.OpLoop {
			loop = k
			break
		}
	}
	if loop < 0 {
		t.Fatal("fibloop lost its loop")
	}
	var ops []wasm.Opcode
	for _, in := range body[loop+1:] {
		ops = append(ops, in.Op)
		if in.Op == wasm.OpCall {
			break
		}
	}
	charge := 0
	for _, op := range ops {
		switch op {
		case wasm.OpI64LtS, wasm.OpBrTable, wasm.OpIf:
			t.Errorf("loop header tests or dispatches (%v before the call): %v", op, ops)
		case wasm.OpLocalSet, wasm.OpLocalTee:
			t.Errorf("the call's argument is spilled: %v", ops)
		case wasm.OpI64Sub:
			charge++
		}
	}
	if charge != 1 {
		t.Errorf("loop charges %d times per iteration, want 1: %v", charge, ops)
	}
}

func TestFuelCountsInstructions(t *testing.T) {
	eng := newTestEngine(t, Config{})
	p, err := eng.Load(context.Background(), "test", testModule(t))
	if err != nil {
		t.Fatal(err)
	}
	total := func(n uint64) uint64 {
		r := runAll(t, p, "sum", n, 1<<40, false)
		return r.used[len(r.used)-1]
	}
	// Each iteration of sum's loop charges its 16 body instructions.
	if d := total(200) - total(100); d != 100*16 {
		t.Fatalf("100 more iterations cost %d fuel, want %d", d, 100*16)
	}
}

func TestInstrumentRefusesReservedNames(t *testing.T) {
	m := &wasm.Module{Exports: []wasm.Export{{Name: "__dosemu_fuel", Kind: wasm.ExternMemory}}}
	if _, err := Instrument(m); err == nil {
		t.Fatal("reserved export name accepted")
	}
	m = &wasm.Module{Types: []wasm.FuncType{{}}, Imports: []wasm.Import{{Module: cpuModule, Name: "yield", Kind: wasm.ExternFunc}}}
	if _, err := Instrument(m); err == nil {
		t.Fatal("import from the reserved module accepted")
	}
}

func TestCaptureRoundTripAndCorruption(t *testing.T) {
	c := &Capture{Entry: "_start", Params: []uint64{1, 2}, Fuel: -5, Memory: bytes.Repeat([]byte{7}, 65536),
		Globals: []uint64{9}, Frames: []Frame{{Func: 3, Site: 2, Values: []uint64{1, 2, 3}}, {Func: 4, Site: 0, Values: []uint64{}}}}
	c.Program[0] = 0xAB
	d, b := throughBytes(t, c)
	if !reflect.DeepEqual(c, d) {
		t.Fatalf("round trip changed the capture:\n%+v\n%+v", c.Frames, d.Frames)
	}
	for _, cut := range []int{0, 5, 20, len(b) / 2, len(b) - 1} {
		if err := d.UnmarshalBinary(b[:cut]); err == nil {
			t.Errorf("truncated to %d bytes: accepted", cut)
		}
	}
	bad := bytes.Clone(b)
	bad[len(bad)/2] ^= 1
	if err := d.UnmarshalBinary(bad); err == nil {
		t.Error("flipped bit accepted")
	}
}

func FuzzCaptureUnmarshal(f *testing.F) {
	c := &Capture{Entry: "x", Frames: []Frame{{Func: 1, Values: []uint64{5}}}}
	b, _ := c.MarshalBinary()
	f.Add(b)
	tc := &Capture{Entry: "x", Tables: []Table{{Index: 1, Elem: wasm.FuncRef, Funcs: []uint32{0, 4}}}}
	b, _ = tc.MarshalBinary()
	f.Add(b)
	f.Add([]byte("DOSEMUCP\x01\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c Capture
		if err := c.UnmarshalBinary(data); err != nil {
			return
		}
		// Whatever decodes must re-encode to the same bytes.
		out, err := c.MarshalBinary()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("decoded capture does not re-encode to its input")
		}
	})
}

// FuzzInstrument checks that every module the decoder and validator accept
// is rewritten without error into a module wazero compiles. Seeds: the
// test module, the spec suite's modules (when wazero's module download is
// present; every 16th with -short, which the race run uses) and the repo's
// guests under 64 KiB.
func FuzzInstrument(f *testing.F) {
	if d := specDir(); d != "" {
		mods, _ := filepath.Glob(filepath.Join(d, "*.wasm"))
		for i, p := range mods {
			if testing.Short() && i%16 != 0 {
				continue
			}
			if b, err := os.ReadFile(p); err == nil && len(b) < 1<<16 {
				f.Add(b)
			}
		}
	}
	guests, _ := filepath.Glob(filepath.Join("..", "..", "guests", "*", "*.wasm"))
	top, _ := filepath.Glob(filepath.Join("..", "..", "guests", "*.wasm"))
	for _, p := range append(guests, top...) {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<16 {
			f.Add(b)
		}
	}
	fuzzInstrument(f, testModule(f), false)
}

// fuzzInstrument runs the rewrite on every module the decoder and
// validator accept, from seed, and compiles its output with wazero.
// allowReserved tolerates the refusal of modules that use the rewrite's
// reserved names.
func fuzzInstrument(f *testing.F, seed []byte, allowReserved bool) {
	f.Add(seed)
	eng := newTestEngine(f, Config{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := wasm.Decode(data)
		if err != nil || wasm.Validate(m) != nil {
			return
		}
		out, _, err := instrumentBytes(data)
		if err != nil {
			if allowReserved && strings.Contains(err.Error(), "reserved") {
				return
			}
			t.Fatalf("valid module refused by the rewrite: %v", err)
		}
		if _, err := eng.Runtime().CompileModule(context.Background(), out); err != nil {
			if _, perr := eng.Runtime().CompileModule(context.Background(), data); perr != nil {
				// wazero refuses the original too (its decoder rejects,
				// for one, a custom section that is only an empty name,
				// which the spec allows): not the rewrite's doing.
				return
			}
			t.Fatalf("rewritten module does not compile: %v", err)
		}
	})
}

// BenchmarkInstrumentThroughput measures the rewrite (decode, validate,
// instrument, encode) on the repo's guests, in module bytes per second,
// and reports the code growth ratio.
func BenchmarkInstrumentThroughput(b *testing.B) {
	for _, name := range []string{"../../guests/bench/sha256.wasm", "../../guests/bench/gowork.wasm"} {
		bin, err := readFileOrSkip(name)
		if err != nil {
			b.Skip(err)
		}
		b.Run(name[len("../../guests/"):], func(b *testing.B) {
			b.SetBytes(int64(len(bin)))
			var out int
			for i := 0; i < b.N; i++ {
				o, _, err := instrumentBytes(bin)
				if err != nil {
					b.Fatal(err)
				}
				out = len(o)
			}
			b.ReportMetric(float64(out)/float64(len(bin)), "growth")
		})
	}
}

func readFileOrSkip(name string) ([]byte, error) { return os.ReadFile(name) }
