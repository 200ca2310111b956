package guesttest

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// fakeDosemu is a test double of the "dosemu" host module with just the
// calls the demo guests make. It checks that the C helpers and the Go SDK
// marshal arguments and results the way dosemu.h says: pointers into
// guest memory, (pointer, length) strings, NUL-packed argv.
type fakeDosemu struct {
	self     int64
	count    int32
	mine     int32
	clock    int64
	nextPID  int32
	spawned  []string // "computer path argv..." per spawn
	statuses map[int64]int32
}

func (f *fakeDosemu) instantiate(t *testing.T, ctx context.Context, rt wazero.Runtime) {
	t.Helper()
	w32 := func(m api.Module, p uint32, v uint32) {
		if !m.Memory().WriteUint32Le(p, v) {
			t.Errorf("guest passed out-of-range pointer %#x", p)
		}
	}
	w64 := func(m api.Module, p uint32, v uint64) {
		if !m.Memory().WriteUint64Le(p, v) {
			t.Errorf("guest passed out-of-range pointer %#x", p)
		}
	}
	read := func(m api.Module, p, n uint32) []byte {
		b, ok := m.Memory().Read(p, n)
		if !ok {
			t.Errorf("guest passed out-of-range buffer %#x+%d", p, n)
		}
		return b
	}
	_, err := rt.NewHostModuleBuilder("dosemu").
		NewFunctionBuilder().WithFunc(func(_ context.Context, m api.Module, gid uint32) int32 {
		w64(m, gid, uint64(f.self))
		return 0
	}).Export("self").
		NewFunctionBuilder().WithFunc(func(_ context.Context, m api.Module, gid uint32) int32 {
		w64(m, gid, 1<<32|1)
		return 0
	}).Export("parent").
		NewFunctionBuilder().WithFunc(func(_ context.Context, m api.Module, count, mine uint32) int32 {
		w32(m, count, uint32(f.count))
		w32(m, mine, uint32(f.mine))
		return 0
	}).Export("computers").
		NewFunctionBuilder().WithFunc(func(_ context.Context, m api.Module, idx int32, buf, cap, n uint32) int32 {
		name := "c" + string(rune('0'+idx))
		w32(m, n, uint32(len(name)))
		if int(cap) < len(name) {
			return 68 // ERANGE, as dosemu.h says
		}
		m.Memory().Write(buf, []byte(name))
		return 0
	}).Export("computer_name").
		NewFunctionBuilder().WithFunc(func(_ context.Context, m api.Module, ns uint32) int32 {
		f.clock += 1000
		w64(m, ns, uint64(f.clock))
		return 0
	}).Export("now").
		NewFunctionBuilder().WithFunc(func(_ context.Context, m api.Module, computer int32, path, pathLen, argv, argvLen, env, envLen, child uint32) int32 {
		p := string(read(m, path, pathLen))
		if !strings.HasSuffix(p, ".wasm") {
			return 44 // ENOENT: make the helper retry with ".wasm"
		}
		a := read(m, argv, argvLen)
		if len(a) == 0 || a[len(a)-1] != 0 {
			t.Errorf("spawn %s: argv %q is not NUL-terminated", p, a)
		}
		items := strings.Split(strings.TrimSuffix(string(a), "\x00"), "\x00")
		f.spawned = append(f.spawned, strings.Join(append([]string{string(rune('0' + computer)), p}, items...), " "))
		f.nextPID++
		gid := int64(computer)<<32 | int64(f.nextPID)
		f.statuses[gid] = int32(len(f.spawned)-1) << 8 // exit code = spawn order
		w64(m, child, uint64(gid))
		return 0
	}).Export("spawn").
		NewFunctionBuilder().WithFunc(func(_ context.Context, m api.Module, gid int64, options int32, waited, status uint32) int32 {
		st, ok := f.statuses[gid]
		if !ok {
			return 12 // ECHILD
		}
		delete(f.statuses, gid)
		w64(m, waited, uint64(gid))
		w32(m, status, uint32(st))
		return 0
	}).Export("wait").
		Instantiate(ctx)
	if err != nil {
		t.Fatalf("instantiating the fake dosemu module: %v", err)
	}
}

func newFakeRuntime(t *testing.T, f *fakeDosemu) (context.Context, wazero.Runtime) {
	ctx := context.Background()
	rt := newRuntime(ctx)
	t.Cleanup(func() { rt.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	f.statuses = map[int64]int32{}
	f.instantiate(t, ctx, rt)
	return ctx, rt
}

// TestDriverABI runs the driver against the fake: it must spawn alice and
// bob on the next two computers with the right argv, wait for both by gid,
// and report their statuses.
func TestDriverABI(t *testing.T) {
	f := &fakeDosemu{self: 1<<32 | 3, count: 3, mine: 1}
	_, rt := newFakeRuntime(t, f)
	out, code := runWASI(t, rt, "driver.wasm", []string{"5"}, nil)
	if code != 1 { // bob "exits" 1 in the fake, so the driver reports failure
		t.Errorf("driver exit code %d, want 1; output %q", code, out)
	}
	want := []string{"2 alice.wasm alice 5", "0 bob.wasm bob 5"}
	if strings.Join(f.spawned, "|") != strings.Join(want, "|") {
		t.Errorf("spawned %q, want %q", f.spawned, want)
	}
	wantOut := "driver: started alice as c2:1\ndriver: started bob as c0:2\n" +
		"driver: alice (c2:1) ended: exit 0\ndriver: bob (c0:2) ended: exit 1\n"
	if out != wantOut {
		t.Errorf("driver printed\n%s\nwant\n%s", out, wantOut)
	}
}

// TestGoSDKABI runs the Go guest against the fake: the Go SDK's
// wasmimport glue must read and write the same memory layout as C.
func TestGoSDKABI(t *testing.T) {
	f := &fakeDosemu{self: 2<<32 | 9, count: 3, mine: 2}
	_, rt := newFakeRuntime(t, f)
	out, code := runWASI(t, rt, "goinfo.wasm", []string{"100"}, nil)
	if code != 0 {
		t.Fatalf("goinfo exit code %d; output %q", code, out)
	}
	re := `^goinfo: I am c2:9 on computer c2 \(2 of 3\), parent c1:1\n` +
		`goinfo: 25 primes below 100, the largest 97; took 0\.001 ms of virtual time\n$`
	if !regexp.MustCompile(re).MatchString(out) {
		t.Errorf("goinfo printed %q, want %q", out, re)
	}
}
