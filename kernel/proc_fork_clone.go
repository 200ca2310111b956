package kernel

import (
	"errors"

	"dosemu/emulator/cpu"
	"dosemu/vfs"
)

// forkMode is how fork gives a child its memory. Only benchmarks change
// it (to measure copying against sharing); it is not a user setting.
var forkMode = cpu.ForkShared

// cloneThread makes the child's thread: a fresh instance of p's program
// in the state of p's capture (memory, globals, stack, fuel). p's own
// thread keeps its unwound stack and rewinds on its next Run. Cost: see
// cpu.Thread.ForkWith; by default the two memories share their pages
// copy-on-write. A p whose memory is still arriving by post-copy
// migration is forked by copying: its region is registered with the
// pager, which a remapping would silently unregister.
func (k *Kernel) cloneThread(p, child *Process, memCap uint64) (*cpu.Thread, error) {
	mode := forkMode
	if mode == cpu.ForkShared && p.mig != nil && p.mig.pager != nil {
		mode = cpu.ForkNonZero
	}
	th, err := p.th.ForkWith(k.ctx, cpu.ThreadConfig{Data: child, MemoryLimit: memCap}, mode)
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
