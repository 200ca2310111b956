package net

import (
	"sort"
	"unicode/utf8"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
)

// MaxNameLen bounds a registered name's length in bytes.
const MaxNameLen = 255

// NameEntry is what a name points at.
type NameEntry struct {
	Addr  Addr
	Owner uint64 // who registered it (the kernel uses the global pid); 0 = nobody in particular
}

// Names is the cluster-wide name service: name → (computer, port). It is
// a directory held by the cluster, not by any one computer, so lookups
// work from anywhere — and keep working when the registered process
// migrates, because its kernel re-points the name with Update or Repoint.
// Operations take no virtual time of their own; the kernel charges a
// system call's cost. Waiters are woken from a loop event, in the order
// they started waiting.
type Names struct {
	loop    *vtime.Loop
	tr      *trace.Tracer
	m       map[string]NameEntry
	waiters map[string][]*nameWaiter
}

type nameWaiter struct {
	fn        func(Addr)
	cancelled bool
}

func newNames(loop *vtime.Loop, tr *trace.Tracer) *Names {
	return &Names{loop: loop, tr: tr, m: map[string]NameEntry{}, waiters: map[string][]*nameWaiter{}}
}

func checkName(name string) Errno {
	if name == "" {
		return EINVAL
	}
	if len(name) > MaxNameLen {
		return ENAMETOOLONG
	}
	if !utf8.ValidString(name) {
		return EINVAL
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x21 || c == 0x7f {
			return EINVAL // no spaces, control bytes or NUL: names must print cleanly in traces
		}
	}
	return 0
}

func (ns *Names) emit(op, name string, a Addr) {
	if ns.tr.Enabled() {
		ns.tr.Emit(trace.Event{T: ns.loop.Now(), Computer: ComputerName(a.Computer), CPU: -1, Kind: "name",
			Fields: map[string]any{"op": op, "name": name, "addr": a.String()}})
	}
}

// Register points name at a on behalf of owner. Errors: EINVAL (empty
// name, invalid UTF-8, spaces or control bytes),
// ENAMETOOLONG, EEXIST (taken). Waiters for the name are woken.
func (ns *Names) Register(name string, a Addr, owner uint64) Errno {
	if e := checkName(name); e != 0 {
		return e
	}
	if a.Port < 1 || a.Port > MaxPort || a.Computer < 0 {
		return EINVAL
	}
	if _, taken := ns.m[name]; taken {
		return EEXIST
	}
	ns.m[name] = NameEntry{Addr: a, Owner: owner}
	ns.emit("register", name, a)
	if ws := ns.waiters[name]; len(ws) > 0 {
		delete(ns.waiters, name)
		ns.loop.At(ns.loop.Now(), func() {
			for _, w := range ws {
				if !w.cancelled {
					// Re-read: the name may have changed before this event ran.
					if e, ok := ns.m[name]; ok {
						w.fn(e.Addr)
					} else {
						ns.waiters[name] = append(ns.waiters[name], w)
					}
				}
			}
		})
	}
	return 0
}

// Lookup returns where name points, or ENOENT (EINVAL for a malformed
// name).
func (ns *Names) Lookup(name string) (Addr, Errno) {
	if e := checkName(name); e != 0 {
		return Addr{}, e
	}
	e, ok := ns.m[name]
	if !ok {
		return Addr{}, ENOENT
	}
	return e.Addr, 0
}

// Entry returns name's full entry.
func (ns *Names) Entry(name string) (NameEntry, bool) {
	e, ok := ns.m[name]
	return e, ok
}

// Wait looks name up; if it is not registered yet, fn is called once with
// its address when it is (from a loop event), until cancel is called. The
// first result is the lookup's: when it is 0, fn will not be called.
func (ns *Names) Wait(name string, fn func(Addr)) (Addr, Errno, func()) {
	a, e := ns.Lookup(name)
	if e != ENOENT || fn == nil {
		return a, e, func() {}
	}
	w := &nameWaiter{fn: fn}
	ns.waiters[name] = append(ns.waiters[name], w)
	return Addr{}, ENOENT, func() {
		w.cancelled = true
		ws := ns.waiters[name]
		for i, x := range ws {
			if x == w {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(ns.waiters, name)
		} else {
			ns.waiters[name] = ws
		}
	}
}

// Unregister removes name if owner registered it (owner 0 removes any).
// Errors: ENOENT (not registered), EINVAL (someone else's).
func (ns *Names) Unregister(name string, owner uint64) Errno {
	e, ok := ns.m[name]
	if !ok {
		return ENOENT
	}
	if owner != 0 && e.Owner != owner {
		return EINVAL
	}
	delete(ns.m, name)
	ns.emit("unregister", name, e.Addr)
	return 0
}

// UnregisterOwner removes every name owner registered (a process exited)
// and returns how many.
func (ns *Names) UnregisterOwner(owner uint64) int {
	n := 0
	for _, name := range ns.List() {
		if ns.m[name].Owner == owner {
			_ = ns.Unregister(name, owner)
			n++
		}
	}
	return n
}

// Update re-points a registered name (e.g. its process migrated and its
// socket now lives elsewhere). Errors: ENOENT, EINVAL (bad address).
func (ns *Names) Update(name string, a Addr) Errno {
	e, ok := ns.m[name]
	if !ok {
		return ENOENT
	}
	if a.Port < 1 || a.Port > MaxPort || a.Computer < 0 {
		return EINVAL
	}
	e.Addr = a
	ns.m[name] = e
	ns.emit("update", name, a)
	return 0
}

// Repoint moves every name pointing at old to new and returns how many.
func (ns *Names) Repoint(old, new Addr) int {
	n := 0
	for _, name := range ns.List() {
		if ns.m[name].Addr == old && ns.Update(name, new) == 0 {
			n++
		}
	}
	return n
}

// List returns the registered names, sorted.
func (ns *Names) List() []string {
	out := make([]string, 0, len(ns.m))
	for k := range ns.m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
