//go:build linux && cgo

package paging

/*
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

#define PG 4096UL

// The fault server. Everything it touches lives in C memory: the Go
// collector never moves or scans it, and no Go code runs on its thread.
typedef struct {
	int uffd, evfd;
	uintptr_t base, src;
	size_t npages, fetch; // fetch in pages
	uint8_t *present;
	pthread_mutex_t mu;
	pthread_t th;
	int started;
	uint64_t missing, fetches, fetched, pushed, faults, wakes;
	int err;
} dpager;

static int dp_open(void) {
	int fd = -1;
#ifdef USERFAULTFD_IOC_NEW
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev >= 0) {
		// Through the device, kernel-mode touches (a read(2) into guest
		// memory) fault to us too; the syscall's user-mode-only variant
		// would answer those with EFAULT.
		fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
		close(dev);
	}
#endif
	if (fd < 0) fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0) return -errno;
	struct uffdio_api api = {.api = UFFD_API, .features = 0};
	if (ioctl(fd, UFFDIO_API, &api) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int dp_probe(void) {
	int fd = dp_open();
	if (fd < 0) return -fd;
	close(fd);
	return 0;
}

static void dp_wake(dpager *p, size_t page) {
	struct uffdio_range r = {.start = p->base + page * PG, .len = PG};
	ioctl(p->uffd, UFFDIO_WAKE, &r);
}

// dp_copy installs the missing pages of [first, first+count); the caller
// holds mu. It returns the pages installed or -errno.
static long dp_copy(dpager *p, size_t first, size_t count) {
	long done = 0;
	size_t i = first, end = first + count;
	if (end > p->npages) end = p->npages;
	while (i < end) {
		if (__atomic_load_n(&p->present[i], __ATOMIC_ACQUIRE)) { i++; continue; }
		size_t j = i;
		while (j < end && !__atomic_load_n(&p->present[j], __ATOMIC_ACQUIRE)) j++;
		struct uffdio_copy c = {.dst = p->base + i * PG, .src = p->src + i * PG, .len = (j - i) * PG, .mode = 0};
		if (ioctl(p->uffd, UFFDIO_COPY, &c) == 0) {
			for (size_t k = i; k < j; k++) __atomic_store_n(&p->present[k], 1, __ATOMIC_RELEASE);
			p->missing -= j - i;
			done += j - i;
			i = j;
			continue;
		}
		int e = errno;
		size_t ok = c.copy > 0 ? (size_t)c.copy / PG : 0;
		for (size_t k = i; k < i + ok; k++) __atomic_store_n(&p->present[k], 1, __ATOMIC_RELEASE);
		p->missing -= ok;
		done += ok;
		i += ok;
		if (e == EEXIST) {
			// Already mapped (a fault interrupted by a signal and
			// retried can leave it so): it is present; wake whoever waits.
			if (!__atomic_load_n(&p->present[i], __ATOMIC_ACQUIRE)) {
				__atomic_store_n(&p->present[i], 1, __ATOMIC_RELEASE);
				p->missing--;
			}
			dp_wake(p, i);
			i++;
			continue;
		}
		if (e == EAGAIN || e == EINTR) continue;
		return -e;
	}
	return done;
}

static void dp_fault(dpager *p, uintptr_t addr) {
	__atomic_add_fetch(&p->faults, 1, __ATOMIC_RELAXED);
	if (addr < p->base || addr >= p->base + p->npages * PG) return;
	size_t page = (addr - p->base) / PG;
	size_t first = page - page % p->fetch;
	pthread_mutex_lock(&p->mu);
	int was = __atomic_load_n(&p->present[page], __ATOMIC_ACQUIRE);
	long n = dp_copy(p, first, p->fetch);
	if (n < 0 && !p->err) p->err = (int)-n;
	if (!was && n > 0) {
		p->fetches++;
		p->fetched += (uint64_t)n;
	}
	int now = __atomic_load_n(&p->present[page], __ATOMIC_ACQUIRE);
	pthread_mutex_unlock(&p->mu);
	if (was || !now) {
		// Nothing was copied onto the faulting page in this call, so
		// nothing woke its waiter.
		__atomic_add_fetch(&p->wakes, 1, __ATOMIC_RELAXED);
		dp_wake(p, page);
	}
}

static void *dp_serve(void *arg) {
	dpager *p = arg;
	struct pollfd fds[2] = {{.fd = p->uffd, .events = POLLIN}, {.fd = p->evfd, .events = POLLIN}};
	struct uffd_msg msgs[16];
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR) continue;
			p->err = errno;
			return NULL;
		}
		if (fds[1].revents) return NULL;
		if (!(fds[0].revents & POLLIN)) continue;
		ssize_t r = read(p->uffd, msgs, sizeof msgs);
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR) continue;
			p->err = errno;
			return NULL;
		}
		for (ssize_t i = 0; i < r / (ssize_t)sizeof msgs[0]; i++) {
			if (msgs[i].event == UFFD_EVENT_PAGEFAULT) dp_fault(p, (uintptr_t)msgs[i].arg.pagefault.address);
		}
	}
}

// dp_new registers [base, base+npages*PG) (which must hold no pages) and
// starts the server. On failure it returns NULL with *err set.
static dpager *dp_new(void *base, void *src, size_t npages, size_t fetch, int *err) {
	dpager *p = calloc(1, sizeof *p);
	if (!p) { *err = ENOMEM; return NULL; }
	p->present = calloc(npages, 1);
	if (!p->present) { free(p); *err = ENOMEM; return NULL; }
	p->base = (uintptr_t)base;
	p->src = (uintptr_t)src;
	p->npages = npages;
	p->missing = npages;
	p->fetch = fetch ? fetch : 1;
	p->evfd = -1;
	pthread_mutex_init(&p->mu, NULL);
	int fd = dp_open();
	if (fd < 0) { *err = -fd; goto fail; }
	p->uffd = fd;
	struct uffdio_register reg = {.range = {.start = p->base, .len = npages * PG}, .mode = UFFDIO_REGISTER_MODE_MISSING};
	if (ioctl(fd, UFFDIO_REGISTER, &reg) < 0) { *err = errno; close(fd); goto fail; }
	p->evfd = eventfd(0, EFD_CLOEXEC);
	if (p->evfd < 0) { *err = errno; close(fd); goto fail; }
	if ((*err = pthread_create(&p->th, NULL, dp_serve, p)) != 0) { close(fd); close(p->evfd); goto fail; }
	p->started = 1;
	return p;
fail:
	pthread_mutex_destroy(&p->mu);
	free(p->present);
	free(p);
	return NULL;
}

static long dp_push(dpager *p, size_t first, size_t count) {
	pthread_mutex_lock(&p->mu);
	long n = dp_copy(p, first, count);
	if (n > 0) p->pushed += (uint64_t)n;
	pthread_mutex_unlock(&p->mu);
	return n;
}

static int dp_present(dpager *p, size_t page) {
	return page < p->npages && __atomic_load_n(&p->present[page], __ATOMIC_ACQUIRE);
}

typedef struct { uint64_t missing, fetches, fetched, pushed, faults, wakes; int err; } dp_stats;

static dp_stats dp_get(dpager *p) {
	pthread_mutex_lock(&p->mu);
	dp_stats s = {p->missing, p->fetches, p->fetched, p->pushed,
		__atomic_load_n(&p->faults, __ATOMIC_RELAXED), __atomic_load_n(&p->wakes, __ATOMIC_RELAXED), p->err};
	pthread_mutex_unlock(&p->mu);
	return s;
}

// dp_free stops the server, unregisters the range and frees everything.
// Pages still missing stay empty (they read as zeros once unregistered):
// callers push everything first.
static int dp_free(dpager *p) {
	uint64_t one = 1;
	int rc = 0;
	if (write(p->evfd, &one, sizeof one) < 0) rc = errno;
	pthread_join(p->th, NULL);
	struct uffdio_range r = {.start = p->base, .len = p->npages * PG};
	if (ioctl(p->uffd, UFFDIO_UNREGISTER, &r) < 0 && !rc) rc = errno;
	close(p->uffd);
	close(p->evfd);
	pthread_mutex_destroy(&p->mu);
	free(p->present);
	free(p);
	return rc;
}


static int dp_unmap(void *m, size_t n) { return munmap(m, n) < 0 ? errno : 0; }

#define HPG (2UL << 20)

// dp_place reserves n bytes of address space at the same offset within a
// 2 MiB frame as like: between two such ranges mremap moves whole page
// tables (one entry per 2 MiB) instead of one entry per 4 KiB page, so a
// move costs ~n/2MiB steps rather than ~n/4KiB.
static void *dp_place(void *like, size_t n, int *err) {
	size_t span = n + HPG;
	char *r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED) { *err = errno; return NULL; }
	uintptr_t lo = (uintptr_t)r, t = (lo & ~(HPG - 1)) + ((uintptr_t)like & (HPG - 1));
	if (t < lo) t += HPG;
	if (t > lo) munmap(r, t - lo);
	if (lo + span > t + n) munmap((void *)(t + n), lo + span - (t + n));
	return (void *)t;
}

// dp_map maps n bytes of empty pages at a 2 MiB boundary: a guest's
// reservation is large enough that the host aligns it so too, and Install
// between two such ranges moves page tables whole (see dp_place).
static void *dp_map(size_t n, int *err) {
	void *t = dp_place(NULL, n, err);
	if (!t) return NULL;
	void *m = mmap(t, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	if (m == MAP_FAILED) { *err = errno; munmap(t, n); return NULL; }
	return m;
}

// dp_detach moves the pages of [base, base+n) to a new mapping, leaving
// the range mapped and empty.
static void *dp_detach(void *base, size_t n, int *err) {
	void *t = dp_place(base, n, err);
	if (!t) return NULL;
	void *m = mremap(base, n, n, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, t);
	if (m == MAP_FAILED) { *err = errno; munmap(t, n); return NULL; }
	return m;
}

// dp_install moves the mapping src over [base, base+n); src is gone after.
static int dp_install(void *src, void *base, size_t n) {
	void *m = mremap(src, n, n, MREMAP_MAYMOVE | MREMAP_FIXED, base);
	return m == MAP_FAILED ? errno : 0;
}

// ---- write tracking (pre-copy) ----
//
// A userfaultfd in asynchronous write-protect mode (Linux 6.7): the
// kernel resolves a write to a protected page by itself, with no message
// and no server thread, and remembers that the page was written; the
// PAGEMAP_SCAN ioctl on /proc/self/pagemap reports the written pages of a
// range and protects them again in the same call. The ABI below is the
// kernel's, spelled out because older headers lack it.

#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef UFFDIO_REGISTER_MODE_WP
#define UFFDIO_REGISTER_MODE_WP ((__u64)1 << 1)
#endif

struct dt_region { uint64_t start, end, categories; };
struct dt_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define DT_PAGEMAP_SCAN _IOWR('f', 16, struct dt_scan_arg)
#define DT_WP_MATCHING (1 << 0)
#define DT_CHECK_WPASYNC (1 << 1)
#define DT_IS_WRITTEN (1 << 1)
#define DT_VEC 512

typedef struct {
	int uffd, pm;
	uintptr_t base;
	size_t len;
	struct dt_region vec[DT_VEC];
} dtrack;

static dtrack *dt_new(void *base, size_t len, int *err) {
	dtrack *t = calloc(1, sizeof *t);
	if (!t) { *err = ENOMEM; return NULL; }
	t->base = (uintptr_t)base;
	t->len = len;
	t->uffd = -1;
	int fd = -1;
#ifdef USERFAULTFD_IOC_NEW
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev >= 0) { fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK); close(dev); }
#endif
	if (fd < 0) fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) { *err = errno; free(t); return NULL; }
	t->uffd = fd;
	struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED};
	if (ioctl(fd, UFFDIO_API, &api) < 0) { *err = errno; goto fail; }
	struct uffdio_register reg = {.range = {.start = t->base, .len = len}, .mode = UFFDIO_REGISTER_MODE_WP};
	if (ioctl(fd, UFFDIO_REGISTER, &reg) < 0) { *err = errno; goto fail; }
	// Protect every page now (holes too: WP_UNPOPULATED leaves markers),
	// so that the first scan reports only writes made after this point.
	struct uffdio_writeprotect wp = {.range = {.start = t->base, .len = len}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
	if (ioctl(fd, UFFDIO_WRITEPROTECT, &wp) < 0) { *err = errno; goto fail; }
	t->pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (t->pm < 0) { *err = errno; goto fail; }
	return t;
fail:
	close(fd);
	free(t);
	return NULL;
}

// dt_scan reports through the Go callback the written runs of the range
// from *from on, protecting them again, and returns the number of runs in
// t->vec (0 when done) with *from advanced, or -errno. EPERM from
// CHECK_WPASYNC means some of the range is no longer registered (it was
// remapped): the caller must not trust the scan.
static long dt_scan(dtrack *t, uintptr_t *from) {
	struct dt_scan_arg a = {
		.size = sizeof a, .flags = DT_WP_MATCHING | DT_CHECK_WPASYNC,
		.start = *from, .end = t->base + t->len,
		.vec = (uintptr_t)t->vec, .vec_len = DT_VEC,
		.category_mask = DT_IS_WRITTEN, .return_mask = DT_IS_WRITTEN,
	};
	long n = ioctl(t->pm, DT_PAGEMAP_SCAN, &a);
	if (n < 0) return -errno;
	*from = a.walk_end;
	return n;
}

static uint64_t dt_start(dtrack *t, int i) { return t->vec[i].start; }
static uint64_t dt_end(dtrack *t, int i) { return t->vec[i].end; }

// dt_drop closes the tracker without unregistering the range first: the
// host kernel drops exactly the registrations of this userfaultfd, even
// if the range was unmapped and its addresses reused meanwhile.
static void dt_drop(dtrack *t) {
	close(t->uffd);
	close(t->pm);
	free(t);
}

static void dt_free(dtrack *t) {
	struct uffdio_range r = {.start = t->base, .len = t->len};
	ioctl(t->uffd, UFFDIO_UNREGISTER, &r);
	close(t->uffd);
	close(t->pm);
	free(t);
}
*/
import "C"

import (
	"fmt"
	"syscall"
	"unsafe"
)

func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// Pages is anonymous memory outside the Go heap and outside any guest: a
// memory image in transit. It is readable by the fault-service thread
// without Go code.
type Pages struct {
	ptr unsafe.Pointer
	n   int
}

// NewPages maps n bytes (a multiple of PageSize) of empty pages; only
// pages written cost memory.
func NewPages(n int) (*Pages, error) {
	if err := checkLen("pages", n); err != nil {
		return nil, err
	}
	var e C.int
	m := C.dp_map(C.size_t(n), &e)
	if m == nil {
		return nil, fmt.Errorf("paging: mapping %d bytes: %w", n, syscall.Errno(e))
	}
	live.pages.Add(1)
	return &Pages{ptr: m, n: n}, nil
}

// Bytes is the mapping's contents; valid until Free or Install.
func (p *Pages) Bytes() []byte {
	if p == nil || p.ptr == nil {
		return nil
	}
	return unsafe.Slice((*byte)(p.ptr), p.n)
}

// Len is the mapping's size in bytes.
func (p *Pages) Len() int {
	if p == nil {
		return 0
	}
	return p.n
}

// FreeLater unmaps the pages on another goroutine: returning a large
// image's memory to the host costs ~40 ns per resident page (21 ms for
// 512 MiB), which must not sit on a migration's critical path. p is
// unusable afterwards.
func (p *Pages) FreeLater() {
	if p == nil || p.ptr == nil {
		return
	}
	q := &Pages{ptr: p.ptr, n: p.n}
	p.ptr = nil
	later(func() { _ = q.Free() })
}

// Free unmaps the pages. It is idempotent.
func (p *Pages) Free() error {
	if p == nil || p.ptr == nil {
		return nil
	}
	e := C.dp_unmap(p.ptr, C.size_t(p.n))
	p.ptr = nil
	live.pages.Add(-1)
	if e != 0 {
		return fmt.Errorf("paging: unmapping %d bytes: %w", p.n, syscall.Errno(e))
	}
	return nil
}

// Detach moves the pages of region (a page-aligned slice of a guest's
// reservation) into a new Pages and leaves the region's range mapped but
// empty: a read there now yields zeros, or faults to a Pager registered on
// it. Cost: moving page tables, flat in the number of bytes.
func Detach(region []byte) (*Pages, error) {
	if _, err := RegionOf(region); err != nil {
		return nil, err
	}
	var e C.int
	m := C.dp_detach(unsafe.Pointer(unsafe.SliceData(region)), C.size_t(len(region)), &e)
	if m == nil {
		return nil, fmt.Errorf("paging: detaching %d bytes at %#x: %w", len(region), addrOf(region), syscall.Errno(e))
	}
	live.pages.Add(1)
	return &Pages{ptr: m, n: len(region)}, nil
}

// Install moves p over region (same length); p is consumed (freed) even on
// failure. The region's previous pages are dropped. Cost: moving page tables.
func Install(region []byte, p *Pages) error {
	if _, err := RegionOf(region); err != nil {
		_ = p.Free()
		return err
	}
	if p == nil || p.ptr == nil || p.n != len(region) {
		n := 0
		if p != nil {
			n = p.n
		}
		_ = p.Free()
		return fmt.Errorf("%w: installing %d bytes of pages over a %d-byte region", ErrBadArgs, n, len(region))
	}
	e := C.dp_install(p.ptr, unsafe.Pointer(unsafe.SliceData(region)), C.size_t(p.n))
	if e != 0 {
		_ = p.Free()
		return fmt.Errorf("paging: installing %d bytes at %#x: %w", len(region), addrOf(region), syscall.Errno(e))
	}
	// The mapping now is the region's: nothing is left to free.
	p.ptr = nil
	live.pages.Add(-1)
	return nil
}

// Available reports whether demand paging works here; the error says why
// not.
func Available() error {
	if e := C.dp_probe(); e != 0 {
		return fmt.Errorf("opening a userfaultfd: %w", syscall.Errno(e))
	}
	return nil
}

// Pager fills an empty region from a source, on demand and by Push.
type Pager struct {
	c      *C.dpager
	region []byte
	src    *Pages
	mode   Mode
	npages int
	eager  Stats // the counters once closed, or of an eager fill
}

// Options tune a Pager.
type Options struct {
	// Fetch is the bytes one demand fault fetches (multiple of PageSize);
	// 0 means FetchSize.
	Fetch int
	// ForceEager skips userfaultfd (for measuring the fallback).
	ForceEager bool
}

// NewPager serves region, which must be empty (just Detached, or fresh),
// from src (same length), which it keeps until Close. With userfaultfd the
// region's first touches block until the server thread copies the page in;
// without, everything is copied now (Mode Eager; reported once on stderr).
func NewPager(region []byte, src *Pages, opt Options) (*Pager, error) {
	if _, err := RegionOf(region); err != nil {
		return nil, err
	}
	if src == nil || src.ptr == nil || src.n != len(region) {
		return nil, fmt.Errorf("%w: source of %d bytes for a %d-byte region", ErrBadArgs, src.Len(), len(region))
	}
	fetch := opt.Fetch
	if fetch == 0 {
		fetch = FetchSize
	}
	if err := checkLen("fetch", fetch); err != nil {
		return nil, err
	}
	pg := &Pager{region: region, src: src, npages: len(region) / PageSize}
	if !opt.ForceEager {
		var e C.int
		c := C.dp_new(unsafe.Pointer(unsafe.SliceData(region)), src.ptr, C.size_t(pg.npages), C.size_t(fetch/PageSize), &e)
		if c != nil {
			pg.c, pg.mode = c, Demand
			live.pagers.Add(1)
			return pg, nil
		}
		warnEager(fmt.Errorf("registering %d bytes: %w", len(region), syscall.Errno(e)))
	}
	copy(region, src.Bytes())
	pg.mode = Eager
	pg.eager.PushedPages = uint64(pg.npages)
	live.pagers.Add(1)
	return pg, nil
}

// Mode says how the region is being filled.
func (pg *Pager) Mode() Mode { return pg.mode }

// Pages is the region's size in pages.
func (pg *Pager) Pages() int { return pg.npages }

// Push installs the missing pages among n bytes at off (page aligned,
// clipped to the region) and returns how many it installed. Cost: one
// UFFDIO_COPY per run of missing pages (≈ a memcpy plus a system call).
func (pg *Pager) Push(off, n int) (int, error) {
	if off < 0 || n < 0 || off%PageSize != 0 {
		return 0, fmt.Errorf("%w: push of %d bytes at %d", ErrBadArgs, n, off)
	}
	if pg.c == nil {
		return 0, nil
	}
	first := off / PageSize
	count := (n + PageSize - 1) / PageSize
	if first >= pg.npages {
		return 0, nil
	}
	r := C.dp_push(pg.c, C.size_t(first), C.size_t(count))
	if r < 0 {
		return 0, fmt.Errorf("paging: pushing %d bytes at %d: %w", n, off, syscall.Errno(-r))
	}
	return int(r), nil
}

// Present reports whether page i (of PageSize) is in the region.
func (pg *Pager) Present(i int) bool {
	if pg.c == nil {
		return i >= 0 && i < pg.npages
	}
	return i >= 0 && C.dp_present(pg.c, C.size_t(i)) != 0
}

// Missing is the number of pages not yet in the region.
func (pg *Pager) Missing() int {
	if pg.c == nil {
		return 0
	}
	return int(C.dp_get(pg.c).missing)
}

// Stats returns the counters; Err any error the server thread met.
func (pg *Pager) Stats() Stats {
	if pg.c == nil {
		return pg.eager
	}
	s := C.dp_get(pg.c)
	return Stats{Fetches: uint64(s.fetches), FetchedPages: uint64(s.fetched), PushedPages: uint64(s.pushed),
		Faults: uint64(s.faults), Wakes: uint64(s.wakes)}
}

// Err reports the first error the fault server met (nil if none).
func (pg *Pager) Err() error {
	if pg.c == nil {
		return nil
	}
	if e := C.dp_get(pg.c).err; e != 0 {
		return fmt.Errorf("paging: fault server: %w", syscall.Errno(e))
	}
	return nil
}

// Close pushes whatever is still missing, stops the server, unregisters
// the region and frees the source: afterwards the region is ordinary
// memory and the source holds nothing. Idempotent.
func (pg *Pager) Close() error { return pg.close(true) }

// Drop is Close without the push: for a region whose contents no longer
// matter (its guest is gone). The pages still missing are lost: the
// region reads zeros there afterwards. Cost: flat in the region's size
// (Close costs a copy of every missing page). Idempotent, and a no-op
// after Close.
func (pg *Pager) Drop() error { return pg.close(false) }

func (pg *Pager) close(push bool) error {
	if pg.src == nil {
		return nil
	}
	var err error
	if pg.c != nil {
		if push {
			if _, perr := pg.Push(0, len(pg.region)); perr != nil {
				err = perr
			}
		}
		pg.eager = pg.Stats()
		if e := C.dp_free(pg.c); e != 0 && err == nil {
			err = fmt.Errorf("paging: stopping the fault server: %w", syscall.Errno(e))
		}
		pg.c = nil
	}
	if ferr := pg.src.Free(); ferr != nil && err == nil {
		err = ferr
	}
	pg.src = nil
	live.pagers.Add(-1)
	return err
}

// Tracker reports which pages of a region were written between two
// scans (pre-copy's dirty tracking). It costs the guest one minor fault,
// resolved inside the host kernel, on the first write to each page after
// a scan, and a scan costs a walk of the region's page tables: flat in the
// bytes, not in the pages written.
//
// What it reports depends only on the writes made to the region (by the
// guest or by system calls into its memory), so it is as deterministic as
// the guest. A Tracker is for one goroutine.
type Tracker struct {
	c      *C.dtrack
	region []byte
}

// NewTracker starts tracking writes to region (a page-aligned slice of a
// guest's reservation). The first Scan reports the pages written after
// NewTracker returned: callers take the region's state at that point by
// other means (a full comparison). Cost: a walk of the region's page
// tables. It fails with
// an error wrapping ErrNoTracking where the host lacks asynchronous
// write-protect userfaultfd (Linux 6.7) or the permission to use it.
func NewTracker(region []byte) (*Tracker, error) {
	if _, err := RegionOf(region); err != nil {
		return nil, err
	}
	var e C.int
	c := C.dt_new(unsafe.Pointer(unsafe.SliceData(region)), C.size_t(len(region)), &e)
	if c == nil {
		return nil, fmt.Errorf("%w: registering %d bytes for write tracking: %w", ErrNoTracking, len(region), syscall.Errno(e))
	}
	live.trackers.Add(1)
	return &Tracker{c: c, region: region}, nil
}

// Len is the tracked region's size in bytes.
func (t *Tracker) Len() int { return len(t.region) }

// Scan calls fn with each run of pages written since the previous scan
// (offset and length in bytes, page aligned, in increasing order) and
// write-protects them again. An error wrapping ErrUntracked means part of
// the region was remapped since the tracker was made (fork's copy-on-write
// does that) and the runs reported so far are not the whole truth: make a
// new Tracker and compare the pages instead.
func (t *Tracker) Scan(fn func(off, n int)) error {
	if t.c == nil {
		return fmt.Errorf("%w: scan of a closed tracker", ErrBadArgs)
	}
	base := uint64(addrOf(t.region))
	from := C.uintptr_t(base)
	end := C.uintptr_t(base + uint64(len(t.region)))
	for from < end {
		n := C.dt_scan(t.c, &from)
		if n < 0 {
			if syscall.Errno(-n) == syscall.EPERM {
				return fmt.Errorf("%w: %d bytes at %#x", ErrUntracked, len(t.region), base)
			}
			return fmt.Errorf("paging: scanning %d bytes at %#x for writes: %w", len(t.region), base, syscall.Errno(-n))
		}
		for i := 0; i < int(n); i++ {
			s, e := uint64(C.dt_start(t.c, C.int(i))), uint64(C.dt_end(t.c, C.int(i)))
			fn(int(s-base), int(e-s))
		}
		if n == 0 && from < end {
			// The kernel stopped without a full vector: nothing more.
			break
		}
	}
	return nil
}

// CloseLater stops tracking on another goroutine: ending it costs a walk
// of every tracked page (≈20 ms at 512 MiB), which must not delay a
// migration's hand-off. For a region about to be unmapped or moved away;
// the tracker is unusable afterwards.
func (t *Tracker) CloseLater() {
	if t.c == nil {
		return
	}
	c := t.c
	t.c = nil
	later(func() {
		C.dt_drop(c)
		live.trackers.Add(-1)
	})
}

// Close stops tracking; the region's pages become ordinary writable
// memory again. Idempotent.
func (t *Tracker) Close() error {
	if t.c != nil {
		C.dt_free(t.c)
		t.c = nil
		live.trackers.Add(-1)
	}
	return nil
}
