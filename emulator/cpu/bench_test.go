package cpu

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
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

// guestWorkload is one program of the speed comparison, sized so that one
// run takes tens of milliseconds on plain wazero.
type guestWorkload struct {
	name string
	file string // under guests/bench
	args []string
}

var guestWorkloads = []guestWorkload{
	{"loop", "loop.wasm", []string{"loop", "20000000"}},
	{"fib", "fib.wasm", []string{"fib", "32"}},
	{"stream64MiB", "stream.wasm", []string{"stream", "64", "2"}},
	{"sha256", "sha256.wasm", []string{"sha256", "4"}},
	{"gowork", "gowork.wasm", []string{"gowork", "20000"}},
}

// guestBench runs one workload on one engine: same WASI host (wazero's
// own wasi_snapshot_preview1) whatever the engine, so only the guest code
// differs between plain and instrumented.
type guestBench struct {
	eng  *Engine
	prog *Program
	args []string
}

func newGuestBench(tb testing.TB, plain bool, w guestWorkload) *guestBench {
	tb.Helper()
	ctx := context.Background()
	eng, err := NewEngine(ctx, Config{Plain: plain})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = eng.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, eng.Runtime())
	b, err := os.ReadFile(filepath.Join("..", "..", "guests", "bench", w.file))
	if err != nil {
		tb.Skipf("guest %s not built: %v", w.file, err)
	}
	p, err := eng.Load(ctx, w.name, b)
	if err != nil {
		tb.Fatal(err)
	}
	return &guestBench{eng: eng, prog: p, args: w.args}
}

// run executes the program once to completion and returns its output and
// how many times it was preempted.
func (g *guestBench) run(tb testing.TB) (string, int) {
	var out bytes.Buffer
	th, err := g.prog.Start(context.Background(), ThreadConfig{Args: g.args, Stdout: &out, Stderr: &out})
	if err != nil {
		tb.Fatal(err)
	}
	defer th.Close()
	preempts := 0
	for {
		s := th.Run(1 << 62)
		switch s.Kind {
		case Preempted:
			preempts++
			continue
		case Exited:
			if s.ExitCode != 0 {
				tb.Fatalf("%s exited %d: %s", g.prog.Name(), s.ExitCode, out.String())
			}
			return out.String(), preempts
		default:
			tb.Fatalf("%s: unexpected stop %v: %v", g.prog.Name(), s.Kind, s.Err)
		}
	}
}

// BenchmarkGuest runs each workload plain and instrumented as separate
// sub-benchmarks (ns/op is one whole program run).
func BenchmarkGuest(b *testing.B) {
	for _, w := range guestWorkloads {
		for _, plain := range []bool{true, false} {
			mode := "plain"
			if !plain {
				mode = "instrumented"
			}
			b.Run(w.name+"/"+mode, func(b *testing.B) {
				if !plain && rewriter == nil {
					b.Skip("no rewriter linked in")
				}
				g := newGuestBench(b, plain, w)
				g.run(b) // warm up: page in code, first-touch memory
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					g.run(b)
				}
			})
		}
	}
}

// runCost runs the program once and returns what it cost: the process's
// CPU time where the platform reports it (the guest runs on a goroutine of
// its own, and on a shared host wall time also counts waiting for a core),
// wall time otherwise.
func runCost(tb testing.TB, g *guestBench) time.Duration {
	c0, ok := processCPU()
	t0 := time.Now()
	g.run(tb)
	wall := time.Since(t0)
	if c1, ok1 := processCPU(); ok && ok1 {
		return time.Duration(c1 - c0)
	}
	return wall
}

// BenchmarkGuestRatio measures plain and instrumented runs of every
// workload alternately in the same process and reports the slowdown per
// workload (min of instrumented over min of plain, each run's cost being
// process CPU time, see runCost), the geometric mean and the code growth.
// It checks that both variants print the same output. Run with
// -benchtime=1x; each op does guestRatioRounds rounds.
func BenchmarkGuestRatio(b *testing.B) {
	if rewriter == nil {
		b.Skip("no rewriter linked in")
	}
	const guestRatioRounds = 7
	logSum, n := 0.0, 0
	srcTotal, codeTotal := 0, 0
	for i := 0; i < b.N; i++ {
		logSum, n, srcTotal, codeTotal = 0, 0, 0, 0
		for _, w := range guestWorkloads {
			plain := newGuestBench(b, true, w)
			inst := newGuestBench(b, false, w)
			wantOut, _ := plain.run(b)
			gotOut, _ := inst.run(b)
			if gotOut != wantOut {
				b.Fatalf("%s: instrumented output %q differs from plain %q", w.name, gotOut, wantOut)
			}
			bestPlain, bestInst := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
			for r := 0; r < guestRatioRounds; r++ {
				bestPlain = min(bestPlain, runCost(b, plain))
				bestInst = min(bestInst, runCost(b, inst))
			}
			ratio := float64(bestInst) / float64(bestPlain)
			b.ReportMetric(ratio, "x-"+w.name)
			logSum += math.Log(ratio)
			n++
			srcTotal += inst.prog.SourceSize()
			codeTotal += inst.prog.CodeSize()
			b.Logf("%-12s plain %8.2f ms  instrumented %8.2f ms  ratio %.3f  code %d -> %d bytes (%.3fx)",
				w.name, bestPlain.Seconds()*1e3, bestInst.Seconds()*1e3, ratio,
				inst.prog.SourceSize(), inst.prog.CodeSize(), float64(inst.prog.CodeSize())/float64(inst.prog.SourceSize()))
		}
	}
	if n > 0 {
		b.ReportMetric(math.Exp(logSum/float64(n)), "x-geomean")
		b.ReportMetric(float64(codeTotal)/float64(srcTotal), "x-code")
	}
}

// suspendToggle is the Data of kernel threads: the "env.suspend" host
// function unwinds on its first call and returns on the call the rewind
// makes, the restart semantics a fork-like system call has.
type suspendToggle struct{ resuming bool }

func newKernelEngine(tb testing.TB, plain bool) *Program {
	tb.Helper()
	ctx := context.Background()
	eng, err := NewEngine(ctx, Config{Plain: plain})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = eng.Close(ctx) })
	_, err = eng.Runtime().NewHostModuleBuilder("env").
		NewFunctionBuilder().WithGoFunction(api.GoFunc(func(ctx context.Context, _ []uint64) {
		th := ThreadOf(ctx)
		st, _ := th.Data.(*suspendToggle)
		if st == nil || st.resuming {
			if st != nil {
				st.resuming = false
			}
			return
		}
		if th.Unwind() == nil {
			st.resuming = true
		}
	}), nil, nil).Export("suspend").Instantiate(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return loadTestdata(tb, eng, "kernels.wasm")
}

// runToEnd runs a thread until its entry returns, whatever the stops.
func runToEnd(tb testing.TB, th *Thread, fuel uint64) []uint64 {
	for {
		s := th.Run(fuel)
		switch s.Kind {
		case Exited:
			return s.Results
		case Trapped:
			tb.Fatalf("trapped: %v", s.Err)
		}
	}
}

var kernelWorkloads = []struct {
	name  string
	entry string
	arg   uint64
}{
	{"loop", "loop", 50_000_000},
	{"fib", "fib", 32},
	{"stream64MiB", "stream", 2},
}

// BenchmarkKernelRatio compares the WAT kernels plain and instrumented in
// the same run (min of several alternating rounds), reporting each ratio,
// the geometric mean and the code growth. Run with -benchtime=1x.
func BenchmarkKernelRatio(b *testing.B) {
	if rewriter == nil {
		b.Skip("no rewriter linked in")
	}
	const rounds = 5
	plain, inst := newKernelEngine(b, true), newKernelEngine(b, false)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		logSum := 0.0
		for _, w := range kernelWorkloads {
			start := func(p *Program) *Thread {
				th, err := p.Start(ctx, ThreadConfig{Entry: w.entry, Params: []uint64{w.arg}, Data: &suspendToggle{}})
				if err != nil {
					b.Fatal(err)
				}
				return th
			}
			tp, ti := start(plain), start(inst)
			best := [2]time.Duration{math.MaxInt64, math.MaxInt64}
			var res [2][]uint64
			for r := 0; r < rounds; r++ {
				for k, th := range []*Thread{tp, ti} {
					if err := th.Call(w.entry, w.arg); err != nil {
						b.Fatal(err)
					}
					t0 := time.Now()
					res[k] = runToEnd(b, th, 1<<62)
					best[k] = min(best[k], time.Since(t0))
				}
			}
			_ = tp.Close()
			_ = ti.Close()
			if res[0][0] != res[1][0] {
				b.Fatalf("%s: instrumented result %d, plain %d", w.name, res[1][0], res[0][0])
			}
			ratio := float64(best[1]) / float64(best[0])
			logSum += math.Log(ratio)
			b.ReportMetric(ratio, "x-"+w.name)
			b.Logf("%-12s plain %8.2f ms  instrumented %8.2f ms  ratio %.3f", w.name,
				best[0].Seconds()*1e3, best[1].Seconds()*1e3, ratio)
		}
		b.ReportMetric(math.Exp(logSum/float64(len(kernelWorkloads))), "x-geomean")
		b.ReportMetric(float64(inst.CodeSize())/float64(inst.SourceSize()), "x-code")
	}
}

// BenchmarkRewrite measures rewrite throughput (decode, instrument,
// encode) on the Go guest, the largest module at hand (goal ≥ 20 MB/s).
func BenchmarkRewrite(b *testing.B) {
	if rewriter == nil {
		b.Skip("no rewriter linked in")
	}
	bin, err := os.ReadFile(filepath.Join("..", "..", "guests", "bench", "gowork.wasm"))
	if err != nil {
		b.Skipf("guest not built: %v", err)
	}
	b.SetBytes(int64(len(bin)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := rewriter("gowork", bin); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnwindRewind10 measures one unwind and rewind of a stack of ten
// wasm frames (plus the entry) through a host function that asks for it:
// call deep(10), Run until Unwound, Run again until it returns. The plain
// call of the same depth is BenchmarkDeepCallPlain.
func BenchmarkUnwindRewind10(b *testing.B) {
	if rewriter == nil {
		b.Skip("no rewriter linked in")
	}
	p := newKernelEngine(b, false)
	th, err := p.Start(context.Background(), ThreadConfig{NoEntry: true, Data: &suspendToggle{}})
	if err != nil {
		b.Fatal(err)
	}
	defer th.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = th.Call("deep", 10)
		if s := th.Run(1 << 40); s.Kind != Unwound {
			b.Fatalf("first run: %v %v", s.Kind, s.Err)
		}
		if s := th.Run(1 << 40); s.Kind != Exited || s.Results[0] != 166 {
			b.Fatalf("second run: %+v", s)
		}
	}
}

// BenchmarkDeepCallPlain is the baseline of BenchmarkUnwindRewind10: the
// same call on plain wazero, where suspend just returns.
func BenchmarkDeepCallPlain(b *testing.B) {
	p := newKernelEngine(b, true)
	th, err := p.Start(context.Background(), ThreadConfig{NoEntry: true})
	if err != nil {
		b.Fatal(err)
	}
	defer th.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = th.Call("deep", 10)
		if s := th.Run(1); s.Kind != Exited || s.Results[0] != 166 {
			b.Fatalf("%+v", s)
		}
	}
}
