package cpu

import (
	"bytes"
	"context"
	"errors"
	"testing"
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
	_, parent := forkParent(t, 8)
	child, err := parent.Fork(context.Background(), ThreadConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Close() })
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
		copyNonZero(dst, src, dirty)
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

// BenchmarkThreadFork: forking a thread whose 1 MiB memory is half
// non-zero, with Fork and with the Capture+Restore it replaces.
func BenchmarkThreadFork(b *testing.B) {
	ctx := context.Background()
	p, parent := forkParent(b, 16)
	b.Run("Fork", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c, err := parent.Fork(ctx, ThreadConfig{})
			if err != nil {
				b.Fatal(err)
			}
			_ = c.Close()
		}
	})
	b.Run("CaptureRestore", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			cp, err := parent.Capture(ctx)
			if err != nil {
				b.Fatal(err)
			}
			c, err := p.Restore(ctx, cp, ThreadConfig{})
			if err != nil {
				b.Fatal(err)
			}
			_ = c.Close()
		}
	})
}
