package kernel

import (
	"context"

	"dosemu/emulator/cpu"
)

// procExt is a kernel's bookkeeping for pipes that cross computers.
type procExt struct {
	nextPipe    uint64
	pipes       map[uint64]*Pipe // pipes with an end on another computer, by id
	pipesServed bool             // pipe.* handlers are registered on the host
	nextEnd     uint64
	remoteEnds  map[uint64]*remotePipeEnd // ends held here of pipes homed elsewhere
}

func (k *Kernel) procExt() *procExt { return &k.px }

// procState is a process's signal, fork and exec state. Everything in it
// is plain data (handler table indexes, bit sets, ids) so that it can be
// copied by fork and carried by migration.
type procState struct {
	// handlers[sig] is SigDefault, SigIgnore or a guest function-table
	// index of type (i32) -> ().
	handlers [NSIG]uint32
	pending  uint32 // signals waiting for a safe point, one bit each
	stopped  bool   // SIGSTOP'd and not yet continued
	// report is a stop or continue not yet reported to a wait with
	// WUNTRACED or WCONTINUED (Linux reports each once).
	report  waitReport
	killSig int // a signal ended the process inside its own slice
	inSig   int // depth of handlers running now (no nesting)

	// ctx is the context of the guest call in progress (handlers are
	// called with it, so their own system calls find the process).
	ctx context.Context

	exec *execImage // the image that replaces this one when the slice ends

	// Fork: forking is set while the parent's stack is being captured;
	// answer is what the repeated fork call answers once rewound (the
	// child's gid in the parent, 0 in the child) when answered is set.
	forking  bool
	forkErr  error
	answer   GID
	answered bool
}

// execImage is a new program image prepared by exec.
type execImage struct {
	th   *cpu.Thread
	prog *cpu.Program
	name string
	args []string
	env  []string
}
