// Package trace records kernel events in virtual time.
//
// A trace is a sequence of Events, one per line of JSON (JSON Lines). The
// format is stable: fields appear in a fixed order ("t", "c", "cpu", "pid",
// "kind", then the kind's own fields sorted by name), times are virtual
// nanoseconds, and nothing derived from the host (wall time, addresses,
// goroutine ids) is ever written, so the same seed and inputs give a
// byte-identical trace. doc/trace.md lists every kind and its fields.
//
// A Tracer is cheap to call when nobody listens: Enabled is a nil check, so
// hot paths test it before building an event.
package trace

import (
	"bufio"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"sync"

	"dosemu/emulator/vtime"
)

// Event is one thing that happened.
type Event struct {
	T        vtime.Time     // virtual time it happened
	Computer string         // computer name ("c0"); empty for cluster-wide events
	CPU      int            // virtual CPU index, or -1 when not on a CPU
	PID      int            // process id on Computer, or 0
	Kind     string         // spawn, run, switch, syscall, block, wake, exit, send, ...
	Fields   map[string]any // kind-specific; values must be JSON-encodable
}

// Sink receives events.
type Sink interface {
	Emit(Event)
}

// Tracer fans events out to sinks. The zero value and a nil *Tracer drop
// everything.
type Tracer struct {
	sinks []Sink
}

// New returns a tracer writing to the given sinks (nil sinks are skipped).
func New(sinks ...Sink) *Tracer {
	t := &Tracer{}
	for _, s := range sinks {
		if s != nil {
			t.sinks = append(t.sinks, s)
		}
	}
	return t
}

// Enabled reports whether any sink listens.
func (t *Tracer) Enabled() bool { return t != nil && len(t.sinks) > 0 }

// Emit sends e to every sink.
func (t *Tracer) Emit(e Event) {
	if t == nil {
		return
	}
	for _, s := range t.sinks {
		s.Emit(e)
	}
}

// JSONL writes events as JSON Lines. It is safe for concurrent use, though
// dosemu emits from one goroutine at a time.
type JSONL struct {
	mu  sync.Mutex
	w   *bufio.Writer
	buf []byte
	err error
}

// NewJSONL returns a sink writing to w. Call Flush when done.
func NewJSONL(w io.Writer) *JSONL { return &JSONL{w: bufio.NewWriterSize(w, 64<<10)} }

// Emit writes one line.
func (j *JSONL) Emit(e Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.buf = AppendJSON(j.buf[:0], e)
	j.buf = append(j.buf, '\n')
	if _, err := j.w.Write(j.buf); err != nil && j.err == nil {
		j.err = err
	}
}

// Flush writes buffered lines and returns the first write error.
func (j *JSONL) Flush() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.w.Flush(); err != nil && j.err == nil {
		j.err = err
	}
	return j.err
}

// AppendJSON appends e's canonical JSON encoding (no newline) to b.
func AppendJSON(b []byte, e Event) []byte {
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, int64(e.T), 10)
	if e.Computer != "" {
		b = append(b, `,"c":`...)
		b = strconv.AppendQuote(b, e.Computer)
	}
	if e.CPU >= 0 {
		b = append(b, `,"cpu":`...)
		b = strconv.AppendInt(b, int64(e.CPU), 10)
	}
	if e.PID != 0 {
		b = append(b, `,"pid":`...)
		b = strconv.AppendInt(b, int64(e.PID), 10)
	}
	b = append(b, `,"kind":`...)
	b = strconv.AppendQuote(b, e.Kind)
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			b = append(b, ',')
			b = strconv.AppendQuote(b, k)
			b = append(b, ':')
			v, err := json.Marshal(e.Fields[k])
			if err != nil {
				v = []byte(strconv.Quote("!" + err.Error()))
			}
			b = append(b, v...)
		}
	}
	return append(b, '}')
}

// Recorder keeps events in memory, for tests and for exporters that need
// the whole run (Perfetto).
type Recorder struct {
	mu     sync.Mutex
	Events []Event
}

// Emit appends e.
func (r *Recorder) Emit(e Event) {
	r.mu.Lock()
	r.Events = append(r.Events, e)
	r.mu.Unlock()
}
