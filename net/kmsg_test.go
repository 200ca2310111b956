package net

import (
	"testing"
	"time"

	"dosemu/emulator/vtime"
)

func TestCallExactAndReply(t *testing.T) {
	loop, nw := newTestNet(t, 2, 1, lanConfig(), nil)
	nw.Host(1).Handle("echo", func(from int, m Message, reply func(Message, Errno)) {
		if from != 0 {
			t.Errorf("request from %d", from)
		}
		reply(Message{Body: append([]byte("re:"), m.Body.([]byte)...)}, 0)
	})
	var at vtime.Time
	var got Message
	req := make([]byte, 1000-KernelHeader)
	copy(req, "hello")
	_, err := nw.Host(0).Call(1, Message{Type: "echo", Body: req}, CallOpts{Timeout: time.Second}, func(m Message, e Errno) {
		if e != 0 {
			t.Errorf("call failed: %v", e)
		}
		at, got = loop.Now(), m
	})
	if err != nil {
		t.Fatal(err)
	}
	loop.Run(-1)
	// Request 1000 bytes, reply 1003 bytes; each pays latency + size/bandwidth.
	want := vtime.Time(time.Millisecond + TxTime(1000, 1e6) + time.Millisecond + TxTime(1003, 1e6))
	if at != want {
		t.Errorf("reply at %v, want %v", at, want)
	}
	if got.Type != "echo" || string(got.Body.([]byte)[:8]) != "re:hello" {
		t.Errorf("reply %q %q", got.Type, got.Body)
	}
	if nw.Host(0).PendingCalls() != 0 {
		t.Error("call still pending")
	}
}

// Retries over a lossy, duplicating link run each request exactly once
// at the server and complete every call exactly once at the client.
func TestCallAtMostOnce(t *testing.T) {
	cfg := Config{Link: LinkParams{Latency: time.Millisecond, Loss: 0.3, Dup: 0.5, Jitter: 2 * time.Millisecond}}
	loop, nw := newTestNet(t, 2, 11, cfg, nil)
	runs := map[int]int{}
	nw.Host(1).Handle("inc", func(_ int, m Message, reply func(Message, Errno)) {
		runs[m.Body.(int)]++
		// Answer later, as a server doing I/O would.
		loop.After(500*time.Microsecond, func() { reply(Message{Body: m.Body.(int) + 1}, 0) })
	})
	done := map[int]int{}
	failed := 0
	const n = 300
	for i := 0; i < n; i++ {
		i := i
		nw.Host(0).Call(1, Message{Type: "inc", Body: i, Size: 8}, CallOpts{Timeout: 10 * time.Millisecond, Retries: 20},
			func(m Message, e Errno) {
				if e != 0 {
					failed++
					return
				}
				if m.Body.(int) != i+1 {
					t.Errorf("call %d got reply %v", i, m.Body)
				}
				done[i]++
			})
	}
	loop.Run(-1)
	if failed != 0 {
		t.Errorf("%d calls failed with 20 retries at 30%% loss", failed)
	}
	for i := 0; i < n; i++ {
		if runs[i] != 1 || done[i] != 1 {
			t.Fatalf("request %d ran %d times, completed %d times", i, runs[i], done[i])
		}
	}
}

func TestCallFailures(t *testing.T) {
	loop, nw := newTestNet(t, 3, 1, lanConfig(), nil)
	h := nw.Host(0)
	var noHandler, cut Errno
	var cutAt vtime.Time
	h.Call(1, Message{Type: "nope"}, CallOpts{Timeout: time.Second}, func(_ Message, e Errno) { noHandler = e })
	nw.Fabric().Cut(0, 2)
	nw.Host(2).Handle("x", func(_ int, _ Message, reply func(Message, Errno)) { reply(Message{}, 0) })
	h.Call(2, Message{Type: "x"}, CallOpts{Timeout: 100 * time.Millisecond, Retries: 2}, func(_ Message, e Errno) {
		cut, cutAt = e, loop.Now()
	})
	cancelled := true
	id, _ := h.Call(1, Message{Type: "nope"}, CallOpts{Timeout: time.Second}, func(Message, Errno) { cancelled = false })
	if !h.CancelCall(id) || h.CancelCall(id) {
		t.Error("CancelCall result wrong")
	}
	loop.Run(-1)
	if noHandler != ENOTSUP {
		t.Errorf("call without handler: %v", noHandler)
	}
	if cut != ETIMEDOUT || cutAt != vtime.Time(300*time.Millisecond) {
		t.Errorf("call across a cut: %v at %v, want ETIMEDOUT at 300ms", cut, cutAt)
	}
	if !cancelled {
		t.Error("cancelled call completed")
	}
	for _, bad := range []struct {
		to  int
		m   Message
		o   CallOpts
		fin func(Message, Errno)
	}{
		{1, Message{}, CallOpts{Timeout: 1}, func(Message, Errno) {}},
		{1, Message{Type: "x"}, CallOpts{}, func(Message, Errno) {}},
		{1, Message{Type: "x"}, CallOpts{Timeout: 1, Retries: -1}, func(Message, Errno) {}},
		{9, Message{Type: "x"}, CallOpts{Timeout: 1}, func(Message, Errno) {}},
		{1, Message{Type: "x"}, CallOpts{Timeout: 1}, nil},
	} {
		if _, err := h.Call(bad.to, bad.m, bad.o, bad.fin); err == nil {
			t.Errorf("Call(%d, %+v, %+v) accepted", bad.to, bad.m, bad.o)
		}
	}
	if h.Post(-1, Message{Type: "x"}) == nil || h.Post(1, Message{}) == nil {
		t.Error("bad Post accepted")
	}
}

func TestPost(t *testing.T) {
	loop, nw := newTestNet(t, 2, 1, lanConfig(), nil)
	var got []int
	nw.Host(1).Handle("note", func(from int, m Message, reply func(Message, Errno)) {
		got = append(got, m.Body.(int))
		reply(Message{}, 0) // a no-op for one-way messages
	})
	for i := 0; i < 3; i++ {
		nw.Host(0).Post(1, Message{Type: "note", Body: i, Size: 4})
	}
	nw.Host(0).Post(1, Message{Type: "unhandled"})
	loop.Run(-1)
	if len(got) != 3 || got[2] != 2 {
		t.Errorf("got %v", got)
	}
	if nw.Fabric().Stats(1).DroppedNoListener != 1 {
		t.Error("unhandled one-way message not counted as no-listener")
	}
}

// A server computer that fails mid-call gives the client ETIMEDOUT after
// the bounded retries, and one that comes back answers again.
func TestCallComputerDown(t *testing.T) {
	loop, nw := newTestNet(t, 2, 1, lanConfig(), nil)
	nw.Host(1).Handle("ping", func(_ int, m Message, reply func(Message, Errno)) { reply(m, 0) })
	var errs []Errno
	call := func() {
		nw.Host(0).Call(1, Message{Type: "ping"}, CallOpts{Timeout: 50 * time.Millisecond, Retries: 3},
			func(_ Message, e Errno) { errs = append(errs, e) })
	}
	nw.Fabric().Schedule([]Step{{At: 0, Down: []int{1}}, {At: time.Second, Up: []int{1}}})
	loop.At(vtime.Time(time.Millisecond), call)
	loop.At(vtime.Time(2*time.Second), call)
	loop.Run(-1)
	if len(errs) != 2 || errs[0] != ETIMEDOUT || errs[1] != 0 {
		t.Errorf("results %v, want [ETIMEDOUT success]", errs)
	}
	if nw.Fabric().Stats(1).DroppedDown == 0 {
		t.Error("no drops counted at the down computer")
	}
}
