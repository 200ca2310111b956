package main

// The WASI preview1 test suite (C and AssemblyScript), run the way its
// doc/specification.md asks of an engine's command line: `dosemu run` with
// --env for the environment (otherwise empty), --dir ROOT::/ for "root",
// the args after the program, and the exit code and output compared.

import (
	"dosemu/internal/wasisuite"

	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// suiteExceptions lists tests not expected to pass under dosemu run, each
// with its reason. Empty: every test passes.
var suiteExceptions = map[string]string{}

func TestWASISuiteThroughRun(t *testing.T) {
	dir := wasisuite.Dir(t)
	total := 0
	for _, suite := range []string{"c", "assemblyscript"} {
		sdir := filepath.Join(dir, "tests", suite, "testsuite", "wasm32-wasip1")
		wasms, _ := filepath.Glob(filepath.Join(sdir, "*.wasm"))
		if len(wasms) == 0 {
			t.Fatalf("suite %s: no tests in %s", suite, sdir)
		}
		sort.Strings(wasms)
		for _, w := range wasms {
			name := strings.TrimSuffix(filepath.Base(w), ".wasm")
			total++
			t.Run(suite+"/"+name, func(t *testing.T) {
				if why, ok := suiteExceptions[suite+"/"+name]; ok {
					t.Skip("exception: " + why)
				}
				runSuiteCase(t, sdir, name)
			})
		}
	}
	t.Logf("%d suite tests", total)
}

func runSuiteCase(t *testing.T, sdir, name string) {
	sp, err := wasisuite.ReadSpec(sdir, name)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"run"}
	keys := make([]string, 0, len(sp.Env))
	for k := range sp.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--env", k+"="+sp.Env[k])
	}
	if sp.Root != nil {
		// Tests write into their root; each gets a fresh copy without the
		// *.cleanup artifacts the specification says to remove.
		root := t.TempDir()
		if err := copySuiteTree(filepath.Join(sdir, *sp.Root), root); err != nil {
			t.Fatalf("copying root %s: %v", *sp.Root, err)
		}
		args = append(args, "--dir", root+"::/")
	}
	args = append(args, filepath.Join(sdir, name+".wasm"))
	args = append(args, sp.Args...)
	code, stdout, stderr := dosemu(t, args...)
	if code != int(sp.ExitCode) {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, sp.ExitCode, stdout, stderr)
	}
	if sp.Stdout != nil && stdout != *sp.Stdout {
		t.Errorf("stdout %q, want %q", stdout, *sp.Stdout)
	}
	if sp.Stderr != nil && stderr != *sp.Stderr {
		t.Errorf("stderr %q, want %q", stderr, *sp.Stderr)
	}
}

func copySuiteTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".cleanup") {
			return nil
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(out, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, out)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
}
