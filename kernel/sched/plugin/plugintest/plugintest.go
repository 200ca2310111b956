// Package plugintest builds plugin executables for tests: the example
// lottery plugin and the test plugin (kernel/sched/plugin/testdata), whose
// behaviour is chosen by the name it is linked under.
package plugintest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	built = map[string]string{}
	dir   string
)

// Build compiles the main package pkg (an import path in module dosemu)
// once per test binary with `go build` and returns the executable's path.
// It skips the test when no go command is available.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		if goCmd, err = exec.LookPath("go"); err != nil {
			t.Skip("no go command to build plugins with")
		}
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "dosemu-plugins-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	out := filepath.Join(dir, fmt.Sprintf("p%d", len(built)))
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(out, filepath.Base(pkg))
	cmd := exec.Command(goCmd, "build", "-o", exe, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = exe
	return exe
}

// TestPlugin returns the test plugin linked under mode's name (see
// kernel/sched/plugin/testdata/testplugin).
func TestPlugin(t testing.TB, mode string) string {
	t.Helper()
	exe := Build(t, "dosemu/kernel/sched/plugin/testdata/testplugin")
	link := filepath.Join(filepath.Dir(exe), mode)
	if _, err := os.Lstat(link); err != nil {
		if err := os.Symlink(filepath.Base(exe), link); err != nil {
			t.Fatal(err)
		}
	}
	return link
}

// Lottery returns the example lottery plugin (cmd/dosemu-sched-lottery).
func Lottery(t testing.TB) string { return Build(t, "dosemu/cmd/dosemu-sched-lottery") }

// Cleanup removes the built executables; call it from TestMain after
// m.Run.
func Cleanup() {
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
}
