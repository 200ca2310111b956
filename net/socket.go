package net

import "dosemu/emulator/trace"

// SockType is a socket's type; the values are dosemu.h's DOSEMU_SOCK_*.
type SockType int

// Socket types.
const (
	Dgram  SockType = 1
	Stream SockType = 2
)

// Ready is a readiness bit set, for poll.
type Ready uint8

// Readiness bits.
const (
	// Readable: Read/RecvFrom/Accept would not return EAGAIN (data, EOF,
	// an error, or a pending connection).
	Readable Ready = 1 << iota
	// Writable: Write would not return EAGAIN (space, or an error to report).
	Writable
	// HUP: the connection is finished in both directions, reset, or failed.
	HUP
	// ErrPending: Error() would return non-zero.
	ErrPending
)

// Shutdown directions; the values are WASI's sdflags.
const (
	ShutRD = 1
	ShutWR = 2
)

// Limits of datagram sockets.
const (
	// MaxDatagram is the largest datagram payload (UDP over IPv4's).
	MaxDatagram = 65507
	// DgramHeader is the per-datagram wire overhead (IPv4 + UDP headers).
	DgramHeader = 28
	// DgramQueueBytes bounds a datagram socket's unread payload bytes;
	// datagrams beyond it are dropped ("queue overflow").
	DgramQueueBytes = 256 << 10
)

// Socket is one socket on one Host. All methods are non-blocking: where
// POSIX would block they return EAGAIN (or EINPROGRESS for connect), and
// the kernel waits for Readiness to change, which it learns through the
// notify callback. Methods on a closed socket return EBADF. A Socket must
// be used from the event loop's goroutine.
//
// A socket's protocol state lives in plain exported structs (DgramState,
// StreamState) so that it can be serialized; see Export.
type Socket struct {
	h           *Host
	typ         SockType
	notify      func()
	wakePending bool
	closed      bool
	// Local is the bound address (Port 0 while unbound).
	local Addr

	dg *dgram
	tc *tcb
}

// Socket creates an unbound socket of type typ on this host.
func (h *Host) Socket(typ SockType) (*Socket, Errno) {
	s := &Socket{h: h, typ: typ, local: Addr{Computer: h.id}}
	switch typ {
	case Dgram:
		s.dg = &dgram{}
	case Stream:
		s.tc = &tcb{s: s}
	default:
		return nil, EPROTOTYPE
	}
	return s, 0
}

// Type returns the socket's type.
func (s *Socket) Type() SockType { return s.typ }

// Host returns the host the socket lives on.
func (s *Socket) Host() *Host { return s.h }

// LocalAddr returns the bound address (port 0 when unbound).
func (s *Socket) LocalAddr() Addr { return s.local }

// SetNotify sets the function called whenever the socket's readiness may
// have changed (data arrived, space freed, connection established or
// failed, ...). It runs as its own loop event at the virtual time of the
// change, never from inside a socket method, so it may call any of them.
func (s *Socket) SetNotify(fn func()) { s.notify = fn }

// wake schedules the notify callback as an event of its own at the
// current time, so the callback may call back into the socket freely
// (the protocol engine is never mid-update when it runs). Several wakes
// before it runs collapse into one.
func (s *Socket) wake() {
	if s.notify == nil || s.wakePending {
		return
	}
	s.wakePending = true
	s.h.fab.loop.At(s.h.now(), func() {
		s.wakePending = false
		if s.notify != nil && !s.closed {
			s.notify()
		}
	})
}

// Bind binds the socket to a, whose Computer must be this host. Port 0
// picks a free ephemeral port deterministically. Errors: EBADF (closed),
// EINVAL (already bound, or bad port), EADDRNOTAVAIL (another computer),
// EADDRINUSE.
func (s *Socket) Bind(a Addr) Errno {
	if s.closed {
		return EBADF
	}
	if s.local.Port != 0 {
		return EINVAL
	}
	if a.Computer != s.h.id {
		return EADDRNOTAVAIL
	}
	if a.Port < 0 || a.Port > MaxPort {
		return EINVAL
	}
	tbl := s.h.dgramPorts
	if s.typ == Stream {
		tbl = s.h.streamPorts
	}
	p := a.Port
	if p == 0 {
		var e Errno
		if p, e = s.h.pickPort(s.typ); e != 0 {
			return e
		}
	} else if _, used := tbl[p]; used || (s.typ == Stream && s.h.portHasConns(p)) {
		return EADDRINUSE
	}
	tbl[p] = s
	s.local.Port = p
	return 0
}

func (s *Socket) unbind() {
	if s.local.Port == 0 {
		return
	}
	tbl := s.h.dgramPorts
	if s.typ == Stream {
		tbl = s.h.streamPorts
	}
	if tbl[s.local.Port] == s {
		delete(tbl, s.local.Port)
	}
}

// Readiness returns the socket's current readiness bits.
func (s *Socket) Readiness() Ready {
	if s.closed {
		return HUP
	}
	if s.typ == Dgram {
		r := Writable
		if len(s.dg.St.Queue) > 0 {
			r |= Readable
		}
		return r
	}
	return s.tc.readiness()
}

// Error returns the socket's pending error (a failed connect's
// ECONNREFUSED or ETIMEDOUT, a reset's ECONNRESET), like SO_ERROR, or 0.
func (s *Socket) Error() Errno {
	if s.typ == Stream {
		return s.tc.St.Err
	}
	return 0
}

// Close closes the socket: the port is released and, for a stream, the
// connection is ended gracefully (FIN after the unsent data) or reset when
// unread data is discarded. Closing twice returns EBADF.
func (s *Socket) Close() Errno {
	if s.closed {
		return EBADF
	}
	s.closed = true
	if s.typ == Stream {
		s.tc.close()
	} else {
		s.unbind()
		s.dg.St.Queue = nil
	}
	s.notify = nil
	return 0
}

// ---- datagram sockets ----

// Datagram is one received datagram.
type Datagram struct {
	From Addr
	Data []byte
}

// DgramState is a datagram socket's serializable state.
type DgramState struct {
	Peer       Addr // default destination after Connect (Port 0: none)
	Queue      []Datagram
	QueueBytes int
	ShutRD     bool
	ShutWR     bool
}

type dgram struct{ St DgramState }

type dgramBody struct {
	SrcPort, DstPort int
	Data             []byte
}

// SendTo sends one datagram (unreliable: it may be lost, duplicated or
// reordered by the fabric). An unbound socket is bound to an ephemeral port
// first. Errors: EBADF, EPROTOTYPE (stream socket: use Write), EMSGSIZE
// (len(p) > MaxDatagram), EHOSTUNREACH (no such computer), EINVAL (bad
// port), EPIPE (shut down for writing).
func (s *Socket) SendTo(p []byte, to Addr) (int, Errno) {
	if s.closed {
		return 0, EBADF
	}
	if s.typ != Dgram {
		return 0, EPROTOTYPE
	}
	if s.dg.St.ShutWR {
		return 0, EPIPE
	}
	if len(p) > MaxDatagram {
		return 0, EMSGSIZE
	}
	if e := s.h.checkRemote(to); e != 0 {
		return 0, e
	}
	if s.local.Port == 0 {
		if e := s.Bind(Addr{Computer: s.h.id}); e != 0 {
			return 0, e
		}
	}
	data := append([]byte(nil), p...)
	_, err := s.h.fab.Send(&Packet{From: s.h.id, To: to.Computer, Proto: ProtoDgram, What: "dgram",
		Size: len(p) + DgramHeader, Body: &dgramBody{SrcPort: s.local.Port, DstPort: to.Port, Data: data}})
	if err != nil {
		return 0, EINVAL
	}
	return len(p), 0
}

// RecvFrom takes the oldest datagram. A datagram longer than p is
// truncated to len(p) (the rest is discarded, as with UDP). Errors: EBADF,
// EPROTOTYPE, EAGAIN (nothing queued). After ShutRD it returns 0 bytes.
func (s *Socket) RecvFrom(p []byte) (int, Addr, Errno) {
	if s.closed {
		return 0, Addr{}, EBADF
	}
	if s.typ != Dgram {
		return 0, Addr{}, EPROTOTYPE
	}
	st := &s.dg.St
	if len(st.Queue) == 0 {
		if st.ShutRD {
			return 0, Addr{}, 0
		}
		return 0, Addr{}, EAGAIN
	}
	d := st.Queue[0]
	st.Queue[0] = Datagram{}
	st.Queue = st.Queue[1:]
	st.QueueBytes -= len(d.Data)
	return copy(p, d.Data), d.From, 0
}

func (h *Host) receiveDgram(p *Packet) {
	b, ok := p.Body.(*dgramBody)
	if !ok {
		h.fab.Drop(p, DropNoListener)
		return
	}
	s := h.dgramPorts[b.DstPort]
	if s == nil || s.closed {
		h.fab.Drop(p, DropNoListener)
		return
	}
	st := &s.dg.St
	from := Addr{Computer: p.From, Port: b.SrcPort}
	if st.ShutRD || (st.Peer.Port != 0 && st.Peer != from) {
		h.fab.Drop(p, DropNoListener)
		return
	}
	if st.QueueBytes+len(b.Data) > DgramQueueBytes {
		h.fab.Drop(p, DropQueue)
		return
	}
	st.Queue = append(st.Queue, Datagram{From: from, Data: b.Data})
	st.QueueBytes += len(b.Data)
	s.wake()
}

func (h *Host) traceSock(kind string, fields map[string]any) {
	if h.fab.tr.Enabled() {
		h.fab.tr.Emit(trace.Event{T: h.now(), Computer: ComputerName(h.id), CPU: -1, Kind: kind, Fields: fields})
	}
}
