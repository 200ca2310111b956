package golden

import (
	"bytes"
	"flag"
	"path/filepath"
	"testing"

	"dosemu/emulator/paging"
	"dosemu/kernel"
	"dosemu/net"
)

var update = flag.Bool("update", false, "rewrite the golden traces in testdata/golden")

var stream = filepath.Join("..", "guests", "bench", "stream.wasm")

// The golden migration traces: one per strategy, a tour A→B→C→A, a
// destination failure mid-migration, and a post-copy whose link is cut
// during the push (the push stalls, the process waits for a page) and
// heals (both resume).
var cases = []struct {
	file string
	c    Case
}{
	{"stopcopy", Case{Migrations: []string{"at=3ms pid=c0:2 to=c1 mode=stopcopy"}}},
	{"precopy", Case{Migrations: []string{"at=3ms pid=c0:2 to=c1 mode=precopy"}}},
	{"postcopy", Case{Migrations: []string{"at=3ms pid=c0:2 to=c1 mode=postcopy"}}},
	{"tour", Case{Migrations: []string{"at=3ms pid=c0:2 to=c1 mode=stopcopy",
		"at=40ms pid=c0:2 to=c2 mode=postcopy", "at=90ms pid=c0:2 to=c0 mode=stopcopy"}}},
	{"failure", Case{Migrations: []string{"at=3ms pid=c0:2 to=c1 mode=stopcopy fail=mem"}}},
	{"postcopy-partition", Case{Migrations: []string{"at=3ms pid=c0:2 to=c1 mode=postcopy"},
		Faults: []net.Step{{At: 5_000_000, Cut: [][2]int{{0, 1}}}, {At: 100_000_000, Heal: [][2]int{{0, 1}}}}}},
}

func TestGoldenMigrationTraces(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			if err := paging.Available(); err != nil && tc.file != "failure" && tc.file != "stopcopy" && tc.file != "precopy" {
				t.Skipf("demand fetches are part of this trace and need userfaultfd: %v", err)
			}
			c := tc.c
			c.Guest, c.Args = stream, []string{"stream", "2", "30"}
			got := Run(t, c)
			if !bytes.Contains(got.Output, []byte("checksum")) {
				t.Fatalf("guest output %q has no checksum", got.Output)
			}
			Check(t, filepath.Join("..", "testdata", "golden", tc.file+".jsonl"), got, *update)
		})
	}
}

// TestGoldenRunsAreIdentical is the determinism contract the golden files
// rest on: two runs in one process give the same bytes.
func TestGoldenRunsAreIdentical(t *testing.T) {
	c := Case{Guest: stream, Args: []string{"stream", "2", "10"}, Migrations: []string{"at=2ms pid=c0:2 to=c1 mode=postcopy"}}
	a, b := Run(t, c), Run(t, c)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two identical runs gave different traces")
	}
}

// TestChaosKeepsOutput is the ZDTM-style bar on a representative guest:
// output under chaos migration equals the unmigrated output, for each
// strategy and several N and seeds.
func TestChaosKeepsOutput(t *testing.T) {
	// fib keeps its memory still, so pre-copy converges; stream dirties
	// all of it every pass (pre-copy then never converges, by design).
	fib := filepath.Join("..", "guests", "bench", "fib.wasm")
	base := Run(t, Case{Guest: fib, Args: []string{"fib", "30"}})
	for _, mode := range []kernel.MigrateMode{kernel.StopCopy, kernel.PreCopy, kernel.PostCopy} {
		for _, n := range []int{7, 23} {
			for _, seed := range []uint64{1, 2} {
				got := Run(t, Case{Guest: fib, Args: []string{"fib", "30"}, Chaos: n, ChaosMode: mode, Seed: seed})
				if !bytes.Equal(got.Output, base.Output) {
					t.Errorf("%v chaos N=%d seed=%d: output %q, want %q", mode, n, seed, got.Output, base.Output)
				}
				if !bytes.Contains(got.Trace, []byte(`"phase":"resume"`)) {
					t.Errorf("%v chaos N=%d seed=%d: nothing migrated", mode, n, seed)
				}
			}
		}
	}
}

func TestCheckReportsDifference(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "g.jsonl")
	r := Result{Trace: []byte("{\"a\":1}\n"), Output: []byte("hi\n")}
	Check(t, p, r, true)
	ft := &fakeT{TB: t}
	Check(ft, p, Result{Trace: []byte("{\"a\":2}\n"), Output: []byte("hi\n")}, false)
	if !ft.failed {
		t.Fatal("a different trace passed the check")
	}
	Check(t, p, r, false)
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}
