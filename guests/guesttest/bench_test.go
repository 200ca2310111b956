package guesttest

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// BenchmarkPlainWazero is the uninstrumented baseline: each workload on
// plain wazero (compiler, wazero's own WASI), compiled once up front.
func BenchmarkPlainWazero(b *testing.B) {
	ctx := context.Background()
	rt := newRuntime(ctx)
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	for _, w := range Workloads {
		b.Run(w.Name, func(b *testing.B) {
			bin, err := os.ReadFile(Path("bench/" + w.Name + ".wasm"))
			if err != nil {
				b.Fatal(err)
			}
			cm, err := rt.CompileModule(ctx, bin)
			if err != nil {
				b.Fatal(err)
			}
			cfg := wazero.NewModuleConfig().WithName("").WithStdout(io.Discard).
				WithArgs(append([]string{w.Name}, w.Args...)...)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m, err := rt.InstantiateModule(ctx, cm, cfg)
				if err != nil {
					b.Fatal(err)
				}
				m.Close(ctx)
			}
		})
	}
}
