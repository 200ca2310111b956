// Package procfs is a computer's /proc: a read-only vfs.FS generated from
// the kernel's process table on every open, so `cat /proc/3/status` shows
// the process as it is at that virtual instant. It is mounted in the
// computer's local name space, so other computers read it through
// /net/<computer>/proc like any remote file.
//
// Layout:
//
//	/proc/computer        the computer's name
//	/proc/<pid>/status    name, gid, parent, state, computer, CPU time, ...
//	/proc/<pid>/cmdline   argv, one per line
//	/proc/<pid>/maps      the address-space layout: code, data, stack, heap
//	/proc/<pid>/fds       open files: fd, kind, serving computer, path, offset
//
// The kernel implements Source; procfs never touches kernel state itself,
// only the snapshot the kernel hands out. A file's bytes are fixed when it
// is opened (reading it later gives the same snapshot); Stat computes them
// to report the size. Costs: O(processes) per directory listing, one
// snapshot of one process per file open.
package procfs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"dosemu/vfs"
)

// Source is what /proc is generated from: the kernel.
type Source interface {
	// ProcNames returns the computer's name and its live and zombie
	// processes' pids, ascending (init included).
	ProcNames() (computer string, pids []int)
	// ProcInfo describes one process; false if there is none by that pid.
	ProcInfo(pid int) (Proc, bool)
}

// Proc is a process as /proc shows it.
type Proc struct {
	PID          int
	GID          string // "c0:3"
	Parent       string
	Name         string
	State        string
	Computer     string
	Args         []string
	CPUTime      int64 // virtual ns
	Instructions uint64
	Syscalls     int
	Memory       uint64 // linear memory bytes
	Spawned      int64  // virtual ns since boot
	Regions      []Region
	Files        []File
}

// Region is one part of the address space. Start and End are linear
// memory addresses (End exclusive); Known is false when the module does
// not say where the region is (Note says what is known).
type Region struct {
	Name       string // "code", "data", "stack", "heap", "memory"
	Start, End uint64
	Known      bool
	Note       string
}

// File is one open file descriptor.
type File struct {
	FD       int32
	Kind     string // file, dir, stdio, pipe, socket, opaque
	Computer string // the computer that serves it ("" = this one)
	Path     string
	Offset   int64
	Read     bool
	Write    bool
}

// FS is the /proc file system of one computer.
type FS struct {
	src Source
	dev uint64
}

// New returns /proc over src; dev is its device number in Stat.
func New(src Source, dev uint64) *FS { return &FS{src: src, dev: dev} }

var fileNames = []string{"cmdline", "fds", "maps", "status"} // sorted

// node is what a path names.
type node struct {
	pid  int    // 0 for the root and "computer"
	file string // "" for a directory
}

func (f *FS) lookup(path string) (node, error) {
	if path == "" || path == "." {
		return node{}, nil
	}
	els := strings.Split(path, "/")
	if len(els) == 1 && els[0] == "computer" {
		return node{file: "computer"}, nil
	}
	pid, err := strconv.Atoi(els[0])
	if err != nil || pid <= 0 || strconv.Itoa(pid) != els[0] {
		return node{}, vfs.ENOENT
	}
	if _, ok := f.src.ProcInfo(pid); !ok {
		return node{}, vfs.ENOENT
	}
	switch len(els) {
	case 1:
		return node{pid: pid}, nil
	case 2:
		if slices.Contains(fileNames, els[1]) {
			return node{pid: pid, file: els[1]}, nil
		}
	}
	return node{}, vfs.ENOENT
}

// ino numbers nodes deterministically: 1 the root, 2 "computer", then 8
// per pid (the directory and its files).
func (n node) ino() uint64 {
	switch {
	case n.pid == 0 && n.file == "":
		return 1
	case n.pid == 0:
		return 2
	case n.file == "":
		return uint64(n.pid) * 8
	}
	return uint64(n.pid)*8 + 1 + uint64(slices.Index(fileNames, n.file))
}

func (f *FS) content(n node) []byte {
	if n.pid == 0 {
		c, _ := f.src.ProcNames()
		return []byte(c + "\n")
	}
	p, ok := f.src.ProcInfo(n.pid)
	if !ok {
		return nil
	}
	var b strings.Builder
	switch n.file {
	case "status":
		fmt.Fprintf(&b, "name: %s\ngid: %s\nparent: %s\nstate: %s\ncomputer: %s\ncpu_ns: %d\ninstructions: %d\nsyscalls: %d\nmemory: %d\nspawned_ns: %d\n",
			p.Name, p.GID, p.Parent, p.State, p.Computer, p.CPUTime, p.Instructions, p.Syscalls, p.Memory, p.Spawned)
	case "cmdline":
		for _, a := range p.Args {
			b.WriteString(a)
			b.WriteByte('\n')
		}
	case "maps":
		for _, r := range p.Regions {
			if r.Known {
				fmt.Fprintf(&b, "%-6s %#08x-%#08x %d", r.Name, r.Start, r.End, r.End-r.Start)
			} else {
				fmt.Fprintf(&b, "%-6s ?", r.Name)
			}
			if r.Note != "" {
				b.WriteString(" " + r.Note)
			}
			b.WriteByte('\n')
		}
	case "fds":
		for _, fl := range p.Files {
			mode := ""
			if fl.Read {
				mode += "r"
			}
			if fl.Write {
				mode += "w"
			}
			where := fl.Computer
			if where == "" {
				where = p.Computer
			}
			fmt.Fprintf(&b, "%d %s %s %s:/%s @%d\n", fl.FD, fl.Kind, mode, where, strings.TrimPrefix(fl.Path, "."), fl.Offset)
		}
	}
	return []byte(b.String())
}

func (f *FS) stat(n node) vfs.Stat {
	st := vfs.Stat{Dev: f.dev, Ino: n.ino(), Nlink: 1, Type: vfs.TypeRegular}
	if n.file == "" {
		st.Type, st.Nlink = vfs.TypeDir, 2
		return st
	}
	st.Size = uint64(len(f.content(n)))
	return st
}

// Open implements vfs.FS: reading only.
func (f *FS) Open(path string, mode vfs.OpenMode) (vfs.File, error) {
	n, err := f.lookup(path)
	if err != nil {
		if mode.OFlags&vfs.OCreat != 0 {
			return nil, vfs.EROFS
		}
		return nil, err
	}
	if mode.Write || mode.OFlags&(vfs.OCreat|vfs.OTrunc|vfs.OExcl) != 0 {
		if mode.OFlags&vfs.OExcl != 0 {
			return nil, vfs.EEXIST
		}
		return nil, vfs.EROFS
	}
	isDir := n.file == ""
	if mode.OFlags&vfs.ODirectory != 0 && !isDir {
		return nil, vfs.ENOTDIR
	}
	of := &file{fs: f, n: n, st: f.stat(n)}
	if !isDir {
		of.data = f.content(n)
		of.st.Size = uint64(len(of.data))
	}
	return of, nil
}

// Stat implements vfs.FS.
func (f *FS) Stat(path string, follow bool) (vfs.Stat, error) {
	n, err := f.lookup(path)
	if err != nil {
		return vfs.Stat{}, err
	}
	return f.stat(n), nil
}

// Readlink implements vfs.FS: /proc has no symbolic links.
func (f *FS) Readlink(path string) (string, error) {
	if _, err := f.lookup(path); err != nil {
		return "", err
	}
	return "", vfs.EINVAL
}

// The rest of vfs.FS: /proc is read-only.
func (f *FS) Mkdir(string) error                     { return vfs.EROFS }
func (f *FS) Rmdir(string) error                     { return vfs.EROFS }
func (f *FS) Unlink(string) error                    { return vfs.EROFS }
func (f *FS) Rename(string, string) error            { return vfs.EROFS }
func (f *FS) Link(string, string) error              { return vfs.EROFS }
func (f *FS) Symlink(string, string) error           { return vfs.EROFS }
func (f *FS) SetTimes(string, bool, vfs.Times) error { return vfs.EROFS }
func (f *FS) Truncate(string, int64) error           { return vfs.EROFS }

type file struct {
	fs   *FS
	n    node
	st   vfs.Stat
	data []byte
}

func (o *file) ReadAt(p []byte, off int64) (int, error) {
	if o.n.file == "" {
		return 0, vfs.EISDIR
	}
	if off < 0 {
		return 0, vfs.EINVAL
	}
	if off >= int64(len(o.data)) {
		return 0, nil
	}
	return copy(p, o.data[off:]), nil
}

func (o *file) WriteAt([]byte, int64) (int, error) { return 0, vfs.EBADF }
func (o *file) Stat() (vfs.Stat, error)            { return o.st, nil }
func (o *file) Truncate(int64) error               { return vfs.EBADF }
func (o *file) SetTimes(vfs.Times) error           { return vfs.EROFS }
func (o *file) Sync() error                        { return nil }
func (o *file) Close() error                       { return nil }

// ReadDir lists the root (computer, then pids ascending) or a process's
// directory. Cookies are positions in the listing.
func (o *file) ReadDir(cookie uint64, n int) ([]vfs.Dirent, error) {
	if o.n.file != "" {
		return nil, vfs.ENOTDIR
	}
	all := []vfs.Dirent{{Name: ".", Type: vfs.TypeDir, Ino: o.n.ino()}, {Name: "..", Type: vfs.TypeDir, Ino: 1}}
	if o.n.pid == 0 {
		all = append(all, vfs.Dirent{Name: "computer", Type: vfs.TypeRegular, Ino: 2})
		_, pids := o.fs.src.ProcNames()
		for _, pid := range pids {
			all = append(all, vfs.Dirent{Name: strconv.Itoa(pid), Type: vfs.TypeDir, Ino: node{pid: pid}.ino()})
		}
	} else {
		for _, name := range fileNames {
			nd := node{pid: o.n.pid, file: name}
			all = append(all, vfs.Dirent{Name: name, Type: vfs.TypeRegular, Ino: nd.ino()})
		}
	}
	for i := range all {
		all[i].Next = uint64(i + 1)
	}
	if cookie >= uint64(len(all)) {
		return nil, nil
	}
	out := all[cookie:]
	if n > 0 && n < len(out) {
		out = out[:n]
	}
	return out, nil
}
