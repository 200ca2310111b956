// Package fd is a process's file-descriptor table and the File interface
// every kind of open file implements: vfs files and directories, standard
// streams, and (built elsewhere) pipes and sockets.
//
// # Kernel-owned state
//
// Everything an fd means lives here, in plain Go values the kernel can
// serialize: the table maps a number to an Entry (rights, whether it is a
// preopen and under which guest path) that points to an open file
// description (a File: offset, fd flags, which file). Nothing is held by
// wazero or by the host OS on the guest's behalf except the host file behind
// a host mount, which can be reopened by path.
//
// # Where a file lives (migration)
//
// A File that can be moved implements Describer: its Record names the
// computer that serves the bytes, the path in that computer's name space,
// the inode, the offset and the flags. Those are enough to reopen the same
// file elsewhere (through the remote file client when the serving computer
// is not the one the process moved to) and continue at the same offset.
//
// # Readiness
//
// poll_oneoff asks a File whether it is Readable or Writable now; a File
// whose readiness can change later (pipes, sockets) calls the hook given to
// SetNotify when it does, and the kernel re-checks blocked pollers. Regular
// files are always ready.
//
// Costs: Get is an index and a nil check; Alloc is O(fds) in the worst case
// (lowest free slot), which for the tens of fds a process has is a few ns.
package fd

import (
	"io"

	"dosemu/vfs"
)

// Rights are WASI rights bits.
type Rights uint64

// WASI rights, one bit each.
const (
	RightFdDatasync Rights = 1 << iota
	RightFdRead
	RightFdSeek
	RightFdFdstatSetFlags
	RightFdSync
	RightFdTell
	RightFdWrite
	RightFdAdvise
	RightFdAllocate
	RightPathCreateDirectory
	RightPathCreateFile
	RightPathLinkSource
	RightPathLinkTarget
	RightPathOpen
	RightFdReaddir
	RightPathReadlink
	RightPathRenameSource
	RightPathRenameTarget
	RightPathFilestatGet
	RightPathFilestatSetSize
	RightPathFilestatSetTimes
	RightFdFilestatGet
	RightFdFilestatSetSize
	RightFdFilestatSetTimes
	RightPathSymlink
	RightPathRemoveDirectory
	RightPathUnlinkFile
	RightPollFdReadwrite
	RightSockShutdown
	RightSockAccept

	// RightsAll is every right WASI preview1 defines.
	RightsAll Rights = 1<<30 - 1
)

// Rights typical of each kind of file: what an fd gets when opened without
// restriction. A directory's inheriting rights are RightsAll.
const (
	RightsFile Rights = RightFdDatasync | RightFdRead | RightFdSeek |
		RightFdFdstatSetFlags | RightFdSync | RightFdTell | RightFdWrite |
		RightFdAdvise | RightFdAllocate | RightFdFilestatGet |
		RightFdFilestatSetSize | RightFdFilestatSetTimes | RightPollFdReadwrite
	RightsDir Rights = RightFdFdstatSetFlags | RightFdSync | RightFdAdvise |
		RightPathCreateDirectory | RightPathCreateFile | RightPathLinkSource |
		RightPathLinkTarget | RightPathOpen | RightFdReaddir |
		RightPathReadlink | RightPathRenameSource | RightPathRenameTarget |
		RightPathFilestatGet | RightPathFilestatSetSize |
		RightPathFilestatSetTimes | RightFdFilestatGet |
		RightFdFilestatSetTimes | RightPathSymlink | RightPathRemoveDirectory |
		RightPathUnlinkFile
	RightsStream Rights = RightFdRead | RightFdWrite | RightFdFdstatSetFlags |
		RightFdFilestatGet | RightPollFdReadwrite | RightFdSync | RightFdDatasync
	RightsSocket Rights = RightsStream | RightSockShutdown | RightSockAccept
)

// Whence values for Seek, as WASI numbers them.
const (
	SeekSet = 0
	SeekCur = 1
	SeekEnd = 2
)

// Advice is WASI's advice (fd_advise).
type Advice uint8

// File is an open file description. Errors are vfs.Errno values (any other
// error reaches the guest as EIO). Read and Write never block: a File with
// nothing to give answers EAGAIN and the caller polls on Readable/Writable.
type File interface {
	Type() vfs.FileType
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	Pread(p []byte, off int64) (int, error)
	Pwrite(p []byte, off int64) (int, error)
	// Seek moves the offset and returns the new one; Seek(0, SeekCur) is tell.
	Seek(off int64, whence int) (int64, error)
	Stat() (vfs.Stat, error)
	SetSize(size int64) error
	SetTimes(t vfs.Times) error
	Sync(dataOnly bool) error
	Advise(off, n int64, a Advice) error
	Allocate(off, n int64) error
	ReadDir(cookie uint64, n int) ([]vfs.Dirent, error)
	Flags() vfs.FDFlags
	SetFlags(f vfs.FDFlags) error
	// Readable reports whether Read would not answer EAGAIN now (data,
	// end of file, or an error are all "readable"); likewise Writable.
	Readable() bool
	Writable() bool
	// SetNotify installs the hook to call when readiness may have changed
	// (nil removes it). Files whose readiness never changes ignore it.
	SetNotify(fn func())
	Close() error
}

// Dir is implemented by directories: which name space they belong to and
// their path in it, the base for path_* calls relative to them.
type Dir interface {
	File
	FS() vfs.FS
	Path() string
}

// Socket is implemented by sockets (sock_* calls); other files answer
// ENOTSOCK.
type Socket interface {
	File
	Recv(bufs [][]byte, peek, waitAll bool) (n int, truncated bool, err error)
	Send(bufs [][]byte) (int, error)
	Shutdown(rd, wr bool) error
	Accept(flags vfs.FDFlags) (File, error)
}

// Record says where an open file lives, for migration and checkpoints.
type Record struct {
	Kind     string // "file", "dir", "stdio", "pipe", "socket", ...
	Computer string // the computer whose name space Path is in ("" = the process's own)
	Path     string // clean path in that name space
	// Handle is the serving computer's handle for a remote file (0 for a
	// local one): a hint only, a new computer reopens by Computer and Path.
	Handle uint64
	Ino    uint64
	Offset int64
	Flags  vfs.FDFlags
	Read   bool
	Write  bool
}

// Describer is implemented by Files that can be described for migration.
type Describer interface {
	Describe() Record
}

// Base answers every File method with the errno POSIX and WASI give for a
// file that does not support it. Embed it and override what applies.
type Base struct {
	FDFlags vfs.FDFlags
}

func (*Base) Type() vfs.FileType                        { return vfs.TypeUnknown }
func (*Base) Read([]byte) (int, error)                  { return 0, vfs.EBADF }
func (*Base) Write([]byte) (int, error)                 { return 0, vfs.EBADF }
func (*Base) Pread([]byte, int64) (int, error)          { return 0, vfs.ESPIPE }
func (*Base) Pwrite([]byte, int64) (int, error)         { return 0, vfs.ESPIPE }
func (*Base) Seek(int64, int) (int64, error)            { return 0, vfs.ESPIPE }
func (*Base) Stat() (vfs.Stat, error)                   { return vfs.Stat{}, nil }
func (*Base) SetSize(int64) error                       { return vfs.EINVAL }
func (*Base) SetTimes(vfs.Times) error                  { return vfs.EBADF }
func (*Base) Sync(bool) error                           { return vfs.EINVAL }
func (*Base) Advise(int64, int64, Advice) error         { return vfs.ESPIPE }
func (*Base) Allocate(int64, int64) error               { return vfs.ESPIPE }
func (*Base) ReadDir(uint64, int) ([]vfs.Dirent, error) { return nil, vfs.ENOTDIR }
func (b *Base) Flags() vfs.FDFlags                      { return b.FDFlags }
func (b *Base) SetFlags(f vfs.FDFlags) error            { b.FDFlags = f; return nil }
func (*Base) Readable() bool                            { return true }
func (*Base) Writable() bool                            { return true }
func (*Base) SetNotify(func())                          {}
func (*Base) Close() error                              { return nil }

// Output is a write-only character stream (a process's stdout or stderr)
// feeding an io.Writer the kernel chooses.
type Output struct {
	Base
	W    io.Writer
	Name string // "stdout", "stderr": for Describe
}

// NewOutput returns a stream writing to w.
func NewOutput(name string, w io.Writer) *Output { return &Output{W: w, Name: name} }

func (o *Output) Type() vfs.FileType { return vfs.TypeCharDevice }
func (o *Output) Write(p []byte) (int, error) {
	if o.W == nil {
		return len(p), nil
	}
	n, err := o.W.Write(p)
	if err != nil {
		return n, vfs.EIO
	}
	return n, nil
}
func (o *Output) Sync(bool) error  { return nil }
func (o *Output) Readable() bool   { return false }
func (o *Output) Describe() Record { return Record{Kind: "stdio", Path: o.Name, Write: true} }

// Input is a read-only character stream over fixed bytes (a process's
// stdin): reads consume them, then report end of file.
type Input struct {
	Base
	Data []byte
	Off  int64
}

// NewInput returns a stream that reads data and then ends.
func NewInput(data []byte) *Input { return &Input{Data: data} }

func (in *Input) Type() vfs.FileType { return vfs.TypeCharDevice }
func (in *Input) Read(p []byte) (int, error) {
	if in.Off >= int64(len(in.Data)) {
		return 0, nil
	}
	n := copy(p, in.Data[in.Off:])
	in.Off += int64(n)
	return n, nil
}
func (in *Input) Sync(bool) error { return nil }
func (in *Input) Writable() bool  { return false }
func (in *Input) Describe() Record {
	return Record{Kind: "stdio", Path: "stdin", Offset: in.Off, Read: true}
}
