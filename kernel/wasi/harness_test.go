package wasi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"

	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/kernel/wasi"
	"dosemu/vfs"
)

// testProc is a minimal wasi.Proc: one process, no scheduler. Time moves
// only when the process sleeps (Poll with a deadline) and by a fixed cost
// per system call, so runs are deterministic.
type testProc struct {
	args, env []string
	fds       *fd.Table
	now       vtime.Time
	rnd       *rand.Rand
	calls     [wasi.NumCalls]int
	yields    int
	deadlock  bool
}

const testEpoch = 1_700_000_000_000_000_000

func newTestProc(args, env []string, stdin []byte, stdout, stderr *bytes.Buffer) *testProc {
	p := &testProc{args: args, env: env, fds: fd.NewTable(), rnd: vtime.Rand(1, "test:random_get")}
	p.fds.Set(0, fd.NewInput(stdin), fd.RightsStream, 0)
	p.fds.Set(1, fd.NewOutput("stdout", stdout), fd.RightsStream, 0)
	p.fds.Set(2, fd.NewOutput("stderr", stderr), fd.RightsStream, 0)
	return p
}

func (p *testProc) Args() []string             { return p.args }
func (p *testProc) Environ() []string          { return p.env }
func (p *testProc) FDs() *fd.Table             { return p.fds }
func (p *testProc) Now() vtime.Time            { return p.now }
func (p *testProc) Epoch() int64               { return testEpoch }
func (p *testProc) CPUTime() vtime.Duration    { return vtime.Duration(p.now) }
func (p *testProc) Resolution() vtime.Duration { return 1 }
func (p *testProc) Yield()                     { p.yields++ }
func (p *testProc) Syscall(c wasi.Call)        { p.calls[c]++; p.now += 100 }
func (p *testProc) Exit(code uint32)           { panic(sys.NewExitError(code)) }
func (p *testProc) Random(b []byte) {
	for i := range b {
		b[i] = byte(p.rnd.Uint32())
	}
}

// Poll: nothing else runs, so a poll that is not ready at once can only
// end at its deadline; one without a deadline would sleep forever, which
// the test reports as a deadlock.
func (p *testProc) Poll(deadline vtime.Time, ready func() bool) wasi.PollResult {
	if ready() {
		return wasi.PollReady
	}
	if deadline == wasi.NoDeadline {
		p.deadlock = true
		return wasi.PollTimeout
	}
	if deadline > p.now {
		p.now = deadline
	}
	if ready() {
		return wasi.PollReady
	}
	return wasi.PollTimeout
}

type procKey struct{}

func lookup(ctx context.Context) wasi.Proc {
	p, _ := ctx.Value(procKey{}).(wasi.Proc)
	return p
}

var (
	rtOnce sync.Once
	rtErr  error
	rt     wazero.Runtime
)

// runtime returns one runtime with the wasi module, shared by the tests so
// each guest is compiled once per test binary.
func runtime(t testing.TB) wazero.Runtime {
	rtOnce.Do(func() {
		ctx := context.Background()
		rt = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(wazero.NewCompilationCache()))
		_, rtErr = wasi.Register(ctx, rt, lookup)
	})
	if rtErr != nil {
		t.Fatalf("register wasi: %v", rtErr)
	}
	return rt
}

// preopen installs ns's root as the guest's "/".
func (p *testProc) preopen(t testing.TB, ns vfs.FS, guestPath string) {
	d, err := fd.OpenVFile(ns, "c0", ".", vfs.OpenMode{OFlags: vfs.ODirectory, Read: true}, 0)
	if err != nil {
		t.Fatalf("preopen: %v", err)
	}
	if _, err := p.fds.Preopen(d, guestPath); err != nil {
		t.Fatalf("preopen: %v", err)
	}
}

// run runs a command module to completion and returns its exit code.
func run(t testing.TB, p *testProc, wasm []byte) (uint32, error) {
	ctx := context.Background()
	r := runtime(t)
	cm, err := r.CompileModule(ctx, wasm)
	if err != nil {
		return 0, fmt.Errorf("compile: %w", err)
	}
	defer cm.Close(ctx)
	cctx := context.WithValue(ctx, procKey{}, wasi.Proc(p))
	mod, err := r.InstantiateModule(cctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions("_start"))
	if mod != nil {
		defer mod.Close(ctx)
	}
	var ee *sys.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, err
	}
	return 0, nil
}
