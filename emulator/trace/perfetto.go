package trace

// Perfetto export.
//
// WritePerfetto turns a recorded run into the Chrome trace-event JSON
// format ({"traceEvents":[...]}) that ui.perfetto.dev and chrome://tracing
// open. The mapping:
//
//   - each computer is a process track (named "c0", "c1", ... and sorted by
//     computer index); cluster-wide events (empty Computer) go to a last
//     process track named "cluster";
//   - each virtual CPU is a thread track "cpu N" of its computer; events
//     not on a CPU (CPU < 0) go to a "kernel" thread track of the computer;
//   - a process occupying a CPU is a complete ("X") slice named after its
//     program, from its "run" event to the next event on that CPU that ends
//     the slice (switch, preempt, yield, block, exit, trap, kill, idle,
//     migrate, or another run). A "run" event that carries a numeric "dur"
//     field (virtual ns) gives its slice's length directly;
//   - every other event is an instant ("i") on its track, with the event's
//     fields as args;
//   - the run-queue length of each computer is a counter ("C") track
//     "runqueue": taken from a numeric "runq" field when events carry one,
//     otherwise derived from process states (see runQueue below);
//   - messages and migrations are flow arrows: an event with a numeric
//     "flow" field and a "flow_phase" of "start" begins an arrow, one with
//     the same "flow" and "flow_phase" "end" finishes it. Both ends are
//     drawn as 1 ns slices so the arrow has something to bind to.
//
// Program names come from "spawn", "exec" and "run" events (field "prog",
// else "name"); a process never named is shown as "pid N".
//
// Timestamps are virtual: the format counts microseconds, so a virtual ns
// is written as a fixed-point decimal with three fractional digits, which
// is exact. The output is a pure function of the events: same events, same
// bytes. Cost: O(n log n) in the number of events for sorting the tracks,
// O(n) otherwise; the output is streamed, one JSON object per line.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"dosemu/emulator/vtime"
)

// perfettoEvent is one Chrome trace event. Field order is fixed by the
// struct, and encoding/json sorts Args' keys, so encoding is deterministic.
type perfettoEvent struct {
	Name  string         `json:"name"`
	Cat   string         `json:"cat,omitempty"`
	Ph    string         `json:"ph"`
	Ts    json.Number    `json:"ts"`
	Dur   json.Number    `json:"dur,omitempty"`
	Pid   int            `json:"pid"`
	Tid   int            `json:"tid"`
	S     string         `json:"s,omitempty"`
	ID    string         `json:"id,omitempty"`
	Bp    string         `json:"bp,omitempty"`
	Color string         `json:"cname,omitempty"`
	Args  map[string]any `json:"args,omitempty"`
}

// kernelTid is the thread track for events that happen off any CPU. It is
// placed after the CPUs so the CPU tracks keep their natural numbering.
const kernelTid = 1 << 20

// sliceEnders are the kinds that end whatever runs on the event's CPU.
var sliceEnders = map[string]bool{
	"switch": true, "preempt": true, "yield": true, "block": true,
	"exit": true, "trap": true, "kill": true, "idle": true,
	"migrate": true, "stop": true, "run": true,
}

type cpuKey struct {
	c   string
	cpu int
}

type procKey struct {
	c   string
	pid int
}

type openSlice struct {
	pid   int
	start vtime.Time
	args  map[string]any
}

// perfettoWriter holds the state of one export.
type perfettoWriter struct {
	w       *bufio.Writer
	err     error
	first   bool
	pids    map[string]int // computer name -> Chrome pid
	names   map[procKey]string
	open    map[cpuKey]*openSlice
	threads map[cpuKey]bool
	rq      *runQueue
	flowCat map[string]string
}

// WritePerfetto writes events as Chrome trace-event JSON to w and returns
// the first write error. Events may come as the kernel emits them, where
// whole slices of different vCPUs interleave (doc/trace.md): they are
// stably sorted by virtual time first, which keeps each vCPU's and each
// process's own order. events itself is not modified.
func WritePerfetto(w io.Writer, events []Event) error {
	events = append([]Event(nil), events...)
	sort.SliceStable(events, func(i, j int) bool { return events[i].T < events[j].T })
	p := &perfettoWriter{
		w:       bufio.NewWriterSize(w, 64<<10),
		first:   true,
		pids:    computerPids(events),
		names:   map[procKey]string{},
		open:    map[cpuKey]*openSlice{},
		threads: map[cpuKey]bool{},
		rq:      newRunQueue(events),
		flowCat: map[string]string{},
	}
	p.raw(`{"displayTimeUnit":"ns","traceEvents":[`)
	p.metadata(events)
	var last vtime.Time
	for _, e := range events {
		p.event(e)
		if e.T > last {
			last = e.T
		}
	}
	// Slices still open when the run ended (Ctrl-C, a deadline) end at the
	// last event's time rather than vanishing from the timeline.
	keys := make([]cpuKey, 0, len(p.open))
	for k := range p.open {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].c != keys[j].c {
			return keys[i].c < keys[j].c
		}
		return keys[i].cpu < keys[j].cpu
	})
	for _, k := range keys {
		p.closeSlice(k, last)
	}
	p.raw("\n]}\n")
	if err := p.w.Flush(); err != nil && p.err == nil {
		p.err = err
	}
	return p.err
}

// computerPids numbers computers in natural order (c2 before c10), then
// gives cluster-wide events the next number.
func computerPids(events []Event) map[string]int {
	seen := map[string]bool{}
	var names []string
	for _, e := range events {
		if !seen[e.Computer] {
			seen[e.Computer] = true
			if e.Computer != "" {
				names = append(names, e.Computer)
			}
		}
	}
	sort.Slice(names, func(i, j int) bool { return naturalLess(names[i], names[j]) })
	pids := make(map[string]int, len(names)+1)
	for i, n := range names {
		pids[n] = i + 1
	}
	if seen[""] {
		pids[""] = len(names) + 1
	}
	return pids
}

// naturalLess orders strings by their non-digit prefix, then by the number
// that follows it, so "c2" < "c10"; ties fall back to plain order.
func naturalLess(a, b string) bool {
	pa, na, oka := splitNum(a)
	pb, nb, okb := splitNum(b)
	if oka && okb && pa == pb && na != nb {
		return na < nb
	}
	return a < b
}

func splitNum(s string) (string, uint64, bool) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) || len(s)-i > 18 {
		return s, 0, false
	}
	n, err := strconv.ParseUint(s[i:], 10, 64)
	return s[:i], n, err == nil
}

// metadata names and orders the tracks up front, so a viewer shows them
// sorted however the events interleave.
func (p *perfettoWriter) metadata(events []Event) {
	type comp struct {
		name string
		pid  int
	}
	comps := make([]comp, 0, len(p.pids))
	for n, pid := range p.pids {
		comps = append(comps, comp{n, pid})
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i].pid < comps[j].pid })
	cpus := map[string][]int{}
	kernel := map[string]bool{}
	for _, e := range events {
		k := cpuKey{e.Computer, e.CPU}
		if e.CPU < 0 {
			kernel[e.Computer] = true
			continue
		}
		if !p.threads[k] {
			p.threads[k] = true
			cpus[e.Computer] = append(cpus[e.Computer], e.CPU)
		}
	}
	for _, c := range comps {
		name := c.name
		if name == "" {
			name = "cluster"
		}
		p.emit(perfettoEvent{Name: "process_name", Ph: "M", Ts: "0", Pid: c.pid, Args: map[string]any{"name": name}})
		p.emit(perfettoEvent{Name: "process_sort_index", Ph: "M", Ts: "0", Pid: c.pid, Args: map[string]any{"sort_index": c.pid}})
		list := cpus[c.name]
		sort.Ints(list)
		for _, cpu := range list {
			p.emit(perfettoEvent{Name: "thread_name", Ph: "M", Ts: "0", Pid: c.pid, Tid: cpu, Args: map[string]any{"name": "cpu " + strconv.Itoa(cpu)}})
			p.emit(perfettoEvent{Name: "thread_sort_index", Ph: "M", Ts: "0", Pid: c.pid, Tid: cpu, Args: map[string]any{"sort_index": cpu}})
		}
		if kernel[c.name] {
			p.emit(perfettoEvent{Name: "thread_name", Ph: "M", Ts: "0", Pid: c.pid, Tid: kernelTid, Args: map[string]any{"name": "kernel"}})
			p.emit(perfettoEvent{Name: "thread_sort_index", Ph: "M", Ts: "0", Pid: c.pid, Tid: kernelTid, Args: map[string]any{"sort_index": kernelTid}})
		}
	}
}

func (p *perfettoWriter) event(e Event) {
	pid := p.pids[e.Computer]
	tid := e.CPU
	if tid < 0 {
		tid = kernelTid
	}
	k := cpuKey{e.Computer, e.CPU}
	if e.Kind == "spawn" || e.Kind == "exec" || e.Kind == "run" {
		if n := progName(e.Fields); n != "" {
			p.names[procKey{e.Computer, e.PID}] = n
		}
	}
	if e.CPU >= 0 && sliceEnders[e.Kind] {
		p.closeSlice(k, e.T)
	}
	if e.Kind == "run" && e.CPU >= 0 {
		if d, ok := number(e.Fields["dur"]); ok && d >= 0 {
			p.emitSlice(e.Computer, e.CPU, e.PID, e.T, e.T.Add(vtime.Duration(d)), e.Fields)
		} else {
			p.open[k] = &openSlice{pid: e.PID, start: e.T, args: e.Fields}
		}
	} else {
		args := instantArgs(e)
		if id, ok := number(e.Fields["flow"]); ok {
			p.flow(e, pid, tid, int64(id), args)
		} else {
			p.emit(perfettoEvent{Name: e.Kind, Cat: "kernel", Ph: "i", Ts: usec(e.T), Pid: pid, Tid: tid, S: "t", Args: args})
		}
	}
	if n, ok := p.rq.update(e); ok {
		p.emit(perfettoEvent{Name: "runqueue", Ph: "C", Ts: usec(e.T), Pid: pid, Args: map[string]any{"ready": n}})
	}
}

// flow draws one end of an arrow: a 1 ns slice carrying the event, and a
// flow event bound to it.
func (p *perfettoWriter) flow(e Event, pid, tid int, id int64, args map[string]any) {
	p.emit(perfettoEvent{Name: e.Kind, Cat: "flow", Ph: "X", Ts: usec(e.T), Dur: "0.001", Pid: pid, Tid: tid, Args: args})
	ph := ""
	switch e.Fields["flow_phase"] {
	case "start":
		ph = "s"
		p.flowCat[strconv.FormatInt(id, 10)] = e.Kind
	case "end":
		ph = "f"
	default:
		return
	}
	sid := strconv.FormatInt(id, 10)
	name := p.flowCat[sid]
	if name == "" {
		name = e.Kind
	}
	p.emit(perfettoEvent{Name: name, Cat: "flow", Ph: ph, Ts: usec(e.T), Pid: pid, Tid: tid, ID: sid, Bp: "e"})
}

func (p *perfettoWriter) closeSlice(k cpuKey, end vtime.Time) {
	s := p.open[k]
	if s == nil {
		return
	}
	delete(p.open, k)
	p.emitSlice(k.c, k.cpu, s.pid, s.start, end, s.args)
}

func (p *perfettoWriter) emitSlice(c string, cpu, pid int, start, end vtime.Time, fields map[string]any) {
	name := p.names[procKey{c, pid}]
	if name == "" {
		name = "pid " + strconv.Itoa(pid)
	}
	args := make(map[string]any, len(fields)+1)
	for k, v := range fields {
		args[k] = v
	}
	args["pid"] = pid
	if c != "" {
		args["gid"] = c + ":" + strconv.Itoa(pid)
	}
	p.emit(perfettoEvent{Name: name, Cat: "run", Ph: "X", Ts: usec(start), Dur: usec(vtime.Time(end.Sub(start))), Pid: p.pids[c], Tid: cpu, Args: args})
}

func instantArgs(e Event) map[string]any {
	if len(e.Fields) == 0 && e.PID == 0 {
		return nil
	}
	args := make(map[string]any, len(e.Fields)+1)
	for k, v := range e.Fields {
		args[k] = v
	}
	if e.PID != 0 {
		args["pid"] = e.PID
	}
	return args
}

func progName(f map[string]any) string {
	for _, k := range []string{"prog", "name"} {
		if s, ok := f[k].(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// number accepts the numeric types events carry (Go values from the kernel,
// or float64 after a JSON round trip).
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	case vtime.Duration:
		return float64(n), true
	case vtime.Time:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// usec formats virtual ns as exact fixed-point microseconds.
func usec(t vtime.Time) json.Number {
	n := int64(t)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return json.Number(fmt.Sprintf("%s%d.%03d", sign, n/1000, n%1000))
}

func (p *perfettoWriter) raw(s string) {
	if p.err != nil {
		return
	}
	if _, err := p.w.WriteString(s); err != nil {
		p.err = err
	}
}

func (p *perfettoWriter) emit(ev perfettoEvent) {
	if p.err != nil {
		return
	}
	b, err := json.Marshal(ev)
	if err != nil {
		// Only unencodable field values get here (the kernel promises
		// JSON-encodable ones); keep the event, drop its args.
		ev.Args = map[string]any{"error": "unencodable args: " + err.Error()}
		b, _ = json.Marshal(ev)
	}
	if p.first {
		p.first = false
		p.raw("\n")
	} else {
		p.raw(",\n")
	}
	if p.err == nil {
		if _, err := p.w.Write(b); err != nil {
			p.err = err
		}
	}
}

// runQueue tracks how many processes are ready (runnable but not running)
// on each computer. If any event carries a numeric "runq" field the kernel
// reports the length itself and that is used as is. Otherwise the length
// is derived from process states:
//
//	spawn, wake, ready      -> the process is ready
//	preempt, yield          -> the process is ready again
//	switch with reason "preempt"/"yield"/"quantum" -> ready again
//	run                     -> no longer waiting (running)
//	block, exit, trap, kill, stop, migrate -> gone from the queue
//
// A counter sample is emitted only when the length changes.
type runQueue struct {
	reported bool
	ready    map[procKey]bool
	count    map[string]int
	last     map[string]int
}

func newRunQueue(events []Event) *runQueue {
	q := &runQueue{ready: map[procKey]bool{}, count: map[string]int{}, last: map[string]int{}}
	for _, e := range events {
		if _, ok := number(e.Fields["runq"]); ok {
			q.reported = true
			break
		}
	}
	return q
}

func (q *runQueue) update(e Event) (int, bool) {
	if e.Computer == "" {
		return 0, false
	}
	var n int
	if q.reported {
		v, ok := number(e.Fields["runq"])
		if !ok {
			return 0, false
		}
		n = int(v)
	} else {
		if e.PID == 0 {
			return 0, false
		}
		k := procKey{e.Computer, e.PID}
		switch e.Kind {
		case "spawn", "wake", "ready", "preempt", "yield":
			q.set(k, true)
		case "switch":
			r, _ := e.Fields["reason"].(string)
			q.set(k, r == "preempt" || r == "yield" || r == "quantum" || strings.HasPrefix(r, "preempt"))
		case "run", "block", "exit", "trap", "kill", "stop", "migrate":
			q.set(k, false)
		default:
			return 0, false
		}
		n = q.count[e.Computer]
	}
	if last, seen := q.last[e.Computer]; seen && last == n {
		return 0, false
	}
	q.last[e.Computer] = n
	return n, true
}

func (q *runQueue) set(k procKey, ready bool) {
	if q.ready[k] == ready {
		return
	}
	q.ready[k] = ready
	if ready {
		q.count[k.c]++
	} else {
		q.count[k.c]--
	}
}
