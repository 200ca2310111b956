package wasm

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// biggestModules returns up to n of the largest real modules available.
func biggestModules(b *testing.B, n int) []string {
	paths := realModules(b)
	sort.Slice(paths, func(i, j int) bool { return fileSize(paths[i]) > fileSize(paths[j]) })
	if len(paths) == 0 {
		b.Skip("no real modules found")
	}
	seen := map[int64]bool{}
	var out []string
	for _, p := range paths {
		if s := fileSize(p); !seen[s] && len(out) < n {
			seen[s] = true
			out = append(out, p)
		}
	}
	return out
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func benchEach(b *testing.B, run func(b *testing.B, data []byte, m *Module)) {
	for _, p := range biggestModules(b, 3) {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		m, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(filepath.Base(p), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			cpu0, ok := processCPU()
			for i := 0; i < b.N; i++ {
				run(b, data, m)
			}
			if cpu1, ok1 := processCPU(); ok && ok1 && cpu1 > cpu0 {
				// Throughput per CPU-second: unlike MB/s it does not count
				// time spent waiting for a core on a loaded machine.
				b.ReportMetric(float64(len(data))*float64(b.N)/(float64(cpu1-cpu0)/1e9)/1e6, "MB/cpu-s")
			}
		})
	}
}

// BenchmarkDecodeEncode measures a full decode + encode of each module;
// MB/s is of the input module.
func BenchmarkDecodeEncode(b *testing.B) {
	benchEach(b, func(b *testing.B, data []byte, _ *Module) {
		m, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Encode(m); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkDecode measures Decode alone; most of its cost is writing the
// IR (one 72-byte Instr per instruction).
func BenchmarkDecode(b *testing.B) {
	benchEach(b, func(b *testing.B, data []byte, _ *Module) {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkEncode measures Encode of an already decoded module.
func BenchmarkEncode(b *testing.B) {
	benchEach(b, func(b *testing.B, _ []byte, m *Module) {
		if _, err := Encode(m); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkValidate measures Validate (every body type-checked).
func BenchmarkValidate(b *testing.B) {
	benchEach(b, func(b *testing.B, _ []byte, m *Module) {
		if err := Validate(m); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkIRFloor allocates and fills as many Instrs as decoding each
// module produces, doing no parsing at all: the cost of the IR itself
// (zeroing, first touch, garbage collection), which bounds Decode's
// throughput from above. MB/s is of the module, to compare with
// BenchmarkDecode.
func BenchmarkIRFloor(b *testing.B) {
	benchEach(b, func(b *testing.B, _ []byte, m *Module) {
		n := 0
		for i := range m.Funcs {
			n += len(m.Funcs[i].Body)
		}
		for i := range m.Datas {
			n += len(m.Datas[i].Offset)
		}
		ir := make([]Instr, n)
		for k := range ir {
			ir[k].Op, ir[k].Index = OpLocalGet, uint32(k)
		}
	})
}
