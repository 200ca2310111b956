package trace

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"dosemu/emulator/vtime"
)

type chromeEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`
	Dur  float64        `json:"dur"`
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	ID   string         `json:"id"`
	Args map[string]any `json:"args"`
}

func export(t *testing.T, events []Event) ([]chromeEvent, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := WritePerfetto(&buf, events); err != nil {
		t.Fatalf("WritePerfetto: %v", err)
	}
	var doc struct {
		DisplayTimeUnit string        `json:"displayTimeUnit"`
		TraceEvents     []chromeEvent `json:"traceEvents"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("output is not valid JSON: %v\n%s", err, buf.Bytes())
	}
	return doc.TraceEvents, buf.Bytes()
}

// twoOnOneCPU is two processes time-sharing cpu 0 of c0 while c1 runs a
// third, the shape of a small boot.
func twoOnOneCPU() []Event {
	ev := func(t vtime.Time, c string, cpu, pid int, kind string, f map[string]any) Event {
		return Event{T: t, Computer: c, CPU: cpu, PID: pid, Kind: kind, Fields: f}
	}
	return []Event{
		ev(0, "", -1, 0, "boot", map[string]any{"computers": 2}),
		ev(0, "c0", -1, 1, "spawn", map[string]any{"prog": "spin"}),
		ev(0, "c0", -1, 2, "spawn", map[string]any{"prog": "hello"}),
		ev(0, "c1", -1, 1, "spawn", map[string]any{"prog": "alice"}),
		ev(0, "c0", 0, 1, "run", nil),
		ev(0, "c1", 0, 1, "run", nil),
		ev(1500, "c1", 0, 1, "syscall", map[string]any{"name": "fd_write"}),
		ev(2000, "c1", 0, 1, "exit", map[string]any{"code": 0}),
		ev(10000, "c0", 0, 1, "switch", map[string]any{"reason": "preempt"}),
		ev(10000, "c0", 0, 2, "run", nil),
		ev(12345, "c0", 0, 2, "exit", map[string]any{"code": 3}),
		ev(12345, "c0", 0, 1, "run", map[string]any{"dur": 5000}),
		ev(17345, "c0", 0, 1, "exit", map[string]any{"code": 0}),
	}
}

func TestPerfettoSlices(t *testing.T) {
	got, _ := export(t, twoOnOneCPU())
	type slice struct {
		name     string
		pid, tid int
		ts, dur  float64
	}
	var slices []slice
	for _, e := range got {
		if e.Ph == "X" && e.Cat == "run" {
			slices = append(slices, slice{e.Name, e.Pid, e.Tid, e.Ts, e.Dur})
		}
	}
	want := []slice{
		{"alice", 2, 0, 0, 2},
		{"spin", 1, 0, 0, 10},
		{"hello", 1, 0, 10, 2.345},
		{"spin", 1, 0, 12.345, 5},
	}
	if len(slices) != len(want) {
		t.Fatalf("got %d run slices %+v, want %d %+v", len(slices), slices, len(want), want)
	}
	for i := range want {
		if slices[i] != want[i] {
			t.Errorf("slice %d = %+v, want %+v", i, slices[i], want[i])
		}
	}
}

func TestPerfettoTracksAndInstants(t *testing.T) {
	got, _ := export(t, twoOnOneCPU())
	procNames := map[int]string{}
	threadNames := map[[2]int]string{}
	instants := map[string]int{}
	for _, e := range got {
		switch {
		case e.Ph == "M" && e.Name == "process_name":
			procNames[e.Pid] = e.Args["name"].(string)
		case e.Ph == "M" && e.Name == "thread_name":
			threadNames[[2]int{e.Pid, e.Tid}] = e.Args["name"].(string)
		case e.Ph == "i":
			instants[e.Name]++
		}
	}
	wantProcs := map[int]string{1: "c0", 2: "c1", 3: "cluster"}
	for pid, n := range wantProcs {
		if procNames[pid] != n {
			t.Errorf("process track %d named %q, want %q (all: %v)", pid, procNames[pid], n, procNames)
		}
	}
	if threadNames[[2]int{1, 0}] != "cpu 0" || threadNames[[2]int{1, kernelTid}] != "kernel" {
		t.Errorf("thread names = %v", threadNames)
	}
	for kind, n := range map[string]int{"spawn": 3, "exit": 3, "syscall": 1, "boot": 1, "switch": 1} {
		if instants[kind] != n {
			t.Errorf("%d %q instants, want %d (all: %v)", instants[kind], kind, n, instants)
		}
	}
}

func TestPerfettoRunQueueCounter(t *testing.T) {
	got, _ := export(t, twoOnOneCPU())
	var c0 []float64
	for _, e := range got {
		if e.Ph == "C" && e.Name == "runqueue" && e.Pid == 1 {
			c0 = append(c0, e.Args["ready"].(float64))
		}
	}
	// spawn 1 -> 1, spawn 2 -> 2, run 1 -> 1, preempt 1 -> 2, run 2 -> 1,
	// run 1 -> 0.
	want := []float64{1, 2, 1, 2, 1, 0}
	if len(c0) != len(want) {
		t.Fatalf("runqueue samples %v, want %v", c0, want)
	}
	for i := range want {
		if c0[i] != want[i] {
			t.Fatalf("runqueue samples %v, want %v", c0, want)
		}
	}
}

func TestPerfettoReportedRunQueue(t *testing.T) {
	events := []Event{
		{T: 0, Computer: "c0", CPU: -1, PID: 1, Kind: "spawn", Fields: map[string]any{"runq": 1}},
		{T: 5, Computer: "c0", CPU: 0, PID: 1, Kind: "run", Fields: map[string]any{"runq": 0}},
		{T: 6, Computer: "c0", CPU: 0, PID: 1, Kind: "syscall", Fields: map[string]any{"runq": 0}},
	}
	got, _ := export(t, events)
	var samples []float64
	for _, e := range got {
		if e.Ph == "C" {
			samples = append(samples, e.Args["ready"].(float64))
		}
	}
	if len(samples) != 2 || samples[0] != 1 || samples[1] != 0 {
		t.Fatalf("reported runqueue samples %v, want [1 0]", samples)
	}
}

func TestPerfettoFlows(t *testing.T) {
	events := []Event{
		{T: 100, Computer: "c0", CPU: 0, PID: 3, Kind: "send", Fields: map[string]any{"flow": 7, "flow_phase": "start", "bytes": 64}},
		{T: 900, Computer: "c2", CPU: -1, PID: 0, Kind: "deliver", Fields: map[string]any{"flow": 7, "flow_phase": "end"}},
	}
	got, _ := export(t, events)
	var s, f *chromeEvent
	for i := range got {
		switch got[i].Ph {
		case "s":
			s = &got[i]
		case "f":
			f = &got[i]
		}
	}
	if s == nil || f == nil {
		t.Fatalf("missing flow start or end in %+v", got)
	}
	if s.ID != "7" || f.ID != "7" || s.Pid != 1 || f.Pid != 2 || s.Ts != 0.1 || f.Ts != 0.9 {
		t.Errorf("flow = %+v -> %+v", *s, *f)
	}
	if f.Name != "send" {
		t.Errorf("flow end named %q, want the start's kind %q", f.Name, "send")
	}
}

func TestPerfettoOpenSliceClosedAtEnd(t *testing.T) {
	events := []Event{
		{T: 0, Computer: "c0", CPU: 1, PID: 4, Kind: "run"},
		{T: 4000, Computer: "c0", CPU: -1, PID: 0, Kind: "halt"},
	}
	got, _ := export(t, events)
	for _, e := range got {
		if e.Ph == "X" && e.Name == "pid 4" {
			if e.Dur != 4 || e.Tid != 1 {
				t.Fatalf("open slice closed as %+v, want dur 4us on tid 1", e)
			}
			return
		}
	}
	t.Fatalf("no slice for the process still running at the end: %+v", got)
}

func TestPerfettoDeterministic(t *testing.T) {
	_, a := export(t, twoOnOneCPU())
	_, b := export(t, twoOnOneCPU())
	if !bytes.Equal(a, b) {
		t.Fatal("two exports of the same events differ")
	}
	if strings.Contains(string(a), "e+") {
		t.Error("timestamps written in exponent form; want fixed-point")
	}
}

func TestPerfettoEmpty(t *testing.T) {
	got, _ := export(t, nil)
	if len(got) != 0 {
		t.Fatalf("empty trace exported %d events", len(got))
	}
}

func TestPerfettoUnencodableField(t *testing.T) {
	events := []Event{{T: 1, Computer: "c0", CPU: 0, PID: 1, Kind: "syscall", Fields: map[string]any{"bad": func() {}}}}
	got, _ := export(t, events)
	for _, e := range got {
		if e.Ph == "i" && e.Name == "syscall" {
			if _, ok := e.Args["error"]; !ok {
				t.Fatalf("unencodable args not reported: %+v", e)
			}
			return
		}
	}
	t.Fatal("event with unencodable args dropped")
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestPerfettoWriteError(t *testing.T) {
	err := WritePerfetto(failWriter{}, twoOnOneCPU())
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("WritePerfetto to a failing writer = %v, want the write error", err)
	}
}

func TestNaturalLess(t *testing.T) {
	if !naturalLess("c2", "c10") || naturalLess("c10", "c2") || !naturalLess("a", "b") {
		t.Fatal("naturalLess misorders computer names")
	}
}

func TestUsec(t *testing.T) {
	for in, want := range map[vtime.Time]string{0: "0.000", 1: "0.001", 1234567: "1234.567", -5: "-0.005"} {
		if got := usec(in); string(got) != want {
			t.Errorf("usec(%d) = %s, want %s", in, got, want)
		}
	}
}

func BenchmarkWritePerfetto(b *testing.B) {
	var events []Event
	for i := 0; i < 10000; i++ {
		t := vtime.Time(i * 1000)
		events = append(events,
			Event{T: t, Computer: "c0", CPU: i % 4, PID: i%16 + 1, Kind: "run"},
			Event{T: t + 500, Computer: "c0", CPU: i % 4, PID: i%16 + 1, Kind: "syscall", Fields: map[string]any{"name": "fd_write"}},
			Event{T: t + 900, Computer: "c0", CPU: i % 4, PID: i%16 + 1, Kind: "switch", Fields: map[string]any{"reason": "preempt"}},
		)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := WritePerfetto(ioDiscard{}, events); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(events)), "events/op")
}

type ioDiscard struct{}

func (ioDiscard) Write(p []byte) (int, error) { return len(p), nil }

// The kernel runs whole slices one vCPU after another, so a trace can go
// back in time between vCPUs; the export must still pair each slice and
// order the counter samples by time.
func TestPerfettoInterleavedCPUs(t *testing.T) {
	events := []Event{
		{T: 0, Computer: "c0", CPU: 0, PID: 2, Kind: "run", Fields: map[string]any{"prog": "a", "runq": 1}},
		{T: 1000, Computer: "c0", CPU: 0, PID: 2, Kind: "switch", Fields: map[string]any{"runq": 2}},
		{T: 0, Computer: "c0", CPU: 1, PID: 3, Kind: "run", Fields: map[string]any{"prog": "b", "runq": 0}},
		{T: 700, Computer: "c0", CPU: 1, PID: 3, Kind: "exit", Fields: map[string]any{"runq": 2}},
	}
	got, _ := export(t, events)
	var slices []string
	var ts []float64
	for _, e := range got {
		if e.Ph == "X" {
			slices = append(slices, e.Name+"@"+usecString(e.Ts)+"+"+usecString(e.Dur))
		}
		if e.Ph == "C" {
			ts = append(ts, e.Ts)
		}
	}
	want := []string{"b@0+0.7", "a@0+1"}
	if strings.Join(slices, " ") != strings.Join(want, " ") {
		t.Errorf("slices %v, want %v", slices, want)
	}
	for i := 1; i < len(ts); i++ {
		if ts[i] < ts[i-1] {
			t.Fatalf("counter samples out of time order: %v", ts)
		}
	}
	if events[2].T != 0 || events[1].T != 1000 {
		t.Fatal("WritePerfetto reordered its input")
	}
}

func usecString(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
