package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"dosemu/emulator/cpu"
	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
	"dosemu/kernel"
	"dosemu/kernel/sched"
	"dosemu/kernel/sched/plugin/plugintest"
	"dosemu/vfs"
)

var testEngine *cpu.Engine

func TestMain(m *testing.M) {
	eng, err := NewEngine(context.Background(), cpu.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	testEngine = eng
	code := m.Run()
	plugintest.Cleanup()
	_ = eng.Close(context.Background())
	os.Exit(code)
}

// rig is a cluster with its output and trace captured.
type rig struct {
	*Cluster
	out   bytes.Buffer
	trace bytes.Buffer
	jsonl *trace.JSONL
	fails []string
}

func newRig(t testing.TB, cfg Config) *rig {
	t.Helper()
	r := &rig{}
	r.jsonl = trace.NewJSONL(&r.trace)
	cfg.Tracer = trace.New(r.jsonl)
	cfg.Engine = testEngine
	cfg.Output = func(g GID, prog string, stream int, data []byte) {
		fmt.Fprintf(&r.out, "[%s %s %d] %s", g, prog, stream, data)
	}
	cfg.Failed = func(g GID, prog string, err error) {
		r.fails = append(r.fails, fmt.Sprintf("%s %s: %v", g, prog, err))
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r.Cluster = c
	return r
}

func guest(t testing.TB, name string) []byte {
	t.Helper()
	for _, p := range []string{filepath.Join("..", "guests", name+".wasm"), filepath.Join("testdata", name+".wasm")} {
		if b, err := os.ReadFile(p); err == nil {
			return b
		}
	}
	t.Skipf("guest %s.wasm not built", name)
	return nil
}

func (r *rig) load(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := r.Load(n, guest(t, n)); err != nil {
			t.Fatal(err)
		}
	}
}

func (r *rig) run(t testing.TB) {
	t.Helper()
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, r.out.String())
	}
	if err := r.jsonl.Flush(); err != nil {
		t.Fatal(err)
	}
}

func (r *rig) proc(t testing.TB, g GID) ProcessSummary {
	t.Helper()
	for _, c := range r.Summary().Computers {
		for _, p := range c.Processes {
			if p.GID == g {
				return p
			}
		}
	}
	t.Fatalf("no process %s in the summary", g)
	return ProcessSummary{}
}

func TestHello(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(1, 1), Seed: 1})
	r.load(t, "hello")
	g, err := r.Spawn(0, "hello", []string{"hello", "a b"}, []string{"K=V"})
	if err != nil {
		t.Fatal(err)
	}
	if g.String() != "c0:2" {
		t.Fatalf("first guest is %s, want c0:2 (pid 1 is init)", g)
	}
	r.run(t)
	out := r.out.String()
	for _, want := range []string{"[c0:2 hello 1] hello, world from hello", "arg[1] = a b", "env K=V"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	p := r.proc(t, g)
	if p.ExitCode != 0 || p.Status != 0 || p.State != "dead" || p.Syscalls == 0 {
		t.Fatalf("hello summary %+v", p)
	}
	if r.Live() != 0 {
		t.Fatalf("%d processes still live", r.Live())
	}
}

func TestDriverSpawnsAcrossComputersAndWaits(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(3, 1), Seed: 7})
	r.load(t, "driver", "alice", "bob")
	g, err := r.Spawn(0, "driver", []string{"driver", "2"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.run(t)
	out := r.out.String()
	for _, want := range []string{
		"driver: started alice as c1:2",
		"driver: started bob as c2:2",
		"[c1:2 alice 1] alice: 2/2, virtual time 2.000",
		"[c2:2 bob 1]",
		"driver: alice (c1:2) ended: exit 0",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if p := r.proc(t, g); p.ExitCode != 0 {
		t.Fatalf("driver: %+v\n%s", p, out)
	}
	// alice sleeps a virtual second per tick: the run takes ≥ 2 s.
	if now := r.Now(); now < vtime.Time(2e9) {
		t.Fatalf("run ended at %v, want ≥ 2s of virtual time", now)
	}
}

func TestBadInputs(t *testing.T) {
	r := newRig(t, Config{Computers: []ComputerConfig{{Cores: 1, Memory: 4 << 20}}, Seed: 1})
	r.load(t, "hello")
	// Load-time failures: one line naming the program and the cause.
	for _, tc := range []struct {
		name string
		wasm []byte
		want string
	}{
		{"notwasm", []byte("#!/bin/sh\necho hi\n"), "not a WebAssembly binary"},
		{"garbage", append([]byte("\x00asm\x01\x00\x00\x00"), 0xff, 0xff, 0xff), "notwasm"},
	} {
		err := r.Load(tc.name, tc.wasm)
		if err == nil {
			t.Fatalf("%s loaded", tc.name)
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") || !strings.Contains(msg, tc.name) {
			t.Errorf("%s: error is not one line naming the program: %q", tc.name, msg)
		}
		if tc.name == "notwasm" && !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q lacks the cause %q", tc.name, msg, tc.want)
		}
	}
	if err := r.Load("unknownimport", guest(t, "unknownimport")); err == nil ||
		!strings.Contains(err.Error(), "unknownimport") || !strings.Contains(err.Error(), "env.no_such_function") {
		t.Errorf("unknown import: %v: want an error naming the program and the import", err)
	}
	// Start-time failures.
	r.load(t, "bigmem", "trap", "grow")
	for _, tc := range []struct{ prog, want string }{
		{"bigmem", "memory"},
	} {
		_, err := r.Spawn(0, tc.prog, nil, nil)
		if err == nil {
			t.Fatalf("%s started", tc.prog)
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, tc.prog) || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: error %q: want one line naming the program and %q", tc.prog, msg, tc.want)
		}
	}
	if _, err := r.Spawn(0, "bigmem", nil, nil); !errors.Is(err, vfs.ENOMEM) {
		t.Errorf("over the memory limit: %v, want ENOMEM", err)
	}
	if _, err := r.Spawn(0, "nosuch", nil, nil); !errors.Is(err, vfs.ENOENT) {
		t.Errorf("unknown program: %v, want ENOENT", err)
	}
	// Run-time failures, with a healthy process alongside.
	trap, _ := r.Spawn(0, "trap", nil, nil)
	grow, _ := r.Spawn(0, "grow", nil, nil)
	hello, _ := r.Spawn(0, "hello", nil, nil)
	r.run(t)
	if p := r.proc(t, hello); p.ExitCode != 0 {
		t.Errorf("hello did not survive its neighbours: %+v", p)
	}
	if p := r.proc(t, trap); p.Status&0x7f != kernel.SIGSEGV || p.Error == "" {
		t.Errorf("trap: %+v", p)
	}
	if len(r.fails) != 1 || !strings.Contains(r.fails[0], "trap") || strings.Contains(r.fails[0], "\n") {
		t.Errorf("failures reported: %q", r.fails)
	}
	// 4 MiB limit, 1 page to start, 16 pages per grow: at most 3 grows fit
	// (the hello and trap instances hold memory too while they live).
	if p := r.proc(t, grow); p.ExitCode < 1 || p.ExitCode > 3 || p.PeakMemory > 4<<20 {
		t.Errorf("grow: exit %d (successful grows), peak %d: want 1..3 within 4 MiB", p.ExitCode, p.PeakMemory)
	}
}

func TestHostModuleSelf(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(2, 1), Seed: 1})
	r.load(t, "selfinfo")
	g, err := r.Spawn(1, "selfinfo", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.run(t)
	if p := r.proc(t, g); p.ExitCode != (2<<4 | 1) {
		t.Fatalf("selfinfo exit %d (%s), want %d: pid 2 on computer 1", p.ExitCode, p.Error, 2<<4|1)
	}
}

func TestProcessLimit(t *testing.T) {
	r := newRig(t, Config{Computers: []ComputerConfig{{MaxProcs: 2}}, Seed: 1})
	r.load(t, "hello")
	for i := 0; i < 2; i++ {
		if _, err := r.Spawn(0, "hello", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Spawn(0, "hello", nil, nil); !errors.Is(err, vfs.EAGAIN) {
		t.Fatalf("third spawn: %v, want EAGAIN", err)
	}
	r.run(t)
	// Reaped by init, the slots are free again.
	if _, err := r.Spawn(0, "hello", nil, nil); err != nil {
		t.Fatalf("spawn after the others exited: %v", err)
	}
	r.run(t)
}

func TestYieldSwitches(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(1, 1), Seed: 1})
	r.load(t, "yield")
	a, _ := r.Spawn(0, "yield", nil, nil)
	b, _ := r.Spawn(0, "yield", nil, nil)
	r.run(t)
	for _, g := range []GID{a, b} {
		if p := r.proc(t, g); p.ExitCode != 0 || p.Switches != 4 {
			t.Errorf("%s: exit %d, %d switches: want 0 and 4 (3 yields + exit)", g, p.ExitCode, p.Switches)
		}
	}
	// The two alternate: a, b, a, b, ...
	var order []string
	for _, line := range strings.Split(r.trace.String(), "\n") {
		if strings.Contains(line, `"kind":"run"`) {
			order = append(order, line[strings.Index(line, `"pid":`):][:7])
		}
	}
	if len(order) != 8 || order[0] == order[1] || order[0] != order[2] {
		t.Fatalf("run order %v: want 8 alternating slices", order)
	}
}

func TestCoresRunInTheSameInstant(t *testing.T) {
	const k = 3
	r := newRig(t, Config{Computers: Uniform(1, k), Seed: 1})
	r.load(t, "hello")
	for i := 0; i < k; i++ {
		if _, err := r.Spawn(0, "hello", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	r.run(t)
	cpus := map[string]bool{}
	for _, line := range strings.Split(r.trace.String(), "\n") {
		if strings.HasPrefix(line, `{"t":0,`) && strings.Contains(line, `"kind":"run"`) {
			cpus[line[strings.Index(line, `"cpu":`):][:7]] = true
		}
	}
	if len(cpus) != k {
		t.Fatalf("%d vCPUs started a process at t=0, want %d:\n%s", len(cpus), k, r.trace.String())
	}
}

// bootTrio runs the classic driver/alice/bob plus hello on 3 computers
// with 2 cores and returns trace and output.
func bootTrio(t *testing.T) (string, string) {
	r := newRig(t, Config{Computers: Uniform(3, 2), Seed: 42})
	r.load(t, "driver", "alice", "bob", "hello")
	if _, err := r.Spawn(-1, "driver", []string{"driver", "2"}, nil); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := r.Spawn(-1, "hello", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	r.run(t)
	return r.trace.String(), r.out.String()
}

func TestDeterminism(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	t1, o1 := bootTrio(t)
	runtime.GOMAXPROCS(2)
	t2, o2 := bootTrio(t)
	t3, o3 := bootTrio(t)
	if t1 != t2 || t2 != t3 {
		t.Fatalf("traces differ between runs (GOMAXPROCS 1 vs 2)")
	}
	if o1 != o2 || o2 != o3 {
		t.Fatalf("outputs differ:\n%s\n----\n%s", o1, o2)
	}
	if !strings.Contains(t1, `"kind":"switch"`) || !strings.Contains(t1, `"kind":"exit"`) {
		t.Fatalf("trace lacks switch/exit events:\n%s", t1)
	}
}

func TestDeadlockAndLimit(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(1, 1), Seed: 1, Limit: 1_500_000_000})
	r.load(t, "alice")
	g, _ := r.Spawn(0, "alice", []string{"alice", "5"}, nil)
	err := r.Run(context.Background())
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("run: %v, want ErrLimit", err)
	}
	if p := r.proc(t, g); p.Status&0x7f != kernel.SIGKILL {
		t.Fatalf("alice after the limit: %+v", p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r2 := newRig(t, Config{Computers: Uniform(1, 1), Seed: 1})
	r2.load(t, "alice")
	r2.Spawn(0, "alice", nil, nil)
	if err := r2.Run(ctx); !errors.Is(err, context.Canceled) || r2.Live() != 0 {
		t.Fatalf("cancelled run: %v, %d live", err, r2.Live())
	}
}

// events parses the rig's JSONL trace.
func (r *rig) events(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.trace.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("trace line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestTimeSharingOneCPU(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(1, 1), Seed: 1, Quantum: 100_000})
	r.load(t, "spin")
	if p, _ := r.Program("spin"); !p.Instrumented() {
		t.Skip("the engine has no rewriter yet: guests cannot be preempted")
	}
	a, _ := r.Spawn(0, "spin", []string{"spin", "2000000"}, nil)
	b, _ := r.Spawn(0, "spin", []string{"spin", "2000000"}, nil)
	r.run(t)
	cpuNs := map[float64]float64{}
	var order []float64
	for _, e := range r.events(t) {
		pid, _ := e["pid"].(float64)
		switch e["kind"] {
		case "run":
			order = append(order, pid)
		case "switch":
			cpuNs[pid] += e["cpu_ns"].(float64)
		}
		if e["kind"] == "exit" {
			break // only while both are alive
		}
	}
	if len(order) < 100 {
		t.Fatalf("only %d slices before the first exit: quantum not enforced?", len(order))
	}
	for i := 1; i < len(order); i++ {
		if order[i] == order[i-1] {
			t.Fatalf("slice %d: pid %v ran twice in a row while the other was ready", i, order[i])
		}
	}
	pa, pb := cpuNs[float64(a.PID())], cpuNs[float64(b.PID())]
	if d := math.Abs(pa-pb) / (pa + pb); d > 0.01 {
		t.Fatalf("CPU split %v vs %v ns: %.2f%% apart, want ≤ 1%%", pa, pb, 100*d)
	}
	if r.proc(t, a).ExitCode != 0 || r.proc(t, b).ExitCode != 0 {
		t.Fatal("spins failed")
	}
}

func TestSpawnAndWaitSemantics(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(2, 1), Seed: 1})
	r.load(t, "waiter", "exit3")
	g, err := r.Spawn(1, "waiter", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.run(t)
	if p := r.proc(t, g); p.ExitCode != 0 {
		t.Fatalf("waiter failed check %d (%s)\n%s", p.ExitCode, p.Error, r.trace.String())
	}
	// The child ran on the waiter's computer, was reaped by it, and the
	// waiter blocked once (for the child) and woke when it exited.
	var kinds []string
	for _, e := range r.events(t) {
		if e["c"] == "c1" && (e["kind"] == "switch" || e["kind"] == "wake" || e["kind"] == "exit") {
			kinds = append(kinds, fmt.Sprintf("%v:%v", e["pid"], e["kind"]))
		}
	}
	if want := "2:switch 3:exit 2:wake 2:exit"; strings.Join(kinds, " ") != want {
		t.Fatalf("c1 events %q, want %q", strings.Join(kinds, " "), want)
	}
}

func TestSharedCodeSaving(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(2, 1), Seed: 1})
	r.load(t, "yield", "exit3")
	for i := 0; i < 4; i++ {
		r.Spawn(-1, "yield", nil, nil)
	}
	r.Spawn(0, "exit3", nil, nil)
	r.run(t)
	var y, e ProgramSummary
	for _, p := range r.Summary().Programs {
		switch p.Name {
		case "yield":
			y = p
		case "exit3":
			e = p
		}
	}
	if y.Spawned != 4 || y.Peak != 4 || y.Saved != 3*int64(y.CodeSize) || y.CodeSize == 0 {
		t.Errorf("yield: %+v: want 4 processes at once saving 3 code images", y)
	}
	if e.Peak != 1 || e.Saved != 0 {
		t.Errorf("exit3: %+v: one process saves nothing", e)
	}
	var buf strings.Builder
	if err := r.Summary().WriteTable(&buf); err != nil || !strings.Contains(buf.String(), "SHARED CODE SAVED") {
		t.Errorf("summary table: %v\n%s", err, buf.String())
	}
}

func TestEverySchedulerRunsToCompletion(t *testing.T) {
	for _, name := range sched.Names() {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, Config{Computers: Uniform(2, 2), Seed: 3, Sched: name})
			r.load(t, "yield", "waiter", "exit3")
			var gids []GID
			for i := 0; i < 5; i++ {
				g, err := r.Spawn(-1, "yield", nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				gids = append(gids, g)
			}
			w, _ := r.Spawn(0, "waiter", nil, nil)
			r.run(t)
			for _, g := range gids {
				if p := r.proc(t, g); p.ExitCode != 0 || p.Switches != 4 {
					t.Errorf("%s: %+v", g, p)
				}
			}
			if p := r.proc(t, w); p.ExitCode != 0 {
				t.Errorf("waiter failed check %d", p.ExitCode)
			}
			if !strings.Contains(r.trace.String(), `"sched":"`+name+`"`) {
				t.Errorf("boot events do not name the policy %s", name)
			}
		})
	}
	if _, err := New(Config{Computers: Uniform(1, 1), Sched: "nosuch", Engine: testEngine}); err == nil || !strings.Contains(err.Error(), "rr") {
		t.Fatalf("unknown scheduler: %v: want an error listing the built-ins", err)
	}
}
