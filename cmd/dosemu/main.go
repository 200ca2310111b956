// Command dosemu boots and runs an emulated distributed operating system.
//
//	dosemu boot [flags] PROG.wasm...        a cluster; prefixed output; a summary
//	dosemu run  [flags] PROG.wasm [ARGS...] one program, like wasmtime run
//	dosemu checkpoint --at D -o FILE PROG.wasm [ARGS...]  run, then write it to FILE at D
//	dosemu restore FILE                     continue a checkpointed program
//
// Exit status: 0 when every guest exited 0; 1 when a guest failed to load,
// trapped, was killed or exited non-zero, or dosemu itself failed (a trace
// file could not be written); 2 for a command-line mistake; for `run`, the
// guest's own exit code. Ctrl-C stops the cluster cleanly, prints the
// summary and exits 130.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"dosemu/kernel/sched/plugin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	// Plugins die with dosemu whatever path led here (Ctrl-C included);
	// clusters kill theirs on Close, this catches any left over.
	plugin.Cleanup()
	os.Exit(code)
}

// Exit codes shared by the commands.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

// run is the whole command: it parses args (without the program name),
// writes to stdout and stderr, and returns the exit status. It never
// calls os.Exit, so tests drive it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "dosemu: no command given")
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	switch args[0] {
	case "boot":
		o, err := parseBoot(args[1:])
		if code, done := reportParse(err, bootUsage, stdout, stderr); done {
			return code
		}
		return boot(ctx, o, stdout, stderr)
	case "run":
		o, err := parseRun(args[1:])
		if code, done := reportParse(err, runUsage, stdout, stderr); done {
			return code
		}
		return runOne(ctx, o, stdout, stderr)
	case "checkpoint":
		o, err := parseCheckpoint(args[1:])
		if code, done := reportParse(err, checkpointUsage, stdout, stderr); done {
			return code
		}
		return runOne(ctx, o, stdout, stderr)
	case "restore":
		o, err := parseRestore(args[1:])
		if code, done := reportParse(err, restoreUsage, stdout, stderr); done {
			return code
		}
		return restoreOne(ctx, o, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, mainUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "dosemu: unknown command %q\n", args[0])
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
}

// reportParse prints a parse outcome: help on stdout, a usage error as one
// line plus the usage on stderr.
func reportParse(err error, usage string, stdout, stderr io.Writer) (int, bool) {
	if err == nil {
		return 0, false
	}
	u := usage
	if usage == bootUsage {
		u = fmt.Sprintf(bootUsage, schedNames())
	}
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, u)
		return exitOK, true
	}
	fmt.Fprintln(stderr, err)
	fmt.Fprint(stderr, u)
	return exitUsage, true
}
