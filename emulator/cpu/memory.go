package cpu

import (
	"fmt"
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// Linear memory owned by the runtime.

const pageSize = 65536

// limitedMemory is the experimental.MemoryAllocator of one thread: it
// reserves address space once so the memory never moves, and refuses
// growth past the thread's limit.
type limitedMemory struct {
	limit   uint64 // bytes, page aligned, when limited
	limited bool
	buf     []byte // the whole reservation
	refused error  // why the initial allocation was refused, if it was
}

// Allocate implements experimental.MemoryAllocator. wazero calls it once
// per memory with the module's maximum (4 GiB when the module states none).
func (a *limitedMemory) Allocate(_, max uint64) experimental.LinearMemory {
	n := max
	if a.limited && a.limit < n {
		n = a.limit
	}
	a.buf = nil
	if n > 0 {
		// NORESERVE: only the pages the guest touches cost memory.
		b, err := syscall.Mmap(-1, 0, int(n), syscall.PROT_READ|syscall.PROT_WRITE,
			syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
		if err != nil {
			a.refused = fmt.Errorf("reserving %d bytes of linear memory: %w", n, err)
			return a
		}
		a.buf = b
	}
	return a
}

// Reallocate implements experimental.LinearMemory: the reservation is
// resliced, so growth never copies.
func (a *limitedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(a.buf)) {
		if a.refused == nil && a.limited && size > a.limit {
			a.refused = fmt.Errorf("linear memory of %d bytes exceeds the limit of %d bytes", size, a.limit)
		}
		return nil
	}
	if a.buf == nil {
		return []byte{}
	}
	return a.buf[:size:size]
}

// Free implements experimental.LinearMemory. It does nothing: wazero also
// calls it when a module that merely imports this memory is closed, which
// would pull the pages from under the exporting instance. The owning
// thread releases the reservation itself.
func (a *limitedMemory) Free() {}

// release unmaps the reservation. The owner calls it once its instance is
// closed (or failed to instantiate).
func (a *limitedMemory) release() {
	if a.buf != nil {
		_ = syscall.Munmap(a.buf)
		a.buf = nil
	}
}
