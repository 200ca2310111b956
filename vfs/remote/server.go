package remote

import (
	"slices"
	"sync"
	"sync/atomic"

	"dosemu/net"
	"dosemu/vfs"
)

// MaxIO bounds the bytes one read or write request may move; a client
// splits larger calls. It keeps a hostile request from making the server
// allocate without bound.
const MaxIO = 1 << 20

// maxStates bounds the per-file coherence records of files nobody has
// open; the oldest are forgotten first (a forgotten file gets a fresh
// version when next opened, which only costs its cached blocks).
const maxStates = 4096

// Server exports a file system to other computers. It runs on the event
// loop (requests arrive as loop events) except for the host-change queue,
// which fsnotify fills from its own goroutine.
type Server struct {
	n    *Node
	fs   vfs.FS
	self int // this computer's index: the party of its own processes

	handles    map[uint64]*handle
	nextHandle uint64
	files      map[fileKey]*fstate
	idle       []fileKey // files with no opens, oldest first (for eviction)
	nextVer    uint64

	mu       sync.Mutex
	changes  []vfs.Change
	dirty    atomic.Bool
	unwatch  func()
	requests uint64
}

type handle struct {
	id    uint64
	owner int
	f     vfs.File
	st    *fstate // nil for non-regular files
	write bool
}

// fstate is the coherence record of one regular file.
type fstate struct {
	key     fileKey
	path    string // where it was last opened (for host-change matching)
	version uint64
	grant   uint64
	size    uint64 // as last seen by the server, to notice edits it was not told of
	mtim    int64
	parties map[int]*party
}

type party struct {
	readers, writers int
	caching          bool
}

func newServer(n *Node, export vfs.FS) *Server {
	s := &Server{n: n, fs: export, self: n.env.Host.ID(), handles: map[uint64]*handle{}, files: map[fileKey]*fstate{}}
	if w, ok := export.(vfs.Watchable); ok {
		s.unwatch = w.Watch(func(c vfs.Change) {
			s.mu.Lock()
			s.changes = append(s.changes, c)
			s.mu.Unlock()
			s.dirty.Store(true)
		})
	}
	return s
}

func (s *Server) close() {
	if s.unwatch != nil {
		s.unwatch()
	}
}

func (s *Server) version() uint64 {
	s.nextVer++
	return s.nextVer
}

// pump applies host changes queued by the watcher: each file under a
// changed path whose size or time differs from what the server last saw
// gets a new version, and caching clients are told to drop it. Files are
// visited in key order so the callbacks go out in the same order every
// run.
func (s *Server) pump() {
	if !s.dirty.Load() {
		return
	}
	s.mu.Lock()
	chs := s.changes
	s.changes = nil
	s.dirty.Store(false)
	s.mu.Unlock()
	keys := make([]fileKey, 0, len(s.files))
	for k := range s.files {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmpKey)
	for _, k := range keys {
		st := s.files[k]
		for _, c := range chs {
			if !under(st.path, c.Path) {
				continue
			}
			cur, err := s.fs.Stat(st.path, true)
			if err == nil && cur.Ino == st.key.Ino && cur.Size == st.size && cur.Mtim == st.mtim {
				break // our own write coming back from fsnotify
			}
			s.changed(st, -1, nil)
			break
		}
	}
}

func under(p, prefix string) bool {
	return prefix == "" || prefix == "." || p == prefix || len(p) > len(prefix) && p[len(prefix)] == '/' && p[:len(prefix)] == prefix
}

func cmpKey(a, b fileKey) int {
	if a.Dev != b.Dev {
		if a.Dev < b.Dev {
			return -1
		}
		return 1
	}
	switch {
	case a.Ino < b.Ino:
		return -1
	case a.Ino > b.Ino:
		return 1
	}
	return 0
}

// state returns the record of a regular file, creating it, and notices a
// change made behind the server's back (size or mtime moved).
func (s *Server) state(path string, st vfs.Stat) *fstate {
	k := fileKey{st.Dev, st.Ino}
	fs := s.files[k]
	if fs == nil {
		fs = &fstate{key: k, version: s.version(), parties: map[int]*party{}, size: st.Size, mtim: st.Mtim}
		s.files[k] = fs
		s.idle = append(s.idle, k)
		s.evict()
	} else if fs.size != st.Size || fs.mtim != st.Mtim {
		fs.version = s.version()
		fs.size, fs.mtim = st.Size, st.Mtim
	}
	fs.path = path
	return fs
}

// evict forgets the oldest records of files nobody has open while there
// are more than maxStates.
func (s *Server) evict() {
	for len(s.files) > maxStates && len(s.idle) > 0 {
		k := s.idle[0]
		s.idle = s.idle[1:]
		if fs := s.files[k]; fs != nil && len(fs.parties) == 0 {
			delete(s.files, k)
		}
	}
	if len(s.idle) > 2*maxStates {
		// Drop queue entries of files that were reopened since.
		keep := s.idle[:0]
		for _, k := range s.idle {
			if fs := s.files[k]; fs != nil && len(fs.parties) == 0 {
				keep = append(keep, k)
			}
		}
		s.idle = keep
	}
}

func (fs *fstate) writeShared() bool {
	n, w := 0, false
	for _, p := range fs.parties {
		if p.readers+p.writers > 0 {
			n++
		}
		if p.writers > 0 {
			w = true
		}
	}
	return n > 1 && w
}

func (fs *fstate) partyIDs() []int {
	ids := make([]int, 0, len(fs.parties))
	for id := range fs.parties {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// notify sends a callback to every party caching fs except skip (and the
// server's own processes, which never cache), and calls then when all
// have answered or timed out. With revoke they also stop caching.
func (s *Server) notify(fs *fstate, skip int, revoke bool, then func()) {
	pending := 0
	finish := func() {
		pending--
		if pending == 0 && then != nil {
			then()
		}
	}
	pending++ // held until every callback is out
	for _, id := range fs.partyIDs() {
		p := fs.parties[id]
		if id == skip || id == s.self || !p.caching {
			continue
		}
		if revoke {
			p.caching = false
			fs.grant++
		}
		cb := callback{Key: fs.key, Version: fs.version, Grant: fs.grant, Revoke: revoke}
		pending++
		s.n.stats.Callbacks++
		_, err := s.n.env.Host.Call(id, net.Message{Type: mCallback, Body: cb, Size: 40}, s.n.callOpts(), func(net.Message, net.Errno) { finish() })
		if err != nil {
			finish()
		}
	}
	finish()
}

// changed gives fs a new version after a change by party who (-1: the
// host) and tells every other caching party to drop its blocks; then runs
// once they have.
func (s *Server) changed(fs *fstate, who int, then func()) {
	s.bump(fs, nil)
	s.notify(fs, who, false, then)
}

// bump gives fs a new version and records its size and time, so that
// fsnotify's echo of this change is recognised as already known.
// f, when given, is an open handle of the file (cheaper than the path).
func (s *Server) bump(fs *fstate, f vfs.File) {
	fs.version = s.version()
	var st vfs.Stat
	var err error
	if f != nil {
		st, err = f.Stat()
	} else {
		st, err = s.fs.Stat(fs.path, true)
	}
	if err == nil && st.Ino == fs.key.Ino {
		fs.size, fs.mtim = st.Size, st.Mtim
	}
}

// open opens path for party who and calls done with the answer once any
// revocation it causes is acknowledged.
func (s *Server) open(who int, path string, mode vfs.OpenMode, done func(openRep, vfs.Errno)) {
	s.pump()
	f, err := s.fs.Open(path, mode)
	if err != nil {
		done(openRep{}, vfs.ErrnoOf(err))
		return
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		done(openRep{}, vfs.ErrnoOf(err))
		return
	}
	s.nextHandle++
	h := &handle{id: s.nextHandle, owner: who, f: f, write: mode.Write}
	s.handles[h.id] = h
	r := openRep{Handle: h.id, Stat: st}
	if st.Type != vfs.TypeRegular {
		done(r, 0)
		return
	}
	fs := s.state(path, st)
	h.st = fs
	p := fs.parties[who]
	if p == nil {
		p = &party{}
		fs.parties[who] = p
	}
	if mode.Write {
		p.writers++
	} else {
		p.readers++
	}
	reply := func() {
		r.Version, r.Grant, r.Cache = fs.version, fs.grant, p.caching
		done(r, 0)
	}
	if mode.OFlags&vfs.OTrunc != 0 {
		fs.version = s.version()
		fs.size, fs.mtim = st.Size, st.Mtim
	}
	if fs.writeShared() {
		p.caching = false
		fs.grant++
		s.notify(fs, who, true, reply)
		return
	}
	p.caching = who != s.self
	fs.grant++
	// Another party may still cache an older version of a file it has
	// open read-only while this one truncated it: tell it.
	if mode.OFlags&vfs.OTrunc != 0 {
		s.notify(fs, who, false, reply)
		return
	}
	reply()
}

func (s *Server) handleOf(who int, id uint64) (*handle, vfs.Errno) {
	h := s.handles[id]
	if h == nil || h.owner != who {
		return nil, vfs.EBADF
	}
	return h, 0
}

// closeHandle closes a handle of party who.
func (s *Server) closeHandle(who int, id uint64) vfs.Errno {
	h, e := s.handleOf(who, id)
	if e != 0 {
		return e
	}
	delete(s.handles, id)
	if fs := h.st; fs != nil {
		if p := fs.parties[who]; p != nil {
			if h.write {
				p.writers--
			} else {
				p.readers--
			}
			if p.readers+p.writers <= 0 {
				delete(fs.parties, who)
				if len(fs.parties) == 0 {
					s.idle = append(s.idle, fs.key)
					s.evict()
				}
			}
		}
	}
	return vfs.ErrnoOf(h.f.Close())
}

func (s *Server) read(who int, q readReq) (readRep, vfs.Errno) {
	h, e := s.handleOf(who, q.Handle)
	if e != 0 {
		return readRep{}, e
	}
	if q.N < 0 || q.N > MaxIO || q.Off < 0 {
		return readRep{}, vfs.EINVAL
	}
	buf := make([]byte, q.N)
	n, err := h.f.ReadAt(buf, q.Off)
	if err != nil {
		return readRep{}, vfs.ErrnoOf(err)
	}
	r := readRep{Data: buf[:n]}
	if h.st != nil {
		r.Version = h.st.version
	}
	return r, 0
}

// write applies a write and calls done once other caching parties (there
// are none unless the host raced) have dropped the old bytes. The reply's
// Version is the file's version after this write and Prev the one before,
// so a client can tell whether its cached blocks are still current.
func (s *Server) write(who int, q writeReq, done func(writeRep, vfs.Errno)) {
	h, e := s.handleOf(who, q.Handle)
	if e != 0 {
		done(writeRep{}, e)
		return
	}
	if len(q.Data) > MaxIO || q.Off < 0 {
		done(writeRep{}, vfs.EINVAL)
		return
	}
	n, err := h.f.WriteAt(q.Data, q.Off)
	if err != nil && n == 0 {
		done(writeRep{}, vfs.ErrnoOf(err))
		return
	}
	r := writeRep{N: n}
	if fs := h.st; fs != nil {
		r.Prev = fs.version
		s.bump(fs, h.f)
		r.Version = fs.version
		s.notify(fs, who, false, func() { done(r, 0) })
		return
	}
	done(r, 0)
}

// fileOp runs an operation on an open handle.
func (s *Server) fileOp(who int, q fileReq, done func(rep, vfs.Errno)) {
	h, e := s.handleOf(who, q.Handle)
	if e != 0 {
		done(rep{}, e)
		return
	}
	var r rep
	var err error
	switch q.Op {
	case opStat:
		r.Stat, err = h.f.Stat()
	case opTruncate:
		if q.Size < 0 {
			done(rep{}, vfs.EINVAL)
			return
		}
		if err = h.f.Truncate(q.Size); err == nil && h.st != nil {
			s.bump(h.st, h.f)
			r.Version = h.st.version
			s.notify(h.st, who, false, func() { done(r, 0) })
			return
		}
	case opSetTimes:
		err = h.f.SetTimes(q.Times)
	case opSync:
		err = h.f.Sync()
	case opReadDir:
		r.Ents, err = h.f.ReadDir(q.Cookie, q.N)
	default:
		err = vfs.EINVAL
	}
	done(r, vfs.ErrnoOf(err))
}

// pathOp runs an operation on paths. A truncation changes content, so
// caching parties (the requester included: it cannot tell which of its
// cached files a path names) drop the file before the reply goes out.
func (s *Server) pathOp(q pathReq, done func(rep, vfs.Errno)) {
	s.pump()
	if !validPath(q.Path) {
		done(rep{}, vfs.ENOTCAPABLE)
		return
	}
	if (q.Op == opRename || q.Op == opLink) && !validPath(q.Path2) {
		done(rep{}, vfs.ENOTCAPABLE)
		return
	}
	if q.Op == opSymlink && (len(q.Path2) > vfs.MaxPathLen || q.Path2 == "") {
		done(rep{}, vfs.EINVAL)
		return
	}
	var r rep
	var err error
	switch q.Op {
	case opStat:
		r.Stat, err = s.fs.Stat(q.Path, q.Follow)
	case opMkdir:
		err = s.fs.Mkdir(q.Path)
	case opRmdir:
		err = s.fs.Rmdir(q.Path)
	case opUnlink:
		err = s.fs.Unlink(q.Path)
	case opRename:
		err = s.fs.Rename(q.Path, q.Path2)
	case opLink:
		err = s.fs.Link(q.Path, q.Path2)
	case opSymlink:
		err = s.fs.Symlink(q.Path2, q.Path)
	case opReadlink:
		r.S, err = s.fs.Readlink(q.Path)
	case opSetTimes:
		err = s.fs.SetTimes(q.Path, q.Follow, q.Times)
	case opTruncate:
		if q.Size < 0 {
			done(rep{}, vfs.EINVAL)
			return
		}
		if err = s.fs.Truncate(q.Path, q.Size); err == nil {
			if st, serr := s.fs.Stat(q.Path, true); serr == nil {
				if fs := s.files[fileKey{st.Dev, st.Ino}]; fs != nil {
					s.changed(fs, -1, func() { done(r, 0) })
					return
				}
			}
		}
	default:
		err = vfs.EINVAL
	}
	done(r, vfs.ErrnoOf(err))
}

// register installs the server's message handlers on the host.
func (s *Server) register(h *net.Host) {
	reply := func(rep func(net.Message, net.Errno), typ string, body any, size int, e vfs.Errno) {
		rep(net.Message{Type: typ, Body: body, Size: size}, net.Errno(e))
	}
	h.Handle(mOpen, func(from int, m net.Message, rp func(net.Message, net.Errno)) {
		s.requests++
		q, ok := m.Body.(openReq)
		if !ok {
			rp(net.Message{}, net.Errno(vfs.EINVAL))
			return
		}
		if !validPath(q.Path) {
			rp(net.Message{}, net.Errno(vfs.ENOTCAPABLE))
			return
		}
		s.open(from, q.Path, q.Mode, func(r openRep, e vfs.Errno) { reply(rp, mOpen, r, hdrReply+statSize+24, e) })
	})
	h.Handle(mRead, func(from int, m net.Message, rp func(net.Message, net.Errno)) {
		s.requests++
		q, ok := m.Body.(readReq)
		if !ok {
			rp(net.Message{}, net.Errno(vfs.EINVAL))
			return
		}
		s.pump()
		r, e := s.read(from, q)
		reply(rp, mRead, r, r.size(), e)
	})
	h.Handle(mWrite, func(from int, m net.Message, rp func(net.Message, net.Errno)) {
		s.requests++
		q, ok := m.Body.(writeReq)
		if !ok {
			rp(net.Message{}, net.Errno(vfs.EINVAL))
			return
		}
		s.pump()
		s.write(from, q, func(r writeRep, e vfs.Errno) { reply(rp, mWrite, r, hdrReply+16, e) })
	})
	h.Handle(mFile, func(from int, m net.Message, rp func(net.Message, net.Errno)) {
		s.requests++
		q, ok := m.Body.(fileReq)
		if !ok {
			rp(net.Message{}, net.Errno(vfs.EINVAL))
			return
		}
		s.pump()
		s.fileOp(from, q, func(r rep, e vfs.Errno) { reply(rp, mFile, r, r.size(), e) })
	})
	h.Handle(mPath, func(from int, m net.Message, rp func(net.Message, net.Errno)) {
		s.requests++
		q, ok := m.Body.(pathReq)
		if !ok {
			rp(net.Message{}, net.Errno(vfs.EINVAL))
			return
		}
		s.pathOp(q, func(r rep, e vfs.Errno) { reply(rp, mPath, r, r.size(), e) })
	})
	h.Handle(mClose, func(from int, m net.Message, rp func(net.Message, net.Errno)) {
		s.requests++
		q, ok := m.Body.(closeReq)
		if !ok {
			rp(net.Message{}, net.Errno(vfs.EINVAL))
			return
		}
		reply(rp, mClose, nil, hdrReply, s.closeHandle(from, q.Handle))
	})
}
