package net

import (
	"bytes"
	"slices"
)

// SocketState is a socket's complete state as plain data (it round-trips
// through encoding/gob or JSON), for checkpoint/restore and migration.
// Timers are not stored: Import re-arms them from the state.
type SocketState struct {
	Type   SockType
	Local  Addr
	Dgram  *DgramState
	Stream *StreamState
}

// Detach takes the socket off its host without telling the peer — no FIN,
// no RST — and returns its state; the Socket is closed afterwards. Packets
// arriving for it before Import are treated as for a closed port, which
// the stream protocol repairs by retransmission (a RST answered to the
// peer in between would reset the connection, so import within the same
// virtual instant when the peer may be sending). Errors: EBADF (closed),
// EBUSY (a listener with connections not yet accepted).
func (s *Socket) Detach() (SocketState, Errno) {
	if s.closed {
		return SocketState{}, EBADF
	}
	st := SocketState{Type: s.typ, Local: s.local}
	if s.typ == Dgram {
		d := s.dg.St
		d.Queue = slices.Clone(d.Queue)
		for i := range d.Queue {
			d.Queue[i].Data = bytes.Clone(d.Queue[i].Data)
		}
		st.Dgram = &d
		s.unbind()
	} else {
		t := s.tc
		if len(t.synQ)+len(t.acceptQ) > 0 {
			return SocketState{}, EBUSY
		}
		c := t.St
		c.SndBuf = bytes.Clone(c.SndBuf)
		c.RcvBuf = bytes.Clone(c.RcvBuf)
		c.OOO = slices.Clone(c.OOO)
		for i := range c.OOO {
			c.OOO[i].Data = bytes.Clone(c.OOO[i].Data)
		}
		st.Stream = &c
		if t.St.Phase != PhaseDone && t.St.Phase != PhaseNew && t.St.Phase != PhaseListen {
			t.removeConn()
		}
		s.unbind()
	}
	s.closed = true
	s.notify = nil
	return st, 0
}

// Import recreates a socket from st on this host (st.Local.Computer must
// be this host: a socket's address does not move; a migrated process
// reaches its sockets through its home computer). Errors: EADDRNOTAVAIL
// (another computer), EADDRINUSE (the port or connection is taken), EINVAL
// (inconsistent state, or a half-open accepted connection, which Detach
// never returns).
func (h *Host) Import(st SocketState) (*Socket, Errno) {
	if st.Local.Computer != h.id {
		return nil, EADDRNOTAVAIL
	}
	if st.Local.Port < 0 || st.Local.Port > MaxPort {
		return nil, EINVAL
	}
	s, e := h.Socket(st.Type)
	if e != 0 {
		return nil, e
	}
	switch st.Type {
	case Dgram:
		if st.Dgram == nil {
			return nil, EINVAL
		}
		if st.Local.Port != 0 {
			if e := s.Bind(st.Local); e != 0 {
				return nil, e
			}
		}
		s.dg.St = *st.Dgram
	case Stream:
		if st.Stream == nil || st.Stream.Phase > PhaseDone || st.Stream.Phase == PhaseSynRcvd {
			return nil, EINVAL
		}
		t := s.tc
		t.St = *st.Stream
		if t.St.Phase != PhaseNew && t.St.Phase != PhaseDone && t.St.Cfg.validate() != nil {
			return nil, EINVAL
		}
		live := t.St.Phase == PhaseSynSent || t.St.Phase == PhaseOpen
		if live {
			if h.checkRemote(t.St.Remote) != 0 || st.Local.Port == 0 {
				return nil, EINVAL
			}
			key := connKey{st.Local.Port, t.St.Remote}
			if _, dup := h.conns[key]; dup {
				return nil, EADDRINUSE
			}
			s.local = st.Local
			if _, used := h.streamPorts[st.Local.Port]; !used && !t.St.Closed {
				h.streamPorts[st.Local.Port] = s
			}
			h.addConn(key, s)
			if t.St.SndNxt > t.St.SndUna || t.St.Phase == PhaseSynSent ||
				(t.dataEnd() > t.St.SndNxt && t.St.PeerWnd == 0) {
				t.armRTX()
			}
			if t.St.TimeWait {
				t.linger = h.fab.loop.After(t.St.Cfg.TimeWait, func() { t.linger = nil; t.finish(0) })
			} else {
				t.checkFinished()
			}
		} else if st.Local.Port != 0 {
			if e := s.Bind(st.Local); e != 0 {
				return nil, e
			}
		}
	}
	return s, 0
}
