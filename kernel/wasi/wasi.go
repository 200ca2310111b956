package wasi

import (
	"context"
	"encoding/binary"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/vfs"
)

// ModuleName is the import module name guests use.
const ModuleName = "wasi_snapshot_preview1"

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// impl is one WASI function: it reads its arguments from the stack and
// returns the errno. Functions that return nothing (proc_exit) ignore it.
type impl func(p Proc, g guest, st []uint64) vfs.Errno

type def struct {
	name    string
	call    Call
	params  []api.ValueType
	noErrno bool // proc_exit: no result
	fn      impl
}

// Register instantiates the wasi_snapshot_preview1 host module in rt. Each
// call finds its process with lookup. Register once per runtime; every
// guest instantiated afterwards in rt links against it.
//
// Cost per call: one lookup, one Proc.Syscall, the function's own work;
// no allocation on the paths that move no paths or directory entries.
func Register(ctx context.Context, rt wazero.Runtime, lookup Lookup) (api.Module, error) {
	b := rt.NewHostModuleBuilder(ModuleName)
	for _, d := range defs() {
		var results []api.ValueType
		if !d.noErrno {
			results = []api.ValueType{i32}
		}
		b.NewFunctionBuilder().WithGoModuleFunction(wrap(d, lookup), d.params, results).Export(d.name)
	}
	return b.Instantiate(ctx)
}

func wrap(d def, lookup Lookup) api.GoModuleFunc {
	fn, call, noErrno := d.fn, d.call, d.noErrno
	return func(ctx context.Context, m api.Module, st []uint64) {
		p := lookup(ctx)
		if p == nil {
			if !noErrno {
				st[0] = uint64(vfs.ENOSYS)
			}
			return
		}
		p.Syscall(call)
		e := fn(p, guest{m.Memory()}, st)
		if !noErrno {
			st[0] = uint64(e)
		}
	}
}

// Names lists the functions Register exports, in the specification's order.
func Names() []string {
	ds := defs()
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.name
	}
	return out
}

func p32(n int) []api.ValueType {
	out := make([]api.ValueType, n)
	for i := range out {
		out[i] = i32
	}
	return out
}

func defs() []def {
	return []def{
		{"args_get", CallArgsGet, p32(2), false, argsGet},
		{"args_sizes_get", CallArgsSizesGet, p32(2), false, argsSizesGet},
		{"environ_get", CallEnvironGet, p32(2), false, environGet},
		{"environ_sizes_get", CallEnvironSizesGet, p32(2), false, environSizesGet},
		{"clock_res_get", CallClockResGet, p32(2), false, clockResGet},
		{"clock_time_get", CallClockTimeGet, []api.ValueType{i32, i64, i32}, false, clockTimeGet},
		{"fd_advise", CallFdAdvise, []api.ValueType{i32, i64, i64, i32}, false, fdAdvise},
		{"fd_allocate", CallFdAllocate, []api.ValueType{i32, i64, i64}, false, fdAllocate},
		{"fd_close", CallFdClose, p32(1), false, fdClose},
		{"fd_datasync", CallFdDatasync, p32(1), false, fdDatasync},
		{"fd_fdstat_get", CallFdFdstatGet, p32(2), false, fdFdstatGet},
		{"fd_fdstat_set_flags", CallFdFdstatSetFlags, p32(2), false, fdFdstatSetFlags},
		{"fd_fdstat_set_rights", CallFdFdstatSetRights, []api.ValueType{i32, i64, i64}, false, fdFdstatSetRights},
		{"fd_filestat_get", CallFdFilestatGet, p32(2), false, fdFilestatGet},
		{"fd_filestat_set_size", CallFdFilestatSetSize, []api.ValueType{i32, i64}, false, fdFilestatSetSize},
		{"fd_filestat_set_times", CallFdFilestatSetTimes, []api.ValueType{i32, i64, i64, i32}, false, fdFilestatSetTimes},
		{"fd_pread", CallFdPread, []api.ValueType{i32, i32, i32, i64, i32}, false, fdPread},
		{"fd_prestat_get", CallFdPrestatGet, p32(2), false, fdPrestatGet},
		{"fd_prestat_dir_name", CallFdPrestatDirName, p32(3), false, fdPrestatDirName},
		{"fd_pwrite", CallFdPwrite, []api.ValueType{i32, i32, i32, i64, i32}, false, fdPwrite},
		{"fd_read", CallFdRead, p32(4), false, fdRead},
		{"fd_readdir", CallFdReaddir, []api.ValueType{i32, i32, i32, i64, i32}, false, fdReaddir},
		{"fd_renumber", CallFdRenumber, p32(2), false, fdRenumber},
		{"fd_seek", CallFdSeek, []api.ValueType{i32, i64, i32, i32}, false, fdSeek},
		{"fd_sync", CallFdSync, p32(1), false, fdSync},
		{"fd_tell", CallFdTell, p32(2), false, fdTell},
		{"fd_write", CallFdWrite, p32(4), false, fdWrite},
		{"path_create_directory", CallPathCreateDirectory, p32(3), false, pathCreateDirectory},
		{"path_filestat_get", CallPathFilestatGet, p32(5), false, pathFilestatGet},
		{"path_filestat_set_times", CallPathFilestatSetTimes, []api.ValueType{i32, i32, i32, i32, i64, i64, i32}, false, pathFilestatSetTimes},
		{"path_link", CallPathLink, p32(7), false, pathLink},
		{"path_open", CallPathOpen, []api.ValueType{i32, i32, i32, i32, i32, i64, i64, i32, i32}, false, pathOpen},
		{"path_readlink", CallPathReadlink, p32(6), false, pathReadlink},
		{"path_remove_directory", CallPathRemoveDirectory, p32(3), false, pathRemoveDirectory},
		{"path_rename", CallPathRename, p32(6), false, pathRename},
		{"path_symlink", CallPathSymlink, p32(5), false, pathSymlink},
		{"path_unlink_file", CallPathUnlinkFile, p32(3), false, pathUnlinkFile},
		{"poll_oneoff", CallPollOneoff, p32(4), false, pollOneoff},
		{"proc_exit", CallProcExit, p32(1), true, procExit},
		{"proc_raise", CallProcRaise, p32(1), false, procRaise},
		{"sched_yield", CallSchedYield, nil, false, schedYield},
		{"random_get", CallRandomGet, p32(2), false, randomGet},
		{"sock_accept", CallSockAccept, p32(3), false, sockAccept},
		{"sock_recv", CallSockRecv, p32(6), false, sockRecv},
		{"sock_send", CallSockSend, p32(5), false, sockSend},
		{"sock_shutdown", CallSockShutdown, p32(2), false, sockShutdown},
	}
}

func errno(err error) vfs.Errno { return vfs.ErrnoOf(err) }

// ---- args, environ ----

func argsGet(p Proc, g guest, st []uint64) vfs.Errno {
	return putStrings(g, p.Args(), uint32(st[0]), uint32(st[1]))
}

func argsSizesGet(p Proc, g guest, st []uint64) vfs.Errno {
	return putSizes(g, p.Args(), uint32(st[0]), uint32(st[1]))
}

func environGet(p Proc, g guest, st []uint64) vfs.Errno {
	return putStrings(g, p.Environ(), uint32(st[0]), uint32(st[1]))
}

func environSizesGet(p Proc, g guest, st []uint64) vfs.Errno {
	return putSizes(g, p.Environ(), uint32(st[0]), uint32(st[1]))
}

func putSizes(g guest, ss []string, countPtr, sizePtr uint32) vfs.Errno {
	size := 0
	for _, s := range ss {
		size += len(s) + 1
	}
	if e := g.putU32(countPtr, uint32(len(ss))); e != 0 {
		return e
	}
	return g.putU32(sizePtr, uint32(size))
}

func putStrings(g guest, ss []string, ptrs, buf uint32) vfs.Errno {
	size := uint32(0)
	for _, s := range ss {
		size += uint32(len(s)) + 1
	}
	dst, e := g.bytes(buf, size)
	if e != 0 {
		return e
	}
	if _, e := g.bytes(ptrs, uint32(len(ss))*4); e != 0 {
		return e
	}
	off := uint32(0)
	for i, s := range ss {
		g.putU32(ptrs+uint32(i)*4, buf+off)
		copy(dst[off:], s)
		dst[off+uint32(len(s))] = 0
		off += uint32(len(s)) + 1
	}
	return 0
}

// ---- clocks ----

// Clock ids.
const (
	ClockRealtime         = 0
	ClockMonotonic        = 1
	ClockProcessCPUTimeID = 2
	ClockThreadCPUTimeID  = 3
)

func clockResGet(p Proc, g guest, st []uint64) vfs.Errno {
	if uint32(st[0]) > ClockThreadCPUTimeID {
		return vfs.EINVAL
	}
	r := p.Resolution()
	if r < 1 {
		r = 1
	}
	return g.putU64(uint32(st[1]), uint64(r))
}

func clockTimeGet(p Proc, g guest, st []uint64) vfs.Errno {
	var v int64
	switch uint32(st[0]) {
	case ClockRealtime:
		v = p.Epoch() + int64(p.Now())
	case ClockMonotonic:
		v = int64(p.Now())
	case ClockProcessCPUTimeID, ClockThreadCPUTimeID:
		v = int64(p.CPUTime())
	default:
		return vfs.EINVAL
	}
	return g.putU64(uint32(st[2]), uint64(v))
}

// ---- fds ----

// need checks that an fd has rights r. A missing read or write right is
// EBADF (what POSIX says for reading a write-only fd); any other missing
// right is ENOTCAPABLE.
func need(e *fd.Entry, r fd.Rights) vfs.Errno {
	if e.Rights&r == r {
		return 0
	}
	if r&(fd.RightFdRead|fd.RightFdWrite) != 0 {
		return vfs.EBADF
	}
	return vfs.ENOTCAPABLE
}

func entry(p Proc, n uint64, r fd.Rights) (*fd.Entry, vfs.Errno) {
	e, err := p.FDs().Get(int32(uint32(n)))
	if err != nil {
		return nil, vfs.EBADF
	}
	if ne := need(e, r); ne != 0 {
		return nil, ne
	}
	return e, 0
}

func fdAdvise(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdAdvise)
	if ne != 0 {
		return ne
	}
	if uint32(st[3]) > 5 {
		return vfs.EINVAL
	}
	return errno(e.File().Advise(int64(st[1]), int64(st[2]), fd.Advice(st[3])))
}

func fdAllocate(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdAllocate)
	if ne != 0 {
		return ne
	}
	return errno(e.File().Allocate(int64(st[1]), int64(st[2])))
}

func fdClose(p Proc, g guest, st []uint64) vfs.Errno {
	return errno(p.FDs().Close(int32(uint32(st[0]))))
}

func fdDatasync(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdDatasync)
	if ne != 0 {
		return ne
	}
	return errno(e.File().Sync(true))
}

func fdSync(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdSync)
	if ne != 0 {
		return ne
	}
	return errno(e.File().Sync(false))
}

func fdFdstatGet(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], 0)
	if ne != 0 {
		return ne
	}
	b, ge := g.bytes(uint32(st[1]), 24)
	if ge != 0 {
		return ge
	}
	f := e.File()
	clear(b)
	b[0] = byte(f.Type())
	binary.LittleEndian.PutUint16(b[2:], uint16(f.Flags()))
	binary.LittleEndian.PutUint64(b[8:], uint64(e.Rights))
	binary.LittleEndian.PutUint64(b[16:], uint64(e.Inheriting))
	return 0
}

const fdflagsAll = vfs.FDAppend | vfs.FDDsync | vfs.FDNonblock | vfs.FDRsync | vfs.FDSync

func fdFdstatSetFlags(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdFdstatSetFlags)
	if ne != 0 {
		return ne
	}
	fl := vfs.FDFlags(uint32(st[1]))
	if uint32(st[1]) > 0xffff || fl&^fdflagsAll != 0 {
		return vfs.EINVAL
	}
	return errno(e.File().SetFlags(fl))
}

func fdFdstatSetRights(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], 0)
	if ne != 0 {
		return ne
	}
	base, inh := fd.Rights(st[1]), fd.Rights(st[2])
	// Rights can only be dropped, never regained.
	if base&^e.Rights != 0 || inh&^e.Inheriting != 0 {
		return vfs.ENOTCAPABLE
	}
	e.Rights, e.Inheriting = base, inh
	return 0
}

func putFilestat(g guest, ptr uint32, s vfs.Stat) vfs.Errno {
	b, e := g.bytes(ptr, 64)
	if e != 0 {
		return e
	}
	clear(b)
	binary.LittleEndian.PutUint64(b[0:], s.Dev)
	binary.LittleEndian.PutUint64(b[8:], s.Ino)
	b[16] = byte(s.Type)
	binary.LittleEndian.PutUint64(b[24:], s.Nlink)
	binary.LittleEndian.PutUint64(b[32:], s.Size)
	binary.LittleEndian.PutUint64(b[40:], uint64(s.Atim))
	binary.LittleEndian.PutUint64(b[48:], uint64(s.Mtim))
	binary.LittleEndian.PutUint64(b[56:], uint64(s.Ctim))
	return 0
}

func fdFilestatGet(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdFilestatGet)
	if ne != 0 {
		return ne
	}
	s, err := e.File().Stat()
	if err != nil {
		return errno(err)
	}
	return putFilestat(g, uint32(st[1]), s)
}

func fdFilestatSetSize(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdFilestatSetSize)
	if ne != 0 {
		return ne
	}
	if int64(st[1]) < 0 {
		return vfs.EINVAL
	}
	return errno(e.File().SetSize(int64(st[1])))
}

// fstflags
const (
	fstAtim    = 1
	fstAtimNow = 2
	fstMtim    = 4
	fstMtimNow = 8
)

func times(p Proc, atim, mtim uint64, fl uint32) (vfs.Times, vfs.Errno) {
	if fl&^0xf != 0 || fl&(fstAtim|fstAtimNow) == fstAtim|fstAtimNow || fl&(fstMtim|fstMtimNow) == fstMtim|fstMtimNow {
		return vfs.Times{}, vfs.EINVAL
	}
	now := p.Epoch() + int64(p.Now())
	var t vfs.Times
	switch {
	case fl&fstAtim != 0:
		t.Atim, t.SetAtim = int64(atim), true
	case fl&fstAtimNow != 0:
		t.Atim, t.SetAtim = now, true
	}
	switch {
	case fl&fstMtim != 0:
		t.Mtim, t.SetMtim = int64(mtim), true
	case fl&fstMtimNow != 0:
		t.Mtim, t.SetMtim = now, true
	}
	return t, 0
}

func fdFilestatSetTimes(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdFilestatSetTimes)
	if ne != 0 {
		return ne
	}
	t, te := times(p, st[1], st[2], uint32(st[3]))
	if te != 0 {
		return te
	}
	return errno(e.File().SetTimes(t))
}

func fdPrestatGet(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], 0)
	if ne != 0 {
		return ne
	}
	if e.Preopen == "" {
		return vfs.EBADF
	}
	b, ge := g.bytes(uint32(st[1]), 8)
	if ge != 0 {
		return ge
	}
	clear(b)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(e.Preopen)))
	return 0
}

func fdPrestatDirName(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], 0)
	if ne != 0 {
		return ne
	}
	if e.Preopen == "" {
		return vfs.EBADF
	}
	n := uint32(st[2])
	if n < uint32(len(e.Preopen)) {
		return vfs.ENAMETOOLONG
	}
	b, ge := g.bytes(uint32(st[1]), uint32(len(e.Preopen)))
	if ge != 0 {
		return ge
	}
	copy(b, e.Preopen)
	return 0
}

// block waits until a blocking fd is readable (or writable). It returns
// false when the call must return at once (the thread is being captured
// or killed). The method value for Poll is made only on the slow path: it
// allocates, and the fast path is every read and write.
func block(p Proc, f fd.File, write bool) bool {
	if f.Flags()&vfs.FDNonblock != 0 {
		return true
	}
	if write {
		return f.Writable() || p.Poll(NoDeadline, f.Writable) != PollAbort
	}
	return f.Readable() || p.Poll(NoDeadline, f.Readable) != PollAbort
}

func fdRead(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdRead)
	if ne != 0 {
		return ne
	}
	var scratch [4][]byte
	iov, ge := g.iovecs(uint32(st[1]), uint32(st[2]), scratch[:])
	if ge != 0 {
		return ge
	}
	f := e.File()
	if !block(p, f, false) {
		return vfs.EINTR
	}
	total, err := readv(f, iov)
	if total == 0 && errno(err) == vfs.EAGAIN && f.Flags()&vfs.FDNonblock == 0 {
		// Readable said yes but the data went elsewhere; wait again.
		if p.Poll(NoDeadline, f.Readable) == PollAbort {
			return vfs.EINTR
		}
		total, err = readv(f, iov)
	}
	if err != nil && total == 0 {
		return errno(err)
	}
	return g.putU32(uint32(st[3]), uint32(total))
}

func readv(f fd.File, iov [][]byte) (int, error) {
	return vectored(iov, func(b []byte, _ int) (int, error) { return f.Read(b) })
}

// vectored moves the non-empty buffers of iov through op in order, as
// readv(2) and writev(2) do: it stops at the first error or short
// transfer. done is the byte count moved before b (positioned calls add it
// to their offset). The error is the one that stopped the loop; callers
// report it only when nothing moved.
func vectored(iov [][]byte, op func(b []byte, done int) (int, error)) (int, error) {
	total := 0
	for _, b := range iov {
		if len(b) == 0 {
			continue
		}
		n, err := op(b, total)
		total += n
		if err != nil {
			return total, err
		}
		if n < len(b) {
			break
		}
	}
	return total, nil
}

func fdWrite(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdWrite)
	if ne != 0 {
		return ne
	}
	var scratch [4][]byte
	iov, ge := g.iovecs(uint32(st[1]), uint32(st[2]), scratch[:])
	if ge != 0 {
		return ge
	}
	f := e.File()
	if !block(p, f, true) {
		return vfs.EINTR
	}
	total, err := vectored(iov, func(b []byte, _ int) (int, error) { return f.Write(b) })
	if err != nil && total == 0 {
		return errno(err)
	}
	return g.putU32(uint32(st[3]), uint32(total))
}

func fdPread(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdRead|fd.RightFdSeek)
	if ne != 0 {
		return ne
	}
	var scratch [4][]byte
	iov, ge := g.iovecs(uint32(st[1]), uint32(st[2]), scratch[:])
	if ge != 0 {
		return ge
	}
	off := int64(st[3])
	if off < 0 {
		return vfs.EINVAL
	}
	f := e.File()
	total, err := vectored(iov, func(b []byte, done int) (int, error) { return f.Pread(b, off+int64(done)) })
	if err != nil && total == 0 {
		return errno(err)
	}
	return g.putU32(uint32(st[4]), uint32(total))
}

func fdPwrite(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdWrite|fd.RightFdSeek)
	if ne != 0 {
		return ne
	}
	var scratch [4][]byte
	iov, ge := g.iovecs(uint32(st[1]), uint32(st[2]), scratch[:])
	if ge != 0 {
		return ge
	}
	off := int64(st[3])
	if off < 0 {
		return vfs.EINVAL
	}
	f := e.File()
	if f.Flags()&vfs.FDAppend != 0 {
		// Linux (and wasmtime) write at the end of a file opened for
		// appending, whatever the offset says.
		s, err := f.Stat()
		if err != nil {
			return errno(err)
		}
		off = int64(s.Size)
	}
	total, err := vectored(iov, func(b []byte, done int) (int, error) { return f.Pwrite(b, off+int64(done)) })
	if err != nil && total == 0 {
		return errno(err)
	}
	return g.putU32(uint32(st[4]), uint32(total))
}

const direntSize = 24

func fdReaddir(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdReaddir)
	if ne != 0 {
		return ne
	}
	bufLen := uint32(st[2])
	buf, ge := g.bytes(uint32(st[1]), bufLen)
	if ge != 0 {
		return ge
	}
	usedPtr := uint32(st[4])
	if _, ge := g.bytes(usedPtr, 4); ge != 0 {
		return ge
	}
	// Every entry takes at least a header, so this many always fill buf.
	want := int(bufLen/direntSize) + 1
	ents, err := e.File().ReadDir(st[3], want)
	if err != nil {
		return errno(err)
	}
	used := uint32(0)
	var hdr [direntSize]byte
	for _, d := range ents {
		binary.LittleEndian.PutUint64(hdr[0:], d.Next)
		binary.LittleEndian.PutUint64(hdr[8:], d.Ino)
		binary.LittleEndian.PutUint32(hdr[16:], uint32(len(d.Name)))
		hdr[20] = byte(d.Type)
		hdr[21], hdr[22], hdr[23] = 0, 0, 0
		// A final entry that does not fit is cut short: the guest sees
		// bufused == buf_len and asks again from the last whole cookie.
		used += uint32(copy(buf[used:], hdr[:]))
		used += uint32(copy(buf[used:], d.Name))
		if used >= bufLen {
			break
		}
	}
	return g.putU32(usedPtr, used)
}

func fdRenumber(p Proc, g guest, st []uint64) vfs.Errno {
	return errno(p.FDs().Renumber(int32(uint32(st[0])), int32(uint32(st[1]))))
}

func fdSeek(p Proc, g guest, st []uint64) vfs.Errno {
	whence := uint32(st[2])
	r := fd.RightFdSeek
	if whence == fd.SeekCur && st[1] == 0 {
		r = fd.RightFdTell
	}
	e, ne := entry(p, st[0], r)
	if ne != 0 {
		return ne
	}
	if whence > fd.SeekEnd {
		return vfs.EINVAL
	}
	if _, ge := g.bytes(uint32(st[3]), 8); ge != 0 {
		return ge
	}
	n, err := e.File().Seek(int64(st[1]), int(whence))
	if err != nil {
		return errno(err)
	}
	return g.putU64(uint32(st[3]), uint64(n))
}

func fdTell(p Proc, g guest, st []uint64) vfs.Errno {
	e, ne := entry(p, st[0], fd.RightFdTell)
	if ne != 0 {
		return ne
	}
	if _, ge := g.bytes(uint32(st[1]), 8); ge != 0 {
		return ge
	}
	n, err := e.File().Seek(0, fd.SeekCur)
	if err != nil {
		return errno(err)
	}
	return g.putU64(uint32(st[1]), uint64(n))
}

// ---- paths ----

// resolve turns (dir fd, guest path) into the name space and clean path
// the operation acts on. trailing reports a trailing "/", which demands a
// directory.
func resolve(p Proc, g guest, dirfd uint64, ptr, n uint32, r fd.Rights) (ns vfs.FS, path string, trailing bool, e vfs.Errno) {
	ent, ne := entry(p, dirfd, r)
	if ne != 0 {
		return nil, "", false, ne
	}
	d, ok := ent.File().(fd.Dir)
	if !ok {
		return nil, "", false, vfs.ENOTDIR
	}
	s, se := g.str(ptr, n)
	if se != 0 {
		return nil, "", false, se
	}
	clean, err := vfs.Clean(d.Path(), s)
	if err != nil {
		return nil, "", false, errno(err)
	}
	return d.FS(), clean, vfs.TrailingSlash(s), 0
}

const lookupSymlinkFollow = 1

func pathCreateDirectory(p Proc, g guest, st []uint64) vfs.Errno {
	ns, path, _, e := resolve(p, g, st[0], uint32(st[1]), uint32(st[2]), fd.RightPathCreateDirectory)
	if e != 0 {
		return e
	}
	return errno(ns.Mkdir(path))
}

func pathFilestatGet(p Proc, g guest, st []uint64) vfs.Errno {
	ns, path, trailing, e := resolve(p, g, st[0], uint32(st[2]), uint32(st[3]), fd.RightPathFilestatGet)
	if e != 0 {
		return e
	}
	s, err := ns.Stat(path, uint32(st[1])&lookupSymlinkFollow != 0 || trailing)
	if err != nil {
		return errno(err)
	}
	if trailing && s.Type != vfs.TypeDir {
		return vfs.ENOTDIR
	}
	return putFilestat(g, uint32(st[4]), s)
}

func pathFilestatSetTimes(p Proc, g guest, st []uint64) vfs.Errno {
	ns, path, _, e := resolve(p, g, st[0], uint32(st[2]), uint32(st[3]), fd.RightPathFilestatSetTimes)
	if e != 0 {
		return e
	}
	t, te := times(p, st[4], st[5], uint32(st[6]))
	if te != 0 {
		return te
	}
	return errno(ns.SetTimes(path, uint32(st[1])&lookupSymlinkFollow != 0, t))
}

func pathLink(p Proc, g guest, st []uint64) vfs.Errno {
	ons, opath, otrail, e := resolve(p, g, st[0], uint32(st[2]), uint32(st[3]), fd.RightPathLinkSource)
	if e != 0 {
		return e
	}
	nns, npath, ntrail, e := resolve(p, g, st[4], uint32(st[5]), uint32(st[6]), fd.RightPathLinkTarget)
	if e != 0 {
		return e
	}
	if ons != nns {
		return vfs.EXDEV
	}
	if uint32(st[1])&lookupSymlinkFollow != 0 {
		// Linking to what a symlink names: resolve it first. Only links
		// within the same directory tree are resolved this way.
		if s, err := ons.Stat(opath, true); err == nil && s.Type == vfs.TypeDir {
			return vfs.EPERM
		}
	}
	if otrail || ntrail {
		if s, err := ons.Stat(opath, false); err == nil && s.Type != vfs.TypeDir {
			return vfs.ENOTDIR
		}
	}
	return errno(ons.Link(opath, npath))
}

// oflags bits.
const oflagsAll = vfs.OCreat | vfs.ODirectory | vfs.OExcl | vfs.OTrunc

// Computer is what an fd's Record names as its serving computer when the
// Proc does not say otherwise (see Locator).
const localComputer = ""

// Locator is optionally implemented by a Proc to name the computer whose
// name space its directories belong to (recorded in fd Records).
type Locator interface {
	Computer() string
}

func pathOpen(p Proc, g guest, st []uint64) vfs.Errno {
	dirEnt, ne := entry(p, st[0], fd.RightPathOpen)
	if ne != 0 {
		return ne
	}
	ns, path, trailing, e := resolve(p, g, st[0], uint32(st[2]), uint32(st[3]), fd.RightPathOpen)
	if e != 0 {
		return e
	}
	of := vfs.OFlags(uint32(st[4]))
	if uint32(st[4]) > 0xffff || of&^oflagsAll != 0 {
		return vfs.EINVAL
	}
	fl := vfs.FDFlags(uint32(st[7]))
	if uint32(st[7]) > 0xffff || fl&^fdflagsAll != 0 {
		return vfs.EINVAL
	}
	fdPtr := uint32(st[8])
	if _, ge := g.bytes(fdPtr, 4); ge != 0 {
		return ge
	}
	base := fd.Rights(st[5]) & dirEnt.Inheriting
	inh := fd.Rights(st[6]) & dirEnt.Inheriting
	if trailing {
		of |= vfs.ODirectory
	}
	mode := vfs.OpenMode{
		OFlags: of,
		Read:   base&(fd.RightFdRead|fd.RightFdReaddir) != 0,
		Write:  base&(fd.RightFdWrite|fd.RightFdDatasync|fd.RightFdAllocate|fd.RightFdFilestatSetSize) != 0 || fl&vfs.FDAppend != 0,
		Follow: uint32(st[1])&lookupSymlinkFollow != 0,
	}
	if of&vfs.ODirectory != 0 {
		mode.Write = false
	}
	if of&vfs.OTrunc != 0 && !mode.Write {
		// POSIX leaves O_TRUNC|O_RDONLY undefined; truncating needs the
		// right to change the file.
		return vfs.ENOTCAPABLE
	}
	comp := localComputer
	if l, ok := p.(Locator); ok {
		comp = l.Computer()
	}
	f, err := fd.OpenVFile(ns, comp, path, mode, fl)
	if err != nil {
		return errno(err)
	}
	mask := fd.RightsFile
	if f.Type() == vfs.TypeDir {
		mask = fd.RightsDir
	} else {
		inh = 0
	}
	n, err := p.FDs().Alloc(f, base&mask, inh)
	if err != nil {
		f.Close()
		return errno(err)
	}
	return g.putU32(fdPtr, uint32(n))
}

func pathReadlink(p Proc, g guest, st []uint64) vfs.Errno {
	ns, path, _, e := resolve(p, g, st[0], uint32(st[1]), uint32(st[2]), fd.RightPathReadlink)
	if e != 0 {
		return e
	}
	buf, ge := g.bytes(uint32(st[3]), uint32(st[4]))
	if ge != 0 {
		return ge
	}
	if _, ge := g.bytes(uint32(st[5]), 4); ge != 0 {
		return ge
	}
	t, err := ns.Readlink(path)
	if err != nil {
		return errno(err)
	}
	// Like readlink(2): the content is cut to the buffer, no NUL added.
	n := copy(buf, t)
	return g.putU32(uint32(st[5]), uint32(n))
}

func pathRemoveDirectory(p Proc, g guest, st []uint64) vfs.Errno {
	ns, path, _, e := resolve(p, g, st[0], uint32(st[1]), uint32(st[2]), fd.RightPathRemoveDirectory)
	if e != 0 {
		return e
	}
	if path == "." {
		return vfs.EBUSY
	}
	return errno(ns.Rmdir(path))
}

func pathRename(p Proc, g guest, st []uint64) vfs.Errno {
	ons, opath, otrail, e := resolve(p, g, st[0], uint32(st[1]), uint32(st[2]), fd.RightPathRenameSource)
	if e != 0 {
		return e
	}
	nns, npath, ntrail, e := resolve(p, g, st[3], uint32(st[4]), uint32(st[5]), fd.RightPathRenameTarget)
	if e != 0 {
		return e
	}
	if ons != nns {
		return vfs.EXDEV
	}
	if otrail || ntrail {
		s, err := ons.Stat(opath, false)
		if err != nil {
			return errno(err)
		}
		if s.Type != vfs.TypeDir {
			return vfs.ENOTDIR
		}
	}
	return errno(ons.Rename(opath, npath))
}

func pathSymlink(p Proc, g guest, st []uint64) vfs.Errno {
	target, se := g.str(uint32(st[0]), uint32(st[1]))
	if se != 0 {
		return se
	}
	ns, path, trailing, e := resolve(p, g, st[2], uint32(st[3]), uint32(st[4]), fd.RightPathSymlink)
	if e != 0 {
		return e
	}
	if trailing {
		if _, err := ns.Stat(path, false); err == nil {
			return vfs.EEXIST
		}
		return vfs.ENOENT
	}
	return errno(ns.Symlink(target, path))
}

func pathUnlinkFile(p Proc, g guest, st []uint64) vfs.Errno {
	ns, path, trailing, e := resolve(p, g, st[0], uint32(st[1]), uint32(st[2]), fd.RightPathUnlinkFile)
	if e != 0 {
		return e
	}
	if trailing {
		s, err := ns.Stat(path, false)
		if err != nil {
			return errno(err)
		}
		if s.Type == vfs.TypeDir {
			return vfs.EISDIR
		}
		return vfs.ENOTDIR
	}
	return errno(ns.Unlink(path))
}

// ---- poll_oneoff ----

const (
	subSize          = 48
	eventSize        = 32
	eventClock       = 0
	eventFdRead      = 1
	eventFdWrite     = 2
	subclockAbstime  = 1
	eventrwHangup    = 1
	maxSubscriptions = 1 << 16
)

type sub struct {
	userdata uint64
	typ      uint8
	deadline vtime.Time // clock
	err      vfs.Errno  // set when the subscription is invalid: reported at once
	f        fd.File    // fd_read, fd_write
}

func (s *sub) ready() bool {
	switch {
	case s.err != 0:
		return true
	case s.typ == eventFdRead:
		return s.f.Readable()
	case s.typ == eventFdWrite:
		return s.f.Writable()
	}
	return false
}

func pollOneoff(p Proc, g guest, st []uint64) vfs.Errno {
	in, out, nsubs, neventsPtr := uint32(st[0]), uint32(st[1]), uint32(st[2]), uint32(st[3])
	if nsubs == 0 {
		return vfs.EINVAL
	}
	if nsubs > maxSubscriptions {
		return vfs.EINVAL
	}
	raw, ge := g.bytes(in, nsubs*subSize)
	if ge != 0 {
		return ge
	}
	if _, ge := g.bytes(out, nsubs*eventSize); ge != 0 {
		return ge
	}
	if _, ge := g.bytes(neventsPtr, 4); ge != 0 {
		return ge
	}
	now := p.Now()
	// Relative timeouts count from the call's start, which for a call
	// repeated after a capture (migration) is the first attempt's.
	start := now
	if cs, ok := p.(CallStarter); ok {
		start = min(start, cs.CallStart())
	}
	subs := make([]sub, nsubs)
	deadline := NoDeadline
	for i := range subs {
		r := raw[i*subSize : (i+1)*subSize]
		s := &subs[i]
		s.userdata = binary.LittleEndian.Uint64(r[0:])
		s.typ = r[8]
		switch s.typ {
		case eventClock:
			id := binary.LittleEndian.Uint32(r[16:])
			timeout := binary.LittleEndian.Uint64(r[24:])
			flags := binary.LittleEndian.Uint16(r[40:])
			s.deadline = clockDeadline(p, now, start, id, timeout, flags&subclockAbstime != 0)
			if id > ClockThreadCPUTimeID {
				s.err = vfs.EINVAL
			} else if s.deadline < deadline {
				deadline = s.deadline
			}
		case eventFdRead, eventFdWrite:
			n := binary.LittleEndian.Uint32(r[16:])
			e, err := p.FDs().Get(int32(n))
			switch {
			case err != nil:
				s.err = vfs.EBADF
			case e.Rights&fd.RightPollFdReadwrite == 0 && e.Rights&(fd.RightFdRead|fd.RightFdWrite) == 0:
				s.err = vfs.ENOTCAPABLE
			default:
				s.f = e.File()
			}
		default:
			s.err = vfs.EINVAL
		}
	}
	anyReady := func() bool {
		for i := range subs {
			if subs[i].ready() {
				return true
			}
		}
		return false
	}
	if !anyReady() && deadline > now {
		if p.Poll(deadline, anyReady) == PollAbort {
			return vfs.EINTR
		}
	}
	now = p.Now()
	evs, _ := g.bytes(out, nsubs*eventSize)
	n := uint32(0)
	for i := range subs {
		s := &subs[i]
		fired := s.ready() || (s.typ == eventClock && s.err == 0 && s.deadline <= now)
		if !fired {
			continue
		}
		ev := evs[n*eventSize : (n+1)*eventSize]
		clear(ev)
		binary.LittleEndian.PutUint64(ev[0:], s.userdata)
		binary.LittleEndian.PutUint16(ev[8:], uint16(s.err))
		ev[10] = s.typ
		if s.f != nil && s.err == 0 {
			binary.LittleEndian.PutUint64(ev[16:], available(s.f, s.typ))
		}
		n++
	}
	return g.putU32(neventsPtr, n)
}

// clockDeadline converts a clock subscription to a deadline on the
// monotonic virtual clock. CPU-time clocks advance only while the process
// runs, and it is not running while it polls, so their timeouts are taken
// as elapsed time from now: a documented approximation. Relative timeouts
// count from start, the system call's start (see CallStarter).
func clockDeadline(p Proc, now, start vtime.Time, id uint32, timeout uint64, abs bool) vtime.Time {
	t := int64(timeout)
	if timeout > 1<<62 {
		return NoDeadline
	}
	if !abs {
		return start.Add(vtime.Duration(t))
	}
	switch id {
	case ClockRealtime:
		return vtime.Time(t - p.Epoch())
	case ClockMonotonic:
		return vtime.Time(t)
	default:
		return now.Add(vtime.Duration(t - int64(p.CPUTime())))
	}
}

// available estimates the bytes a ready fd can transfer: for a regular file
// open for reading, the bytes after the offset; otherwise 0 (unknown).
func available(f fd.File, typ uint8) uint64 {
	if typ != eventFdRead || f.Type() != vfs.TypeRegular {
		return 0
	}
	s, err := f.Stat()
	if err != nil {
		return 0
	}
	off, err := f.Seek(0, fd.SeekCur)
	if err != nil || off >= int64(s.Size) {
		return 0
	}
	return s.Size - uint64(off)
}

// ---- process ----

func procExit(p Proc, g guest, st []uint64) vfs.Errno {
	p.Exit(uint32(st[0]))
	return 0
}

// procRaise answers ENOSYS: dosemu has no signals in preview1, as the
// specification's own implementations do.
func procRaise(p Proc, g guest, st []uint64) vfs.Errno { return vfs.ENOSYS }

func schedYield(p Proc, g guest, st []uint64) vfs.Errno {
	p.Yield()
	return 0
}

func randomGet(p Proc, g guest, st []uint64) vfs.Errno {
	b, e := g.bytes(uint32(st[0]), uint32(st[1]))
	if e != 0 {
		return e
	}
	p.Random(b)
	return 0
}

// ---- sockets ----

func socket(p Proc, n uint64) (fd.Socket, vfs.Errno) {
	e, err := p.FDs().Get(int32(uint32(n)))
	if err != nil {
		return nil, vfs.EBADF
	}
	s, ok := e.File().(fd.Socket)
	if !ok {
		return nil, vfs.ENOTSOCK
	}
	return s, 0
}

func sockAccept(p Proc, g guest, st []uint64) vfs.Errno {
	s, e := socket(p, st[0])
	if e != 0 {
		return e
	}
	fl := vfs.FDFlags(uint32(st[1]))
	if uint32(st[1])&^uint32(vfs.FDNonblock) != 0 {
		return vfs.EINVAL
	}
	if _, ge := g.bytes(uint32(st[2]), 4); ge != 0 {
		return ge
	}
	if !block(p, s, false) {
		return vfs.EINTR
	}
	c, err := s.Accept(fl)
	if err != nil {
		return errno(err)
	}
	n, err := p.FDs().Alloc(c, fd.RightsSocket, 0)
	if err != nil {
		c.Close()
		return errno(err)
	}
	return g.putU32(uint32(st[2]), uint32(n))
}

const (
	riRecvPeek    = 1
	riRecvWaitall = 2
	roTruncated   = 1
)

func sockRecv(p Proc, g guest, st []uint64) vfs.Errno {
	s, e := socket(p, st[0])
	if e != 0 {
		return e
	}
	var scratch [4][]byte
	iov, ge := g.iovecs(uint32(st[1]), uint32(st[2]), scratch[:])
	if ge != 0 {
		return ge
	}
	fl := uint32(st[3])
	if fl&^(riRecvPeek|riRecvWaitall) != 0 {
		return vfs.EINVAL
	}
	if _, ge := g.bytes(uint32(st[4]), 4); ge != 0 {
		return ge
	}
	if _, ge := g.bytes(uint32(st[5]), 2); ge != 0 {
		return ge
	}
	if !block(p, s, false) {
		return vfs.EINTR
	}
	n, trunc, err := s.Recv(iov, fl&riRecvPeek != 0, fl&riRecvWaitall != 0)
	if err != nil && n == 0 {
		return errno(err)
	}
	g.putU32(uint32(st[4]), uint32(n))
	var ro uint16
	if trunc {
		ro = roTruncated
	}
	b, _ := g.bytes(uint32(st[5]), 2)
	binary.LittleEndian.PutUint16(b, ro)
	return 0
}

func sockSend(p Proc, g guest, st []uint64) vfs.Errno {
	s, e := socket(p, st[0])
	if e != 0 {
		return e
	}
	var scratch [4][]byte
	iov, ge := g.iovecs(uint32(st[1]), uint32(st[2]), scratch[:])
	if ge != 0 {
		return ge
	}
	if uint32(st[3]) != 0 {
		return vfs.EINVAL
	}
	if _, ge := g.bytes(uint32(st[4]), 4); ge != 0 {
		return ge
	}
	if !block(p, s, true) {
		return vfs.EINTR
	}
	n, err := s.Send(iov)
	if err != nil && n == 0 {
		return errno(err)
	}
	return g.putU32(uint32(st[4]), uint32(n))
}

const (
	sdRd = 1
	sdWr = 2
)

func sockShutdown(p Proc, g guest, st []uint64) vfs.Errno {
	s, e := socket(p, st[0])
	if e != 0 {
		return e
	}
	how := uint32(st[1])
	if how == 0 || how&^(sdRd|sdWr) != 0 {
		return vfs.EINVAL
	}
	return errno(s.Shutdown(how&sdRd != 0, how&sdWr != 0))
}
