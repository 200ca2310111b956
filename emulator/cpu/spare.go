package cpu

import (
	"context"
	"fmt"
)

// Prepared instances.
//
// A thread's instance costs more to make than to restore into: wazero's
// instantiation (imports, globals, tables, data segments, ≈8 µs for a
// small module), the lookup of the entry (wazero builds a call engine
// with a 10 KiB stack), the guest goroutine and the growth of its stack
// (growStack), together ≈20 µs before the guest runs an instruction, and
// more than the rewind of a ten-frame stack. A move or a checkpoint's
// restore has to wait for all of it. Prepare does that work ahead of
// need, while the process to be moved still runs (migration's prepare
// phase), so that the restore itself only fills memory, sets globals and
// rewinds.
//
// A prepared instance is an anonymous instance that has run no guest code:
// instantiated with no module name, arguments, environment or streams,
// its data segments written and its start function not run (Start runs it
// when it takes the instance for a fresh start, as it would have run at
// instantiation: nothing in between can observe the difference, since no
// guest code ran). Its memory is reserved at the module's own maximum;
// the limit of the thread that takes it is applied on taking. While it
// waits it holds what instantiation wrote (the data segments' pages).

// maxSpares bounds the instances a program holds prepared: each holds a
// reservation, a goroutine with a grown stack and an instance.
const maxSpares = 4

// Prepare makes one instance of the program ready ahead of need, so that
// the next Start or Restore (Fork, RestoreWith) whose config names no
// module name, arguments, environment or streams takes it instead of
// instantiating. entries are exports to look up in advance ("_start" is
// always looked up when exported). A program holds at most 4 prepared
// instances; Prepare is a no-op when it holds as many. Prepared instances
// live until taken or until the engine is closed.
//
// Cost: an instantiation, the lookups and the start of a guest goroutine
// (≈20 µs for a small module), paid now instead of by the Start or
// Restore that takes it (which then saves about that much). It is safe to
// call from any goroutine, concurrently with the program's other uses.
func (p *Program) Prepare(ctx context.Context, entries ...string) error {
	if p.Spares() >= maxSpares {
		return nil
	}
	t, err := p.newThread(context.WithValue(ctx, restoringKey{}, true), ThreadConfig{})
	if err != nil {
		return fmt.Errorf("cpu: prepare %s: %w", p.name, err)
	}
	if err := p.readySpare(t, entries); err != nil {
		_ = t.discard()
		return fmt.Errorf("cpu: prepare %s: %w", p.name, err)
	}
	// The engine's state is read under p.mu, which Close's dropSpares
	// takes after marking the engine closed: a spare added here is
	// either seen by dropSpares or not added at all.
	p.mu.Lock()
	p.eng.mu.Lock()
	closed := p.eng.closed
	p.eng.mu.Unlock()
	if closed || len(p.spares) >= maxSpares {
		p.mu.Unlock()
		return t.discard()
	}
	p.spares = append(p.spares, t)
	p.mu.Unlock()
	return nil
}

// readySpare does on a fresh instance what a restore or the first Run
// would otherwise do: bind the continuation state, look up entries and
// captured globals, and start the guest goroutine.
func (p *Program) readySpare(t *Thread, entries []string) error {
	if p.inst != nil {
		if err := p.inst.bind(t); err != nil {
			return err
		}
		if _, err := t.boundGlobals(); err != nil {
			return err
		}
	}
	t.export("_start") // a command's entry, when it has one
	for _, name := range entries {
		if t.export(name) == nil {
			return fmt.Errorf("no exported function %q", name)
		}
	}
	t.worker = true
	go t.guest()
	// Wait until the goroutine has started and grown its stack: left to
	// the scheduler, that work would run at the next hand-off, inside
	// the move this instance is prepared for.
	t.resume <- actWarm
	<-t.stopped
	return nil
}

// Spares is the number of prepared instances the program holds.
func (p *Program) Spares() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.spares)
}

// takeSpare hands out a prepared instance for a thread of config cfg, or
// nil when none fits: cfg names a module name, arguments, environment or
// streams (they are set at instantiation), or its memory limit is below
// the instance's initial memory.
func (p *Program) takeSpare(cfg ThreadConfig) *Thread {
	if cfg.Name != "" || len(cfg.Args) > 0 || len(cfg.Env) > 0 || cfg.Stdin != nil || cfg.Stdout != nil || cfg.Stderr != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.spares)
	if n == 0 {
		return nil
	}
	t := p.spares[n-1]
	limit := cfg.MemoryLimit &^ (pageSize - 1)
	if cfg.MemoryLimit != 0 && t.MemorySize() > limit {
		return nil // Start instantiates and reports the refusal
	}
	p.spares[n-1] = nil
	p.spares = p.spares[:n-1]
	t.mem.limit, t.mem.limited = limit, cfg.MemoryLimit != 0
	return t
}

// dropSpares discards the program's prepared instances (engine close).
func (p *Program) dropSpares() {
	p.mu.Lock()
	sp := p.spares
	p.spares = nil
	p.mu.Unlock()
	for _, t := range sp {
		_ = t.discard()
	}
}
