package net

import (
	"testing"
	"time"

	"dosemu/emulator/vtime"
)

// BenchmarkStream measures host throughput of a stream between two
// computers over a fast, perfect link: SetBytes makes -bench report MB/s.
func BenchmarkStream(b *testing.B) {
	const size = 1 << 20
	data := pattern(size, 1)
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		loop, nw := newTestNet(b, 2, 1, Config{Link: LinkParams{Latency: 50 * time.Microsecond, Bandwidth: 1_250_000_000}}, nil)
		x := startTransfer(b, nw, data, 0, 1)
		x.readChunk = 1 << 16
		loop.Run(testHorizon)
		if x.got.Len() != size {
			b.Fatalf("got %d bytes", x.got.Len())
		}
	}
}

// BenchmarkStreamLossy is the same at 5% loss (retransmission paths).
func BenchmarkStreamLossy(b *testing.B) {
	const size = 256 << 10
	data := pattern(size, 1)
	b.SetBytes(size)
	for i := 0; i < b.N; i++ {
		loop, nw := newTestNet(b, 2, uint64(i), Config{Link: LinkParams{Latency: 50 * time.Microsecond,
			Bandwidth: 1_250_000_000, Loss: 0.05}}, nil)
		x := startTransfer(b, nw, data, 0, 1)
		loop.Run(testHorizon)
		if x.got.Len() != size {
			b.Fatalf("got %d bytes", x.got.Len())
		}
	}
}

// BenchmarkDatagramPingPong measures round trips per second between two
// datagram sockets on different computers (one op = one message each way).
func BenchmarkDatagramPingPong(b *testing.B) {
	loop, nw := newTestNet(b, 2, 1, lanConfig(), nil)
	a, _ := nw.Host(0).Socket(Dgram)
	c, _ := nw.Host(1).Socket(Dgram)
	a.Bind(Addr{0, 1})
	c.Bind(Addr{1, 2})
	buf := make([]byte, 64)
	msg := make([]byte, 32)
	left := b.N
	c.SetNotify(func() {
		for {
			n, from, e := c.RecvFrom(buf)
			if e != 0 {
				return
			}
			c.SendTo(buf[:n], from)
		}
	})
	a.SetNotify(func() {
		for {
			if _, _, e := a.RecvFrom(buf); e != 0 {
				return
			}
			if left--; left > 0 {
				a.SendTo(msg, Addr{1, 2})
			}
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	a.SendTo(msg, Addr{1, 2})
	loop.Run(-1)
	if left > 0 {
		b.Fatalf("%d round trips missing", left)
	}
}

// BenchmarkFabricSend is the fabric's per-message overhead: one Send plus
// its delivery event, no tracing.
func BenchmarkFabricSend(b *testing.B) {
	loop := vtime.NewLoop()
	f, _ := NewFabric(loop, 2, 1, Config{Link: DefaultLink}, nil)
	f.Attach(1, func(*Packet) {})
	p := Packet{From: 0, To: 1, Proto: ProtoKernel, Size: 100}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		q := p
		f.Send(&q)
		if i%1024 == 1023 {
			loop.Run(-1)
		}
	}
	loop.Run(-1)
}

// BenchmarkKernelCall is one kernel request/response round trip.
func BenchmarkKernelCall(b *testing.B) {
	loop, nw := newTestNet(b, 2, 1, Config{Link: DefaultLink}, nil)
	nw.Host(1).Handle("nop", func(_ int, m Message, reply func(Message, Errno)) { reply(m, 0) })
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		nw.Host(0).Call(1, Message{Type: "nop", Size: 64}, CallOpts{Timeout: time.Second}, func(Message, Errno) {})
		if i%256 == 255 {
			loop.Run(-1)
		}
	}
	loop.Run(-1)
}
