package kernel

import (
	"context"

	"github.com/tetratelabs/wazero/api"

	"dosemu/kernel/fd"
	"dosemu/kernel/wasi"
	"dosemu/net"
	"dosemu/vfs"
)

// The dosemu module's socket and name-service calls (guests/sdk/c/dosemu.h).
// Each answers an errno; blocking ones wait with Process.Poll unless the fd
// has the NONBLOCK fdflag, and when the wait is aborted (the thread is
// captured or killed) they return at once: the guest repeats the call
// after the rewind, so a call must not have done anything visible before
// it waits (connect remembers that it started).

// maxIO bounds one sendto/recvfrom copy, as a pipe's or a read's would be:
// a bad length must not make the kernel copy gigabytes.
const maxIO = 1 << 20

// sockFD finds fd n's socket: EBADF when n is not open, ENOTSOCK when it
// is not a socket.
func (p *Process) sockFD(n uint64) (*Socket, vfs.Errno) {
	e, err := p.fds.Get(int32(uint32(n)))
	if err != nil {
		return nil, vfs.EBADF
	}
	s, ok := e.File().(*Socket)
	if !ok {
		return nil, vfs.ENOTSOCK
	}
	return s, 0
}

// waitFor blocks until ready holds. It answers 0 when ready, EAGAIN when
// the fd is non-blocking (or there is no slice to block), and abort=true
// when the caller must return at once.
func (p *Process) waitFor(s *Socket, ready func() bool) (errno vfs.Errno, abort bool) {
	if ready() {
		return 0, false
	}
	if s != nil && s.Flags()&vfs.FDNonblock != 0 {
		return vfs.EAGAIN, false
	}
	switch p.Poll(wasi.NoDeadline, ready) {
	case wasi.PollAbort:
		return 0, true
	case wasi.PollTimeout:
		return vfs.EAGAIN, false
	}
	return 0, false
}

// hSocket: socket(type, *fd).
func hSocket(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	typ := net.SockType(int32(a[0]))
	if typ != net.Dgram && typ != net.Stream {
		return vfs.EPROTOTYPE
	}
	if _, ok := read(m, a[1], 4); !ok {
		return vfs.EFAULT
	}
	s, err := p.k.NewSocket(typ)
	if err != nil {
		return ErrnoOf(err)
	}
	n, err := p.fds.Alloc(s, fd.RightsSocket, 0)
	if err != nil {
		_ = s.Close()
		return ErrnoOf(err)
	}
	if !putU32(m, a[1], uint32(n)) {
		_ = p.fds.Close(n)
		return vfs.EFAULT
	}
	p.traceSock("socket", map[string]any{"fd": n, "type": sockTypeName(typ)})
	return 0
}

func sockTypeName(t net.SockType) string {
	if t == net.Stream {
		return "stream"
	}
	return "dgram"
}

// hBind: bind(fd, computer, port).
func hBind(_ context.Context, p *Process, _ api.Memory, a []uint64) vfs.Errno {
	s, e := p.sockFD(a[0])
	if e != 0 {
		return e
	}
	return ErrnoOf(s.Bind(int(int32(a[1])), int(int32(a[2]))))
}

// hListen: listen(fd, backlog).
func hListen(_ context.Context, p *Process, _ api.Memory, a []uint64) vfs.Errno {
	s, e := p.sockFD(a[0])
	if e != 0 {
		return e
	}
	return ErrnoOf(s.Listen(int(int32(a[1]))))
}

// hConnect: connect(fd, computer, port). A stream connect blocks until the
// connection is open or has failed (ECONNREFUSED, ETIMEDOUT); with
// NONBLOCK it answers EINPROGRESS and the socket turns writable later.
func hConnect(_ context.Context, p *Process, _ api.Memory, a []uint64) vfs.Errno {
	s, e := p.sockFD(a[0])
	if e != 0 {
		return e
	}
	nonblock := s.Flags()&vfs.FDNonblock != 0
	if !s.connecting {
		err := s.Connect(int(int32(a[1])), int(int32(a[2])))
		if ErrnoOf(err) != vfs.EINPROGRESS {
			return ErrnoOf(err)
		}
		if nonblock {
			return vfs.EINPROGRESS
		}
	} else if nonblock {
		// Connecting again while the handshake runs: EALREADY, as POSIX.
		if no := ErrnoOf(s.ConnectResult()); no != vfs.EINPROGRESS {
			return no
		}
		return vfs.EALREADY
	}
	done := func() bool { return ErrnoOf(s.ConnectResult()) != vfs.EINPROGRESS }
	if no, abort := p.waitFor(nil, done); abort {
		return 0
	} else if no != 0 {
		return no
	}
	return ErrnoOf(s.ConnectResult())
}

// hAccept: accept(fd, *conn, *computer, *port). Blocks until a connection
// is pending.
func hAccept(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	s, e := p.sockFD(a[0])
	if e != 0 {
		return e
	}
	for _, ptr := range a[1:4] {
		if _, ok := read(m, ptr, 4); !ok {
			return vfs.EFAULT
		}
	}
	for {
		c, peer, err := s.AcceptConn()
		if err == nil {
			n, err := p.fds.Alloc(c, fd.RightsSocket, 0)
			if err != nil {
				_ = c.Close()
				return ErrnoOf(err)
			}
			putU32(m, a[1], uint32(n))
			putU32(m, a[2], uint32(peer.Computer))
			putU32(m, a[3], uint32(peer.Port))
			return 0
		}
		if ErrnoOf(err) != vfs.EAGAIN {
			return ErrnoOf(err)
		}
		if no, abort := p.waitFor(s, s.Readable); abort {
			return 0
		} else if no != 0 {
			return no
		}
	}
}

// hSendto: sendto(fd, buf, len, computer, port, *sent). Blocks while the
// socket cannot take the data (a stream's buffers are full).
func hSendto(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	s, e := p.sockFD(a[0])
	if e != 0 {
		return e
	}
	n := uint64(uint32(a[2]))
	if n > maxIO && s.typ == net.Stream {
		n = maxIO // a stream write may be short
	}
	if n > net.MaxDatagram && s.typ == net.Dgram {
		return vfs.EMSGSIZE
	}
	if _, ok := read(m, a[5], 4); !ok {
		return vfs.EFAULT
	}
	for {
		buf, ok := m.Read(uint32(a[1]), uint32(n))
		if !ok {
			return vfs.EFAULT
		}
		sent, err := s.SendTo(buf, int(int32(a[3])), int(int32(a[4])))
		if err == nil {
			p.charge(CopyCost(sent))
			putU32(m, a[5], uint32(sent))
			return 0
		}
		if ErrnoOf(err) != vfs.EAGAIN {
			return ErrnoOf(err)
		}
		if no, abort := p.waitFor(s, s.Writable); abort {
			return 0
		} else if no != 0 {
			return no
		}
	}
}

// hRecvfrom: recvfrom(fd, buf, len, *got, *computer, *port). Blocks until
// a datagram (or stream data, or end of stream) is there.
func hRecvfrom(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	s, e := p.sockFD(a[0])
	if e != 0 {
		return e
	}
	n := min(uint64(uint32(a[2])), maxIO)
	for _, ptr := range a[3:6] {
		if _, ok := read(m, ptr, 4); !ok {
			return vfs.EFAULT
		}
	}
	for {
		buf, ok := m.Read(uint32(a[1]), uint32(n))
		if !ok {
			return vfs.EFAULT
		}
		got, from, _, err := s.RecvFrom(buf, false)
		if err == nil {
			p.charge(CopyCost(got))
			putU32(m, a[3], uint32(got))
			putU32(m, a[4], uint32(from.Computer))
			putU32(m, a[5], uint32(from.Port))
			return 0
		}
		if ErrnoOf(err) != vfs.EAGAIN {
			return ErrnoOf(err)
		}
		if no, abort := p.waitFor(s, s.Readable); abort {
			return 0
		} else if no != 0 {
			return no
		}
	}
}

// hSockname: sockname(fd, *computer, *port).
func hSockname(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	s, e := p.sockFD(a[0])
	if e != 0 {
		return e
	}
	l := s.LocalAddr()
	if !putU32(m, a[1], uint32(l.Computer)) || !putU32(m, a[2], uint32(l.Port)) {
		return vfs.EFAULT
	}
	return 0
}

// readName copies a name argument; ENAMETOOLONG beyond net.MaxNameLen.
func readName(m api.Memory, ptr, n uint64) (string, vfs.Errno) {
	n = uint64(uint32(n))
	if n > net.MaxNameLen {
		return "", vfs.ENAMETOOLONG
	}
	b, ok := read(m, ptr, n)
	if !ok {
		return "", vfs.EFAULT
	}
	return string(b), 0
}

// hNameRegister: name_register(name, name_len, fd). The name lives until
// the socket closes or the process ends.
func hNameRegister(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	name, e := readName(m, a[0], a[1])
	if e != 0 {
		return e
	}
	s, e := p.sockFD(a[2])
	if e != 0 {
		return e
	}
	owner := uint64(p.GID())
	if err := s.RegisterName(name, owner); err != nil {
		return ErrnoOf(err)
	}
	ns := p.k.network().Names()
	p.AtExit(func() { ns.UnregisterOwner(owner) })
	// Wake processes blocked in a lookup of this name, on every computer.
	p.k.world.Notify(p.Now())
	return 0
}

// hNameLookup: name_lookup(name, name_len, wait, *computer, *port).
// ENOENT for an unregistered name; with wait != 0 it blocks until the name
// is registered.
func hNameLookup(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	name, e := readName(m, a[0], a[1])
	if e != 0 {
		return e
	}
	nw := p.k.network()
	if nw == nil {
		return vfs.ENOSYS
	}
	for _, ptr := range a[3:5] {
		if _, ok := read(m, ptr, 4); !ok {
			return vfs.EFAULT
		}
	}
	ns := nw.Names()
	for {
		addr, ne := ns.Lookup(name)
		if ne == 0 {
			putU32(m, a[3], uint32(addr.Computer))
			putU32(m, a[4], uint32(addr.Port))
			return 0
		}
		if ne != net.ENOENT || int32(a[2]) == 0 {
			return vfs.Errno(ne)
		}
		registered := func() bool { _, ne := ns.Lookup(name); return ne != net.ENOENT }
		if no, abort := p.waitFor(nil, registered); abort {
			return 0
		} else if no != 0 {
			return no
		}
	}
}

// traceSock records a socket call in the trace (kind "sock").
func (p *Process) traceSock(op string, f map[string]any) {
	if p.k.tr.Enabled() {
		f["op"] = op
		p.k.emit(p.Now(), p.cpu, p.pid, "sock", f)
	}
}
