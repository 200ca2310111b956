package emulator

import (
	"fmt"
	"strings"
	"time"

	"dosemu/emulator/vtime"
	"dosemu/kernel"
	"dosemu/net"
)

// MigrateMode is a memory-transfer strategy (kernel.StopCopy, PreCopy,
// PostCopy).
type MigrateMode = kernel.MigrateMode

// Migrate starts moving the process with global id gid, wherever it runs
// now, to computer to. It returns at once; the move happens in virtual
// time (done, if not nil, gets the outcome: nil when it moved, an error
// when it resumed where it was). This is the hook for load balancers.
func (c *Cluster) Migrate(gid GID, to int, mode MigrateMode, done func(error)) error {
	p := c.Process(gid)
	if p == nil {
		return fmt.Errorf("emulator: migrate %s: no such process", gid)
	}
	return p.Kernel().Migrate(p.PID(), to, mode, kernel.MigrateOptions{Done: done})
}

// MigratePlan is one scripted migration: at virtual time At, move process
// GID to computer To with Mode. FailAt, when set, injects a failure at
// that phase (kernel.PhasePrepare, ..., kernel.PhasePush or
// kernel.FailSource: see kernel.MigrateOptions.FailAt).
type MigratePlan struct {
	At     vtime.Duration
	GID    GID
	To     int
	Mode   MigrateMode
	FailAt string
}

// String gives the plan back in ParseMigratePlan's syntax.
func (m MigratePlan) String() string {
	s := fmt.Sprintf("at=%v pid=%s to=%s mode=%s", time.Duration(m.At), m.GID, net.ComputerName(m.To), m.Mode)
	if m.FailAt != "" {
		s += " fail=" + m.FailAt
	}
	return s
}

// ParseMigratePlan parses "at=50ms pid=c0:3 to=c2 mode=postcopy" (mode
// defaults to postcopy). "fail=" injects a fault: prepare, mem or commit
// make the destination refuse that phase (the process resumes at the
// source); push makes the destination computer fail, and source the
// source computer, when the first post-copy push arrives, after the
// hand-off (the process dies: see kernel.MigrateOptions.FailAt).
func ParseMigratePlan(s string) (MigratePlan, error) {
	m := MigratePlan{Mode: kernel.PostCopy}
	seen := map[string]bool{}
	for _, f := range strings.Fields(s) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return m, fmt.Errorf("migrate plan %q: %q is not key=value", s, f)
		}
		if seen[k] {
			return m, fmt.Errorf("migrate plan %q: %s given twice", s, k)
		}
		seen[k] = true
		switch k {
		case "at":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return m, fmt.Errorf("migrate plan %q: at=%s is not a non-negative duration like 50ms", s, v)
			}
			m.At = vtime.Duration(d)
		case "pid":
			g, err := kernel.ParseGID(v)
			if err != nil {
				return m, fmt.Errorf("migrate plan %q: %w", s, err)
			}
			m.GID = g
		case "to":
			n, err := net.ParseComputer(v)
			if err != nil {
				return m, fmt.Errorf("migrate plan %q: %w", s, err)
			}
			m.To = n
		case "mode":
			md, err := kernel.ParseMigrateMode(v)
			if err != nil {
				return m, fmt.Errorf("migrate plan %q: %w", s, err)
			}
			m.Mode = md
		case "fail":
			switch v {
			case kernel.PhasePrepare, kernel.PhaseMem, kernel.PhaseCommit, kernel.PhasePush, kernel.FailSource:
				m.FailAt = v
			default:
				return m, fmt.Errorf("migrate plan %q: fail=%s: want prepare, mem, commit, push or source", s, v)
			}
		default:
			return m, fmt.Errorf("migrate plan %q: unknown key %q (want at, pid, to, mode, fail)", s, k)
		}
	}
	for _, k := range []string{"at", "pid", "to"} {
		if !seen[k] {
			return m, fmt.Errorf("migrate plan %q: %s= is required", s, k)
		}
	}
	return m, nil
}

// PlanMigration schedules m. A plan naming a process that does not exist
// (yet, or any more) at its time is reported through Failures.
func (c *Cluster) PlanMigration(m MigratePlan) error {
	if m.To < 0 || m.To >= len(c.kernels) {
		return fmt.Errorf("emulator: migrate plan %s: no computer %d (cluster has %d)", m, m.To, len(c.kernels))
	}
	c.loop.At(vtime.Time(m.At), func() {
		p := c.Process(m.GID)
		var err error
		if p == nil {
			err = fmt.Errorf("no such process")
		} else {
			err = p.Kernel().Migrate(p.PID(), m.To, m.Mode, kernel.MigrateOptions{FailAt: m.FailAt})
		}
		if err != nil {
			c.failures = append(c.failures, fmt.Sprintf("migrate plan %s: %s", m, oneLineErr(err)))
		}
	})
	return nil
}

// ChaosMigrate moves a process to a random other computer (chosen from a
// stream seeded by the cluster's seed) at every nth preemption in the
// cluster, with strategy mode: the ZDTM-style test of transparency. n <= 0
// turns it off.
func (c *Cluster) ChaosMigrate(n int, mode MigrateMode) {
	if n <= 0 || len(c.kernels) < 2 {
		for _, k := range c.kernels {
			k.SetPreemptHook(nil)
		}
		return
	}
	rnd := vtime.Rand(c.cfg.Seed, "emulator:chaos:migrate")
	count := 0
	hook := func(p *kernel.Process) {
		count++
		if count%n != 0 {
			return
		}
		to := rnd.IntN(len(c.kernels) - 1)
		if to >= p.Kernel().Index() {
			to++
		}
		// A process still receiving post-copy pages answers EBUSY: the
		// next chaos turn picks another.
		_ = p.Kernel().Migrate(p.PID(), to, mode, kernel.MigrateOptions{})
	}
	for _, k := range c.kernels {
		k.SetPreemptHook(hook)
	}
}
