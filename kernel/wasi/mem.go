package wasi

import (
	"encoding/binary"

	"github.com/tetratelabs/wazero/api"

	"dosemu/vfs"
)

// guest wraps a guest's linear memory with bounds-checked accessors. Every
// guest pointer goes through one of these; an out-of-range access is
// EFAULT, never a panic. A module without memory faults on every access.
type guest struct{ m api.Memory }

func (g guest) bytes(ptr, n uint32) ([]byte, vfs.Errno) {
	if g.m == nil {
		return nil, vfs.EFAULT
	}
	b, ok := g.m.Read(ptr, n)
	if !ok {
		return nil, vfs.EFAULT
	}
	return b, 0
}

func (g guest) u32(ptr uint32) (uint32, vfs.Errno) {
	if g.m == nil {
		return 0, vfs.EFAULT
	}
	v, ok := g.m.ReadUint32Le(ptr)
	if !ok {
		return 0, vfs.EFAULT
	}
	return v, 0
}

func (g guest) putU32(ptr, v uint32) vfs.Errno {
	if g.m == nil || !g.m.WriteUint32Le(ptr, v) {
		return vfs.EFAULT
	}
	return 0
}

func (g guest) putU64(ptr uint32, v uint64) vfs.Errno {
	if g.m == nil || !g.m.WriteUint64Le(ptr, v) {
		return vfs.EFAULT
	}
	return 0
}

func (g guest) str(ptr, n uint32) (string, vfs.Errno) {
	if n > vfs.MaxPathLen {
		// Reading it is harmless, but no path that long can resolve.
		if _, e := g.bytes(ptr, n); e != 0 {
			return "", e
		}
		return "", vfs.ENAMETOOLONG
	}
	b, e := g.bytes(ptr, n)
	if e != 0 {
		return "", e
	}
	return string(b), 0
}

// iovecs returns views of the guest buffers an iovec array names. Views
// alias guest memory: reads land directly in the guest's buffers. The
// returned slice reuses scratch when it is large enough.
func (g guest) iovecs(ptr, n uint32, scratch [][]byte) ([][]byte, vfs.Errno) {
	if uint64(n)*8 > 1<<32 {
		return nil, vfs.EFAULT
	}
	raw, e := g.bytes(ptr, n*8)
	if e != 0 {
		return nil, e
	}
	out := scratch[:0]
	for i := uint32(0); i < n; i++ {
		buf := binary.LittleEndian.Uint32(raw[i*8:])
		l := binary.LittleEndian.Uint32(raw[i*8+4:])
		b, e := g.bytes(buf, l)
		if e != 0 {
			return nil, e
		}
		out = append(out, b)
	}
	return out, 0
}
