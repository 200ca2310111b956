package cpu

import (
	"context"
	"testing"
)

// cpuPerOp runs f b.N times and reports the process CPU time per run
// (processCPU: user + system, garbage collection included, waiting for a
// core excluded) as cpu-ns/op next to ns/op.
func cpuPerOp(b *testing.B, f func()) {
	b.ReportAllocs()
	c0, ok0 := processCPU()
	for i := 0; i < b.N; i++ {
		f()
	}
	if c1, ok1 := processCPU(); ok0 && ok1 {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkCaptureParts splits BenchmarkCaptureRestore10 (a 10-frame
// stack of the test module's fib, one 64 KiB page of memory) into its
// parts, each measured alone:
//
//	capture: Capture of a thread that already holds its unwound stack
//	         (copy of frames, globals and memory; no unwinding)
//	restore: Restore into a fresh instance, then Close it (instantiation,
//	         memory fill, globals, and the instance's release)
//	rewind:  as restore, plus the first Run that rewinds the ten frames
//	         and stops at the next budget check
//
// rewind minus restore is the stack's share of a move; whole is one
// capture+restore, as BenchmarkCaptureRestore10. Each also reports the
// process CPU time per run (cpu-ns/op), steadier than ns/op on a busy
// host.
func BenchmarkCaptureParts(b *testing.B) {
	eng := newTestEngine(b, Config{})
	ctx := context.Background()
	p, err := eng.Load(ctx, "test", testModule(b))
	if err != nil {
		b.Fatal(err)
	}
	th, err := p.Start(ctx, ThreadConfig{Entry: "fib", Params: []uint64{25}})
	if err != nil {
		b.Fatal(err)
	}
	defer th.Close()
	var c *Capture
	for {
		if s := th.Run(3); s.Kind != Preempted {
			b.Fatalf("stop %v", s.Kind)
		}
		if c, err = th.Capture(ctx); err != nil {
			b.Fatal(err)
		}
		if len(c.Frames) == 10 {
			break
		}
	}
	b.Run("capture", func(b *testing.B) {
		cpuPerOp(b, func() {
			if _, err := th.Capture(ctx); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("restore", func(b *testing.B) {
		cpuPerOp(b, func() {
			nt, err := p.Restore(ctx, c, ThreadConfig{})
			if err != nil {
				b.Fatal(err)
			}
			_ = nt.Close()
		})
	})
	b.Run("rewind", func(b *testing.B) {
		cpuPerOp(b, func() {
			nt, err := p.Restore(ctx, c, ThreadConfig{})
			if err != nil {
				b.Fatal(err)
			}
			if s := nt.Run(1); s.Kind != Preempted {
				b.Fatalf("restored run: %v", s.Kind)
			}
			_ = nt.Close()
		})
	})
	b.Run("whole", func(b *testing.B) {
		cpuPerOp(b, func() {
			c, err := th.Capture(ctx)
			if err != nil {
				b.Fatal(err)
			}
			nt, err := p.Restore(ctx, c, ThreadConfig{})
			if err != nil {
				b.Fatal(err)
			}
			if s := nt.Run(1); s.Kind != Preempted {
				b.Fatalf("restored run: %v", s.Kind)
			}
			_ = nt.Close()
		})
	})
}
