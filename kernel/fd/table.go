package fd

import (
	"sort"

	"dosemu/vfs"
)

// Desc is an open file description shared by every fd (in this process or,
// after fork, in others) that refers to it: closing the last one closes the
// File.
type Desc struct {
	File File
	refs int
}

// Entry is one slot of a table.
type Entry struct {
	Desc       *Desc
	Rights     Rights // what this fd may do
	Inheriting Rights // rights of fds opened through it (directories)
	Preopen    string // guest path of a preopened directory, "" otherwise
	// CloseOnExec closes the fd when the process execs another program.
	// It belongs to the fd, not the description, and survives fork.
	CloseOnExec bool
}

// File returns the entry's open file.
func (e *Entry) File() File { return e.Desc.File }

// MaxFDs bounds a table, as RLIMIT_NOFILE does; Alloc beyond it is EMFILE.
const MaxFDs = 1 << 14

// Table is a process's fd table. It is not safe for concurrent use: the
// kernel touches it only from the process's own system calls (see
// doc/design.md on the hand-off).
type Table struct {
	slots []*Entry
	free  int // lowest slot that may be free
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{} }

// Alloc installs f at the lowest free fd and returns it.
func (t *Table) Alloc(f File, rights, inheriting Rights) (int32, error) {
	return t.alloc(&Entry{Desc: &Desc{File: f, refs: 1}, Rights: rights, Inheriting: inheriting})
}

func (t *Table) alloc(e *Entry) (int32, error) {
	for i := t.free; i < len(t.slots); i++ {
		if t.slots[i] == nil {
			t.slots[i] = e
			t.free = i + 1
			return int32(i), nil
		}
	}
	if len(t.slots) >= MaxFDs {
		return -1, vfs.EMFILE
	}
	t.slots = append(t.slots, e)
	t.free = len(t.slots)
	return int32(len(t.slots) - 1), nil
}

// Set installs f at fd n, closing what was there (used for 0, 1, 2).
func (t *Table) Set(n int32, f File, rights, inheriting Rights) error {
	if n < 0 || n >= MaxFDs {
		return vfs.EBADF
	}
	for int(n) >= len(t.slots) {
		t.slots = append(t.slots, nil)
	}
	if old := t.slots[n]; old != nil {
		old.Desc.release()
	}
	t.slots[n] = &Entry{Desc: &Desc{File: f, refs: 1}, Rights: rights, Inheriting: inheriting}
	return nil
}

// Preopen installs a directory at the lowest free fd under guest path name.
func (t *Table) Preopen(d Dir, name string) (int32, error) {
	return t.alloc(&Entry{Desc: &Desc{File: d, refs: 1}, Rights: RightsDir, Inheriting: RightsAll, Preopen: name})
}

// Get returns the entry at fd n, or EBADF.
func (t *Table) Get(n int32) (*Entry, error) {
	if n < 0 || int(n) >= len(t.slots) || t.slots[n] == nil {
		return nil, vfs.EBADF
	}
	return t.slots[n], nil
}

// Close closes fd n.
func (t *Table) Close(n int32) error {
	e, err := t.Get(n)
	if err != nil {
		return err
	}
	t.slots[n] = nil
	if int(n) < t.free {
		t.free = int(n)
	}
	return e.Desc.release()
}

// Renumber moves fd from to fd to, closing what was at to (fd_renumber).
func (t *Table) Renumber(from, to int32) error {
	e, err := t.Get(from)
	if err != nil {
		return err
	}
	if _, err := t.Get(to); err != nil {
		return err
	}
	if from == to {
		return nil
	}
	old := t.slots[to]
	t.slots[to] = e
	t.slots[from] = nil
	if int(from) < t.free {
		t.free = int(from)
	}
	return old.Desc.release()
}

// Len returns one more than the highest fd in use.
func (t *Table) Len() int {
	n := len(t.slots)
	for n > 0 && t.slots[n-1] == nil {
		n--
	}
	return n
}

// Fork returns a table whose fds share this table's open file
// descriptions (offsets, flags), as fork(2) does.
func (t *Table) Fork() *Table {
	c := &Table{slots: make([]*Entry, len(t.slots)), free: t.free}
	for i, e := range t.slots {
		if e != nil {
			e.Desc.refs++
			ce := *e
			c.slots[i] = &ce
		}
	}
	return c
}

// Share installs at fd n (closing what was there) a new fd for the open
// file description of e, which may belong to another table: the two fds
// then share offset and flags, as after dup2 across processes (spawn's
// fd inheritance). close-on-exec is not inherited.
func (t *Table) Share(n int32, e *Entry) error {
	if n < 0 || n >= MaxFDs || e == nil || e.Desc == nil {
		return vfs.EBADF
	}
	for int(n) >= len(t.slots) {
		t.slots = append(t.slots, nil)
	}
	e.Desc.refs++
	ne := *e
	ne.CloseOnExec = false
	old := t.slots[n]
	t.slots[n] = &ne
	if old != nil {
		return old.Desc.release()
	}
	return nil
}

// CloseOnExec closes every fd marked close-on-exec and returns the first
// error.
func (t *Table) CloseOnExec() error {
	var first error
	for i, e := range t.slots {
		if e != nil && e.CloseOnExec {
			if err := t.Close(int32(i)); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// CloseAll closes every fd (process exit) and returns the first error.
func (t *Table) CloseAll() error {
	var first error
	for i := range t.slots {
		if t.slots[i] != nil {
			if err := t.Close(int32(i)); err != nil && first == nil {
				first = err
			}
		}
	}
	t.slots = nil
	t.free = 0
	return first
}

// Slot is one fd in a Snapshot.
type Slot struct {
	FD         int32
	Rights     Rights
	Inheriting Rights
	Preopen    string
	Record     Record
	Shared     int // index of the first slot sharing the same description, or -1
}

// Snapshot describes every fd, in fd order, for migration or checkpoint.
// A File that does not implement Describer is recorded with Kind "opaque"
// and cannot be moved.
func (t *Table) Snapshot() []Slot {
	var out []Slot
	first := map[*Desc]int{}
	for i, e := range t.slots {
		if e == nil {
			continue
		}
		s := Slot{FD: int32(i), Rights: e.Rights, Inheriting: e.Inheriting, Preopen: e.Preopen, Shared: -1}
		if d, ok := e.Desc.File.(Describer); ok {
			s.Record = d.Describe()
		} else {
			s.Record = Record{Kind: "opaque"}
		}
		if j, ok := first[e.Desc]; ok {
			s.Shared = j
		} else {
			first[e.Desc] = len(out)
		}
		out = append(out, s)
	}
	return out
}

// Preopens returns the preopened directories' fds and guest paths, in fd order.
func (t *Table) Preopens() []Slot {
	var out []Slot
	for i, e := range t.slots {
		if e != nil && e.Preopen != "" {
			out = append(out, Slot{FD: int32(i), Preopen: e.Preopen, Shared: -1})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].FD < out[b].FD })
	return out
}

func (d *Desc) release() error {
	d.refs--
	if d.refs > 0 {
		return nil
	}
	return d.File.Close()
}

// Replace gives fd n a new open file description holding f, in place of
// the one it had; every other fd of this table sharing that description
// (dup) gets the new one too, so they keep sharing an offset. Rights,
// preopen name and close-on-exec stay. Fds of other tables (after fork)
// keep the old description, which is closed when its last fd goes. This
// is how a migrated process's files are rebound on the new computer.
// Errors: EBADF (n not open), EINVAL (f nil), or, after the replacement
// is done, the old description's close error. Cost: one pass over the
// table.
func (t *Table) Replace(n int32, f File) error {
	e, err := t.Get(n)
	if err != nil {
		return err
	}
	if f == nil {
		return vfs.EINVAL
	}
	old, nd := e.Desc, &Desc{File: f}
	var first error
	for _, s := range t.slots {
		if s == nil || s.Desc != old {
			continue
		}
		s.Desc = nd
		nd.refs++
		if err := old.release(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
