package paging

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

func newTracker(t testing.TB, r []byte) *Tracker {
	t.Helper()
	tr, err := NewTracker(r)
	if errors.Is(err, ErrNoTracking) {
		t.Skipf("write tracking unavailable: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// written scans and returns the written pages, by index.
func written(t testing.TB, tr *Tracker) []int {
	t.Helper()
	var pages []int
	last := -1
	err := tr.Scan(func(off, n int) {
		if off%PageSize != 0 || n <= 0 || n%PageSize != 0 || off+n > tr.Len() || off <= last {
			t.Fatalf("bad run %d+%d (previous end %d)", off, n, last)
		}
		last = off + n - 1
		for p := off / PageSize; p < (off+n)/PageSize; p++ {
			pages = append(pages, p)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return pages
}

func TestTrackerReportsExactlyTheWrittenPages(t *testing.T) {
	const n = 8 << 20
	r := reserve(t, n+(4<<20))[5*PageSize:][:n] // not 2 MiB aligned
	r[3*PageSize] = 1
	r[700*PageSize+9] = 2
	tr := newTracker(t, r)
	if got := written(t, tr); len(got) != 0 {
		t.Fatalf("first scan: %v, want nothing (no writes since NewTracker)", got)
	}
	r[3*PageSize+1] = 3
	if got := fmt.Sprint(written(t, tr)); got != "[3]" {
		t.Fatalf("second scan: %s, want [3]", got)
	}
	if got := written(t, tr); len(got) != 0 {
		t.Fatalf("scan with no writes: %v", got)
	}
	for _, p := range []int{0, 3, 4, 1000, n/PageSize - 1} {
		r[p*PageSize+17] ^= 0xff
	}
	_ = r[5*PageSize] // a read dirties nothing
	if got := fmt.Sprint(written(t, tr)); got != fmt.Sprint([]int{0, 3, 4, 1000, n/PageSize - 1}) {
		t.Fatalf("after writes: %s", got)
	}
	// A write by the host kernel into the region (a read(2) into guest
	// memory) counts too.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if _, err := pw.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := syscall.Read(int(pr.Fd()), r[42*PageSize:42*PageSize+5]); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(written(t, tr)); got != "[42]" {
		t.Fatalf("after read(2): %s, want [42]", got)
	}
	if string(r[42*PageSize:42*PageSize+5]) != "hello" || r[1000*PageSize+17] != 0xff {
		t.Fatal("tracking changed the memory's contents")
	}
}

func TestTrackerDetectsRemap(t *testing.T) {
	const n = 1 << 20
	r := reserve(t, n)
	tr := newTracker(t, r)
	_ = written(t, tr)
	// Replace part of the region with a fresh mapping, as fork's
	// copy-on-write does: its writes would go unseen.
	_, _, e := syscall.Syscall6(syscall.SYS_MMAP, uintptr(unsafe.Pointer(&r[16*PageSize])), 4*PageSize,
		syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_FIXED, ^uintptr(0), 0)
	if e != 0 {
		t.Fatal(e)
	}
	r[17*PageSize] = 1
	if err := tr.Scan(func(int, int) {}); !errors.Is(err, ErrUntracked) {
		t.Fatalf("scan after a remap: %v, want ErrUntracked", err)
	}
}

func TestTrackerBadArguments(t *testing.T) {
	if _, err := NewTracker(nil); !errors.Is(err, ErrBadArgs) {
		t.Fatalf("NewTracker(nil): %v", err)
	}
	r := reserve(t, 2*PageSize)
	if _, err := NewTracker(r[1 : PageSize+1]); !errors.Is(err, ErrBadArgs) {
		t.Fatalf("unaligned: %v", err)
	}
	tr := newTracker(t, r)
	_ = tr.Close()
	if err := tr.Scan(func(int, int) {}); !errors.Is(err, ErrBadArgs) {
		t.Fatalf("scan after close: %v", err)
	}
}

// BenchmarkTrackedWrites is what tracking costs a guest: one write to
// every page of 64 MiB after a scan (each a write-protect fault resolved
// in the host kernel), against the same writes untracked, and the scan
// that finds them.
func BenchmarkTrackedWrites(b *testing.B) {
	const n = 64 << 20
	for _, tracked := range []bool{false, true} {
		b.Run(fmt.Sprintf("tracked=%v", tracked), func(b *testing.B) {
			r := reserve(b, n)
			fill(r, 1)
			var tr *Tracker
			if tracked {
				tr = newTracker(b, r)
			}
			b.SetBytes(n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if tr != nil {
					b.StopTimer()
					if err := tr.Scan(func(int, int) {}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				for p := 0; p < n; p += PageSize {
					r[p]++
				}
			}
		})
	}
	b.Run("scan-all-written", func(b *testing.B) {
		r := reserve(b, n)
		fill(r, 1)
		tr := newTracker(b, r)
		b.SetBytes(n)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			for p := 0; p < n; p += PageSize {
				r[p]++
			}
			b.StartTimer()
			if err := tr.Scan(func(int, int) {}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
