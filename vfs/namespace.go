package vfs

import (
	"sort"
	"strings"
	"sync"
)

// Namespace is a computer's name space: a root FS plus file systems
// mounted at paths in it. Every operation goes to the mount with the
// longest prefix of its path (whole elements: a mount at "data" serves
// "data" and "data/x", not "database"), with the prefix removed.
//
// A symbolic link is resolved by the FS that holds it and never crosses
// into another mount: a link in the root that points into a mounted
// directory is resolved inside the root FS. Rename and Link between two
// mounts fail with EXDEV, as across Unix file systems.
//
// Cost: resolving a path compares it against each mount point, O(mounts);
// a computer has a handful.
type Namespace struct {
	mu     sync.RWMutex
	mounts []mount // longest prefix first
}

type mount struct {
	at string // clean path, "." for the root
	fs FS
}

// NewNamespace returns a name space whose root is root.
func NewNamespace(root FS) *Namespace {
	return &Namespace{mounts: []mount{{at: ".", fs: root}}}
}

// Mount makes fs appear at path (a clean path, as Clean returns), creating
// the mount point in the FS underneath when it does not exist, so it shows
// up in directory listings. Mounting again at the same path replaces the
// earlier mount.
func (ns *Namespace) Mount(path string, fs FS) error {
	if path == "" || path == "/" {
		path = "."
	}
	path = strings.Trim(path, "/")
	if path == "" {
		path = "."
	}
	if path != "." {
		under, rel := ns.resolve(path)
		if err := mkdirAll(under, rel); err != nil {
			return err
		}
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for i := range ns.mounts {
		if ns.mounts[i].at == path {
			ns.mounts[i].fs = fs
			return nil
		}
	}
	ns.mounts = append(ns.mounts, mount{at: path, fs: fs})
	sort.SliceStable(ns.mounts, func(i, j int) bool { return len(ns.mounts[i].at) > len(ns.mounts[j].at) })
	return nil
}

func mkdirAll(fs FS, p string) error {
	if p == "." {
		return nil
	}
	var cur string
	for el := range strings.SplitSeq(p, "/") {
		if cur == "" {
			cur = el
		} else {
			cur += "/" + el
		}
		if err := fs.Mkdir(cur); err != nil && err != EEXIST {
			return err
		}
	}
	return nil
}

// Mounts returns the mount points, longest first.
func (ns *Namespace) Mounts() []string {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	out := make([]string, len(ns.mounts))
	for i, m := range ns.mounts {
		out[i] = m.at
	}
	return out
}

// Resolve returns the FS serving path and the path within it.
func (ns *Namespace) Resolve(path string) (FS, string) { return ns.resolve(path) }

func (ns *Namespace) resolve(path string) (FS, string) {
	if path == "" {
		path = "."
	}
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	for _, m := range ns.mounts {
		switch {
		case m.at == ".":
			return m.fs, path
		case path == m.at:
			return m.fs, "."
		case len(path) > len(m.at) && path[len(m.at)] == '/' && path[:len(m.at)] == m.at:
			return m.fs, path[len(m.at)+1:]
		}
	}
	return ns.mounts[len(ns.mounts)-1].fs, path
}

// Open implements FS.
func (ns *Namespace) Open(path string, mode OpenMode) (File, error) {
	fs, p := ns.resolve(path)
	return fs.Open(p, mode)
}

// Stat implements FS.
func (ns *Namespace) Stat(path string, follow bool) (Stat, error) {
	fs, p := ns.resolve(path)
	return fs.Stat(p, follow)
}

// Mkdir implements FS.
func (ns *Namespace) Mkdir(path string) error {
	fs, p := ns.resolve(path)
	return fs.Mkdir(p)
}

// Rmdir implements FS. A mount point cannot be removed (EBUSY).
func (ns *Namespace) Rmdir(path string) error {
	fs, p := ns.resolve(path)
	if p == "." {
		return EBUSY
	}
	return fs.Rmdir(p)
}

// Unlink implements FS.
func (ns *Namespace) Unlink(path string) error {
	fs, p := ns.resolve(path)
	return fs.Unlink(p)
}

// Rename implements FS.
func (ns *Namespace) Rename(from, to string) error {
	ffs, fp := ns.resolve(from)
	tfs, tp := ns.resolve(to)
	if ffs != tfs {
		return EXDEV
	}
	if fp == "." || tp == "." {
		return EBUSY
	}
	return ffs.Rename(fp, tp)
}

// Link implements FS.
func (ns *Namespace) Link(from, to string) error {
	ffs, fp := ns.resolve(from)
	tfs, tp := ns.resolve(to)
	if ffs != tfs {
		return EXDEV
	}
	return ffs.Link(fp, tp)
}

// Symlink implements FS.
func (ns *Namespace) Symlink(target, path string) error {
	fs, p := ns.resolve(path)
	return fs.Symlink(target, p)
}

// Readlink implements FS.
func (ns *Namespace) Readlink(path string) (string, error) {
	fs, p := ns.resolve(path)
	return fs.Readlink(p)
}

// SetTimes implements FS.
func (ns *Namespace) SetTimes(path string, follow bool, t Times) error {
	fs, p := ns.resolve(path)
	return fs.SetTimes(p, follow, t)
}

// Truncate implements FS.
func (ns *Namespace) Truncate(path string, size int64) error {
	fs, p := ns.resolve(path)
	return fs.Truncate(p, size)
}

// Watch implements Watchable: changes reported by any watchable mount are
// passed on with the mount point prefixed.
func (ns *Namespace) Watch(fn func(Change)) (cancel func()) {
	ns.mu.RLock()
	ms := append([]mount(nil), ns.mounts...)
	ns.mu.RUnlock()
	var cancels []func()
	for _, m := range ms {
		w, ok := m.fs.(Watchable)
		if !ok {
			continue
		}
		at := m.at
		cancels = append(cancels, w.Watch(func(c Change) {
			switch {
			case at == ".":
			case c.Path == "" || c.Path == ".":
				c.Path = at
			default:
				c.Path = at + "/" + c.Path
			}
			fn(c)
		}))
	}
	return func() {
		for _, c := range cancels {
			c()
		}
	}
}
