package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// Compiled guest code is kept on disk between runs, so that a program
// dosemu ran before starts without compiling: wazero's compilation of a
// multi-megabyte Go guest takes seconds, and `dosemu boot` of the repo's
// guests drops from about 3 s to 0.6 s the second time. The rewrite
// still runs (about 0.1 s for the Go guest); the cache is keyed by the
// rewritten module's bytes and wazero's version, so a changed program or
// a new dosemu never finds stale code.
//
// Where: $DOSEMU_CACHE when set ("off" keeps everything in memory), else
// "dosemu" in the user's cache directory (os.UserCacheDir: $XDG_CACHE_HOME
// or ~/.cache on Linux). The default is an optimization only: when it
// cannot be created or written, dosemu runs without it. A DOSEMU_CACHE
// that cannot be used is an error.

// cacheEnv names the variable that places or disables the cache.
const cacheEnv = "DOSEMU_CACHE"

// compileCacheDir returns the directory for compiled code, or "" for
// none.
func compileCacheDir() (string, error) {
	if v, ok := os.LookupEnv(cacheEnv); ok {
		if v == "" || v == "off" {
			return "", nil
		}
		if err := writableDir(v); err != nil {
			return "", fmt.Errorf("%s=%s: %w", cacheEnv, v, err)
		}
		return v, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", nil
	}
	d := filepath.Join(base, "dosemu")
	if writableDir(d) != nil {
		return "", nil
	}
	return d, nil
}

// writableDir makes dir if it is missing and checks that a file can be
// made in it.
func writableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return err
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}
