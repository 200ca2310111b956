package cpu

import (
	"bytes"
	"context"
	"testing"
	"unsafe"
)

// TestReservationReuseClears checks that a reservation released by one
// thread and reused by the next holds nothing of the old owner: not the
// bytes it wrote, nor, after a copy-on-write fork, the image it mapped;
// and that the parent sharing that image is unaffected.
func TestReservationReuseClears(t *testing.T) {
	p, parent := forkParent(t, 8)
	t.Cleanup(func() { _ = parent.Close() })
	ctx := context.Background()

	// A fresh instance's memory: data segments over zeros.
	fresh := startEntry(t, p, "_start")
	base := bytes.Clone(fresh.mem.buf[:fresh.MemorySize()])
	_ = fresh.Close()

	for _, mode := range []ForkMode{ForkShared, ForkNonZero} {
		child, err := parent.ForkWith(ctx, ThreadConfig{}, mode)
		if err != nil {
			t.Fatal(err)
		}
		size := int(child.MemorySize())
		cm, _ := child.mod.Memory().Read(0, uint32(size))
		for i := range cm {
			if i%3 == 0 {
				cm[i] = 0xA5
			}
		}
		addr := unsafe.SliceData(child.mem.buf)
		_ = child.Close()

		next := startEntry(t, p, "_start")
		if unsafe.SliceData(next.mem.buf) != addr {
			t.Fatalf("%v: the next thread did not reuse the released reservation", mode)
		}
		got := next.mem.buf[:size]
		if !bytes.Equal(got[:len(base)], base) {
			t.Fatalf("%v: reused memory differs from a fresh instance's", mode)
		}
		if bytes.ContainsFunc(got[len(base):], func(r rune) bool { return r != 0 }) {
			t.Fatalf("%v: reused reservation holds the old owner's bytes past the memory's size", mode)
		}
		_ = next.Close()
	}
	pb, _ := parent.mod.Memory().Read(0, uint32(parent.MemorySize()))
	for off := 0; off < len(pb); off += 2 * chunk {
		for i := off; i < off+chunk; i++ {
			if pb[i] != byte(i*7+1) {
				t.Fatalf("parent's byte %d is %#x after its children's reservations were reused, want %#x", i, pb[i], byte(i*7+1))
			}
		}
	}
}

// TestReservationPoolBounded checks that closing many threads keeps at
// most maxPooledReservations reservations, the most recent ones.
func TestReservationPoolBounded(t *testing.T) {
	eng := newTestEngine(t, Config{})
	p := loadTestdata(t, eng, "thread.wasm")
	var ths []*Thread
	for i := 0; i < maxPooledReservations+4; i++ {
		ths = append(ths, startEntry(t, p, "_start"))
	}
	lastAddr := unsafe.SliceData(ths[len(ths)-1].mem.buf)
	for _, th := range ths {
		_ = th.Close()
	}
	reservations.mu.Lock()
	n := len(reservations.free)
	var newest *byte
	if n > 0 {
		newest = unsafe.SliceData(reservations.free[n-1])
	}
	reservations.mu.Unlock()
	if n > maxPooledReservations {
		t.Fatalf("%d reservations pooled, want at most %d", n, maxPooledReservations)
	}
	if newest != lastAddr {
		t.Fatalf("the newest pooled reservation is not the last one released")
	}
}
