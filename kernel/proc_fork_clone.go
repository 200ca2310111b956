package kernel

import (
	"errors"

	"dosemu/emulator/cpu"
	"dosemu/vfs"
)

// cloneThread makes the child's thread: a fresh instance of p's program
// in the state of p's capture (memory, globals, stack, fuel). p's own
// thread keeps its unwound stack and rewinds on its next Run. Cost: one
// copy of the parent's non-zero memory pages (cpu.Thread.Fork), straight
// from its live memory since the parent is stopped.
func (k *Kernel) cloneThread(p, child *Process, memCap uint64) (*cpu.Thread, error) {
	th, err := p.th.Fork(k.ctx, cpu.ThreadConfig{Data: child, MemoryLimit: memCap, Args: child.args, Env: child.env})
	if err != nil {
		if errors.Is(err, cpu.ErrForkCapture) {
			return nil, errf(vfs.ENOTSUP, "kernel: %s: fork %s: %v", k.cfg.Name, p, err)
		}
		if memCap > 0 && isMemoryRefusal(err) {
			return nil, errf(vfs.ENOMEM, "kernel: %s: fork %s: the copy does not fit the %d bytes left of the memory limit: %v", k.cfg.Name, p, memCap, err)
		}
		return nil, errf(vfs.ENOEXEC, "kernel: %s: fork %s: restore: %v", k.cfg.Name, p, err)
	}
	return th, nil
}
