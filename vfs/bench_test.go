package vfs

import (
	"strconv"
	"testing"
)

func benchSeq(b *testing.B, fs FS, write bool) {
	const size = 8 << 20
	buf := make([]byte, 64<<10)
	f, err := fs.Open("big", OpenMode{OFlags: OCreat, Read: true, Write: true})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	for off := int64(0); off < size; off += int64(len(buf)) {
		f.WriteAt(buf, off)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		for off := int64(0); off < size; off += int64(len(buf)) {
			var err error
			if write {
				_, err = f.WriteAt(buf, off)
			} else {
				_, err = f.ReadAt(buf, off)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func hostFS(b *testing.B) *HostFS {
	h, err := NewHostFS(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	return h
}

func BenchmarkMemSeqRead(b *testing.B)   { benchSeq(b, NewMemFS(1, nil, 0), false) }
func BenchmarkMemSeqWrite(b *testing.B)  { benchSeq(b, NewMemFS(1, nil, 0), true) }
func BenchmarkHostSeqRead(b *testing.B)  { benchSeq(b, hostFS(b), false) }
func BenchmarkHostSeqWrite(b *testing.B) { benchSeq(b, hostFS(b), true) }
func BenchmarkCachedHostReread(b *testing.B) {
	c := NewCache(hostFS(b))
	defer c.Close()
	benchSeq(b, c, false)
}

// benchMeta measures create + stat + unlink of a file: three metadata
// operations per iteration.
func benchMeta(b *testing.B, fs FS) {
	fs.Mkdir("d")
	b.ResetTimer()
	for i := range b.N {
		p := "d/f" + strconv.Itoa(i&1023)
		f, err := fs.Open(p, OpenMode{OFlags: OCreat, Write: true})
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
		if _, err := fs.Stat(p, false); err != nil {
			b.Fatal(err)
		}
		if err := fs.Unlink(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(3*float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkMemMetadata(b *testing.B)  { benchMeta(b, NewMemFS(1, nil, 0)) }
func BenchmarkHostMetadata(b *testing.B) { benchMeta(b, hostFS(b)) }
