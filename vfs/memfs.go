package vfs

import (
	"slices"
	"strings"
	"sync"
)

// MemFS is an in-memory file system: each computer's root. Inode numbers
// are handed out in creation order starting at 1 (the root), so the same
// sequence of operations gives the same numbers in every run; timestamps
// come from the clock the kernel supplies (virtual realtime), never from the
// host.
//
// Costs: a path lookup is O(path elements) map lookups; reads and writes
// copy bytes once; ReadDir keeps each directory's names sorted, so listing
// is O(entries) and creating or removing a name is O(entries) to keep the
// order.
type MemFS struct {
	mu      sync.Mutex
	root    *inode
	nextIno uint64
	dev     uint64
	clock   func() int64
	limit   int64 // bytes of file data allowed in total
	used    int64
}

// DefaultMemLimit bounds a MemFS's file data unless NewMemFS is told
// otherwise.
const DefaultMemLimit = 1 << 30

type inode struct {
	ino    uint64
	typ    FileType
	nlink  uint64
	data   []byte            // regular file
	target string            // symlink
	kids   map[string]*inode // directory
	names  []string          // directory, sorted
	parent *inode            // directory
	atim   int64
	mtim   int64
	ctim   int64
}

// NewMemFS returns an empty file system (just a root directory) whose
// device number is dev and whose timestamps come from clock (ns since the
// Unix epoch; nil means always 0). limit bounds the bytes of file data
// (<= 0: DefaultMemLimit); writes beyond it fail with ENOSPC.
func NewMemFS(dev uint64, clock func() int64, limit int64) *MemFS {
	if clock == nil {
		clock = func() int64 { return 0 }
	}
	if limit <= 0 {
		limit = DefaultMemLimit
	}
	m := &MemFS{dev: dev, clock: clock, limit: limit}
	m.root = m.newInode(TypeDir)
	m.root.parent = m.root
	return m
}

func (m *MemFS) newInode(t FileType) *inode {
	m.nextIno++
	now := m.clock()
	n := &inode{ino: m.nextIno, typ: t, nlink: 1, atim: now, mtim: now, ctim: now}
	if t == TypeDir {
		n.kids = map[string]*inode{}
		n.nlink = 2
	}
	return n
}

// maxSymlinks bounds symbolic-link expansions in one lookup (ELOOP beyond).
const maxSymlinks = 40

// walk resolves a clean path. It returns the directory holding the last
// element, that element's name, and its inode (nil when absent). Symbolic
// links in intermediate elements are always followed, the last one only
// when follow is set; links never leave the root.
func (m *MemFS) walk(path string, follow bool) (dir *inode, name string, n *inode, err error) {
	if path == "" || path == "." {
		return m.root, ".", m.root, nil
	}
	rest := strings.Split(path, "/")
	cur := m.root
	links := 0
	for len(rest) > 0 {
		el := rest[0]
		rest = rest[1:]
		switch el {
		case "", ".":
			if len(rest) == 0 {
				return cur, ".", cur, nil
			}
			continue
		case "..":
			cur = cur.parent
			if len(rest) == 0 {
				return cur, ".", cur, nil
			}
			continue
		}
		if cur.typ != TypeDir {
			return nil, "", nil, ENOTDIR
		}
		next := cur.kids[el]
		if len(rest) == 0 && (next == nil || next.typ != TypeSymlink || !follow) {
			return cur, el, next, nil
		}
		if next == nil {
			return nil, "", nil, ENOENT
		}
		if next.typ == TypeSymlink {
			links++
			if links > maxSymlinks {
				return nil, "", nil, ELOOP
			}
			t := next.target
			if strings.HasPrefix(t, "/") {
				cur = m.root
			}
			rest = append(strings.Split(t, "/"), rest...)
			continue
		}
		cur = next
	}
	return cur, ".", cur, nil
}

func (d *inode) link(name string, n *inode) {
	d.kids[name] = n
	i, _ := slices.BinarySearch(d.names, name)
	d.names = slices.Insert(d.names, i, name)
	if n.typ == TypeDir {
		n.parent = d
		d.nlink++
	}
}

func (d *inode) unlink(name string) {
	n := d.kids[name]
	delete(d.kids, name)
	if i, ok := slices.BinarySearch(d.names, name); ok {
		d.names = slices.Delete(d.names, i, i+1)
	}
	if n != nil && n.typ == TypeDir {
		d.nlink--
	}
}

func (m *MemFS) touch(n *inode) {
	now := m.clock()
	n.mtim, n.ctim = now, now
}

// Open implements FS.
func (m *MemFS) Open(path string, mode OpenMode) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	follow := mode.Follow && mode.OFlags&(OCreat|OExcl) != OCreat|OExcl
	dir, name, n, err := m.walk(path, follow)
	if err != nil {
		return nil, err
	}
	if n == nil {
		if mode.OFlags&OCreat == 0 {
			return nil, ENOENT
		}
		if mode.OFlags&ODirectory != 0 {
			return nil, EINVAL
		}
		n = m.newInode(TypeRegular)
		dir.link(name, n)
		m.touch(dir)
	} else if mode.OFlags&(OCreat|OExcl) == OCreat|OExcl {
		return nil, EEXIST
	}
	switch {
	case n.typ == TypeSymlink:
		return nil, ELOOP
	case mode.OFlags&ODirectory != 0 && n.typ != TypeDir:
		return nil, ENOTDIR
	case n.typ == TypeDir && (mode.Write || mode.OFlags&OTrunc != 0):
		return nil, EISDIR
	}
	if mode.OFlags&OTrunc != 0 && len(n.data) > 0 {
		m.used -= int64(len(n.data))
		n.data = nil
		m.touch(n)
	}
	return &memFile{m: m, n: n}, nil
}

// Stat implements FS.
func (m *MemFS) Stat(path string, follow bool) (Stat, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _, n, err := m.walk(path, follow)
	if err != nil {
		return Stat{}, err
	}
	if n == nil {
		return Stat{}, ENOENT
	}
	return m.stat(n), nil
}

func (m *MemFS) stat(n *inode) Stat {
	st := Stat{Dev: m.dev, Ino: n.ino, Type: n.typ, Nlink: n.nlink, Atim: n.atim, Mtim: n.mtim, Ctim: n.ctim}
	switch n.typ {
	case TypeRegular:
		st.Size = uint64(len(n.data))
	case TypeSymlink:
		st.Size = uint64(len(n.target))
	case TypeDir:
		st.Size = uint64(len(n.names))
	}
	return st
}

// Mkdir implements FS.
func (m *MemFS) Mkdir(path string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, name, n, err := m.walk(path, false)
	if err != nil {
		return err
	}
	if n != nil {
		return EEXIST
	}
	dir.link(name, m.newInode(TypeDir))
	m.touch(dir)
	return nil
}

// Rmdir implements FS.
func (m *MemFS) Rmdir(path string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, name, n, err := m.walk(path, false)
	switch {
	case err != nil:
		return err
	case n == nil:
		return ENOENT
	case n == m.root:
		return EBUSY
	case name == ".":
		return EINVAL
	case n.typ != TypeDir:
		return ENOTDIR
	case len(n.names) > 0:
		return ENOTEMPTY
	}
	dir.unlink(name)
	n.nlink = 0
	m.touch(dir)
	return nil
}

// Unlink implements FS.
func (m *MemFS) Unlink(path string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, name, n, err := m.walk(path, false)
	switch {
	case err != nil:
		return err
	case n == nil:
		return ENOENT
	case n.typ == TypeDir:
		return EISDIR
	}
	dir.unlink(name)
	n.nlink--
	if n.nlink == 0 {
		// Open files keep the bytes readable; the space counts as freed
		// now, which errs on the side of letting writes through.
		m.used -= int64(len(n.data))
	}
	n.ctim = m.clock()
	m.touch(dir)
	return nil
}

// Rename implements FS.
func (m *MemFS) Rename(from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	fdir, fname, src, err := m.walk(from, false)
	if err != nil {
		return err
	}
	if src == nil {
		return ENOENT
	}
	if fname == "." || src == m.root {
		return EBUSY
	}
	tdir, tname, dst, err := m.walk(to, false)
	if err != nil {
		return err
	}
	if tname == "." {
		return EBUSY
	}
	if dst == src {
		return nil
	}
	if src.typ == TypeDir {
		// A directory cannot move into its own subtree.
		for d := tdir; ; d = d.parent {
			if d == src {
				return EINVAL
			}
			if d == m.root {
				break
			}
		}
	}
	if dst != nil {
		switch {
		case src.typ == TypeDir && dst.typ != TypeDir:
			return ENOTDIR
		case src.typ != TypeDir && dst.typ == TypeDir:
			return EISDIR
		case dst.typ == TypeDir && len(dst.names) > 0:
			return ENOTEMPTY
		}
		tdir.unlink(tname)
		dst.nlink--
		if dst.typ == TypeDir {
			dst.nlink = 0
		}
		if dst.nlink == 0 {
			m.used -= int64(len(dst.data))
		}
	}
	fdir.unlink(fname)
	tdir.link(tname, src)
	src.ctim = m.clock()
	m.touch(fdir)
	m.touch(tdir)
	return nil
}

// Link implements FS.
func (m *MemFS) Link(from, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _, src, err := m.walk(from, false)
	if err != nil {
		return err
	}
	if src == nil {
		return ENOENT
	}
	if src.typ == TypeDir {
		return EPERM
	}
	tdir, tname, dst, err := m.walk(to, false)
	if err != nil {
		return err
	}
	if dst != nil || tname == "." {
		return EEXIST
	}
	tdir.link(tname, src)
	src.nlink++
	src.ctim = m.clock()
	m.touch(tdir)
	return nil
}

// Symlink implements FS.
func (m *MemFS) Symlink(target, path string) error {
	if target == "" {
		return ENOENT
	}
	if len(target) > MaxPathLen {
		return ENAMETOOLONG
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, name, n, err := m.walk(path, false)
	if err != nil {
		return err
	}
	if n != nil || name == "." {
		return EEXIST
	}
	l := m.newInode(TypeSymlink)
	l.target = target
	dir.link(name, l)
	m.touch(dir)
	return nil
}

// Readlink implements FS.
func (m *MemFS) Readlink(path string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _, n, err := m.walk(path, false)
	switch {
	case err != nil:
		return "", err
	case n == nil:
		return "", ENOENT
	case n.typ != TypeSymlink:
		return "", EINVAL
	}
	return n.target, nil
}

// SetTimes implements FS.
func (m *MemFS) SetTimes(path string, follow bool, t Times) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _, n, err := m.walk(path, follow)
	if err != nil {
		return err
	}
	if n == nil {
		return ENOENT
	}
	m.setTimes(n, t)
	return nil
}

func (m *MemFS) setTimes(n *inode, t Times) {
	if t.SetAtim {
		n.atim = t.Atim
	}
	if t.SetMtim {
		n.mtim = t.Mtim
	}
	n.ctim = m.clock()
}

// Truncate implements FS.
func (m *MemFS) Truncate(path string, size int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _, n, err := m.walk(path, true)
	if err != nil {
		return err
	}
	if n == nil {
		return ENOENT
	}
	return m.truncate(n, size)
}

func (m *MemFS) truncate(n *inode, size int64) error {
	switch {
	case n.typ == TypeDir:
		return EISDIR
	case n.typ != TypeRegular:
		return EINVAL
	case size < 0:
		return EINVAL
	}
	old := int64(len(n.data))
	if size > old && m.used+size-old > m.limit {
		return EFBIG
	}
	m.resize(n, size)
	m.touch(n)
	return nil
}

func (m *MemFS) resize(n *inode, size int64) {
	old := int64(len(n.data))
	if size <= int64(cap(n.data)) {
		n.data = n.data[:size]
		if size > old {
			clear(n.data[old:])
		}
	} else {
		// Grow geometrically so sequential appends stay linear overall.
		c := max(size, 2*int64(cap(n.data)))
		if c > size+(64<<20) {
			c = size + 64<<20
		}
		nd := make([]byte, size, c)
		copy(nd, n.data)
		n.data = nd
	}
	m.used += size - old
}

// memFile is an open MemFS file.
type memFile struct {
	m      *MemFS
	n      *inode
	closed bool
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	switch {
	case f.closed:
		return 0, EBADF
	case f.n.typ == TypeDir:
		return 0, EISDIR
	case off < 0:
		return 0, EINVAL
	}
	if off >= int64(len(f.n.data)) {
		return 0, nil
	}
	return copy(p, f.n.data[off:]), nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	switch {
	case f.closed:
		return 0, EBADF
	case f.n.typ == TypeDir:
		return 0, EISDIR
	case off < 0:
		return 0, EINVAL
	}
	if len(p) == 0 {
		return 0, nil
	}
	end := off + int64(len(p))
	if end < off {
		return 0, EFBIG
	}
	if end > int64(len(f.n.data)) {
		if f.m.used+end-int64(len(f.n.data)) > f.m.limit {
			return 0, ENOSPC
		}
		f.m.resize(f.n, end)
	}
	copy(f.n.data[off:], p)
	f.m.touch(f.n)
	return len(p), nil
}

func (f *memFile) Stat() (Stat, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return Stat{}, EBADF
	}
	return f.m.stat(f.n), nil
}

func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return EBADF
	}
	return f.m.truncate(f.n, size)
}

func (f *memFile) SetTimes(t Times) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return EBADF
	}
	f.m.setTimes(f.n, t)
	return nil
}

func (f *memFile) Sync() error {
	if f.closed {
		return EBADF
	}
	return nil
}

func (f *memFile) ReadDir(cookie uint64, n int) ([]Dirent, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return nil, EBADF
	}
	d := f.n
	if d.typ != TypeDir {
		return nil, ENOTDIR
	}
	total := uint64(len(d.names)) + 2
	var out []Dirent
	for c := cookie; c < total && (n <= 0 || len(out) < n); c++ {
		switch c {
		case 0:
			out = append(out, Dirent{Next: 1, Ino: d.ino, Type: TypeDir, Name: "."})
		case 1:
			out = append(out, Dirent{Next: 2, Ino: d.parent.ino, Type: TypeDir, Name: ".."})
		default:
			name := d.names[c-2]
			k := d.kids[name]
			out = append(out, Dirent{Next: c + 1, Ino: k.ino, Type: k.typ, Name: name})
		}
	}
	return out, nil
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return EBADF
	}
	f.closed = true
	return nil
}
