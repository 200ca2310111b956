package remote

import (
	"testing"

	"dosemu/emulator/vtime"
	"dosemu/net"
	"dosemu/vfs"
)

const benchFile = 4 << 20 // bytes per sequential pass
const benchIO = 64 << 10  // bytes per call

// report adds the virtual-time throughput (the network model's answer)
// next to the host MB/s that b.SetBytes gives.
func report(b *testing.B, tc *testCluster, t0 vtime.Time, bytes int64) {
	if d := tc.loop.Now().Sub(t0); d > 0 {
		b.ReportMetric(float64(bytes)/d.Seconds()/1e6, "vMB/s")
	}
}

func benchFS(b *testing.B, where string, opt Options) (*testCluster, vfs.FS) {
	tc := newTestCluster(b, 2, 1, net.DefaultConfig(), opt)
	if where == "local" {
		return tc, tc.nodes[0].Local()
	}
	return tc, tc.client(1, 0)
}

// BenchmarkSeqRead reads a 4 MiB file in 64 KiB calls: from the local
// view, remotely with the cache cold every pass (the cache holds one
// block), and remotely with the cache warm.
func BenchmarkSeqRead(b *testing.B) {
	for _, c := range []struct {
		name, where string
		opt         Options
	}{{"local", "local", Options{}}, {"remote-cold", "remote", Options{CacheBytes: DefaultBlock}}, {"remote-warm", "remote", Options{}}} {
		b.Run(c.name, func(b *testing.B) {
			tc, fs := benchFS(b, c.where, c.opt)
			writeFile(b, tc.roots[0], "f", pattern(benchFile, 1))
			buf := make([]byte, benchIO)
			b.SetBytes(benchFile)
			t0 := tc.loop.Now()
			b.ResetTimer()
			for range b.N {
				f, err := fs.Open("f", rdOnly)
				if err != nil {
					b.Fatal(err)
				}
				for off := int64(0); off < benchFile; off += benchIO {
					if n, err := f.ReadAt(buf, off); err != nil || n != benchIO {
						b.Fatal(n, err)
					}
				}
				f.Close()
			}
			b.StopTimer()
			report(b, tc, t0, int64(b.N)*benchFile)
		})
	}
}

// BenchmarkSeqWrite writes a 4 MiB file in 64 KiB calls, locally and
// through the write-through client.
func BenchmarkSeqWrite(b *testing.B) {
	for _, where := range []string{"local", "remote"} {
		b.Run(where, func(b *testing.B) {
			tc, fs := benchFS(b, where, Options{})
			data := pattern(benchIO, 2)
			b.SetBytes(benchFile)
			t0 := tc.loop.Now()
			b.ResetTimer()
			for range b.N {
				f, err := fs.Open("f", create)
				if err != nil {
					b.Fatal(err)
				}
				for off := int64(0); off < benchFile; off += benchIO {
					if n, err := f.WriteAt(data, off); err != nil || n != benchIO {
						b.Fatal(n, err)
					}
				}
				f.Close()
			}
			b.StopTimer()
			report(b, tc, t0, int64(b.N)*benchFile)
		})
	}
}

// BenchmarkMetadata is stat + create + unlink, locally and remotely; the
// vops/s metric is operations per virtual second (each remote one is a
// round trip).
func BenchmarkMetadata(b *testing.B) {
	for _, where := range []string{"local", "remote"} {
		b.Run(where, func(b *testing.B) {
			tc, fs := benchFS(b, where, Options{})
			if err := fs.Mkdir("d"); err != nil {
				b.Fatal(err)
			}
			t0 := tc.loop.Now()
			b.ResetTimer()
			for range b.N {
				if _, err := fs.Stat("d", true); err != nil {
					b.Fatal(err)
				}
				if err := fs.Mkdir("d/x"); err != nil {
					b.Fatal(err)
				}
				if err := fs.Rmdir("d/x"); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(3*b.N)/b.Elapsed().Seconds(), "ops/s")
			if d := tc.loop.Now().Sub(t0); d > 0 {
				b.ReportMetric(float64(3*b.N)/d.Seconds(), "vops/s")
			}
		})
	}
}

// BenchmarkReread measures the cache: a 1 MiB file read once, then re-read
// (reopened) b.N times with nothing changed; hit% is the share of blocks
// served from the cache.
func BenchmarkReread(b *testing.B) {
	tc := newTestCluster(b, 2, 1, net.DefaultConfig(), Options{})
	writeFile(b, tc.roots[0], "f", pattern(1<<20, 3))
	c := tc.client(1, 0)
	readFile(b, c, "f")
	before := tc.nodes[1].Stats()
	b.SetBytes(1 << 20)
	buf := make([]byte, benchIO)
	b.ResetTimer()
	for range b.N {
		f, err := c.Open("f", rdOnly)
		if err != nil {
			b.Fatal(err)
		}
		for off := int64(0); off < 1<<20; off += benchIO {
			if n, err := f.ReadAt(buf, off); err != nil || n != benchIO {
				b.Fatal(n, err)
			}
		}
		f.Close()
	}
	b.StopTimer()
	st := tc.nodes[1].Stats()
	hits, misses := st.Hits-before.Hits, st.Misses-before.Misses
	if hits+misses > 0 {
		b.ReportMetric(100*float64(hits)/float64(hits+misses), "hit%")
	}
}
