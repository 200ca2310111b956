// Package emulator is the dosemu machine: a cluster of virtual computers
// sharing one virtual-time event loop, one guest engine, one seed and one
// tracer, with a registry of programs compiled once and shared by every
// process that runs them.
//
// Typical use (this is what cmd/dosemu does):
//
//	c, err := emulator.New(emulator.Config{Computers: emulator.Uniform(3, 2), Seed: 1, Output: print})
//	err = c.Load("spin", wasmBytes)           // decode, instrument, compile once
//	gid, err := c.Spawn(-1, "spin", nil, nil) // -1: round-robin placement
//	err = c.Run(ctx)                          // until every guest exits, ctx ends, or Config.Limit
//	s := c.Summary()
//	c.Close()
//
// Run is deterministic: the same Config (seed included), programs and
// spawns give the same trace and output, byte for byte, whatever the host
// does. A Cluster is not safe for concurrent use: call it from one
// goroutine; guests run on their own goroutines only while Run waits.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"dosemu/emulator/cpu"
	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
	"dosemu/kernel"
	"dosemu/kernel/sched"
	"dosemu/kernel/sched/plugin"
	"dosemu/kernel/wasi"
	"dosemu/net"
	"dosemu/vfs"
	"dosemu/vfs/remote"
)

// GID is a process's global id, "c1:7" (see kernel.GID).
type GID = kernel.GID

// Stream numbers for Config.Output.
const (
	Stdout = 1
	Stderr = 2
)

// ComputerConfig sizes one computer.
type ComputerConfig struct {
	Name     string  `yaml:"name"`     // default "c<index>"
	Cores    int     `yaml:"cores"`    // vCPUs, default 1
	Memory   Size    `yaml:"memory"`   // limit on the sum of guests' linear memories; 0 = none
	Speed    float64 `yaml:"speed"`    // instructions per virtual ns, default 1.0
	MaxProcs int     `yaml:"maxprocs"` // process limit, default 1024
}

// Uniform returns n identical computers with the given cores.
func Uniform(n, cores int) []ComputerConfig {
	out := make([]ComputerConfig, n)
	for i := range out {
		out[i] = ComputerConfig{Cores: cores}
	}
	return out
}

// Config configures a cluster.
type Config struct {
	// Computers, at least one.
	Computers []ComputerConfig
	// Quantum is the time slice; 0 means kernel.DefaultQuantum (1 ms).
	Quantum vtime.Duration
	// Sched names the scheduling policy of every computer (sched.Names);
	// empty means round-robin. A value with a path separator ("./lottery")
	// is a plugin executable (kernel/sched/plugin), started once and
	// consulted for every computer; it is killed by Close.
	Sched string
	// Balancer names the cluster's balancer (sched.BalancerNames), which
	// places processes spawned on computer -1 and proposes migrations;
	// empty means round-robin placement. A path is a plugin, as for Sched.
	Balancer string
	// PluginDeadline bounds each request to a plugin in host time (0:
	// plugin.DefaultDeadline). Missing it makes the policy fall back.
	PluginDeadline time.Duration
	// PolicyFault is told, once per computer (or "cluster" for the
	// balancer), in one line, when a plugin failed and its computer fell
	// back to round-robin. Guests keep running.
	PolicyFault func(computer string, err error)
	// Seed fixes every random choice.
	Seed uint64
	// Tracer receives every kernel event; nil records nothing.
	Tracer *trace.Tracer
	// Output receives guest stdout/stderr writes; data is valid only during
	// the call. Nil discards output.
	Output func(gid GID, prog string, stream int, data []byte)
	// Failed is told, once, about every process that ends abnormally
	// (trap, over its memory, killed by the kernel) with a one-line error
	// naming the process, program and cause. Failures are also kept for
	// Failures().
	Failed func(gid GID, prog string, err error)
	// Limit stops Run at this virtual time (0: no limit); processes still
	// alive are killed.
	Limit vtime.Duration
	// Engine, when set, is used instead of a cluster-owned one; it must
	// have been made with NewEngine (which registers the host modules).
	// Sharing an engine shares compiled programs between clusters.
	Engine *cpu.Engine
	// EngineConfig configures the cluster-owned engine (Engine nil).
	EngineConfig cpu.Config
	// SetupFDs, when set, installs preopens into each new process's fd
	// table (cmd's --dir).
	SetupFDs func(p *kernel.Process) error
	// Network configures the fabric between the computers; nil means
	// net.DefaultConfig().
	Network *net.Config
	// Mounts are host directories and remote subtrees to mount (--mount).
	Mounts []Mount
	// Remote tunes the remote-file protocol.
	Remote remote.Options
	// RootDir preopens each computer's name space as "/" in every process
	// (after SetupFDs's preopens), so guests reach /net/<computer>/...,
	// /proc and the mounts by absolute path.
	RootDir bool
	// Chaos injects transparent faults (capture round trips, migrations)
	// at preemptions; see Chaos. The zero value injects nothing.
	Chaos Chaos
	// BalanceMode is the strategy of the migrations the balancer's
	// proposals start (the zero value is stop-and-copy).
	BalanceMode MigrateMode
}

// NewEngine creates a guest engine with dosemu's host modules registered,
// for Config.Engine.
func NewEngine(ctx context.Context, cfg cpu.Config) (*cpu.Engine, error) {
	eng, err := cpu.NewEngine(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := kernel.Register(ctx, eng); err != nil {
		_ = eng.Close(ctx)
		return nil, err
	}
	return eng, nil
}

// Cluster is a running dosemu machine.
type Cluster struct {
	cfg      Config
	ctx      context.Context
	loop     *vtime.Loop
	eng      *cpu.Engine
	ownEng   bool
	kernels  []*kernel.Kernel
	programs map[string]*cpu.Program
	order    []string // program names in load order
	sch      schedState
	failures []string
	closed   bool
	net      *net.Network
	files    []*files
	running  bool // inside Run: remote waits must not step the loop
	chaos    chaosState
}

// New builds a cluster: its computers with their kernels and init
// processes, its engine (unless given) and its event loop at time 0.
func New(cfg Config) (*Cluster, error) {
	if len(cfg.Computers) == 0 {
		return nil, errors.New("emulator: a cluster needs at least one computer")
	}
	if len(cfg.Computers) > 1<<16 {
		return nil, fmt.Errorf("emulator: %d computers is more than the limit of 65536", len(cfg.Computers))
	}
	if !plugin.IsPath(cfg.Sched) {
		if _, err := sched.New(cfg.Sched); err != nil {
			return nil, fmt.Errorf("emulator: %w", err)
		}
	}
	ctx := context.Background()
	c := &Cluster{cfg: cfg, ctx: ctx, loop: vtime.NewLoop(), programs: map[string]*cpu.Program{}}
	if cfg.Engine != nil {
		c.eng = cfg.Engine
	} else {
		eng, err := NewEngine(ctx, cfg.EngineConfig)
		if err != nil {
			return nil, fmt.Errorf("emulator: guest engine: %w", err)
		}
		c.eng, c.ownEng = eng, true
	}
	if err := c.startSched(); err != nil {
		c.Close()
		return nil, fmt.Errorf("emulator: %w", err)
	}
	seen := map[string]int{}
	for i, cc := range cfg.Computers {
		name := cc.Name
		if name == "" {
			name = fmt.Sprintf("c%d", i)
		}
		if j, dup := seen[name]; dup {
			c.Close()
			return nil, fmt.Errorf("emulator: computers %d and %d are both named %q", j, i, name)
		}
		seen[name] = i
		pol, err := c.policyFor(i, name, cc)
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("emulator: computer %d: %w", i, err)
		}
		k, err := kernel.New(kernel.Config{
			Index: i, Name: name, Cores: cc.Cores, Speed: cc.Speed,
			MemoryLimit: uint64(cc.Memory), MaxProcs: cc.MaxProcs,
			Quantum: cfg.Quantum, Policy: pol, Seed: cfg.Seed,
			Loop: c.loop, Tracer: cfg.Tracer, World: c, Context: ctx,
			Output:   c.output,
			Failed:   c.failed,
			SetupFDs: c.setupFDs,
		})
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("emulator: computer %d: %w", i, err)
		}
		c.kernels = append(c.kernels, k)
	}
	ncfg := net.DefaultConfig()
	if cfg.Network != nil {
		ncfg = *cfg.Network
	}
	nw, err := net.New(c.loop, len(c.kernels), cfg.Seed, ncfg, cfg.Tracer)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("emulator: %w", err)
	}
	c.net = nw
	if err := c.setupFiles(); err != nil {
		c.Close()
		return nil, err
	}
	if cfg.Chaos != (Chaos{}) {
		if err := c.SetChaos(cfg.Chaos); err != nil {
			c.Close()
			return nil, err
		}
	}
	if cfg.Tracer.Enabled() {
		for _, k := range c.kernels {
			kc := k.Config()
			cfg.Tracer.Emit(trace.Event{T: 0, Computer: kc.Name, CPU: -1, Kind: "boot", Fields: map[string]any{
				"cores": kc.Cores, "speed": kc.Speed, "memory": kc.MemoryLimit, "quantum": int64(kc.Quantum), "sched": k.Policy().Name(),
			}})
		}
	}
	return c, nil
}

func (c *Cluster) setupFDs(p *kernel.Process) error {
	if c.cfg.SetupFDs != nil {
		if err := c.cfg.SetupFDs(p); err != nil {
			return err
		}
	}
	if c.cfg.RootDir {
		return c.preopenRoot(p)
	}
	return nil
}

func (c *Cluster) output(p *kernel.Process, stream int, data []byte) {
	if c.cfg.Output != nil {
		c.cfg.Output(p.GID(), p.Name(), stream, data)
	}
}

func (c *Cluster) failed(p *kernel.Process, err error) {
	line := fmt.Sprintf("%s %s: %v", p.GID(), p.Name(), oneLine(err))
	c.failures = append(c.failures, line)
	if c.cfg.Failed != nil {
		c.cfg.Failed(p.GID(), p.Name(), err)
	}
}

// oneLine flattens an error message onto one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// Engine is the cluster's guest engine.
func (c *Cluster) Engine() *cpu.Engine { return c.eng }

// Loop is the cluster's event loop (for other subsystems to schedule on).
func (c *Cluster) Loop() *vtime.Loop { return c.loop }

// Now is the current virtual time.
func (c *Cluster) Now() vtime.Time { return c.loop.Now() }

// Failures lists, in order, a one-line description of every process that
// ended abnormally so far.
func (c *Cluster) Failures() []string { return append([]string(nil), c.failures...) }

// ---- kernel.World ----

// NumComputers implements kernel.World.
func (c *Cluster) NumComputers() int { return len(c.kernels) }

// Kernel implements kernel.World: computer i's kernel, nil if out of range.
func (c *Cluster) Kernel(i int) *kernel.Kernel {
	if i < 0 || i >= len(c.kernels) {
		return nil
	}
	return c.kernels[i]
}

// Process implements kernel.World.
func (c *Cluster) Process(g GID) *kernel.Process {
	k := c.Kernel(g.Computer())
	if k == nil {
		return nil
	}
	return k.Lookup(g.PID())
}

// Notify implements kernel.World.
func (c *Cluster) Notify(t vtime.Time) {
	for _, k := range c.kernels {
		k.Notify(t)
	}
}

// Program implements kernel.World: a loaded program by name. "alice",
// "alice.wasm" and "/any/dir/alice.wasm" all find the program loaded as
// "alice" (or "alice.wasm").
func (c *Cluster) Program(name string) (*cpu.Program, error) {
	if p, ok := c.programs[name]; ok {
		return p, nil
	}
	base := name
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	for _, n := range []string{base, strings.TrimSuffix(base, ".wasm"), base + ".wasm"} {
		if p, ok := c.programs[n]; ok {
			return p, nil
		}
	}
	return nil, &kernel.Error{Errno: vfs.ENOENT, Msg: fmt.Sprintf("emulator: no program %q (loaded: %s)", name, strings.Join(c.order, ", "))}
}

// Load registers wasm under name (e.g. "spin"; a trailing ".wasm" is
// dropped), compiling it unless the same bytes were compiled before. The
// error names the program and the cause: not wasm, invalid module,
// unsupported feature. Cost: a compile on first sight, a hash after.
func (c *Cluster) Load(name string, wasm []byte) error {
	name = strings.TrimSuffix(name, ".wasm")
	if name == "" {
		return errors.New("emulator: load: empty program name")
	}
	p, err := c.eng.Load(c.ctx, name, wasm)
	if err != nil {
		return fmt.Errorf("emulator: load %s: %v", name, oneLineErr(err))
	}
	if err := c.checkImports(p); err != nil {
		return fmt.Errorf("emulator: load %s: %v", name, err)
	}
	if _, dup := c.programs[name]; !dup {
		c.order = append(c.order, name)
	}
	c.programs[name] = p
	return nil
}

func oneLineErr(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// Spawn starts program prog on computer (-1: the next computer in
// round-robin order) as a child of that computer's init, ready at the
// current virtual time. args is argv including argv[0] (nil: just the
// program name); env holds "KEY=VALUE" strings.
func (c *Cluster) Spawn(computer int, prog string, args, env []string) (GID, error) {
	pr, err := c.Program(prog)
	if err != nil {
		return 0, err
	}
	if computer == -1 {
		computer = c.placeNew(prog)
	}
	k := c.Kernel(computer)
	if k == nil {
		return 0, fmt.Errorf("emulator: spawn %s: no computer %d (the cluster has %d)", prog, computer, len(c.kernels))
	}
	name := strings.TrimSuffix(prog, ".wasm")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	p, err := k.Spawn(kernel.SpawnSpec{Program: pr, Name: name, Args: args, Env: env})
	if err != nil {
		return 0, err
	}
	c.armBalance()
	return p.GID(), nil
}

// ErrLimit is returned by Run when Config.Limit stopped it.
var ErrLimit = errors.New("emulator: virtual time limit reached")

// Run runs the cluster until every guest has ended, ctx is cancelled
// (then every process is killed and ctx's error returned), or the virtual
// time limit passes (ErrLimit). If guests remain blocked with nothing left
// that could wake them, they are killed and Run returns an error naming
// them (a deadlock). Run may be called again after more Spawns.
func (c *Cluster) Run(ctx context.Context) error {
	limit := vtime.Time(-1)
	if c.cfg.Limit > 0 {
		limit = vtime.Time(c.cfg.Limit)
	}
	for {
		if err := ctx.Err(); err != nil {
			c.shutdown("interrupted")
			return err
		}
		t, ok := c.loop.Next()
		if !ok {
			break
		}
		if limit >= 0 && t > limit {
			c.shutdown("virtual time limit reached")
			return fmt.Errorf("%w at %v", ErrLimit, vtime.Time(c.cfg.Limit))
		}
		c.pumpFiles()
		c.running = true
		c.loop.Step()
		c.running = false
	}
	var stuck []string
	for _, k := range c.kernels {
		for _, p := range k.Blocked() {
			stuck = append(stuck, p.String())
		}
	}
	if len(stuck) > 0 {
		c.shutdown("deadlock: blocked with nothing left to wake it")
		return fmt.Errorf("emulator: deadlock at %v: %s blocked forever", c.loop.Now(), strings.Join(stuck, ", "))
	}
	return nil
}

func (c *Cluster) shutdown(why string) {
	for _, k := range c.kernels {
		k.Shutdown(why)
	}
}

// Close kills whatever still runs and frees the engine (when the cluster
// owns it). It is idempotent.
func (c *Cluster) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	c.shutdown("cluster closed")
	c.closeFiles()
	c.closeSched()
	if c.ownEng && c.eng != nil {
		return c.eng.Close(c.ctx)
	}
	return nil
}

// Live is the number of guest processes that have not ended.
func (c *Cluster) Live() int {
	n := 0
	for _, k := range c.kernels {
		n += k.Live()
	}
	return n
}

// programNames returns registry names sorted, for stable output.
func (c *Cluster) programNames() []string {
	out := append([]string(nil), c.order...)
	sort.Strings(out)
	return out
}

// checkImports makes sure every function the program imports exists in a
// host module, so that a missing one is reported by name at load time
// rather than as an opaque instantiation failure at every spawn.
func (c *Cluster) checkImports(p *cpu.Program) error {
	provided := map[string]map[string]bool{kernel.HostModule: {}, wasi.ModuleName: {}}
	for _, n := range kernel.HostFunctions() {
		provided[kernel.HostModule][n] = true
	}
	for _, n := range wasi.Names() {
		provided[wasi.ModuleName][n] = true
	}
	for _, f := range p.Compiled().ImportedFunctions() {
		mod, name, _ := f.Import()
		names, ok := provided[mod]
		if !ok && c.eng.Runtime().Module(mod) != nil {
			continue // a module the engine itself provides (the rewriter's)
		}
		if !ok {
			return fmt.Errorf("imports %s.%s, but there is no module %q (dosemu provides %q and %q)", mod, name, mod, wasi.ModuleName, kernel.HostModule)
		}
		if !names[name] {
			return fmt.Errorf("imports %s.%s, which module %q does not provide", mod, name, mod)
		}
	}
	return nil
}
