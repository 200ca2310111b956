package wasi

import (
	"context"

	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
)

// Proc is everything WASI needs from the calling process. The kernel's
// process type implements it; tests implement it with a few fields. All
// methods are called on the guest's goroutine, from inside a host function,
// while the kernel's event loop waits for the guest (doc/design.md), so
// implementations need no locking.
type Proc interface {
	// Args and Environ are the process's argv and its environment as
	// "KEY=VALUE" strings. The slices are read, never modified.
	Args() []string
	Environ() []string

	// FDs is the process's fd table, with 0, 1, 2 and the preopens
	// installed by the kernel at spawn.
	FDs() *fd.Table

	// Now is the virtual monotonic clock: time since the cluster booted.
	Now() vtime.Time
	// Epoch is the realtime clock's value at boot, in ns since the Unix
	// epoch: CLOCK_REALTIME reads Epoch()+Now(). Fixed per run, so it is
	// deterministic.
	Epoch() int64
	// CPUTime is the virtual CPU time the process has used so far
	// (CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID).
	CPUTime() vtime.Duration
	// Resolution is the clocks' resolution (clock_res_get), at least 1 ns.
	Resolution() vtime.Duration

	// Random fills p from the process's seeded random stream.
	Random(p []byte)

	// Poll blocks the process until ready() reports true or virtual time
	// reaches deadline (NoDeadline: never). The kernel calls ready() once
	// before blocking and again whenever it is notified of a change that
	// may affect it (fd.File.SetNotify hooks, a process exiting, ...).
	// Polling with a deadline at or before Now() only checks ready().
	// PollAbort means the thread is being captured or killed: the host
	// function must return at once without side effects, because on
	// resume the guest repeats the call with the same arguments.
	Poll(deadline vtime.Time, ready func() bool) PollResult

	// Exit ends the process with code (proc_exit). It does not return
	// normally to the guest; the host function returns right after.
	Exit(code uint32)
	// Yield gives up the CPU (sched_yield).
	Yield()

	// Syscall is called at the start of every WASI call: the kernel counts
	// it, charges its modelled cost in virtual time and may emit a trace
	// event. It must be cheap: it is on the hot path of every call.
	Syscall(c Call)
}

// PollResult is how a Poll ended.
type PollResult uint8

const (
	PollReady   PollResult = iota // ready() reported true
	PollTimeout                   // the deadline passed first
	PollAbort                     // the thread is being captured or killed: return at once
)

// CallStarter is implemented by a Proc whose system calls may be repeated
// after an interruption (the kernel captures a process blocked in a call
// and the guest calls it again after the rewind, possibly on another
// computer). CallStart is when the call in progress started; for such a
// repeat it is the first attempt's start, so that poll_oneoff's relative
// timeouts end at the instant they would have without the interruption.
type CallStarter interface {
	CallStart() vtime.Time
}

// NoDeadline is a deadline that never passes.
const NoDeadline = vtime.Time(1<<63 - 1)

// Lookup finds the calling process of a host function. The kernel passes
//
//	func(ctx context.Context) wasi.Proc { return cpu.ThreadOf(ctx).Data.(wasi.Proc) }
//
// and tests pass whatever their harness keeps in ctx. Returning nil makes
// the call fail with ENOSYS rather than crash.
type Lookup func(ctx context.Context) Proc
