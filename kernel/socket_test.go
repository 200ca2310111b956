package kernel

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"dosemu/emulator/cpu"
	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/net"
	"dosemu/vfs"
)

// netWorld is a World of kernels sharing one network, with no programs.
type netWorld struct {
	ks []*Kernel
	nw *net.Network
}

func (w *netWorld) NumComputers() int { return len(w.ks) }
func (w *netWorld) Kernel(i int) *Kernel {
	if i < 0 || i >= len(w.ks) {
		return nil
	}
	return w.ks[i]
}
func (w *netWorld) Program(string) (*cpu.Program, error) { return nil, errors.New("no programs") }
func (w *netWorld) Process(g GID) *Process {
	if k := w.Kernel(g.Computer()); k != nil {
		return k.Lookup(g.PID())
	}
	return nil
}
func (w *netWorld) Notify(t vtime.Time) {
	for _, k := range w.ks {
		k.Notify(t)
	}
}
func (w *netWorld) Network() *net.Network { return w.nw }

func newNetWorld(t testing.TB, n int, link net.LinkParams) (*netWorld, *vtime.Loop) {
	t.Helper()
	loop := vtime.NewLoop()
	w := &netWorld{}
	for i := 0; i < n; i++ {
		k, err := New(Config{Index: i, Loop: loop, World: w})
		if err != nil {
			t.Fatal(err)
		}
		w.ks = append(w.ks, k)
	}
	nw, err := net.New(loop, n, 1, net.Config{Link: link}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.nw = nw
	return w, loop
}

func mustSock(t testing.TB, k *Kernel, typ net.SockType) *Socket {
	t.Helper()
	s, err := k.NewSocket(typ)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSocketDatagram(t *testing.T) {
	w, loop := newNetWorld(t, 2, net.LinkParams{Latency: time.Millisecond})
	a, b := mustSock(t, w.ks[0], net.Dgram), mustSock(t, w.ks[1], net.Dgram)
	if err := b.Bind(-1, 700); err != nil {
		t.Fatal(err)
	}
	if a.Readable() || !a.Writable() {
		t.Fatal("fresh datagram socket: want writable, not readable")
	}
	if n, err := a.SendTo([]byte("hello"), 1, 700); n != 5 || err != nil {
		t.Fatalf("sendto: %d, %v", n, err)
	}
	if a.LocalAddr().Port == 0 {
		t.Fatal("sendto did not bind the sender")
	}
	woke := 0
	b.SetNotify(func() { woke++ })
	loop.Run(-1)
	if loop.Now() != vtime.Time(time.Millisecond) || woke == 0 || !b.Readable() {
		t.Fatalf("at %v: woke %d, readable %v", loop.Now(), woke, b.Readable())
	}
	buf := make([]byte, 3)
	n, from, trunc, err := b.RecvFrom(buf, true)
	if err != nil || n != 3 || !trunc || from != a.LocalAddr() || string(buf) != "hel" {
		t.Fatalf("peek: %d %v %v %v %q", n, from, trunc, err, buf)
	}
	big := make([]byte, 10)
	n, _, trunc, err = b.RecvFrom(big, false)
	if err != nil || n != 5 || trunc || string(big[:n]) != "hello" {
		t.Fatalf("recv after peek: %d %v %v %q", n, trunc, err, big[:n])
	}
	if _, _, _, err := b.RecvFrom(big, false); !errors.Is(err, vfs.EAGAIN) {
		t.Fatalf("empty queue: %v", err)
	}
	for _, c := range []struct {
		n, comp, port int
		want          vfs.Errno
	}{{net.MaxDatagram + 1, 1, 700, vfs.EMSGSIZE}, {1, 9, 700, vfs.EHOSTUNREACH}, {1, 1, 0, vfs.EINVAL}, {1, 1, 70000, vfs.EINVAL}} {
		if _, err := a.SendTo(make([]byte, c.n), c.comp, c.port); !errors.Is(err, c.want) {
			t.Errorf("sendto %d bytes to c%d:%d: %v, want %v", c.n, c.comp, c.port, err, c.want)
		}
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, vfs.EDESTADDRREQ) {
		t.Errorf("write unconnected datagram: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendTo([]byte("x"), 1, 700); !errors.Is(err, vfs.EBADF) {
		t.Errorf("sendto closed: %v", err)
	}
	if err := a.Close(); !errors.Is(err, vfs.EBADF) {
		t.Errorf("close twice: %v", err)
	}
}

func TestSocketStreamAndNames(t *testing.T) {
	w, loop := newNetWorld(t, 2, net.LinkParams{Latency: 100 * time.Microsecond, Bandwidth: 10e6})
	ls := mustSock(t, w.ks[0], net.Stream)
	if err := ls.Listen(4); err != nil {
		t.Fatal(err)
	}
	if err := ls.RegisterName("svc", 42); err != nil {
		t.Fatal(err)
	}
	if err := mustSock(t, w.ks[1], net.Stream).RegisterName("svc", 43); !errors.Is(err, vfs.EEXIST) {
		t.Fatalf("second register: %v", err)
	}
	addr, e := w.nw.Names().Lookup("svc")
	if e != 0 || addr != ls.LocalAddr() {
		t.Fatalf("lookup: %v %v", addr, e)
	}
	c := mustSock(t, w.ks[1], net.Stream)
	if err := c.Connect(addr.Computer, addr.Port); !errors.Is(err, vfs.EINPROGRESS) {
		t.Fatalf("connect: %v", err)
	}
	if err := c.ConnectResult(); !errors.Is(err, vfs.EINPROGRESS) {
		t.Fatalf("connect result while connecting: %v", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, vfs.EAGAIN) {
		t.Fatalf("write while connecting: %v", err)
	}
	loop.Run(-1)
	if err := c.ConnectResult(); err != nil {
		t.Fatalf("connect result: %v", err)
	}
	srv, err := ls.Accept(0)
	if err != nil {
		t.Fatal(err)
	}
	s := srv.(*Socket)
	msg := bytes.Repeat([]byte("0123456789"), 20000) // 200 kB: more than the buffers
	sent := 0
	var got []byte
	buf := make([]byte, 4096)
	for sent < len(msg) || len(got) < len(msg) {
		if sent < len(msg) && c.Writable() {
			n, err := c.Write(msg[sent:])
			if err != nil {
				t.Fatalf("write at %d: %v", sent, err)
			}
			sent += n
		}
		for s.Readable() {
			n, err := s.Read(buf)
			if err != nil || n == 0 {
				t.Fatalf("read: %d %v", n, err)
			}
			got = append(got, buf[:n]...)
		}
		if !loop.Step() && len(got) < len(msg) && !c.Writable() {
			t.Fatalf("stuck: sent %d, got %d", sent, len(got))
		}
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("stream bytes differ")
	}
	if err := c.Shutdown(false, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, vfs.EPIPE) {
		t.Fatalf("write after shutdown: %v", err)
	}
	loop.Run(-1)
	if n, err := s.Read(buf); n != 0 || err != nil {
		t.Fatalf("end of stream: %d %v", n, err)
	}
	if d := ls.Describe(); d.Kind != "socket" || d.Path != addr.String() {
		t.Fatalf("describe: %+v", d)
	}
	tbl := fd.NewTable()
	if _, err := tbl.Alloc(ls, fd.RightsSocket, 0); err != nil {
		t.Fatal(err)
	}
	if snap := tbl.Snapshot(); len(snap) != 1 || snap[0].Record.Kind != "socket" {
		t.Fatalf("snapshot: %+v", snap)
	}
	// The WASI calls' side: gathered sends, scattered and peeked receives.
	if n, err := s.Send([][]byte{[]byte("ab"), []byte("cd")}); n != 4 || err != nil {
		t.Fatalf("send: %d %v", n, err)
	}
	loop.Run(-1)
	if _, err := c.Read(buf); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Send([][]byte{[]byte("xyz")}); n != 3 || err != nil {
		t.Fatalf("send: %d %v", n, err)
	}
	loop.Run(-1)
	b1, b2 := make([]byte, 1), make([]byte, 5)
	if n, _, err := c.Recv([][]byte{b1, b2}, true, false); n != 3 || err != nil || string(b1)+string(b2[:2]) != "xyz" {
		t.Fatalf("peek: %d %v %q %q", n, err, b1, b2)
	}
	if n, _, err := c.Recv([][]byte{b1, b2}, false, false); n != 3 || err != nil || string(b1)+string(b2[:2]) != "xyz" {
		t.Fatalf("recv after peek: %d %v %q %q", n, err, b1, b2)
	}
	if err := ls.Close(); err != nil {
		t.Fatal(err)
	}
	if _, e := w.nw.Names().Lookup("svc"); e != net.ENOENT {
		t.Fatalf("name survives its socket: %v", e)
	}
}

func TestSocketNoNetwork(t *testing.T) {
	loop := vtime.NewLoop()
	w := &noNetWorld{}
	k, err := New(Config{Loop: loop, World: w})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.NewSocket(net.Stream); !errors.Is(err, vfs.ENOSYS) {
		t.Fatalf("socket without a network: %v", err)
	}
}

type noNetWorld struct{}

func (noNetWorld) NumComputers() int                    { return 1 }
func (noNetWorld) Kernel(int) *Kernel                   { return nil }
func (noNetWorld) Program(string) (*cpu.Program, error) { return nil, errors.New("none") }
func (noNetWorld) Process(GID) *Process                 { return nil }
func (noNetWorld) Notify(vtime.Time)                    {}

// BenchmarkSocketDatagram is the kernel's per-message cost (socket layer
// and protocol, no guest): one sendto, its delivery, one recvfrom.
func BenchmarkSocketDatagram(b *testing.B) {
	w, loop := newNetWorld(b, 2, net.DefaultLink)
	a, r := mustSock(b, w.ks[0], net.Dgram), mustSock(b, w.ks[1], net.Dgram)
	if err := r.Bind(-1, 9); err != nil {
		b.Fatal(err)
	}
	msg, buf := make([]byte, 64), make([]byte, 64)
	b.ReportAllocs()
	b.SetBytes(64)
	for i := 0; i < b.N; i++ {
		if _, err := a.SendTo(msg, 1, 9); err != nil {
			b.Fatal(err)
		}
		loop.Run(-1)
		if _, _, _, err := r.RecvFrom(buf, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSocketStream is the kernel's cost per 1 KiB stream message.
func BenchmarkSocketStream(b *testing.B) {
	w, loop := newNetWorld(b, 2, net.DefaultLink)
	ls := mustSock(b, w.ks[0], net.Stream)
	if err := ls.Listen(1); err != nil {
		b.Fatal(err)
	}
	c := mustSock(b, w.ks[1], net.Stream)
	_ = c.Connect(0, ls.LocalAddr().Port)
	loop.Run(-1)
	f, err := ls.Accept(0)
	if err != nil {
		b.Fatal(err)
	}
	s := f.(*Socket)
	msg, buf := make([]byte, 1024), make([]byte, 1024)
	b.ReportAllocs()
	b.SetBytes(1024)
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		loop.Run(-1)
		if n, err := s.Read(buf); n != len(buf) || err != nil {
			b.Fatal(n, err)
		}
	}
}
