package cpu

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"dosemu/emulator/wasm"
)

// withParallel runs f with GOMAXPROCS procs and the parallel threshold
// lowered to minInstrs, restoring both after.
func withParallel(procs, minInstrs int, f func()) {
	old := runtime.GOMAXPROCS(procs)
	oldMin := minParallelInstrs
	minParallelInstrs = minInstrs
	defer func() {
		runtime.GOMAXPROCS(old)
		minParallelInstrs = oldMin
	}()
	f()
}

// TestRewriteParallelDeterministic checks that the rewrite's output (the
// encoded module, frames, globals and counts, as the golden list hashes
// them) is the same on one goroutine and spread over four, with the
// threshold lowered so that even the small modules take the parallel path.
func TestRewriteParallelDeterministic(t *testing.T) {
	inputs := goldenInputs(t)
	n := 0
	for name, path := range inputs {
		if testing.Short() && strings.HasPrefix(name, "guests/") {
			continue
		}
		bin, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var one, four string
		withParallel(1, minParallelInstrs, func() { one = rewriteDigest(bin) })
		withParallel(4, 1, func() { four = rewriteDigest(bin) })
		if one != four {
			t.Errorf("%s: rewrite digest %s on one goroutine, %s on four", name, one, four)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no module to rewrite")
	}
}

// manyFuncs builds a module of n functions () -> () that each call the
// next (so all are instrumented); the bodies listed in bad lack their
// final end, which the rewrite refuses.
func manyFuncs(n int, bad ...int) *wasm.Module {
	m := &wasm.Module{Types: []wasm.FuncType{{}}}
	isBad := map[int]bool{}
	for _, b := range bad {
		isBad[b] = true
	}
	for i := 0; i < n; i++ {
		body := []wasm.Instr{{Op: wasm.OpLoop}, {Op: wasm.OpCall, Index: uint32((i + 1) % n)}, {Op: wasm.OpEnd}}
		if !isBad[i] {
			body = append(body, wasm.Instr{Op: wasm.OpEnd})
		}
		m.Funcs = append(m.Funcs, wasm.Func{Body: body})
	}
	return m
}

// TestRewriteParallelFirstError checks that when several functions fail,
// the error names the lowest one whatever the number of workers and
// however the scheduling falls.
func TestRewriteParallelFirstError(t *testing.T) {
	const n = 400
	bad := []int{371, 97, 398, 250}
	want := fmt.Sprintf("function %d,", 97+numImps) // indices after the host imports
	for _, procs := range []int{1, 2, 4, 8} {
		for rep := 0; rep < 20; rep++ {
			var err error
			withParallel(procs, 1, func() { _, err = Instrument(manyFuncs(n, bad...)) })
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("GOMAXPROCS %d: error %v, want one starting %q", procs, err, want)
			}
		}
	}
	var err error
	withParallel(4, 1, func() { _, err = Instrument(manyFuncs(n)) })
	if err != nil {
		t.Fatalf("the same module without bad bodies: %v", err)
	}
}

// TestRewriteParallelMultiValue checks the one module-level addition of a
// function's rewrite: a multi-value result needs a block type () -> results
// that the module may lack. It is added before the parallel pass, in the
// same order as on one goroutine, so the types and the bytes agree.
func TestRewriteParallelMultiValue(t *testing.T) {
	build := func() *wasm.Module {
		pair := []wasm.ValType{wasm.I32, wasm.I64}
		triple := []wasm.ValType{wasm.F64, wasm.I32, wasm.I64}
		m := &wasm.Module{Types: []wasm.FuncType{{Params: []wasm.ValType{wasm.I32}, Results: pair}, {Params: []wasm.ValType{wasm.I32}, Results: triple}}}
		const n = 300
		for i := 0; i < n; i++ {
			ti := uint32(i % 2)
			next := uint32(i + 2)
			if next >= n {
				next = ti
			}
			m.Funcs = append(m.Funcs, wasm.Func{TypeIdx: ti, Body: []wasm.Instr{
				{Op: wasm.OpLocalGet}, {Op: wasm.OpCall, Index: next}, {Op: wasm.OpEnd}}})
		}
		return m
	}
	encode := func(procs int) []byte {
		var out []byte
		withParallel(procs, 1, func() {
			m := build()
			if err := wasm.Validate(m); err != nil {
				t.Fatalf("test module: %v", err)
			}
			rw, err := Instrument(m)
			if err != nil {
				t.Fatalf("GOMAXPROCS %d: %v", procs, err)
			}
			if out, err = wasm.Encode(rw.Module); err != nil {
				t.Fatal(err)
			}
			m2, err := wasm.Decode(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := wasm.Validate(m2); err != nil {
				t.Fatalf("GOMAXPROCS %d: rewritten module invalid: %v", procs, err)
			}
		})
		return out
	}
	one, four := encode(1), encode(4)
	if !bytes.Equal(one, four) {
		t.Fatalf("rewrite differs: %d bytes on one goroutine, %d on four", len(one), len(four))
	}
}

// BenchmarkRewriteStages splits a rewrite of the Go guest (the largest
// module at hand) into its stages and the whole, each reporting MB/s of
// input and cpu-ns/op, the process CPU time per rewrite (all threads,
// garbage collection included), which unlike ns/op does not count waiting
// for a core on a shared machine. Run with -cpu 1,2 to compare one
// goroutine with two.
func BenchmarkRewriteStages(b *testing.B) {
	bin, err := os.ReadFile("../../guests/bench/gowork.wasm")
	if err != nil {
		b.Skipf("guest not built: %v", err)
	}
	decoded := func() *wasm.Module {
		m, err := wasm.Decode(bin)
		if err != nil {
			b.Fatal(err)
		}
		return m
	}
	instrumented := func() *wasm.Module {
		m := decoded()
		rw, err := Instrument(m)
		if err != nil {
			b.Fatal(err)
		}
		return rw.Module
	}
	stage := func(name string, prep func() *wasm.Module, run func(m *wasm.Module) error) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(bin)))
			b.ReportAllocs()
			var cpu int64
			for i := 0; i < b.N; i++ {
				var m *wasm.Module
				if prep != nil {
					b.StopTimer()
					m = prep()
					runtime.GC()
					b.StartTimer()
				}
				c0, ok0 := processCPU()
				if err := run(m); err != nil {
					b.Fatal(err)
				}
				if c1, ok1 := processCPU(); ok0 && ok1 {
					cpu += c1 - c0
				}
			}
			b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
		})
	}
	stage("decode", nil, func(*wasm.Module) error { _, err := wasm.Decode(bin); return err })
	stage("validate", decoded, wasm.Validate)
	stage("instrument", decoded, func(m *wasm.Module) error { _, err := Instrument(m); return err })
	stage("encode", instrumented, func(m *wasm.Module) error { _, err := wasm.Encode(m); return err })
	stage("all", nil, func(*wasm.Module) error { _, _, err := instrumentBytes(bin); return err })
}
