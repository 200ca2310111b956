package paging

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"testing"
)

// reserve maps n bytes the way the cpu package's allocator does.
func reserve(t testing.TB, n int) []byte {
	t.Helper()
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		t.Fatalf("mmap %d: %v", n, err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(b) })
	return b
}

// detachServe moves r's pages out (Detach) and serves r from them with a
// new Pager.
func detachServe(t testing.TB, r []byte, opt Options) *Pager {
	t.Helper()
	src, err := Detach(r)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := NewPager(r, src, opt)
	if err != nil {
		t.Fatal(err)
	}
	return pg
}

func fill(b []byte, seed byte) {
	for i := 0; i < len(b); i += PageSize {
		for j := 0; j < PageSize; j += 512 {
			b[i+j] = byte(i/PageSize) ^ seed ^ byte(j>>9)
		}
	}
}

func needDemand(t testing.TB) {
	if err := Available(); err != nil {
		t.Skipf("demand paging unavailable: %v", err)
	}
}

func TestDetachInstallRoundTrip(t *testing.T) {
	const n = 1 << 20
	r := reserve(t, 2*n)[:n]
	fill(r, 7)
	want := append([]byte(nil), r...)
	src, err := Detach(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(src.Bytes(), want) {
		t.Fatal("detached pages differ from the region's contents")
	}
	if !bytes.Equal(r, make([]byte, n)) {
		t.Fatal("region is not empty after Detach")
	}
	if err := Install(r, src); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r, want) {
		t.Fatal("region after Install differs from what was detached")
	}
	if src.Bytes() != nil {
		t.Fatal("Install did not consume its pages")
	}
}

func TestBadArguments(t *testing.T) {
	r := reserve(t, 1<<16)
	cases := []struct {
		name string
		err  error
	}{
		{"unaligned length", func() error { _, err := Detach(r[:100]); return err }()},
		{"unaligned start", func() error { _, err := Detach(r[PageSize/2 : PageSize/2+PageSize]); return err }()},
		{"empty", func() error { _, err := Detach(nil); return err }()},
		{"pages size", func() error { _, err := NewPages(3); return err }()},
		{"install size", func() error { p, _ := NewPages(PageSize); return Install(r, p) }()},
		{"pager source size", func() error { p, _ := NewPages(PageSize); _, err := NewPager(r, p, Options{}); return err }()},
		{"pager nil source", func() error { _, err := NewPager(r, nil, Options{}); return err }()},
		{"fetch size", func() error { p, _ := NewPages(len(r)); _, err := NewPager(r, p, Options{Fetch: 100}); return err }()},
	}
	for _, c := range cases {
		if !errors.Is(c.err, ErrBadArgs) {
			t.Errorf("%s: got %v, want ErrBadArgs", c.name, c.err)
		}
	}
}

func TestDemandFaultsFetchNeighbourhood(t *testing.T) {
	needDemand(t)
	const n = 4 << 20
	r := reserve(t, n)
	fill(r, 1)
	want := append([]byte(nil), r...)
	pg := detachServe(t, r, Options{})
	defer pg.Close()
	if pg.Mode() != Demand {
		t.Fatalf("mode %v, want demand", pg.Mode())
	}
	if pg.Missing() != n/PageSize {
		t.Fatalf("missing %d, want all %d", pg.Missing(), n/PageSize)
	}
	// Touch one byte in the third 64 KiB chunk: exactly that chunk arrives.
	off := 2*FetchSize + 5*PageSize + 17
	if r[off] != want[off] {
		t.Fatalf("byte %d = %d, want %d", off, r[off], want[off])
	}
	st := pg.Stats()
	if st.Fetches != 1 || st.FetchedPages != FetchSize/PageSize {
		t.Fatalf("after one touch: %+v, want 1 fetch of %d pages", st, FetchSize/PageSize)
	}
	for i := 0; i < n/PageSize; i++ {
		in := i >= 2*FetchSize/PageSize && i < 3*FetchSize/PageSize
		if pg.Present(i) != in {
			t.Fatalf("page %d present=%v, want %v", i, pg.Present(i), in)
		}
	}
	// Writes go to the fetched page, and a touch of a present page costs
	// no fetch.
	r[off] = 99
	want[off] = 99
	if got := pg.Stats().Fetches; got != 1 {
		t.Fatalf("a touch of a present page fetched (%d fetches)", got)
	}
	// A push installs only what is missing.
	pushed, err := pg.Push(0, 3*FetchSize)
	if err != nil {
		t.Fatal(err)
	}
	if pushed != 2*FetchSize/PageSize {
		t.Fatalf("pushed %d pages, want %d", pushed, 2*FetchSize/PageSize)
	}
	if !bytes.Equal(r, want) {
		t.Fatal("region differs from the source after demand fetches")
	}
	if err := pg.Err(); err != nil {
		t.Fatal(err)
	}
	if pg.Missing() != 0 {
		t.Fatalf("%d pages still missing after reading everything", pg.Missing())
	}
}

func TestPushThenCloseFillsEverything(t *testing.T) {
	const n = 2 << 20
	r := reserve(t, n)
	fill(r, 3)
	want := append([]byte(nil), r...)
	pg := detachServe(t, r, Options{})
	if _, err := pg.Push(PushSize, PushSize); err != nil {
		t.Fatal(err)
	}
	if err := pg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pg.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !bytes.Equal(r, want) {
		t.Fatal("region differs from the source after Close")
	}
	st := pg.Stats()
	if pg.Mode() == Demand && (st.Fetches != 0 || st.PushedPages != n/PageSize) {
		t.Fatalf("stats %+v: want no fetch and every page pushed", st)
	}
}

func TestEagerFallback(t *testing.T) {
	const n = 1 << 20
	r := reserve(t, n)
	fill(r, 9)
	want := append([]byte(nil), r...)
	pg := detachServe(t, r, Options{ForceEager: true})
	defer pg.Close()
	if pg.Mode() != Eager || pg.Missing() != 0 || !pg.Present(0) {
		t.Fatalf("eager pager: mode %v, missing %d", pg.Mode(), pg.Missing())
	}
	if !bytes.Equal(r, want) {
		t.Fatal("eager fill differs from the source")
	}
}

// TestFaultsUnderGC touches pages from several goroutines while the
// collector runs: the server is a C thread, so stop-the-world cannot park it.
func TestFaultsUnderGC(t *testing.T) {
	needDemand(t)
	const n = 8 << 20
	r := reserve(t, n)
	fill(r, 5)
	want := append([]byte(nil), r...)
	pg := detachServe(t, r, Options{Fetch: PageSize})
	defer pg.Close()
	done := make(chan int, 4)
	for g := 0; g < 4; g++ {
		go func(g int) {
			bad := 0
			for i := g * PageSize; i < n; i += 4 * PageSize {
				if r[i] != want[i] {
					bad++
				}
				if i%(64*PageSize) == 0 {
					runtime.GC()
				}
			}
			done <- bad
		}(g)
	}
	for g := 0; g < 4; g++ {
		if bad := <-done; bad != 0 {
			t.Fatalf("%d pages read wrong", bad)
		}
	}
	if pg.Missing() != 0 {
		t.Fatalf("%d pages missing after touching all", pg.Missing())
	}
}

var sink byte

func benchFault(b *testing.B, fetch int) {
	needDemand(b)
	const n = 64 << 20
	r := reserve(b, n)
	fill(r, 2)
	per := n / fetch
	b.SetBytes(int64(fetch))
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		pg := detachServe(b, r, Options{Fetch: fetch})
		b.StartTimer()
		for i := 0; i < per && done < b.N; i++ {
			sink += r[i*fetch]
			done++
		}
		b.StopTimer()
		_ = pg.Close()
		b.StartTimer()
	}
}

// BenchmarkFault measures one demand fetch as the guest sees it: the touch,
// the server's copy and the wake-up.
func BenchmarkFault(b *testing.B) {
	for _, f := range []int{PageSize, FetchSize} {
		b.Run(fmt.Sprintf("%dKiB", f>>10), func(b *testing.B) { benchFault(b, f) })
	}
}

// BenchmarkEagerCopy64MiB is the fallback's (and stop-and-copy's) cost.
func BenchmarkEagerCopy64MiB(b *testing.B) {
	const n = 64 << 20
	r := reserve(b, n)
	fill(r, 4)
	b.SetBytes(n)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		src, _ := Detach(r)
		b.StartTimer()
		pg, err := NewPager(r, src, Options{ForceEager: true})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = pg.Close()
		b.StartTimer()
	}
}

// BenchmarkDetach shows Detach is flat in size (page tables, not bytes):
// the region here is deliberately not 2 MiB aligned, as a guest's
// reservation need not be.
func BenchmarkDetach(b *testing.B) {
	for _, n := range []int{1 << 20, 64 << 20, 512 << 20} {
		b.Run(fmt.Sprintf("%dMiB", n>>20), func(b *testing.B) {
			r := reserve(b, n+(4<<20))[3*PageSize:][:n]
			fill(r, 6)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				src, err := Detach(r)
				if err != nil {
					b.Fatal(err)
				}
				if err := Install(r, src); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStartDemand is what post-copy does on the critical path of a
// hand-off: detach the source image and register a pager on the emptied
// region. It must stay flat in the memory's size. Each iteration also
// pays, untimed, a Close that pushes the whole image back: run it with a
// fixed count (-benchtime 20x).
func BenchmarkStartDemand(b *testing.B) {
	needDemand(b)
	for _, n := range []int{1 << 20, 64 << 20, 512 << 20} {
		b.Run(fmt.Sprintf("%dMiB", n>>20), func(b *testing.B) {
			r := reserve(b, n+(4<<20))[3*PageSize:][:n]
			fill(r, 5)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pg := detachServe(b, r, Options{})
				b.StopTimer()
				if err := pg.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
