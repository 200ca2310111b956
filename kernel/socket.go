package kernel

import (
	"sync"

	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/net"
	"dosemu/vfs"
)

// Sockets
//
// A guest socket is an fd whose File is a *Socket: a thin kernel layer over
// a net.Socket living on the computer's net.Host. The net layer never
// blocks; the kernel makes calls block by waiting (Process.Poll) for the
// socket's readiness to change, which the net layer reports through its
// notify callback.
//
// Time. Inside a slice the loop's clock is the slice's start, while the
// calling process's clock (Process.Now) has moved on by the system calls
// it made. So that a packet leaves at the virtual time the guest sent it —
// and arrives exactly latency + size/bandwidth later — everything that
// puts bytes on the wire (sendto, stream writes, shutdown for writing,
// close) goes through a per-socket outbox: the call checks what it can at
// once, takes the data, and the outbox hands it to the protocol from a
// loop event at the caller's time. Reads, accepts and the connect
// handshake act at once. The outbox holds at most maxOutbox bytes beyond
// the protocol's own send buffer; a write blocks (or answers EAGAIN) while
// it is full. Datagrams that fail in the outbox (the socket closed in
// between) are lost, as UDP's are.

// maxOutbox bounds the bytes a socket holds for a later loop event on top
// of the protocol's send buffer.
const maxOutbox = 64 << 10

type outKind uint8

const (
	outData  outKind = iota // stream bytes
	outDgram                // one datagram to To
	outShutWR
	outClose
)

type outItem struct {
	at   vtime.Time
	kind outKind
	data []byte
	to   net.Addr
}

// Socket is a guest socket: an fd.File and fd.Socket over a net.Socket.
// It is used only from the event loop's goroutine or a guest goroutine
// while the loop waits (doc/design.md), so it has no locks. Costs: a read
// is a copy; a send is a copy plus one loop event.
type Socket struct {
	fd.Base
	k      *Kernel
	s      *net.Socket
	typ    net.SockType
	notify func()

	out      []outItem
	outBytes int
	flushEv  *vtime.Event

	closed     bool // closed by the guest (the net socket may still drain)
	shutWR     bool
	connecting bool // a blocking connect is waiting (restart after a capture)

	peek   []byte        // stream bytes read ahead by a MSG_PEEK
	peekDg *net.Datagram // a datagram kept by a MSG_PEEK

	names []string // names registered for this socket
	owner uint64   // who registered them
}

var (
	_ fd.File      = (*Socket)(nil)
	_ fd.Socket    = (*Socket)(nil)
	_ fd.Describer = (*Socket)(nil)
)

// network is the cluster's network, found through the World (the
// emulator's Cluster has a Network method); nil when the World has none.
func (k *Kernel) network() *net.Network {
	if w, ok := k.world.(interface{ Network() *net.Network }); ok {
		return w.Network()
	}
	return nil
}

// host is this computer's network endpoint, nil without a network.
func (k *Kernel) host() *net.Host {
	if nw := k.network(); nw != nil {
		return nw.Host(k.cfg.Index)
	}
	return nil
}

// NewSocket creates an unbound socket of type typ (net.Dgram or
// net.Stream) on this computer. Errors: ENOSYS (the cluster has no
// network), EPROTOTYPE (bad type).
func (k *Kernel) NewSocket(typ net.SockType) (*Socket, error) {
	h := k.host()
	if h == nil {
		return nil, errf(vfs.ENOSYS, "kernel: %s: socket: this cluster has no network", k.cfg.Name)
	}
	s, e := h.Socket(typ)
	if e != 0 {
		return nil, errf(vfs.Errno(e), "kernel: %s: socket type %d: %v", k.cfg.Name, typ, e)
	}
	return k.wrapSocket(s), nil
}

func (k *Kernel) wrapSocket(s *net.Socket) *Socket {
	ks := &Socket{k: k, s: s, typ: s.Type()}
	s.SetNotify(ks.changed)
	return ks
}

// Net returns the underlying net socket (for tests and migration).
func (ks *Socket) Net() *net.Socket { return ks.s }

// Names returns the names registered for this socket, in registration
// order.
func (ks *Socket) Names() []string { return append([]string(nil), ks.names...) }

// changed runs (as its own loop event) whenever the net socket's readiness
// may have changed: it moves what the outbox holds and tells pollers.
func (ks *Socket) changed() {
	ks.flush()
	if ks.notify != nil {
		ks.notify()
	}
}

// errno converts a net errno (the same numbers as WASI's) to an error.
func sockErr(e net.Errno) error {
	if e == 0 {
		return nil
	}
	return vfs.Errno(e)
}

// ---- the outbox ----

// enqueue adds it to the outbox, due at the caller's time, and makes sure
// a flush runs then.
func (ks *Socket) enqueue(it outItem) {
	var inSlice bool
	it.at, inSlice = ks.now()
	ks.out = append(ks.out, it)
	ks.outBytes += len(it.data)
	if it.at <= ks.k.loop.Now() && !inSlice {
		ks.flush() // outside any slice: the loop's time is the caller's
		return
	}
	if ks.flushEv.Pending() && ks.flushEv.At() <= it.at {
		return // an earlier flush reschedules for what remains
	}
	ks.k.loop.Cancel(ks.flushEv)
	ks.flushEv = ks.k.loop.At(it.at, ks.flushEvent)
}

// now is the caller's virtual time: the running process's clock when a
// slice runs, else the loop's. The socket lives on the computer it was
// made on, but the process using it may have migrated elsewhere (it keeps
// reaching its sockets through their home), so when this computer is not
// running a slice the others are asked: O(computers), only then.
func (ks *Socket) now() (vtime.Time, bool) {
	if p := ks.caller(); p != nil {
		return p.Now(), true
	}
	return ks.k.loop.Now(), false
}

// caller is the process in a slice now (the one making a socket call),
// nil outside slices. This computer is asked first; O(computers) only
// when the caller migrated away from the socket's computer.
func (ks *Socket) caller() *Process {
	if ks.k.running != nil {
		return ks.k.running
	}
	w := ks.k.world
	for i, n := 0, w.NumComputers(); i < n; i++ {
		if k := w.Kernel(i); k != nil && k.running != nil {
			return k.running
		}
	}
	return nil
}

func (ks *Socket) flushEvent() {
	ks.flushEv = nil
	before := ks.outBytes
	ks.flush()
	if ks.outBytes != before && ks.notify != nil {
		ks.notify() // room in the outbox: a blocked writer may go on
	}
}

// flush hands the protocol every item due by now, in order, stopping at a
// stream write that does not fit (the rest goes when the protocol frees
// space and calls changed).
func (ks *Socket) flush() {
	now := ks.k.loop.Now()
	for len(ks.out) > 0 && ks.out[0].at <= now {
		it := &ks.out[0]
		switch it.kind {
		case outDgram:
			_, _ = ks.s.SendTo(it.data, it.to) // a failure here is a lost datagram
		case outData:
			n, e := ks.s.Write(it.data)
			ks.outBytes -= n
			it.data = it.data[n:]
			if e == net.EAGAIN || (e == 0 && len(it.data) > 0) {
				return
			}
			if e != 0 {
				// The connection failed: nothing queued can be sent; the
				// next write reports the error.
				ks.dropStreamData()
				continue
			}
		case outShutWR:
			_ = ks.s.Shutdown(net.ShutWR)
		case outClose:
			_ = ks.s.Close()
		}
		ks.outBytes -= len(it.data)
		ks.out[0] = outItem{}
		ks.out = ks.out[1:]
	}
	if len(ks.out) == 0 {
		ks.out = nil
		return
	}
	if ks.out[0].at > now && !(ks.flushEv.Pending() && ks.flushEv.At() <= ks.out[0].at) {
		ks.k.loop.Cancel(ks.flushEv)
		ks.flushEv = ks.k.loop.At(ks.out[0].at, ks.flushEvent)
	}
}

// dropStreamData discards queued stream bytes (the connection failed).
func (ks *Socket) dropStreamData() {
	kept := ks.out[:0]
	for _, it := range ks.out {
		if it.kind == outData {
			ks.outBytes -= len(it.data)
			continue
		}
		kept = append(kept, it)
	}
	ks.out = kept
}

// ---- socket calls (the dosemu module's) ----

// Bind binds to (computer, port); computer -1 means this one, port 0 a
// free port.
func (ks *Socket) Bind(computer, port int) error {
	if r, ok := ks.forward("bind", 0, 0, func() sockRep { return sockRep{err: ks.Bind(computer, port)} }); ok {
		return r.err
	}
	if ks.closed {
		return vfs.EBADF
	}
	if computer == -1 {
		computer = ks.k.cfg.Index
	}
	if computer < 0 || computer >= ks.k.world.NumComputers() {
		return vfs.EADDRNOTAVAIL
	}
	return sockErr(ks.s.Bind(net.Addr{Computer: computer, Port: port}))
}

// Listen makes a stream socket accept connections.
func (ks *Socket) Listen(backlog int) error {
	if r, ok := ks.forward("listen", 0, 0, func() sockRep { return sockRep{err: ks.Listen(backlog)} }); ok {
		return r.err
	}
	if ks.closed {
		return vfs.EBADF
	}
	return sockErr(ks.s.Listen(backlog))
}

// Connect starts connecting to (computer, port) (computer -1: this one).
// For a stream it answers EINPROGRESS while the handshake runs; the socket
// becomes writable when it is open or failed, and ConnectResult says which.
func (ks *Socket) Connect(computer, port int) error {
	if r, ok := ks.forward("connect", 0, 0, func() sockRep { return sockRep{err: ks.Connect(computer, port)} }); ok {
		return r.err
	}
	if ks.closed {
		return vfs.EBADF
	}
	if computer == -1 {
		computer = ks.k.cfg.Index
	}
	e := ks.s.Connect(net.Addr{Computer: computer, Port: port})
	if e == net.EINPROGRESS {
		ks.connecting = true
	}
	return sockErr(e)
}

// ConnectResult reports how a connect in progress ended: 0 once open,
// EINPROGRESS while still connecting, or the failure.
func (ks *Socket) ConnectResult() error {
	if e := ks.s.Error(); e != 0 {
		ks.connecting = false
		return vfs.Errno(e)
	}
	if _, e := ks.s.PeerAddr(); e != 0 {
		ks.connecting = false
		return vfs.Errno(e)
	}
	// A zero-length write answers EAGAIN exactly while the handshake runs.
	if _, e := ks.s.Write(nil); e == net.EAGAIN {
		return vfs.EINPROGRESS
	}
	ks.connecting = false
	return nil
}

// AcceptConn takes a pending connection; it answers EAGAIN when none is.
func (ks *Socket) AcceptConn() (*Socket, net.Addr, error) {
	if r, ok := ks.forward("accept", 0, 0, func() sockRep {
		c, peer, err := ks.AcceptConn()
		return sockRep{conn: c, addr: peer, err: err}
	}); ok {
		return r.conn, r.addr, r.err
	}
	if ks.closed {
		return nil, net.Addr{}, vfs.EBADF
	}
	c, peer, e := ks.s.Accept()
	if e != 0 {
		return nil, net.Addr{}, vfs.Errno(e)
	}
	return ks.k.wrapSocket(c), peer, nil
}

// SendTo sends one datagram to (computer, port) (computer -1: this one).
// It checks the datagram at once — EMSGSIZE, EHOSTUNREACH, EINVAL, EPIPE —
// and puts it on the wire at the caller's virtual time. A stream socket
// ignores the address and writes (as POSIX does for a connected socket).
func (ks *Socket) SendTo(p []byte, computer, port int) (int, error) {
	if ks.caller() != nil {
		data := append([]byte(nil), p...)
		if r, ok := ks.forward("sendto", len(p), 0, func() sockRep {
			n, err := ks.SendTo(data, computer, port)
			return sockRep{n: n, err: err}
		}); ok {
			return r.n, r.err
		}
	}
	if ks.closed {
		return 0, vfs.EBADF
	}
	if ks.typ == net.Stream {
		return ks.Write(p)
	}
	if computer == -1 {
		computer = ks.k.cfg.Index
	}
	switch {
	case ks.shutWR:
		return 0, vfs.EPIPE
	case len(p) > net.MaxDatagram:
		return 0, vfs.EMSGSIZE
	case computer < 0 || computer >= ks.k.world.NumComputers():
		return 0, vfs.EHOSTUNREACH
	case port < 1 || port > net.MaxPort:
		return 0, vfs.EINVAL
	}
	if ks.s.LocalAddr().Port == 0 {
		// Bind now, so that sockname answers the port at once.
		if e := ks.s.Bind(net.Addr{Computer: ks.k.cfg.Index}); e != 0 {
			return 0, vfs.Errno(e)
		}
	}
	ks.enqueue(outItem{kind: outDgram, data: append([]byte(nil), p...), to: net.Addr{Computer: computer, Port: port}})
	return len(p), nil
}

// RecvFrom takes one datagram (or stream bytes) and says where it came
// from. A datagram longer than p is truncated (truncated reports it).
// EAGAIN when nothing is there.
func (ks *Socket) RecvFrom(p []byte, peek bool) (n int, from net.Addr, truncated bool, err error) {
	if r, ok := ks.forward("recvfrom", 0, len(p), func() sockRep {
		buf := make([]byte, len(p))
		n, from, trunc, err := ks.RecvFrom(buf, peek)
		return sockRep{n: n, addr: from, trunc: trunc, data: buf[:n], err: err}
	}); ok {
		return copy(p, r.data), r.addr, r.trunc, r.err
	}
	if ks.closed {
		return 0, net.Addr{}, false, vfs.EBADF
	}
	if ks.typ == net.Stream {
		from, e := ks.s.PeerAddr()
		if e != 0 {
			return 0, net.Addr{}, false, vfs.Errno(e)
		}
		n, err := ks.read(p, peek)
		return n, from, false, err
	}
	d := ks.peekDg
	if d == nil {
		buf := dgramBufs.Get().(*[net.MaxDatagram]byte)
		m, src, e := ks.s.RecvFrom(buf[:])
		if e != 0 {
			dgramBufs.Put(buf)
			return 0, net.Addr{}, false, vfs.Errno(e)
		}
		if m == 0 && src == (net.Addr{}) {
			dgramBufs.Put(buf)
			return 0, net.Addr{}, false, nil // shut down for reading
		}
		if !peek && m <= len(p) {
			n = copy(p, buf[:m])
			dgramBufs.Put(buf)
			return n, src, false, nil // the common case: no copy kept
		}
		d = &net.Datagram{From: src, Data: append([]byte(nil), buf[:m]...)}
		dgramBufs.Put(buf)
	}
	if peek {
		ks.peekDg = d
	} else {
		ks.peekDg = nil
	}
	n = copy(p, d.Data)
	return n, d.From, n < len(d.Data), nil
}

// dgramBufs holds buffers for the largest datagram, so that truncation
// can be detected without a 64 KiB buffer per socket. A pool, not one
// buffer per kernel, because clusters may run on several goroutines.
var dgramBufs = sync.Pool{New: func() any { return new([net.MaxDatagram]byte) }}

func (ks *Socket) read(p []byte, peek bool) (int, error) {
	if len(ks.peek) == 0 {
		if !peek {
			n, e := ks.s.Read(p)
			return n, sockErr(e)
		}
		buf := make([]byte, len(p))
		n, e := ks.s.Read(buf)
		if e != 0 || n == 0 {
			return n, sockErr(e)
		}
		ks.peek = buf[:n]
	}
	n := copy(p, ks.peek)
	if !peek {
		ks.peek = ks.peek[n:]
		if len(ks.peek) == 0 {
			ks.peek = nil
		}
	}
	return n, nil
}

// LocalAddr is the bound address (port 0 while unbound).
func (ks *Socket) LocalAddr() net.Addr { return ks.s.LocalAddr() }

// ---- fd.File ----

// Type implements fd.File.
func (ks *Socket) Type() vfs.FileType {
	if ks.typ == net.Stream {
		return vfs.TypeSocketStrm
	}
	return vfs.TypeSocketDgram
}

// Stat implements fd.File.
func (ks *Socket) Stat() (vfs.Stat, error) { return vfs.Stat{Type: ks.Type(), Nlink: 1}, nil }

// Read implements fd.File: stream bytes (0 at end of stream) or one
// datagram's payload; EAGAIN when nothing is there yet.
func (ks *Socket) Read(p []byte) (n int, err error) {
	if r, ok := ks.forward("read", 0, len(p), func() sockRep {
		buf := make([]byte, len(p))
		n, err := ks.Read(buf)
		return sockRep{n: n, data: buf[:n], err: err}
	}); ok {
		return copy(p, r.data), r.err
	}
	if ks.closed {
		return 0, vfs.EBADF
	}
	if ks.typ == net.Dgram {
		n, _, _, err := ks.RecvFrom(p, false)
		return n, err
	}
	return ks.read(p, false)
}

// Write implements fd.File: stream bytes (possibly fewer than len(p) when
// the buffers fill; EAGAIN when full) or, on a connected datagram socket,
// one datagram.
func (ks *Socket) Write(p []byte) (int, error) {
	if ks.caller() != nil {
		data := append([]byte(nil), p...)
		if r, ok := ks.forward("write", len(p), 0, func() sockRep {
			n, err := ks.Write(data)
			return sockRep{n: n, err: err}
		}); ok {
			return r.n, r.err
		}
	}
	if ks.closed {
		return 0, vfs.EBADF
	}
	if ks.typ == net.Dgram {
		peer, e := ks.s.PeerAddr()
		if e != 0 {
			return 0, vfs.EDESTADDRREQ
		}
		return ks.SendTo(p, peer.Computer, peer.Port)
	}
	if ks.shutWR {
		return 0, vfs.EPIPE
	}
	// A zero-length write asks the protocol whether writing is possible
	// (ENOTCONN, EAGAIN while connecting, EPIPE, the connection's error).
	if _, e := ks.s.Write(nil); e != 0 {
		return 0, vfs.Errno(e)
	}
	room := maxOutbox - ks.outBytes
	if room <= 0 {
		return 0, vfs.EAGAIN
	}
	if len(p) == 0 {
		return 0, nil
	}
	n := min(room, len(p))
	ks.enqueue(outItem{kind: outData, data: append([]byte(nil), p[:n]...)})
	return n, nil
}

// Readable implements fd.File.
func (ks *Socket) Readable() bool {
	if ks.closed || len(ks.peek) > 0 || ks.peekDg != nil {
		return true
	}
	return ks.s.Readiness()&(net.Readable|net.HUP) != 0
}

// Writable implements fd.File: the protocol takes data (or has an error
// to report) and the outbox has room.
func (ks *Socket) Writable() bool {
	if ks.closed {
		return true
	}
	r := ks.s.Readiness()
	if r&net.ErrPending != 0 {
		return true
	}
	if ks.typ == net.Stream && r&net.HUP != 0 && r&net.Writable == 0 {
		return true // never connected or finished: writing reports why
	}
	return r&net.Writable != 0 && ks.outBytes < maxOutbox
}

// SetNotify implements fd.File.
func (ks *Socket) SetNotify(fn func()) { ks.notify = fn }

// Close implements fd.File: the names registered for the socket go, and
// the connection ends after what the outbox still holds is sent.
func (ks *Socket) Close() error {
	if ks.forwardAsync("close", func() sockRep { return sockRep{err: ks.Close()} }) {
		return nil
	}
	if ks.closed {
		return vfs.EBADF
	}
	ks.closed = true
	ks.unregisterNames()
	ks.peek, ks.peekDg = nil, nil
	ks.enqueue(outItem{kind: outClose})
	ks.notify = nil
	return nil
}

// ---- fd.Socket (WASI sock_*) ----

// Recv implements fd.Socket. waitAll is honoured only as far as the bytes
// already there go: the kernel's sock_recv blocks for the first byte.
func (ks *Socket) Recv(bufs [][]byte, peek, waitAll bool) (n int, trunc bool, err error) {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if r, ok := ks.forward("recv", 0, total, func() sockRep {
		buf := make([]byte, total)
		n, trunc, err := ks.Recv([][]byte{buf}, peek, waitAll)
		return sockRep{n: n, trunc: trunc, data: buf[:n], err: err}
	}); ok {
		scatter(bufs, r.data)
		return len(r.data), r.trunc, r.err
	}
	if ks.closed {
		return 0, false, vfs.EBADF
	}
	if ks.typ == net.Dgram {
		buf := make([]byte, total)
		n, _, trunc, err := ks.RecvFrom(buf, peek)
		if err != nil {
			return 0, false, err
		}
		scatter(bufs, buf[:n])
		return n, trunc, nil
	}
	if peek {
		buf := make([]byte, total)
		n, err := ks.read(buf, true)
		scatter(bufs, buf[:n])
		return n, false, err
	}
	got := 0
	for _, b := range bufs {
		if len(b) == 0 {
			continue
		}
		n, err := ks.read(b, false)
		got += n
		if err != nil {
			if got > 0 {
				return got, false, nil
			}
			return 0, false, err
		}
		if n < len(b) {
			break
		}
	}
	return got, false, nil
}

func scatter(bufs [][]byte, data []byte) {
	for _, b := range bufs {
		data = data[copy(b, data):]
	}
}

// Send implements fd.Socket: the buffers as one stream write or one
// datagram to the connected peer.
func (ks *Socket) Send(bufs [][]byte) (int, error) {
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	if ks.caller() != nil {
		all := make([]byte, 0, total)
		for _, b := range bufs {
			all = append(all, b...)
		}
		if r, ok := ks.forward("send", total, 0, func() sockRep {
			n, err := ks.Send([][]byte{all})
			return sockRep{n: n, err: err}
		}); ok {
			return r.n, r.err
		}
	}
	if len(bufs) == 1 {
		return ks.Write(bufs[0])
	}
	var all []byte
	for _, b := range bufs {
		all = append(all, b...)
	}
	return ks.Write(all)
}

// Shutdown implements fd.Socket. Shutting down for writing sends FIN after
// what is queued, at the caller's time.
func (ks *Socket) Shutdown(rd, wr bool) error {
	if r, ok := ks.forward("shutdown", 0, 0, func() sockRep { return sockRep{err: ks.Shutdown(rd, wr)} }); ok {
		return r.err
	}
	if ks.closed {
		return vfs.EBADF
	}
	if ks.typ == net.Stream {
		if _, e := ks.s.PeerAddr(); e != 0 {
			return vfs.ENOTCONN
		}
	}
	if rd {
		if e := ks.s.Shutdown(net.ShutRD); e != 0 {
			return vfs.Errno(e)
		}
		ks.peek, ks.peekDg = nil, nil
	}
	if wr && !ks.shutWR {
		ks.shutWR = true
		ks.enqueue(outItem{kind: outShutWR})
	}
	return nil
}

// Accept implements fd.Socket (WASI sock_accept).
func (ks *Socket) Accept(flags vfs.FDFlags) (fd.File, error) {
	c, _, err := ks.AcceptConn()
	if err != nil {
		return nil, err
	}
	c.FDFlags = flags
	return c, nil
}

// Describe implements fd.Describer: a socket is recorded by its local
// address ("c0:49152"); Detach gives its full state.
func (ks *Socket) Describe() fd.Record {
	return fd.Record{Kind: "socket", Computer: ks.k.cfg.Name, Path: ks.s.LocalAddr().String(),
		Flags: ks.FDFlags, Read: true, Write: true}
}

// Detach takes the socket off its computer and returns its protocol state
// for migration or a checkpoint (net.Host.Import recreates it; see
// ImportSocket). It answers EBUSY while the outbox still holds data (let
// the loop run to the caller's time first) and EBADF when closed.
func (ks *Socket) Detach() (net.SocketState, error) {
	if ks.closed {
		return net.SocketState{}, vfs.EBADF
	}
	if len(ks.out) > 0 || len(ks.peek) > 0 || ks.peekDg != nil {
		return net.SocketState{}, vfs.EBUSY
	}
	st, e := ks.s.Detach()
	if e != 0 {
		return net.SocketState{}, vfs.Errno(e)
	}
	ks.closed = true
	return st, nil
}

// ImportSocket recreates a detached socket on this computer. names are the
// names the socket had, registered to owner: when the socket's address
// changed they are re-pointed (net.Names.Update), which is what keeps
// lookups working after the process that registered them moves.
func (k *Kernel) ImportSocket(st net.SocketState, names []string, owner uint64) (*Socket, error) {
	h := k.host()
	if h == nil {
		return nil, errf(vfs.ENOSYS, "kernel: %s: import socket: this cluster has no network", k.cfg.Name)
	}
	s, e := h.Import(st)
	if e != 0 {
		return nil, errf(vfs.Errno(e), "kernel: %s: import socket %v: %v", k.cfg.Name, st.Local, e)
	}
	ks := k.wrapSocket(s)
	ns := k.network().Names()
	for _, n := range names {
		if ent, ok := ns.Entry(n); ok && ent.Owner == owner {
			if ent.Addr != s.LocalAddr() {
				_ = ns.Update(n, s.LocalAddr())
			}
			ks.names = append(ks.names, n)
		}
	}
	ks.owner = owner
	return ks, nil
}

// ---- the name service ----

// RegisterName points name at the socket's address for the whole cluster,
// on behalf of owner (a global process id). An unbound socket is bound to
// a free port first. The name is removed when the socket closes (and, by
// the caller's AtExit hook, when owner exits). Errors: EINVAL, EEXIST,
// ENAMETOOLONG, EBADF.
func (ks *Socket) RegisterName(name string, owner uint64) error {
	if ks.closed {
		return vfs.EBADF
	}
	if ks.s.LocalAddr().Port == 0 {
		if e := ks.s.Bind(net.Addr{Computer: ks.k.cfg.Index}); e != 0 {
			return vfs.Errno(e)
		}
	}
	if e := ks.k.network().Names().Register(name, ks.s.LocalAddr(), owner); e != 0 {
		return vfs.Errno(e)
	}
	ks.names = append(ks.names, name)
	ks.owner = owner
	return nil
}

func (ks *Socket) unregisterNames() {
	if len(ks.names) == 0 {
		return
	}
	ns := ks.k.network().Names()
	for _, n := range ks.names {
		_ = ns.Unregister(n, ks.owner)
	}
	ks.names = nil
}
