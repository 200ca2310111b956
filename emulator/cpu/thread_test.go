package cpu

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// newTestEngine makes an engine with the "env" host module the runtime test
// guest imports: block (Block, answers 1 when resumed), exit (Exit) and nop.
func newTestEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	ctx := context.Background()
	eng, err := NewEngine(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close(ctx) })
	_, err = eng.Runtime().NewHostModuleBuilder("env").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		if ThreadOf(ctx).Block() {
			stack[0] = 1
		} else {
			stack[0] = 0
		}
	}), nil, []api.ValueType{api.ValueTypeI32}).Export("block").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, stack []uint64) {
		ThreadOf(ctx).Exit(uint32(stack[0]))
	}), []api.ValueType{api.ValueTypeI32}, nil).Export("exit").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, _ api.Module, _ []uint64) {
		hostCallSink = ThreadOf(ctx)
	}), nil, nil).Export("nop").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// hostCallSink keeps the nop host function's ThreadOf lookup from being
// optimized away.
var hostCallSink *Thread

func loadTestdata(t testing.TB, eng *Engine, file string) *Program {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := eng.Load(context.Background(), file, b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func startEntry(t testing.TB, p *Program, entry string, params ...uint64) *Thread {
	t.Helper()
	th, err := p.Start(context.Background(), ThreadConfig{Entry: entry, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = th.Close() })
	return th
}

func TestRunReturnsResults(t *testing.T) {
	eng := newTestEngine(t, Config{Plain: true})
	p := loadTestdata(t, eng, "thread.wasm")
	th := startEntry(t, p, "add", 2, 3)
	s := th.Run(1000)
	if s.Kind != Exited || len(s.Results) != 1 || s.Results[0] != 5 || s.Err != nil {
		t.Fatalf("add(2,3): got %+v, want Exited with [5]", s)
	}
	if s.Used != 0 {
		t.Errorf("plain program used %d fuel, want 0", s.Used)
	}
	// Running a finished thread again is harmless and reports the same end.
	if s2 := th.Run(1000); s2.Kind != Exited {
		t.Errorf("second Run: got %v, want exited", s2.Kind)
	}
	// Another export of the same instance.
	if err := th.Call("add", 40, 2); err != nil {
		t.Fatal(err)
	}
	if s := th.Run(1000); s.Kind != Exited || s.Results[0] != 42 {
		t.Fatalf("add(40,2): got %+v", s)
	}
}

func TestBlockRoundTrips(t *testing.T) {
	eng := newTestEngine(t, Config{Plain: true})
	p := loadTestdata(t, eng, "thread.wasm")
	th := startEntry(t, p, "blocks", 3)
	counter := th.Module().ExportedGlobal("counter")
	for i := 0; i < 3; i++ {
		s := th.Run(1000)
		if s.Kind != Blocked {
			t.Fatalf("run %d: got %+v, want blocked", i, s)
		}
		// The guest is parked: its state is stable and readable.
		if got := counter.Get(); got != uint64(i) {
			t.Fatalf("run %d: counter = %d, want %d", i, got, i)
		}
	}
	s := th.Run(1000)
	if s.Kind != Exited || s.Results[0] != 3 {
		t.Fatalf("final run: got %+v, want exited with 3 resumed blocks", s)
	}
}

func TestStartEntryIsStartExport(t *testing.T) {
	eng := newTestEngine(t, Config{Plain: true})
	p := loadTestdata(t, eng, "thread.wasm")
	th, err := p.Start(context.Background(), ThreadConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	if s := th.Run(1); s.Kind != Blocked {
		t.Fatalf("_start: got %v, want blocked", s.Kind)
	}
	if s := th.Run(1); s.Kind != Exited || s.ExitCode != 0 {
		t.Fatalf("_start: got %+v, want exit 0", s)
	}
}

func TestTraps(t *testing.T) {
	eng := newTestEngine(t, Config{Plain: true})
	p := loadTestdata(t, eng, "thread.wasm")
	for _, tc := range []struct {
		entry  string
		params []uint64
		want   string
	}{
		{"trap", nil, "unreachable"},
		{"oob", nil, "out of bounds memory access"},
		{"recurse", []uint64{0}, "stack overflow"},
	} {
		th := startEntry(t, p, tc.entry, tc.params...)
		s := th.Run(1000)
		if s.Kind != Trapped || s.Err == nil || !strings.Contains(s.Err.Error(), tc.want) {
			t.Errorf("%s: got %v %v, want trapped with %q", tc.entry, s.Kind, s.Err, tc.want)
			continue
		}
		if !strings.Contains(s.Err.Error(), "thread.wasm") || !strings.Contains(s.Err.Error(), tc.entry) {
			t.Errorf("%s: error %q does not name the program and entry", tc.entry, s.Err)
		}
	}
}

func TestExit(t *testing.T) {
	eng := newTestEngine(t, Config{Plain: true})
	p := loadTestdata(t, eng, "thread.wasm")
	th := startEntry(t, p, "exit", 7)
	if s := th.Run(1000); s.Kind != Exited || s.ExitCode != 7 || s.Err != nil {
		t.Fatalf("exit(7): got %+v", s)
	}
	if s := th.Run(1000); s.Kind != Exited || s.ExitCode != 7 {
		t.Fatalf("run after exit: got %+v", s)
	}
}

func TestMemoryLimit(t *testing.T) {
	eng := newTestEngine(t, Config{Plain: true})
	p := loadTestdata(t, eng, "thread.wasm")
	ctx := context.Background()
	th, err := p.Start(ctx, ThreadConfig{Entry: "grow", Params: []uint64{1}, MemoryLimit: 2*pageSize + 100})
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	if s := th.Run(1); s.Kind != Exited || int32(s.Results[0]) != 1 {
		t.Fatalf("grow(1) within limit: got %+v, want old size 1", s)
	}
	if th.MemorySize() != 2*pageSize {
		t.Fatalf("memory size %d, want 2 pages", th.MemorySize())
	}
	// The module allows 16 pages but the limit is 2.
	_ = th.Call("grow", 1)
	if s := th.Run(1); s.Kind != Exited || int32(s.Results[0]) != -1 {
		t.Fatalf("grow(1) past limit: got %+v, want -1", s)
	}
	// The memory keeps its contents and address across growth.
	mem := th.Module().Memory()
	mem.WriteByte(pageSize+5, 42)
	if b, _ := mem.ReadByte(pageSize + 5); b != 42 {
		t.Fatalf("read back %d", b)
	}

	// An initial memory (1 page) over the limit is refused at Start.
	_, err = p.Start(ctx, ThreadConfig{Entry: "add", Params: []uint64{1, 2}, MemoryLimit: 100})
	if err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Fatalf("start over limit: got %v, want a limit error", err)
	}
}

func TestCloseKillsParkedThreads(t *testing.T) {
	eng := newTestEngine(t, Config{Plain: true})
	p := loadTestdata(t, eng, "thread.wasm")
	runtime.GC()
	before := runtime.NumGoroutine()
	var ths []*Thread
	for i := 0; i < 50; i++ {
		th, err := p.Start(context.Background(), ThreadConfig{Entry: "forever"})
		if err != nil {
			t.Fatal(err)
		}
		if s := th.Run(1); s.Kind != Blocked {
			t.Fatalf("got %v, want blocked", s.Kind)
		}
		ths = append(ths, th)
	}
	if p.Threads() != 50 {
		t.Fatalf("Threads() = %d, want 50", p.Threads())
	}
	if runtime.NumGoroutine() < before+50 {
		t.Fatalf("expected 50 parked guest goroutines, have %d (before %d)", runtime.NumGoroutine(), before)
	}
	for _, th := range ths {
		if err := th.Close(); err != nil {
			t.Fatal(err)
		}
		if err := th.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if s := th.Run(1); s.Kind != Trapped || !errors.Is(s.Err, ErrClosed) {
			t.Fatalf("Run after Close: got %+v", s)
		}
	}
	// Closing a never-run thread starts no goroutine at all.
	th, err := p.Start(context.Background(), ThreadConfig{Entry: "forever"})
	if err != nil {
		t.Fatal(err)
	}
	_ = th.Close()
	if p.Threads() != 0 {
		t.Fatalf("Threads() = %d after closing all, want 0", p.Threads())
	}
	waitGoroutines(t, before)
}

// waitGoroutines fails t unless the goroutine count falls back to before
// within 5 s: goroutine exit is asynchronous to Close's return by a hair.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("goroutines leaked: %d now, %d before", n, before)
	}
}

func TestLoadCachesByContent(t *testing.T) {
	eng := newTestEngine(t, Config{Plain: true})
	b, err := os.ReadFile("testdata/thread.wasm")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p1, err := eng.Load(ctx, "a", b)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := eng.Load(ctx, "b", append([]byte(nil), b...))
	if err != nil {
		t.Fatal(err)
	}
	if p1 != p2 {
		t.Fatal("same bytes loaded twice gave two programs")
	}
	if p1.SourceSize() != len(b) || p1.CodeSize() < len(b) {
		t.Errorf("sizes: source %d code %d, module %d", p1.SourceSize(), p1.CodeSize(), len(b))
	}
	if _, err := os.Stat("/proc/self/maps"); err == nil && p1.MachineCodeSize() <= 0 {
		t.Errorf("machine code size %d, want > 0 on a host with /proc/self/maps", p1.MachineCodeSize())
	}
	for _, tc := range []struct {
		name string
		wasm []byte
		want string
	}{
		{"text", []byte("hello, world"), "not a WebAssembly binary"},
		{"short", []byte{0, 'a'}, "not a WebAssembly binary"},
		{"truncated", b[:len(b)/2], "compile"},
	} {
		_, err := eng.Load(ctx, tc.name, tc.wasm)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s: got %v, want an error naming it and %q", tc.name, err, tc.want)
		}
	}
}

func TestUnknownImportFailsStart(t *testing.T) {
	eng, err := NewEngine(context.Background(), Config{Plain: true}) // no "env" module
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(context.Background())
	p := loadTestdata(t, eng, "thread.wasm")
	_, err = p.Start(context.Background(), ThreadConfig{Entry: "add"})
	if err == nil || !strings.Contains(err.Error(), "env") {
		t.Fatalf("got %v, want an error naming the missing import module", err)
	}
}

func TestCallErrors(t *testing.T) {
	eng := newTestEngine(t, Config{Plain: true})
	p := loadTestdata(t, eng, "thread.wasm")
	if _, err := p.Start(context.Background(), ThreadConfig{Entry: "nosuch"}); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown entry: %v", err)
	}
	if _, err := p.Start(context.Background(), ThreadConfig{Entry: "add", Params: []uint64{1}}); err == nil || !strings.Contains(err.Error(), "2 parameter slots") {
		t.Errorf("wrong arity: %v", err)
	}
	if _, err := p.Start(context.Background(), ThreadConfig{Entry: "add", Params: []uint64{1, 2}, Env: []string{"NOEQUALS"}}); err == nil {
		t.Error("bad env entry accepted")
	}
	th := startEntry(t, p, "forever")
	th.Run(1)
	if err := th.Call("add", 1, 2); err == nil {
		t.Error("Call accepted while the thread is parked inside another call")
	}
	if err := th.Unwind(); err == nil {
		t.Error("Unwind accepted on a plain program outside a guest call")
	}
	if ThreadOf(context.Background()) != nil {
		t.Error("ThreadOf found a thread in a plain context")
	}
}

func TestCacheDir(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	b, err := os.ReadFile("testdata/thread.wasm")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second engine finds the code on disk
		eng := newTestEngine(t, Config{Plain: true, CacheDir: dir})
		p, err := eng.Load(ctx, "thread", b)
		if err != nil {
			t.Fatal(err)
		}
		th, err := p.Start(ctx, ThreadConfig{Entry: "add", Params: []uint64{20, 22}})
		if err != nil {
			t.Fatal(err)
		}
		if s := th.Run(1); s.Kind != Exited || s.Results[0] != 42 {
			t.Fatalf("engine %d: got %+v", i, s)
		}
		_ = th.Close()
		_ = eng.Close(ctx)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		t.Fatalf("cache dir holds nothing (%v)", err)
	}
	if _, err := NewEngine(ctx, Config{CacheDir: "/proc/no/such/dir"}); err == nil {
		t.Error("unusable cache dir accepted")
	}
}

// FuzzLoadStart feeds arbitrary bytes to Load and, when they compile, to
// Start (without running any guest code): bad modules must give errors,
// never panics or crashes.
func FuzzLoadStart(f *testing.F) {
	for _, name := range []string{"thread.wasm", "spectest.wasm"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	// The kernel's configuration: with the rewriter linked in, its decoder
	// and validator see the bytes before wazero does.
	eng := newTestEngine(f, Config{})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, b []byte) {
		if hasStartSection(b) {
			// Start would run it, and a plain module's start function may
			// loop forever: that is the rewriter's business (fuel), not
			// what this target checks.
			return
		}
		p, err := eng.Load(ctx, "fuzz", b)
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz") {
				t.Fatalf("error does not name the program: %v", err)
			}
			return
		}
		th, err := p.Start(ctx, ThreadConfig{NoEntry: true, MemoryLimit: 1 << 20})
		if err != nil {
			return
		}
		_ = th.Close()
	})
}

// hasStartSection reports whether a module has a start section (id 8), or
// cannot be walked far enough to tell.
func hasStartSection(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	for i := 8; i < len(b); {
		id := b[i]
		i++
		var size, shift uint64
		for {
			if i >= len(b) || shift > 28 {
				return true
			}
			c := b[i]
			i++
			size |= uint64(c&0x7f) << shift
			shift += 7
			if c&0x80 == 0 {
				break
			}
		}
		if id == 8 {
			return true
		}
		if size > uint64(len(b)-i) {
			return false
		}
		i += int(size)
	}
	return false
}

// TestDiskCacheSurvivesDamage: a damaged entry of the on-disk compilation
// cache (truncated files) does not stop the program from loading: the
// entries go and the module is compiled again.
func TestDiskCacheSurvivesDamage(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	eng := newTestEngine(t, Config{CacheDir: dir})
	loadTestdata(t, eng, "thread.wasm")
	_ = eng.Close(ctx)
	files, _ := filepath.Glob(filepath.Join(dir, "wazero-*", "*"))
	if len(files) == 0 {
		t.Fatal("no compiled code was cached on disk")
	}
	for _, f := range files {
		if err := os.Truncate(f, 10); err != nil {
			t.Fatal(err)
		}
	}
	p := loadTestdata(t, newTestEngine(t, Config{CacheDir: dir}), "thread.wasm")
	th, err := p.Start(ctx, ThreadConfig{Entry: "add", Params: []uint64{2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	defer th.Close()
	if s := th.Run(1 << 20); s.Kind != Exited || s.Results[0] != 5 {
		t.Fatalf("add(2, 3) after the cache was damaged: %+v", s)
	}
}
