package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"dosemu/emulator/trace"
)

// clusterSpec is what the commands ask of the emulator.
type clusterSpec struct {
	Computers   int
	Cores       int
	ClusterFile string
	PlanFile    string
	Quantum     time.Duration
	Seed        uint64
	Sched       string
	// Balancer is --balancer: a built-in name or a plugin path.
	Balancer string
	// PolicyFault is told, in one line, when a scheduler or balancer
	// plugin failed and round-robin took over (guests keep running).
	PolicyFault func(computer string, err error)
	Chaos       chaosSpec
	// Migrations are --migrate plans, already syntax-checked.
	Migrations []string
	Tracer     *trace.Tracer
	// Net is the network flags (--net, --faults, --latency, ...).
	Net netFlags
	// Dirs are preopened in every process (dosemu run's --dir).
	Dirs []dirMap
	// Mounts are --mount values; RootDir preopens each computer's name
	// space (with /net, /proc and the mounts) as "/" in every process.
	Mounts  []string
	RootDir bool
	// Output gets each write of a process to its stdout (1) or stderr
	// (2), in virtual-time order.
	Output func(gid, prog string, fd int, data []byte)
	// Ended is told when a process has ended, after its last Output.
	Ended func(gid string)
	// Failed is told, once, why a process failed (trap, memory, kill).
	Failed func(gid, prog string, err error)
}

// cluster is the emulator as the commands drive it. The one
// implementation is in cluster_emulator.go; keeping the commands on this
// narrow seam keeps flag handling, output and exit codes independent of
// how the emulator is put together.
type cluster interface {
	// Load registers a program under name; the error names the cause
	// (not wasm, invalid module, unknown import, ...).
	Load(ctx context.Context, name string, wasm []byte) error
	// Spawn starts a loaded program on computer (an index) with argv
	// (argv[0] included) and env; it returns the global id ("c1:7").
	Spawn(computer int, prog string, argv, env []string) (string, error)
	// SpawnPlan starts what the boot plan file lists (no-op without one).
	SpawnPlan() error
	// Run drives the cluster until every process has ended or ctx is
	// done; it then stops every guest.
	Run(ctx context.Context) error
	// Summary returns the closing tables.
	Summary() summary
	// PSTree draws the process tree and adds "ps" events to the trace.
	PSTree() string
	// Close frees everything.
	Close(ctx context.Context) error
}

// newCluster builds the emulator for a spec.
var newCluster func(ctx context.Context, spec clusterSpec) (cluster, error)

// traceSinks opens the --trace and --perfetto outputs. finish writes the
// Perfetto file (it needs the whole run) and flushes and closes both; it
// reports the first error, naming the file.
func traceSinks(traceFile, perfettoFile string) (tr *trace.Tracer, finish func() error, err error) {
	var sinks []trace.Sink
	var closers []func() error
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			return nil, nil, fmt.Errorf("--trace: %w", err)
		}
		j := trace.NewJSONL(f)
		sinks = append(sinks, j)
		closers = append(closers, func() error {
			err := j.Flush()
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("writing trace %s: %w", traceFile, err)
			}
			return nil
		})
	}
	if perfettoFile != "" {
		f, err := os.Create(perfettoFile)
		if err != nil {
			for _, c := range closers {
				c()
			}
			return nil, nil, fmt.Errorf("--perfetto: %w", err)
		}
		rec := &trace.Recorder{}
		sinks = append(sinks, rec)
		closers = append(closers, func() error {
			err := trace.WritePerfetto(f, rec.Events)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("writing Perfetto trace %s: %w", perfettoFile, err)
			}
			return nil
		})
	}
	finish = func() error {
		var first error
		for _, c := range closers {
			if err := c(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	if len(sinks) == 0 {
		return nil, finish, nil
	}
	return trace.New(sinks...), finish, nil
}

// programName is how a program is known in the cluster and in output
// prefixes: its file name without the .wasm extension.
func programName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".wasm")
}

// readProgram reads a program file and checks that it at least looks like
// a WebAssembly binary, so that the error for a text file or an ELF
// binary says so plainly instead of whatever a decoder makes of it.
func readProgram(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read: %w", err)
	}
	const magic = "\x00asm"
	if len(b) < 8 || string(b[:4]) != magic {
		head := b
		if len(head) > 4 {
			head = head[:4]
		}
		return nil, fmt.Errorf("not a WebAssembly binary (starts with %q, want \"\\x00asm\")", head)
	}
	return b, nil
}

// boot implements `dosemu boot`.
func boot(ctx context.Context, o *bootOptions, stdout, stderr io.Writer) int {
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	errw := stderr
	pre := newPrefixer(out, errw)
	failed := false
	fail := func(format string, args ...any) {
		failed = true
		pre.mu.Lock()
		// Keep error lines and guest output in one order: flush what the
		// guests printed so far before the error line.
		out.Flush()
		fmt.Fprintf(errw, "dosemu: "+format+"\n", args...)
		pre.mu.Unlock()
	}

	tr, finishTrace, err := traceSinks(o.TraceFile, o.Perfetto)
	if err != nil {
		fmt.Fprintf(stderr, "dosemu boot: %v\n", err)
		return exitFailed
	}
	spec := clusterSpec{
		Computers: o.Computers, Cores: o.Cores,
		ClusterFile: o.ClusterFile, PlanFile: o.PlanFile,
		Quantum: o.Quantum, Seed: o.Seed, Sched: o.Sched, Chaos: o.Chaos,
		Migrations: o.Migrations,
		Net:        o.Net,
		Mounts:     o.Mounts, RootDir: true,
		Tracer:      tr,
		Output:      pre.Write,
		Ended:       pre.CloseProcess,
		Failed:      func(gid, prog string, err error) { fail("%s %s: %v", gid, prog, oneLine(err)) },
		Balancer:    o.Balancer,
		PolicyFault: func(computer string, err error) { fail("%s: %v", computer, oneLine(err)) },
	}
	c, err := newCluster(ctx, spec)
	if err != nil {
		finishTrace()
		fmt.Fprintf(stderr, "dosemu boot: %v\n", oneLine(err))
		return exitFailed
	}
	defer c.Close(context.Background())

	if err := c.SpawnPlan(); err != nil {
		fail("%s: %v", o.PlanFile, oneLine(err))
	}
	computers := o.Computers
	if n := len(c.Summary().Computers); n > 0 {
		computers = n // a cluster or plan file may set the size
	}
	// Programs are placed round-robin in the order given; one that cannot
	// be read or loaded is reported and skipped, and does not shift where
	// the others go, so a bad file does not change the rest of the run.
	loaded := map[string]bool{}
	for i, path := range o.Programs {
		name := programName(path)
		if !loaded[name] {
			wasm, err := readProgram(path)
			if err == nil {
				err = c.Load(ctx, name, wasm)
			}
			if err != nil {
				fail("%s: %v", path, oneLine(err))
				continue
			}
			loaded[name] = true
		}
		where := i % computers
		if o.Balancer != "" {
			where = -1 // the balancer decides
		}
		if _, err := c.Spawn(where, name, []string{name}, nil); err != nil {
			fail("%s: %v", path, oneLine(err))
		}
	}

	runErr := c.Run(ctx)
	pre.Flush()
	out.Flush()
	interrupted := ctx.Err() != nil
	if runErr != nil && !interrupted {
		fail("%v", oneLine(runErr))
	}
	s := c.Summary()
	if err := writeSummary(out, s); err != nil {
		failed = true
	}
	if tree := c.PSTree(); o.PS {
		fmt.Fprintf(out, "\n=== processes\n%s", tree)
	}
	out.Flush()
	for _, p := range s.Procs {
		if p.Failed {
			failed = true
		}
	}
	if err := finishTrace(); err != nil {
		fail("%v", err)
	}
	switch {
	case interrupted:
		fmt.Fprintln(errw, "dosemu: interrupted; guests stopped")
		return exitInterrupted
	case failed:
		return exitFailed
	}
	return exitOK
}

// oneLine keeps an error on one line: the contract is one line per
// failure, whatever a wrapped cause put in its text.
func oneLine(err error) string {
	s := err.Error()
	s = strings.ReplaceAll(s, "\r", "")
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
