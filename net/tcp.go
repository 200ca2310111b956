package net

import (
	"fmt"
	"time"

	"dosemu/emulator/vtime"
)

// TCPConfig holds the stream protocol's parameters.
type TCPConfig struct {
	MSS        int            // largest payload per segment
	SndBuf     int            // bytes Write may queue (unacked + unsent)
	RcvBuf     int            // receive buffer: bounds the advertised window
	InitialRTO vtime.Duration // retransmission timeout before any RTT sample
	MinRTO     vtime.Duration
	MaxRTO     vtime.Duration // the exponential backoff's cap
	// MaxRetries bounds consecutive timeouts with no segment at all from
	// the peer; one more fails the connection with ETIMEDOUT. So a dead or
	// partitioned peer is detected within about MaxRetries·MaxRTO.
	MaxRetries int
	TimeWait   vtime.Duration // how long the active closer lingers to re-ACK a lost final ACK
	FinWait2   vtime.Duration // how long a closed socket waits for the peer's FIN
}

// DefaultTCP is the stream protocol's default configuration. With these
// values a connection whose peer stops answering fails after at most
// 12 timeouts, about 16 s of virtual time.
var DefaultTCP = TCPConfig{MSS: 1460, SndBuf: 64 << 10, RcvBuf: 64 << 10,
	InitialRTO: 200 * time.Millisecond, MinRTO: 20 * time.Millisecond, MaxRTO: 2 * time.Second,
	MaxRetries: 12, TimeWait: 500 * time.Millisecond, FinWait2: 10 * time.Second}

func (c TCPConfig) validate() error {
	switch {
	case c.MSS < 1 || c.MSS > MaxDatagram:
		return fmt.Errorf("tcp: MSS %d out of range 1..%d", c.MSS, MaxDatagram)
	case c.SndBuf < c.MSS || c.RcvBuf < c.MSS:
		return fmt.Errorf("tcp: buffers (snd %d, rcv %d) smaller than MSS %d", c.SndBuf, c.RcvBuf, c.MSS)
	case c.MinRTO <= 0 || c.InitialRTO < c.MinRTO || c.MaxRTO < c.InitialRTO:
		return fmt.Errorf("tcp: want 0 < MinRTO <= InitialRTO <= MaxRTO, got %v, %v, %v", c.MinRTO, c.InitialRTO, c.MaxRTO)
	case c.MaxRetries < 1 || c.MaxRetries > 100:
		return fmt.Errorf("tcp: MaxRetries %d out of range 1..100", c.MaxRetries)
	case c.TimeWait < 0 || c.FinWait2 <= 0:
		return fmt.Errorf("tcp: bad TimeWait %v / FinWait2 %v", c.TimeWait, c.FinWait2)
	}
	return nil
}

// SegHeader is a stream segment's wire overhead (IPv4 + TCP headers).
const SegHeader = 40

// Segment flags.
const (
	flagSYN = 1 << iota
	flagACK
	flagFIN
	flagRST
)

// segment is a stream packet's body. Sequence numbers are 64-bit and never
// wrap, which keeps comparisons plain.
type segment struct {
	SrcPort, DstPort int
	Flags            uint8
	Seq, Ack         uint64
	Wnd              int
	Data             []byte
}

func (g *segment) what() string {
	switch {
	case g.Flags&flagRST != 0:
		return "rst"
	case g.Flags&flagSYN != 0 && g.Flags&flagACK != 0:
		return "synack"
	case g.Flags&flagSYN != 0:
		return "syn"
	case g.Flags&flagFIN != 0:
		return "fin"
	case len(g.Data) > 0:
		return "data"
	}
	return "ack"
}

// Phase is a stream socket's coarse state.
type Phase uint8

// Phases. Half-closes are flags in StreamState, not phases.
const (
	PhaseNew     Phase = iota // created, maybe bound
	PhaseListen               // accepting connections
	PhaseSynSent              // connect called, SYN sent
	PhaseSynRcvd              // (accepted side) SYN received, SYN-ACK sent
	PhaseOpen                 // established, possibly half-closed
	PhaseDone                 // finished, reset or failed; no more traffic
)

// OOOSegment is data received ahead of a hole.
type OOOSegment struct {
	Seq  uint64
	Data []byte
	Fin  bool
}

// StreamState is a stream socket's serializable state.
type StreamState struct {
	Phase  Phase
	Remote Addr
	Cfg    TCPConfig
	Err    Errno // sticky error: ECONNREFUSED, ECONNRESET, ETIMEDOUT
	Closed bool  // the application closed it; the connection may live on

	// Sending. SndBuf[i] has sequence number SndUna+i once open.
	ISS, SndUna, SndNxt uint64
	SndBuf              []byte
	PeerWnd             int
	WrShut, FinSent     bool
	FinAcked            bool

	// Receiving.
	IRS, RcvNxt  uint64
	RcvBuf       []byte
	OOO          []OOOSegment // sorted by Seq
	PeerFin      bool
	PeerFinFirst bool // the peer closed first (we are the passive closer)
	RdShut       bool
	LastWnd      int // window in the last segment we sent
	TimeWait     bool
	Backlog      int

	// Timers and loss recovery.
	RTO, SRTT, RTTVar vtime.Duration
	Retries           int
	RTTSeq            uint64
	RTTStart          vtime.Time
	RTTValid          bool
	DupAcks           int
	Recover           uint64
	InRecovery        bool
	Retransmits       uint64
}

type tcb struct {
	s      *Socket
	St     StreamState
	rtx    *vtime.Event
	linger *vtime.Event
	// listener side
	parent  *Socket   // for a child not yet accepted
	synQ    []*Socket // children in handshake
	acceptQ []*Socket // children established, not yet accepted
}

func (t *tcb) cfg() *TCPConfig { return &t.St.Cfg }
func (t *tcb) h() *Host        { return t.s.h }

func (t *tcb) dataEnd() uint64 { return t.St.SndUna + uint64(len(t.St.SndBuf)) }

func (t *tcb) rcvWnd() int {
	w := t.St.Cfg.RcvBuf - len(t.St.RcvBuf)
	if w < 0 {
		return 0
	}
	return w
}

// ---- socket calls ----

// Listen makes a stream socket accept connections, binding it to an
// ephemeral port if unbound. backlog bounds connections not yet accepted
// (clamped to 1..4096); SYNs beyond it are ignored so the client retries.
func (s *Socket) Listen(backlog int) Errno {
	if s.closed {
		return EBADF
	}
	if s.typ != Stream {
		return ENOTSUP
	}
	t := s.tc
	switch t.St.Phase {
	case PhaseNew:
	case PhaseListen:
		t.St.Backlog = min(max(backlog, 1), 4096)
		return 0
	default:
		return EISCONN
	}
	if s.local.Port == 0 {
		if e := s.Bind(Addr{Computer: s.h.id}); e != 0 {
			return e
		}
	}
	t.St.Phase = PhaseListen
	t.St.Backlog = min(max(backlog, 1), 4096)
	s.h.traceSock("listen", map[string]any{"addr": s.local.String()})
	return 0
}

// Accept takes an established connection from a listening socket and
// returns it with the peer's address. Errors: EBADF, EINVAL (not
// listening), ENOTSUP (datagram socket), EAGAIN (none pending).
func (s *Socket) Accept() (*Socket, Addr, Errno) {
	if s.closed {
		return nil, Addr{}, EBADF
	}
	if s.typ != Stream {
		return nil, Addr{}, ENOTSUP
	}
	t := s.tc
	if t.St.Phase != PhaseListen {
		return nil, Addr{}, EINVAL
	}
	if len(t.acceptQ) == 0 {
		return nil, Addr{}, EAGAIN
	}
	c := t.acceptQ[0]
	t.acceptQ[0] = nil
	t.acceptQ = t.acceptQ[1:]
	c.tc.parent = nil
	return c, c.tc.St.Remote, 0
}

// Connect starts connecting to a. For a stream socket it sends a SYN and
// returns EINPROGRESS; the socket becomes Writable when the connection is
// open or has failed, and Error then tells which (0, ECONNREFUSED,
// ETIMEDOUT). Calling Connect again returns EALREADY while in progress,
// EISCONN once open, or the failure. For a datagram socket it sets the
// default destination and the only accepted source, and returns 0.
func (s *Socket) Connect(a Addr) Errno {
	if s.closed {
		return EBADF
	}
	if e := s.h.checkRemote(a); e != 0 {
		return e
	}
	if s.typ == Dgram {
		if s.local.Port == 0 {
			if e := s.Bind(Addr{Computer: s.h.id}); e != 0 {
				return e
			}
		}
		s.dg.St.Peer = a
		return 0
	}
	t := s.tc
	switch t.St.Phase {
	case PhaseListen:
		return EINVAL
	case PhaseSynSent:
		return EALREADY
	case PhaseOpen:
		return EISCONN
	case PhaseDone:
		if t.St.Err != 0 {
			return t.St.Err
		}
		return EISCONN
	}
	if s.local.Port == 0 {
		if e := s.Bind(Addr{Computer: s.h.id}); e != 0 {
			return e
		}
	}
	key := connKey{s.local.Port, a}
	if _, dup := s.h.conns[key]; dup {
		return EADDRINUSE
	}
	t.St.Cfg = s.h.nw.tcp
	t.St.Remote = a
	t.St.ISS = s.h.iss.Uint64() >> 8
	t.St.SndUna, t.St.SndNxt = t.St.ISS, t.St.ISS+1
	t.St.RTO = t.St.Cfg.InitialRTO
	t.St.Phase = PhaseSynSent
	s.h.addConn(key, s)
	t.St.RTTSeq, t.St.RTTStart, t.St.RTTValid = t.St.ISS+1, s.h.now(), true
	t.send(flagSYN, t.St.ISS, nil)
	t.armRTX()
	s.h.traceSock("connect", map[string]any{"local": s.local.String(), "remote": a.String()})
	return EINPROGRESS
}

// Write queues bytes on a stream (or sends one datagram to the connected
// peer of a datagram socket). It returns how many bytes it took, possibly
// fewer than len(p) when the send buffer fills. Errors: EBADF, ENOTCONN
// (never connected), EAGAIN (connecting, or the buffer is full), EPIPE
// (shut down for writing, or finished), the connection's error
// (ECONNRESET, ETIMEDOUT, ...). Datagram: EDESTADDRREQ without Connect.
func (s *Socket) Write(p []byte) (int, Errno) {
	if s.closed {
		return 0, EBADF
	}
	if s.typ == Dgram {
		if s.dg.St.Peer.Port == 0 {
			return 0, EDESTADDRREQ
		}
		return s.SendTo(p, s.dg.St.Peer)
	}
	t := s.tc
	switch t.St.Phase {
	case PhaseNew, PhaseListen:
		return 0, ENOTCONN
	case PhaseSynSent, PhaseSynRcvd:
		return 0, EAGAIN
	}
	if t.St.Err != 0 {
		return 0, t.St.Err
	}
	if t.St.WrShut || t.St.Phase == PhaseDone {
		return 0, EPIPE
	}
	if len(p) == 0 {
		return 0, 0
	}
	room := t.St.Cfg.SndBuf - len(t.St.SndBuf)
	if room <= 0 {
		return 0, EAGAIN
	}
	n := min(room, len(p))
	t.St.SndBuf = append(t.St.SndBuf, p[:n]...)
	t.output()
	return n, 0
}

// Read takes received bytes from a stream (or one datagram, like
// RecvFrom). It returns 0 bytes and no error at end of stream (the peer
// sent FIN, or ShutRD). Errors: EBADF, ENOTCONN, EAGAIN (nothing yet), the
// connection's error once buffered data is drained.
func (s *Socket) Read(p []byte) (int, Errno) {
	if s.closed {
		return 0, EBADF
	}
	if s.typ == Dgram {
		n, _, e := s.RecvFrom(p)
		return n, e
	}
	t := s.tc
	switch t.St.Phase {
	case PhaseNew, PhaseListen:
		return 0, ENOTCONN
	case PhaseSynSent, PhaseSynRcvd:
		return 0, EAGAIN
	}
	if len(t.St.RcvBuf) > 0 {
		if len(p) == 0 {
			return 0, 0
		}
		n := copy(p, t.St.RcvBuf)
		t.St.RcvBuf = t.St.RcvBuf[n:]
		if len(t.St.RcvBuf) == 0 {
			t.St.RcvBuf = nil
		}
		t.windowUpdate()
		return n, 0
	}
	if t.St.Err != 0 {
		return 0, t.St.Err
	}
	if t.St.PeerFin || t.St.RdShut || t.St.Phase == PhaseDone {
		return 0, 0
	}
	return 0, EAGAIN
}

// Shutdown closes one or both directions (how is ShutRD|ShutWR). ShutWR
// sends FIN after the queued data; ShutRD discards unread and future data.
// Errors: EBADF, EINVAL (bad how), ENOTCONN (stream not connected).
func (s *Socket) Shutdown(how int) Errno {
	if s.closed {
		return EBADF
	}
	if how&^(ShutRD|ShutWR) != 0 || how == 0 {
		return EINVAL
	}
	if s.typ == Dgram {
		if how&ShutRD != 0 {
			s.dg.St.ShutRD = true
			s.dg.St.Queue, s.dg.St.QueueBytes = nil, 0
		}
		if how&ShutWR != 0 {
			s.dg.St.ShutWR = true
		}
		return 0
	}
	t := s.tc
	if t.St.Phase != PhaseOpen && t.St.Phase != PhaseDone {
		return ENOTCONN
	}
	if how&ShutRD != 0 {
		t.St.RdShut = true
		t.St.RcvBuf = nil
	}
	if how&ShutWR != 0 && !t.St.WrShut {
		t.St.WrShut = true
		t.output()
		t.checkFinished()
	}
	return 0
}

// PeerAddr returns the connected peer (stream) or default destination
// (datagram), or ENOTCONN.
func (s *Socket) PeerAddr() (Addr, Errno) {
	if s.closed {
		return Addr{}, EBADF
	}
	if s.typ == Dgram {
		if s.dg.St.Peer.Port == 0 {
			return Addr{}, ENOTCONN
		}
		return s.dg.St.Peer, 0
	}
	if ph := s.tc.St.Phase; ph == PhaseNew || ph == PhaseListen {
		return Addr{}, ENOTCONN
	}
	return s.tc.St.Remote, 0
}

// Buffered returns the bytes waiting to be read and the bytes not yet
// acknowledged by the peer (streams; datagram: queued payload bytes, 0).
func (s *Socket) Buffered() (unread, unacked int) {
	if s.typ == Dgram {
		return s.dg.St.QueueBytes, 0
	}
	return len(s.tc.St.RcvBuf), len(s.tc.St.SndBuf)
}

func (t *tcb) readiness() Ready {
	st := &t.St
	var r Ready
	if st.Err != 0 {
		r |= ErrPending | HUP | Readable | Writable
	}
	switch st.Phase {
	case PhaseNew:
		r |= HUP
	case PhaseListen:
		if len(t.acceptQ) > 0 {
			r |= Readable
		}
	case PhaseOpen:
		if len(st.RcvBuf) > 0 || st.PeerFin || st.RdShut {
			r |= Readable
		}
		if !st.WrShut && len(st.SndBuf) < st.Cfg.SndBuf {
			r |= Writable
		}
		if st.PeerFin && st.WrShut {
			r |= HUP
		}
	case PhaseDone:
		r |= Readable | Writable | HUP
	}
	return r
}

func (t *tcb) close() {
	s := t.s
	switch t.St.Phase {
	case PhaseListen:
		for _, c := range append(t.synQ, t.acceptQ...) {
			c.tc.reset()
		}
		t.synQ, t.acceptQ = nil, nil
		t.St.Phase = PhaseDone
	case PhaseSynSent, PhaseSynRcvd:
		t.finish(0)
	case PhaseOpen:
		t.St.Closed = true
		if len(t.St.RcvBuf) > 0 {
			// Unread data is being thrown away: tell the peer, as TCP does.
			t.reset()
			break
		}
		if !t.St.WrShut {
			t.St.WrShut = true
			t.output()
		}
		t.checkFinished()
	}
	s.unbind()
}

// ---- protocol engine ----

func (h *Host) addConn(k connKey, s *Socket) {
	h.conns[k] = s
	h.portRefs[k.local]++
}

func (t *tcb) removeConn() {
	h := t.h()
	k := connKey{t.s.local.Port, t.St.Remote}
	if h.conns[k] == t.s {
		delete(h.conns, k)
		if h.portRefs[k.local]--; h.portRefs[k.local] <= 0 {
			delete(h.portRefs, k.local)
		}
	}
	h.fab.loop.Cancel(t.rtx)
	h.fab.loop.Cancel(t.linger)
	t.rtx, t.linger = nil, nil
	if t.parent != nil {
		pt := t.parent.tc
		pt.synQ = removeSock(pt.synQ, t.s)
		pt.acceptQ = removeSock(pt.acceptQ, t.s)
		t.parent = nil
	}
}

func removeSock(q []*Socket, s *Socket) []*Socket {
	for i, x := range q {
		if x == s {
			return append(q[:i], q[i+1:]...)
		}
	}
	return q
}

// finish ends the connection with error e (0 for a clean end).
func (t *tcb) finish(e Errno) {
	if t.St.Phase == PhaseDone {
		return
	}
	if e != 0 && t.St.Err == 0 {
		t.St.Err = e
	}
	t.St.Phase = PhaseDone
	t.removeConn()
	t.h().traceSock("sock-end", map[string]any{"local": t.s.local.String(), "remote": t.St.Remote.String(),
		"err": int(e)})
	t.s.wake()
}

// reset aborts the connection, telling the peer with RST.
func (t *tcb) reset() {
	if t.St.Phase == PhaseOpen || t.St.Phase == PhaseSynRcvd {
		t.send(flagRST|flagACK, t.St.SndNxt, nil)
	}
	t.finish(ECONNRESET)
}

func (t *tcb) send(flags uint8, seq uint64, data []byte) {
	st := &t.St
	g := &segment{SrcPort: t.s.local.Port, DstPort: st.Remote.Port, Flags: flags, Seq: seq, Data: data}
	if flags&flagACK != 0 {
		g.Ack = st.RcvNxt
	}
	g.Wnd = t.rcvWnd()
	st.LastWnd = g.Wnd
	_, _ = t.h().fab.Send(&Packet{From: t.h().id, To: st.Remote.Computer, Proto: ProtoStream,
		What: g.what(), Size: SegHeader + len(data), Body: g})
}

func (t *tcb) sendAck() { t.send(flagACK, t.St.SndNxt, nil) }

// output sends what the peer's window allows, and FIN when due.
func (t *tcb) output() {
	st := &t.St
	if st.Phase != PhaseOpen || st.TimeWait {
		return
	}
	end := t.dataEnd()
	wndEnd := st.SndUna + uint64(st.PeerWnd)
	for st.SndNxt < end && st.SndNxt < wndEnd {
		n := min(uint64(st.Cfg.MSS), end-st.SndNxt, wndEnd-st.SndNxt)
		off := st.SndNxt - st.SndUna
		flags := uint8(flagACK)
		fin := st.WrShut && st.SndNxt+n == end
		if fin {
			flags |= flagFIN
		}
		if !st.RTTValid {
			st.RTTSeq, st.RTTStart, st.RTTValid = st.SndNxt+n, t.h().now(), true
		}
		t.send(flags, st.SndNxt, st.SndBuf[off:off+n])
		st.SndNxt += n
		if fin {
			st.SndNxt++
			st.FinSent = true
		}
	}
	if st.WrShut && !st.FinSent && st.SndNxt == end {
		t.send(flagFIN|flagACK, end, nil)
		st.SndNxt++
		st.FinSent = true
	}
	if st.SndNxt > st.SndUna || (end > st.SndNxt && st.PeerWnd == 0) {
		if !t.rtx.Pending() {
			t.armRTX()
		}
	}
}

func (t *tcb) armRTX() {
	h := t.h()
	h.fab.loop.Cancel(t.rtx)
	t.rtx = h.fab.loop.After(t.St.RTO, t.onTimeout)
}

func (t *tcb) stopRTX() {
	t.h().fab.loop.Cancel(t.rtx)
	t.rtx = nil
}

// retransmit resends the oldest unacknowledged thing.
func (t *tcb) retransmit() {
	st := &t.St
	st.Retransmits++
	switch st.Phase {
	case PhaseSynSent:
		t.send(flagSYN, st.ISS, nil)
		return
	case PhaseSynRcvd:
		t.send(flagSYN|flagACK, st.ISS, nil)
		return
	case PhaseOpen:
	default:
		return
	}
	end := t.dataEnd()
	if st.SndUna < end {
		lim := st.SndNxt
		if lim <= st.SndUna { // a zero-window probe: one byte past the window
			lim = st.SndUna + 1
			st.SndNxt = lim
		}
		n := min(uint64(st.Cfg.MSS), min(lim, end)-st.SndUna)
		flags := uint8(flagACK)
		if st.FinSent && st.SndUna+n == end {
			flags |= flagFIN
		}
		t.send(flags, st.SndUna, st.SndBuf[:n])
	} else if st.FinSent && !st.FinAcked {
		t.send(flagFIN|flagACK, end, nil)
	}
}

func (t *tcb) onTimeout() {
	t.rtx = nil
	st := &t.St
	if st.Phase == PhaseDone {
		return
	}
	if st.Phase == PhaseOpen && st.SndNxt == st.SndUna && !(t.dataEnd() > st.SndNxt && st.PeerWnd == 0) {
		return // nothing outstanding any more
	}
	st.Retries++
	if st.Retries > st.Cfg.MaxRetries {
		t.h().traceSock("sock-timeout", map[string]any{"local": t.s.local.String(), "remote": st.Remote.String(),
			"retries": st.Retries - 1})
		if st.Phase == PhaseOpen {
			t.send(flagRST|flagACK, st.SndNxt, nil)
		}
		t.finish(ETIMEDOUT)
		return
	}
	st.RTO = min(2*st.RTO, st.Cfg.MaxRTO)
	st.RTTValid = false // Karn: no samples from retransmitted data
	st.DupAcks = 0
	t.retransmit()
	if st.Phase == PhaseOpen {
		st.InRecovery, st.Recover = true, st.SndNxt
	}
	t.armRTX()
}

func (t *tcb) sampleRTT(r vtime.Duration) {
	st := &t.St
	if st.SRTT == 0 {
		st.SRTT, st.RTTVar = r, r/2
	} else {
		d := st.SRTT - r
		if d < 0 {
			d = -d
		}
		st.RTTVar = (3*st.RTTVar + d) / 4
		st.SRTT = (7*st.SRTT + r) / 8
	}
	st.RTO = min(max(st.SRTT+4*st.RTTVar, st.Cfg.MinRTO), st.Cfg.MaxRTO)
}

func (h *Host) receiveSegment(p *Packet) {
	g, ok := p.Body.(*segment)
	if !ok {
		h.fab.Drop(p, DropNoListener)
		return
	}
	from := Addr{Computer: p.From, Port: g.SrcPort}
	if s := h.conns[connKey{g.DstPort, from}]; s != nil {
		s.tc.input(g)
		return
	}
	if g.Flags&flagRST != 0 {
		return // nothing to reset
	}
	if g.Flags&(flagSYN|flagACK) == flagSYN {
		if l := h.streamPorts[g.DstPort]; l != nil && !l.closed && l.tc.St.Phase == PhaseListen {
			lt := l.tc
			if len(lt.synQ)+len(lt.acceptQ) >= lt.St.Backlog {
				h.fab.Drop(p, DropQueue)
				return
			}
			c, _ := h.Socket(Stream)
			c.local = Addr{Computer: h.id, Port: g.DstPort}
			ct := c.tc
			ct.parent = l
			ct.St.Cfg = h.nw.tcp
			ct.St.Remote = from
			ct.St.IRS, ct.St.RcvNxt = g.Seq, g.Seq+1
			ct.St.ISS = h.iss.Uint64() >> 8
			ct.St.SndUna, ct.St.SndNxt = ct.St.ISS, ct.St.ISS+1
			ct.St.PeerWnd = g.Wnd
			ct.St.RTO = ct.St.Cfg.InitialRTO
			ct.St.Phase = PhaseSynRcvd
			lt.synQ = append(lt.synQ, c)
			h.addConn(connKey{g.DstPort, from}, c)
			ct.St.RTTSeq, ct.St.RTTStart, ct.St.RTTValid = ct.St.ISS+1, h.now(), true
			ct.send(flagSYN|flagACK, ct.St.ISS, nil)
			ct.armRTX()
			return
		}
	}
	// No connection and no listener: refuse with RST.
	h.fab.Drop(p, DropNoListener)
	r := &segment{SrcPort: g.DstPort, DstPort: g.SrcPort, Flags: flagRST}
	if g.Flags&flagACK != 0 {
		r.Seq = g.Ack
	} else {
		r.Flags |= flagACK
		r.Ack = g.Seq + uint64(len(g.Data))
		if g.Flags&flagSYN != 0 {
			r.Ack++
		}
		if g.Flags&flagFIN != 0 {
			r.Ack++
		}
	}
	_, _ = h.fab.Send(&Packet{From: h.id, To: p.From, Proto: ProtoStream, What: "rst", Size: SegHeader, Body: r})
}

func (t *tcb) input(g *segment) {
	st := &t.St
	if g.Flags&flagRST != 0 {
		if st.Phase == PhaseSynSent {
			if g.Flags&flagACK != 0 && g.Ack == st.ISS+1 {
				t.finish(ECONNREFUSED)
			}
			return
		}
		t.finish(ECONNRESET)
		return
	}
	st.Retries = 0 // the peer is alive
	switch st.Phase {
	case PhaseSynSent:
		if g.Flags&(flagSYN|flagACK) == flagSYN|flagACK && g.Ack == st.ISS+1 {
			st.IRS, st.RcvNxt = g.Seq, g.Seq+1
			st.SndUna = st.ISS + 1
			st.PeerWnd = g.Wnd
			if st.RTTValid {
				t.sampleRTT(t.h().now().Sub(st.RTTStart))
				st.RTTValid = false
			}
			st.Phase = PhaseOpen
			t.stopRTX()
			t.sendAck()
			t.h().traceSock("established", map[string]any{"local": t.s.local.String(), "remote": st.Remote.String()})
			t.s.wake()
			t.output()
		}
		return
	case PhaseSynRcvd:
		if g.Flags&flagSYN != 0 {
			if g.Seq == st.IRS {
				t.send(flagSYN|flagACK, st.ISS, nil)
			}
			return
		}
		if g.Flags&flagACK == 0 || g.Ack != st.ISS+1 {
			return
		}
		st.SndUna = st.ISS + 1
		st.Phase = PhaseOpen
		if st.RTTValid {
			t.sampleRTT(t.h().now().Sub(st.RTTStart))
			st.RTTValid = false
		}
		t.stopRTX()
		if p := t.parent; p != nil {
			p.tc.synQ = removeSock(p.tc.synQ, t.s)
			p.tc.acceptQ = append(p.tc.acceptQ, t.s)
			t.h().traceSock("established", map[string]any{"local": t.s.local.String(), "remote": st.Remote.String()})
			p.wake()
		}
	case PhaseOpen:
		if g.Flags&flagSYN != 0 {
			t.sendAck() // our handshake ACK was lost; the peer resent SYN-ACK
			return
		}
	default:
		return
	}
	if g.Flags&flagACK != 0 {
		t.processAck(g)
	}
	if st.Phase != PhaseOpen {
		return
	}
	if len(g.Data) > 0 || g.Flags&flagFIN != 0 {
		t.processData(g)
	}
	if st.Phase != PhaseOpen {
		return
	}
	t.output()
	t.checkFinished()
}

func (t *tcb) processAck(g *segment) {
	st := &t.St
	switch {
	case g.Ack > st.SndUna && g.Ack <= st.SndNxt:
		end := t.dataEnd()
		acked := g.Ack - st.SndUna
		nd := min(acked, uint64(len(st.SndBuf)))
		st.SndBuf = st.SndBuf[nd:]
		if len(st.SndBuf) == 0 {
			st.SndBuf = nil
		}
		if st.FinSent && g.Ack == end+1 {
			st.FinAcked = true
		}
		if st.RTTValid && g.Ack >= st.RTTSeq {
			t.sampleRTT(t.h().now().Sub(st.RTTStart))
			st.RTTValid = false
		} else if st.SRTT > 0 {
			// Progress ends the backoff even without a fresh sample.
			st.RTO = min(max(st.SRTT+4*st.RTTVar, st.Cfg.MinRTO), st.Cfg.MaxRTO)
		}
		st.SndUna = g.Ack
		st.DupAcks = 0
		st.PeerWnd = g.Wnd
		if st.InRecovery {
			if g.Ack >= st.Recover {
				st.InRecovery = false
			} else {
				t.retransmit() // NewReno partial ACK: the next hole
			}
		}
		if st.SndNxt > st.SndUna {
			t.armRTX()
		} else {
			t.stopRTX()
		}
		t.s.wake()
	case g.Ack == st.SndUna:
		if len(g.Data) == 0 && g.Flags&flagFIN == 0 && st.SndNxt > st.SndUna && g.Wnd == st.PeerWnd {
			st.DupAcks++
			if st.DupAcks == 3 && !st.InRecovery {
				t.retransmit()
				st.InRecovery, st.Recover = true, st.SndNxt
			}
		}
		if g.Wnd != st.PeerWnd {
			st.PeerWnd = g.Wnd
			if st.PeerWnd > 0 && st.SndNxt == st.SndUna {
				t.stopRTX() // window reopened: the persist timer is moot
			}
		}
	}
}

func (t *tcb) processData(g *segment) {
	st := &t.St
	seq, d, fin := g.Seq, g.Data, g.Flags&flagFIN != 0
	finLen := uint64(0)
	if fin {
		finLen = 1
	}
	if seq+uint64(len(d))+finLen <= st.RcvNxt || st.PeerFin {
		t.sendAck() // all old: a duplicate
		return
	}
	if st.Closed && len(d) > 0 {
		t.reset() // data for a socket nobody can read
		return
	}
	if seq < st.RcvNxt {
		d = d[st.RcvNxt-seq:]
		seq = st.RcvNxt
	}
	wndEnd := st.RcvNxt + uint64(t.rcvWnd())
	if len(d) > 0 && seq >= wndEnd {
		t.sendAck() // beyond the window (a zero-window probe, say)
		return
	}
	if seq+uint64(len(d)) > wndEnd {
		d = d[:wndEnd-seq]
		fin = false
	}
	if seq == st.RcvNxt {
		t.accept(d, fin)
		for len(st.OOO) > 0 && st.OOO[0].Seq <= st.RcvNxt && !st.PeerFin {
			o := st.OOO[0]
			st.OOO = st.OOO[1:]
			end := o.Seq + uint64(len(o.Data))
			if end < st.RcvNxt || (end == st.RcvNxt && !o.Fin) {
				continue
			}
			t.accept(o.Data[st.RcvNxt-o.Seq:], o.Fin)
		}
		if len(st.OOO) == 0 {
			st.OOO = nil
		}
		t.s.wake()
	} else {
		t.insertOOO(OOOSegment{Seq: seq, Data: d, Fin: fin})
	}
	t.sendAck()
}

func (t *tcb) accept(d []byte, fin bool) {
	st := &t.St
	if !st.RdShut {
		st.RcvBuf = append(st.RcvBuf, d...)
	}
	st.RcvNxt += uint64(len(d))
	if fin {
		st.RcvNxt++
		st.PeerFin = true
		st.PeerFinFirst = !st.FinSent
	}
}

func (t *tcb) insertOOO(o OOOSegment) {
	q := t.St.OOO
	i := len(q)
	for i > 0 && q[i-1].Seq > o.Seq {
		i--
	}
	if i > 0 && q[i-1].Seq == o.Seq {
		if len(q[i-1].Data) < len(o.Data) || (o.Fin && !q[i-1].Fin) {
			q[i-1] = o
		}
		return
	}
	q = append(q, OOOSegment{})
	copy(q[i+1:], q[i:])
	q[i] = o
	t.St.OOO = q
}

// windowUpdate tells the peer about space freed by a Read when the window
// grew enough to matter (receiver-side silly-window avoidance).
func (t *tcb) windowUpdate() {
	st := &t.St
	if st.Phase != PhaseOpen || st.PeerFin {
		return
	}
	w := t.rcvWnd()
	if w-st.LastWnd >= min(2*st.Cfg.MSS, st.Cfg.RcvBuf/2) || (st.LastWnd < st.Cfg.MSS && w >= st.Cfg.MSS) {
		t.sendAck()
	}
}

// checkFinished moves a half-closed connection to its end once both FINs
// are through, and bounds how long a closed socket waits for the peer.
func (t *tcb) checkFinished() {
	st := &t.St
	if st.Phase != PhaseOpen || st.TimeWait {
		return
	}
	h := t.h()
	switch {
	case st.FinAcked && st.PeerFin:
		if st.PeerFinFirst || st.Cfg.TimeWait == 0 {
			t.finish(0)
			return
		}
		st.TimeWait = true
		t.stopRTX()
		h.fab.loop.Cancel(t.linger)
		t.linger = h.fab.loop.After(st.Cfg.TimeWait, func() { t.linger = nil; t.finish(0) })
		t.s.wake()
	case st.Closed && st.FinAcked && t.linger == nil:
		t.linger = h.fab.loop.After(st.Cfg.FinWait2, func() { t.linger = nil; t.finish(0) })
	}
}
