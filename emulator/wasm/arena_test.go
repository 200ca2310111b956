package wasm

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// The decoder carves bodies, labels, locals, signatures and data payloads
// out of shared chunks. Each piece must be capacity-limited, so that a
// pass appending to one never writes into its neighbour.
func TestDecodedSlicesAreIsolated(t *testing.T) {
	data := goGuest(t)
	m, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Funcs {
		f := &m.Funcs[i]
		if cap(f.Body) != len(f.Body) || cap(f.Locals) != len(f.Locals) || cap(f.Labels) != len(f.Labels) {
			t.Fatalf("func %d: body len %d cap %d, locals len %d cap %d, labels len %d cap %d",
				i, len(f.Body), cap(f.Body), len(f.Locals), cap(f.Locals), len(f.Labels), cap(f.Labels))
		}
		// Appending must reallocate, leaving every other body intact.
		_ = append(f.Body, Instr{Op: OpUnreachable})
		_ = append(f.Locals, F64)
		_ = append(f.Labels, 0xFFFF)
	}
	for i := range m.Types {
		_ = append(m.Types[i].Params, V128)
		_ = append(m.Types[i].Results, V128)
	}
	for i := range m.Datas {
		d := &m.Datas[i]
		if cap(d.Init) != len(d.Init) || cap(d.Offset) != len(d.Offset) {
			t.Fatalf("data %d: init len %d cap %d", i, len(d.Init), cap(d.Init))
		}
		_ = append(d.Init, 0xAA)
		_ = append(d.Offset, Instr{Op: OpUnreachable})
	}
	got, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("appending to decoded slices changed other parts of the module")
	}
}

// Decode costs a few hundred allocations for a 2.8 MB Go module (arena
// chunks, names, segment tables), not one per function or instruction;
// Encode costs one (plus a few per worker when spread over goroutines); Validate a few dozen, independent of the body sizes.
func TestCodecAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes a 2.8 MB module several times")
	}
	data := goGuest(t)
	m, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	var sink any
	dec := testing.AllocsPerRun(2, func() { sink, _ = Decode(data) })
	enc := testing.AllocsPerRun(2, func() { sink, _ = Encode(m) })
	val := testing.AllocsPerRun(2, func() { sink = Validate(m) })
	_ = sink
	t.Logf("%d functions, %d data segments: decode %.0f, encode %.0f, validate %.0f allocations", len(m.Funcs), len(m.Datas), dec, enc, val)
	if dec > 2000 {
		t.Errorf("Decode made %.0f allocations, want < 2000", dec)
	}
	// The output and one regrowth; bodies encoded in parallel add the
	// range table, and a buffer and a goroutine per worker.
	if bound := 4 + 2*runtime.GOMAXPROCS(0); enc > float64(bound) {
		t.Errorf("Encode made %.0f allocations, want at most %d (the output, one regrowth, per-worker buffers)", enc, bound)
	}
	if val > 100 {
		t.Errorf("Validate made %.0f allocations, want < 100", val)
	}
}

func goGuest(t *testing.T) []byte {
	for _, p := range []string{
		filepath.Join("..", "..", "guests", "bench", "gowork.wasm"),
		filepath.Join("..", "..", "guests", "goinfo.wasm"),
	} {
		if data, err := os.ReadFile(p); err == nil {
			return data
		}
	}
	t.Skip("no Go guest built")
	return nil
}
