package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
)

// exitTrap is `dosemu run`'s status for a guest that trapped or was
// killed: 128 + SIGABRT, as wasmtime reports a trap on Unix.
const exitTrap = 134

// runOne implements `dosemu run`: one program on one computer, its output
// passed through unprefixed, its exit code returned.
func runOne(ctx context.Context, o *runOptions, stdout, stderr io.Writer) int {
	wasm, err := readProgram(o.Program)
	if err != nil {
		fmt.Fprintf(stderr, "dosemu run: %s: %v\n", o.Program, err)
		return exitFailed
	}
	tr, finishTrace, err := traceSinks(o.TraceFile, o.Perfetto)
	if err != nil {
		fmt.Fprintf(stderr, "dosemu run: %v\n", err)
		return exitFailed
	}
	pt := &passThrough{stdout: stdout, stderr: stderr}
	spec := clusterSpec{
		Computers: max(o.Computers, 1), Cores: 1,
		Quantum: o.Quantum, Seed: o.Seed, Chaos: o.Chaos,
		Tracer: tr,
		Dirs:   o.Dirs,
		Output: pt.output,
		Ended:  func(string) {},
		Failed: pt.failed,
	}
	c, err := newCluster(ctx, spec)
	if err != nil {
		finishTrace()
		fmt.Fprintf(stderr, "dosemu run: %v\n", oneLine(err))
		return exitFailed
	}
	defer c.Close(context.Background())
	name := programName(o.Program)
	if err := c.Load(ctx, name, wasm); err != nil {
		finishTrace()
		fmt.Fprintf(stderr, "dosemu run: %s: %v\n", o.Program, oneLine(err))
		return exitFailed
	}
	// argv[0] is the file name, as wasmtime passes it.
	argv := append([]string{filepath.Base(o.Program)}, o.Args...)
	env := append([]string{}, o.Env...)
	gid, err := c.Spawn(0, name, argv, env)
	if err != nil {
		finishTrace()
		fmt.Fprintf(stderr, "dosemu run: %s: %v\n", o.Program, oneLine(err))
		return exitFailed
	}
	ck, err := startCheckpoint(c, gid, o, wasm)
	if err != nil {
		finishTrace()
		fmt.Fprintf(stderr, "dosemu run: %s: %v\n", o.Program, oneLine(err))
		return exitFailed
	}
	runErr := c.Run(ctx)
	s := c.Summary()
	if err := finishTrace(); err != nil {
		fmt.Fprintf(stderr, "dosemu run: %v\n", err)
		return exitFailed
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "dosemu run: interrupted")
		return exitInterrupted
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "dosemu run: %v\n", oneLine(runErr))
		return exitFailed
	}
	if code, done := ck.finish(stderr); done {
		return code
	}
	if len(s.Procs) != 1 {
		fmt.Fprintf(stderr, "dosemu run: %s: expected one process, the cluster reports %d\n", o.Program, len(s.Procs))
		return exitFailed
	}
	p := s.Procs[0]
	if p.Code >= 0 {
		return p.Code
	}
	failure := pt.failure(p.Status)
	fmt.Fprintf(stderr, "dosemu run: %s: %s\n", o.Program, failure)
	return exitTrap
}
