package net

import (
	"bytes"
	"testing"
	"time"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
)

func newTestNet(t testing.TB, n int, seed uint64, cfg Config, tr *trace.Tracer) (*vtime.Loop, *Network) {
	t.Helper()
	loop := vtime.NewLoop()
	nw, err := New(loop, n, seed, cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	return loop, nw
}

func ptr[T any](v T) *T { return &v }

// pattern returns n deterministic bytes that make misordering visible.
func pattern(n int, seed uint64) []byte {
	r := vtime.Rand(seed, "test-pattern")
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// transfer is a one-way stream transfer from c0 to c1:80 driven purely by
// notify callbacks, as a kernel would drive blocked processes.
type transfer struct {
	data      []byte
	sent      int
	got       bytes.Buffer
	eof       bool
	cliErr    Errno
	srvErr    Errno
	estabAt   vtime.Time
	doneAt    vtime.Time
	cli, srv  *Socket
	readChunk int
}

func startTransfer(t testing.TB, nw *Network, data []byte, from, to int) *transfer {
	t.Helper()
	x := &transfer{data: data, readChunk: 4096}
	l, e := nw.Host(to).Socket(Stream)
	if e != 0 {
		t.Fatal(e)
	}
	if e := l.Bind(Addr{to, 80}); e != 0 {
		t.Fatal("bind:", e)
	}
	if e := l.Listen(4); e != 0 {
		t.Fatal("listen:", e)
	}
	buf := make([]byte, 1<<16)
	l.SetNotify(func() {
		c, _, e := l.Accept()
		if e != 0 {
			return
		}
		x.srv = c
		pump := func() {
			for x.readChunk > 0 {
				n, e := c.Read(buf[:x.readChunk])
				if e == EAGAIN {
					return
				}
				if e != 0 {
					x.srvErr = e
					return
				}
				if n == 0 {
					x.eof = true
					x.doneAt = nw.fab.loop.Now()
					c.Close()
					return
				}
				x.got.Write(buf[:n])
			}
		}
		c.SetNotify(pump)
		pump()
		l.Close()
	})
	cli, _ := nw.Host(from).Socket(Stream)
	x.cli = cli
	if e := cli.Connect(Addr{to, 80}); e != EINPROGRESS {
		t.Fatal("connect:", e)
	}
	shut := false
	cli.SetNotify(func() {
		cli := x.cli // the socket may have been replaced (Detach/Import)
		if x.estabAt == 0 && cli.Readiness()&Writable != 0 {
			x.estabAt = nw.fab.loop.Now()
		}
		if err := cli.Error(); err != 0 {
			x.cliErr = err
			return
		}
		for x.sent < len(x.data) {
			n, e := cli.Write(x.data[x.sent:])
			if e == EAGAIN {
				return
			}
			if e != 0 {
				x.cliErr = e
				return
			}
			x.sent += n
		}
		if !shut {
			shut = true
			cli.Shutdown(ShutWR)
		}
		if r := cli.Readiness(); r&Readable != 0 {
			var b [16]byte
			if n, e := cli.Read(b[:]); n == 0 && e == 0 {
				cli.Close()
			}
		}
	})
	return x
}

func (x *transfer) check(t testing.TB) {
	t.Helper()
	if x.cliErr != 0 || x.srvErr != 0 {
		t.Fatalf("errors: client %v, server %v", x.cliErr, x.srvErr)
	}
	if !x.eof {
		t.Fatalf("no EOF: got %d of %d bytes", x.got.Len(), len(x.data))
	}
	if !bytes.Equal(x.got.Bytes(), x.data) {
		g := x.got.Bytes()
		i := 0
		for i < len(g) && i < len(x.data) && g[i] == x.data[i] {
			i++
		}
		t.Fatalf("stream corrupted: got %d bytes, want %d; first difference at %d", len(g), len(x.data), i)
	}
}

const testHorizon = vtime.Time(120 * time.Second)
