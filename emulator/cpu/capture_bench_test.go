package cpu

import (
	"context"
	"testing"
	"time"
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

// BenchmarkCaptureParts splits a capture and restore of a 10-frame stack
// (the test module's fib preempted ten frames deep, one 64 KiB page of
// memory) into its parts, each measured alone:
//
//	capture: Capture of a thread that already holds its unwound stack
//	         (copy of frames, globals and memory; no unwinding)
//	restore: Restore into a fresh instance, then Close it (instantiation,
//	         memory fill, globals, and the instance's release)
//	rewind:  as restore, plus the first Run that rewinds the ten frames
//	         and stops at the next budget check
//
// rewind minus restore is the stack's share of a move; whole is one
// capture+restore. Each also reports the
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
	// rewind restores c into a fresh instance, rewinds it to the next
	// budget check and closes it.
	rewind := func(b *testing.B, c *Capture) {
		nt, err := p.Restore(ctx, c, ThreadConfig{})
		if err != nil {
			b.Fatal(err)
		}
		if s := nt.Run(1); s.Kind != Preempted {
			b.Fatalf("restored run: %v", s.Kind)
		}
		_ = nt.Close()
	}
	b.Run("rewind", func(b *testing.B) {
		cpuPerOp(b, func() { rewind(b, c) })
	})
	b.Run("whole", func(b *testing.B) {
		cpuPerOp(b, func() {
			c, err := th.Capture(ctx)
			if err != nil {
				b.Fatal(err)
			}
			rewind(b, c)
		})
	})
}

// BenchmarkCaptureRestore10 measures one move of a thread parked in a host
// call ten wasm frames deep (thread.wasm's deepblock(9); one 64 KiB page
// of memory) into a fresh instance, the whole cycle a move makes, and
// reports each phase's mean host time per op:
//
//	prepare-ns  Prepare making the instance the restore takes (prepared
//	            variants only)
//	capture-ns  unwinding the ten frames out of the parked call, and the
//	            copy of the state (copy variants; fork does it inside)
//	restore-ns  the fresh instance filled with the memory and globals
//	            (fork: the capture too)
//	run-ns      the first Run: the rewind of the ten frames and the
//	            repeat of the host call, which parks again
//	close-ns    closing the old instance (and clearing its reservation)
//	move-ns     capture + restore + run: the move itself, from the
//	            source's stop to the copy parked where the source was
//
// ns/op is all phases; cpu-ns/op is the process CPU time per op, garbage
// collection included. The restored thread is the next op's source.
// Variants:
//
//	copy      Capture (the capture owns a copy of the memory) and
//	          Restore: for a caller that keeps the capture while the
//	          thread runs on (the kernel's checkpoints and chaos round
//	          trips encode straight from CaptureState instead)
//	fork      ForkWith(ForkNonZero): the same capture and restore with
//	          the memory copied straight from the old instance into the
//	          new, no copy of its own in between: a move within the host
//	fresh     the restore instantiates
//	prepared  the restore takes an instance Prepare made in the op's
//	          first phase, as a migration's prepare phase does while
//	          the source still runs
func BenchmarkCaptureRestore10(b *testing.B) {
	for _, fork := range []bool{false, true} {
		for _, prepared := range []bool{false, true} {
			name := "copy"
			if fork {
				name = "fork"
			}
			if prepared {
				name += "/prepared"
			} else {
				name += "/fresh"
			}
			b.Run(name, func(b *testing.B) { benchMove10(b, fork, prepared) })
		}
	}
}

func benchMove10(b *testing.B, fork, prepared bool) {
	ctx := context.Background()
	p := loadTestdata(b, newTestEngine(b, Config{}), "thread.wasm")
	src, err := p.Start(ctx, ThreadConfig{Entry: "deepblock", Params: []uint64{9}})
	if err != nil {
		b.Fatal(err)
	}
	if s := src.Run(1 << 40); s.Kind != Blocked {
		b.Fatalf("deepblock(9): %v %v", s.Kind, s.Err)
	}
	defer func() { _ = src.Close() }()
	if c, err := src.CaptureState(ctx); err != nil || len(c.Frames) != 10 {
		b.Fatalf("captured %v frames (%v), want 10", len(c.Frames), err)
	}
	var phase [5]time.Duration // prepare, capture, restore, run, close
	c0, cpuOK := processCPU()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if prepared {
			if err := p.Prepare(ctx, "deepblock"); err != nil {
				b.Fatal(err)
			}
		}
		t1 := time.Now()
		var c *Capture
		if !fork {
			if c, err = src.Capture(ctx); err != nil {
				b.Fatal(err)
			}
		}
		t2 := time.Now()
		var nt *Thread
		if fork {
			nt, err = src.ForkWith(ctx, ThreadConfig{}, ForkNonZero)
		} else {
			nt, err = p.Restore(ctx, c, ThreadConfig{})
		}
		if err != nil {
			b.Fatal(err)
		}
		if prepared && p.Spares() != 0 {
			b.Fatalf("the restore left %d prepared instances", p.Spares())
		}
		t3 := time.Now()
		if s := nt.Run(1 << 40); s.Kind != Blocked {
			b.Fatalf("restored run: %v %v", s.Kind, s.Err)
		}
		t4 := time.Now()
		_ = src.Close()
		src = nt
		t5 := time.Now()
		for k, d := range []time.Duration{t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t5.Sub(t4)} {
			phase[k] += d
		}
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
	if prepared {
		b.ReportMetric(per(phase[0]), "prepare-ns")
	}
	if !fork {
		b.ReportMetric(per(phase[1]), "capture-ns")
	}
	for k, name := range []string{"restore-ns", "run-ns", "close-ns"} {
		b.ReportMetric(per(phase[k+2]), name)
	}
	b.ReportMetric(per(phase[1]+phase[2]+phase[3]), "move-ns")
	if c1, ok := processCPU(); cpuOK && ok {
		b.ReportMetric(float64(c1-c0)/float64(b.N), "cpu-ns/op")
	}
}
