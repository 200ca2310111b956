// Package vfs is dosemu's file-system layer: one interface, FS, and its
// implementations — an in-memory file system (each computer's root, MemFS),
// host-directory mounts (HostFS), and a mount table (Namespace) that makes a
// computer's name space out of a root plus mounts. A remote client that
// forwards every operation to another computer implements the same FS.
//
// # The interface is message-shaped
//
// Every operation names its file by a path relative to the FS root, or acts
// on an open File; arguments and results are plain data (strings, integers,
// Stat, Dirent, Times) and every error is an Errno (WASI preview1's
// numbering). That is deliberate: a remote client can turn each call into a
// request and each result into a reply without inventing anything, and the
// errno a guest sees is the one the serving computer produced.
//
// Files carry no offset: File has ReadAt/WriteAt only. The offset of an open
// file description is kernel state (kernel/fd keeps it), so it travels with
// the process when it migrates and no server has to remember it.
//
// # Paths
//
// FS paths are slash-separated, relative, and already clean: no leading
// "/", no "." or ".." elements, no empty elements; "" or "." names the root.
// Clean produces such a path from a guest path and refuses (ENOTCAPABLE) one
// that climbs above its base. Symbolic links are resolved by the FS itself
// and never leave its root: in MemFS an absolute target is taken relative to
// the MemFS root and ".." stops at the root; HostFS gets the same guarantee
// from os.Root (see HostFS).
//
// # Caches and invalidation
//
// A file system whose content can change behind the kernel's back (a host
// directory edited by the user, a remote server's file written by another
// computer) reports it through Watchable: subscribers get a Change naming
// the path. Cache, a read cache over any FS, subscribes and drops what a
// change touches; the remote client uses the same hook for the server's
// callbacks.
package vfs

import (
	"strings"
)

// FileType is WASI's filetype.
type FileType uint8

// File types, numbered as WASI numbers them.
const (
	TypeUnknown     FileType = 0
	TypeBlockDevice FileType = 1
	TypeCharDevice  FileType = 2
	TypeDir         FileType = 3
	TypeRegular     FileType = 4
	TypeSocketDgram FileType = 5
	TypeSocketStrm  FileType = 6
	TypeSymlink     FileType = 7
)

// OFlags are WASI's open flags.
type OFlags uint16

// Open flags.
const (
	OCreat     OFlags = 1
	ODirectory OFlags = 2
	OExcl      OFlags = 4
	OTrunc     OFlags = 8
)

// FDFlags are WASI's fd flags.
type FDFlags uint16

// Fd flags.
const (
	FDAppend   FDFlags = 1
	FDDsync    FDFlags = 2
	FDNonblock FDFlags = 4
	FDRsync    FDFlags = 8
	FDSync     FDFlags = 16
)

// OpenMode says what an open is for.
type OpenMode struct {
	OFlags OFlags
	Read   bool
	Write  bool
	Follow bool // follow a symbolic link in the last element
}

// Stat is a file's metadata (WASI's filestat). Times are nanoseconds since
// the Unix epoch.
type Stat struct {
	Dev   uint64
	Ino   uint64
	Type  FileType
	Nlink uint64
	Size  uint64
	Atim  int64
	Mtim  int64
	Ctim  int64
}

// Times says which timestamps to set and to what. The caller resolves
// "now" (from the virtual clock) before calling, so every FS sees plain
// values.
type Times struct {
	Atim, Mtim       int64
	SetAtim, SetMtim bool
}

// Dirent is one directory entry. Next is the cookie that continues a
// listing after this entry.
type Dirent struct {
	Next uint64
	Ino  uint64
	Type FileType
	Name string
}

// FS is a file system. Paths are clean and relative to the FS root (see the
// package doc). Every error is an Errno.
//
// Implementations must be safe for concurrent use: host watchers and
// remote-protocol handlers may call in from other goroutines.
type FS interface {
	// Open opens (and with OCreat, creates) the file at path.
	Open(path string, mode OpenMode) (File, error)
	// Stat returns the metadata of path; follow says whether a symbolic
	// link in the last element is followed.
	Stat(path string, follow bool) (Stat, error)
	// Mkdir creates a directory; EEXIST if path exists.
	Mkdir(path string) error
	// Rmdir removes an empty directory.
	Rmdir(path string) error
	// Unlink removes a non-directory.
	Unlink(path string) error
	// Rename moves from to to, replacing to when the types agree.
	Rename(from, to string) error
	// Link makes to a new name for the (non-directory) file from.
	Link(from, to string) error
	// Symlink creates a symbolic link at path whose content is target.
	Symlink(target, path string) error
	// Readlink returns the content of the symbolic link at path.
	Readlink(path string) (string, error)
	// SetTimes sets the timestamps of path.
	SetTimes(path string, follow bool, t Times) error
	// Truncate sets the size of the regular file at path.
	Truncate(path string, size int64) error
}

// File is an open file or directory. Offsets are the caller's (see the
// package doc).
type File interface {
	ReadAt(p []byte, off int64) (int, error) // io.EOF is not used: n < len(p) with nil error means end of file
	WriteAt(p []byte, off int64) (int, error)
	Stat() (Stat, error)
	Truncate(size int64) error
	SetTimes(t Times) error
	Sync() error
	// ReadDir lists a directory from cookie on, at most n entries (n <= 0:
	// all). Cookie 0 starts at the beginning; each Dirent's Next continues
	// after it. The listing includes "." and "..".
	ReadDir(cookie uint64, n int) ([]Dirent, error)
	Close() error
}

// Change reports that something at Path (relative to the FS that reports
// it) may have changed; "" means "anything may have changed".
type Change struct {
	Path string
}

// Watchable is implemented by file systems whose content can change
// without going through them (host directories, remote servers).
type Watchable interface {
	// Watch calls fn for each change until cancel is called. fn may run on
	// any goroutine and must not block.
	Watch(fn func(Change)) (cancel func())
}

// MaxPathLen bounds a path's length, as PATH_MAX does.
const MaxPathLen = 4096

// Clean joins base (a clean FS path) and p (a guest path, relative to base),
// resolving "." and ".." lexically, and returns a clean FS path. It refuses
// with ENOTCAPABLE an absolute p or one whose ".." elements climb above
// base, and with ENAMETOOLONG a path longer than MaxPathLen. An empty p is
// ENOENT, as POSIX says for an empty path.
func Clean(base, p string) (string, error) {
	if p == "" {
		return "", ENOENT
	}
	if len(p) > MaxPathLen {
		return "", ENAMETOOLONG
	}
	if p[0] == '/' {
		return "", ENOTCAPABLE
	}
	if strings.IndexByte(p, 0) >= 0 {
		return "", EINVAL
	}
	var parts []string
	depth := 0 // elements below base
	for el := range strings.SplitSeq(p, "/") {
		switch el {
		case "", ".":
		case "..":
			if depth == 0 {
				return "", ENOTCAPABLE
			}
			depth--
			parts = parts[:len(parts)-1]
		default:
			depth++
			parts = append(parts, el)
		}
	}
	rel := strings.Join(parts, "/")
	switch {
	case base == "" || base == ".":
		if rel == "" {
			return ".", nil
		}
		return rel, nil
	case rel == "":
		return base, nil
	}
	return base + "/" + rel, nil
}

// Split returns the parent directory and the last element of a clean path.
func Split(p string) (dir, name string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ".", p
	}
	return p[:i], p[i+1:]
}

// TrailingSlash reports whether a guest path ends in "/" (which, as in
// POSIX, demands a directory).
func TrailingSlash(p string) bool { return len(p) > 0 && p[len(p)-1] == '/' }
