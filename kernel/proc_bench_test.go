package kernel_test

import (
	"bytes"
	"fmt"
	"testing"

	"dosemu/emulator"
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

// BenchmarkFork: one fork of a process holding 1 or 64 MiB, with the
// child's exit and the parent's wait; ns/op is host time per fork. The
// "copy" sub-benchmarks are the baseline to beat: copying that much
// memory once. forkloop touches one byte per 4 KiB page and that byte is
// zero, so the parent's pages are resident but all zero and fork copies
// none of them; cpu's BenchmarkThreadFork measures non-zero memory.
func BenchmarkFork(b *testing.B) {
	for _, mib := range []int{1, 64} {
		b.Run(fmt.Sprintf("%dMiB", mib), func(b *testing.B) {
			benchRun(b, 1, noTrace, "forkloop", fmt.Sprint(b.N), fmt.Sprint(mib))
		})
		b.Run(fmt.Sprintf("%dMiB-copy-baseline", mib), func(b *testing.B) {
			src := bytes.Repeat([]byte{1}, mib<<20)
			dst := make([]byte, len(src))
			b.SetBytes(int64(len(src)))
			for i := 0; i < b.N; i++ {
				copy(dst, src)
			}
		})
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
