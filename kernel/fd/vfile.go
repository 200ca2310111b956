package fd

import (
	"dosemu/vfs"
)

// VFile is an open file or directory of a vfs name space: the open file
// description of everything path_open returns. It keeps the offset and the
// fd flags (kernel state) and names its file by name space and path, which
// is what Describe reports for migration.
type VFile struct {
	Base
	ns       vfs.FS
	path     string
	computer string
	f        vfs.File
	typ      vfs.FileType
	ino      uint64
	off      int64
	read     bool
	write    bool
}

// OpenVFile opens path in ns. computer names the computer whose name
// space ns is (recorded for migration).
func OpenVFile(ns vfs.FS, computer, path string, mode vfs.OpenMode, flags vfs.FDFlags) (*VFile, error) {
	f, err := ns.Open(path, mode)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &VFile{
		Base: Base{FDFlags: flags}, ns: ns, path: path, computer: computer,
		f: f, typ: st.Type, ino: st.Ino, read: mode.Read, write: mode.Write,
	}, nil
}

// FS returns the name space the file was opened in.
func (v *VFile) FS() vfs.FS { return v.ns }

// Path returns the file's path in its name space as opened.
func (v *VFile) Path() string { return v.path }

// Type implements File.
func (v *VFile) Type() vfs.FileType { return v.typ }

// Read implements File.
func (v *VFile) Read(p []byte) (int, error) {
	n, err := v.Pread(p, v.off)
	v.off += int64(n)
	return n, err
}

// Write implements File. In append mode every write goes to the current
// end of file, which the file system reports at the moment of writing.
func (v *VFile) Write(p []byte) (int, error) {
	if v.FDFlags&vfs.FDAppend != 0 {
		if !v.write {
			return 0, vfs.EBADF
		}
		st, err := v.f.Stat()
		if err != nil {
			return 0, err
		}
		v.off = int64(st.Size)
	}
	n, err := v.Pwrite(p, v.off)
	v.off += int64(n)
	return n, err
}

// Pread implements File.
func (v *VFile) Pread(p []byte, off int64) (int, error) {
	switch {
	case v.typ == vfs.TypeDir:
		return 0, vfs.EISDIR
	case !v.read:
		return 0, vfs.EBADF
	case off < 0:
		return 0, vfs.EINVAL
	}
	return v.f.ReadAt(p, off)
}

// Pwrite implements File. As on Linux, pwrite on a file opened for
// appending writes at the end regardless of off.
func (v *VFile) Pwrite(p []byte, off int64) (int, error) {
	switch {
	case v.typ == vfs.TypeDir:
		return 0, vfs.EISDIR
	case !v.write:
		return 0, vfs.EBADF
	case off < 0:
		return 0, vfs.EINVAL
	}
	return v.f.WriteAt(p, off)
}

// Seek implements File.
func (v *VFile) Seek(off int64, whence int) (int64, error) {
	if v.typ == vfs.TypeDir {
		return 0, vfs.EBADF
	}
	var base int64
	switch whence {
	case SeekSet:
	case SeekCur:
		base = v.off
	case SeekEnd:
		st, err := v.f.Stat()
		if err != nil {
			return 0, err
		}
		base = int64(st.Size)
	default:
		return 0, vfs.EINVAL
	}
	n := base + off
	if (off > 0 && n < base) || n < 0 {
		return 0, vfs.EINVAL
	}
	v.off = n
	return n, nil
}

// Stat implements File.
func (v *VFile) Stat() (vfs.Stat, error) { return v.f.Stat() }

// SetSize implements File.
func (v *VFile) SetSize(size int64) error {
	switch {
	case v.typ == vfs.TypeDir:
		return vfs.EISDIR
	case !v.write:
		return vfs.EBADF
	case size < 0:
		return vfs.EINVAL
	}
	return v.f.Truncate(size)
}

// SetTimes implements File.
func (v *VFile) SetTimes(t vfs.Times) error { return v.f.SetTimes(t) }

// Sync implements File.
func (v *VFile) Sync(bool) error { return v.f.Sync() }

// Advise implements File: advice is accepted and has no effect, which the
// specification allows.
func (v *VFile) Advise(off, n int64, a Advice) error {
	switch {
	case v.typ == vfs.TypeDir:
		return vfs.EBADF
	case off < 0 || n < 0 || a > 5:
		return vfs.EINVAL
	}
	return nil
}

// Allocate implements File: it extends the file to off+n when shorter.
func (v *VFile) Allocate(off, n int64) error {
	switch {
	case v.typ == vfs.TypeDir:
		return vfs.EBADF
	case !v.write:
		return vfs.EBADF
	case off < 0 || n <= 0 || off+n < off:
		return vfs.EINVAL
	}
	st, err := v.f.Stat()
	if err != nil {
		return err
	}
	if int64(st.Size) < off+n {
		return v.f.Truncate(off + n)
	}
	return nil
}

// ReadDir implements File.
func (v *VFile) ReadDir(cookie uint64, n int) ([]vfs.Dirent, error) {
	if v.typ != vfs.TypeDir {
		return nil, vfs.ENOTDIR
	}
	return v.f.ReadDir(cookie, n)
}

// Close implements File.
func (v *VFile) Close() error { return v.f.Close() }

// Describe implements Describer.
func (v *VFile) Describe() Record {
	k := "file"
	if v.typ == vfs.TypeDir {
		k = "dir"
	}
	r := Record{Kind: k, Computer: v.computer, Path: v.path, Ino: v.ino, Offset: v.off, Flags: v.FDFlags, Read: v.read, Write: v.write}
	// A file served by another computer (the remote file client) says
	// where it lives, so a migrated process reopens it there.
	if l, ok := v.f.(Locator); ok {
		r.Computer, r.Path, r.Handle = l.Location()
	}
	return r
}

// Locator is implemented by vfs files served by another computer.
type Locator interface {
	// Location returns the serving computer's name, the file's path in
	// that computer's name space and the server's handle for it.
	Location() (computer, path string, handle uint64)
}
