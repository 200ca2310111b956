package cpu

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"dosemu/emulator/paging"
	"dosemu/emulator/wasm"
)

// startModule has a start function that sets its global to 42 and a
// memory byte to 7; "get" returns the global plus that byte.
func startModule(t testing.TB) []byte {
	t.Helper()
	m := &wasm.Module{
		Types:    []wasm.FuncType{{}, {Results: []wasm.ValType{wasm.I32}}},
		Memories: []wasm.MemType{{Limits: wasm.Limits{Min: 1}}},
		Globals:  []wasm.Global{{Type: wasm.GlobalType{Type: wasm.I32, Mutable: true}, Init: []wasm.Instr{i32c(0), ins(wasm.OpEnd)}}},
		Funcs: []wasm.Func{
			{TypeIdx: 0, Body: []wasm.Instr{i32c(42), insI(wasm.OpGlobalSet, 0), i32c(100), i32c(7), {Op: wasm.OpI32Store8}, ins(wasm.OpEnd)}},
			{TypeIdx: 1, Body: []wasm.Instr{insI(wasm.OpGlobalGet, 0), i32c(100), {Op: wasm.OpI32Load8U}, ins(wasm.OpI32Add), ins(wasm.OpEnd)}},
		},
		Exports:  []wasm.Export{{Name: "get", Kind: wasm.ExternFunc, Index: 1}},
		Start:    0,
		HasStart: true,
	}
	b, err := wasm.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPreparedStartRunsStartFunction: a fresh Start that takes a prepared
// instance runs the module's start function, which Prepare did not run,
// and a Restore that takes one does not run it (the capture's state
// stands).
func TestPreparedStartRunsStartFunction(t *testing.T) {
	ctx := context.Background()
	for _, plain := range []bool{false, true} {
		p, err := newTestEngine(t, Config{Plain: plain}).Load(ctx, "start", startModule(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		if p.Spares() != 1 {
			t.Fatalf("plain=%v: %d prepared instances, want 1", plain, p.Spares())
		}
		th, err := p.Start(ctx, ThreadConfig{Entry: "get"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Spares() != 0 {
			t.Fatalf("plain=%v: Start left %d prepared instances", plain, p.Spares())
		}
		if s := th.Run(1 << 30); s.Kind != Exited || s.Results[0] != 49 {
			t.Fatalf("plain=%v: get() = %+v, want 49 (the start function ran once)", plain, s)
		}
		if plain {
			_ = th.Close()
			continue
		}
		// A capture of a thread whose state differs from the start
		// function's: the restore into a prepared instance keeps it.
		th.Module().Memory().WriteByte(100, 1)
		_ = th.Call("get")
		c, err := th.Capture(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = th.Close()
		if err := p.Prepare(ctx); err != nil {
			t.Fatal(err)
		}
		rt, err := p.Restore(ctx, c, ThreadConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Spares() != 0 {
			t.Fatalf("Restore left %d prepared instances", p.Spares())
		}
		if s := rt.Run(1 << 30); s.Kind != Exited || s.Results[0] != 43 {
			t.Fatalf("restored get() = %+v, want 43 (the captured byte, no second start)", s)
		}
		_ = rt.Close()
	}
}

// TestPreparedIsFresh: a move of a thread parked ten frames deep gives the
// same result into a prepared instance as into one Restore makes, and a
// prepared instance is only taken by configs that leave nothing to
// instantiation.
func TestPreparedIsFresh(t *testing.T) {
	ctx := context.Background()
	p := loadTestdata(t, newTestEngine(t, Config{}), "thread.wasm")
	for _, prepared := range []bool{false, true} {
		src, err := p.Start(ctx, ThreadConfig{Entry: "deepblock", Params: []uint64{9}})
		if err != nil {
			t.Fatal(err)
		}
		if s := src.Run(1 << 40); s.Kind != Blocked {
			t.Fatalf("deepblock(9): %+v", s)
		}
		src.Module().Memory().WriteUint32Le(4096, 0xfeedface)
		for hop := 0; hop < 5; hop++ {
			if prepared {
				if err := p.Prepare(ctx, "deepblock"); err != nil {
					t.Fatal(err)
				}
			}
			c, err := src.Capture(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Frames) != 10 {
				t.Fatalf("captured %d frames, want 10", len(c.Frames))
			}
			nt, err := p.Restore(ctx, c, ThreadConfig{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Spares() != 0 {
				t.Fatalf("prepared=%v: %d prepared instances left", prepared, p.Spares())
			}
			if s := nt.Run(1 << 40); s.Kind != Blocked {
				t.Fatalf("prepared=%v hop %d: restored run %+v", prepared, hop, s)
			}
			_ = src.Close()
			src = nt
		}
		if v, _ := src.Module().Memory().ReadUint32Le(4096); v != 0xfeedface {
			t.Fatalf("prepared=%v: memory word %#x after five moves", prepared, v)
		}
		_ = src.Close()
	}

	// Configs that name what instantiation sets leave the instance alone.
	if err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []ThreadConfig{
		{Entry: "add", Params: []uint64{1, 2}, Name: "named"},
		{Entry: "add", Params: []uint64{1, 2}, Args: []string{"x"}},
		{Entry: "add", Params: []uint64{1, 2}, Env: []string{"A=1"}},
		{Entry: "add", Params: []uint64{1, 2}, Stdout: &strings.Builder{}},
	} {
		th, err := p.Start(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if p.Spares() != 1 {
			t.Fatalf("Start with %+v took the prepared instance", cfg)
		}
		if s := th.Run(1 << 30); s.Kind != Exited || s.Results[0] != 3 {
			t.Fatalf("add(1, 2) = %+v", s)
		}
		_ = th.Close()
	}
}

// TestPreparedMemoryLimit: the memory limit of the thread that takes a
// prepared instance (reserved at the module's maximum) holds, and an
// initial memory over it is refused as without one.
func TestPreparedMemoryLimit(t *testing.T) {
	ctx := context.Background()
	p := loadTestdata(t, newTestEngine(t, Config{Plain: true}), "thread.wasm")
	if err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	th, err := p.Start(ctx, ThreadConfig{Entry: "grow", Params: []uint64{1}, MemoryLimit: 2*pageSize + 100})
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	if p.Spares() != 0 {
		t.Fatal("Start did not take the prepared instance")
	}
	if s := th.Run(1); s.Kind != Exited || int32(s.Results[0]) != 1 {
		t.Fatalf("grow(1) within the limit: %+v, want old size 1", s)
	}
	_ = th.Call("grow", 1)
	if s := th.Run(1); s.Kind != Exited || int32(s.Results[0]) != -1 {
		t.Fatalf("grow(1) past the limit: %+v, want -1 (the module allows 16 pages)", s)
	}
	if err := p.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = p.Start(ctx, ThreadConfig{Entry: "add", Params: []uint64{1, 2}, MemoryLimit: 100})
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("start over the limit: %v, want a limit error", err)
	}
	if p.Spares() != 1 {
		t.Fatalf("a refused Start consumed the prepared instance (%d left)", p.Spares())
	}
}

// TestPreparedBoundAndReleased: a program holds at most maxSpares
// prepared instances, and closing the engine ends their goroutines.
func TestPreparedBoundAndReleased(t *testing.T) {
	ctx := context.Background()
	runtime.GC()
	before := runtime.NumGoroutine()
	eng := newTestEngine(t, Config{})
	p := loadTestdata(t, eng, "thread.wasm")
	for i := 0; i < maxSpares+3; i++ {
		if err := p.Prepare(ctx, "deepblock"); err != nil {
			t.Fatal(err)
		}
	}
	if p.Spares() != maxSpares {
		t.Fatalf("%d prepared instances, want the bound %d", p.Spares(), maxSpares)
	}
	if err := p.Prepare(ctx, "no-such-export"); err != nil {
		t.Fatalf("Prepare at the bound: %v, want a no-op", err)
	}
	if th, err := p.Start(ctx, ThreadConfig{Entry: "add", Params: []uint64{1, 2}}); err != nil {
		t.Fatal(err)
	} else {
		_ = th.Close()
	}
	if err := p.Prepare(ctx, "no-such-export"); err == nil || !strings.Contains(err.Error(), `"no-such-export"`) {
		t.Fatalf("Prepare with an unknown entry: %v", err)
	}
	if err := eng.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if p.Spares() != 0 {
		t.Fatalf("%d prepared instances after the engine closed", p.Spares())
	}
	waitGoroutines(t, before)
}

// TestPopulatedPages: the chunks a memory reports as possibly holding data
// are those touched, and a capture that skips the others is exact.
func TestPopulatedPages(t *testing.T) {
	a := &limitedMemory{}
	a.Allocate(0, 64*pageSize)
	defer a.release()
	b := a.Reallocate(4 * pageSize)
	b[5*chunk+3] = 1
	b[40*chunk] = 2
	b[41*chunk+chunk-1] = 3
	b[63*chunk] = 0 // touched, stays zero
	set := a.populated(b)
	if set == nil {
		t.Skip("no pagemap here: every chunk counts as populated")
	}
	for i := 0; i < len(b)/chunk; i++ {
		want := i == 5 || i == 40 || i == 41 || i == 63
		if set.has(i) != want {
			t.Errorf("chunk %d populated=%v, want %v", i, set.has(i), want)
		}
	}
	got := cloneSparse(b, set)
	for i := range b {
		if got[i] != b[i] {
			t.Fatalf("clone differs at %d", i)
		}
	}
	// Remapped or exposed memories are read whole.
	a.exposed = true
	if a.populated(b) != nil {
		t.Error("an exposed memory reported a populated set")
	}
	a.exposed = false
	if a.populated(b[chunk:]) != nil {
		t.Error("a slice not at the memory's start reported a populated set")
	}
}

// TestReusedReservationIsZero: a reservation emptied by madvise (a plain
// memory) or by remapping (an exposed one) comes back all zero and with
// no page present (package paging and populated rely on it).
func TestReusedReservationIsZero(t *testing.T) {
	for _, exposed := range []bool{false, true} {
		for _, size := range []int{pageSize, 8 * pageSize} {
			a := &limitedMemory{}
			a.Allocate(0, 1<<30)
			b := a.Reallocate(uint64(size))
			for i := range b {
				b[i] = byte(i | 1)
			}
			a.exposed = exposed
			a.release()
			c := &limitedMemory{}
			c.Allocate(0, 1<<30)
			d := c.Reallocate(uint64(size))
			if set := c.populated(d); set != nil {
				for i := 0; i < size/chunk; i++ {
					if set.has(i) {
						t.Fatalf("exposed=%v size=%d: chunk %d of a reused reservation is present", exposed, size, i)
					}
				}
			}
			for i, v := range d {
				if v != 0 {
					t.Fatalf("exposed=%v size=%d: reused reservation byte %d is %d", exposed, size, i, v)
				}
			}
			c.release()
		}
	}
}

// TestStalePagerCannotReachRecycledReservation: a post-copy pager left
// serving a thread's memory after the thread closed (the hazard the
// kernel avoids by ending post-copies before exec and exit) cannot write
// into the instance that gets the reservation next: an exposed memory's
// reservation is remapped on release, which takes the userfaultfd
// registration with it, so the stale pager's copies find nothing
// registered.
func TestStalePagerCannotReachRecycledReservation(t *testing.T) {
	if err := paging.Available(); err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	p := loadTestdata(t, newTestEngine(t, Config{}), "thread.wasm")
	a, err := p.Start(ctx, ThreadConfig{NoEntry: true})
	if err != nil {
		t.Fatal(err)
	}
	mem, err := a.ExposeMemory()
	if err != nil {
		t.Fatal(err)
	}
	src, err := paging.NewPages(len(mem))
	if err != nil {
		t.Fatal(err)
	}
	for i := range src.Bytes() {
		src.Bytes()[i] = 0xab
	}
	pg, err := paging.NewPager(mem, src, paging.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = pg.Drop()
		paging.Settle()
	}()
	if pg.Mode() != paging.Demand {
		t.Skip("no userfaultfd: the pager copied everything at once")
	}
	_ = a.Close()

	b, err := p.Start(ctx, ThreadConfig{NoEntry: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bm, ok := b.Module().Memory().Read(0, b.Module().Memory().Size())
	if !ok || len(bm) != len(mem) || unsafe.SliceData(bm) != unsafe.SliceData(mem) {
		t.Fatalf("the next instance did not get the released reservation (%p, want %p)", unsafe.SliceData(bm), unsafe.SliceData(mem))
	}
	if n, err := pg.Push(0, len(mem)); err == nil && n > 0 {
		t.Fatalf("the stale pager installed %d pages into another instance's memory", n)
	}
	for i, v := range bm {
		if v != 0 {
			t.Fatalf("byte %d of the next instance's memory is %#x, want 0", i, v)
		}
	}
}
