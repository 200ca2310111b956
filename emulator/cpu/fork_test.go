package cpu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"golang.org/x/sys/unix"
)

// forkParent starts thread.wasm's _start, which blocks in a host call, and
// fills its memory (grown to pages pages) with a pattern that leaves every
// other 4 KiB chunk zero.
func forkParent(t testing.TB, pages uint32) (*Program, *Thread) {
	t.Helper()
	eng := newTestEngine(t, Config{})
	p := loadTestdata(t, eng, "thread.wasm")
	th := startEntry(t, p, "_start")
	if s := th.Run(1 << 40); s.Kind != Blocked {
		t.Fatalf("parent stopped with %v (%v), want Blocked", s.Kind, s.Err)
	}
	m := th.mod.Memory()
	if cur := m.Size() / pageSize; cur < pages {
		if _, ok := m.Grow(pages - cur); !ok {
			t.Fatalf("growing to %d pages failed", pages)
		}
	}
	b, _ := m.Read(0, m.Size())
	for off := 0; off < len(b); off += 2 * chunk {
		for i := off; i < off+chunk; i++ {
			b[i] = byte(i*7 + 1)
		}
	}
	return p, th
}

func TestForkCopiesMemoryAndIsolates(t *testing.T) {
	for _, mode := range []ForkMode{ForkShared, ForkNonZero, ForkCopyAll} {
		t.Run(mode.String(), func(t *testing.T) { testForkIsolates(t, mode) })
	}
}

func testForkIsolates(t *testing.T, mode ForkMode) {
	_, parent := forkParent(t, 8)
	child, err := parent.ForkWith(context.Background(), ThreadConfig{}, mode)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Close() })
	if shared := child.mem.img != nil; shared != (mode == ForkShared && cowOff() == nil) {
		t.Fatalf("mode %v: child shares an image: %v", mode, shared)
	}
	pm, cm := parent.mod.Memory(), child.mod.Memory()
	if pm.Size() != cm.Size() {
		t.Fatalf("child memory %d bytes, parent %d", cm.Size(), pm.Size())
	}
	pb, _ := pm.Read(0, pm.Size())
	cb, _ := cm.Read(0, cm.Size())
	if !bytes.Equal(pb, cb) {
		t.Fatal("child memory differs from the parent's")
	}
	want := bytes.Clone(pb)
	// Writes to a zero chunk, a non-zero one and the last byte, by each
	// side, stay on that side.
	for _, off := range []int{0, chunk + 5, len(cb) - 1} {
		cb[off] ^= 0xa5
		if pb[off] != want[off] {
			t.Fatalf("child write at %d seen by the parent", off)
		}
		pb[off+0] = want[off] ^ 0x3c
		if cb[off] != want[off]^0xa5 {
			t.Fatalf("parent write at %d seen by the child", off)
		}
	}
	// Both rewind into the blocked host call, which is made again
	// (restart semantics) and blocks once more, then finish.
	for name, th := range map[string]*Thread{"parent": parent, "child": child} {
		if s := th.Run(1 << 40); s.Kind != Blocked {
			t.Fatalf("%s resumed with %v (%v), want Blocked again", name, s.Kind, s.Err)
		}
		if s := th.Run(1 << 40); s.Kind != Exited {
			t.Fatalf("%s stopped with %v (%v), want Exited", name, s.Kind, s.Err)
		}
	}
}

func TestForkUnknownMode(t *testing.T) {
	_, parent := forkParent(t, 1)
	if _, err := parent.ForkWith(context.Background(), ThreadConfig{}, ForkCopyAll+1); err == nil {
		t.Fatal("fork with an unknown mode succeeded")
	}
}

// cowWorld drives copy-on-write forks against a model: every live
// thread's memory must equal its model after every step.
type cowWorld struct {
	t      *testing.T
	models map[*Thread][]byte
	rnd    uint64
}

func (w *cowWorld) mem(th *Thread) []byte {
	m := th.mod.Memory()
	b, _ := m.Read(0, m.Size())
	return b
}

func (w *cowWorld) check(step string) {
	w.t.Helper()
	for th, want := range w.models {
		if got := w.mem(th); !bytes.Equal(got, want) {
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			w.t.Fatalf("%s: a memory (%d bytes, model %d) differs from its model at byte %d", step, len(got), len(want), i)
		}
	}
}

// scribble writes n random bytes at random places of th's memory.
func (w *cowWorld) scribble(th *Thread, n int) {
	b, m := w.mem(th), w.models[th]
	for range n {
		w.rnd ^= w.rnd << 13
		w.rnd ^= w.rnd >> 7
		w.rnd ^= w.rnd << 17
		off := int(w.rnd % uint64(len(b)))
		b[off] = byte(w.rnd >> 32)
		m[off] = b[off]
	}
}

func (w *cowWorld) fork(th *Thread) *Thread {
	w.t.Helper()
	c, err := th.Fork(context.Background(), ThreadConfig{})
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = c.Close() })
	w.models[c] = bytes.Clone(w.models[th])
	return c
}

func (w *cowWorld) close(th *Thread) {
	_ = th.Close()
	delete(w.models, th)
}

// TestForkSharedGenerations exercises every path of copy-on-write fork:
// a first fork (fresh image), a fork while an earlier child still maps
// the image (fresh image again), a fork after the children are gone
// (the image refreshed in place, with growth), forks of children, and
// Unshare; writes by every side in between.
func TestForkSharedGenerations(t *testing.T) {
	if err := cowOff(); err != nil {
		t.Skipf("copy-on-write fork unavailable: %v", err)
	}
	_, parent := forkParent(t, 8)
	w := &cowWorld{t: t, models: map[*Thread][]byte{}, rnd: 0x9e3779b97f4a7c15}
	w.models[parent] = bytes.Clone(w.mem(parent))

	c1 := w.fork(parent)
	w.check("first fork")
	img := parent.mem.img
	if img == nil || c1.mem.img != img || img.refs.Load() != 2 {
		t.Fatalf("after the first fork: parent image %p, child image %p, refs %d", img, c1.mem.img, img.refs.Load())
	}
	w.scribble(parent, 300)
	w.scribble(c1, 300)
	w.check("writes after the first fork")

	c2 := w.fork(parent)
	w.check("fork while the first child lives")
	if parent.mem.img == img || img.refs.Load() != 1 {
		t.Fatalf("a shared image was not replaced (refs now %d)", img.refs.Load())
	}
	w.scribble(c2, 200)
	w.scribble(parent, 200)
	w.check("writes after the second fork")

	w.close(c2)
	img = parent.mem.img
	if img.refs.Load() != 1 {
		t.Fatalf("image refs %d after its other user closed, want 1", img.refs.Load())
	}
	// Growth, written past the old size, then a fork that refreshes the
	// image in place.
	if _, ok := parent.mod.Memory().Grow(3); !ok {
		t.Fatal("grow failed")
	}
	w.models[parent] = append(w.models[parent], make([]byte, 3*pageSize)...)
	w.scribble(parent, 500)
	// A read of a never-written page must not count as a write.
	_ = w.mem(parent)[len(w.mem(parent))-1]
	c3 := w.fork(parent)
	w.check("fork refreshing the image")
	if parent.mem.img != img || c3.mem.img != img {
		t.Fatal("the image only the parent used was not refreshed in place")
	}
	w.scribble(c3, 100)
	g := w.fork(c3)
	w.check("fork of a child")
	w.scribble(g, 100)
	w.scribble(c3, 100)
	w.scribble(parent, 100)
	w.check("writes by three generations")

	w.close(c3)
	w.close(g)
	w.close(c1)
	if err := parent.Unshare(); err != nil {
		t.Fatal(err)
	}
	if parent.mem.img != nil {
		t.Fatal("Unshare left an image")
	}
	w.check("unshare")
	w.scribble(parent, 100)
	c4 := w.fork(parent)
	w.scribble(c4, 100)
	w.check("fork after unshare")
}

// TestWrittenRuns: after a private mapping of an image, exactly the
// pages written (not those only read) are reported.
func TestWrittenRuns(t *testing.T) {
	if err := cowOff(); err != nil {
		t.Skipf("copy-on-write fork unavailable: %v", err)
	}
	if _, err := pagemap(); err != nil {
		t.Skipf("no pagemap: %v", err)
	}
	const pages = 64
	img, err := newImage(pages * chunk)
	if err != nil {
		t.Fatal(err)
	}
	defer img.release()
	if err := img.write(bytes.Repeat([]byte{7}, 8*chunk), 8*chunk); err != nil {
		t.Fatal(err)
	}
	b, err := unix.Mmap(-1, 0, pages*chunk, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(b)
	if err := img.mapPrivate(b); err != nil {
		t.Fatal(err)
	}
	sum := 0
	for i := 0; i < len(b); i += chunk {
		sum += int(b[i]) // read every page: image data and holes
	}
	if sum != 8*7 {
		t.Fatalf("read sum %d, want %d", sum, 8*7)
	}
	for _, p := range []int{0, 1, 2, 9, 30, pages - 1} {
		b[p*chunk+100] = 1
	}
	var got [][2]int
	err = writtenRuns(b, func(off, end int) error {
		got = append(got, [2]int{off / chunk, end / chunk})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{0, 3}, {9, 10}, {30, 31}, {pages - 1, pages}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("written runs %v, want %v", got, want)
	}
}

func TestForkOfClosedThreadIsCaptureError(t *testing.T) {
	_, parent := forkParent(t, 1)
	_ = parent.Close()
	_, err := parent.Fork(context.Background(), ThreadConfig{})
	if !errors.Is(err, ErrForkCapture) || !errors.Is(err, ErrClosed) {
		t.Fatalf("fork of a closed thread: %v, want ErrForkCapture and ErrClosed", err)
	}
}

func TestCopyNonZero(t *testing.T) {
	const n = 5*chunk + 100 // a partial last chunk
	src := make([]byte, n)
	for _, off := range []int{chunk + 17, 3 * chunk, n - 1} {
		src[off] = 9
	}
	for _, dirty := range []int{0, 2 * chunk, n} {
		dst := make([]byte, n)
		// Below dirty the destination holds leftovers (as data segments
		// would), which must not survive where src is zero.
		for i := 0; i < dirty; i++ {
			dst[i] = 0xee
		}
		copyNonZero(dst, src, dirty, nil)
		if !bytes.Equal(dst, src) {
			t.Fatalf("dirty %d: destination differs from source", dirty)
		}
	}
}

func TestIsZero(t *testing.T) {
	b := make([]byte, chunk)
	if !isZero(b) || !isZero(b[:0]) || !isZero(b[:31]) {
		t.Fatal("zero bytes reported non-zero")
	}
	for _, i := range []int{0, 31, 32, chunk - 1} {
		b[i] = 1
		if isZero(b) {
			t.Fatalf("byte %d set, reported zero", i)
		}
		b[i] = 0
	}
}

// benchForkParent makes a stopped thread with mib MiB of memory (1:
// thread.wasm blocked in a host call; 64: kernels.wasm with no call
// pending) holding a non-zero byte in every 4 KiB page.
func benchForkParent(b *testing.B, prog *Program, mib uint32) *Thread {
	var th *Thread
	if mib == 1 {
		th = startEntry(b, prog, "_start")
		if s := th.Run(1 << 40); s.Kind != Blocked {
			b.Fatalf("parent stopped with %v (%v), want Blocked", s.Kind, s.Err)
		}
		if _, ok := th.mod.Memory().Grow(15); !ok {
			b.Fatal("growing to 1 MiB failed")
		}
	} else {
		var err error
		th, err = prog.Start(context.Background(), ThreadConfig{NoEntry: true})
		if err != nil {
			b.Fatal(err)
		}
	}
	if got := th.MemorySize(); got != uint64(mib)<<20 {
		b.Fatalf("parent memory %d bytes, want %d MiB", got, mib)
	}
	buf, _ := th.mod.Memory().Read(0, uint32(th.MemorySize()))
	for off := 0; off < len(buf); off += chunk {
		buf[off] = byte(off>>12) | 1
	}
	return th
}

// BenchmarkThreadFork: forking a thread whose memory (1 or 64 MiB) has a
// non-zero byte in every 4 KiB page, in each ForkMode, plus the
// Capture+Restore that Fork replaces. "repeat" forks one parent again and
// again (each child closed before the next fork, the parent rewriting one
// byte per 64 KiB in between); "first" is the first fork of a fresh
// parent, where ForkShared has to fill its image.
func BenchmarkThreadFork(b *testing.B) {
	ctx := context.Background()
	progs := map[uint32]*Program{1: loadTestdata(b, newTestEngine(b, Config{}), "thread.wasm"), 64: newKernelEngine(b, false)}
	for _, mib := range []uint32{1, 64} {
		parent := benchForkParent(b, progs[mib], mib)
		buf, _ := parent.mod.Memory().Read(0, uint32(parent.MemorySize()))
		for _, mode := range []ForkMode{ForkShared, ForkNonZero, ForkCopyAll} {
			b.Run(fmt.Sprintf("%dMiB/repeat/%v", mib, mode), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					for off := 0; off < len(buf); off += pageSize {
						buf[off+8]++
					}
					c, err := parent.ForkWith(ctx, ThreadConfig{}, mode)
					if err != nil {
						b.Fatal(err)
					}
					_ = c.Close()
				}
			})
		}
		b.Run(fmt.Sprintf("%dMiB/first/%v", mib, ForkShared), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				par := benchForkParent(b, progs[mib], mib)
				b.StartTimer()
				c, err := par.Fork(ctx, ThreadConfig{})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				_ = c.Close()
				_ = par.Close()
				b.StartTimer()
			}
		})
		b.Run(fmt.Sprintf("%dMiB/CaptureRestore", mib), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				cp, err := parent.Capture(ctx)
				if err != nil {
					b.Fatal(err)
				}
				c, err := parent.Program().Restore(ctx, cp, ThreadConfig{})
				if err != nil {
					b.Fatal(err)
				}
				_ = c.Close()
			}
		})
		_ = parent.Close()
	}
}
