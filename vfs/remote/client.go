package remote

import (
	"slices"

	"dosemu/emulator/vtime"
	"dosemu/net"
	"dosemu/vfs"
)

// core is a computer's client state for one server: the block cache shared
// by every Client of that server.
type core struct {
	n      *Node
	server int
	files  map[fileKey]*centry
	fifo   []blockRef // cached blocks, oldest first, for eviction
	bytes  int64
}

// centry is what a client knows about one file of the server.
type centry struct {
	version uint64 // the version the cached blocks belong to
	grant   uint64 // sequence number of the last grant or revocation seen
	cache   bool   // caching allowed now
	blocks  map[int64][]byte
}

type blockRef struct {
	key fileKey
	bi  int64
}

func (c *core) entry(k fileKey) *centry {
	e := c.files[k]
	if e == nil {
		e = &centry{blocks: map[int64][]byte{}}
		c.files[k] = e
	}
	return e
}

func (c *core) drop(k fileKey, e *centry) {
	for _, b := range e.blocks {
		c.bytes -= int64(len(b))
	}
	clear(e.blocks)
}

func (c *core) dropBlock(e *centry, bi int64) {
	if b, ok := e.blocks[bi]; ok {
		c.bytes -= int64(len(b))
		delete(e.blocks, bi)
	}
}

// store caches block bi of k, evicting the oldest blocks beyond the budget.
func (c *core) store(k fileKey, e *centry, bi int64, b []byte) {
	c.dropBlock(e, bi)
	e.blocks[bi] = b
	c.bytes += int64(len(b))
	c.fifo = append(c.fifo, blockRef{k, bi})
	for c.bytes > c.n.opt.CacheBytes && len(c.fifo) > 0 {
		r := c.fifo[0]
		c.fifo = c.fifo[1:]
		if oe := c.files[r.key]; oe != nil {
			c.dropBlock(oe, r.bi)
		}
	}
	if len(c.fifo) > 4*int(c.n.opt.CacheBytes/int64(c.n.opt.Block)+1) {
		keep := c.fifo[:0]
		for _, r := range c.fifo {
			if oe := c.files[r.key]; oe != nil {
				if _, ok := oe.blocks[r.bi]; ok {
					keep = append(keep, r)
				}
			}
		}
		c.fifo = keep
	}
}

// Client is a vfs.FS for a subtree of another computer's name space. Every
// method is a request to the server (see the package doc for how it waits
// and what it caches).
type Client struct {
	c    *core
	base string
}

var _ vfs.FS = (*Client)(nil)

// Server is the index of the computer serving this client.
func (cl *Client) Server() int { return cl.c.server }

// Base is the subtree of the server's name space this client serves.
func (cl *Client) Base() string { return cl.base }

func (cl *Client) path(p string) (string, vfs.Errno) {
	if !validPath(p) {
		return "", vfs.ENOTCAPABLE
	}
	return join(cl.base, p), 0
}

// Open implements vfs.FS.
func (cl *Client) Open(path string, mode vfs.OpenMode) (vfs.File, error) {
	sp, e := cl.path(path)
	if e != 0 {
		return nil, e
	}
	n, srv := cl.c.n, cl.c.server
	q := openReq{Path: sp, Mode: mode}
	// A reply that comes after the caller gave up opened a handle nobody
	// holds: close it so the server does not count it forever.
	late := func(m net.Message, e vfs.Errno) {
		if r, ok := m.Body.(openRep); ok && e == 0 {
			cl.c.closeAsync(r.Handle)
		}
	}
	m, e, lat := n.one(srv, req{mOpen, q, q.size()}, late)
	n.trace(srv, "open", sp, 0, lat, e, nil)
	if e != 0 {
		return nil, e
	}
	r, ok := m.Body.(openRep)
	if !ok {
		return nil, vfs.EIO
	}
	f := &rfile{cl: cl, h: r.Handle, path: sp, typ: r.Stat.Type, key: fileKey{r.Stat.Dev, r.Stat.Ino}}
	if r.Stat.Type == vfs.TypeRegular {
		ce := cl.c.entry(f.key)
		if ce.version != r.Version {
			cl.c.drop(f.key, ce)
			ce.version = r.Version
		}
		if r.Grant > ce.grant {
			ce.grant, ce.cache = r.Grant, r.Cache
		}
	}
	return f, nil
}

func (c *core) closeAsync(h uint64) {
	_, _ = c.n.env.Host.Call(c.server, net.Message{Type: mClose, Body: closeReq{Handle: h}, Size: 16}, c.n.callOpts(), func(net.Message, net.Errno) {})
}

// pathOp runs a path operation on the server.
func (cl *Client) pathOp(q pathReq) (rep, vfs.Errno) {
	sp, e := cl.path(q.Path)
	if e != 0 {
		return rep{}, e
	}
	q.Path = sp
	if q.Op == opRename || q.Op == opLink {
		if q.Path2, e = cl.path(q.Path2); e != 0 {
			return rep{}, e
		}
	}
	n, srv := cl.c.n, cl.c.server
	m, e, lat := n.one(srv, req{mPath, q, q.size()}, nil)
	n.trace(srv, q.Op.String(), sp, 0, lat, e, nil)
	if e != 0 {
		return rep{}, e
	}
	r, _ := m.Body.(rep)
	return r, 0
}

// Stat implements vfs.FS.
func (cl *Client) Stat(path string, follow bool) (vfs.Stat, error) {
	r, e := cl.pathOp(pathReq{Op: opStat, Path: path, Follow: follow})
	return r.Stat, errOf(e)
}

// Mkdir implements vfs.FS.
func (cl *Client) Mkdir(path string) error {
	_, e := cl.pathOp(pathReq{Op: opMkdir, Path: path})
	return errOf(e)
}

// Rmdir implements vfs.FS.
func (cl *Client) Rmdir(path string) error {
	_, e := cl.pathOp(pathReq{Op: opRmdir, Path: path})
	return errOf(e)
}

// Unlink implements vfs.FS.
func (cl *Client) Unlink(path string) error {
	_, e := cl.pathOp(pathReq{Op: opUnlink, Path: path})
	return errOf(e)
}

// Rename implements vfs.FS.
func (cl *Client) Rename(from, to string) error {
	_, e := cl.pathOp(pathReq{Op: opRename, Path: from, Path2: to})
	return errOf(e)
}

// Link implements vfs.FS.
func (cl *Client) Link(from, to string) error {
	_, e := cl.pathOp(pathReq{Op: opLink, Path: from, Path2: to})
	return errOf(e)
}

// Symlink implements vfs.FS. The target is stored as given; the server
// resolves it inside its own root.
func (cl *Client) Symlink(target, path string) error {
	_, e := cl.pathOp(pathReq{Op: opSymlink, Path: path, Path2: target})
	return errOf(e)
}

// Readlink implements vfs.FS.
func (cl *Client) Readlink(path string) (string, error) {
	r, e := cl.pathOp(pathReq{Op: opReadlink, Path: path})
	return r.S, errOf(e)
}

// SetTimes implements vfs.FS.
func (cl *Client) SetTimes(path string, follow bool, t vfs.Times) error {
	_, e := cl.pathOp(pathReq{Op: opSetTimes, Path: path, Follow: follow, Times: t})
	return errOf(e)
}

// Truncate implements vfs.FS.
func (cl *Client) Truncate(path string, size int64) error {
	_, e := cl.pathOp(pathReq{Op: opTruncate, Path: path, Size: size})
	return errOf(e)
}

// rfile is an open remote file: a server handle.
type rfile struct {
	cl     *Client
	h      uint64
	path   string // in the server's name space
	typ    vfs.FileType
	key    fileKey
	closed bool
}

// Location says where the file lives: the serving computer's name, the
// path in its name space and the server's handle. fd records carry it so
// a migrated process can reopen the file (the handle is only a hint: a
// new computer opens by path).
func (f *rfile) Location() (computer, path string, handle uint64) {
	return net.ComputerName(f.cl.c.server), f.path, f.h
}

func (f *rfile) cached() *centry {
	if f.typ != vfs.TypeRegular {
		return nil
	}
	if e := f.cl.c.files[f.key]; e != nil && e.cache {
		return e
	}
	return nil
}

// ReadAt implements vfs.File: cached blocks are copied, missing ones are
// fetched together (whole blocks when caching is allowed, the exact range
// otherwise).
func (f *rfile) ReadAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, vfs.EBADF
	}
	if off < 0 {
		return 0, vfs.EINVAL
	}
	if len(p) == 0 {
		return 0, nil
	}
	c := f.cl.c
	n := c.n
	B := int64(n.opt.Block)
	first, last := off/B, (off+int64(len(p))-1)/B
	e := f.cached()
	type span struct {
		bi      int64
		off     int64
		n       int
		fetched []byte
	}
	var spans []span
	var reqs []req
	hits, misses := 0, 0
	for bi := first; bi <= last; bi++ {
		if e != nil {
			if b, ok := e.blocks[bi]; ok {
				// Taken now: a revocation during the wait below may drop it.
				hits++
				spans = append(spans, span{bi: bi, off: -1, fetched: b})
				continue
			}
			misses++
			spans = append(spans, span{bi: bi, off: bi * B, n: int(B)})
		} else {
			lo, hi := max(off, bi*B), min(off+int64(len(p)), (bi+1)*B)
			spans = append(spans, span{bi: bi, off: lo, n: int(hi - lo)})
		}
		s := spans[len(spans)-1]
		reqs = append(reqs, req{mRead, readReq{Handle: f.h, Off: s.off, N: s.n}, hdrRW})
	}
	n.stats.Hits += uint64(hits)
	n.stats.Misses += uint64(misses)
	var ps []*pending
	var lat vtime.Duration
	if len(reqs) > 0 {
		var werr vfs.Errno
		ps, werr = n.do(c.server, reqs, nil)
		if werr != 0 {
			n.trace(c.server, "read", f.path, 0, 0, werr, map[string]any{"hits": hits, "misses": misses})
			return 0, werr
		}
		for _, p := range ps {
			lat = max(lat, p.end.Sub(ps[0].sent))
		}
	}
	// Fill in what came back, caching blocks of the version we hold.
	var ferr vfs.Errno
	j := 0
	for i := range spans {
		if spans[i].off < 0 {
			continue
		}
		p := ps[j]
		j++
		if p.e != 0 {
			if ferr == 0 {
				ferr = p.e
			}
			spans[i].fetched = nil
			spans[i].n = -1
			continue
		}
		r, _ := p.m.Body.(readRep)
		spans[i].fetched = r.Data
		if ce := f.cached(); ce != nil && spans[i].off == spans[i].bi*B {
			if r.Version > ce.version {
				c.drop(f.key, ce)
				ce.version = r.Version
			}
			if r.Version == ce.version {
				c.store(f.key, ce, spans[i].bi, r.Data)
			}
		}
	}
	total := 0
	for _, s := range spans {
		var data []byte
		start := off + int64(total)
		switch {
		case s.n < 0:
			// A failed block ends the read: what came before it counts.
		case s.off < 0 || s.off == s.bi*B && e != nil:
			data = s.fetched
			in := start - s.bi*B
			if in < int64(len(data)) {
				total += copy(p[total:], data[in:])
			}
			if int64(len(data)) < B {
				s.n = -1 // end of file
			}
		default:
			total += copy(p[total:], s.fetched)
			if len(s.fetched) < s.n {
				s.n = -1
			}
		}
		if s.n < 0 {
			break
		}
	}
	n.stats.BytesIn += uint64(total)
	n.trace(c.server, "read", f.path, total, lat, ferr, map[string]any{"hits": hits, "misses": misses})
	if total == 0 && ferr != 0 {
		return 0, ferr
	}
	return total, nil
}

// WriteAt implements vfs.File: write-through, in blocks, all in flight at
// once; it returns when the server has applied them.
func (f *rfile) WriteAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, vfs.EBADF
	}
	if off < 0 {
		return 0, vfs.EINVAL
	}
	if len(p) == 0 {
		return 0, nil
	}
	c := f.cl.c
	n := c.n
	B := int64(n.opt.Block)
	var reqs []req
	var lens []int
	for pos := off; pos < off+int64(len(p)); {
		end := min(off+int64(len(p)), (pos/B+1)*B)
		// The guest's buffer is reused after the call: the message needs
		// its own bytes.
		data := append([]byte(nil), p[pos-off:end-off]...)
		reqs = append(reqs, req{mWrite, writeReq{Handle: f.h, Off: pos, Data: data}, hdrRW + len(data)})
		lens = append(lens, len(data))
		pos = end
	}
	ps, werr := n.do(c.server, reqs, nil)
	if werr != 0 {
		n.trace(c.server, "write", f.path, 0, 0, werr, nil)
		return 0, werr
	}
	total := 0
	var ferr vfs.Errno
	var lat vtime.Duration
	type ver struct{ prev, next uint64 }
	var vers []ver
	for i, p := range ps {
		lat = max(lat, p.end.Sub(ps[0].sent))
		if p.e != 0 {
			ferr = p.e
			break
		}
		r, _ := p.m.Body.(writeRep)
		vers = append(vers, ver{r.Prev, r.Version})
		total += r.N
		if r.N < lens[i] {
			break
		}
	}
	// Keep the cached blocks this write did not touch if the server's
	// versions show nothing else changed the file meanwhile.
	if e := c.files[f.key]; e != nil && f.typ == vfs.TypeRegular {
		// Replies to blocks of one call may be applied in any order.
		slices.SortFunc(vers, func(a, b ver) int {
			if a.prev < b.prev {
				return -1
			}
			return 1
		})
		chain := len(vers) > 0
		v := e.version
		for _, x := range vers {
			if x.prev != v {
				chain = false
				break
			}
			v = x.next
		}
		if chain {
			for bi := off / B; bi <= (off+int64(len(p))-1)/B; bi++ {
				c.dropBlock(e, bi)
			}
			for bi, b := range e.blocks {
				if int64(len(b)) < B {
					c.dropBlock(e, bi) // the old end of file moved
				}
			}
			e.version = v
		} else if len(vers) > 0 {
			c.drop(f.key, e)
			e.version = vers[len(vers)-1].next
		}
	}
	n.stats.BytesOut += uint64(total)
	n.trace(c.server, "write", f.path, total, lat, ferr, nil)
	if total == 0 && ferr != 0 {
		return 0, ferr
	}
	return total, nil
}

func (f *rfile) fileOp(q fileReq) (rep, vfs.Errno) {
	if f.closed {
		return rep{}, vfs.EBADF
	}
	q.Handle = f.h
	n := f.cl.c.n
	m, e, lat := n.one(f.cl.c.server, req{mFile, q, hdrOpen}, nil)
	n.trace(f.cl.c.server, "f"+q.Op.String(), f.path, 0, lat, e, nil)
	if e != 0 {
		return rep{}, e
	}
	r, _ := m.Body.(rep)
	return r, 0
}

// Stat implements vfs.File.
func (f *rfile) Stat() (vfs.Stat, error) {
	r, e := f.fileOp(fileReq{Op: opStat})
	return r.Stat, errOf(e)
}

// Truncate implements vfs.File.
func (f *rfile) Truncate(size int64) error {
	r, e := f.fileOp(fileReq{Op: opTruncate, Size: size})
	if e == 0 {
		if ce := f.cl.c.files[f.key]; ce != nil {
			f.cl.c.drop(f.key, ce)
			ce.version = r.Version
		}
	}
	return errOf(e)
}

// SetTimes implements vfs.File.
func (f *rfile) SetTimes(t vfs.Times) error {
	_, e := f.fileOp(fileReq{Op: opSetTimes, Times: t})
	return errOf(e)
}

// Sync implements vfs.File. Writes are already on the server when they
// return, so this only asks the server to sync its own storage.
func (f *rfile) Sync() error {
	_, e := f.fileOp(fileReq{Op: opSync})
	return errOf(e)
}

// ReadDir implements vfs.File.
func (f *rfile) ReadDir(cookie uint64, count int) ([]vfs.Dirent, error) {
	r, e := f.fileOp(fileReq{Op: opReadDir, Cookie: cookie, N: count})
	return r.Ents, errOf(e)
}

// Close implements vfs.File. It does not wait: the close goes out and the
// server forgets the handle when it arrives (a process that exits must not
// block on a dead server).
func (f *rfile) Close() error {
	if f.closed {
		return vfs.EBADF
	}
	f.closed = true
	f.cl.c.closeAsync(f.h)
	f.cl.c.n.trace(f.cl.c.server, "close", f.path, 0, 0, 0, nil)
	return nil
}
