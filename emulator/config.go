package emulator

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Size is a byte count that reads and prints with binary units: "64MiB",
// "1.5GiB", "4096". The accepted suffixes are B, KiB/K/KB, MiB/M/MB,
// GiB/G/GB, TiB/T/TB (all powers of 1024), case-insensitive.
type Size uint64

// ParseSize reads a Size; the error names the text and why it is wrong.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("size %q: empty", s)
	}
	i := len(t)
	for i > 0 && !(t[i-1] >= '0' && t[i-1] <= '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(strings.TrimSpace(t[i:]))
	mult := map[string]float64{"": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
		"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
		"t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit %q (use B, KiB, MiB, GiB, TiB)", s, unit)
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsNaN(f) {
		return 0, fmt.Errorf("size %q: %q is not a non-negative number", s, num)
	}
	v := f * mult
	if v >= 1<<63 {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return Size(v), nil
}

// String prints the size with the largest binary unit that keeps it
// exact, e.g. "64MiB", "1536KiB", "100B".
func (s Size) String() string {
	for _, u := range []struct {
		n    uint64
		name string
	}{{1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if uint64(s) >= u.n && uint64(s)%u.n == 0 {
			return strconv.FormatUint(uint64(s)/u.n, 10) + u.name
		}
	}
	return strconv.FormatUint(uint64(s), 10) + "B"
}

// UnmarshalYAML accepts a number of bytes or a string with a unit.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = v
	return nil
}

// MarshalYAML writes the size with its unit.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

// Plan is a boot plan: the computers and the programs to start on them,
// as data. The YAML form:
//
//	computers:
//	  - {name: pi, cores: 1, memory: 64MiB, speed: 0.5}
//	  - {name: big, cores: 8, memory: 4GiB}
//	programs:
//	  - program: driver          # a name given to Load, or a path to a .wasm
//	    args: [driver, --node-id=1, --type=primary-node]
//	    env: [LOG=1]
//	    computer: 0              # index or name; omitted: round-robin
//
// A cluster file is the same document with only "computers".
type Plan struct {
	Computers []ComputerConfig `yaml:"computers"`
	Programs  []PlanProgram    `yaml:"programs"`
}

// PlanProgram is one program to start at boot.
type PlanProgram struct {
	Program  string   `yaml:"program"`
	Args     []string `yaml:"args"`
	Env      []string `yaml:"env"`
	Computer string   `yaml:"computer"` // index or name; "" = round-robin
}

// ParsePlan reads a boot plan (or a cluster file). Unknown fields are
// errors, so a typo does not silently give a default; errors name the
// line.
func ParsePlan(data []byte) (*Plan, error) {
	var p Plan
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		if err.Error() == "EOF" {
			return &p, nil
		}
		return nil, fmt.Errorf("boot plan: %w", err)
	}
	for i, c := range p.Computers {
		if c.Cores < 0 || c.Cores > 4096 {
			return nil, fmt.Errorf("boot plan: computer %d: %d cores: want 1..4096", i, c.Cores)
		}
		if c.Speed < 0 || math.IsNaN(c.Speed) || math.IsInf(c.Speed, 0) {
			return nil, fmt.Errorf("boot plan: computer %d: speed %v: want a positive number", i, c.Speed)
		}
		if c.MaxProcs < 0 {
			return nil, fmt.Errorf("boot plan: computer %d: negative maxprocs %d", i, c.MaxProcs)
		}
	}
	for i, pr := range p.Programs {
		if pr.Program == "" {
			return nil, fmt.Errorf("boot plan: program %d: no \"program\" given", i)
		}
		for _, kv := range pr.Env {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return nil, fmt.Errorf("boot plan: program %d (%s): environment entry %q is not KEY=VALUE", i, pr.Program, kv)
			}
		}
	}
	return &p, nil
}

// ComputerIndex resolves a plan's computer reference ("", an index, or a
// name) against the cluster: -1 for round-robin.
func (c *Cluster) ComputerIndex(ref string) (int, error) {
	if ref == "" {
		return -1, nil
	}
	for i, k := range c.kernels {
		if k.Name() == ref {
			return i, nil
		}
	}
	if n, err := strconv.Atoi(ref); err == nil && n >= 0 && n < len(c.kernels) {
		return n, nil
	}
	return 0, fmt.Errorf("emulator: no computer %q (the cluster has %d: c0..c%d or their names)", ref, len(c.kernels), len(c.kernels)-1)
}

// Boot spawns a plan's programs, loading each one not yet loaded with
// readFile(program) (e.g. os.ReadFile for paths). It stops at the first
// error, which names the program.
func (c *Cluster) Boot(p *Plan, readFile func(string) ([]byte, error)) ([]GID, error) {
	var out []GID
	for i, pr := range p.Programs {
		if _, err := c.Program(pr.Program); err != nil {
			if readFile == nil {
				return out, fmt.Errorf("boot plan: program %d: %w", i, err)
			}
			b, rerr := readFile(pr.Program)
			if rerr != nil {
				return out, fmt.Errorf("boot plan: program %d (%s): %w", i, pr.Program, rerr)
			}
			if err := c.Load(baseName(pr.Program), b); err != nil {
				return out, err
			}
		}
		comp, err := c.ComputerIndex(pr.Computer)
		if err != nil {
			return out, fmt.Errorf("boot plan: program %d (%s): %w", i, pr.Program, err)
		}
		g, err := c.Spawn(comp, baseName(pr.Program), pr.Args, pr.Env)
		if err != nil {
			return out, err
		}
		out = append(out, g)
	}
	return out, nil
}

func baseName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		path = path[i+1:]
	}
	return strings.TrimSuffix(path, ".wasm")
}
