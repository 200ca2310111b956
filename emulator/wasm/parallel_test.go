package wasm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
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

func TestSplitCoversInOrder(t *testing.T) {
	for _, procs := range []int{1, 2, 4} {
		for _, n := range []int{0, 1, 2, 7, 100, 1000} {
			withParallel(procs, 1, func() {
				s := NewSplit(n, func(i int) int { return i % 17 }, 1)
				if s.Workers < 1 || s.Workers > procs {
					t.Fatalf("procs %d n %d: %d workers", procs, n, s.Workers)
				}
				seen := make([]atomic.Int32, n)
				var calls atomic.Int32
				err := s.Run(func(w, lo, hi int) error {
					calls.Add(1)
					if w < 0 || w >= s.Workers || lo >= hi || lo < 0 || hi > n {
						return fmt.Errorf("bad range w=%d [%d,%d)", w, lo, hi)
					}
					for i := lo; i < hi; i++ {
						seen[i].Add(1)
					}
					return nil
				})
				if err != nil {
					t.Fatalf("procs %d n %d: %v", procs, n, err)
				}
				if int(calls.Load()) != s.Ranges() {
					t.Fatalf("procs %d n %d: %d calls for %d ranges", procs, n, calls.Load(), s.Ranges())
				}
				for i := range seen {
					if seen[i].Load() != 1 {
						t.Fatalf("procs %d n %d: item %d done %d times", procs, n, i, seen[i].Load())
					}
				}
			})
		}
	}
}

// TestSplitLowestError fails several items and checks that the error is
// always the lowest item's, as a sequential loop would report.
func TestSplitLowestError(t *testing.T) {
	bad := map[int]bool{813: true, 402: true, 977: true, 655: true}
	for _, procs := range []int{1, 2, 4, 8} {
		for rep := 0; rep < 50; rep++ {
			withParallel(procs, 1, func() {
				err := NewSplit(1000, func(int) int { return 1 }, 1).Run(func(_, lo, hi int) error {
					for i := lo; i < hi; i++ {
						if bad[i] {
							return fmt.Errorf("item %d", i)
						}
					}
					return nil
				})
				if err == nil || err.Error() != "item 402" {
					t.Fatalf("procs %d: error %v, want item 402", procs, err)
				}
			})
		}
	}
}

// codecDigest is everything Decode, Validate and Encode say about data.
func codecDigest(data []byte) string {
	m, err := Decode(data)
	if err != nil {
		return "decode: " + err.Error()
	}
	verr := Validate(m)
	out, err := Encode(m)
	if err != nil {
		return fmt.Sprintf("summary %+v validate %v encode: %v", m.Summary, verr, err)
	}
	return fmt.Sprintf("summary %+v validate %v encoded %x", m.Summary, verr, out)
}

// TestCodecParallelDeterministic checks that decoding, validating and
// encoding every spec-suite module (valid, invalid and malformed ones)
// and every toolchain-built module gives the same results, errors
// included, on one goroutine and on four with even tiny modules split.
func TestCodecParallelDeterministic(t *testing.T) {
	var paths []string
	for _, sm := range specModules(t) {
		paths = append(paths, sm.path)
	}
	if !testing.Short() {
		paths = append(paths, realModules(t)...)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var one, four string
		withParallel(1, minParallelInstrs, func() { one = codecDigest(data) })
		withParallel(4, 1, func() { four = codecDigest(data) })
		if one != four {
			t.Errorf("%s: results differ:\none goroutine:   %.300s\nfour goroutines: %.300s", p, one, four)
		}
	}
}

// manyBodies encodes a module of n functions () -> (); the bodies in bad
// carry marker, the others a plain i32.const 42; drop.
func manyBodies(t *testing.T, n int, marker []Instr, bad ...int) []byte {
	m := &Module{Types: []FuncType{{}}}
	isBad := map[int]bool{}
	for _, b := range bad {
		isBad[b] = true
	}
	for i := 0; i < n; i++ {
		body := []Instr{{Op: OpI32Const, Value: 42}, {Op: OpDrop}, {Op: OpEnd}}
		if isBad[i] {
			body = marker
		}
		m.Funcs = append(m.Funcs, Func{Body: body})
	}
	out, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDecodeParallelFirstError corrupts several bodies and checks that
// Decode names the lowest one at any parallelism.
func TestDecodeParallelFirstError(t *testing.T) {
	marker := []Instr{{Op: OpI32Const, Value: 0x55}, {Op: OpDrop}, {Op: OpEnd}}
	bin := manyBodies(t, 500, marker, 444, 123, 499, 300)
	// i32.const 85 is 41 d5 00; its drop becomes the unassigned opcode ff.
	bin = bytes.ReplaceAll(bin, []byte{0x41, 0xd5, 0x00, 0x1a, 0x0b}, []byte{0x41, 0xd5, 0x00, 0xff, 0x0b})
	for _, procs := range []int{1, 2, 4, 8} {
		for rep := 0; rep < 20; rep++ {
			withParallel(procs, 1, func() {
				_, err := Decode(bin)
				var we *Error
				if !errors.As(err, &we) || we.Func != 123 || we.Instr != 1 {
					t.Fatalf("procs %d: error %v, want one in func 123, instr 1", procs, err)
				}
			})
		}
	}
}

// TestValidateParallelFirstError checks the same for type errors.
func TestValidateParallelFirstError(t *testing.T) {
	marker := []Instr{{Op: OpI32Const, Value: 7}, {Op: OpEnd}} // leaves a value: type error
	bin := manyBodies(t, 500, marker, 450, 77, 260, 499)
	for _, procs := range []int{1, 2, 4, 8} {
		for rep := 0; rep < 20; rep++ {
			withParallel(procs, 1, func() {
				m, err := Decode(bin)
				if err != nil {
					t.Fatal(err)
				}
				err = Validate(m)
				var we *Error
				if !errors.As(err, &we) || we.Func != 77 {
					t.Fatalf("procs %d: error %v, want one in func 77", procs, err)
				}
			})
		}
	}
}

// FuzzCodecParallel decodes, validates and encodes arbitrary bytes on one
// goroutine and spread over four with every body its own range: both must
// give the same module bytes and the same errors.
func FuzzCodecParallel(f *testing.F) {
	f.Add(paddedModule())
	for _, sm := range specModulesNoSkip() {
		if data, err := os.ReadFile(sm.path); err == nil && len(data) < 1<<14 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var one, four string
		withParallel(1, minParallelInstrs, func() { one = codecDigest(data) })
		withParallel(4, 1, func() { four = codecDigest(data) })
		if one != four {
			t.Fatalf("results differ:\none goroutine:   %.400s\nfour goroutines: %.400s", one, four)
		}
	})
}
