package cpu

import (
	"context"
	"testing"
)

// BenchmarkContextSwitch measures one Run→Block→Run round trip: the host
// cost of switching a blocked guest in and out (goal ≤ 1 µs).
func BenchmarkContextSwitch(b *testing.B) {
	eng := newTestEngine(b, Config{Plain: true})
	p := loadTestdata(b, eng, "thread.wasm")
	th := startEntry(b, p, "forever")
	th.Run(1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if s := th.Run(1); s.Kind != Blocked {
			b.Fatalf("got %v", s.Kind)
		}
	}
}

// BenchmarkStartCached measures starting (and closing) a thread of an
// already compiled program: what spawning a process costs the host (goal ≤
// 200 µs).
func BenchmarkStartCached(b *testing.B) {
	eng := newTestEngine(b, Config{Plain: true})
	p := loadTestdata(b, eng, "thread.wasm")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		th, err := p.Start(ctx, ThreadConfig{Entry: "add", Params: []uint64{1, 2}})
		if err != nil {
			b.Fatal(err)
		}
		_ = th.Close()
	}
}

// BenchmarkStartRunExit adds the first Run (goroutine start, entry call,
// exit) to BenchmarkStartCached: a whole short-lived process.
func BenchmarkStartRunExit(b *testing.B) {
	eng := newTestEngine(b, Config{Plain: true})
	p := loadTestdata(b, eng, "thread.wasm")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		th, err := p.Start(ctx, ThreadConfig{Entry: "add", Params: []uint64{1, 2}})
		if err != nil {
			b.Fatal(err)
		}
		if s := th.Run(1000); s.Kind != Exited {
			b.Fatal(s)
		}
		_ = th.Close()
	}
}

// BenchmarkHostCall measures one trivial guest→host call that finds its
// thread with ThreadOf (the shape of every system call).
func BenchmarkHostCall(b *testing.B) {
	eng := newTestEngine(b, Config{Plain: true})
	p := loadTestdata(b, eng, "thread.wasm")
	th := startEntry(b, p, "nops", uint64(b.N))
	b.ResetTimer()
	if s := th.Run(0); s.Kind != Exited {
		b.Fatal(s)
	}
}
