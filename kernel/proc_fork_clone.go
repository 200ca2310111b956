package kernel

import (
	"dosemu/emulator/cpu"
	"dosemu/vfs"
)

// cloneThread makes the child's thread: a fresh instance of p's program
// in the state p's capture holds.
func (k *Kernel) cloneThread(p, child *Process, memCap uint64) (*cpu.Thread, error) {
	return nil, errf(vfs.ENOSYS, "kernel: %s: fork %s: the runtime cannot capture threads yet", k.cfg.Name, p)
}
