// Package wasisuite finds the WASI preview1 conformance suite and reads its
// test specifications, for the tests that run it (through kernel/wasi
// alone, with a remote root, and through `dosemu run`).
package wasisuite

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the suite's directory: $WASI_TESTSUITE, or
// ../shared/testsuites/wasi-preview1 beside the repository. When neither
// exists it skips the test — except under CI (CI=true), where a missing
// suite fails it, so CI can never pass by not running the suite.
func Dir(t testing.TB) string {
	t.Helper()
	cands := []string{os.Getenv("WASI_TESTSUITE")}
	if _, file, _, ok := runtime.Caller(0); ok {
		// This file is internal/wasisuite/wasisuite.go in the repository.
		repo := filepath.Join(filepath.Dir(file), "..", "..")
		cands = append(cands, filepath.Join(repo, "..", "shared", "testsuites", "wasi-preview1"))
	}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(c, "tests")); err == nil && fi.IsDir() {
			return c
		}
	}
	msg := "WASI test suite not found: set WASI_TESTSUITE or put it at ../shared/testsuites/wasi-preview1 beside the repository"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Spec is a test's legacy JSON specification (doc/specification.md of the
// suite). Absent fields take the specification's defaults: no args, an
// empty environment, no root, exit code 0; nil Stdout/Stderr mean "".
type Spec struct {
	Args     []string          `json:"args"`
	Env      map[string]string `json:"env"`
	Root     *string           `json:"root"`
	ExitCode uint32            `json:"exit_code"`
	Stdout   *string           `json:"stdout"`
	Stderr   *string           `json:"stderr"`
}

// ReadSpec reads name.json in dir; a test without one gets the defaults.
func ReadSpec(dir, name string) (Spec, error) {
	var sp Spec
	b, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if os.IsNotExist(err) {
		return sp, nil
	}
	if err != nil {
		return sp, err
	}
	if err := json.Unmarshal(b, &sp); err != nil {
		return sp, fmt.Errorf("%s.json: %w", name, err)
	}
	return sp, nil
}
