package emulator

import (
	"context"
	"fmt"
	"testing"
	"time"

	"dosemu/kernel"
)

// BenchmarkMigrate measures, per strategy and memory size, the host time
// from the freeze to the hand-off on the destination (downtime; for
// pre-copy the final round only, since it runs unfrozen before), plus the
// virtual migration time, bytes moved and post-copy's fetches vs pushes.
func BenchmarkMigrate(b *testing.B) {
	for _, mib := range []int{1, 64, 512} {
		for _, mode := range []kernel.MigrateMode{kernel.StopCopy, kernel.PreCopy, kernel.PostCopy} {
			b.Run(fmt.Sprintf("%s/%dMiB", mode, mib), func(b *testing.B) {
				var down, virt time.Duration
				var bytes, fetched, pushed uint64
				for i := 0; i < b.N; i++ {
					r := newRig(b, Config{Computers: Uniform(2, 1), Seed: 1})
					if err := r.Load("stream", guest(b, "bench/stream")); err != nil {
						b.Fatal(err)
					}
					g, err := r.Spawn(0, "stream", []string{"stream", fmt.Sprint(mib), "3"}, nil)
					if err != nil {
						b.Fatal(err)
					}
					// Migrate once the buffer is written: after the first pass.
					at := time.Duration(mib) * 300 * time.Microsecond * 4
					var t0 time.Time
					var vt0 int64
					r.Loop().At(r.Loop().Now().Add(at), func() {
						p := r.Process(g)
						vt0 = int64(r.Now())
						t0 = time.Now()
						err := p.Kernel().Migrate(p.PID(), 1, mode, kernel.MigrateOptions{Done: func(err error) {
							if err != nil {
								b.Error(err)
							}
							down += time.Since(t0)
							virt += time.Duration(int64(r.Now()) - vt0)
						}})
						if err != nil {
							b.Error(err)
						}
					})
					if err := r.Run(context.Background()); err != nil {
						b.Fatal(err)
					}
					s := r.Kernel(0).MigrationStats()
					bytes += s.BytesSent
					fetched += s.FetchedPages
					pushed += s.PushedPages
					_ = r.Close()
				}
				n := float64(b.N)
				b.ReportMetric(float64(down.Microseconds())/n, "host-µs/migration")
				b.ReportMetric(float64(virt.Microseconds())/n, "virt-µs/migration")
				b.ReportMetric(float64(bytes)/n/(1<<20), "MiB-sent")
				b.ReportMetric(float64(fetched)/n, "pages-fetched")
				b.ReportMetric(float64(pushed)/n, "pages-pushed")
			})
		}
	}
}
