package net

import (
	"bytes"
	"encoding/gob"
	"testing"
	"time"

	"dosemu/emulator/vtime"
)

func gobRoundTrip(t *testing.T, st SocketState) SocketState {
	t.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(st); err != nil {
		t.Fatal(err)
	}
	var out SocketState
	if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// A stream socket detached mid-transfer, serialized and imported again
// carries on: the peer sees every byte once, in order.
func TestStreamDetachImport(t *testing.T) {
	loop, nw := newTestNet(t, 2, 4, Config{Link: LinkParams{Latency: time.Millisecond, Bandwidth: 1_000_000, Loss: 0.05}}, nil)
	x := startTransfer(t, nw, pattern(150_000, 8), 0, 1)
	loop.Run(vtime.Time(40 * time.Millisecond))
	if x.sent == 0 || x.sent == len(x.data) {
		t.Fatalf("want a transfer in progress, sent %d", x.sent)
	}
	pump := x.cli.notify
	st, e := x.cli.Detach()
	if e != 0 {
		t.Fatal(e)
	}
	if _, e := x.cli.Write([]byte("x")); e != EBADF {
		t.Errorf("write on detached socket: %v", e)
	}
	st = gobRoundTrip(t, st)
	s, e := nw.Host(0).Import(st)
	if e != 0 {
		t.Fatal("import:", e)
	}
	if _, e := nw.Host(0).Import(st); e != EADDRINUSE {
		t.Errorf("second import: %v, want EADDRINUSE", e)
	}
	if _, e := nw.Host(1).Import(st); e != EADDRNOTAVAIL {
		t.Errorf("import on another computer: %v", e)
	}
	x.cli = s
	s.SetNotify(pump)
	pump()
	loop.Run(testHorizon)
	x.check(t)
}

func TestDgramDetachImport(t *testing.T) {
	loop, nw := newTestNet(t, 2, 1, lanConfig(), nil)
	d, _ := nw.Host(1).Socket(Dgram)
	d.Bind(Addr{1, 5})
	c, _ := nw.Host(0).Socket(Dgram)
	c.SendTo([]byte("one"), Addr{1, 5})
	loop.Run(-1)
	st, e := d.Detach()
	if e != 0 {
		t.Fatal(e)
	}
	d2, e := nw.Host(1).Import(gobRoundTrip(t, st))
	if e != 0 {
		t.Fatal(e)
	}
	c.SendTo([]byte("two"), Addr{1, 5})
	loop.Run(-1)
	for _, want := range []string{"one", "two"} {
		b := make([]byte, 8)
		n, from, e := d2.RecvFrom(b)
		if e != 0 || string(b[:n]) != want || from != c.LocalAddr() {
			t.Errorf("got %q from %v (%v), want %q", b[:n], from, e, want)
		}
	}
	if _, e := nw.Host(1).Import(SocketState{Type: Dgram, Local: Addr{1, 6}}); e != EINVAL {
		t.Errorf("import without state: %v", e)
	}
	if _, e := nw.Host(1).Import(SocketState{Type: 9, Local: Addr{1, 6}}); e != EPROTOTYPE {
		t.Errorf("import of type 9: %v", e)
	}
}
