package vfs

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func mustOpen(t *testing.T, fs FS, p string, m OpenMode) File {
	t.Helper()
	f, err := fs.Open(p, m)
	if err != nil {
		t.Fatalf("open %q: %v", p, err)
	}
	return f
}

func writeFile(t *testing.T, fs FS, p, data string) {
	t.Helper()
	f := mustOpen(t, fs, p, OpenMode{OFlags: OCreat | OTrunc, Write: true})
	defer f.Close()
	if n, err := f.WriteAt([]byte(data), 0); err != nil || n != len(data) {
		t.Fatalf("write %q: %d, %v", p, n, err)
	}
}

func readFile(t *testing.T, fs FS, p string) string {
	t.Helper()
	f := mustOpen(t, fs, p, OpenMode{Read: true, Follow: true})
	defer f.Close()
	buf := make([]byte, 1<<16)
	n, err := f.ReadAt(buf, 0)
	if err != nil {
		t.Fatalf("read %q: %v", p, err)
	}
	return string(buf[:n])
}

func wantErr(t *testing.T, what string, err error, want Errno) {
	t.Helper()
	if ErrnoOf(err) != want {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

// fsContract runs the same checks against every FS implementation.
func fsContract(t *testing.T, fs FS) {
	writeFile(t, fs, "a", "hello")
	if got := readFile(t, fs, "a"); got != "hello" {
		t.Errorf("read back %q", got)
	}
	_, err := fs.Open("a", OpenMode{OFlags: OCreat | OExcl, Write: true})
	wantErr(t, "create existing with excl", err, EEXIST)
	_, err = fs.Open("missing", OpenMode{Read: true})
	wantErr(t, "open missing", err, ENOENT)
	_, err = fs.Open("a", OpenMode{OFlags: ODirectory, Read: true})
	wantErr(t, "open file as directory", err, ENOTDIR)

	if err := fs.Mkdir("d"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "mkdir existing", fs.Mkdir("d"), EEXIST)
	_, err = fs.Open("d", OpenMode{Write: true})
	wantErr(t, "open directory for writing", err, EISDIR)
	writeFile(t, fs, "d/b", "bee")
	wantErr(t, "rmdir non-empty", fs.Rmdir("d"), ENOTEMPTY)
	wantErr(t, "unlink directory", fs.Unlink("d"), EISDIR)
	wantErr(t, "rmdir file", fs.Rmdir("a"), ENOTDIR)
	wantErr(t, "mkdir under file", fs.Mkdir("a/x"), ENOTDIR)

	st, err := fs.Stat("d/b", false)
	if err != nil || st.Type != TypeRegular || st.Size != 3 {
		t.Errorf("stat d/b = %+v, %v", st, err)
	}

	// Directory listing with cookies: resuming from any entry's Next
	// continues the listing exactly.
	writeFile(t, fs, "d/c", "")
	writeFile(t, fs, "d/a", "")
	d := mustOpen(t, fs, "d", OpenMode{OFlags: ODirectory, Read: true})
	all, err := d.ReadDir(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range all {
		names = append(names, e.Name)
	}
	if got := strings.Join(names, ","); got != ".,..,a,b,c" {
		t.Errorf("readdir = %s", got)
	}
	part, _ := d.ReadDir(all[2].Next, 1)
	if len(part) != 1 || part[0].Name != "b" {
		t.Errorf("readdir from cookie %d = %+v", all[2].Next, part)
	}
	d.Close()

	if err := fs.Rename("d/b", "moved"); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, fs, "moved"); got != "bee" {
		t.Errorf("after rename: %q", got)
	}
	wantErr(t, "stat renamed-away", func() error { _, err := fs.Stat("d/b", false); return err }(), ENOENT)
	wantErr(t, "rename dir over file", fs.Rename("d", "moved"), ENOTDIR)
	wantErr(t, "rename file over dir", fs.Rename("moved", "d"), EISDIR)

	if err := fs.Link("moved", "hard"); err != nil {
		t.Fatal(err)
	}
	if st, _ := fs.Stat("hard", false); st.Nlink != 2 {
		t.Errorf("nlink after link = %d", st.Nlink)
	}
	wantErr(t, "link directory", fs.Link("d", "d2"), EPERM)

	if err := fs.Symlink("moved", "sym"); err != nil {
		t.Fatal(err)
	}
	if got, err := fs.Readlink("sym"); err != nil || got != "moved" {
		t.Errorf("readlink = %q, %v", got, err)
	}
	if got := readFile(t, fs, "sym"); got != "bee" {
		t.Errorf("read through symlink: %q", got)
	}
	_, err = fs.Open("sym", OpenMode{Read: true})
	wantErr(t, "open symlink without follow", err, ELOOP)
	wantErr(t, "readlink file", func() error { _, err := fs.Readlink("moved"); return err }(), EINVAL)

	if err := fs.Truncate("moved", 1); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, fs, "moved"); got != "b" {
		t.Errorf("after truncate: %q", got)
	}
	if err := fs.SetTimes("moved", true, Times{Atim: 1e9, Mtim: 2e9, SetAtim: true, SetMtim: true}); err != nil {
		t.Fatal(err)
	}
	if st, _ := fs.Stat("moved", true); st.Mtim != 2e9 || st.Atim != 1e9 {
		t.Errorf("times = %d %d", st.Atim, st.Mtim)
	}
	if err := fs.Unlink("hard"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"d/a", "d/c"} {
		if err := fs.Unlink(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := fs.Rmdir("d"); err != nil {
		t.Fatal(err)
	}
}

func TestMemFSContract(t *testing.T) { fsContract(t, NewMemFS(1, nil, 0)) }

func TestHostFSContract(t *testing.T) {
	h, err := NewHostFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	fsContract(t, h)
}

func TestNamespaceContract(t *testing.T) {
	ns := NewNamespace(NewMemFS(1, nil, 0))
	h, err := NewHostFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := ns.Mount("data/host", h); err != nil {
		t.Fatal(err)
	}
	writeFile(t, ns, "data/host/x", "on host")
	if b, err := os.ReadFile(filepath.Join(h.Dir(), "x")); err != nil || string(b) != "on host" {
		t.Errorf("host file = %q, %v", b, err)
	}
	wantErr(t, "rename across mounts", ns.Rename("data/host/x", "y"), EXDEV)
	wantErr(t, "rmdir mount point", ns.Rmdir("data/host"), EBUSY)
	if fs, rel := ns.Resolve("data/hostile"); fs == FS(h) || rel != "data/hostile" {
		t.Errorf("prefix matched a partial element: %v %q", fs, rel)
	}
	if st, err := ns.Stat("data", false); err != nil || st.Type != TypeDir {
		t.Errorf("mount point parent not created: %+v %v", st, err)
	}
}

func TestMemFSDeterministicInodes(t *testing.T) {
	build := func() []uint64 {
		m := NewMemFS(1, nil, 0)
		var out []uint64
		for _, p := range []string{"a", "b", "a/c"} {
			if p == "a" {
				m.Mkdir(p)
			} else {
				writeFile(t, m, p, "x")
			}
			st, _ := m.Stat(p, false)
			out = append(out, st.Ino)
		}
		return out
	}
	a, b := build(), build()
	if a[0] != 2 || a[1] != 3 || a[2] != 4 || a[0] != b[0] || a[2] != b[2] {
		t.Errorf("inodes %v and %v", a, b)
	}
}

func TestMemFSTimesFromClock(t *testing.T) {
	now := int64(5e9)
	m := NewMemFS(1, func() int64 { return now }, 0)
	writeFile(t, m, "f", "x")
	now = 7e9
	f := mustOpen(t, m, "f", OpenMode{Write: true})
	f.WriteAt([]byte("y"), 1)
	st, _ := f.Stat()
	if st.Ctim != 7e9 || st.Mtim != 7e9 || st.Atim != 5e9 {
		t.Errorf("times %+v", st)
	}
}

func TestMemFSLimit(t *testing.T) {
	m := NewMemFS(1, nil, 100)
	f := mustOpen(t, m, "f", OpenMode{OFlags: OCreat, Write: true})
	if _, err := f.WriteAt(make([]byte, 80), 0); err != nil {
		t.Fatal(err)
	}
	_, err := f.WriteAt(make([]byte, 80), 50)
	wantErr(t, "write past limit", err, ENOSPC)
	_, err = f.WriteAt([]byte{1}, 1<<62)
	wantErr(t, "write at huge offset", err, ENOSPC)
}

func TestMemFSSymlinksStayInside(t *testing.T) {
	m := NewMemFS(1, nil, 0)
	m.Mkdir("d")
	writeFile(t, m, "top", "top")
	m.Symlink("/top", "d/abs")
	m.Symlink("../../../../top", "d/up")
	m.Symlink("loop", "loop")
	if got := readFile(t, m, "d/abs"); got != "top" {
		t.Errorf("absolute link: %q", got)
	}
	if got := readFile(t, m, "d/up"); got != "top" {
		t.Errorf("climbing link: %q", got)
	}
	_, err := m.Open("loop", OpenMode{Read: true, Follow: true})
	wantErr(t, "symlink loop", err, ELOOP)
}

func TestClean(t *testing.T) {
	for _, c := range []struct {
		base, p, want string
		err           Errno
	}{
		{".", "a/b", "a/b", 0},
		{".", "a/./b/", "a/b", 0},
		{".", "a/../b", "b", 0},
		{".", ".", ".", 0},
		{"x", "a/..", "x", 0},
		{"x", "..", "", ENOTCAPABLE},
		{".", "a/../../b", "", ENOTCAPABLE},
		{".", "/etc/passwd", "", ENOTCAPABLE},
		{".", "", "", ENOENT},
		{".", "a\x00b", "", EINVAL},
		{".", strings.Repeat("a", MaxPathLen+1), "", ENAMETOOLONG},
	} {
		got, err := Clean(c.base, c.p)
		if got != c.want || ErrnoOf(err) != c.err {
			t.Errorf("Clean(%q, %q) = %q, %v; want %q, %v", c.base, c.p, got, err, c.want, c.err)
		}
	}
}

// TestHostFSRefusesEscape: no path a guest can write reaches outside the
// mounted directory, whether by "..", an absolute symlink or a relative one.
func TestHostFSRefusesEscape(t *testing.T) {
	parent := t.TempDir()
	os.WriteFile(filepath.Join(parent, "secret"), []byte("secret"), 0o644)
	dir := filepath.Join(parent, "mnt")
	os.Mkdir(dir, 0o755)
	os.Symlink(filepath.Join(parent, "secret"), filepath.Join(dir, "abs"))
	os.Symlink("../secret", filepath.Join(dir, "rel"))
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.Symlink("../../secret", filepath.Join(dir, "sub", "deep"))
	os.Symlink("..", filepath.Join(dir, "sub", "up"))
	os.Symlink("/", filepath.Join(dir, "root"))
	h, err := NewHostFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, p := range []string{"abs", "rel", "sub/deep", "sub/up/../secret", "root/etc/passwd", "../secret"} {
		f, err := h.Open(p, OpenMode{Read: true, Follow: true})
		if err == nil {
			buf := make([]byte, 16)
			n, _ := f.ReadAt(buf, 0)
			f.Close()
			t.Errorf("open %q succeeded and read %q", p, buf[:n])
		}
		if _, err := h.Stat(p, true); err == nil {
			t.Errorf("stat %q succeeded", p)
		}
	}
	// Creating through an escaping link is refused too.
	if _, err := h.Open("rel2/x", OpenMode{OFlags: OCreat, Write: true}); err == nil {
		t.Errorf("create through missing dir succeeded")
	}
	if err := h.Symlink("../", "esc"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Open("esc/secret", OpenMode{Read: true, Follow: true}); err == nil {
		t.Errorf("guest-made escaping symlink followed")
	}
}

func TestHostFSWatchInvalidates(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for host file events")
	}
	dir := t.TempDir()
	h, err := NewHostFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	c := NewCache(h)
	defer c.Close()
	os.WriteFile(filepath.Join(dir, "f"), []byte("old"), 0o644)
	if got := readFile(t, c, "f"); got != "old" {
		t.Fatalf("first read %q", got)
	}
	if got := readFile(t, c, "f"); got != "old" {
		t.Fatalf("cached read %q", got)
	}
	if c.Stats().Hits == 0 {
		t.Errorf("re-read did not hit the cache: %+v", c.Stats())
	}
	os.WriteFile(filepath.Join(dir, "f"), []byte("new!"), 0o644)
	// The event normally arrives within milliseconds; the generous
	// deadline only matters on a host so loaded that the watcher's
	// goroutine is starved, and costs nothing when it passes.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if got := readFile(t, c, "f"); got == "new!" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("host edit never reached the cache")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCacheCoherentWithOwnWrites(t *testing.T) {
	m := NewMemFS(1, nil, 0)
	c := NewCache(m)
	writeFile(t, c, "f", "one")
	if got := readFile(t, c, "f"); got != "one" {
		t.Fatal(got)
	}
	writeFile(t, c, "f", "two!")
	if got := readFile(t, c, "f"); got != "two!" {
		t.Errorf("stale after own write: %q", got)
	}
	if err := c.Rename("f", "g"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Stat("f", false); ErrnoOf(err) != ENOENT {
		t.Errorf("stale stat after rename: %v", err)
	}
	// A change reported by the backing store drops cached data.
	f := mustOpen(t, m, "g", OpenMode{Write: true})
	f.WriteAt([]byte("X"), 0)
	f.Close()
	c.Invalidate(Change{Path: "g"})
	if got := readFile(t, c, "g"); !bytes.Equal([]byte(got), []byte("Xwo!")) {
		t.Errorf("after invalidate: %q", got)
	}
}

func TestHostFSWatchReportsChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for host file events")
	}
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	h, err := NewHostFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ns := NewNamespace(NewMemFS(1, nil, 0))
	ns.Mount("mnt", h)
	got := make(chan string, 16)
	cancel := ns.Watch(func(c Change) {
		select {
		case got <- c.Path:
		default:
		}
	})
	defer cancel()
	os.WriteFile(filepath.Join(dir, "sub", "f"), []byte("x"), 0o644)
	select {
	case p := <-got:
		if p != "mnt/sub/f" {
			t.Errorf("change path %q, want mnt/sub/f", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no change reported for a host edit")
	}
}
