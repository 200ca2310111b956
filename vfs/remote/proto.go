package remote

import (
	"strings"

	"dosemu/vfs"
)

// Message types. Requests go client → server with Host.Call; "vfs.cb" goes
// server → client (a revocation or an invalidation) and is acknowledged.
const (
	mOpen     = "vfs.open"
	mRead     = "vfs.read"
	mWrite    = "vfs.write"
	mFile     = "vfs.file"  // an operation on an open handle (fstat, ftruncate, ...)
	mPath     = "vfs.path"  // an operation on a path (stat, mkdir, rename, ...)
	mClose    = "vfs.close" // sent without waiting
	mCallback = "vfs.cb"
)

// fileKey identifies a file on its server.
type fileKey struct{ Dev, Ino uint64 }

// Operation codes of vfs.file and vfs.path requests.
type op uint8

const (
	opStat op = iota + 1
	opTruncate
	opSetTimes
	opSync
	opReadDir
	opMkdir
	opRmdir
	opUnlink
	opRename
	opLink
	opSymlink
	opReadlink
	opLast
)

var opNames = [...]string{"", "stat", "truncate", "settimes", "sync", "readdir", "mkdir", "rmdir", "unlink", "rename", "link", "symlink", "readlink"}

func (o op) String() string {
	if o > 0 && o < opLast {
		return opNames[o]
	}
	return "op?"
}

// openReq opens Path (relative to the server's export root).
type openReq struct {
	Path string
	Mode vfs.OpenMode
}

// openRep answers an open: the handle, what the file is, its version and
// whether the client may cache it (Grant orders grants and revocations).
type openRep struct {
	Handle  uint64
	Stat    vfs.Stat
	Version uint64
	Cache   bool
	Grant   uint64
}

type readReq struct {
	Handle uint64
	Off    int64
	N      int
}

type readRep struct {
	Data    []byte
	Version uint64
}

type writeReq struct {
	Handle uint64
	Off    int64
	Data   []byte
}

type writeRep struct {
	N       int
	Prev    uint64
	Version uint64
}

// fileReq is an operation on an open handle.
type fileReq struct {
	Op     op
	Handle uint64
	Size   int64     // opTruncate
	Times  vfs.Times // opSetTimes
	Cookie uint64    // opReadDir
	N      int       // opReadDir
}

// pathReq is an operation on one or two paths.
type pathReq struct {
	Op     op
	Path   string
	Path2  string // rename/link target; symlink content
	Follow bool
	Size   int64
	Times  vfs.Times
}

// rep is the reply to fileReq and pathReq.
type rep struct {
	Stat    vfs.Stat
	Ents    []vfs.Dirent
	S       string
	Version uint64
}

type closeReq struct{ Handle uint64 }

// callback tells a client to drop its cached blocks of Key (and, with
// Revoke, to stop caching it until a later grant).
type callback struct {
	Key     fileKey
	Version uint64
	Grant   uint64
	Revoke  bool
}

// Wire sizes: a fixed part for the fields plus the variable bytes. They
// only feed the network model (bandwidth), so they are estimates of a
// compact binary encoding.
const (
	hdrOpen  = 24
	hdrRW    = 24
	hdrReply = 16
	statSize = 64
	dirent   = 24
)

func (r openReq) size() int  { return hdrOpen + len(r.Path) }
func (r pathReq) size() int  { return hdrOpen + len(r.Path) + len(r.Path2) + 24 }
func (r writeReq) size() int { return hdrRW + len(r.Data) }
func (r readRep) size() int  { return hdrReply + len(r.Data) }
func (r rep) size() int {
	n := hdrReply + statSize + len(r.S)
	for _, e := range r.Ents {
		n += dirent + len(e.Name)
	}
	return n
}

// validPath reports whether p is a clean relative path as vfs defines it:
// "." or slash-separated names, none empty, "." or "..", no NUL, not too
// long. The server refuses anything else, so a request cannot climb out of
// the export.
func validPath(p string) bool {
	if p == "." {
		return true
	}
	if p == "" || len(p) > vfs.MaxPathLen || strings.IndexByte(p, 0) >= 0 {
		return false
	}
	for el := range strings.SplitSeq(p, "/") {
		if el == "" || el == "." || el == ".." {
			return false
		}
	}
	return true
}

// join puts a clean path under a clean base.
func join(base, p string) string {
	switch {
	case base == "." || base == "":
		return p
	case p == "." || p == "":
		return base
	}
	return base + "/" + p
}

// errOf turns an errno into a Go error (nil for success).
func errOf(e vfs.Errno) error {
	if e == vfs.ESUCCESS {
		return nil
	}
	return e
}
