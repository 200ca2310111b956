package emulator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
	"dosemu/kernel"
)

// migWatch is a trace sink that notes the host time of the migration
// phases it sees. The host timestamps stay in the benchmark: the trace
// itself carries only virtual time.
type migWatch struct {
	start, freeze, done time.Time
	vstart, vdone       vtime.Time
	rounds              int
	throttle            int64 // highest pre-copy throttle, percent
	final               int   // bytes of the frozen round
}

func (w *migWatch) Emit(e trace.Event) {
	if e.Kind != "migrate" {
		return
	}
	switch e.Fields["phase"] {
	case "start":
		w.start, w.vstart = time.Now(), e.T
	case "freeze":
		w.freeze = time.Now()
	case "round":
		w.rounds++
		t, _ := e.Fields["throttle_pct"].(int64)
		w.throttle = max(w.throttle, t)
		if e.Fields["frozen"] == true {
			w.final, _ = e.Fields["bytes"].(int)
		}
	case "resume":
		if e.Fields["mode"] != kernel.PostCopy.String() {
			w.done, w.vdone = time.Now(), e.T
		}
	case "done":
		w.done, w.vdone = time.Now(), e.T
	}
}

// streamSetup is the virtual time by which the stream guest has written
// its whole buffer once (≈2.6 ms per MiB at speed 1, with margin).
func streamSetup(mib int) vtime.Duration {
	return vtime.Duration(mib) * 4 * vtime.Duration(time.Millisecond)
}

// migBench is one migration of the stream guest (mib MiB, rewriting its
// buffer until killed) from computer 0 to 1.
type migBench struct {
	w        migWatch
	resumed  time.Time // host time of the first slice on the destination
	stats    kernel.MigStats
	arriving []progress // post-copy samples while pages arrive
	after    []progress // samples once every page is there
}

// progress is one sample of the guest's work: host and virtual time
// against instructions retired.
type progress struct {
	host  time.Time
	virt  vtime.Time
	instr uint64
}

// runMigration boots two computers, starts stream, migrates it once its
// buffer is written, samples its progress every tick of virtual time
// while pages arrive and for as long after, then kills it.
func runMigration(b *testing.B, mib int, mode kernel.MigrateMode, tick vtime.Duration) *migBench {
	b.Helper()
	run := &migBench{}
	c, err := New(Config{Computers: Uniform(2, 1), Seed: 1, Engine: testEngine, Tracer: trace.New(&run.w),
		Output: func(GID, string, int, []byte) {}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Load("stream", guest(b, "bench/stream")); err != nil {
		b.Fatal(err)
	}
	g, err := c.Spawn(0, "stream", []string{"stream", fmt.Sprint(mib), "1000000"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	loop := c.Loop()
	var moved bool
	var sample func()
	sample = func() {
		p := c.Process(g)
		if p == nil {
			return
		}
		s := progress{time.Now(), loop.Now(), p.Stats().Instructions}
		switch {
		case p.PagesArriving():
			run.arriving = append(run.arriving, s)
		case moved:
			run.after = append(run.after, s)
		}
		// After the arrival, as many samples as during it (at least a few).
		if moved && !p.PagesArriving() && len(run.after) > max(len(run.arriving), 8) {
			_ = p.Kernel().Kill(p.PID(), kernel.SIGKILL, nil)
			return
		}
		loop.At(loop.Now().Add(tick), sample)
	}
	loop.At(vtime.Time(streamSetup(mib)), func() {
		p := c.Process(g)
		err := p.Kernel().Migrate(p.PID(), 1, mode, kernel.MigrateOptions{
			Resumed: func() { run.resumed = time.Now() },
			Done: func(err error) {
				if err != nil {
					b.Errorf("%s %d MiB: %v", mode, mib, err)
				}
				moved = true
				sample()
			},
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	if err := c.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	if !moved {
		b.Fatalf("%s %d MiB: the process never moved", mode, mib)
	}
	run.stats = c.Kernel(0).MigrationStats()
	return run
}

// rate is host ns per million guest instructions and guest instructions
// per virtual µs over the samples.
func rate(s []progress) (hostNsPerMInstr, instrPerVirtUs float64) {
	if len(s) < 2 {
		return 0, 0
	}
	a, z := s[0], s[len(s)-1]
	di := float64(z.instr - a.instr)
	if di == 0 {
		return 0, 0
	}
	return float64(z.host.Sub(a.host).Nanoseconds()) / di * 1e6, di / (float64(z.virt.Sub(a.virt)) / 1e3)
}

// BenchmarkMigrate measures one migration of the stream guest (which
// rewrites its whole buffer in a loop) per strategy and memory size:
//
//   - host-µs-down: host time from the freeze to the start of the first
//     slice on the destination (for pre-copy, the freeze before its final
//     round). This is the downtime as the guest sees it.
//   - host-µs-total, virt-µs-total: from the start of the migration until
//     the source holds nothing of it (post-copy: the last page pushed).
//   - MiB-sent: every byte the source sent (state, code, pages).
//   - pages-fetched, pages-pushed: post-copy's demand fetches vs
//     background pushes; rounds, max-throttle-%, final-round-KiB:
//     pre-copy's rounds, its highest CPU throttle and what the frozen
//     round sent.
//
// go test -run X -bench Migrate -benchtime 3x ./emulator
func BenchmarkMigrate(b *testing.B) {
	for _, mib := range []int{1, 64, 512} {
		for _, mode := range []kernel.MigrateMode{kernel.StopCopy, kernel.PreCopy, kernel.PostCopy} {
			b.Run(fmt.Sprintf("%s/%dMiB", mode, mib), func(b *testing.B) {
				var down, total time.Duration
				var virt vtime.Duration
				var st kernel.MigStats
				var rounds, final int
				var throttle int64
				for i := 0; i < b.N; i++ {
					r := runMigration(b, mib, mode, vtime.Duration(time.Millisecond))
					from := r.w.start
					if mode == kernel.PreCopy {
						from = r.w.freeze
					}
					down += r.resumed.Sub(from)
					total += r.w.done.Sub(r.w.start)
					virt += r.w.vdone.Sub(r.w.vstart)
					st.BytesSent += r.stats.BytesSent
					st.FetchedPages += r.stats.FetchedPages
					st.PushedPages += r.stats.PushedPages
					rounds += r.w.rounds
					throttle = max(throttle, r.w.throttle)
					final += r.w.final
				}
				n := float64(b.N)
				b.ReportMetric(float64(down.Microseconds())/n, "host-µs-down")
				b.ReportMetric(float64(total.Microseconds())/n, "host-µs-total")
				b.ReportMetric(float64(virt)/1e3/n, "virt-µs-total")
				b.ReportMetric(float64(st.BytesSent)/n/(1<<20), "MiB-sent")
				b.ReportMetric(float64(st.FetchedPages)/n, "pages-fetched")
				b.ReportMetric(float64(st.PushedPages)/n, "pages-pushed")
				if mode == kernel.PreCopy {
					b.ReportMetric(float64(rounds)/n, "rounds")
					b.ReportMetric(float64(throttle), "max-throttle-%")
					b.ReportMetric(float64(final)/1024/n, "final-round-KiB")
				}
			})
		}
	}
}

// BenchmarkPostCopySlowdown compares the stream guest's progress after a
// post-copy hand-off while its pages are still arriving (first touches
// fault and wait for the fetch) with its progress once all are there:
// host ns per million guest instructions (the emulator's real cost) and
// guest instructions per virtual µs (what the guest sees: each demand
// fetch's round trip is charged to its slice). slowdown-host and
// slowdown-virt are the ratios arriving/after.
//
// go test -run X -bench PostCopySlowdown -benchtime 3x ./emulator
func BenchmarkPostCopySlowdown(b *testing.B) {
	for _, mib := range []int{64, 512} {
		b.Run(fmt.Sprintf("%dMiB", mib), func(b *testing.B) {
			var hA, hZ, vA, vZ float64
			for i := 0; i < b.N; i++ {
				r := runMigration(b, mib, kernel.PostCopy, vtime.Duration(200*time.Microsecond))
				ha, va := rate(r.arriving)
				hz, vz := rate(r.after)
				if ha == 0 || hz == 0 {
					b.Fatalf("too few samples: %d arriving, %d after", len(r.arriving), len(r.after))
				}
				hA, vA, hZ, vZ = hA+ha, vA+va, hZ+hz, vZ+vz
			}
			n := float64(b.N)
			b.ReportMetric(hA/n, "host-ns/Minstr-arriving")
			b.ReportMetric(hZ/n, "host-ns/Minstr-after")
			b.ReportMetric(vA/n, "instr/virt-µs-arriving")
			b.ReportMetric(vZ/n, "instr/virt-µs-after")
			b.ReportMetric(hA/hZ, "slowdown-host")
			b.ReportMetric(vZ/vA, "slowdown-virt")
		})
	}
}
