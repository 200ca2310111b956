package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"dosemu/emulator"
	"dosemu/emulator/cpu"
	"dosemu/kernel"
	"dosemu/kernel/fd"
	"dosemu/vfs"
)

func init() { newCluster = newEmulatorCluster }

// emuCluster adapts *emulator.Cluster to the commands' cluster seam.
type emuCluster struct {
	c     *emulator.Cluster
	plan  *emulator.Plan
	dir   string // the plan file's directory: its relative paths start there
	hosts []*vfs.HostFS
}

func newEmulatorCluster(ctx context.Context, spec clusterSpec) (cluster, error) {
	chaos, err := chaosConfig(spec.Chaos)
	if err != nil {
		return nil, err
	}
	computers := emulator.Uniform(spec.Computers, spec.Cores)
	if spec.ClusterFile != "" {
		p, err := readPlan(spec.ClusterFile)
		if err != nil {
			return nil, err
		}
		if len(p.Programs) > 0 {
			return nil, fmt.Errorf("cluster file %s lists programs; give it with --plan instead", spec.ClusterFile)
		}
		if len(p.Computers) == 0 {
			return nil, fmt.Errorf("cluster file %s lists no computers", spec.ClusterFile)
		}
		computers = p.Computers
	}
	e := &emuCluster{}
	if spec.PlanFile != "" {
		p, err := readPlan(spec.PlanFile)
		if err != nil {
			return nil, err
		}
		if len(p.Computers) > 0 {
			computers = p.Computers
		}
		e.plan, e.dir = p, filepath.Dir(spec.PlanFile)
	}
	// A cluster file that leaves cores out gets --cores.
	for i := range computers {
		if computers[i].Cores == 0 {
			computers[i].Cores = spec.Cores
		}
	}

	setup, err := e.preopens(spec.Dirs)
	if err != nil {
		e.closeHosts()
		return nil, err
	}
	var mounts []emulator.Mount
	if len(spec.Mounts) > 0 {
		names := make([]string, len(computers))
		for i, cc := range computers {
			names[i] = cc.Name
			if names[i] == "" {
				names[i] = fmt.Sprintf("c%d", i)
			}
		}
		for _, s := range spec.Mounts {
			m, err := emulator.ParseMount(s, names)
			if err != nil {
				e.closeHosts()
				return nil, fmt.Errorf("--mount: %w", err)
			}
			mounts = append(mounts, m)
		}
	}
	cache, err := compileCacheDir()
	if err != nil {
		e.closeHosts()
		return nil, err
	}
	cfg := emulator.Config{
		EngineConfig: cpu.Config{CacheDir: cache},
		Mounts:       mounts,
		RootDir:      spec.RootDir,
		Computers:    computers,
		Quantum:      spec.Quantum,
		Sched:        spec.Sched,
		Balancer:     spec.Balancer,
		PolicyFault: func(computer string, err error) {
			if spec.PolicyFault != nil {
				spec.PolicyFault(computer, err)
			}
		},
		Seed:     spec.Seed,
		Chaos:    chaos,
		Tracer:   spec.Tracer,
		SetupFDs: setup,
		Output: func(g emulator.GID, prog string, stream int, data []byte) {
			if spec.Output != nil {
				spec.Output(g.String(), prog, stream, data)
			}
		},
		Failed: func(g emulator.GID, prog string, err error) {
			if spec.Failed != nil {
				spec.Failed(g.String(), prog, err)
			}
			if spec.Ended != nil {
				spec.Ended(g.String())
			}
		},
	}
	if cfg.Network, err = spec.Net.config(); err != nil {
		e.closeHosts()
		return nil, err
	}
	c, err := emulator.New(cfg)
	if err != nil {
		e.closeHosts()
		return nil, err
	}
	e.c = c
	for _, s := range spec.Migrations {
		m, err := emulator.ParseMigratePlan(s)
		if err == nil {
			err = c.PlanMigration(m)
		}
		if err != nil {
			e.Close(ctx)
			return nil, fmt.Errorf("--migrate: %w", err)
		}
	}
	return e, nil
}

// chaosConfig turns --chaos into the emulator's Chaos (post-copy unless
// mode= says otherwise). Capture goes through the emulator's round trip,
// which serializes each capture and decodes it before restoring, so a
// capture=N run also checks the binary form.
func chaosConfig(cs chaosSpec) (emulator.Chaos, error) {
	ch := emulator.Chaos{Capture: cs.Capture, Migrate: cs.Migrate, Mode: kernel.PostCopy}
	if cs.Mode != "" {
		m, err := kernel.ParseMigrateMode(cs.Mode)
		if err != nil {
			return ch, fmt.Errorf("--chaos: %w", err)
		}
		ch.Mode = m
	}
	return ch, nil
}

func readPlan(path string) (*emulator.Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p, err := emulator.ParsePlan(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// preopens opens each --dir host directory once and returns the hook that
// installs them, in flag order, in every new process (fds 3, 4, ...).
func (e *emuCluster) preopens(dirs []dirMap) (func(p *kernel.Process) error, error) {
	if len(dirs) == 0 {
		return nil, nil
	}
	type mount struct {
		ns    vfs.FS
		guest string
	}
	var mounts []mount
	for _, d := range dirs {
		h, err := vfs.NewHostFS(d.Host)
		if err != nil {
			return nil, fmt.Errorf("--dir %s: %w", d.Host, err)
		}
		e.hosts = append(e.hosts, h)
		// The host directory is mounted at the root of an otherwise empty
		// name space, the shape the kernel's path walk expects.
		ns := vfs.NewNamespace(vfs.NewMemFS(1, nil, 0))
		if err := ns.Mount(".", h); err != nil {
			return nil, fmt.Errorf("--dir %s: %w", d.Host, err)
		}
		mounts = append(mounts, mount{ns, d.Guest})
	}
	return func(p *kernel.Process) error {
		for _, m := range mounts {
			f, err := fd.OpenVFile(m.ns, p.Kernel().Name(), ".", vfs.OpenMode{OFlags: vfs.ODirectory, Read: true}, 0)
			if err != nil {
				return fmt.Errorf("preopen %s: %w", m.guest, err)
			}
			if _, err := p.FDs().Preopen(f, m.guest); err != nil {
				return fmt.Errorf("preopen %s: %w", m.guest, err)
			}
		}
		return nil
	}, nil
}

func (e *emuCluster) closeHosts() {
	for _, h := range e.hosts {
		h.Close()
	}
	e.hosts = nil
}

func (e *emuCluster) Load(_ context.Context, name string, wasm []byte) error {
	return e.c.Load(name, wasm)
}

func (e *emuCluster) Spawn(computer int, prog string, argv, env []string) (string, error) {
	g, err := e.c.Spawn(computer, prog, argv, env)
	if err != nil {
		return "", err
	}
	return g.String(), nil
}

// SpawnPlan boots the plan's programs; relative program paths are taken
// from the plan file's directory.
func (e *emuCluster) SpawnPlan() error {
	if e.plan == nil {
		return nil
	}
	_, err := e.c.Boot(e.plan, func(p string) ([]byte, error) {
		if !filepath.IsAbs(p) {
			p = filepath.Join(e.dir, p)
		}
		return readProgram(p)
	})
	return err
}

// Run runs the cluster; a chaos turn that failed (a capture or a
// migration that could not even start for a reason other than "busy") is
// a bug in dosemu's transparency and fails the run, one line each.
func (e *emuCluster) Run(ctx context.Context) error {
	err := e.c.Run(ctx)
	if errs := e.c.ChaosStats().Errors; err == nil && len(errs) > 0 {
		err = fmt.Errorf("chaos: %s", strings.Join(errs, "; "))
	}
	return err
}

func (e *emuCluster) PSTree() string {
	var ks []*kernel.Kernel
	for i := 0; i < e.c.NumComputers(); i++ {
		k := e.c.Kernel(i)
		k.EmitPS()
		ks = append(ks, k)
	}
	return kernel.PSTree(ks)
}

func (e *emuCluster) Close(context.Context) error {
	err := e.c.Close()
	e.closeHosts()
	return err
}

// Summary converts the emulator's summary into the command's tables. The
// shared-code saving is counted per computer, as a real machine shares a
// text segment only among its own processes: a program run by n
// processes at once on a computer saves (n-1) copies of its code there.
func (e *emuCluster) Summary() summary {
	s := e.c.Summary()
	codeSize := map[string]int64{}
	for _, p := range s.Programs {
		codeSize[p.Name] = int64(p.CodeSize)
	}
	out := summary{Elapsed: time.Duration(s.End)}
	for _, c := range s.Computers {
		row := computerRow{Name: c.Name, Cores: c.Cores, Procs: len(c.Processes), Switches: int64(c.Switches), Memory: int64(c.PeakMemory)}
		type span struct {
			t     int64
			delta int
		}
		spans := map[string][]span{}
		var progs []string
		for _, p := range c.Processes {
			row.CPU += time.Duration(p.CPUTime)
			row.Syscalls += int64(p.Syscalls)
			ended := p.State == "zombie" || p.State == "dead"
			if _, seen := spans[p.Program]; !seen {
				progs = append(progs, p.Program)
			}
			spans[p.Program] = append(spans[p.Program], span{int64(p.Spawned), +1})
			if ended {
				spans[p.Program] = append(spans[p.Program], span{int64(p.Ended), -1})
			}
			out.Procs = append(out.Procs, procRow{
				GID: p.GID.String(), Program: p.Program, Status: procStatus(p),
				Failed: !ended || p.ExitCode != 0, Code: exitCode(p),
				CPU: time.Duration(p.CPUTime), Switches: int64(p.Switches), Syscalls: int64(p.Syscalls),
				Memory: int64(p.PeakMemory),
			})
		}
		sort.Strings(progs)
		for _, name := range progs {
			sp := spans[name]
			sort.Slice(sp, func(i, j int) bool {
				if sp[i].t != sp[j].t {
					return sp[i].t < sp[j].t
				}
				return sp[i].delta < sp[j].delta // an end frees the image before a start at the same instant
			})
			cur, peak := 0, 0
			for _, x := range sp {
				cur += x.delta
				peak = max(peak, cur)
			}
			if peak > 1 {
				row.CodeShared += codeSize[name]
				row.CodeSaved += int64(peak-1) * codeSize[name]
			}
		}
		out.Computers = append(out.Computers, row)
	}
	return out
}

func exitCode(p emulator.ProcessSummary) int {
	if p.State != "zombie" && p.State != "dead" {
		return -1
	}
	return p.ExitCode
}

func procStatus(p emulator.ProcessSummary) string {
	switch {
	case p.State != "zombie" && p.State != "dead":
		return p.State
	case p.Status&0x7f == kernel.SIGSEGV && p.Error != "":
		return "trapped"
	case p.Status&0x7f == kernel.SIGKILL:
		return "killed"
	case p.Status&0x7f != 0:
		return "signal " + strconv.Itoa(p.Status&0x7f)
	}
	return "exit " + strconv.Itoa(p.ExitCode)
}
