// Package guesttest locates dosemu's committed guest modules for tests
// and benchmarks in other packages, so they need not know where guests/
// sits relative to themselves.
//
// guests/ holds the guest programs: sources (C, WAT, Go) and the
// WebAssembly modules built from them, committed next to each source so
// that booting and testing need no toolchain (guests/build.sh rebuilds
// them reproducibly). The top-level guests/*.wasm are the demo set for
// `dosemu boot`; bench/, files/, net/ and proc/ hold the rest.
//
// This package's own tests compile every module with wazero and run the
// WASI-only guests under wazero's WASI, checking their output.
package guesttest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Dir returns the absolute path of the guests/ directory. It is found from
// this source file's location, so it works from any test's working
// directory within the checkout.
func Dir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "guests"
	}
	return filepath.Dir(filepath.Dir(file))
}

// Path returns the absolute path of a guest module named relative to
// guests/, e.g. "spin.wasm" or "bench/loop.wasm".
func Path(name string) string {
	return filepath.Join(Dir(), filepath.FromSlash(name))
}

// Read returns the bytes of a guest module named relative to guests/.
// The error names the module and the path tried.
func Read(name string) ([]byte, error) {
	p := Path(name)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("guest module %q: %w", name, err)
	}
	return b, nil
}

// All returns every committed module, as names relative to guests/ with
// forward slashes, sorted. Cost: one directory walk.
func All() ([]string, error) {
	root := Dir()
	var names []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".wasm") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing guest modules under %s: %w", root, err)
	}
	sort.Strings(names)
	return names, nil
}

// Demo returns the top-level modules: the set `dosemu boot guests/*.wasm`
// runs together.
func Demo() ([]string, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	var demo []string
	for _, n := range all {
		if !strings.Contains(n, "/") {
			demo = append(demo, n)
		}
	}
	return demo, nil
}

// Workloads are the bench/ guests with the sizes the CPU benchmarks use,
// so every benchmark (plain wazero here, instrumented elsewhere) runs the
// same programs on the same inputs. Each prints one checksum line.
var Workloads = []struct {
	Name string // also the module, bench/<Name>.wasm
	Args []string
}{
	{"loop", []string{"100000000"}},
	{"fib", []string{"35"}},
	{"stream", []string{"64"}},
	{"sha256", []string{"4"}},
	{"gowork", []string{"20000"}},
}
