package kernel_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"dosemu/emulator"
	"dosemu/emulator/cpu"
	"dosemu/emulator/trace"
	"dosemu/kernel"
)

var (
	engOnce sync.Once
	engErr  error
	eng     *cpu.Engine
)

func testEngine(t testing.TB) *cpu.Engine {
	t.Helper()
	engOnce.Do(func() { eng, engErr = emulator.NewEngine(context.Background(), cpu.Config{}) })
	if engErr != nil {
		t.Fatal(engErr)
	}
	return eng
}

// procRig is a cluster with its output (one line per write, prefixed
// with the writer) and its trace kept.
type procRig struct {
	*emulator.Cluster
	out   bytes.Buffer
	plain map[emulator.GID]*bytes.Buffer // each process's output, unprefixed
	trace bytes.Buffer
	jsonl *trace.JSONL
	fails []string
}

func newProcRig(t testing.TB, computers int, mod func(*emulator.Config)) *procRig {
	t.Helper()
	r := &procRig{plain: map[emulator.GID]*bytes.Buffer{}}
	r.jsonl = trace.NewJSONL(&r.trace)
	cfg := emulator.Config{
		Computers: emulator.Uniform(computers, 1), Seed: 5, Engine: testEngine(t),
		Tracer: trace.New(r.jsonl),
		Output: func(g emulator.GID, prog string, stream int, data []byte) {
			fmt.Fprintf(&r.out, "[%s %s %d] %s", g, prog, stream, data)
			if r.plain[g] == nil {
				r.plain[g] = &bytes.Buffer{}
			}
			r.plain[g].Write(data)
		},
		Failed: func(g emulator.GID, prog string, err error) {
			r.fails = append(r.fails, fmt.Sprintf("%s %s: %v", g, prog, err))
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	r.Cluster = c
	return r
}

// guestFile finds a module in kernel/testdata or guests/.
func guestFile(t testing.TB, name string) []byte {
	t.Helper()
	for _, p := range []string{filepath.Join("testdata", name+".wasm"), filepath.Join("..", "guests", name+".wasm"),
		filepath.Join("..", "guests", "proc", name+".wasm")} {
		if b, err := os.ReadFile(p); err == nil {
			return b
		}
	}
	t.Fatalf("guest %s.wasm not found", name)
	return nil
}

func (r *procRig) load(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if err := r.Load(n, guestFile(t, n)); err != nil {
			t.Fatal(err)
		}
	}
}

func (r *procRig) run(t testing.TB) {
	t.Helper()
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, r.out.String())
	}
	if err := r.jsonl.Flush(); err != nil {
		t.Fatal(err)
	}
}

func (r *procRig) spawn(t testing.TB, comp int, prog string, args ...string) emulator.GID {
	t.Helper()
	g, err := r.Spawn(comp, prog, append([]string{prog}, args...), nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (r *procRig) wantOut(t testing.TB, lines ...string) {
	t.Helper()
	var all strings.Builder
	for g := range r.plain {
		all.WriteString(r.plain[g].String())
		all.WriteString("\n")
	}
	for _, l := range lines {
		if !strings.Contains(all.String(), l) {
			t.Errorf("output lacks %q:\n%s", l, r.out.String())
		}
	}
}

type event struct {
	T    int64          `json:"t"`
	C    string         `json:"c"`
	PID  int            `json:"pid"`
	Kind string         `json:"kind"`
	F    map[string]any `json:"-"`
	raw  map[string]any
}

func (r *procRig) events(t testing.TB) []event {
	t.Helper()
	var out []event
	sc := bufio.NewScanner(bytes.NewReader(r.trace.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("trace line %q: %v", sc.Text(), err)
		}
		_ = json.Unmarshal(sc.Bytes(), &e.raw)
		out = append(out, e)
	}
	return out
}

func TestPipeLocal(t *testing.T) {
	r := newProcRig(t, 1, nil)
	r.load(t, "proctest")
	r.spawn(t, 0, "proctest", "local")
	r.run(t)
	r.wantOut(t, "local: read 10 'hello pipe' then 0", "local: write without reader: -1 Broken pipe")
}

func TestPipeToChildSameAndOtherComputer(t *testing.T) {
	const n = 300_000 // several times the pipe's capacity
	for _, comp := range []int{0, 1} {
		t.Run(fmt.Sprintf("sink-on-c%d", comp), func(t *testing.T) {
			r := newProcRig(t, 2, nil)
			r.load(t, "proctest")
			r.spawn(t, 0, "proctest", "transfer", fmt.Sprint(comp), fmt.Sprint(n))
			r.run(t)
			// The pattern's checksum, computed as the sink does.
			var sum uint32
			for i := 0; i < n; i++ {
				sum = sum*31 + uint32('a'+i%26)
			}
			r.wantOut(t, fmt.Sprintf("sink: %d bytes, sum %d, end eof", n, sum), "transfer: sink: exit 0")
			if len(r.fails) > 0 {
				t.Fatalf("failures: %v", r.fails)
			}
			msgs := strings.Count(r.trace.String(), `"what":"pipe.`)
			if comp == 1 && msgs == 0 {
				t.Errorf("a pipe to another computer sent no pipe messages")
			}
			if comp == 0 && msgs != 0 {
				t.Errorf("a local pipe sent %d network messages", msgs)
			}
		})
	}
}

func TestPipelineAcrossComputers(t *testing.T) {
	r := newProcRig(t, 3, nil)
	r.load(t, "proctest", "producer", "filter", "consumer")
	r.spawn(t, 0, "proctest", "shell")
	r.run(t)
	// Items 1..50, even ones kept: 2,4,...,50; sum of squares = 4*(1²+..+25²).
	r.wantOut(t, "consumer: 25 items, sum of squares 22100", "shell: producer: exit 0", "shell: filter: exit 0",
		"shell: consumer: exit 0", "producer: wrote 50 items", "filter: 50 lines in, 25 out")
	if !strings.Contains(r.out.String(), "[c1:2 producer 2]") || !strings.Contains(r.out.String(), "[c2:2 filter 2]") {
		t.Errorf("the stages did not run on c1 and c2:\n%s", r.out.String())
	}
}

func TestPipeDeterministic(t *testing.T) {
	var first string
	for i := 0; i < 2; i++ {
		r := newProcRig(t, 3, nil)
		r.load(t, "proctest", "producer", "filter", "consumer")
		r.spawn(t, 0, "proctest", "shell")
		r.run(t)
		got := r.out.String() + r.trace.String()
		if i == 0 {
			first = got
		} else if got != first {
			t.Fatalf("two runs of the same pipeline differ")
		}
	}
}

func TestSignals(t *testing.T) {
	r := newProcRig(t, 1, nil)
	r.load(t, "proctest")
	g := r.spawn(t, 0, "proctest", "signals")
	r.run(t)
	r.wantOut(t,
		"signals: victim after SIGINT: alive",
		"victim: caught 15",
		"signals: victim: exit 42",
		"signals: spinner: signal 9",
		"signals: kill reaped: No such process",
		"signals: bad signal: Invalid argument; catch SIGKILL: Invalid argument; bad handler: Invalid argument",
	)
	if strings.Contains(r.out.String(), "not reached") {
		t.Errorf("a process that sent itself SIGTERM went on")
	}
	k := r.Kernel(0)
	if p := k.Records()[g.PID()-1]; p.Status() != kernel.SIGTERM {
		t.Errorf("signals ended with status %d, want %d (SIGTERM)", p.Status(), kernel.SIGTERM)
	}
	// The spinner gets no slice between its stop and its continue.
	var spin int
	var stopAt, contAt int64 = -1, -1
	ev := r.events(t)
	for _, e := range ev {
		if e.Kind == "spawn" && fmt.Sprint(e.raw["args"]) == "[proctest spin]" {
			spin = e.PID
		}
		if e.PID == spin && spin != 0 && e.Kind == "stop" && stopAt < 0 {
			stopAt = e.T
		}
		if e.PID == spin && spin != 0 && e.Kind == "cont" {
			contAt = e.T
		}
	}
	if spin == 0 || stopAt < 0 || contAt <= stopAt {
		t.Fatalf("trace lacks the spinner's stop and cont (pid %d, stop %d, cont %d)", spin, stopAt, contAt)
	}
	if contAt-stopAt < 25_000_000 {
		t.Errorf("stopped for %d ns, the guest slept 30 ms", contAt-stopAt)
	}
	for _, e := range ev {
		if e.PID == spin && e.Kind == "run" && e.T > stopAt && e.T < contAt {
			t.Errorf("stopped spinner ran at %d (stopped %d..%d)", e.T, stopAt, contAt)
		}
	}
}

func TestExec(t *testing.T) {
	r := newProcRig(t, 1, nil)
	r.load(t, "proctest")
	g := r.spawn(t, 0, "proctest", "exec")
	r.run(t)
	r.wantOut(t, "exec: nosuch: No such file or directory",
		fmt.Sprintf("exec: %s execs", g),
		fmt.Sprintf("execd %s: kept fd at eof, cloexec fd Bad file descriptor", g))
	p := r.Kernel(0).Records()[g.PID()-1]
	if p.ExitCode() != 7 {
		t.Fatalf("exec'd image exited %d, want 7", p.ExitCode())
	}
	if !strings.Contains(r.trace.String(), `"kind":"exec"`) {
		t.Errorf("trace lacks the exec event")
	}
}

func TestStoppedForeverIsADeadlock(t *testing.T) {
	r := newProcRig(t, 1, nil)
	r.load(t, "proctest")
	r.spawn(t, 0, "proctest", "stopforever")
	err := r.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "deadlock") || !strings.Contains(err.Error(), "c0:3") {
		t.Fatalf("run: %v; want a deadlock naming the stopped c0:3", err)
	}
	if r.Live() != 0 {
		t.Fatalf("%d processes left alive", r.Live())
	}
}
