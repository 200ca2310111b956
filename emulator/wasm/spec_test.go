package wasm

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/tetratelabs/wazero"
)

// specModule is one binary module named by a spec-suite script.
type specModule struct {
	path string // .wasm file
	kind string // command type: module, assert_invalid, assert_malformed, ...
	text string // expected failure text for assert_* commands
}

var (
	specOnce sync.Once
	specMods []specModule
	specDir  string
)

// specModules lists the binary modules of the WebAssembly 2.0 spec suite
// shipped in wazero's module download, or skips the test if it is absent.
func specModules(t testing.TB) []specModule {
	specOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/tetratelabs/wazero").Output()
		if err != nil {
			return
		}
		specDir = filepath.Join(strings.TrimSpace(string(out)), "internal", "integration_test", "spectest", "v2", "testdata")
		jsons, _ := filepath.Glob(filepath.Join(specDir, "*.json"))
		sort.Strings(jsons)
		for _, j := range jsons {
			raw, err := os.ReadFile(j)
			if err != nil {
				continue
			}
			var script struct {
				Commands []struct {
					Type       string `json:"type"`
					Filename   string `json:"filename"`
					ModuleType string `json:"module_type"`
					Text       string `json:"text"`
				} `json:"commands"`
			}
			if json.Unmarshal(raw, &script) != nil {
				continue
			}
			for _, c := range script.Commands {
				if !strings.HasSuffix(c.Filename, ".wasm") {
					continue
				}
				if c.Type != "module" && c.ModuleType != "binary" {
					continue
				}
				specMods = append(specMods, specModule{path: filepath.Join(specDir, c.Filename), kind: c.Type, text: c.Text})
			}
		}
	})
	if len(specMods) == 0 {
		t.Skip("wazero spec-suite testdata not found (go list -m github.com/tetratelabs/wazero); skipping")
	}
	return specMods
}

// validKind reports whether the command's module must decode and validate.
func validKind(kind string) bool {
	switch kind {
	case "module", "assert_uninstantiable", "assert_unlinkable", "assert_trap", "assert_exhaustion":
		return true
	}
	return false
}

func TestSpecValidModulesRoundTrip(t *testing.T) {
	mods := specModules(t)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	n := 0
	for _, sm := range mods {
		if !validKind(sm.kind) {
			continue
		}
		data, err := os.ReadFile(sm.path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(sm.path)
		n++
		m, err := Decode(data)
		if err != nil {
			t.Errorf("%s: decode: %v", name, err)
			continue
		}
		if err := Validate(m); err != nil {
			t.Errorf("%s: validate: %v", name, err)
			continue
		}
		for fi := range m.Funcs {
			if _, err := m.Typing(uint32(m.NumImportedFuncs() + fi)); err != nil {
				t.Errorf("%s: typing func %d: %v", name, fi, err)
			}
		}
		enc, err := Encode(m)
		if err != nil {
			t.Errorf("%s: encode: %v", name, err)
			continue
		}
		m2, err := Decode(enc)
		if err != nil {
			t.Errorf("%s: re-decode: %v", name, err)
			continue
		}
		if diff := diffModules(m, m2); diff != "" {
			t.Errorf("%s: round trip differs (-orig +re-decoded):\n%s", name, diff)
			continue
		}
		cm, err := rt.CompileModule(ctx, enc)
		if err != nil {
			t.Errorf("%s: wazero rejects the re-encoded module: %v", name, err)
			continue
		}
		cm.Close(ctx)
	}
	t.Logf("%d valid spec modules decoded, validated, typed, re-encoded, re-decoded equal and compiled by wazero", n)
}

// isOffsetField matches Func.Offset, which records where a body was in the
// input and so legitimately changes when LEBs are re-encoded minimally.
func isOffsetField(p cmp.Path) bool {
	if sf, ok := p.Last().(cmp.StructField); ok {
		return sf.Name() == "Offset" && p.Index(-2).Type() == funcType
	}
	return false
}

var funcType = reflect.TypeOf(Func{})

// cmpOpts compare modules up to what Encode does not preserve: body
// offsets and the difference between nil and empty slices.
var cmpOpts = []cmp.Option{cmp.FilterPath(isOffsetField, cmp.Ignore()), cmpopts.EquateEmpty()}

// specRejectExceptions lists spec modules that must be rejected but that
// Decode+Validate accepts, with the reason. Keep it empty or justified.
var specRejectExceptions = map[string]string{}

func TestSpecInvalidModulesRejected(t *testing.T) {
	mods := specModules(t)
	counts := map[string]int{}
	rejected := map[string]int{}
	for _, sm := range mods {
		if sm.kind != "assert_invalid" && sm.kind != "assert_malformed" {
			continue
		}
		data, err := os.ReadFile(sm.path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(sm.path)
		counts[sm.kind]++
		m, err := Decode(data)
		if err == nil {
			err = Validate(m)
		}
		if err != nil {
			rejected[sm.kind]++
			var we *Error
			if !errors.As(err, &we) {
				t.Errorf("%s: error is %T, want *wasm.Error: %v", name, err, err)
			}
			continue
		}
		if why, ok := specRejectExceptions[name]; ok {
			t.Logf("%s: accepted (%s): known exception: %s", name, sm.text, why)
			continue
		}
		t.Errorf("%s: %s (%q) but Decode+Validate accepted it", name, sm.kind, sm.text)
	}
	for k, n := range counts {
		t.Logf("%s: %d binary modules, %d rejected", k, n, rejected[k])
	}
}

// TestSpecAgreesWithWazero checks that every binary module of the suite
// that wazero refuses to compile is also refused by Decode+Validate, and
// that every module we accept, wazero accepts.
func TestSpecAgreesWithWazero(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every spec module with wazero")
	}
	mods := specModules(t)
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	agree, lenient := 0, 0
	for _, sm := range mods {
		data, err := os.ReadFile(sm.path)
		if err != nil {
			t.Fatal(err)
		}
		m, ourErr := Decode(data)
		if ourErr == nil {
			ourErr = Validate(m)
		}
		cm, wzErr := rt.CompileModule(ctx, data)
		if wzErr == nil {
			cm.Close(ctx)
		}
		if ourErr != nil && wzErr == nil && sm.kind == "assert_invalid" {
			// wazero v1.12 accepts mutable imported globals in constant
			// expressions (data.57, data.60, elem.47, elem.50, global.22);
			// the spec says invalid, and so do we.
			t.Logf("%s: wazero accepts a module the suite marks invalid; we reject it: %v", filepath.Base(sm.path), ourErr)
			lenient++
			continue
		}
		if (ourErr == nil) != (wzErr == nil) {
			t.Errorf("%s (%s): we say %v, wazero says %v", filepath.Base(sm.path), sm.kind, ourErr, wzErr)
			continue
		}
		agree++
	}
	t.Logf("%d of %d spec binary modules: accept/reject agrees with wazero; %d invalid modules wazero accepts are rejected here", agree, len(mods), lenient)
}
