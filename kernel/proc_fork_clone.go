package kernel

import (
	"dosemu/emulator/cpu"
	"dosemu/vfs"
)

// cloneThread makes the child's thread: a fresh instance of p's program
// in the state of p's capture (memory, globals, stack, fuel). p's own
// thread keeps its unwound stack and rewinds on its next Run. Cost: the
// capture copies the linear memory once and the restore once more.
func (k *Kernel) cloneThread(p, child *Process, memCap uint64) (*cpu.Thread, error) {
	c, err := p.th.Capture(k.ctx)
	if err != nil {
		return nil, errf(vfs.ENOTSUP, "kernel: %s: fork %s: capture: %v", k.cfg.Name, p, err)
	}
	th, err := p.prog.Restore(k.ctx, c, cpu.ThreadConfig{Data: child, MemoryLimit: memCap, Args: child.args, Env: child.env})
	if err != nil {
		if memCap > 0 && isMemoryRefusal(err) {
			return nil, errf(vfs.ENOMEM, "kernel: %s: fork %s: the copy does not fit the %d bytes left of the memory limit: %v", k.cfg.Name, p, memCap, err)
		}
		return nil, errf(vfs.ENOEXEC, "kernel: %s: fork %s: restore: %v", k.cfg.Name, p, err)
	}
	return th, nil
}
