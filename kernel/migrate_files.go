package kernel

// Residual dependencies of a migrated process: its open files and pipe
// ends, rebound on the new computer at commit (sockets: see
// socket_fwd.go).
//
// # Files
//
// A process sees the name space of its home computer (the one it was
// born on) as "/", wherever it runs: on another computer that name space
// is a view (homeView) in which /net/<c>/... is the new computer's own
// mount of computer c, and every other path is the home's, reached
// through the new computer's /net/<home>, that is through the remote
// file protocol, paying the network for every operation. Back home, the
// view is the home's name space itself and nothing is forwarded.
//
// At commit every open file and directory of the process's own name
// spaces (the home's, or a view of it) becomes a fd.Moved: the path it
// has in the home's view, its mode, offset and flags; it is reopened on
// first use, from the system call that uses it, so the reopen's round
// trip is paid in virtual time by the process. Descriptions shared by
// several fds of the process stay shared. Files of other file systems
// (host directories given with --dir, which are the host's and the same
// from every computer) stay as they are.
//
// Known limits: a mount made only on the home computer (--mount on it)
// is not part of the view elsewhere (the view has the home's exported
// name space, its /net and nothing else), and a file unlinked while open
// cannot be reopened.

import (
	"strings"

	"dosemu/kernel/fd"
	"dosemu/vfs"
)

// nsOf is computer i's name space as its processes see it, when the
// World has one (the emulator's Cluster has an FS method).
func (k *Kernel) nsOf(i int) vfs.FS {
	if w, ok := k.world.(interface{ FS(int) vfs.FS }); ok {
		return w.FS(i)
	}
	return nil
}

// isNetPath reports whether a clean path is /net or under it: the part of
// every computer's name space that names the same files everywhere.
func isNetPath(p string) bool { return p == "net" || strings.HasPrefix(p, "net/") }

// homeView is computer home's name space as seen from another computer:
// /net/... is that computer's own, everything else is under its
// /net/<home>. Cost: a string join per path.
type homeView struct {
	ns   vfs.FS // the computer's own name space
	home int
	base string // "net/<home name>"
}

var _ vfs.FS = (*homeView)(nil)

func (h *homeView) at(p string) string {
	switch {
	case isNetPath(p):
		return p
	case p == "" || p == ".":
		return h.base
	}
	return h.base + "/" + p
}

func (h *homeView) Open(p string, m vfs.OpenMode) (vfs.File, error) { return h.ns.Open(h.at(p), m) }
func (h *homeView) Stat(p string, follow bool) (vfs.Stat, error)    { return h.ns.Stat(h.at(p), follow) }
func (h *homeView) Mkdir(p string) error                            { return h.ns.Mkdir(h.at(p)) }
func (h *homeView) Rmdir(p string) error                            { return h.ns.Rmdir(h.at(p)) }
func (h *homeView) Unlink(p string) error                           { return h.ns.Unlink(h.at(p)) }
func (h *homeView) Rename(a, b string) error                        { return h.ns.Rename(h.at(a), h.at(b)) }
func (h *homeView) Link(a, b string) error                          { return h.ns.Link(h.at(a), h.at(b)) }
func (h *homeView) Symlink(target, p string) error                  { return h.ns.Symlink(target, h.at(p)) }
func (h *homeView) Readlink(p string) (string, error)               { return h.ns.Readlink(h.at(p)) }
func (h *homeView) SetTimes(p string, follow bool, t vfs.Times) error {
	return h.ns.SetTimes(h.at(p), follow, t)
}
func (h *homeView) Truncate(p string, size int64) error { return h.ns.Truncate(h.at(p), size) }

// viewOn is home's name space as processes on computer on see it (nil
// when the World has no name spaces).
func (k *Kernel) viewOn(home, on int) vfs.FS {
	ns := k.nsOf(on)
	if ns == nil || home == on {
		return ns
	}
	hk := k.world.Kernel(home)
	if hk == nil {
		return nil
	}
	return &homeView{ns: ns, home: home, base: "net/" + hk.cfg.Name}
}

// homePath is where the file at path in name space ns (computer owner's,
// or a view of owner's) is in home's view; ok is false for a name space
// that is neither (a host directory), which is not rebound.
func (k *Kernel) homePath(ns vfs.FS, path string, home int) (string, bool) {
	owner := -1
	if hv, ok := ns.(*homeView); ok {
		owner = hv.home
	} else {
		for i, n := 0, k.world.NumComputers(); i < n; i++ {
			if x := k.nsOf(i); x != nil && x == ns {
				owner = i
				break
			}
		}
	}
	switch {
	case owner < 0:
		return "", false
	case owner == home || isNetPath(path):
		return path, true
	}
	base := "net/" + k.world.Kernel(owner).cfg.Name
	if path == "" || path == "." {
		return base, true
	}
	return base + "/" + path, true
}

// rebindFiles gives p, moving to computer to, its open files as fd.Moved
// in its home's view from there. It changes nothing when the World has
// no name spaces. Cost: one pass over the fd table; no file is opened.
func (p *Process) rebindFiles(to *Kernel) error {
	home := p.GID().Computer()
	view := to.viewOn(home, to.cfg.Index)
	if view == nil {
		return nil
	}
	name := to.world.Kernel(home).cfg.Name
	done := map[fd.File]bool{}
	var first error
	for i, n := int32(0), int32(p.fds.Len()); i < n; i++ {
		e, err := p.fds.Get(i)
		if err != nil || done[e.File()] {
			continue // a dup of a description already rebound
		}
		var ns vfs.FS
		var path string
		var nf *fd.Moved
		switch f := e.File().(type) {
		case *fd.VFile:
			ns, path = f.FS(), f.Path()
			hp, ok := p.k.homePath(ns, path, home)
			if !ok {
				continue
			}
			nf = fd.MovedFrom(f, view, name, hp)
		case *fd.Moved:
			ns, path = f.Where()
			hp, ok := p.k.homePath(ns, path, home)
			if !ok {
				continue
			}
			typ, r, w, off, fl := f.Pending()
			nf = fd.NewMoved(view, name, hp, typ, r, w, off, fl)
		default:
			continue
		}
		done[nf] = true
		// Replace's only error is the old description's close, which
		// cannot undo the rebinding: report the first.
		if err := p.fds.Replace(i, nf); err != nil && first == nil {
			first = errf(vfs.EIO, "kernel: %s: rebind fd %d (%s) on %s: closing the old file: %v", p, i, path, to.cfg.Name, err)
		}
	}
	return first
}
