package main

// Checkpoint and restore on the command line:
//
//	dosemu run --checkpoint-at 50ms --checkpoint-to FILE prog.wasm args...
//	dosemu checkpoint --at 50ms -o FILE prog.wasm args...   (the same)
//	dosemu restore FILE
//
// The first runs the program until its first preemption (or a blocking
// call it is waiting in) at or after 50ms
// of virtual time, writes it to FILE (kernel.Checkpoint's format: the
// program itself, its kernel state and its captured execution) and stops
// it; its output up to there is printed as usual. restore continues it in
// a new run, on a fresh computer, with the quantum and seed of the first
// and the same --dir preopens, and prints what the uninterrupted run would
// have printed after that point; its exit code is the program's.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"dosemu/emulator/vtime"
	"dosemu/kernel"
)

const checkpointUsage = `usage: dosemu checkpoint --at D -o FILE [run flags] PROG.wasm [ARGS...]

Runs the program like dosemu run until its first preemption, or a
blocking call it waits in, at or after virtual time D, writes it to FILE,
and stops it (a call is repeated on restore with its original deadline). dosemu restore FILE
continues it. Same as dosemu run --checkpoint-at D --checkpoint-to FILE.
`

const restoreUsage = `usage: dosemu restore [flags] FILE

Continues a program written by dosemu checkpoint (or run --checkpoint-to)
where it stopped: its output from that point on passes through, and its
exit code is dosemu's. The quantum, seed and --dir preopens are those of
the checkpointed run; the host directories must still exist.

flags:
  --trace FILE      write the trace as JSON Lines
  --perfetto FILE   write the trace as Chrome JSON for ui.perfetto.dev
  --chaos capture=N capture, serialize and restore it at every Nth preemption
`

// parseCheckpoint turns `checkpoint --at D -o FILE ...` into run options.
func parseCheckpoint(args []string) (*runOptions, error) {
	var at time.Duration
	var out string
	fs := newFlagSet("checkpoint")
	fs.Var(durationFlag{&at}, "at", "")
	fs.StringVar(&out, "o", "", "")
	// Everything from the first unknown flag or the program on is run's.
	var rest []string
	for len(args) > 0 {
		a := args[0]
		name := strings.TrimLeft(a, "-")
		name, _, _ = strings.Cut(name, "=")
		if !strings.HasPrefix(a, "-") || (name != "at" && name != "o" && name != "h" && name != "help") {
			rest = append(rest, a)
			args = args[1:]
			continue
		}
		n := 1
		if !strings.Contains(a, "=") && name != "h" && name != "help" {
			n = 2
		}
		if n > len(args) {
			return nil, usagef("dosemu checkpoint: flag --%s needs a value", name)
		}
		if err := fs.Parse(args[:n]); err != nil {
			return nil, flagError("checkpoint", err)
		}
		args = args[n:]
	}
	if at == 0 || out == "" {
		return nil, usagef("dosemu checkpoint: --at D and -o FILE are required")
	}
	o, err := parseRun(rest)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) {
			return nil, usagef("%s", strings.Replace(ue.msg, "dosemu run:", "dosemu checkpoint:", 1))
		}
		return nil, err
	}
	if o.CheckpointTo != "" {
		return nil, usagef("dosemu checkpoint: give --at and -o, not --checkpoint-at and --checkpoint-to")
	}
	o.CheckpointAt, o.CheckpointTo = at, out
	return o, nil
}

// checkpointer is what a cluster offers for checkpoints (cluster_emulator.go).
type checkpointer interface {
	CheckpointAt(gid string, at time.Duration, done func(*kernel.Checkpoint, error)) error
	Restore(cp *kernel.Checkpoint) (string, error)
}

// pendingCheckpoint is a checkpoint asked for by `run`.
type pendingCheckpoint struct {
	o    *runOptions
	wasm []byte
	mu   sync.Mutex
	done bool
	at   vtime.Time
	err  error
}

// startCheckpoint arranges the checkpoint of process gid of c, when o
// asks for one (nil otherwise).
func startCheckpoint(c cluster, gid string, o *runOptions, wasm []byte) (*pendingCheckpoint, error) {
	if o.CheckpointTo == "" {
		return nil, nil
	}
	ck, ok := c.(checkpointer)
	if !ok {
		return nil, errors.New("--checkpoint-to: this cluster cannot checkpoint processes")
	}
	pc := &pendingCheckpoint{o: o, wasm: wasm}
	err := ck.CheckpointAt(gid, o.CheckpointAt, func(cp *kernel.Checkpoint, err error) {
		pc.mu.Lock()
		defer pc.mu.Unlock()
		pc.done = true
		if err == nil {
			pc.at = cp.At
			cp.Wasm = wasm
			for _, d := range o.Dirs {
				host, aerr := filepath.Abs(d.Host)
				if aerr != nil {
					host = d.Host
				}
				cp.Dirs = append(cp.Dirs, [2]string{host, d.Guest})
			}
			err = writeCheckpoint(o.CheckpointTo, cp)
		}
		pc.err = err
	})
	return pc, err
}

// finish reports the checkpoint's outcome after the run. done is false
// when no checkpoint was asked for, so the caller reports the guest's own
// outcome.
func (pc *pendingCheckpoint) finish(stderr io.Writer) (code int, done bool) {
	if pc == nil {
		return 0, false
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	switch {
	case !pc.done:
		fmt.Fprintf(stderr, "dosemu run: %s: the program ended before a preemption at or after %v; no checkpoint written\n", pc.o.Program, pc.o.CheckpointAt)
		return exitFailed, true
	case pc.err != nil:
		fmt.Fprintf(stderr, "dosemu run: %s: checkpoint: %v\n", pc.o.Program, oneLine(pc.err))
		return exitFailed, true
	}
	fmt.Fprintf(stderr, "dosemu run: checkpointed %s at %v of virtual time to %s\n", pc.o.Program, time.Duration(pc.at), pc.o.CheckpointTo)
	return exitOK, true
}

// writeCheckpoint writes cp to path through a temporary file and a
// rename, so that a failed write never leaves a truncated checkpoint.
func writeCheckpoint(path string, cp *kernel.Checkpoint) error {
	b, err := cp.MarshalBinary()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// readCheckpoint reads and decodes a checkpoint file.
func readCheckpoint(path string) (*kernel.Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: cannot read: %w", path, err)
	}
	var cp kernel.Checkpoint
	if err := cp.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &cp, nil
}

// restoreOptions are the flags of `dosemu restore`.
type restoreOptions struct {
	TraceFile string
	Perfetto  string
	Chaos     chaosSpec
	File      string
}

func parseRestore(args []string) (*restoreOptions, error) {
	o := &restoreOptions{}
	fs := newFlagSet("restore")
	fs.StringVar(&o.TraceFile, "trace", "", "")
	fs.StringVar(&o.Perfetto, "perfetto", "", "")
	fs.Var(&o.Chaos, "chaos", "")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, flagError("restore", err)
	}
	if len(pos) != 1 || pos[0] == "" {
		return nil, usagef("dosemu restore: want exactly one checkpoint FILE, got %d arguments", len(pos))
	}
	o.File = pos[0]
	if o.TraceFile != "" && o.TraceFile == o.Perfetto {
		return nil, usagef("dosemu restore: --trace and --perfetto both write %q", o.TraceFile)
	}
	return o, nil
}

// restoreOne implements `dosemu restore`.
func restoreOne(ctx context.Context, o *restoreOptions, stdout, stderr io.Writer) int {
	cp, err := readCheckpoint(o.File)
	if err != nil {
		fmt.Fprintf(stderr, "dosemu restore: %v\n", oneLine(err))
		return exitFailed
	}
	var dirs []dirMap
	for _, d := range cp.Dirs {
		m, err := parseDir(d[0] + "::" + d[1])
		if err != nil {
			fmt.Fprintf(stderr, "dosemu restore: %s: preopened directory: %v\n", o.File, err)
			return exitFailed
		}
		dirs = append(dirs, m)
	}
	tr, finishTrace, err := traceSinks(o.TraceFile, o.Perfetto)
	if err != nil {
		fmt.Fprintf(stderr, "dosemu restore: %v\n", err)
		return exitFailed
	}
	pt := &passThrough{stdout: stdout, stderr: stderr}
	q := time.Duration(cp.Quantum)
	if q <= 0 {
		q = defaultQuantum
	}
	spec := clusterSpec{
		Computers: 1, Cores: 1, Quantum: q, Seed: cp.Seed, Chaos: o.Chaos,
		Tracer: tr, Dirs: dirs,
		Output: pt.output,
		Ended:  func(string) {},
		Failed: pt.failed,
	}
	c, err := newCluster(ctx, spec)
	if err != nil {
		finishTrace()
		fmt.Fprintf(stderr, "dosemu restore: %v\n", oneLine(err))
		return exitFailed
	}
	defer c.Close(context.Background())
	ck, ok := c.(checkpointer)
	if !ok {
		finishTrace()
		fmt.Fprintln(stderr, "dosemu restore: this cluster cannot restore processes")
		return exitFailed
	}
	if err := c.Load(ctx, cp.Name, cp.Wasm); err != nil {
		finishTrace()
		fmt.Fprintf(stderr, "dosemu restore: %s: program %s: %v\n", o.File, cp.Name, oneLine(err))
		return exitFailed
	}
	if _, err := ck.Restore(cp); err != nil {
		finishTrace()
		fmt.Fprintf(stderr, "dosemu restore: %s: %v\n", o.File, oneLine(err))
		return exitFailed
	}
	runErr := c.Run(ctx)
	s := c.Summary()
	if err := finishTrace(); err != nil {
		fmt.Fprintf(stderr, "dosemu restore: %v\n", err)
		return exitFailed
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "dosemu restore: interrupted")
		return exitInterrupted
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "dosemu restore: %v\n", oneLine(runErr))
		return exitFailed
	}
	if len(s.Procs) != 1 {
		fmt.Fprintf(stderr, "dosemu restore: expected one process, the cluster reports %d\n", len(s.Procs))
		return exitFailed
	}
	if p := s.Procs[0]; p.Code >= 0 {
		return p.Code
	}
	failure := pt.failure(s.Procs[0].Status)
	fmt.Fprintf(stderr, "dosemu restore: %s: %s\n", cp.Name, failure)
	return exitTrap
}
