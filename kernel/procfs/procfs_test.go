package procfs

import (
	"strings"
	"testing"

	"dosemu/vfs"
)

type fakeSrc map[int]Proc

func (f fakeSrc) ProcNames() (string, []int) { return "c3", []int{1, 7} }
func (f fakeSrc) ProcInfo(pid int) (Proc, bool) {
	p, ok := f[pid]
	return p, ok
}

func read(t *testing.T, fs *FS, path string) string {
	t.Helper()
	f, err := fs.Open(path, vfs.OpenMode{Read: true})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	st, _ := f.Stat()
	buf := make([]byte, st.Size+10)
	n, err := f.ReadAt(buf, 0)
	if err != nil || uint64(n) != st.Size {
		t.Fatalf("read %s: %d of %d, %v", path, n, st.Size, err)
	}
	return string(buf[:n])
}

func TestProcFS(t *testing.T) {
	src := fakeSrc{
		1: {PID: 1, GID: "c3:1", Name: "init", State: "blocked", Computer: "c3"},
		7: {PID: 7, GID: "c3:7", Parent: "c3:1", Name: "sh", State: "running", Computer: "c3", Args: []string{"sh", "-c"},
			Regions: []Region{{Name: "heap", Start: 0x1000, End: 0x2000, Known: true}, {Name: "stack", Note: "unknown"}},
			Files:   []File{{FD: 3, Kind: "file", Computer: "c0", Path: "shared/x", Offset: 12, Read: true}}},
	}
	fs := New(src, 9)
	if got := read(t, fs, "computer"); got != "c3\n" {
		t.Fatalf("computer: %q", got)
	}
	if got := read(t, fs, "7/status"); !strings.Contains(got, "gid: c3:7\nparent: c3:1\nstate: running") {
		t.Fatalf("status: %q", got)
	}
	if got := read(t, fs, "7/cmdline"); got != "sh\n-c\n" {
		t.Fatalf("cmdline: %q", got)
	}
	if got := read(t, fs, "7/maps"); !strings.Contains(got, "heap   0x00001000-0x00002000 4096") || !strings.Contains(got, "stack  ? unknown") {
		t.Fatalf("maps: %q", got)
	}
	if got := read(t, fs, "7/fds"); got != "3 file r c0:/shared/x @12\n" {
		t.Fatalf("fds: %q", got)
	}
	d, err := fs.Open(".", vfs.OpenMode{OFlags: vfs.ODirectory, Read: true})
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := d.ReadDir(0, 0)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	if strings.Join(names, " ") != ". .. computer 1 7" {
		t.Fatalf("listing: %v", names)
	}
	if more, _ := d.ReadDir(3, 1); len(more) != 1 || more[0].Name != "1" {
		t.Fatalf("listing from cookie 3: %v", more)
	}
	for _, p := range []string{"8", "7/nope", "07", "-1/status", "7/status/x", "x"} {
		if _, err := fs.Stat(p, true); err != vfs.ENOENT {
			t.Errorf("stat %q: %v, want ENOENT", p, err)
		}
	}
	if _, err := fs.Open("7/status", vfs.OpenMode{Write: true}); err != vfs.EROFS {
		t.Errorf("open for writing: %v", err)
	}
	if _, err := fs.Open("7/new", vfs.OpenMode{OFlags: vfs.OCreat, Write: true}); err != vfs.EROFS {
		t.Errorf("create: %v", err)
	}
	if err := fs.Unlink("7/status"); err != vfs.EROFS {
		t.Errorf("unlink: %v", err)
	}
	if st, _ := fs.Stat("7", true); st.Type != vfs.TypeDir {
		t.Errorf("7 is not a directory: %+v", st)
	}
}
