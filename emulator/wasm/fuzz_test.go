package wasm

import (
	"os"
	"testing"
)

// FuzzDecode decodes arbitrary bytes; whatever decodes must encode, decode
// again to an equal module, and validate and type without panicking.
func FuzzDecode(f *testing.F) {
	f.Add(paddedModule())
	if mods := specModulesNoSkip(); len(mods) > 0 {
		for _, sm := range mods {
			if data, err := os.ReadFile(sm.path); err == nil && len(data) < 1<<16 {
				f.Add(data)
			}
		}
	}
	for _, p := range realModules(f) {
		if data, err := os.ReadFile(p); err == nil && len(data) < 1<<16 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			return
		}
		enc, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded module does not encode: %v", err)
		}
		m2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded module does not decode: %v", err)
		}
		if diff := diffModules(m, m2); diff != "" {
			t.Fatalf("round trip differs:\n%s", diff)
		}
		if Validate(m) == nil {
			for i := range m.Funcs {
				ft, err := m.Typing(uint32(m.NumImportedFuncs() + i))
				if err != nil {
					t.Fatalf("valid module, typing func %d: %v", i, err)
				}
				var buf []ValType
				for k := range ft.Points {
					buf = ft.Stack(k, buf[:0])
				}
			}
		}
	})
}

func specModulesNoSkip() []specModule {
	specModules(skipless{})
	return specMods
}
