package vfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzResolve: no guest path escapes its base through Clean, and no path
// (symbolic links included) makes MemFS or HostFS panic or reach a file
// outside the root.
func FuzzResolve(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "a/../../x", "/etc/passwd", "sub/up/../../secret", "link/x", ".", "a//b/./c/", "loop/x", "\x00"} {
		f.Add("d", s)
		f.Add(".", s)
	}
	parent := f.TempDir()
	os.WriteFile(filepath.Join(parent, "secret"), []byte("SECRET"), 0o644)
	dir := filepath.Join(parent, "mnt")
	os.MkdirAll(filepath.Join(dir, "d", "sub"), 0o755)
	os.Symlink("../../..", filepath.Join(dir, "d", "sub", "up"))
	os.Symlink("/", filepath.Join(dir, "link"))
	os.Symlink("loop", filepath.Join(dir, "loop"))
	h, err := NewHostFS(dir)
	if err != nil {
		f.Fatal(err)
	}
	defer h.Close()
	m := NewMemFS(1, nil, 0)
	m.Mkdir("d")
	m.Mkdir("d/sub")
	m.Symlink("../../..", "d/sub/up")
	m.Symlink("/", "link")
	m.Symlink("loop", "loop")
	m.Symlink("d/sub/up/d", "back")

	f.Fuzz(func(t *testing.T, base, p string) {
		// Bases are clean paths (a directory fd's path); make one.
		base, err := Clean(".", base)
		if err != nil {
			base = "."
		}
		clean, err := Clean(base, p)

		if err != nil {
			if ErrnoOf(err) == EIO {
				t.Fatalf("Clean(%q, %q): unmapped error %v", base, p, err)
			}
			return
		}
		if strings.HasPrefix(clean, "/") || clean == "" {
			t.Fatalf("Clean(%q, %q) = %q: not relative", base, p, clean)
		}
		for el := range strings.SplitSeq(clean, "/") {
			if el == ".." || el == "" || (el == "." && clean != ".") {
				t.Fatalf("Clean(%q, %q) = %q: not clean", base, p, clean)
			}
		}
		if base != "." && clean != base && !strings.HasPrefix(clean, base+"/") {
			t.Fatalf("Clean(%q, %q) = %q escapes its base", base, p, clean)
		}
		for _, fs := range []FS{m, h} {
			fs.Stat(clean, true)
			fs.Readlink(clean)
			file, err := fs.Open(clean, OpenMode{Read: true, Follow: true})
			if err != nil {
				continue
			}
			buf := make([]byte, 64)
			n, _ := file.ReadAt(buf, 0)
			file.Close()
			if strings.Contains(string(buf[:n]), "SECRET") {
				t.Fatalf("%q reached a file outside the root", clean)
			}
		}
	})
}
