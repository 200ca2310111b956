package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// HostFS exposes a host directory (`--mount c1:/data=./dir`). Every
// operation goes through an os.Root opened on the directory: os.Root
// resolves each path element itself with openat-style calls and refuses
// any path — "..", an absolute symbolic link, a link chain that climbs out,
// or a directory swapped for a link while we resolve it — that would leave
// the directory. A lexical check alone cannot give that guarantee, because
// symbolic links on the host can be created or changed at any time by
// someone else. A guest can therefore reach exactly the files under the
// mounted directory and nothing else.
//
// Metadata (inode numbers, times) is the host's: it is an input from
// outside the cluster, like the files' bytes.
//
// Watch uses fsnotify on the directory tree so that edits made on the host
// while the cluster runs reach caches (Cache, remote clients) as Changes.
type HostFS struct {
	root *os.Root
	dir  string

	mu      sync.Mutex
	watcher *fsnotify.Watcher
	subs    map[int]func(Change)
	nextSub int
}

// NewHostFS opens dir. The directory must exist.
func NewHostFS(dir string) (*HostFS, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, err
	}
	return &HostFS{root: r, dir: abs}, nil
}

// Dir returns the host directory's absolute path.
func (h *HostFS) Dir() string { return h.dir }

// Close stops watching and closes the root.
func (h *HostFS) Close() error {
	h.mu.Lock()
	w := h.watcher
	h.watcher = nil
	h.mu.Unlock()
	if w != nil {
		w.Close()
	}
	return h.root.Close()
}

func hostErr(err error) error {
	if err == nil {
		return nil
	}
	return ErrnoOf(err)
}

// Open implements FS.
func (h *HostFS) Open(path string, mode OpenMode) (File, error) {
	flag := os.O_RDONLY
	switch {
	case mode.Read && mode.Write:
		flag = os.O_RDWR
	case mode.Write:
		flag = os.O_WRONLY
	}
	if mode.OFlags&OCreat != 0 {
		flag |= os.O_CREATE
	}
	if mode.OFlags&OExcl != 0 {
		flag |= os.O_EXCL
	}
	if mode.OFlags&OTrunc != 0 {
		flag |= os.O_TRUNC
	}
	if !mode.Follow || mode.OFlags&(OCreat|OExcl) == OCreat|OExcl {
		if fi, err := h.root.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, ELOOP
		}
	}
	if mode.OFlags&ODirectory != 0 {
		fi, err := h.root.Stat(path)
		if err != nil {
			return nil, hostErr(err)
		}
		if !fi.IsDir() {
			return nil, ENOTDIR
		}
	}
	f, err := h.root.OpenFile(path, flag, 0o644)
	if err != nil {
		return nil, hostErr(err)
	}
	return &hostFile{f: f, h: h, path: path}, nil
}

// Stat implements FS.
func (h *HostFS) Stat(path string, follow bool) (Stat, error) {
	var fi fs.FileInfo
	var err error
	if follow {
		fi, err = h.root.Stat(path)
	} else {
		fi, err = h.root.Lstat(path)
	}
	if err != nil {
		return Stat{}, hostErr(err)
	}
	return statOf(fi), nil
}

func statOf(fi fs.FileInfo) Stat {
	st := Stat{Type: typeOf(fi.Mode()), Size: uint64(fi.Size()), Mtim: fi.ModTime().UnixNano(), Nlink: 1}
	if s, ok := fi.Sys().(*syscall.Stat_t); ok {
		st.Dev = uint64(s.Dev)
		st.Ino = s.Ino
		st.Nlink = uint64(s.Nlink)
		st.Atim = s.Atim.Nano()
		st.Ctim = s.Ctim.Nano()
	}
	return st
}

func typeOf(m fs.FileMode) FileType {
	switch {
	case m.IsRegular():
		return TypeRegular
	case m.IsDir():
		return TypeDir
	case m&fs.ModeSymlink != 0:
		return TypeSymlink
	case m&fs.ModeCharDevice != 0:
		return TypeCharDevice
	case m&fs.ModeDevice != 0:
		return TypeBlockDevice
	case m&fs.ModeSocket != 0:
		return TypeSocketStrm
	}
	return TypeUnknown
}

// Mkdir implements FS.
func (h *HostFS) Mkdir(path string) error { return hostErr(h.root.Mkdir(path, 0o755)) }

// Rmdir implements FS.
func (h *HostFS) Rmdir(path string) error {
	fi, err := h.root.Lstat(path)
	if err != nil {
		return hostErr(err)
	}
	if !fi.IsDir() {
		return ENOTDIR
	}
	return hostErr(h.root.Remove(path))
}

// Unlink implements FS.
func (h *HostFS) Unlink(path string) error {
	fi, err := h.root.Lstat(path)
	if err != nil {
		return hostErr(err)
	}
	if fi.IsDir() {
		return EISDIR
	}
	return hostErr(h.root.Remove(path))
}

// Rename implements FS. Go's rename refuses any existing directory as
// the target, where POSIX replaces an empty one; replacing it here takes a
// remove and a rename, so it is not atomic.
func (h *HostFS) Rename(from, to string) error {
	src, err := h.root.Lstat(from)
	if err != nil {
		return hostErr(err)
	}
	if dst, err := h.root.Lstat(to); err == nil && dst.IsDir() && !os.SameFile(src, dst) {
		if !src.IsDir() {
			return EISDIR
		}
		if err := h.root.Remove(to); err != nil {
			return hostErr(err)
		}
	}
	return hostErr(h.root.Rename(from, to))
}

// Link implements FS.
func (h *HostFS) Link(from, to string) error { return hostErr(h.root.Link(from, to)) }

// Symlink implements FS. The link is created as asked; following it later
// still goes through os.Root, so a target pointing outside is refused then.
func (h *HostFS) Symlink(target, path string) error {
	if target == "" {
		return ENOENT
	}
	return hostErr(h.root.Symlink(target, path))
}

// Readlink implements FS.
func (h *HostFS) Readlink(path string) (string, error) {
	fi, err := h.root.Lstat(path)
	if err != nil {
		return "", hostErr(err)
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return "", EINVAL
	}
	s, err := h.root.Readlink(path)
	return s, hostErr(err)
}

// SetTimes implements FS. A timestamp not being set keeps its current value.
func (h *HostFS) SetTimes(path string, follow bool, t Times) error {
	if !follow {
		if fi, err := h.root.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			// os.Root has no lutimes; a link's own times are not settable here.
			return ENOTSUP
		}
	}
	st, err := h.Stat(path, true)
	if err != nil {
		return err
	}
	a, m := chtimes(st, t)
	return hostErr(h.root.Chtimes(path, a, m))
}

func chtimes(st Stat, t Times) (time.Time, time.Time) {
	a, m := time.Unix(0, st.Atim), time.Unix(0, st.Mtim)
	if t.SetAtim {
		a = time.Unix(0, t.Atim)
	}
	if t.SetMtim {
		m = time.Unix(0, t.Mtim)
	}
	return a, m
}

// Truncate implements FS.
func (h *HostFS) Truncate(path string, size int64) error {
	f, err := h.root.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return hostErr(err)
	}
	defer f.Close()
	return hostErr(f.Truncate(size))
}

// Watch implements Watchable: fn receives a Change for every host event
// under the directory. The first call starts an fsnotify watcher over the
// whole tree; directories created later are added as they appear.
func (h *HostFS) Watch(fn func(Change)) (cancel func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs == nil {
		h.subs = map[int]func(Change){}
	}
	id := h.nextSub
	h.nextSub++
	h.subs[id] = fn
	if h.watcher == nil {
		if w, err := fsnotify.NewWatcher(); err == nil {
			h.watcher = w
			h.addTree(w, h.dir)
			go h.pump(w)
		}
	}
	return func() {
		h.mu.Lock()
		delete(h.subs, id)
		h.mu.Unlock()
	}
}

func (h *HostFS) addTree(w *fsnotify.Watcher, dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = w.Add(p)
		}
		return nil
	})
}

func (h *HostFS) pump(w *fsnotify.Watcher) {
	for {
		select {
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			rel, err := filepath.Rel(h.dir, ev.Name)
			if err != nil || strings.HasPrefix(rel, "..") {
				rel = ""
			}
			rel = filepath.ToSlash(rel)
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Lstat(ev.Name); err == nil && fi.IsDir() {
					h.addTree(w, ev.Name)
				}
			}
			h.notify(Change{Path: rel})
		case _, ok := <-w.Errors:
			if !ok {
				return
			}
			// A lost event (queue overflow) may hide any change.
			h.notify(Change{Path: ""})
		}
	}
}

func (h *HostFS) notify(c Change) {
	h.mu.Lock()
	fns := make([]func(Change), 0, len(h.subs))
	for _, fn := range h.subs {
		fns = append(fns, fn)
	}
	h.mu.Unlock()
	for _, fn := range fns {
		fn(c)
	}
}

// hostFile is an open host file or directory.
type hostFile struct {
	f    *os.File
	h    *HostFS
	path string // in h, for the operations os.File lacks

	mu      sync.Mutex
	listing []Dirent // directory listing, refreshed when read from cookie 0
}

func (f *hostFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, EINVAL
	}
	n, err := f.f.ReadAt(p, off)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, hostErr(err)
}

func (f *hostFile) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, EINVAL
	}
	n, err := f.f.WriteAt(p, off)
	return n, hostErr(err)
}

func (f *hostFile) Stat() (Stat, error) {
	fi, err := f.f.Stat()
	if err != nil {
		return Stat{}, hostErr(err)
	}
	return statOf(fi), nil
}

func (f *hostFile) Truncate(size int64) error { return hostErr(f.f.Truncate(size)) }

func (f *hostFile) SetTimes(t Times) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	a, m := chtimes(st, t)
	// os.File has no futimes; going by path through the root keeps the
	// call inside the mount (a rename since the open could redirect it to
	// another file in the mount, never outside).
	return hostErr(f.h.root.Chtimes(f.path, a, m))
}

func (f *hostFile) Sync() error { return hostErr(f.f.Sync()) }

func (f *hostFile) ReadDir(cookie uint64, n int) ([]Dirent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cookie == 0 || f.listing == nil {
		if err := f.list(); err != nil {
			return nil, err
		}
	}
	if cookie >= uint64(len(f.listing)) {
		return nil, nil
	}
	out := f.listing[cookie:]
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return append([]Dirent(nil), out...), nil
}

func (f *hostFile) list() error {
	fi, err := f.f.Stat()
	if err != nil {
		return hostErr(err)
	}
	if !fi.IsDir() {
		return ENOTDIR
	}
	if _, err := f.f.Seek(0, io.SeekStart); err != nil {
		return hostErr(err)
	}
	ents, err := f.f.ReadDir(-1)
	if err != nil {
		return hostErr(err)
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	self := statOf(fi)
	l := []Dirent{{Next: 1, Ino: self.Ino, Type: TypeDir, Name: "."}, {Next: 2, Type: TypeDir, Name: ".."}}
	l[1].Ino = self.Ino
	if f.path != "" && f.path != "." {
		parent, _ := Split(f.path)
		if pfi, err := f.h.root.Stat(parent); err == nil {
			l[1].Ino = statOf(pfi).Ino
		}
	}
	for _, e := range ents {
		d := Dirent{Next: uint64(len(l) + 1), Type: typeOf(e.Type()), Name: e.Name()}
		if info, err := e.Info(); err == nil {
			d.Ino = statOf(info).Ino
		}
		l = append(l, d)
	}
	f.listing = l
	return nil
}

func (f *hostFile) Close() error { return hostErr(f.f.Close()) }
