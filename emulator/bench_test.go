package emulator

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchCluster is a cluster on the shared test engine with no output or
// trace, so the benchmarks measure the kernel and the runtime.
func benchCluster(b *testing.B, computers []ComputerConfig, progs ...string) *Cluster {
	b.Helper()
	c, err := New(Config{Computers: computers, Seed: 1, Engine: testEngine})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	for _, p := range progs {
		if err := c.Load(p, guest(b, p)); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

// BenchmarkContextSwitch: two processes on one vCPU yield to each other;
// one op is one context switch (a yield, the switch, the resume).
func BenchmarkContextSwitch(b *testing.B) {
	const perProc = 10000
	switches := 0
	for b.Loop() {
		b.StopTimer()
		c := benchCluster(b, Uniform(1, 1), "yieldloop")
		c.Spawn(0, "yieldloop", nil, nil)
		c.Spawn(0, "yieldloop", nil, nil)
		b.StartTimer()
		if err := c.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		switches += c.Kernel(0).Stats().Switches
	}
	if switches < 2*perProc {
		b.Fatalf("%d switches, want ≥ %d", switches, 2*perProc)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(switches), "ns/switch")
}

// BenchmarkSpawnCached: start a process of an already-compiled program,
// run it to its exit and reap it.
func BenchmarkSpawnCached(b *testing.B) {
	c := benchCluster(b, Uniform(1, 1), "exit0")
	for b.Loop() {
		if _, err := c.Spawn(0, "exit0", nil, nil); err != nil {
			b.Fatal(err)
		}
		if err := c.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSyscall: dosemu.now in a loop; one op is one system call.
func BenchmarkSyscall(b *testing.B) {
	const perRun = 1000000
	c := benchCluster(b, Uniform(1, 1), "nowloop")
	calls := 0
	for b.Loop() {
		if _, err := c.Spawn(0, "nowloop", nil, nil); err != nil {
			b.Fatal(err)
		}
		if err := c.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		calls += perRun
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(calls), "ns/syscall")
	b.ReportMetric(float64(calls)/b.Elapsed().Seconds()/1e6, "Msyscalls/s")
}

// BenchmarkScale10k: 10,000 processes of hello across 3 computers are
// spawned at t=0, run and exit. Reports host wall time per whole run and
// the host's peak RSS.
func BenchmarkScale10k(b *testing.B) {
	if testing.Short() {
		b.Skip("10,000 processes: skipped with -short")
	}
	const n = 10000
	comps := Uniform(3, 2)
	for i := range comps {
		comps[i].MaxProcs = n
	}
	for b.Loop() {
		c := benchCluster(b, comps, "hello")
		start := time.Now()
		for i := 0; i < n; i++ {
			if _, err := c.Spawn(-1, "hello", nil, nil); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/10k")
		s := c.Summary()
		exited := 0
		for _, cs := range s.Computers {
			for _, p := range cs.Processes {
				if p.State == "dead" && p.ExitCode == 0 {
					exited++
				}
			}
		}
		if exited != n {
			b.Fatalf("%d of %d exited cleanly", exited, n)
		}
		c.Close()
	}
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/(1<<20), "MiB-peak-RSS")
	}
}

// peakRSS reads the process's peak resident set (Linux VmHWM), in bytes.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
