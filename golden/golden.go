// Package golden writes golden-trace tests of guests: run a guest on a
// small cluster with scripted migrations, and compare its full kernel trace
// (JSON Lines, virtual time only) and output with files checked in under
// testdata. Same seed and inputs give byte-identical traces, so a change in
// scheduling, migration or the network shows up as a readable diff.
//
//	var update = flag.Bool("update", false, "rewrite golden files")
//
//	func TestMyGuestMigrates(t *testing.T) {
//		got := golden.Run(t, golden.Case{
//			Guest:      "build/myguest.wasm",
//			Args:       []string{"myguest", "10"},
//			Migrations: []string{"at=5ms pid=c0:2 to=c1 mode=postcopy"},
//		})
//		golden.Check(t, "testdata/myguest.jsonl", got, *update)
//	}
//
// `go test -update` rewrites the files. Cost: one cluster run per case.
package golden

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"dosemu/emulator"
	"dosemu/emulator/trace"
	"dosemu/kernel"
	"dosemu/net"
)

// Case is one golden run.
type Case struct {
	// Guest is the path of the .wasm module; Args its argv (argv[0]
	// defaults to the file's base name).
	Guest string
	Args  []string
	Env   []string
	// Computers defaults to 3; Seed to 1. The guest starts on c0 as c0:2.
	Computers int
	Seed      uint64
	// Migrations are plans in emulator.ParseMigratePlan's syntax.
	Migrations []string
	// Chaos, when > 0, migrates a process every Chaos-th preemption with
	// ChaosMode.
	Chaos     int
	ChaosMode kernel.MigrateMode
	// Faults is a network fault plan (cut and healed links, failed
	// computers, changed link parameters) applied during the run.
	Faults []net.Step
}

// Result is what a run produced.
type Result struct {
	Trace  []byte // JSON Lines
	Output []byte // every stdout/stderr write, "[gid stream] data"
}

// Bytes is the golden file's contents: the output, then the trace.
func (r Result) Bytes() []byte {
	var b bytes.Buffer
	for _, l := range strings.SplitAfter(string(r.Output), "\n") {
		if l != "" {
			b.WriteString("# " + l)
		}
	}
	if len(r.Output) > 0 && r.Output[len(r.Output)-1] != '\n' {
		b.WriteByte('\n')
	}
	b.Write(r.Trace)
	return b.Bytes()
}

// Run runs c to completion and returns its trace and output; it fails t on
// any error or guest failure.
func Run(t testing.TB, c Case) Result {
	t.Helper()
	r, err := run(c)
	if err != nil {
		t.Fatalf("golden run of %s: %v", c.Guest, err)
	}
	return r
}

func run(c Case) (Result, error) {
	wasm, err := os.ReadFile(c.Guest)
	if err != nil {
		return Result{}, err
	}
	n := c.Computers
	if n == 0 {
		n = 3
	}
	seed := c.Seed
	if seed == 0 {
		seed = 1
	}
	var tbuf, out bytes.Buffer
	jl := trace.NewJSONL(&tbuf)
	var fails []string
	cl, err := emulator.New(emulator.Config{
		Computers: emulator.Uniform(n, 1), Seed: seed, Tracer: trace.New(jl),
		Output: func(g emulator.GID, prog string, stream int, data []byte) {
			fmt.Fprintf(&out, "[%s %d] %s", g, stream, data)
		},
		Failed: func(g emulator.GID, prog string, err error) {
			fails = append(fails, fmt.Sprintf("%s %s: %v", g, prog, err))
		},
	})
	if err != nil {
		return Result{}, err
	}
	defer cl.Close()
	name := strings.TrimSuffix(filepath.Base(c.Guest), ".wasm")
	if err := cl.Load(name, wasm); err != nil {
		return Result{}, err
	}
	args := c.Args
	if len(args) == 0 {
		args = []string{name}
	}
	if _, err := cl.Spawn(0, name, args, c.Env); err != nil {
		return Result{}, err
	}
	for _, s := range c.Migrations {
		m, err := emulator.ParseMigratePlan(s)
		if err != nil {
			return Result{}, err
		}
		if err := cl.PlanMigration(m); err != nil {
			return Result{}, err
		}
	}
	cl.ChaosMigrate(c.Chaos, c.ChaosMode)
	if len(c.Faults) > 0 {
		nw := cl.Network()
		if nw == nil {
			return Result{}, fmt.Errorf("a fault plan needs the cluster's network")
		}
		if err := nw.Fabric().Schedule(c.Faults); err != nil {
			return Result{}, err
		}
	}
	if err := cl.Run(context.Background()); err != nil {
		return Result{}, err
	}
	if err := jl.Flush(); err != nil {
		return Result{}, err
	}
	fails = append(fails, cl.Failures()...)
	if len(fails) > 0 {
		return Result{}, fmt.Errorf("failures: %s", strings.Join(fails, "; "))
	}
	return Result{Trace: tbuf.Bytes(), Output: out.Bytes()}, nil
}

// Check compares got with the golden file at path line by line (go-cmp
// diff on failure), or rewrites the file when update is set.
func Check(t testing.TB, path string, got Result, update bool) {
	t.Helper()
	b := got.Bytes()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run the test with -update to create it)", err)
	}
	if d := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(b), "\n")); d != "" {
		t.Errorf("%s differs from this run (-golden +got); rerun with -update if the change is intended:\n%s", path, d)
	}
}
