package guesttest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// wasmFiles lists every committed module under guests/ as absolute paths.
func wasmFiles(t *testing.T) []string {
	t.Helper()
	names, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatal("no .wasm files under guests/")
	}
	var files []string
	for _, n := range names {
		files = append(files, Path(n))
	}
	return files
}

// cache shares compiled code between the tests' runtimes: the Go guests
// take seconds to compile.
var cache = wazero.NewCompilationCache()

func newRuntime(ctx context.Context) wazero.Runtime {
	return wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
}

// TestModulesCompile compiles every committed guest with wazero, so a
// broken or truncated build fails here rather than at boot, and checks
// that each is a WASI command importing only from the two host modules
// dosemu provides.
func TestModulesCompile(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(ctx)
	defer rt.Close(ctx)
	for _, f := range wasmFiles(t) {
		bin, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("reading %s: %v", f, err)
		}
		m, err := rt.CompileModule(ctx, bin)
		if err != nil {
			t.Errorf("%s: wazero cannot compile it: %v", f, err)
			continue
		}
		if _, ok := m.ExportedFunctions()["_start"]; !ok {
			t.Errorf("%s: no _start export, so it is not a WASI command", f)
		}
		for _, imp := range m.ImportedFunctions() {
			mod, name, _ := imp.Import()
			if mod != "wasi_snapshot_preview1" && mod != "dosemu" {
				t.Errorf("%s imports %s.%s: only wasi_snapshot_preview1 and dosemu exist", f, mod, name)
			}
		}
		// Not closed: closing a compiled module evicts it from the shared
		// cache, and the other tests would compile the Go guests again.
	}
}

// TestListing checks the helpers other packages use to find modules.
func TestListing(t *testing.T) {
	demo, err := Demo()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"hello.wasm": true, "spin.wasm": true, "driver.wasm": true,
		"alice.wasm": true, "bob.wasm": true, "primes.wasm": true, "goinfo.wasm": true}
	for _, n := range demo {
		if !want[n] {
			t.Errorf("unexpected top-level module %s: boot would run it", n)
		}
		delete(want, n)
	}
	for n := range want {
		t.Errorf("demo module %s missing", n)
	}
	if _, err := Read("bench/loop.wasm"); err != nil {
		t.Error(err)
	}
	if _, err := Read("no/such.wasm"); err == nil || !strings.Contains(err.Error(), "no/such.wasm") {
		t.Errorf("Read of a missing module: err %v, want one naming it", err)
	}
}

// fakeClock is virtual time for running guests under wazero's WASI:
// sleeping advances it at once, so output that prints the time is exact
// to the microsecond. Each reading also advances it by 1 µs, because the
// Go runtime expects a monotonic clock to move (and not to read zero).
type fakeClock struct{ ns int64 }

func (c *fakeClock) now() int64 {
	c.ns += 1000
	return c.ns
}
func (c *fakeClock) sleep(ns int64) { c.ns += ns }
func (c *fakeClock) config(m wazero.ModuleConfig) wazero.ModuleConfig {
	return m.WithNanotime(c.now, 1).WithNanosleep(c.sleep)
}

// runWASI runs a WASI-only guest under wazero's own WASI and returns its
// stdout and exit code.
func runWASI(t *testing.T, rt wazero.Runtime, file string, args []string, env map[string]string) (string, uint32) {
	t.Helper()
	ctx := context.Background()
	bin, err := os.ReadFile(Path(file))
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	cfg := wazero.NewModuleConfig().
		WithStdout(&out).WithStderr(&errOut).
		WithArgs(append([]string{strings.TrimSuffix(filepath.Base(file), ".wasm")}, args...)...).
		WithName("")
	cfg = (&fakeClock{}).config(cfg)
	for k, v := range env {
		cfg = cfg.WithEnv(k, v)
	}
	mod, err := rt.InstantiateWithConfig(ctx, bin, cfg)
	code := uint32(0)
	if err != nil {
		ee, ok := err.(*sys.ExitError)
		if !ok {
			t.Fatalf("%s %v: %v (stderr %q)", file, args, err, errOut.String())
		}
		code = ee.ExitCode()
	}
	if mod != nil {
		mod.Close(ctx)
	}
	if code != 0 {
		t.Logf("%s %v exited %d; stderr: %s", file, args, code, errOut.String())
	}
	return out.String(), code
}

// TestWASIGuestsRun runs the guests that need nothing but WASI, with small
// sizes, and checks their output against values computed independently
// (the checksums were computed by a separate implementation).
func TestWASIGuestsRun(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(ctx)
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)

	cases := []struct {
		file string
		args []string
		env  map[string]string
		want string // a regexp the whole output must match
	}{
		{"hello.wasm", []string{"a", "b c"}, map[string]string{"K": "V"},
			`^hello, world from hello\n  arg\[1\] = a\n  arg\[2\] = b c\n  env K=V\n$`},
		{"spin.wasm", []string{"1000"}, nil,
			`^(spin: [1-3]/4 done, checksum [0-9a-f]{16}\n){3}spin: 4/4 done, checksum a0111981fa013f21\n$`},
		{"primes.wasm", nil, nil,
			`^primes: 2 3 5 7 11 13 .* 193 197 199\ncount 46 sum 4227\n$`},
		{"alice.wasm", nil, nil,
			`^alice: 1/3, virtual time 1\.000s\nalice: 2/3, virtual time 2\.000s\nalice: 3/3, virtual time 3\.000s\n$`},
		{"bob.wasm", []string{"2"}, nil,
			`^bob: 1/2, virtual time 1\.000s\nbob: 2/2, virtual time 2\.000s\n$`},
		{"bench/loop.wasm", []string{"1000"}, nil, `^loop 1000: checksum e1bcd264\n$`},
		{"bench/fib.wasm", []string{"20"}, nil, `^fib\(20\) = 6765, 21891 calls\n$`},
		{"bench/stream.wasm", []string{"1"}, nil, `^stream 1 MiB x 1: checksum 59441000\n$`},
		{"bench/sha256.wasm", []string{"1"}, nil,
			`^sha256 of 1 MiB: 0c44766520536c6789f1dda2cc2a58dbde70e889119c918e034d2ec0d66e4453\n$`},
		{"bench/gowork.wasm", []string{"1000"}, nil, `^gowork 1000: \d+ distinct keys, sha256 [0-9a-f]{64}\n$`},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			out, code := runWASI(t, rt, c.file, c.args, c.env)
			if code != 0 {
				t.Errorf("exit code %d, want 0; output %q", code, out)
			}
			if !regexp.MustCompile(c.want).MatchString(out) {
				t.Errorf("output %q does not match %q", out, c.want)
			}
			// Same inputs, same bytes: guests must not depend on anything
			// but their arguments (wazero's WASI gives no real randomness
			// or clock variation that the C guests read).
			again, _ := runWASI(t, rt, c.file, c.args, c.env)
			if again != out {
				t.Errorf("second run printed %q, first %q", again, out)
			}
		})
	}
}
