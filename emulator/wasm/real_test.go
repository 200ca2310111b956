package wasm

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/tetratelabs/wazero"
)

// realModules lists toolchain-built modules available on this machine: the
// repository's guests (clang and Go output), the shared WASI test suites
// (clang and AssemblyScript), and the C/TinyGo samples in wazero's module.
func realModules(t testing.TB) []string {
	var paths []string
	walk := func(root string) {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Ext(p) == ".wasm" {
				paths = append(paths, p)
			}
			return nil
		})
	}
	walk(filepath.Join("..", "..", "guests"))
	walk("/work/shared/testsuites")
	if dir := wazeroDir(); dir != "" {
		for _, p := range []string{
			"imports/wasi_snapshot_preview1/testdata/zig-cc/wasi.wasm",
			"examples/allocation/tinygo/testdata/greet.wasm",
		} {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
				paths = append(paths, filepath.Join(dir, p))
			}
		}
	}
	sort.Strings(paths)
	return paths
}

func wazeroDir() string {
	specModules(skipless{})
	if specDir == "" {
		return ""
	}
	return filepath.Clean(filepath.Join(specDir, "..", "..", "..", "..", ".."))
}

// skipless lets wazeroDir reuse the spec lookup without skipping.
type skipless struct{ testing.TB }

func (skipless) Skip(...any) {}

func TestRealModulesRoundTrip(t *testing.T) {
	paths := realModules(t)
	if len(paths) == 0 {
		t.Skip("no toolchain-built .wasm found")
	}
	ctx := context.Background()
	// The interpreter runs wazero's full decoder and validator but skips
	// native code generation, which takes minutes for these modules on a
	// loaded 2-core machine; the spec test uses the compiler.
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(data)
		if err != nil {
			t.Errorf("%s: decode: %v", p, err)
			continue
		}
		if err := Validate(m); err != nil {
			t.Errorf("%s: validate: %v", p, err)
			continue
		}
		enc, err := Encode(m)
		if err != nil {
			t.Errorf("%s: encode: %v", p, err)
			continue
		}
		m2, err := Decode(enc)
		if err != nil {
			t.Errorf("%s: re-decode: %v", p, err)
			continue
		}
		if diff := diffModules(m, m2); diff != "" {
			t.Errorf("%s: round trip differs:\n%.2000s", p, diff)
			continue
		}
		customs := []string{}
		for _, c := range m.Customs {
			customs = append(customs, c.Name)
		}
		t.Logf("%s: %d bytes -> %d re-encoded, %d funcs, %d instrs, customs %v", filepath.Base(p), len(data), len(enc), len(m.Funcs), m.NumInstrs(), customs)
		if len(enc) > 1<<20 && os.Getenv("WASM_COMPILE_BIG") == "" {
			// wazero needs tens of seconds for a multi-megabyte Go guest
			// on a loaded 2-core machine; the equal round trip above
			// already shows the encoding is faithful. WASM_COMPILE_BIG=1
			// compiles these too.
			continue
		}
		cm, err := rt.CompileModule(ctx, enc)
		if err != nil {
			t.Errorf("%s: wazero rejects the re-encoded module: %v", p, err)
			continue
		}
		cm.Close(ctx)
	}
}
