package wasi_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/tetratelabs/wazero"
)

// loopModule imports fd_write and exports run(n), which calls
// fd_write(1, iovs=0, iovs_len=0, nwritten=16) n times: the cheapest real
// system call, guest to host and back.
var loopModule = []byte{
	0, 'a', 's', 'm', 1, 0, 0, 0,
	1, 0x0d, 2, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f, 0x60, 1, 0x7f, 0,
	2, 0x23, 1, 22, 'w', 'a', 's', 'i', '_', 's', 'n', 'a', 'p', 's', 'h', 'o', 't', '_', 'p', 'r', 'e', 'v', 'i', 'e', 'w', '1',
	8, 'f', 'd', '_', 'w', 'r', 'i', 't', 'e', 0, 0,
	3, 2, 1, 1,
	5, 3, 1, 0, 1,
	7, 7, 1, 3, 'r', 'u', 'n', 0, 1,
	10, 0x23, 1, 0x21, 0,
	0x02, 0x40, 0x03, 0x40,
	0x20, 0, 0x45, 0x0d, 1,
	0x41, 1, 0x41, 0, 0x41, 0, 0x41, 16, 0x10, 0, 0x1a,
	0x20, 0, 0x41, 1, 0x6b, 0x21, 0,
	0x0c, 0, 0x0b, 0x0b, 0x0b,
}

func BenchmarkTrivialSyscall(b *testing.B) {
	var out, errb bytes.Buffer
	p := newTestProc(nil, nil, nil, &out, &errb)
	ctx := context.WithValue(context.Background(), procKey{}, any(p))
	r := runtime(b)
	mod, err := r.InstantiateWithConfig(ctx, loopModule, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		b.Fatal(err)
	}
	defer mod.Close(ctx)
	run := mod.ExportedFunction("run")
	b.ResetTimer()
	if _, err := run.Call(ctx, uint64(b.N)); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mcalls/s")
}

func TestTrivialSyscallLoop(t *testing.T) {
	var out, errb bytes.Buffer
	p := newTestProc(nil, nil, nil, &out, &errb)
	ctx := context.WithValue(context.Background(), procKey{}, any(p))
	mod, err := runtime(t).InstantiateWithConfig(ctx, loopModule, wazero.NewModuleConfig().WithName(""))
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(ctx)
	if _, err := mod.ExportedFunction("run").Call(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	if got := p.calls[26]; got != 1000 {
		t.Errorf("fd_write called %d times, want 1000", got)
	}
	if n, _ := mod.Memory().ReadUint32Le(16); n != 0 {
		t.Errorf("nwritten = %d, want 0", n)
	}
}
