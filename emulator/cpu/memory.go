package cpu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sys/unix"
)

// Linear memory owned by the runtime.
//
// A thread's linear memory is one fixed reservation of address space,
// private and anonymous, that wazero grows by reslicing. Fork can make the
// memories of parent and child copy-on-write views of one image instead of
// copying it:
//
//   - The image is a memfd (a file in RAM) holding the parent's memory as
//     it was at the fork. The first n bytes of both memories are remapped
//     MAP_PRIVATE of it: each side reads the image, and its first write to
//     a page copies that page for the writer alone. Nothing maps the image
//     shared, so its contents change only while a single memory uses it.
//   - memImage.refs counts the memories mapping the image; its descriptor
//     is closed with the last one (the mappings alone would keep the pages
//     alive; the descriptor is needed to make more mappings).
//   - A later fork of a memory that maps an image nobody else uses
//     refreshes that image in place: the pages written since they were
//     mapped (anonymous pages of a file mapping, as /proc/self/pagemap
//     shows them) are written back into it, and the memory is remapped
//     over it. The cost follows the pages written since, not the size.
//   - Otherwise (the first fork of a memory, or an image another live
//     memory still maps) a fresh image is filled with the non-zero 4 KiB
//     chunks of the memory: one copy, as a copying fork makes, after which
//     both sides share.
//
// Package paging moves a memory's pages with mremap and serves them with
// userfaultfd, which both assume private anonymous memory: Unshare turns a
// copy-on-write memory back into that before anyone uses paging on it.
const pageSize = 65536

// limitedMemory is the experimental.MemoryAllocator of one thread: it
// reserves address space once so the memory never moves, and refuses
// growth past the thread's limit.
type limitedMemory struct {
	limit   uint64 // bytes, page aligned, when limited
	limited bool
	buf     []byte // the whole reservation
	refused error  // why the initial allocation was refused, if it was

	// img, when set, is the image buf[:imgLen] is a private mapping of;
	// the rest of buf is anonymous.
	img    *memImage
	imgLen int
	// used is the largest size Reallocate handed out: nothing past it was
	// ever touched, so it is all a reused reservation needs to clear.
	used uint64
	// exposed is set once the memory was handed out for remapping by
	// other means (Thread.ExposeMemory): its pages may have been moved
	// away or registered with a userfaultfd, so only a fresh mapping
	// clears it safely.
	exposed bool
}

// Allocate implements experimental.MemoryAllocator. wazero calls it once
// per memory with the module's maximum (4 GiB when the module states none).
func (a *limitedMemory) Allocate(_, max uint64) experimental.LinearMemory {
	n := max
	if a.limited && a.limit < n {
		n = a.limit
	}
	a.buf, a.used = nil, 0
	if n > 0 {
		b, err := reserve(int(n))
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
	if size > uint64(len(a.buf)) || (a.limited && size > a.limit) {
		if a.refused == nil && a.limited && size > a.limit {
			a.refused = fmt.Errorf("linear memory of %d bytes exceeds the limit of %d bytes", size, a.limit)
		}
		return nil
	}
	if a.buf == nil {
		return []byte{}
	}
	a.used = max(a.used, size)
	return a.buf[:size:size]
}

// Free implements experimental.LinearMemory. It does nothing: wazero also
// calls it when a module that merely imports this memory is closed, which
// would pull the pages from under the exporting instance. The owning
// thread releases the reservation itself.
func (a *limitedMemory) Free() {}

// asReserved reports whether the memory is still the private anonymous
// mapping reserve made: no fork image maps it and it was never exposed to
// paging. Only then may its pages be emptied with madvise (recycle) and
// its untouched pages be told from the pagemap (populated).
func (a *limitedMemory) asReserved() bool { return a.img == nil && !a.exposed }

// release gives the reservation back (to the pool of reservations, or
// to the host). The owner calls it once its instance is closed (or failed
// to instantiate).
func (a *limitedMemory) release() {
	if a.buf != nil {
		recycle(a.buf, int(a.used), !a.asReserved())
		a.buf, a.used, a.exposed = nil, 0, false
	}
	a.dropImage()
}

// Reservations are reused. Unmapping a 4 GiB reservation costs ≈14 µs
// whatever was touched (page-table teardown over the whole range), and
// mapping a fresh one a few more, a large part of a move into a fresh
// instance; a released reservation instead has its used prefix emptied
// and waits in a small pool. Emptied means as a fresh mapping is: no page
// present, every one zero on first touch. Package paging relies on that
// (a post-copy serves every page of a fresh memory past its data
// segments from the source, so a page already there would hide the
// source's), and so does the zero test of capture and fork (populated).
//
// A memory that only its guest and the runtime wrote (no fork image, never
// exposed to paging) is still the private anonymous mapping reserve made:
// madvise(MADV_DONTNEED) frees its pages, ≈2 µs for one 64 KiB page.
// Otherwise the used prefix is replaced by a fresh anonymous mapping
// (MAP_FIXED), which is safe whatever happened to the range: a
// copy-on-write image mapped by fork (DONTNEED would re-expose the
// image's bytes), pages moved out by package paging's mremap, a
// userfaultfd registration (it belongs to the old mapping and goes with
// it). To paging and to the host such a reservation looks like addresses
// reused after an munmap, which paging already allows for. Cost: one mmap
// whose work follows the pages touched, not the reservation's size: ≈10
// µs for a single 64 KiB page.
var reservations struct {
	mu   sync.Mutex
	free [][]byte // cleared reservations, any sizes
}

// maxPooledReservations bounds the pool: 16 reservations of 4 GiB are
// 64 GiB of address space and, cleared and NORESERVE, no memory.
const maxPooledReservations = 16

// reserve returns a cleared reservation of n bytes: one from the pool if
// one of that size is there, else a fresh mapping.
func reserve(n int) ([]byte, error) {
	reservations.mu.Lock()
	for i := len(reservations.free) - 1; i >= 0; i-- {
		if b := reservations.free[i]; len(b) == n {
			last := len(reservations.free) - 1
			reservations.free[i] = reservations.free[last]
			reservations.free[last] = nil
			reservations.free = reservations.free[:last]
			reservations.mu.Unlock()
			return b, nil
		}
	}
	reservations.mu.Unlock()
	// NORESERVE: only the pages the guest touches cost memory.
	return syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
}

// recycle empties the first used bytes of reservation b (nothing past them
// was touched) and pools it, or unmaps it when emptying failed. remapped
// says the range may be mapped other than as reserve left it (a fork
// image, pages moved or registered by paging), which only a fresh mapping
// undoes.
func recycle(b []byte, used int, remapped bool) {
	used = min((used+chunk-1)&^(chunk-1), len(b))
	if used > 0 && !remapped {
		if err := unix.Madvise(b[:used], unix.MADV_DONTNEED); err != nil {
			_ = syscall.Munmap(b)
			return
		}
	} else if used > 0 {
		_, err := unix.MmapPtr(-1, 0, unsafe.Pointer(unsafe.SliceData(b)), uintptr(used),
			unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_FIXED|unix.MAP_NORESERVE)
		if err != nil {
			_ = syscall.Munmap(b)
			return
		}
	}
	// A full pool drops its oldest entry: reservations of sizes no longer
	// asked for (threads with other memory limits) must not keep the
	// recent ones out.
	var victim []byte
	reservations.mu.Lock()
	if len(reservations.free) == maxPooledReservations {
		victim = reservations.free[0]
		copy(reservations.free, reservations.free[1:])
		reservations.free = reservations.free[:len(reservations.free)-1]
	}
	reservations.free = append(reservations.free, b)
	reservations.mu.Unlock()
	if victim != nil {
		_ = syscall.Munmap(victim)
	}
}

// dropImage forgets the image the memory mapped (the caller has remapped
// or unmapped that range).
func (a *limitedMemory) dropImage() {
	if a.img != nil {
		a.img.release()
		a.img, a.imgLen = nil, 0
	}
}

// memImage is a memfd holding a memory image that forked memories map
// copy-on-write.
type memImage struct {
	fd   int
	size int          // bytes in the file
	refs atomic.Int32 // memories mapping it (plus references in transit)
}

// release drops one reference; the last closes the descriptor.
func (m *memImage) release() {
	if m.refs.Add(-1) == 0 {
		_ = unix.Close(m.fd)
		m.fd = -1
	}
}

// cowOff is why copy-on-write fork is off on this host (nil: it is on),
// probed once per process.
var cowOff = sync.OnceValue(func() error {
	img, err := newImage(chunk)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dosemu: copy-on-write fork unavailable (%v): fork copies memory\n", err)
		return err
	}
	img.release()
	return nil
})

// newImage makes an empty (all zero) image of n bytes with one reference.
// Cost: two system calls; the file takes memory only where written.
func newImage(n int) (*memImage, error) {
	fd, err := unix.MemfdCreate("dosemu-memory", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	if err := unix.Ftruncate(fd, int64(n)); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("sizing a memory image to %d bytes: %w", n, err)
	}
	m := &memImage{fd: fd, size: n}
	m.refs.Store(1)
	return m, nil
}

// grow extends the image to n bytes (new bytes zero).
func (m *memImage) grow(n int) error {
	if n <= m.size {
		return nil
	}
	if err := unix.Ftruncate(m.fd, int64(n)); err != nil {
		return fmt.Errorf("growing a memory image to %d bytes: %w", n, err)
	}
	m.size = n
	return nil
}

// write stores b at offset off of the image.
func (m *memImage) write(b []byte, off int) error {
	for len(b) > 0 {
		n, err := unix.Pwrite(m.fd, b, int64(off))
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return fmt.Errorf("writing %d bytes at %d of a memory image: %w", len(b), off, err)
		}
		b, off = b[n:], off+n
	}
	return nil
}

// writeNonZero stores the non-zero chunks of src at offset base onwards,
// one write per run of them; the image must be zero there already.
func (m *memImage) writeNonZero(src []byte, base int, pop pageSet) error {
	for off := 0; off < len(src); {
		start, end := nonZeroRun(src, off, pop)
		if start == end {
			return nil
		}
		if err := m.write(src[start:end], base+start); err != nil {
			return err
		}
		off = end
	}
	return nil
}

// mapPrivate maps the first len(b) bytes of the image over b (a page
// aligned part of a reservation), copy-on-write. Linux keeps the old
// mapping when a MAP_FIXED mmap fails.
func (m *memImage) mapPrivate(b []byte) error {
	_, err := unix.MmapPtr(m.fd, 0, unsafe.Pointer(unsafe.SliceData(b)), uintptr(len(b)),
		unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_FIXED|unix.MAP_NORESERVE)
	if err != nil {
		return fmt.Errorf("mapping %d bytes of a memory image at %p: %w", len(b), unsafe.SliceData(b), err)
	}
	return nil
}

// pagemap is /proc/self/pagemap, opened once; it tells which pages of a
// file mapping were written (became anonymous). Its flags need no
// privilege.
var pagemap = sync.OnceValues(func() (*os.File, error) {
	return os.Open("/proc/self/pagemap")
})

// Flags of a pagemap entry (Documentation/admin-guide/mm/pagemap.rst).
const (
	pmPresent = 1 << 63
	pmSwapped = 1 << 62
	pmFile    = 1 << 61 // file page or shared anonymous
)

// errNoPagemap says the written pages of a mapping cannot be found.
var errNoPagemap = errors.New("cpu: /proc/self/pagemap unavailable")

// writtenRuns calls fn for each run [off, end) of pages of b (a page
// aligned private file mapping) that the process wrote since b was
// mapped: present anonymous pages, or swapped ones. Cost: one read of 8
// bytes per page of b in batches, and fn's.
func writtenRuns(b []byte, fn func(off, end int) error) error {
	return pageRuns(b, func(e uint64) bool { return e&pmSwapped != 0 || (e&pmPresent != 0 && e&pmFile == 0) }, fn)
}

// pageRuns calls fn for each run [off, end) of the pages of b (page
// aligned) whose pagemap entries satisfy keep.
func pageRuns(b []byte, keep func(entry uint64) bool, fn func(off, end int) error) error {
	f, err := pagemap()
	if err != nil {
		return fmt.Errorf("%w: %w", errNoPagemap, err)
	}
	const batch = 4096 // entries per read: 32 KiB
	var ent [8 * batch]byte
	base := uintptr(unsafe.Pointer(unsafe.SliceData(b))) / chunk
	npages := len(b) / chunk
	runStart := -1
	for i := 0; i < npages; {
		cnt := min(npages-i, batch)
		buf := ent[:8*cnt]
		if _, err := f.ReadAt(buf, int64(base+uintptr(i))*8); err != nil {
			return fmt.Errorf("%w: reading %d entries: %w", errNoPagemap, cnt, err)
		}
		for j := 0; j < cnt; j++ {
			written := keep(binary.NativeEndian.Uint64(buf[8*j:]))
			switch {
			case written && runStart < 0:
				runStart = i + j
			case !written && runStart >= 0:
				if err := fn(runStart*chunk, (i+j)*chunk); err != nil {
					return err
				}
				runStart = -1
			}
		}
		i += cnt
	}
	if runStart >= 0 {
		return fn(runStart*chunk, npages*chunk)
	}
	return nil
}

// populated returns the chunks of b, a prefix of this memory, that may
// hold data, for a reader to skip the others: when the memory is still
// the private anonymous mapping reserve made (no image, never exposed to
// paging), a page that is neither present nor swapped out has never been
// touched and reads as zero. Reading it anyway maps the shared zero page
// in, one fault per 4 KiB page (≈0.5 µs each); asking costs one read of 8
// bytes per page. Otherwise, or when the pagemap cannot be read, it
// returns nil: every chunk.
func (a *limitedMemory) populated(b []byte) pageSet {
	if !a.asReserved() || len(b) == 0 || len(b) > len(a.buf) ||
		unsafe.SliceData(b) != unsafe.SliceData(a.buf) || len(b)%chunk != 0 {
		return nil
	}
	set := make(pageSet, (len(b)/chunk+63)/64)
	err := pageRuns(b, func(e uint64) bool { return e&(pmPresent|pmSwapped) != 0 }, func(off, end int) error {
		for i := off / chunk; i < end/chunk; i++ {
			set[i>>6] |= 1 << (i & 63)
		}
		return nil
	})
	if err != nil {
		return nil
	}
	return set
}

// share makes the first n bytes of the memory (its current size) a
// copy-on-write mapping of an image holding exactly their contents, and
// returns that image with one more reference, for the child to adopt or
// release. The memory must be stopped (nothing writes it meanwhile).
//
// Cost: with an image only this memory maps, a write of the pages written
// since the last fork (plus the non-zero chunks of any growth since) and
// one mmap; otherwise a write of every non-zero chunk into a fresh image.
// Either way the parent's later touches fault the pages back in (a read
// maps the image's page, a write copies it).
func (a *limitedMemory) share(n int) (*memImage, error) {
	if n <= 0 || n%chunk != 0 || n > len(a.buf) {
		return nil, fmt.Errorf("cpu: sharing %d bytes of a %d-byte reservation: want a positive multiple of %d", n, len(a.buf), chunk)
	}
	img := a.img
	if img != nil && (img.refs.Load() != 1 || a.imgLen > n || a.refresh(n) != nil) {
		img = nil
	}
	if img == nil {
		fresh, err := newImage(n)
		if err != nil {
			return nil, err
		}
		if err := fresh.writeNonZero(a.buf[:n], 0, a.populated(a.buf[:n])); err != nil {
			fresh.release()
			return nil, err
		}
		img = fresh
	} else {
		img.refs.Add(1) // the mapping's reference is re-taken below
	}
	if err := img.mapPrivate(a.buf[:n]); err != nil {
		img.release()
		return nil, err
	}
	a.dropImage()
	a.img, a.imgLen = img, n
	img.refs.Add(1) // the child's
	return img, nil
}

// refresh brings the image this memory alone maps up to date with the
// memory's first n bytes (n >= imgLen): written pages go back into the
// image, and growth since the image was made is appended. A failure
// leaves the image partly refreshed, which is harmless: every byte written
// is what the memory holds at that offset.
func (a *limitedMemory) refresh(n int) error {
	img := a.img
	err := writtenRuns(a.buf[:a.imgLen], func(off, end int) error {
		return img.write(a.buf[off:end], off)
	})
	if err != nil {
		return err
	}
	if n > a.imgLen {
		old := img.size
		if err := img.grow(n); err != nil {
			return err
		}
		// Bytes of the image past its old size are zero; the memory's
		// growth may have been written anywhere past imgLen.
		from := a.imgLen
		if old > from {
			if err := img.write(a.buf[from:old], from); err != nil {
				return err
			}
			from = old
		}
		return img.writeNonZero(a.buf[from:n], from, nil)
	}
	return nil
}

// adopt maps the first n bytes of img over this (fresh) memory, taking
// over the reference share handed out.
func (a *limitedMemory) adopt(img *memImage, n int) error {
	if n <= 0 || n > len(a.buf) || n > img.size {
		return fmt.Errorf("cpu: adopting %d bytes of a %d-byte image into a %d-byte reservation", n, img.size, len(a.buf))
	}
	if err := img.mapPrivate(a.buf[:n]); err != nil {
		return err
	}
	a.dropImage()
	a.img, a.imgLen = img, n
	return nil
}

// unshare turns a copy-on-write memory back into private anonymous
// memory with the same contents. Cost: a copy of the non-zero chunks of
// the shared range (a no-op for a memory that shares nothing).
func (a *limitedMemory) unshare() error {
	if a.img == nil {
		return nil
	}
	n := a.imgLen
	tmp, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil {
		return fmt.Errorf("cpu: unsharing %d bytes of memory: %w", n, err)
	}
	copyNonZero(tmp, a.buf[:n], 0, nil)
	_, err = unix.MremapPtr(unsafe.Pointer(unsafe.SliceData(tmp)), uintptr(n), unsafe.Pointer(unsafe.SliceData(a.buf)), uintptr(n),
		unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED)
	if err != nil {
		_ = unix.Munmap(tmp)
		return fmt.Errorf("cpu: unsharing %d bytes of memory: moving the copy in place: %w", n, err)
	}
	a.dropImage()
	return nil
}
