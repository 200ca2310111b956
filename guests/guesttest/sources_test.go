package guesttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEverySourceHasModule: each C/WAT source and each Go guest directory
// has its committed module, and each module has a source, so a new guest
// cannot be committed unbuilt and a removed one cannot linger.
func TestEverySourceHasModule(t *testing.T) {
	root := Dir()
	want := map[string]bool{} // module names relative to guests/
	for _, sub := range []string{".", "bench", "files", "net", "proc"} {
		ents, err := os.ReadDir(filepath.Join(root, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ents {
			name := e.Name()
			rel := filepath.ToSlash(filepath.Join(sub, name))
			switch {
			case strings.HasSuffix(name, ".c") || strings.HasSuffix(name, ".wat"):
				want[strings.TrimSuffix(strings.TrimSuffix(rel, ".c"), ".wat")+".wasm"] = true
			case e.IsDir():
				if _, err := os.Stat(filepath.Join(root, sub, name, "main.go")); err == nil {
					want[rel+".wasm"] = true
				}
			}
		}
	}
	have, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range have {
		if !want[m] {
			t.Errorf("%s has no source (a .c, .wat, or a directory with main.go)", m)
		}
		delete(want, m)
	}
	for m := range want {
		t.Errorf("%s is missing: run guests/build.sh and commit it", m)
	}
}

// TestHeadersCompile compiles dosemu.h and dosemulib.h strictly for
// wasm32-wasi, when clang is installed (the toolchain is optional for
// the rest of the repository).
func TestHeadersCompile(t *testing.T) {
	clang, err := exec.LookPath("clang")
	if err != nil {
		t.Skip("clang not installed; guests/build.sh installs it")
	}
	if _, err := os.Stat("/usr/lib/wasm32-wasi/libc.a"); err != nil {
		t.Skip("wasi-libc not installed; guests/build.sh installs it")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "h.c")
	prog := `#include "dosemulib.h"
int main(void) {
  dosemu_gid_t g = DOSEMU_GID(2, 7);
  char b[24], s[32];
  char *argv[] = {"x", 0};
  dosemu_gid_t kid;
  if (DOSEMU_GID_COMPUTER(g) != 2 || DOSEMU_GID_PID(g) != 7) return 1;
  if (dosemu_pack(b, 2, argv) != 2 || dosemu_pack(b, 1, argv) != -1) return 2;
  (void)dosemu_gidstr(g, b); (void)dosemu_statusstr(0, s, sizeof s);
  (void)dosemu_spawnv(-1, "x", argv, &kid); (void)dosemu_execv("x", argv);
  (void)dosemu_seconds(); dosemu_sleep_ms(1);
  return 0;
}
`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(clang, "--target=wasm32-wasi", "-O2", "-Wall", "-Wextra", "-Werror",
		"-I", filepath.Join(Dir(), "sdk", "c"), "-c", "-o", filepath.Join(dir, "h.o"), src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compiling the C SDK headers: %v\n%s", err, out)
	}
}
