package trace

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestJSONLIsCanonical(t *testing.T) {
	var buf bytes.Buffer
	j := NewJSONL(&buf)
	tr := New(j, nil)
	if !tr.Enabled() {
		t.Fatal("tracer with a sink reports disabled")
	}
	tr.Emit(Event{T: 1500, Computer: "c1", CPU: 0, PID: 7, Kind: "switch",
		Fields: map[string]any{"to": 8, "reason": "fuel"}})
	tr.Emit(Event{T: 2000, CPU: -1, Kind: "partition", Fields: map[string]any{"cut": []string{"c0", "c1"}}})
	if err := j.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"t":1500,"c":"c1","cpu":0,"pid":7,"kind":"switch","reason":"fuel","to":8}
{"t":2000,"kind":"partition","cut":["c0","c1"]}
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
		if !json.Valid(line) {
			t.Errorf("invalid JSON line %s", line)
		}
	}
}

func TestNilTracerDropsEvents(t *testing.T) {
	var tr *Tracer
	if tr.Enabled() {
		t.Fatal("nil tracer enabled")
	}
	tr.Emit(Event{Kind: "x"}) // must not panic
}
