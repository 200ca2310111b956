package wasi_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"dosemu/internal/wasisuite"
	"dosemu/vfs"
)

// knownFailures lists suite tests not expected to pass, with the reason.
var knownFailures = map[string]string{}

func TestConformance(t *testing.T) {
	dir := wasisuite.Dir(t)
	for _, suite := range []string{"c", "assemblyscript"} {
		sdir := filepath.Join(dir, "tests", suite, "testsuite", "wasm32-wasip1")
		wasms, _ := filepath.Glob(filepath.Join(sdir, "*.wasm"))
		if len(wasms) == 0 {
			t.Fatalf("suite %s: no tests in %s", suite, sdir)
		}
		sort.Strings(wasms)
		for _, w := range wasms {
			name := strings.TrimSuffix(filepath.Base(w), ".wasm")
			modes := []string{"host"}
			if b, err := os.ReadFile(filepath.Join(sdir, name+".json")); err == nil && bytes.Contains(b, []byte(`"root"`)) {
				// Tests with files run twice: on a host mount and in memory.
				modes = append(modes, "mem")
			}
			for _, mode := range modes {
				t.Run(suite+"/"+name+"/"+mode, func(t *testing.T) {
					if why, ok := knownFailures[suite+"/"+name]; ok {
						t.Skip("known failure: " + why)
					}
					runSuiteTest(t, sdir, name, mode)
				})
			}
		}
	}
}

func runSuiteTest(t *testing.T, sdir, name, mode string) {
	sp, err := wasisuite.ReadSpec(sdir, name)
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(filepath.Join(sdir, name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for k, v := range sp.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	var stdout, stderr bytes.Buffer
	p := newTestProc(append([]string{name + ".wasm"}, sp.Args...), env, nil, &stdout, &stderr)
	if sp.Root != nil {
		tmp := t.TempDir()
		if err := copyTree(filepath.Join(sdir, *sp.Root), tmp); err != nil {
			t.Fatalf("copy root: %v", err)
		}
		var ns *vfs.Namespace
		switch mode {
		case "host":
			h, err := vfs.NewHostFS(tmp)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			ns = vfs.NewNamespace(vfs.NewMemFS(1, nil, 0))
			if err := ns.Mount(".", h); err != nil {
				t.Fatal(err)
			}
		case "mem":
			m := vfs.NewMemFS(1, func() int64 { return testEpoch }, 0)
			if err := loadTree(m, tmp); err != nil {
				t.Fatalf("load root into memory: %v", err)
			}
			ns = vfs.NewNamespace(m)
		}
		p.preopen(t, ns, "/")
	}
	code, err := run(t, p, wasm)
	if err != nil {
		t.Fatalf("run: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	if p.deadlock {
		t.Errorf("guest blocked forever")
	}
	if code != sp.ExitCode {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, sp.ExitCode, stdout.String(), stderr.String())
	}
	if sp.Stdout != nil && stdout.String() != *sp.Stdout {
		t.Errorf("stdout %q, want %q", stdout.String(), *sp.Stdout)
	}
	if sp.Stderr != nil && stderr.String() != *sp.Stderr {
		t.Errorf("stderr %q, want %q", stderr.String(), *sp.Stderr)
	}
}

// copyTree copies a directory (the suite's read-only root) to dst, making
// the copy writable, and leaves out *.cleanup artifacts.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if strings.HasSuffix(p, ".cleanup") {
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		if d.Type()&fs.ModeSymlink != 0 {
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(t, out)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
}

// loadTree copies a host directory into a MemFS.
func loadTree(m *vfs.MemFS, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		switch {
		case d.IsDir():
			return m.Mkdir(rel)
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return m.Symlink(t, rel)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := m.Open(rel, vfs.OpenMode{OFlags: vfs.OCreat | vfs.OTrunc, Write: true})
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteAt(b, 0)
		return err
	})
}
