package fd

import (
	"testing"

	"dosemu/vfs"
)

type countFile struct {
	Base
	closed int
}

func (c *countFile) Close() error { c.closed++; return nil }

func TestTableLowestFreeRenumberFork(t *testing.T) {
	tb := NewTable()
	files := make([]*countFile, 4)
	for i := range files {
		files[i] = &countFile{}
		n, err := tb.Alloc(files[i], RightsFile, 0)
		if err != nil || n != int32(i) {
			t.Fatalf("alloc %d = %d, %v", i, n, err)
		}
	}
	if err := tb.Close(1); err != nil {
		t.Fatal(err)
	}
	if files[1].closed != 1 {
		t.Errorf("close did not close the file")
	}
	if err := tb.Close(1); vfs.ErrnoOf(err) != vfs.EBADF {
		t.Errorf("double close: %v", err)
	}
	if n, _ := tb.Alloc(&countFile{}, RightsFile, 0); n != 1 {
		t.Errorf("alloc after close = %d, want lowest free 1", n)
	}
	if err := tb.Renumber(3, 0); err != nil {
		t.Fatal(err)
	}
	if files[0].closed != 1 {
		t.Errorf("renumber did not close the target")
	}
	if e, _ := tb.Get(0); e.File() != files[3] {
		t.Errorf("renumber moved the wrong file")
	}
	if _, err := tb.Get(3); err == nil {
		t.Errorf("renumber left the source open")
	}
	if err := tb.Renumber(0, 9); vfs.ErrnoOf(err) != vfs.EBADF {
		t.Errorf("renumber to a closed fd: %v", err)
	}
	child := tb.Fork()
	tb.Close(0)
	if files[3].closed != 0 {
		t.Errorf("closing the parent's fd closed a description the child shares")
	}
	child.CloseAll()
	if files[3].closed != 1 {
		t.Errorf("closing the last fd did not close the description")
	}
	if _, err := tb.Get(-1); err == nil {
		t.Errorf("negative fd accepted")
	}
}

func TestSnapshotRecordsWhereFilesLive(t *testing.T) {
	m := vfs.NewMemFS(1, nil, 0)
	m.Mkdir("d")
	tb := NewTable()
	tb.Set(1, NewOutput("stdout", nil), RightsStream, 0)
	d, err := OpenVFile(m, "c2", ".", vfs.OpenMode{OFlags: vfs.ODirectory, Read: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tb.Preopen(d, "/")
	f, err := OpenVFile(m, "c2", "d/f", vfs.OpenMode{OFlags: vfs.OCreat, Read: true, Write: true}, vfs.FDAppend)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("12345"))
	n, _ := tb.Alloc(f, RightsFile, 0)
	snap := tb.Snapshot()
	if len(snap) != 3 {
		t.Fatalf("snapshot has %d slots", len(snap))
	}
	last := snap[2]
	want := Record{Kind: "file", Computer: "c2", Path: "d/f", Ino: 3, Offset: 5, Flags: vfs.FDAppend, Read: true, Write: true}
	if last.FD != n || last.Record != want {
		t.Errorf("record = %+v, want %+v", last.Record, want)
	}
	if snap[0].Preopen != "/" || snap[0].Record.Kind != "dir" || snap[0].FD != 0 {
		t.Errorf("preopen slot = %+v", snap[0])
	}
}

func TestVFileSeekAndAppend(t *testing.T) {
	m := vfs.NewMemFS(1, nil, 0)
	f, _ := OpenVFile(m, "", "f", vfs.OpenMode{OFlags: vfs.OCreat, Read: true, Write: true}, 0)
	f.Write([]byte("hello"))
	if off, _ := f.Seek(-2, SeekEnd); off != 3 {
		t.Errorf("seek end-2 = %d", off)
	}
	if _, err := f.Seek(-10, SeekCur); vfs.ErrnoOf(err) != vfs.EINVAL {
		t.Errorf("seek before start: %v", err)
	}
	f.SetFlags(vfs.FDAppend)
	f.Seek(0, SeekSet)
	f.Write([]byte("!"))
	buf := make([]byte, 10)
	n, _ := f.Pread(buf, 0)
	if string(buf[:n]) != "hello!" {
		t.Errorf("append wrote %q", buf[:n])
	}
	ro, _ := OpenVFile(m, "", "f", vfs.OpenMode{Read: true}, 0)
	if _, err := ro.Write([]byte("x")); vfs.ErrnoOf(err) != vfs.EBADF {
		t.Errorf("write to read-only fd: %v", err)
	}
}
