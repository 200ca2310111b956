package emulator

import (
	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
	"dosemu/kernel"
	"dosemu/kernel/sched"
	"dosemu/kernel/sched/plugin"
)

// schedState is the cluster's scheduling machinery: the plugin processes
// it started, the balancer, and the balancer's periodic event.
type schedState struct {
	plugins   []*plugin.Client
	schedPlug *plugin.Client
	balancer  sched.Balancer
	balanceEv *vtime.Event
}

// startSched validates Config.Sched and Config.Balancer and starts the
// plugins they name. A built-in name is checked without starting anything.
func (c *Cluster) startSched() error {
	cfg := c.cfg
	if plugin.IsPath(cfg.Sched) {
		cl, err := plugin.Start(cfg.Sched, plugin.Options{Deadline: cfg.PluginDeadline})
		if err != nil {
			return err
		}
		c.sch.plugins = append(c.sch.plugins, cl)
		c.sch.schedPlug = cl
	} else if _, err := sched.New(cfg.Sched); err != nil {
		return err
	}
	if plugin.IsPath(cfg.Balancer) {
		cl, err := plugin.Start(cfg.Balancer, plugin.Options{Deadline: cfg.PluginDeadline})
		if err != nil {
			return err
		}
		c.sch.plugins = append(c.sch.plugins, cl)
		rb, err := cl.Balancer()
		if err != nil {
			return err
		}
		c.sch.balancer = sched.NewGuardedBalancer(rb, func(now vtime.Time, err error) { c.policyFault("cluster", now, err) })
	} else {
		b, err := sched.NewBalancer(cfg.Balancer)
		if err != nil {
			return err
		}
		c.sch.balancer = b
	}
	return nil
}

// policyFor makes computer i's policy. Plugins and every built-in but the
// default round-robin record their plans in the trace ("sched_plan"), so a
// plugin's run and a built-in's can be compared line by line.
func (c *Cluster) policyFor(i int, name string, cc ComputerConfig) (sched.Policy, error) {
	var pol sched.Policy
	if cl := c.sch.schedPlug; cl != nil {
		quantum := c.cfg.Quantum
		if quantum == 0 {
			quantum = kernel.DefaultQuantum
		}
		r, err := cl.Scheduler(plugin.Computer{Name: name, Index: i, Cores: max(cc.Cores, 1), Speed: cc.Speed, Quantum: quantum, Seed: c.cfg.Seed})
		if err != nil {
			return nil, err
		}
		pol = sched.NewGuarded(r, func(now vtime.Time, err error) { c.policyFault(name, now, err) })
	} else {
		p, err := sched.NewWith(c.cfg.Sched, sched.Options{Seed: c.cfg.Seed, Computer: name})
		if err != nil {
			return nil, err
		}
		if p.Name() == "rr" {
			return p, nil
		}
		pol = p
	}
	return sched.Traced(pol, c.cfg.Tracer, name), nil
}

// policyFault reports a plugin fault once, in one line, and records it.
func (c *Cluster) policyFault(computer string, now vtime.Time, err error) {
	if c.cfg.Tracer.Enabled() {
		c.cfg.Tracer.Emit(trace.Event{T: now, Computer: computer, CPU: -1, Kind: "sched_fallback", Fields: map[string]any{"error": err.Error()}})
	}
	if c.cfg.PolicyFault != nil {
		c.cfg.PolicyFault(computer, err)
	}
}

// closeSched kills every plugin process. Idempotent.
func (c *Cluster) closeSched() {
	c.loop.Cancel(c.sch.balanceEv)
	for _, cl := range c.sch.plugins {
		cl.Close()
	}
	c.sch.plugins = nil
}

// Loads describes every computer as the balancer sees it.
func (c *Cluster) Loads() []sched.Load {
	out := make([]sched.Load, len(c.kernels))
	for i, k := range c.kernels {
		kc := k.Config()
		l := sched.Load{Computer: i, Name: kc.Name, Cores: kc.Cores, Speed: kc.Speed, Live: k.Live()}
		for _, p := range k.Records() {
			switch p.State() {
			case kernel.Ready, kernel.Running:
				l.Ready++
			case kernel.Zombie, kernel.Dead:
				continue
			}
			if p.PID() == 1 {
				continue
			}
			st := p.Stats()
			l.Procs = append(l.Procs, sched.Proc{PID: p.PID(), Program: p.Name(), CPUTime: st.CPUTime, Memory: st.Memory, Spawned: p.Spawned()})
		}
		out[i] = l
	}
	return out
}

// Balancer is the cluster's balancer (placement and migration proposals).
func (c *Cluster) Balancer() sched.Balancer { return c.sch.balancer }

// placeNew asks the balancer where a new process of prog goes.
func (c *Cluster) placeNew(prog string) int {
	if _, rr := c.sch.balancer.(*sched.RoundRobinPlacer); rr {
		// The default needs no loads; skip gathering them per spawn.
		return c.sch.balancer.Place(c.loop.Now(), prog, make([]sched.Load, len(c.kernels)))
	}
	n := c.sch.balancer.Place(c.loop.Now(), prog, c.Loads())
	if n < 0 || n >= len(c.kernels) {
		n = 0 // a built-in never does this; a plugin's is checked by GuardedBalancer
	}
	return n
}

// armBalance keeps the balancer's period going while anything else is
// scheduled: a balance event alone must not keep a finished (or
// deadlocked) cluster running.
func (c *Cluster) armBalance() {
	period := c.sch.balancer.Period()
	if period <= 0 || c.sch.balanceEv.Pending() {
		return
	}
	c.sch.balanceEv = c.loop.After(period, c.balance)
}

// balance runs one balancing round. Each proposed move starts a
// migration (Config.BalanceMode) and is recorded as one "balance" event:
// at the outcome, with applied true when the process moved, or at once,
// with applied false and the error, when the migration could not start
// (the process is busy migrating, gone, or not between slices) or was
// aborted.
func (c *Cluster) balance() {
	c.sch.balanceEv = nil
	if c.Live() == 0 {
		return
	}
	now := c.loop.Now()
	for _, m := range c.sch.balancer.Balance(now, c.Loads()) {
		if m.From < 0 || m.From >= len(c.kernels) || m.To < 0 || m.To >= len(c.kernels) || m.From == m.To {
			continue
		}
		from, to, pid := c.kernels[m.From], c.kernels[m.To], m.PID
		record := func(err error) {
			if !c.cfg.Tracer.Enabled() {
				return
			}
			f := map[string]any{"balancer": c.sch.balancer.Name(), "to": to.Name(), "applied": err == nil}
			if err != nil {
				f["error"] = oneLine(err)
			}
			c.cfg.Tracer.Emit(trace.Event{T: c.loop.Now(), Computer: from.Name(), CPU: -1, PID: pid, Kind: "balance", Fields: f})
		}
		if err := from.Migrate(pid, m.To, c.cfg.BalanceMode, kernel.MigrateOptions{Done: record}); err != nil {
			record(err)
		}
	}
	if c.loop.Len() > 0 {
		c.armBalance()
	}
}
