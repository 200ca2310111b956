package kernel

import (
	"fmt"

	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/net"
	"dosemu/vfs"
)

// Remote pipe ends
//
// When a spawn gives a child on another computer one end of a pipe, the
// child's kernel holds a remotePipeEnd that reaches the pipe on its home
// kernel with kernel messages (net.Host.Call):
//
//	pipe.read  {id, max}   → {data, eof}: what the pipe holds now (maybe nothing)
//	pipe.write {id, data}  → {n}: how much fitted (maybe 0); EPIPE without readers
//	pipe.close {id, write} → {}
//	pipe.ready {token}     ← the home tells an end that waited that it may retry
//
// Every request is answered at once, so nothing sits in the fabric while
// a pipe is idle: an end that got nothing registers interest and the home
// sends pipe.ready when the pipe changes. A writer keeps at most
// remoteWindow bytes in its outbox and one write in flight; a reader
// keeps what one read brought and one read in flight. One request in
// flight per end keeps the bytes in order over a fabric that may reorder
// or duplicate packets (duplicates are suppressed by the call layer).
// Each message pays the fabric's latency and bandwidth, so a pipe across
// computers is slower than a local one exactly as the network says.
//
// Requests leave at the caller's virtual time (a loop event at
// Process.Now), as socket sends do. If the home stops answering (calls
// time out after retries), the end fails: reads answer EIO, writes EIO.

const (
	remoteWindow  = 64 << 10 // a remote writer's outbox
	remoteChunk   = 64 << 10 // bytes per pipe.read / pipe.write
	pipeCallWait  = vtime.Duration(200_000_000)
	pipeCallRetry = 5
)

type pipeReadReq struct {
	ID    uint64
	Max   int
	Token uint64 // who to tell when data arrives
}

type pipeReadRep struct {
	Data []byte
	EOF  bool
}

type pipeWriteReq struct {
	ID    uint64
	Data  []byte
	Token uint64
}

type pipeWriteRep struct{ N int }

type pipeCloseReq struct {
	ID    uint64
	Write bool
	// Unread: a reader's bytes taken from the pipe that its process
	// never read; they go back to the front of the pipe.
	Unread []byte
}

type pipeReadyMsg struct{ Token uint64 }

// remoteWaiter is an end on another computer that wants pipe.ready.
type remoteWaiter struct {
	comp  int
	token uint64
}

// servePipes registers the pipe message handlers on k's network host
// (once). It fails when the cluster has no network.
func (k *Kernel) servePipes() error {
	x := k.procExt()
	if x.pipesServed {
		return nil
	}
	h := k.host()
	if h == nil {
		return errf(vfs.ENOSYS, "kernel: %s: a pipe across computers needs the cluster network, which this cluster has not", k.cfg.Name)
	}
	x.pipesServed = true
	h.Handle("pipe.read", k.handlePipeRead)
	h.Handle("pipe.write", k.handlePipeWrite)
	h.Handle("pipe.close", k.handlePipeClose)
	h.Handle("pipe.ready", k.handlePipeReady)
	return nil
}

func (k *Kernel) exportedPipe(id uint64) *Pipe { return k.procExt().pipes[id] }

// exportPipe makes p reachable by id from other computers.
func (k *Kernel) exportPipe(p *Pipe) error {
	if err := k.servePipes(); err != nil {
		return err
	}
	x := k.procExt()
	if x.pipes == nil {
		x.pipes = map[uint64]*Pipe{}
	}
	x.pipes[p.id] = p
	return nil
}

func (p *Pipe) wantReady(comp int, token uint64) {
	for _, w := range p.remote {
		if w.comp == comp && w.token == token {
			return
		}
	}
	p.remote = append(p.remote, remoteWaiter{comp, token})
}

// tellRemote sends pipe.ready to every remote end that waited, at the
// virtual time of whatever changed the pipe.
func (p *Pipe) tellRemote() {
	if len(p.remote) == 0 {
		return
	}
	ws := p.remote
	p.remote = nil
	k := p.k
	h := k.host()
	if h == nil {
		return
	}
	k.loop.At(max(k.currentTime(), k.loop.Now()), func() {
		for _, w := range ws {
			_, _ = h.Call(w.comp, net.Message{Type: "pipe.ready", Body: pipeReadyMsg{w.token}, Size: 16},
				net.CallOpts{Timeout: pipeCallWait, Retries: pipeCallRetry}, func(net.Message, net.Errno) {})
		}
	})
}

func (k *Kernel) handlePipeRead(from int, m net.Message, reply func(net.Message, net.Errno)) {
	req, ok := m.Body.(pipeReadReq)
	p := k.exportedPipe(req.ID)
	if !ok || p == nil || req.Max <= 0 {
		reply(net.Message{}, net.Errno(vfs.EBADF))
		return
	}
	if p.n == 0 && p.writers > 0 {
		p.wantReady(from, req.Token)
		reply(net.Message{Type: "pipe.read", Body: pipeReadRep{}, Size: 8}, 0)
		return
	}
	b := make([]byte, min(req.Max, p.n, remoteChunk))
	n, _ := p.readOp(b)
	reply(net.Message{Type: "pipe.read", Body: pipeReadRep{Data: b[:n], EOF: n == 0}, Size: 8 + n}, 0)
}

func (k *Kernel) handlePipeWrite(from int, m net.Message, reply func(net.Message, net.Errno)) {
	req, ok := m.Body.(pipeWriteReq)
	p := k.exportedPipe(req.ID)
	if !ok || p == nil {
		reply(net.Message{}, net.Errno(vfs.EBADF))
		return
	}
	if p.readers == 0 {
		reply(net.Message{}, net.Errno(vfs.EPIPE))
		return
	}
	n := 0
	if f := p.free(); f > 0 && len(req.Data) > 0 {
		wasEmpty := p.n == 0
		n = p.writeFrom(req.Data[:min(f, len(req.Data))])
		if wasEmpty {
			p.changed()
		}
	}
	if n < len(req.Data) {
		p.wantReady(from, req.Token)
	}
	reply(net.Message{Type: "pipe.write", Body: pipeWriteRep{N: n}, Size: 8}, 0)
}

func (k *Kernel) handlePipeClose(from int, m net.Message, reply func(net.Message, net.Errno)) {
	req, ok := m.Body.(pipeCloseReq)
	p := k.exportedPipe(req.ID)
	if !ok || p == nil {
		reply(net.Message{}, net.Errno(vfs.EBADF))
		return
	}
	if !req.Write {
		p.unread(req.Unread)
	}
	p.closeEnd(req.Write)
	if p.readers == 0 && p.writers == 0 {
		delete(k.procExt().pipes, p.id)
	}
	reply(net.Message{Type: "pipe.close", Size: 8}, 0)
}

func (k *Kernel) handlePipeReady(from int, m net.Message, reply func(net.Message, net.Errno)) {
	req, ok := m.Body.(pipeReadyMsg)
	if ok {
		if e := k.procExt().remoteEnds[req.Token]; e != nil {
			e.kick()
		}
	}
	reply(net.Message{Type: "pipe.ready", Size: 8}, 0)
}

// remotePipeEnd is a pipe end held on a computer other than the pipe's
// home.
//
// A reader fetches only on demand: a pipe.read leaves when the process
// reads (or polls) and finds nothing buffered, never ahead of it. Bytes
// taken from the pipe belong to this end until the process reads them;
// another process reading the same pipe (a parent that kept its copy of
// the end, a sibling) must not lose them to an end that would never be
// read, so an end closed with bytes it fetched hands them back to the
// pipe (pipe.close carries them; see Pipe.unread).
type remotePipeEnd struct {
	fd.Base
	k     *Kernel // where the end is held
	home  int     // the pipe's home computer
	id    uint64  // the pipe's id there
	token uint64  // this end's id on k, for pipe.ready
	write bool

	closed   bool  // closed by its last fd
	finished bool  // pipe.close sent
	inFlight bool  // a request is out
	reading  bool  // that request is a pipe.read (due or on the wire)
	writing  bool  // that request is a pipe.write
	err      error // the home stopped answering

	in  []byte // reader: bytes fetched, not yet read
	eof bool

	out    []byte // writer: bytes accepted, not yet at the home
	broken bool   // writer: the home said EPIPE

	moved, calls uint64 // bytes and requests, for tests

	hand handover // what an end this one replaced (migration) left
	// heirs counts the successors (see handover) that will take this
	// end's bytes once its reads are settled; while there are any, the
	// bytes are theirs, not the pipe's.
	heirs int
	// waiters are run when this end's read in flight comes back: the
	// successors that wait for it to send or close.
	waiters []func()
	parked  bool // this end is among some predecessor's waiters
}

// handover is what a pipe end replaced by a migration (MovePipeEnds)
// leaves to its successor, so that no byte is lost, repeated or
// reordered by the move, however many moves follow one another: a
// reader's bytes fetched but not yet read (carry), and the old end itself
// (pred) while bytes may still arrive there (its read in flight, or the
// reads of the ends it replaced in turn); a writer's outbox still on its
// way to the pipe (the successor writes only once every predecessor has
// drained, so the pipe sees the bytes in the order the process wrote them).
//
// Ordering of reads. The old end's read and the successor's first read
// travel on different links (old computer to home, new computer to
// home), so on links of different latencies the successor's could reach
// the home first and take bytes that come after the old read's. So the
// successor sends no read of its own while any predecessor's read is
// out: a remote successor registers with that predecessor (waiters) and
// is kicked when its answer is back; a local successor (the pipe's home)
// answers EAGAIN until then. The pipe therefore serves the reads of the
// old and the new ends in the order the process made them. The bytes
// the process sees are, in order: carry, then pred's (its own carry, its
// predecessor's, what it fetched), then what the successor fetches.
type handover struct {
	carry []byte
	pred  *remotePipeEnd
}

// settled reports that no byte can still arrive at e or at any end it
// replaced: every read of the chain is back.
func (e *remotePipeEnd) settled() bool {
	for x := e; x != nil; x = x.hand.pred {
		if x.reading {
			return false
		}
	}
	return true
}

// unsettled is the first end of e's chain with a read out (nil when
// settled): the one to wait for.
func (e *remotePipeEnd) unsettled() *remotePipeEnd {
	for x := e; x != nil; x = x.hand.pred {
		if x.reading {
			return x
		}
	}
	return nil
}

// take removes and returns every byte e holds for the process, in the
// order the process must see them. e must be settled.
func (e *remotePipeEnd) take() []byte {
	e.hand.settle()
	b := append(e.hand.carry, e.in...)
	e.hand.carry, e.in = nil, nil
	return b
}

// settle moves the predecessor's bytes into carry once they are all
// back, and forgets the predecessor.
func (h *handover) settle() {
	p := h.pred
	if p == nil || !p.settled() {
		return
	}
	h.carry = append(h.carry, p.take()...)
	h.pred = nil
	p.heirs--
	if p.closed {
		p.kick() // its close may have waited for its heir to take the bytes
	}
}

// read serves b from the carried bytes; wait reports that a
// predecessor's read is still in flight (nothing may be read past it yet).
func (h *handover) read(b []byte) (n int, wait bool) {
	h.settle()
	if len(h.carry) > 0 {
		n = copy(b, h.carry)
		h.carry = h.carry[n:]
		if len(h.carry) == 0 {
			h.carry = nil
		}
		return n, false
	}
	return 0, h.pred != nil
}

func (h *handover) readable() bool {
	h.settle()
	return len(h.carry) > 0
}

// waiting reports that a predecessor's read is still out: the successor
// may neither read past it nor send a read of its own.
func (h *handover) waiting() bool {
	h.settle()
	return h.pred != nil
}

// wait runs f once no predecessor's read holds the successor back (at
// once when none does): it waits for each read out in the chain in turn.
func (h *handover) wait(f func()) {
	if !h.waiting() {
		f()
		return
	}
	x := h.pred.unsettled()
	x.waiters = append(x.waiters, func() { h.wait(f) })
}

// draining reports that an old writer (this end's predecessor or one
// before it) still has bytes on their way.
func (h *handover) draining() bool {
	p := h.pred
	if p == nil {
		return false
	}
	if p.err != nil || p.broken || (len(p.out) == 0 && !p.writing && !p.hand.draining()) {
		h.pred = nil
		return false
	}
	return true
}

// takeCarry empties the carried bytes, for an end closed before reading
// them: they go back to the pipe.
func (h *handover) takeCarry() []byte {
	b := h.carry
	h.carry = nil
	return b
}

// handOff moves what old (being replaced by a migration) holds for the
// process into h. Cost: one copy of the bytes old holds.
func (h *handover) handOff(old fd.File) {
	if le, ok := old.(*pipeEnd); ok {
		// A local end holds nothing in flight of its own, but it may still
		// hold what the end before it left: that passes on whole, the
		// predecessor's heir with it.
		h.carry = append(h.carry, le.hand.takeCarry()...)
		if le.write && !le.hand.draining() {
			return
		}
		h.pred, le.hand.pred = le.hand.pred, nil
		return
	}
	e, ok := old.(*remotePipeEnd)
	if !ok {
		return
	}
	if e.write {
		if len(e.out) > 0 || e.writing || e.hand.draining() {
			h.pred = e
		}
		return
	}
	// The process's oldest bytes first: what old carried is before
	// anything old or its predecessors still have to deliver.
	h.carry = append(h.carry, e.hand.takeCarry()...)
	if e.settled() {
		h.carry = append(h.carry, e.take()...)
		return
	}
	h.pred = e
	e.heirs++
}

var (
	_ fd.File      = (*remotePipeEnd)(nil)
	_ fd.Describer = (*remotePipeEnd)(nil)
)

// newRemotePipeEnd makes an end of pipe (home, id) on k; the caller has
// counted it at the home. It sends nothing until the process uses it.
func newRemotePipeEnd(k *Kernel, home int, id uint64, write bool) (*remotePipeEnd, error) {
	if err := k.servePipes(); err != nil {
		return nil, err
	}
	x := k.procExt()
	x.nextEnd++
	e := &remotePipeEnd{k: k, home: home, id: id, token: x.nextEnd, write: write}
	if x.remoteEnds == nil {
		x.remoteEnds = map[uint64]*remotePipeEnd{}
	}
	x.remoteEnds[e.token] = e
	return e, nil
}

// kick sends the next request if one is due, at the caller's time: a
// writer's outbox, a reader's read when it has nothing buffered, the
// close of a closed end once nothing else is due.
func (e *remotePipeEnd) kick() {
	if e.inFlight || e.finished || e.err != nil {
		return
	}
	var send func()
	switch {
	case e.write && len(e.out) > 0 && !e.broken:
		send = e.sendWrite
		e.writing = true
	case !e.write && !e.closed && len(e.in) == 0 && !e.eof:
		if e.hand.waiting() {
			e.park()
			return
		}
		send = e.sendRead
		e.reading = true
	case e.closed:
		if !e.write && e.heirs == 0 && e.hand.waiting() {
			// Its bytes go back to the pipe with the close, after
			// those still on their way to it.
			e.park()
			return
		}
		send = e.sendClose
	default:
		return
	}
	e.inFlight = true
	e.k.loop.At(max(e.k.currentTime(), e.k.loop.Now()), send)
}

// park waits (once) for the predecessor's read that holds e back, then
// kicks e again.
func (e *remotePipeEnd) park() {
	if e.parked {
		return
	}
	e.parked = true
	e.hand.wait(func() {
		e.parked = false
		e.kick()
	})
}

// readDone ends a read: whoever waited for it may go on.
func (e *remotePipeEnd) readDone() {
	e.reading = false
	ws := e.waiters
	e.waiters = nil
	for _, f := range ws {
		f()
	}
	if e.heirs > 0 {
		e.k.notifyHook() // a successor on another computer may read now
	}
}

func (e *remotePipeEnd) call(m net.Message, done func(net.Message, net.Errno)) {
	h := e.k.host()
	e.calls++
	if h == nil {
		e.fail(fmt.Errorf("no network"))
		return
	}
	if _, err := h.Call(e.home, m, net.CallOpts{Timeout: pipeCallWait, Retries: pipeCallRetry}, done); err != nil {
		e.fail(err)
	}
}

func (e *remotePipeEnd) fail(err error) {
	e.inFlight, e.writing = false, false
	e.err = err
	e.readDone()
	e.out = nil
	e.forget()
	e.k.notifyHook()
}

func (e *remotePipeEnd) forget() {
	delete(e.k.procExt().remoteEnds, e.token)
}

func (e *remotePipeEnd) sendRead() {
	if e.closed || e.hand.waiting() {
		// Closed, or handed a predecessor (MovePipeEnds makes the end,
		// then hands over), since the read was due: no read now.
		e.inFlight = false
		e.readDone()
		e.kick()
		return
	}
	e.call(net.Message{Type: "pipe.read", Body: pipeReadReq{ID: e.id, Max: remoteChunk, Token: e.token}, Size: 24},
		func(m net.Message, no net.Errno) {
			e.inFlight = false
			if no != 0 {
				e.fail(vfs.Errno(no))
				return
			}
			rep, _ := m.Body.(pipeReadRep)
			// The bytes are the process's wherever it now reads: here,
			// at a successor (heirs), or back in the pipe at the close.
			e.in = append(e.in, rep.Data...)
			e.eof = e.eof || rep.EOF
			e.moved += uint64(len(rep.Data))
			e.readDone() // after the bytes are where a successor looks
			if len(rep.Data) > 0 || rep.EOF {
				e.k.notifyHook()
			}
			if e.closed {
				e.kick() // the guest is gone: only the close is left
			}
			// Nothing yet: the home will send pipe.ready.
		})
}

func (e *remotePipeEnd) sendWrite() {
	chunk := e.out[:min(len(e.out), remoteChunk)]
	e.call(net.Message{Type: "pipe.write", Body: pipeWriteReq{ID: e.id, Data: chunk, Token: e.token}, Size: 24 + len(chunk)},
		func(m net.Message, no net.Errno) {
			e.inFlight, e.writing = false, false
			if no == net.Errno(vfs.EPIPE) {
				e.broken = true
				e.out = nil
				e.k.notifyHook()
				e.kick()
				return
			}
			if no != 0 {
				e.fail(vfs.Errno(no))
				return
			}
			rep, _ := m.Body.(pipeWriteRep)
			n := min(max(rep.N, 0), len(chunk))
			wasFull := len(e.out) > remoteWindow-PipeAtomic
			e.out = e.out[n:]
			e.moved += uint64(n)
			if wasFull || len(e.out) == 0 {
				e.k.notifyHook() // a successor may write once the outbox is out
			}
			if n > 0 || len(e.out) == 0 {
				e.kick()
			}
			// n == 0: the pipe is full and the home will send pipe.ready.
		})
}

func (e *remotePipeEnd) sendClose() {
	var back []byte
	if !e.write && e.heirs == 0 && !e.hand.waiting() {
		back = e.take()
	}
	e.call(net.Message{Type: "pipe.close", Body: pipeCloseReq{ID: e.id, Write: e.write, Unread: back}, Size: 16 + len(back)},
		func(net.Message, net.Errno) {
			e.inFlight = false
			e.finished = true
			e.forget()
		})
}

func (e *remotePipeEnd) Type() vfs.FileType { return vfs.TypeUnknown }

func (e *remotePipeEnd) Read(b []byte) (int, error) {
	if e.write || e.closed {
		return 0, vfs.EBADF
	}
	if len(b) == 0 {
		return 0, nil
	}
	if n, wait := e.hand.read(b); n > 0 || wait {
		if wait {
			return 0, vfs.EAGAIN
		}
		return n, nil
	}
	if len(e.in) == 0 {
		if e.eof {
			return 0, nil
		}
		if e.err != nil {
			return 0, vfs.EIO
		}
		e.kick()
		return 0, vfs.EAGAIN
	}
	n := copy(b, e.in)
	e.in = e.in[n:]
	if len(e.in) == 0 {
		e.in = nil // the next read fetches: nothing is taken ahead of the process
	}
	return n, nil
}

func (e *remotePipeEnd) Write(b []byte) (int, error) {
	if !e.write || e.closed {
		return 0, vfs.EBADF
	}
	if e.broken {
		return 0, vfs.EPIPE
	}
	if e.err != nil {
		return 0, vfs.EIO
	}
	if len(b) == 0 {
		return 0, nil
	}
	if e.hand.draining() {
		return 0, vfs.EAGAIN
	}
	room := remoteWindow - len(e.out)
	if room <= 0 || (len(b) <= PipeAtomic && room < len(b)) {
		return 0, vfs.EAGAIN
	}
	n := min(room, len(b))
	e.out = append(e.out, b[:n]...)
	e.kick()
	return n, nil
}

// Readable reports buffered bytes, end of file or a failure; when there
// are none it asks the home for bytes (a poll is a demand to read).
func (e *remotePipeEnd) Readable() bool {
	if e.write || e.closed {
		return false
	}
	if e.hand.readable() || (!e.hand.waiting() && (len(e.in) > 0 || e.eof || e.err != nil)) {
		return true
	}
	e.kick()
	return false
}

func (e *remotePipeEnd) Writable() bool {
	return e.write && !e.hand.draining() && (e.broken || e.err != nil || len(e.out) <= remoteWindow-PipeAtomic)
}

func (e *remotePipeEnd) Stat() (vfs.Stat, error) {
	return vfs.Stat{Type: vfs.TypeUnknown, Nlink: 1, Ino: e.id, Size: uint64(len(e.in))}, nil
}

func (e *remotePipeEnd) Sync(bool) error { return nil }

// Close hands the end back: a writer's outbox is still delivered, then
// the home is told (as a local close would, the pipe sees the end go only
// after the bytes written before it); a reader's bytes not read by the
// process go back to the pipe with the close (once its reads and those
// of the ends it replaced are back), unless a successor takes them.
func (e *remotePipeEnd) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	if e.err != nil {
		e.finished = true
		e.forget()
		return nil
	}
	e.kick()
	return nil
}

// Describe implements fd.Describer.
func (e *remotePipeEnd) Describe() fd.Record {
	name := fmt.Sprintf("c%d", e.home)
	if hk := e.k.world.Kernel(e.home); hk != nil {
		name = hk.Name()
	}
	return fd.Record{Kind: "pipe", Computer: name, Path: fmt.Sprintf("%s|%d", name, e.id), Ino: e.id,
		Flags: e.FDFlags, Read: !e.write, Write: e.write}
}

// shareEnd returns the File a process on kernel to should hold for the
// pipe end f (held on this side by some process): the same File when to
// is where f lives, else a new end counted at the pipe's home. ok is
// false when f is not a pipe end.
func shareEnd(f fd.File, to *Kernel) (nf fd.File, same, ok bool, err error) {
	switch e := f.(type) {
	case *pipeEnd:
		if e.p.k == to {
			return e, true, true, nil
		}
		if err := e.p.k.exportPipe(e.p); err != nil {
			return nil, false, true, err
		}
		re, err := newRemotePipeEnd(to, e.p.k.cfg.Index, e.p.id, e.write)
		if err != nil {
			return nil, false, true, err
		}
		e.p.addEnd(e.write)
		return re, false, true, nil
	case *remotePipeEnd:
		if e.k == to {
			return e, true, true, nil
		}
		hk := e.k.world.Kernel(e.home)
		if hk == nil {
			return nil, false, true, errf(vfs.EIO, "kernel: pipe end of %s: home computer %d is gone", e.k.cfg.Name, e.home)
		}
		p := hk.exportedPipe(e.id)
		if p == nil || e.closed || e.err != nil {
			return nil, false, true, errf(vfs.EPIPE, "kernel: pipe %d of c%d is closed", e.id, e.home)
		}
		if hk == to {
			p.addEnd(e.write)
			return &pipeEnd{p: p, write: e.write}, false, true, nil
		}
		re, err := newRemotePipeEnd(to, e.home, e.id, e.write)
		if err != nil {
			return nil, false, true, err
		}
		p.addEnd(e.write)
		return re, false, true, nil
	}
	return nil, false, false, nil
}

// MovePipeEnds gives p, which is moving to kernel to (migration), pipe
// ends that reach their pipes from there: an end whose pipe is homed on
// to becomes a local end again, any other a remote end. Only p's fds
// change — a description shared with a process staying behind (after
// fork) keeps its end there. The new end is counted before the old one
// is closed, so the pipe never sees its last reader or writer go.
func (p *Process) MovePipeEnds(to *Kernel) error {
	n := p.fds.Len()
	for i := int32(0); i < int32(n); i++ {
		e, err := p.fds.Get(i)
		if err != nil || !isPipe(e.File()) {
			continue
		}
		nf, same, _, err := shareEnd(e.File(), to)
		if err != nil {
			return fmt.Errorf("kernel: %s: move fd %d to %s: %w", p, i, to.cfg.Name, err)
		}
		if same {
			continue
		}
		cloexec, flags := e.CloseOnExec, e.File().Flags()
		_ = nf.SetFlags(flags)
		switch ne := nf.(type) {
		case *pipeEnd:
			ne.hand.handOff(e.File())
		case *remotePipeEnd:
			ne.hand.handOff(e.File())
		}
		if err := p.fds.Set(i, nf, e.Rights, e.Inheriting); err != nil {
			_ = nf.Close()
			return err
		}
		if ne, err := p.fds.Get(i); err == nil {
			ne.CloseOnExec = cloexec
		}
	}
	return nil
}
