package net

import (
	"fmt"

	"dosemu/emulator/vtime"
)

// Message is a typed kernel-to-kernel message. Type names the service and
// operation ("vfs.read", "mig.page", ...). Body is passed in-process as is:
// it must not be modified after sending, and handlers must not modify it
// (a duplicated packet shares it). Size is the payload's size on the wire
// in bytes; when 0 and Body is a []byte, len(Body) is used.
type Message struct {
	Type string
	Body any
	Size int
}

// KernelHeader is the wire overhead of a kernel message (IPv4 + UDP +
// call id, type, flags).
const KernelHeader = 48

func (m Message) wireSize() int {
	if m.Size == 0 {
		if b, ok := m.Body.([]byte); ok {
			return KernelHeader + len(b)
		}
	}
	return KernelHeader + max(m.Size, 0)
}

// Handler serves one message type on a host. from is the sender's
// computer. For a request (sent with Call) the handler must eventually call
// reply exactly once — now or later from another event — with the answer
// or an errno; further calls are ignored. For a one-way message (Post)
// reply does nothing.
type Handler func(from int, m Message, reply func(Message, Errno))

// CallOpts bounds a Call in virtual time.
type CallOpts struct {
	// Timeout is how long one attempt waits for its reply (required, > 0).
	Timeout vtime.Duration
	// Retries is how many times the request is re-sent after a timeout.
	// The server runs a request once however often it arrives, and answers
	// repeats from a cache, so retries are safe for any handler.
	Retries int
}

type kmsg struct {
	Call  uint64 // 0 for a one-way message
	Reply bool
	Err   Errno
	Msg   Message
}

type call struct {
	id       uint64
	to       int
	m        Message
	opt      CallOpts
	attempts int
	timer    *vtime.Event
	done     func(Message, Errno)
}

type servedKey struct {
	from int
	id   uint64
}

type served struct {
	done  bool
	reply kmsg
}

// maxServed bounds the per-host cache of answered requests used to
// suppress duplicates; the oldest entries are forgotten first.
const maxServed = 4096

// Handle registers fn for messages of type typ arriving at this host,
// replacing any previous handler. Messages of a type with no handler are
// dropped ("no-listener"); a Call to one fails with ENOTSUP.
func (h *Host) Handle(typ string, fn Handler) {
	if fn == nil {
		delete(h.handlers, typ)
		return
	}
	h.handlers[typ] = fn
}

// Post sends a one-way message to computer to (no reply, no retries: it
// may be lost like any packet). Errors are for bad arguments only.
func (h *Host) Post(to int, m Message) error {
	if m.Type == "" {
		return fmt.Errorf("kernel message: empty type")
	}
	_, err := h.fab.Send(&Packet{From: h.id, To: to, Proto: ProtoKernel, What: m.Type, Size: m.wireSize(),
		Body: &kmsg{Msg: m}})
	return err
}

// Call sends request m to computer to and calls done exactly once, from
// the event loop: with the reply, or with an errno — the handler's, ENOTSUP
// if the peer has no handler for m.Type, or ETIMEDOUT after 1+Retries
// attempts of Timeout each went unanswered. It returns the call's id for
// CancelCall. Errors are for bad arguments only (done is not called then).
func (h *Host) Call(to int, m Message, opt CallOpts, done func(Message, Errno)) (uint64, error) {
	if m.Type == "" {
		return 0, fmt.Errorf("kernel call: empty type")
	}
	if done == nil {
		return 0, fmt.Errorf("kernel call %q: nil completion", m.Type)
	}
	if opt.Timeout <= 0 || opt.Retries < 0 {
		return 0, fmt.Errorf("kernel call %q: bad options (timeout %v, retries %d)", m.Type, opt.Timeout, opt.Retries)
	}
	if err := h.fab.checkNode(to); err != nil {
		return 0, fmt.Errorf("kernel call %q: %w", m.Type, err)
	}
	h.nextCall++
	c := &call{id: h.nextCall, to: to, m: m, opt: opt, done: done}
	h.calls[c.id] = c
	h.attempt(c)
	return c.id, nil
}

func (h *Host) attempt(c *call) {
	c.attempts++
	_, _ = h.fab.Send(&Packet{From: h.id, To: c.to, Proto: ProtoKernel, What: c.m.Type, Size: c.m.wireSize(),
		Body: &kmsg{Call: c.id, Msg: c.m}})
	c.timer = h.fab.loop.After(c.opt.Timeout, func() {
		c.timer = nil
		if c.attempts > c.opt.Retries {
			delete(h.calls, c.id)
			c.done(Message{}, ETIMEDOUT)
			return
		}
		h.attempt(c)
	})
}

// CancelCall abandons a call: its completion will not be called. It
// reports whether the call was still pending.
func (h *Host) CancelCall(id uint64) bool {
	c := h.calls[id]
	if c == nil {
		return false
	}
	h.fab.loop.Cancel(c.timer)
	delete(h.calls, id)
	return true
}

// PendingCalls returns the number of calls awaiting a reply.
func (h *Host) PendingCalls() int { return len(h.calls) }

func (h *Host) receiveKernel(p *Packet) {
	k, ok := p.Body.(*kmsg)
	if !ok {
		h.fab.Drop(p, DropNoListener)
		return
	}
	if k.Reply {
		c := h.calls[k.Call]
		if c == nil || c.to != p.From {
			return // late or duplicated reply to a finished call
		}
		h.fab.loop.Cancel(c.timer)
		delete(h.calls, k.Call)
		c.done(k.Msg, k.Err)
		return
	}
	fn := h.handlers[k.Msg.Type]
	if k.Call == 0 {
		if fn == nil {
			h.fab.Drop(p, DropNoListener)
			return
		}
		fn(p.From, k.Msg, func(Message, Errno) {})
		return
	}
	key := servedKey{p.From, k.Call}
	if sv := h.served[key]; sv != nil {
		if sv.done { // a retry of an answered request: answer again
			h.sendReply(p.From, sv.reply)
		}
		return // still being served: the reply will come
	}
	sv := &served{}
	h.served[key] = sv
	h.servedQ = append(h.servedQ, key)
	if len(h.servedQ) > maxServed {
		old := h.servedQ[0]
		h.servedQ = h.servedQ[1:]
		if s := h.served[old]; s != nil && s.done {
			delete(h.served, old)
		} else {
			h.servedQ = append(h.servedQ, old) // still in progress: keep it
		}
	}
	to := p.From
	respond := func(m Message, e Errno) {
		if sv.done {
			return
		}
		sv.done = true
		sv.reply = kmsg{Call: k.Call, Reply: true, Err: e, Msg: m}
		if sv.reply.Msg.Type == "" {
			sv.reply.Msg.Type = k.Msg.Type
		}
		h.sendReply(to, sv.reply)
	}
	if fn == nil {
		respond(Message{}, ENOTSUP)
		return
	}
	fn(to, k.Msg, respond)
}

func (h *Host) sendReply(to int, r kmsg) {
	rr := r
	_, _ = h.fab.Send(&Packet{From: h.id, To: to, Proto: ProtoKernel, What: r.Msg.Type, Size: r.Msg.wireSize(),
		Body: &rr})
}
