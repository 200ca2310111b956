package remote

import (
	"fmt"

	"dosemu/emulator/vtime"
	"dosemu/net"
	"dosemu/vfs"
)

// Options tune the protocol. Zero fields take the defaults.
type Options struct {
	// Timeout is how long one attempt of a request waits for its reply
	// (default 1 s of virtual time).
	Timeout vtime.Duration
	// Retries is how many times a request is re-sent after a timeout
	// (default 2, so a dead server is reported after 3 s).
	Retries int
	// Block is the transfer and cache unit in bytes (default 64 KiB, at
	// most MaxIO).
	Block int
	// Window is how many blocks of one read or write are in flight at
	// once (default 64).
	Window int
	// CacheBytes bounds the cached file data per server (default 64 MiB);
	// the oldest blocks go first.
	CacheBytes int64
}

// Default option values.
const (
	DefaultTimeout    = vtime.Duration(1_000_000_000)
	DefaultRetries    = 2
	DefaultBlock      = 64 << 10
	DefaultWindow     = 64
	DefaultCacheBytes = 64 << 20
)

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Timeout < 0:
		return o, fmt.Errorf("remote files: negative timeout %v", o.Timeout)
	case o.Retries < 0:
		return o, fmt.Errorf("remote files: negative retries %d", o.Retries)
	case o.Block < 0 || o.Block > MaxIO:
		return o, fmt.Errorf("remote files: block size %d: want 1..%d", o.Block, MaxIO)
	case o.Window < 0 || o.CacheBytes < 0:
		return o, fmt.Errorf("remote files: negative window %d or cache size %d", o.Window, o.CacheBytes)
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	if o.Block == 0 {
		o.Block = DefaultBlock
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.CacheBytes == 0 {
		o.CacheBytes = DefaultCacheBytes
	}
	return o, nil
}

// Stats counts a node's remote-file activity.
type Stats struct {
	Calls     uint64 // requests sent as a client
	Hits      uint64 // cache blocks served without a message
	Misses    uint64 // cache blocks fetched
	BytesIn   uint64 // file bytes read from servers
	BytesOut  uint64 // file bytes written to servers
	Timeouts  uint64 // operations that failed with ETIMEDOUT
	Callbacks uint64 // revocations and invalidations sent as a server
	Requests  uint64 // requests served
}

// Node is one computer's end of the protocol: the server of its local
// name space and the clients of other computers' (see the package doc).
// Like the kernel it belongs to, it runs on the event loop and on guest
// goroutines while the loop waits; it must not be used from elsewhere.
type Node struct {
	env   Env
	opt   Options
	srv   *Server
	cores map[int]*core
	stats Stats
}

// NewNode creates computer env.Host's node exporting export (its local
// name space: not one that contains remote mounts, since a server's
// handlers cannot wait for another server) and registers its message
// handlers on the host.
func NewNode(env Env, export vfs.FS, opt Options) (*Node, error) {
	if env.Host == nil || env.Loop == nil {
		return nil, fmt.Errorf("remote files: Env.Host and Env.Loop are required")
	}
	if export == nil {
		return nil, fmt.Errorf("remote files: %s: nothing to export", env.Name)
	}
	o, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	n := &Node{env: env, opt: o, cores: map[int]*core{}}
	n.srv = newServer(n, export)
	n.srv.register(env.Host)
	env.Host.Handle(mCallback, n.callback)
	return n, nil
}

// Close stops watching the exported file system.
func (n *Node) Close() { n.srv.close() }

// Pump applies host edits noticed since the last call (see the package
// doc). Call it from the event loop; it costs an atomic load when there
// is nothing to do.
func (n *Node) Pump() { n.srv.pump() }

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	s := n.stats
	s.Requests = n.srv.requests
	return s
}

// Local returns the view of the exported name space that this
// computer's own processes use: the same files, with their opens and
// writes counted by the coherence rule (they are one party).
func (n *Node) Local() vfs.FS { return &localFS{s: n.srv} }

// Client returns a file system serving the subtree base (a clean path,
// "." for everything) of computer server's exported name space. Clients
// of one server share one block cache.
func (n *Node) Client(server int, base string) (*Client, error) {
	if server < 0 {
		return nil, fmt.Errorf("remote files: no computer %d", server)
	}
	if base == "" || base == "/" {
		base = "."
	}
	if !validPath(base) {
		return nil, fmt.Errorf("remote files: mount of %s:%q: not a clean path inside the server", net.ComputerName(server), base)
	}
	c := n.cores[server]
	if c == nil {
		c = &core{n: n, server: server, files: map[fileKey]*centry{}}
		n.cores[server] = c
	}
	return &Client{c: c, base: base}, nil
}

func (n *Node) callOpts() net.CallOpts {
	return net.CallOpts{Timeout: n.opt.Timeout, Retries: n.opt.Retries}
}

// callback serves a server's revocation or invalidation.
func (n *Node) callback(from int, m net.Message, reply func(net.Message, net.Errno)) {
	cb, ok := m.Body.(callback)
	if !ok {
		reply(net.Message{}, net.Errno(vfs.EINVAL))
		return
	}
	if c := n.cores[from]; c != nil {
		if e := c.files[cb.Key]; e != nil {
			c.drop(cb.Key, e)
			e.version = cb.Version
			if cb.Revoke && cb.Grant > e.grant {
				e.grant, e.cache = cb.Grant, false
			}
		}
	}
	reply(net.Message{Type: mCallback, Size: 8}, 0)
}

// req is one request of a batch.
type req struct {
	typ  string
	body any
	size int
}

// pending is one request's fate.
type pending struct {
	done      bool
	m         net.Message
	e         vfs.Errno
	sent, end vtime.Time
	abandoned bool
}

// do sends reqs to server, at most Window in flight, and waits for every
// reply. It returns the replies in order and EINTR if the wait was
// aborted (the caller is being captured or killed) or ETIMEDOUT if the
// backstop deadline passed. late, if set, is called for replies that
// arrive after the caller gave up (to undo an open).
func (n *Node) do(server int, reqs []req, late func(net.Message, vfs.Errno)) ([]*pending, vfs.Errno) {
	loop := n.env.Loop
	ps := make([]*pending, len(reqs))
	next, inflight, finished := 0, 0, 0
	gaveUp := false
	var issue func()
	issue = func() {
		for !gaveUp && next < len(reqs) && inflight < n.opt.Window {
			i := next
			next++
			inflight++
			p := &pending{sent: loop.Now()}
			ps[i] = p
			n.stats.Calls++
			r := reqs[i]
			_, err := n.env.Host.Call(server, net.Message{Type: r.typ, Body: r.body, Size: r.size}, n.callOpts(), func(m net.Message, e net.Errno) {
				p.done, p.m, p.e, p.end = true, m, vfs.Errno(e), loop.Now()
				inflight--
				finished++
				if p.abandoned {
					if late != nil {
						late(m, vfs.Errno(e))
					}
					return
				}
				issue()
				n.env.wake()
			})
			if err != nil {
				p.done, p.e, p.end = true, vfs.EINVAL, loop.Now()
				inflight--
				finished++
			}
		}
	}
	at := n.env.now()
	var ev *vtime.Event
	if at > loop.Now() {
		ev = loop.At(at, issue)
	} else {
		at = loop.Now()
		issue()
	}
	batches := (len(reqs) + n.opt.Window - 1) / n.opt.Window
	deadline := at.Add(vtime.Duration(batches*(n.opt.Retries+1)+1) * n.opt.Timeout)
	res := n.env.wait(deadline, func() bool { return finished == len(reqs) })
	if res == WaitReady {
		return ps, 0
	}
	gaveUp = true
	loop.Cancel(ev)
	for _, p := range ps {
		if p != nil && !p.done {
			p.abandoned = true
		}
	}
	if res == WaitAbort {
		return ps, vfs.EINTR
	}
	n.stats.Timeouts++
	return ps, vfs.ETIMEDOUT
}

// one sends a single request and waits for it.
func (n *Node) one(server int, r req, late func(net.Message, vfs.Errno)) (net.Message, vfs.Errno, vtime.Duration) {
	ps, e := n.do(server, []req{r}, late)
	if e != 0 {
		return net.Message{}, e, 0
	}
	p := ps[0]
	if p.e == vfs.ETIMEDOUT {
		n.stats.Timeouts++
	}
	return p.m, p.e, p.end.Sub(p.sent)
}

// trace emits a "vfs" event for a finished client operation.
func (n *Node) trace(server int, op, path string, bytes int, lat vtime.Duration, e vfs.Errno, extra map[string]any) {
	if !n.env.Tracer.Enabled() {
		return
	}
	f := map[string]any{"op": op, "server": net.ComputerName(server), "path": path, "bytes": bytes, "lat_ns": int64(lat)}
	for k, v := range extra {
		f[k] = v
	}
	if e != 0 {
		f["errno"] = e.Error()
	}
	n.env.emit(n.env.now(), f)
}
