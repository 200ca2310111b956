package remote

import (
	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
	"dosemu/net"
)

// WaitResult is how a wait ended.
type WaitResult uint8

// Wait results.
const (
	WaitReady   WaitResult = iota // ready() reported true
	WaitTimeout                   // the deadline passed (or nothing can make ready() true)
	WaitAbort                     // the caller is being captured or killed: give up at once
)

// WaitFunc blocks the calling operation until ready() reports true or
// virtual time reaches deadline. It is how a synchronous vfs call waits
// for network replies without holding up the event loop (see the package
// doc). ready must be re-checked after every Env.Wake.
type WaitFunc func(deadline vtime.Time, ready func() bool) WaitResult

// LoopWait returns a WaitFunc that runs loop's events itself until ready()
// holds, the next event is after deadline, or no event is left. It is for
// callers outside the event loop (tests, boot); calling it from inside a
// loop event would run later events early.
func LoopWait(loop *vtime.Loop) WaitFunc {
	return func(deadline vtime.Time, ready func() bool) WaitResult {
		for !ready() {
			t, ok := loop.Next()
			if !ok || t > deadline {
				return WaitTimeout
			}
			loop.Step()
		}
		return WaitReady
	}
}

// Env is what a Node needs from its computer.
type Env struct {
	// Host is the computer's network endpoint; its index is the computer's.
	Host *net.Host
	// Loop is the cluster's event loop.
	Loop *vtime.Loop
	// Name is the computer's name, for traces ("c0").
	Name string
	// Tracer receives "vfs" events; nil records nothing.
	Tracer *trace.Tracer
	// Wait blocks a caller until a reply is in; nil means LoopWait(Loop).
	Wait WaitFunc
	// Now is the caller's virtual time (a process's clock inside its
	// slice); nil means Loop.Now.
	Now func() vtime.Time
	// Wake is called from the loop after a reply or callback arrived, so
	// that blocked callers re-check ready(); nil does nothing.
	Wake func()
	// Caller names the calling process for traces: its pid and vCPU
	// (0, -1 outside a process); nil means none.
	Caller func() (pid, cpu int)
}

func (e *Env) now() vtime.Time {
	if e.Now != nil {
		return e.Now()
	}
	return e.Loop.Now()
}

func (e *Env) wait(deadline vtime.Time, ready func() bool) WaitResult {
	if e.Wait != nil {
		return e.Wait(deadline, ready)
	}
	return LoopWait(e.Loop)(deadline, ready)
}

func (e *Env) wake() {
	if e.Wake != nil {
		e.Wake()
	}
}

func (e *Env) emit(t vtime.Time, f map[string]any) {
	if !e.Tracer.Enabled() {
		return
	}
	pid, cpu := 0, -1
	if e.Caller != nil {
		pid, cpu = e.Caller()
	}
	e.Tracer.Emit(trace.Event{T: t, Computer: e.Name, CPU: cpu, PID: pid, Kind: "vfs", Fields: f})
}
