package kernel_test

import (
	"fmt"
	"testing"

	"dosemu/emulator"
	"dosemu/emulator/cpu"
	"dosemu/kernel"
)

// benchRun boots a fresh cluster running proctest with args and fails the
// benchmark unless it ends cleanly. Cluster setup is outside the timer.
func benchRun(b *testing.B, computers int, mod func(*emulator.Config), args ...string) *procRig {
	b.Helper()
	b.StopTimer()
	r := newProcRig(b, computers, mod)
	r.load(b, "proctest")
	r.spawn(b, 0, "proctest", args...)
	b.StartTimer()
	r.run(b)
	b.StopTimer()
	if len(r.fails) > 0 {
		b.Fatalf("failures: %v\n%s", r.fails, r.out.String())
	}
	return r
}

func noTrace(c *emulator.Config) { c.Tracer = nil }

// BenchmarkFork: one fork of a process holding 1 or 64 MiB (a non-zero
// byte in every 4 KiB page), with the child's exit and the parent's
// wait; ns/op is host time per fork, repeated forks of one parent. The
// strategies run in the same harness: "shared" (the default,
// copy-on-write), "nonzero" (copy the non-zero pages) and "copyall"
// (copy all of memory, as WASIX does: the baseline).
func BenchmarkFork(b *testing.B) {
	for _, mib := range []int{1, 64} {
		for _, mode := range []cpu.ForkMode{cpu.ForkShared, cpu.ForkNonZero, cpu.ForkCopyAll} {
			b.Run(fmt.Sprintf("%dMiB/%v", mib, mode), func(b *testing.B) {
				defer kernel.SetForkMode(mode)()
				benchRun(b, 1, noTrace, "forkloop", fmt.Sprint(b.N), fmt.Sprint(mib))
			})
		}
	}
}

// BenchmarkExec: one exec of a small C program (new instance, fds kept).
func BenchmarkExec(b *testing.B) {
	benchRun(b, 1, noTrace, "execloop", fmt.Sprint(b.N))
}

// BenchmarkSpawn: one spawn of a small C program plus its wait.
func BenchmarkSpawn(b *testing.B) {
	benchRun(b, 1, noTrace, "spawnloop", fmt.Sprint(b.N))
}

// BenchmarkPipe: bytes through a pipe from a writer to a reader on the
// same computer and on another one (host throughput; MB/s).
func BenchmarkPipe(b *testing.B) {
	const n = 8 << 20
	for _, comp := range []int{0, 1} {
		name := "local"
		if comp == 1 {
			name = "remote"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(n)
			for i := 0; i < b.N; i++ {
				benchRun(b, 2, noTrace, "transfer", fmt.Sprint(comp), fmt.Sprint(n))
			}
		})
	}
}
