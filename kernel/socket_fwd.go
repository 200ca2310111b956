package kernel

import (
	"dosemu/emulator/vtime"
	"dosemu/kernel/wasi"
	"dosemu/net"
	"dosemu/vfs"
)

// Forwarding socket calls home
//
// A socket stays on the computer it was made on: its address (computer,
// port) is what peers know, and packets keep arriving there, buffered by
// the socket whether or not its process is there (nothing sent to it
// while the process is away is lost). A process that migrated away
// reaches it through that computer, its home for the socket (Sprite's
// and MOSIX's home-node forwarding): each socket call it makes is a
// kernel request to the socket's computer and a reply (net.Host.Call),
//
//	sock.<op> {the call and its payload} → {the result and any data}
//
// for op bind, listen, connect, accept, sendto, recvfrom, read, write,
// recv, send, shutdown and close. The request leaves at the caller's
// virtual time; the home runs the call on the socket when the request
// arrives (at its own time: data sent leaves from there then); the
// caller is blocked (Process.Poll, off its vCPU) until the reply is back.
// So a forwarded call pays the fabric's latency both ways, its payload's
// transfer time one way and the result's the other, and is exposed to
// its loss (retried; the home runs a request once however often it
// arrives) and partitions: a call that gets no reply after
// sockCallRetries+1 attempts of sockCallWait each fails with ETIMEDOUT,
// never hangs. Close does not wait for its reply (the fd is gone at once,
// as a local close's is); a close lost to a partition leaves the socket
// open at home.
//
// What is not a message: readiness (Readable, Writable, the connect
// result polled while a connect runs) is read from the home socket
// directly, as if the home notified the process's computer at no cost,
// and a close made when the process ends (outside any slice) is applied
// at home directly. A blocking call that finds nothing (EAGAIN from the
// home) waits for readiness and then makes its request again, so it pays
// a round trip after the data is there.
//
// Restart. A call whose caller is captured while it waits for the reply
// (a migration or checkpoint freezing it) is repeated by the guest after
// the rewind, on whichever computer it continues. The request has already
// run at home — a datagram taken, bytes sent — so the process keeps the
// call (procMig.sockCall) and the repeat takes that call's reply instead
// of asking again; nothing is lost or done twice.

const (
	// sockFwdHeader is a forwarded call's own bytes each way (operation,
	// fd, addresses, lengths, result) on top of the kernel message header.
	sockFwdHeader = 64
	// sockCallWait is how long one attempt waits for its reply, plus the
	// transfer time of the bytes; sockCallRetries how often it is re-sent.
	sockCallWait    = vtime.Duration(50_000_000)
	sockCallRetries = 2
)

// sockRep is the result of a forwarded socket call.
type sockRep struct {
	n     int
	addr  net.Addr
	trunc bool
	data  []byte  // bytes received, copied into the caller's buffers on return
	conn  *Socket // accept's new connection (it lives at the home too)
	err   error
}

// sockReq is a forwarded call in flight: run performs it at the socket's
// computer. It captures the call's arguments by value (payloads copied),
// never the caller's buffers, which live in guest memory that a capture
// may replace before the reply is back.
type sockReq struct {
	run func() sockRep
}

// sockCall is a forwarded call a process waits for.
type sockCall struct {
	ks   *Socket
	op   string
	p    *Process
	done bool
	rep  sockRep
}

var sockOps = []string{"bind", "listen", "connect", "accept", "sendto", "recvfrom", "read", "write", "recv", "send", "shutdown", "close"}

// serveSockets registers the home side of forwarded calls on k's network
// host (once).
func (k *Kernel) serveSockets() {
	x := k.migState()
	if x.sockServed {
		return
	}
	h := k.host()
	if h == nil {
		return
	}
	x.sockServed = true
	for _, op := range sockOps {
		h.Handle("sock."+op, k.handleSockCall)
	}
}

func (k *Kernel) handleSockCall(from int, m net.Message, reply func(net.Message, net.Errno)) {
	req, ok := m.Body.(*sockReq)
	if !ok || req.run == nil {
		reply(net.Message{}, net.Errno(vfs.EINVAL))
		return
	}
	// No slice runs during a message: the call acts at the home's time,
	// as a local call outside any slice (Socket.now).
	rep := req.run()
	reply(net.Message{Type: m.Type, Body: rep, Size: sockFwdHeader + len(rep.data)}, 0)
}

// forward runs a socket call at the socket's computer when the caller is
// a process in a slice elsewhere: it sends the request (reqBytes of
// payload; up to repBytes may come back), blocks the caller until the
// reply, and returns it with ok=true. ok=false means the caller must run
// the call itself: it is on the socket's computer, or outside any slice
// (or run is already running at the home). A capture while the caller
// waits answers EINTR (ignored: the guest repeats the call, which then
// picks up this one's reply).
func (ks *Socket) forward(op string, reqBytes, repBytes int, run func() sockRep) (sockRep, bool) {
	p := ks.caller()
	if p == nil {
		return sockRep{}, false
	}
	var c *sockCall
	if pm := p.mig; pm != nil && pm.sockCall != nil {
		c = pm.sockCall
		if c.ks != ks || c.op != op {
			// Not the interrupted call repeated (the guest cannot do this
			// after a rewind): its reply has nobody left to go to.
			c, pm.sockCall = nil, nil
		}
	}
	if c == nil {
		if p.k == ks.k {
			return sockRep{}, false
		}
		c = &sockCall{ks: ks, op: op, p: p}
		ks.send(p, op, reqBytes, repBytes, run, c)
	}
	pm := p.migState()
	pm.sockCall = c
	if !c.done && p.Poll(wasi.NoDeadline, func() bool { return c.done }) == wasi.PollAbort {
		return sockRep{err: vfs.EINTR}, true
	}
	pm.sockCall = nil
	return c.rep, true
}

// forwardAsync sends a call home without waiting for its reply (close).
// It reports false when the caller must run it itself (see forward).
func (ks *Socket) forwardAsync(op string, run func() sockRep) bool {
	p := ks.caller()
	if p == nil || p.k == ks.k {
		return false
	}
	ks.send(p, op, 0, 0, run, nil)
	return true
}

// send puts the request on the wire at the caller's time; c, if not nil,
// gets the reply (or the failure) and the caller's kernel is told.
func (ks *Socket) send(p *Process, op string, reqBytes, repBytes int, run func() sockRep, c *sockCall) {
	from, home := p.k, ks.k
	home.serveSockets()
	size := sockFwdHeader + reqBytes
	st := &from.migState().stats
	st.Forwarded++
	st.ForwardedBytes += uint64(size)
	finish := func(rep sockRep) {
		if c == nil {
			return
		}
		c.done, c.rep = true, rep
		k := c.p.k // where the caller is now: it may have moved meanwhile
		k.Notify(k.loop.Now())
	}
	h := from.host()
	if h == nil {
		finish(sockRep{err: vfs.ENOSYS})
		return
	}
	bw := from.linkTo(home.cfg.Index).Bandwidth
	opt := net.CallOpts{Timeout: sockCallWait + net.TxTime(size+sockFwdHeader+repBytes, bw), Retries: sockCallRetries}
	msg := net.Message{Type: "sock." + op, Body: &sockReq{run: run}, Size: size}
	from.loop.At(max(p.Now(), from.loop.Now()), func() {
		_, err := h.Call(home.cfg.Index, msg, opt, func(m net.Message, e net.Errno) {
			if e != 0 {
				finish(sockRep{err: vfs.Errno(e)})
				return
			}
			st.ForwardedBytes += uint64(m.Size)
			rep, _ := m.Body.(sockRep)
			finish(rep)
		})
		if err != nil {
			finish(sockRep{err: vfs.EHOSTUNREACH})
		}
	})
}
