package net

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
)

// With no faults the handshake and a single write take exactly the
// modelled times: each segment arrives at send + latency + size/bandwidth.
func TestStreamExactTimes(t *testing.T) {
	const lat, bw = time.Millisecond, 1_000_000
	loop, nw := newTestNet(t, 2, 1, lanConfig(), nil)
	l, _ := nw.Host(1).Socket(Stream)
	l.Bind(Addr{1, 80})
	l.Listen(1)
	var srv *Socket
	var readAt vtime.Time
	var got []byte
	l.SetNotify(func() {
		srv, _, _ = l.Accept()
		srv.SetNotify(func() {
			b := make([]byte, 4096)
			n, _ := srv.Read(b)
			if n > 0 && readAt == 0 {
				readAt = loop.Now()
			}
			got = append(got, b[:n]...)
		})
	})
	c, _ := nw.Host(0).Socket(Stream)
	c.Connect(Addr{1, 80})
	var estab, wrote vtime.Time
	msg := pattern(1000, 3)
	c.SetNotify(func() {
		if estab == 0 && c.Readiness()&Writable != 0 {
			estab = loop.Now()
			// Let the handshake's final ACK clear the link first.
			loop.After(10*time.Millisecond, func() {
				wrote = loop.Now()
				if n, e := c.Write(msg); n != len(msg) || e != 0 {
					t.Errorf("write: %d, %v", n, e)
				}
			})
		}
	})
	loop.Run(testHorizon)
	synTime := lat + TxTime(SegHeader, bw)
	if want := vtime.Time(2 * synTime); estab != want {
		t.Errorf("established at %v, want SYN + SYN-ACK = %v", estab, want)
	}
	if want := wrote.Add(lat + TxTime(SegHeader+len(msg), bw)); readAt != want {
		t.Errorf("data readable at %v, want %v (written at %v)", readAt, want, wrote)
	}
	if !bytes.Equal(got, msg) {
		t.Errorf("got %d bytes, want the %d written", len(got), len(msg))
	}
}

func runTransfer(t *testing.T, link LinkParams, seed uint64, size int) (*transfer, *Network) {
	t.Helper()
	loop, nw := newTestNet(t, 2, seed, Config{Link: link}, nil)
	x := startTransfer(t, nw, pattern(size, seed), 0, 1)
	loop.Run(testHorizon)
	x.check(t)
	return x, nw
}

func TestStreamPerfect(t *testing.T) {
	x, nw := runTransfer(t, LinkParams{Latency: time.Millisecond, Bandwidth: 10_000_000}, 1, 300_000)
	// Without loss nothing is retransmitted, and at 10 MB/s with a 64 KiB
	// window the transfer is window-limited, not slower than that.
	if r := x.cli.tc.St.Retransmits; r != 0 {
		t.Errorf("%d retransmissions on a perfect link", r)
	}
	if x.doneAt > vtime.Time(time.Second) {
		t.Errorf("300 kB took until %v", x.doneAt)
	}
	if s := nw.Fabric().Stats(0); s.DroppedLoss+s.DroppedQueue+s.DroppedPartition != 0 {
		t.Errorf("drops on a perfect link: %+v", s)
	}
}

func TestStreamLoss10(t *testing.T) {
	seeds := 5
	if testing.Short() {
		seeds = 2
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			x, _ := runTransfer(t, LinkParams{Latency: time.Millisecond, Bandwidth: 10_000_000, Loss: 0.1}, seed, 200_000)
			if x.cli.tc.St.Retransmits == 0 {
				t.Error("no retransmissions at 10% loss")
			}
		})
	}
}

func TestStreamDupReorder30(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			runTransfer(t, LinkParams{Latency: time.Millisecond, Bandwidth: 10_000_000, Jitter: 200 * time.Microsecond,
				Dup: 0.3, Reorder: 0.3, ReorderDelay: 3 * time.Millisecond}, seed, 200_000)
		})
	}
}

func TestStreamEverythingBad(t *testing.T) {
	runTransfer(t, LinkParams{Latency: 2 * time.Millisecond, Bandwidth: 1_000_000, Jitter: time.Millisecond,
		Loss: 0.2, Dup: 0.2, Reorder: 0.2, QueueBytes: 20_000}, 9, 100_000)
}

// A receiver that stops reading closes the window; the sender stalls
// without loss or failure and resumes when the reader drains.
func TestStreamFlowControl(t *testing.T) {
	loop, nw := newTestNet(t, 2, 1, lanConfig(), nil)
	data := pattern(300_000, 5)
	x := startTransfer(t, nw, data, 0, 1)
	x.readChunk = 0 // the server reads nothing yet
	loop.Run(vtime.Time(30 * time.Second))
	unread, _ := x.srv.Buffered()
	if unread != DefaultTCP.RcvBuf || x.got.Len() != 0 {
		t.Fatalf("stalled receiver buffers %d bytes, want the window %d", unread, DefaultTCP.RcvBuf)
	}
	if x.sent > DefaultTCP.RcvBuf+DefaultTCP.SndBuf+1 {
		t.Fatalf("sender got %d bytes accepted with the peer's window closed", x.sent)
	}
	if x.cliErr != 0 || x.cli.Error() != 0 {
		t.Fatalf("zero window killed the connection: %v", x.cliErr)
	}
	x.readChunk = 4096
	x.srv.notify()
	loop.Run(testHorizon)
	x.check(t)
}

// A partition stops a stream both ways; healing resumes it without loss.
func TestStreamPartitionHeal(t *testing.T) {
	rec := &trace.Recorder{}
	plan := []Step{{At: 20 * time.Millisecond, Cut: [][2]int{{0, 1}}}, {At: 3 * time.Second, Heal: [][2]int{{0, 1}}}}
	loop, nw := newTestNet(t, 2, 3, Config{Link: LinkParams{Latency: time.Millisecond, Bandwidth: 1_000_000}, Faults: plan},
		trace.New(rec))
	x := startTransfer(t, nw, pattern(200_000, 2), 0, 1)
	loop.Run(testHorizon)
	x.check(t)
	if x.doneAt < vtime.Time(3*time.Second) {
		t.Fatalf("transfer finished at %v, before the heal", x.doneAt)
	}
	drops := map[string]int{}
	for _, e := range rec.Events {
		in := e.T > vtime.Time(20*time.Millisecond) && e.T < vtime.Time(3*time.Second)
		if e.Kind == "deliver" && in {
			t.Fatalf("delivery during the partition: %+v", e)
		}
		if e.Kind == "drop" && in {
			drops[e.Computer]++
		}
	}
	if drops["c0"] == 0 || drops["c1"] == 0 {
		t.Errorf("partition drops by side: %v; want both directions", drops)
	}
}

// A peer that stays unreachable fails the connection with ETIMEDOUT in
// bounded virtual time: nothing hangs.
func TestStreamTimeout(t *testing.T) {
	loop, nw := newTestNet(t, 2, 1, lanConfig(), nil)
	x := startTransfer(t, nw, pattern(100_000, 2), 0, 1)
	loop.At(vtime.Time(10*time.Millisecond), func() { nw.Fabric().Cut(0, 1) })
	var failedAt vtime.Time
	pump := x.cli.notify
	x.cli.SetNotify(func() {
		pump()
		if x.cli.Error() != 0 && failedAt == 0 {
			failedAt = loop.Now()
		}
	})
	loop.Run(testHorizon)
	if e := x.cli.Error(); e != ETIMEDOUT {
		t.Fatalf("client error %v, want ETIMEDOUT", e)
	}
	bound := vtime.Time(time.Duration(DefaultTCP.MaxRetries+1) * DefaultTCP.MaxRTO)
	if failedAt == 0 || failedAt > bound {
		t.Errorf("failed at %v, want within %v", failedAt, bound)
	}
	if _, e := x.cli.Write([]byte("x")); e != ETIMEDOUT {
		t.Errorf("write after timeout: %v", e)
	}
	if r := x.cli.Readiness(); r&(HUP|ErrPending) != HUP|ErrPending {
		t.Errorf("readiness after failure %b", r)
	}
	// The server side notices too (its keepalive is the data it expects,
	// so it learns only if it sends): it must at least not be left with
	// pending timers forever.
	if loop.Len() != 0 {
		t.Errorf("%d events still pending after the horizon", loop.Len())
	}
}

func TestConnectRefusedAndSynTimeout(t *testing.T) {
	loop, nw := newTestNet(t, 3, 1, lanConfig(), nil)
	c, _ := nw.Host(0).Socket(Stream)
	if e := c.Connect(Addr{1, 9}); e != EINPROGRESS {
		t.Fatal(e)
	}
	if e := c.Connect(Addr{1, 9}); e != EALREADY {
		t.Errorf("second connect: %v, want EALREADY", e)
	}
	nw.Fabric().Cut(0, 2)
	d, _ := nw.Host(0).Socket(Stream)
	d.Connect(Addr{2, 9})
	loop.Run(testHorizon)
	if e := c.Error(); e != ECONNREFUSED {
		t.Errorf("connect to closed port: %v, want ECONNREFUSED", e)
	}
	if e := c.Connect(Addr{1, 9}); e != ECONNREFUSED {
		t.Errorf("connect after refusal: %v", e)
	}
	if e := d.Error(); e != ETIMEDOUT {
		t.Errorf("connect across a cut: %v, want ETIMEDOUT", e)
	}
}

// Closing with unread data resets the peer; a graceful close gives EOF.
func TestStreamResetOnUnreadClose(t *testing.T) {
	loop, nw := newTestNet(t, 2, 1, lanConfig(), nil)
	l, _ := nw.Host(1).Socket(Stream)
	l.Bind(Addr{1, 80})
	l.Listen(1)
	c, _ := nw.Host(0).Socket(Stream)
	c.Connect(Addr{1, 80})
	loop.Run(vtime.Time(100 * time.Millisecond))
	s, peer, e := l.Accept()
	if e != 0 || peer != c.LocalAddr() {
		t.Fatalf("accept: %v %v (client %v)", e, peer, c.LocalAddr())
	}
	c.Write([]byte("unread"))
	loop.Run(vtime.Time(200 * time.Millisecond))
	s.Close()
	loop.Run(vtime.Time(300 * time.Millisecond))
	if _, e := c.Write([]byte("more")); e != ECONNRESET {
		t.Errorf("write after peer reset: %v, want ECONNRESET", e)
	}
}

func TestSocketBadInput(t *testing.T) {
	loop, nw := newTestNet(t, 2, 1, lanConfig(), nil)
	h := nw.Host(0)
	if _, e := h.Socket(7); e != EPROTOTYPE {
		t.Errorf("socket type 7: %v", e)
	}
	a, _ := h.Socket(Stream)
	b, _ := h.Socket(Stream)
	d, _ := h.Socket(Dgram)
	checks := []struct {
		name string
		got  Errno
		want Errno
	}{
		{"bind other computer", a.Bind(Addr{1, 80}), EADDRNOTAVAIL},
		{"bind port 70000", a.Bind(Addr{0, 70000}), EINVAL},
		{"bind port -1", a.Bind(Addr{0, -1}), EINVAL},
		{"bind 80", a.Bind(Addr{0, 80}), 0},
		{"bind twice", a.Bind(Addr{0, 81}), EINVAL},
		{"bind in use", b.Bind(Addr{0, 80}), EADDRINUSE},
		{"dgram same port", d.Bind(Addr{0, 80}), 0},
		{"listen dgram", d.Listen(1), ENOTSUP},
		{"connect bad computer", b.Connect(Addr{5, 80}), EHOSTUNREACH},
		{"connect port 0", b.Connect(Addr{1, 0}), EINVAL},
		{"shutdown unconnected", b.Shutdown(ShutWR), ENOTCONN},
		{"shutdown bad how", b.Shutdown(9), EINVAL},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if _, e := b.Write([]byte("x")); e != ENOTCONN {
		t.Errorf("write unconnected: %v", e)
	}
	if _, e := b.Read(make([]byte, 4)); e != ENOTCONN {
		t.Errorf("read unconnected: %v", e)
	}
	if _, _, e := b.Accept(); e != EINVAL {
		t.Errorf("accept on non-listener: %v", e)
	}
	if _, e := d.SendTo(make([]byte, MaxDatagram+1), Addr{1, 80}); e != EMSGSIZE {
		t.Errorf("oversized datagram: %v", e)
	}
	if _, e := d.SendTo([]byte("x"), Addr{9, 80}); e != EHOSTUNREACH {
		t.Errorf("datagram to c9: %v", e)
	}
	if _, e := d.Write([]byte("x")); e != EDESTADDRREQ {
		t.Errorf("dgram write without connect: %v", e)
	}
	if _, _, e := d.RecvFrom(make([]byte, 4)); e != EAGAIN {
		t.Errorf("empty recvfrom: %v", e)
	}
	if d.Close() != 0 || d.Close() != EBADF {
		t.Error("close twice")
	}
	if _, e := d.SendTo([]byte("x"), Addr{1, 80}); e != EBADF {
		t.Errorf("send on closed socket: %v", e)
	}
	if _, e := a.Write(nil); e != ENOTCONN {
		t.Errorf("write on bound, unconnected: %v", e)
	}
	a.Close()
	if e := b.Bind(Addr{0, 80}); e != 0 {
		t.Errorf("port not released by close: %v", e)
	}
	for _, s := range []*Socket{a} {
		if _, e := s.Write([]byte("x")); e != EBADF {
			t.Errorf("write closed: %v", e)
		}
		if e := s.Listen(1); e != EBADF {
			t.Errorf("listen closed: %v", e)
		}
	}
	loop.Run(-1)
}

func TestEphemeralPortsDeterministic(t *testing.T) {
	_, nw := newTestNet(t, 1, 1, Config{}, nil)
	h := nw.Host(0)
	var got []int
	for i := 0; i < 3; i++ {
		s, _ := h.Socket(Dgram)
		s.Bind(Addr{0, 0})
		got = append(got, s.LocalAddr().Port)
	}
	if got[0] != EphemeralFirst || got[1] != EphemeralFirst+1 || got[2] != EphemeralFirst+2 {
		t.Errorf("ephemeral ports %v", got)
	}
}

// Datagrams with no faults arrive once, in order, at the modelled times.
func TestDatagramExact(t *testing.T) {
	loop, nw := newTestNet(t, 2, 1, lanConfig(), nil)
	srv, _ := nw.Host(1).Socket(Dgram)
	srv.Bind(Addr{1, 53})
	type arrival struct {
		at   vtime.Time
		data []byte
		from Addr
	}
	var got []arrival
	srv.SetNotify(func() {
		for {
			b := make([]byte, 2000)
			n, from, e := srv.RecvFrom(b)
			if e != 0 {
				return
			}
			got = append(got, arrival{loop.Now(), b[:n], from})
		}
	})
	cli, _ := nw.Host(0).Socket(Dgram)
	const size = 1000 - DgramHeader
	var msgs [][]byte
	for i := 0; i < 5; i++ {
		m := pattern(size, uint64(i))
		msgs = append(msgs, m)
		if n, e := cli.SendTo(m, Addr{1, 53}); n != size || e != 0 {
			t.Fatal(n, e)
		}
	}
	loop.Run(-1)
	if len(got) != 5 {
		t.Fatalf("got %d datagrams", len(got))
	}
	for i, g := range got {
		want := vtime.Time(time.Duration(i+1)*time.Millisecond + time.Millisecond)
		if g.at != want || !bytes.Equal(g.data, msgs[i]) || g.from != cli.LocalAddr() {
			t.Errorf("datagram %d at %v from %v (%d bytes), want %v from %v", i, g.at, g.from, len(g.data), want, cli.LocalAddr())
		}
	}
	// Datagrams to a port nobody bound are dropped, counted at the receiver.
	cli.SendTo([]byte("x"), Addr{1, 54})
	loop.Run(-1)
	if nw.Fabric().Stats(1).DroppedNoListener != 1 {
		t.Error("datagram to an unbound port not counted as no-listener")
	}
}

func TestLoopbackStream(t *testing.T) {
	loop, nw := newTestNet(t, 1, 1, Config{}, nil)
	x := startTransfer(t, nw, pattern(100_000, 1), 0, 0)
	loop.Run(testHorizon)
	x.check(t)
}
