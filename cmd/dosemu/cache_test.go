package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompileCacheDir: DOSEMU_CACHE places or disables the cache, an
// unusable one is an error naming it, and without it the cache goes under
// the user's cache directory.
func TestCompileCacheDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	t.Setenv(cacheEnv, dir)
	if got, err := compileCacheDir(); err != nil || got != dir {
		t.Fatalf("%s=%s: %q, %v", cacheEnv, dir, got, err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("the cache directory was not made: %v", err)
	}
	for _, off := range []string{"off", ""} {
		t.Setenv(cacheEnv, off)
		if got, err := compileCacheDir(); err != nil || got != "" {
			t.Fatalf("%s=%q: %q, %v, want no cache", cacheEnv, off, got, err)
		}
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(cacheEnv, file)
	if _, err := compileCacheDir(); err == nil || !strings.Contains(err.Error(), cacheEnv+"="+file) {
		t.Fatalf("%s naming a file: %v, want an error naming it", cacheEnv, err)
	}
	os.Unsetenv(cacheEnv) // t.Setenv restores it at the end
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", home)
	if got, err := compileCacheDir(); err != nil || got != filepath.Join(home, "dosemu") {
		t.Fatalf("default: %q, %v, want %s", got, err, filepath.Join(home, "dosemu"))
	}
}

// TestCompileCacheKeepsCode: a boot leaves compiled code in the cache, and
// a second boot that finds it prints the same.
func TestCompileCacheKeepsCode(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(cacheEnv, dir)
	args := []string{"boot", "--computers", "2", guest("hello"), guest("primes")}
	code, first, errs := dosemu(t, args...)
	if code != 0 {
		t.Fatalf("first boot: status %d: %s", code, errs)
	}
	n := 0
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n++
		}
		return nil
	})
	if n == 0 {
		t.Fatalf("no compiled code in %s after a boot", dir)
	}
	code, second, errs := dosemu(t, args...)
	if code != 0 || second != first {
		t.Fatalf("second boot (status %d, %s):\n%s\nwant:\n%s", code, errs, second, first)
	}
}
