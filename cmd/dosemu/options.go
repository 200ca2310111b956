package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"dosemu/emulator"
	"dosemu/kernel"
	"dosemu/kernel/sched"
	"dosemu/kernel/sched/plugin"
)

// usageError is a command-line mistake: the command prints it on one line,
// then the usage, and exits with status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// errHelp asks for the usage on stdout and a zero exit.
var errHelp = errors.New("help requested")

// chaosSpec is the value of --chaos: a comma-separated list of key=value.
type chaosSpec struct {
	// Capture: capture, serialize and restore every process at every Nth
	// chaos point, a preemption or a system call's entry (0 = off).
	Capture int
	// Migrate: move every process to a random other computer at every Nth
	// chaos point (0 = off), with strategy Mode.
	Migrate int
	// Mode is the migration strategy, "mode=stopcopy|precopy|postcopy";
	// empty means postcopy, as in --migrate plans.
	Mode string
}

func (c *chaosSpec) String() string {
	if c == nil {
		return ""
	}
	var parts []string
	if c.Capture > 0 {
		parts = append(parts, "capture="+strconv.Itoa(c.Capture))
	}
	if c.Migrate > 0 {
		parts = append(parts, "migrate="+strconv.Itoa(c.Migrate))
	}
	if c.Mode != "" {
		parts = append(parts, "mode="+c.Mode)
	}
	return strings.Join(parts, ",")
}

// Set parses "capture=N", "migrate=N" and "mode=M", comma-separated
// ("capture=3,migrate=5,mode=precopy"). Repeating the flag merges the
// settings.
func (c *chaosSpec) Set(s string) error {
	if s == "" {
		return errors.New("empty; want capture=N, migrate=N or mode=stopcopy|precopy|postcopy")
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return fmt.Errorf("%q is not key=N (want capture=N, migrate=N or mode=M)", part)
		}
		if k == "mode" {
			if _, err := kernel.ParseMigrateMode(v); err != nil {
				return fmt.Errorf("mode=%q: %v", v, err)
			}
			c.Mode = v
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%s=%q: want a whole number >= 1", k, v)
		}
		switch k {
		case "capture":
			c.Capture = n
		case "migrate":
			c.Migrate = n
		default:
			return fmt.Errorf("unknown chaos %q (known: capture, migrate, mode)", k)
		}
	}
	return nil
}

// migrateList is the value of repeated --migrate flags, each checked
// when given ("at=50ms pid=c0:3 to=c2 mode=postcopy").
type migrateList []string

func (m *migrateList) String() string { return strings.Join(*m, "; ") }

// Set checks the plan's syntax; computers and processes are checked when
// the cluster exists (a plan naming a process that is not there at its
// time is reported then).
func (m *migrateList) Set(s string) error {
	if _, err := emulator.ParseMigratePlan(s); err != nil {
		return err
	}
	*m = append(*m, s)
	return nil
}

// envList is the value of repeated --env K=V flags.
type envList []string

func (e *envList) String() string { return strings.Join(*e, " ") }

// Set takes K=V, or K alone to pass the host's value of K (as wasmtime
// does); an unset host variable is an error rather than a silent empty.
func (e *envList) Set(s string) error {
	k, _, ok := strings.Cut(s, "=")
	if k == "" {
		return fmt.Errorf("%q has no variable name (want K=V)", s)
	}
	if !ok {
		v, set := os.LookupEnv(k)
		if !set {
			return fmt.Errorf("%q: no value given and the host has no %s (want K=V)", s, k)
		}
		s = k + "=" + v
	}
	*e = append(*e, s)
	return nil
}

// dirMap is one --dir: a host directory preopened in the guest at Guest.
type dirMap struct {
	Host  string
	Guest string
}

type dirList []dirMap

func (d *dirList) String() string {
	var parts []string
	for _, m := range *d {
		parts = append(parts, m.Host+"::"+m.Guest)
	}
	return strings.Join(parts, " ")
}

// Set accepts wasmtime's HOST::GUEST, wazero's HOST:GUEST, and HOST alone
// (preopened under its own path). The host side must be a directory.
func (d *dirList) Set(s string) error {
	m, err := parseDir(s)
	if err != nil {
		return err
	}
	*d = append(*d, m)
	return nil
}

func parseDir(s string) (dirMap, error) {
	var host, guest string
	if h, g, ok := strings.Cut(s, "::"); ok {
		host, guest = h, g
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, guest = s[:i], s[i+1:]
	} else {
		host, guest = s, s
	}
	if host == "" {
		return dirMap{}, fmt.Errorf("%q has no host directory (want HOST[:GUEST])", s)
	}
	if guest == "" {
		return dirMap{}, fmt.Errorf("%q has an empty guest path (want HOST[:GUEST])", s)
	}
	if strings.IndexByte(guest, 0) >= 0 {
		return dirMap{}, fmt.Errorf("%q: guest path contains a NUL byte", s)
	}
	fi, err := os.Stat(host)
	if err != nil {
		return dirMap{}, fmt.Errorf("host directory %q: %w", host, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return dirMap{}, fmt.Errorf("host path %q is not a directory", host)
	}
	if strings.HasPrefix(guest, "/") {
		guest = path.Clean(guest)
	} else {
		guest = path.Clean(guest)
		if guest == "." {
			guest = "/"
		}
	}
	return dirMap{Host: host, Guest: guest}, nil
}

// bootOptions are the flags of `dosemu boot`.
type bootOptions struct {
	Computers   int
	Cores       int
	ClusterFile string
	PlanFile    string
	Quantum     time.Duration
	Seed        uint64
	Sched       string
	Balancer    string
	TraceFile   string
	Perfetto    string
	Chaos       chaosSpec
	Migrations  migrateList
	Net         netFlags
	Mounts      mountList
	Programs    []string
	// PS prints the process tree at the end (--ps).
	PS bool
}

// mountList is the value of repeated --mount flags, checked when the
// cluster's computers are known.
type mountList []string

func (m *mountList) String() string { return strings.Join(*m, " ") }

// Set takes COMPUTER:/PATH=HOSTDIR or COMPUTER:/PATH=COMPUTER:/PATH.
func (m *mountList) Set(s string) error {
	if !strings.Contains(s, "=") {
		return fmt.Errorf("%q: want COMPUTER:/PATH=HOSTDIR or COMPUTER:/PATH=COMPUTER:/PATH", s)
	}
	*m = append(*m, s)
	return nil
}

// runOptions are the flags of `dosemu run`.
type runOptions struct {
	Env       envList
	Dirs      dirList
	Quantum   time.Duration
	Seed      uint64
	TraceFile string
	Perfetto  string
	Chaos     chaosSpec
	// Computers is --computers (0 means 1): the program runs on c0, the
	// others are there for --chaos migrate to move it to.
	Computers int
	// CheckpointAt and CheckpointTo are --checkpoint-at and
	// --checkpoint-to: stop the program at the first point it can be
	// captured at or after that virtual time and write it to the file.
	CheckpointAt time.Duration
	CheckpointTo string
	Program      string
	Args         []string
}

// Defaults. The quantum is virtual time: 1 ms is 1,000,000 guest
// instructions at speed 1.0 (doc/design.md: 1 ns per instruction).
const (
	defaultComputers = 1
	defaultCores     = 1
	defaultQuantum   = time.Millisecond
	defaultSeed      = 1
	maxComputers     = 1024
	maxCores         = 1024
)

const bootUsage = `usage: dosemu boot [flags] PROG.wasm...

Boots a cluster of virtual computers, places the programs round-robin over
them (or as --plan says), streams their output prefixed with where they
run, and prints a summary when all have exited.

flags:
  --computers N     number of computers (default 1)
  --cores K         virtual CPUs per computer (default 1)
  --cluster FILE    cluster file: each computer's cores, memory and speed
  --plan FILE       boot plan: computers and the programs to start on them
  --quantum D       scheduling quantum in virtual time (default 1ms)
  --seed S          seed for every random choice (default 1)
  --sched NAME      scheduler: %s (default rr);
                    a path (./my-sched) runs a scheduler plugin instead
  --balancer NAME   where programs go and which should move: rr,
                    least-loaded, mosix (default rr); a path runs a
                    balancer plugin
  --trace FILE      write the trace as JSON Lines (doc/trace.md)
  --perfetto FILE   write the trace as Chrome JSON for ui.perfetto.dev
  --ps              print the process tree (parents, children, how each ended) at the end
  --chaos capture=N capture, serialize and restore every process at every
                    Nth chaos point: its preemptions and system-call
                    entries, where it is frozen before the call and
                    repeats it after (a program's output is unchanged,
                    but for virtual times it measures: a turn at a call
                    ends the slice there)
  --chaos migrate=N[,mode=M]  move every process to a random other computer
                    at every Nth chaos point (as for capture); M is
                    stopcopy, precopy or postcopy (default postcopy)
  --migrate PLAN    a scripted migration, e.g. 'at=50ms pid=c0:3 to=c2
                    mode=postcopy' (repeatable; fail=prepare|mem|commit
                    injects a failure of the destination at that phase,
                    fail=push|source one of the destination or the source
                    after a post-copy hand-off)
  --mount C:/PATH=HOSTDIR   mount a host directory on computer C (watched)
  --mount C:/PATH=S:/PATH   mount computer S's PATH on computer C
                    (repeatable; every computer also sees /net/<computer>/
                    and /proc)
` + netUsage

const runUsage = `usage: dosemu run [flags] PROG.wasm [ARGS...]

Runs one program on one computer like wasmtime run / wazero run: its
stdout and stderr pass through, its exit code is dosemu's.

flags:
  --env K=V         set an environment variable (repeatable; K alone copies the host's)
  --dir HOST[:GUEST] preopen a host directory at GUEST (repeatable;
                    HOST::GUEST also accepted; GUEST / makes it the root)
  --quantum D       scheduling quantum in virtual time (default 1ms)
  --seed S          seed for every random choice (default 1)
  --trace FILE      write the trace as JSON Lines
  --perfetto FILE   write the trace as Chrome JSON for ui.perfetto.dev
  --chaos capture=N capture, serialize and restore the process at every Nth
                    chaos point: a preemption or a system call's entry
                    (the call is repeated after; its output is unchanged
                    but for virtual times it measures)
  --chaos migrate=N[,mode=M]  move it to a random other computer at every
                    Nth chaos point (needs --computers 2 or more)
  --computers N     computers in the cluster; the program starts on c0
                    (default 1)
  --checkpoint-at D stop the program at its first preemption or blocking
                    call at or after virtual time D ...
  --checkpoint-to FILE  ... and write it to FILE; dosemu restore FILE
                    resumes it
`

const mainUsage = `usage: dosemu COMMAND [flags] ...

commands:
  boot   boot a cluster and run programs on it (dosemu boot --help)
  run        run one program like wasmtime run (dosemu run --help)
  checkpoint run one program and write it to a file at a virtual time
  restore    continue a checkpointed program (dosemu restore --help)
`

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller, on one line
	fs.Usage = func() {}
	return fs
}

// seedFlag parses a uint64 in decimal or 0x hex.
type seedFlag struct{ v *uint64 }

func (s seedFlag) String() string {
	if s.v == nil {
		return ""
	}
	return strconv.FormatUint(*s.v, 10)
}

func (s seedFlag) Set(v string) error {
	n, err := strconv.ParseUint(v, 0, 64)
	if err != nil {
		return fmt.Errorf("%q is not a whole number in 0..2^64-1", v)
	}
	*s.v = n
	return nil
}

// quantumFlag parses a positive Go duration ("1ms", "250us").
type quantumFlag struct{ v *time.Duration }

func (q quantumFlag) String() string {
	if q.v == nil {
		return ""
	}
	return q.v.String()
}

func (q quantumFlag) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("%q is not a duration like 1ms or 250us", v)
	}
	if d < 100*time.Nanosecond {
		return fmt.Errorf("%q is shorter than the smallest quantum, 100ns (100 instructions)", v)
	}
	*q.v = d
	return nil
}

// parseInterleaved parses flags that may appear before, between or after
// the positional arguments (`boot a.wasm --computers 3 b.wasm`). "--" ends
// the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func flagError(cmd string, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	msg := err.Error()
	// The flag package says "invalid value "x" for flag -seed: <why>";
	// keep its wording, which names the flag and the input, but print
	// flags the way users type them here, with two dashes.
	msg = strings.Replace(msg, "flag -", "flag --", 1)
	msg = strings.Replace(msg, "provided but not defined: -", "unknown flag --", 1)
	return usagef("dosemu %s: %s", cmd, msg)
}

func parseBoot(args []string) (*bootOptions, error) {
	o := &bootOptions{Computers: defaultComputers, Cores: defaultCores, Quantum: defaultQuantum, Seed: defaultSeed}
	fs := newFlagSet("boot")
	fs.IntVar(&o.Computers, "computers", o.Computers, "")
	fs.IntVar(&o.Cores, "cores", o.Cores, "")
	fs.StringVar(&o.ClusterFile, "cluster", "", "")
	fs.StringVar(&o.PlanFile, "plan", "", "")
	fs.Var(quantumFlag{&o.Quantum}, "quantum", "")
	fs.Var(seedFlag{&o.Seed}, "seed", "")
	fs.StringVar(&o.Sched, "sched", "", "")
	fs.StringVar(&o.Balancer, "balancer", "", "")
	fs.StringVar(&o.TraceFile, "trace", "", "")
	fs.StringVar(&o.Perfetto, "perfetto", "", "")
	fs.BoolVar(&o.PS, "ps", false, "")
	fs.Var(&o.Chaos, "chaos", "")
	fs.Var(&o.Migrations, "migrate", "")
	fs.Var(&o.Mounts, "mount", "")
	o.Net.register(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, flagError("boot", err)
	}
	o.Programs = pos
	for i, p := range pos {
		if p == "" {
			return nil, usagef("dosemu boot: program %d is an empty path", i+1)
		}
	}
	if o.Computers < 1 || o.Computers > maxComputers {
		return nil, usagef("dosemu boot: --computers %d: want 1..%d", o.Computers, maxComputers)
	}
	if o.Cores < 1 || o.Cores > maxCores {
		return nil, usagef("dosemu boot: --cores %d: want 1..%d", o.Cores, maxCores)
	}
	if err := checkSched(o.Sched); err != nil {
		return nil, usagef("dosemu boot: --sched: %v", err)
	}
	if err := checkBalancer(o.Balancer); err != nil {
		return nil, usagef("dosemu boot: --balancer: %v", err)
	}
	if err := o.Net.check(); err != nil {
		return nil, usagef("dosemu boot: %v", err)
	}
	if len(o.Programs) == 0 && o.PlanFile == "" {
		return nil, usagef("dosemu boot: no programs given (want PROG.wasm... or --plan FILE)")
	}
	if o.TraceFile != "" && o.TraceFile == o.Perfetto {
		return nil, usagef("dosemu boot: --trace and --perfetto both write %q", o.TraceFile)
	}
	return o, nil
}

// checkBalancer accepts a built-in balancer name or an existing plugin
// executable.
func checkBalancer(name string) error {
	if plugin.IsPath(name) {
		return checkSched(name)
	}
	_, err := sched.NewBalancer(name)
	return err
}

// checkSched accepts a built-in policy name. A value with a path
// separator names a plugin executable; it must exist.
func checkSched(name string) error {
	if name == "" {
		return nil
	}
	if strings.ContainsRune(name, '/') {
		fi, err := os.Stat(name)
		if err != nil {
			return fmt.Errorf("plugin %q: %w", name, errors.Unwrap(err))
		}
		if fi.IsDir() {
			return fmt.Errorf("plugin %q is a directory", name)
		}
		return nil
	}
	_, err := sched.New(name)
	return err
}

func parseRun(args []string) (*runOptions, error) {
	o := &runOptions{Quantum: defaultQuantum, Seed: defaultSeed}
	fs := newFlagSet("run")
	fs.Var(&o.Env, "env", "")
	fs.Var(&o.Dirs, "dir", "")
	fs.Var(quantumFlag{&o.Quantum}, "quantum", "")
	fs.Var(seedFlag{&o.Seed}, "seed", "")
	fs.StringVar(&o.TraceFile, "trace", "", "")
	fs.StringVar(&o.Perfetto, "perfetto", "", "")
	fs.Var(&o.Chaos, "chaos", "")
	fs.IntVar(&o.Computers, "computers", o.Computers, "")
	fs.Var(durationFlag{&o.CheckpointAt}, "checkpoint-at", "")
	fs.StringVar(&o.CheckpointTo, "checkpoint-to", "", "")
	// As with wasmtime, flags end at the program: everything after it is
	// the guest's, even if it looks like a flag.
	if err := fs.Parse(args); err != nil {
		return nil, flagError("run", err)
	}
	rest := fs.Args()
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return nil, usagef("dosemu run: no program given (want PROG.wasm [ARGS...])")
	}
	o.Program, o.Args = rest[0], rest[1:]
	if o.Program == "" {
		return nil, usagef("dosemu run: empty program path")
	}
	if o.TraceFile != "" && o.TraceFile == o.Perfetto {
		return nil, usagef("dosemu run: --trace and --perfetto both write %q", o.TraceFile)
	}
	if o.Computers < 0 || o.Computers > maxComputers {
		return nil, usagef("dosemu run: --computers %d: want 1..%d", o.Computers, maxComputers)
	}
	if (o.CheckpointTo == "") != (o.CheckpointAt == 0) {
		return nil, usagef("dosemu run: --checkpoint-at and --checkpoint-to go together")
	}
	return o, nil
}

// durationFlag parses a positive Go duration of virtual time ("50ms").
type durationFlag struct{ v *time.Duration }

func (d durationFlag) String() string {
	if d.v == nil {
		return ""
	}
	return d.v.String()
}

func (d durationFlag) Set(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil || x <= 0 {
		return fmt.Errorf("%q is not a positive duration like 50ms", v)
	}
	*d.v = x
	return nil
}

func schedNames() string { return strings.Join(sched.Names(), ", ") }
