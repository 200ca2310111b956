package remote

import (
	"dosemu/emulator/vtime"
	"dosemu/vfs"
)

// localFS is the exported name space as the server's own processes see
// it: direct access, with opens and changes reported to the coherence
// bookkeeping. When an open or a change must wait for other computers to
// drop their caches, the caller waits through Env.Wait like a client.
type localFS struct{ s *Server }

var _ vfs.FS = (*localFS)(nil)

// waitFor waits until done reports true; the bound is the callbacks'
// timeout, after which the server proceeds without an answer anyway.
func (l *localFS) waitFor(done *bool) {
	if *done {
		return
	}
	n := l.s.n
	deadline := n.env.now().Add(vtime.Duration(n.opt.Retries+2) * n.opt.Timeout)
	n.env.wait(deadline, func() bool { return *done })
}

func (l *localFS) Open(path string, mode vfs.OpenMode) (vfs.File, error) {
	var r openRep
	var e vfs.Errno
	done := false
	l.s.open(l.s.self, path, mode, func(rr openRep, ee vfs.Errno) {
		r, e, done = rr, ee, true
		l.s.n.env.wake()
	})
	l.waitFor(&done)
	if e != 0 {
		return nil, e
	}
	h := l.s.handles[r.Handle]
	if h == nil {
		return nil, vfs.EIO
	}
	return &localFile{l: l, h: h}, nil
}

// pathOp runs a path operation through the server's bookkeeping.
func (l *localFS) pathOp(q pathReq) (rep, vfs.Errno) {
	var r rep
	var e vfs.Errno
	done := false
	l.s.pathOp(q, func(rr rep, ee vfs.Errno) {
		r, e, done = rr, ee, true
		l.s.n.env.wake()
	})
	l.waitFor(&done)
	return r, e
}

func (l *localFS) Stat(path string, follow bool) (vfs.Stat, error) {
	l.s.pump()
	return l.s.fs.Stat(path, follow)
}

func (l *localFS) Mkdir(path string) error   { return l.s.fs.Mkdir(path) }
func (l *localFS) Rmdir(path string) error   { return l.s.fs.Rmdir(path) }
func (l *localFS) Unlink(path string) error  { return l.s.fs.Unlink(path) }
func (l *localFS) Rename(a, b string) error  { return l.s.fs.Rename(a, b) }
func (l *localFS) Link(a, b string) error    { return l.s.fs.Link(a, b) }
func (l *localFS) Symlink(t, p string) error { return l.s.fs.Symlink(t, p) }
func (l *localFS) Readlink(p string) (string, error) {
	return l.s.fs.Readlink(p)
}

func (l *localFS) SetTimes(path string, follow bool, t vfs.Times) error {
	return l.s.fs.SetTimes(path, follow, t)
}

func (l *localFS) Truncate(path string, size int64) error {
	_, e := l.pathOp(pathReq{Op: opTruncate, Path: path, Size: size})
	return errOf(e)
}

// Watch passes on the exported file system's changes, if it reports any.
func (l *localFS) Watch(fn func(vfs.Change)) (cancel func()) {
	if w, ok := l.s.fs.(vfs.Watchable); ok {
		return w.Watch(fn)
	}
	return func() {}
}

// localFile is an open file of the server's own processes.
type localFile struct {
	l      *localFS
	h      *handle
	closed bool
}

func (f *localFile) ReadAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, vfs.EBADF
	}
	return f.h.f.ReadAt(p, off)
}

// changed reports a change of the file's content and waits until other
// computers caching it have dropped the old bytes.
func (f *localFile) changed() {
	fs := f.h.st
	if fs == nil {
		return
	}
	s := f.l.s
	s.bump(fs, f.h.f)
	done := false
	s.notify(fs, s.self, false, func() { done = true; s.n.env.wake() })
	f.l.waitFor(&done)
}

func (f *localFile) WriteAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, vfs.EBADF
	}
	n, err := f.h.f.WriteAt(p, off)
	if n > 0 {
		f.changed()
	}
	return n, err
}

func (f *localFile) Stat() (vfs.Stat, error) { return f.h.f.Stat() }

func (f *localFile) Truncate(size int64) error {
	if f.closed {
		return vfs.EBADF
	}
	err := f.h.f.Truncate(size)
	if err == nil {
		f.changed()
	}
	return err
}

func (f *localFile) SetTimes(t vfs.Times) error { return f.h.f.SetTimes(t) }
func (f *localFile) Sync() error                { return f.h.f.Sync() }
func (f *localFile) ReadDir(cookie uint64, n int) ([]vfs.Dirent, error) {
	return f.h.f.ReadDir(cookie, n)
}

func (f *localFile) Close() error {
	if f.closed {
		return vfs.EBADF
	}
	f.closed = true
	return errOf(f.l.s.closeHandle(f.l.s.self, f.h.id))
}
