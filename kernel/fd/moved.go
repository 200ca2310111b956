package fd

import (
	"dosemu/vfs"
)

// Moved is an open file that a migrated process carried to another
// computer: it names the file by name space and path and holds the
// description's offset, flags and access mode, and reopens the file in
// that name space at its first use, from inside the system call that
// uses it. The name space is the new computer's view of the old one, so
// a file of another computer is reached through that computer's file
// server and every operation pays the network, as the first open does;
// a file that now lives on the process's own computer is opened locally
// (the dependency on the old computer is gone). Reopening, rather than
// keeping the old computer's handle, is how Sprite rebinds files after a
// migration; like it, a file unlinked while open cannot be found again
// and answers the open's error (ENOENT) to every use.
//
// A failed reopen is not remembered: the next use tries again (a call
// interrupted by a capture answers EINTR and is repeated). Once open,
// every method is the reopened VFile's. Not safe for concurrent use, like
// every File.
type Moved struct {
	Base
	ns       vfs.FS
	computer string
	path     string
	typ      vfs.FileType
	read     bool
	write    bool
	off      int64
	v        *VFile
}

var (
	_ File      = (*Moved)(nil)
	_ Dir       = (*Moved)(nil)
	_ Describer = (*Moved)(nil)
)

// NewMoved describes a file to reopen at path in ns (computer names whose
// name space path is in, for Describe) with the given type, access mode,
// offset and fd flags. Nothing is opened yet.
func NewMoved(ns vfs.FS, computer, path string, typ vfs.FileType, read, write bool, off int64, flags vfs.FDFlags) *Moved {
	return &Moved{Base: Base{FDFlags: flags}, ns: ns, computer: computer, path: path, typ: typ, read: read, write: write, off: off}
}

// MovedFrom describes the open file v (its name space, path, mode, offset
// and flags), to be reopened at path in ns instead.
func MovedFrom(v *VFile, ns vfs.FS, computer, path string) *Moved {
	return NewMoved(ns, computer, path, v.typ, v.read, v.write, v.off, v.FDFlags)
}

// Where returns the name space and path the file is (to be) opened in.
func (m *Moved) Where() (vfs.FS, string) { return m.ns, m.path }

// Reopened is the VFile once the file is open again, nil before.
func (m *Moved) Reopened() *VFile { return m.v }

// Pending returns what a Moved not yet reopened holds: type, access mode,
// offset and flags (the reopened VFile's once it is open).
func (m *Moved) Pending() (typ vfs.FileType, read, write bool, off int64, flags vfs.FDFlags) {
	if m.v != nil {
		return m.v.typ, m.v.read, m.v.write, m.v.off, m.v.FDFlags
	}
	return m.typ, m.read, m.write, m.off, m.FDFlags
}

// open reopens the file if it is not yet open.
func (m *Moved) open() (*VFile, error) {
	if m.v != nil {
		return m.v, nil
	}
	mode := vfs.OpenMode{Read: m.read, Write: m.write, Follow: true}
	if m.typ == vfs.TypeDir {
		mode.OFlags = vfs.ODirectory
	}
	v, err := OpenVFile(m.ns, m.computer, m.path, mode, m.FDFlags)
	if err != nil {
		return nil, err
	}
	v.off = m.off
	m.v = v
	return v, nil
}

// FS implements Dir without reopening: path calls relative to a moved
// directory resolve in the new name space.
func (m *Moved) FS() vfs.FS { return m.ns }

// Path implements Dir.
func (m *Moved) Path() string { return m.path }

// Type implements File (known without reopening).
func (m *Moved) Type() vfs.FileType { return m.typ }

// Read implements File.
func (m *Moved) Read(p []byte) (int, error) {
	v, err := m.open()
	if err != nil {
		return 0, err
	}
	return v.Read(p)
}

// Write implements File.
func (m *Moved) Write(p []byte) (int, error) {
	v, err := m.open()
	if err != nil {
		return 0, err
	}
	return v.Write(p)
}

// Pread implements File.
func (m *Moved) Pread(p []byte, off int64) (int, error) {
	v, err := m.open()
	if err != nil {
		return 0, err
	}
	return v.Pread(p, off)
}

// Pwrite implements File.
func (m *Moved) Pwrite(p []byte, off int64) (int, error) {
	v, err := m.open()
	if err != nil {
		return 0, err
	}
	return v.Pwrite(p, off)
}

// Seek implements File. Moves relative to the start or the current offset
// need no reopening; from the end the file's size is asked for.
func (m *Moved) Seek(off int64, whence int) (int64, error) {
	if m.v == nil && m.typ != vfs.TypeDir && (whence == SeekSet || whence == SeekCur) {
		base := int64(0)
		if whence == SeekCur {
			base = m.off
		}
		n := base + off
		if (off > 0 && n < base) || n < 0 {
			return 0, vfs.EINVAL
		}
		m.off = n
		return n, nil
	}
	v, err := m.open()
	if err != nil {
		return 0, err
	}
	return v.Seek(off, whence)
}

// Stat implements File.
func (m *Moved) Stat() (vfs.Stat, error) {
	v, err := m.open()
	if err != nil {
		return vfs.Stat{}, err
	}
	return v.Stat()
}

// SetSize implements File.
func (m *Moved) SetSize(size int64) error {
	v, err := m.open()
	if err != nil {
		return err
	}
	return v.SetSize(size)
}

// SetTimes implements File.
func (m *Moved) SetTimes(t vfs.Times) error {
	v, err := m.open()
	if err != nil {
		return err
	}
	return v.SetTimes(t)
}

// Sync implements File.
func (m *Moved) Sync(dataOnly bool) error {
	v, err := m.open()
	if err != nil {
		return err
	}
	return v.Sync(dataOnly)
}

// Advise implements File.
func (m *Moved) Advise(off, n int64, a Advice) error {
	v, err := m.open()
	if err != nil {
		return err
	}
	return v.Advise(off, n, a)
}

// Allocate implements File.
func (m *Moved) Allocate(off, n int64) error {
	v, err := m.open()
	if err != nil {
		return err
	}
	return v.Allocate(off, n)
}

// ReadDir implements File.
func (m *Moved) ReadDir(cookie uint64, n int) ([]vfs.Dirent, error) {
	v, err := m.open()
	if err != nil {
		return nil, err
	}
	return v.ReadDir(cookie, n)
}

// Flags implements File.
func (m *Moved) Flags() vfs.FDFlags {
	if m.v != nil {
		return m.v.Flags()
	}
	return m.FDFlags
}

// SetFlags implements File.
func (m *Moved) SetFlags(f vfs.FDFlags) error {
	if m.v != nil {
		return m.v.SetFlags(f)
	}
	m.FDFlags = f
	return nil
}

// Close implements File: a file never reopened has nothing to close.
func (m *Moved) Close() error {
	if m.v != nil {
		return m.v.Close()
	}
	return nil
}

// Describe implements Describer.
func (m *Moved) Describe() Record {
	if m.v != nil {
		return m.v.Describe()
	}
	k := "file"
	if m.typ == vfs.TypeDir {
		k = "dir"
	}
	return Record{Kind: k, Computer: m.computer, Path: m.path, Offset: m.off, Flags: m.FDFlags, Read: m.read, Write: m.write}
}
