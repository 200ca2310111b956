package main

// The WASI test suite under chaos: every test program must pass exactly as
// it does without (same exit code, same stdout and stderr as the suite's
// specification says), while dosemu captures it or moves it between
// computers at its chaos points (preemptions and system-call entries).

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"dosemu/internal/wasisuite"
)

// suiteUnder runs every suite test with extra `dosemu run` flags.
//
// Under --chaos it also reads each program's trace and counts the programs
// chaos really acted on (a committed migration under migrate, a capture
// round trip under capture), and fails when it acted on none: a suite
// that never moves proves nothing. With N = 1 every chaos point is a turn,
// and every system call's entry is a chaos point, so every program that
// makes a system call must have been acted on; each one that was not is
// named. Pre-copy is exempt from both: it lets the process run while its
// memory is copied, and these programs end before the first round does.
func suiteUnder(t *testing.T, flags ...string) {
	dir := wasisuite.Dir(t)
	var act []byte // the trace line fragment of chaos acting
	everyPoint := false
	for _, f := range flags {
		for _, what := range []string{"migrate", "capture"} {
			if !strings.HasPrefix(f, what+"=") {
				continue
			}
			act = []byte(`"kind":"capture"`)
			if what == "migrate" {
				act = []byte(`"phase":"commit"`)
			}
			everyPoint = f == what+"=1" || strings.HasPrefix(f, what+"=1,")
		}
	}
	precopy := slices.ContainsFunc(flags, func(f string) bool { return strings.Contains(f, "mode=precopy") })
	ran, acted, calling := 0, 0, 0
	var missed []string
	defer func() {
		if act != nil && !t.Failed() {
			t.Logf("chaos acted on %d of %d programs (%d made system calls)", acted, ran, calling)
			if precopy {
				return
			}
			if acted == 0 {
				t.Errorf("chaos acted on no program: the test proves nothing")
			}
			if everyPoint && len(missed) > 0 {
				t.Errorf("with N=1, programs that made system calls but that chaos never acted on: %s", strings.Join(missed, ", "))
			}
		}
	}()
	for _, suite := range []string{"c", "assemblyscript"} {
		sdir := filepath.Join(dir, "tests", suite, "testsuite", "wasm32-wasip1")
		wasms, _ := filepath.Glob(filepath.Join(sdir, "*.wasm"))
		if len(wasms) == 0 {
			t.Fatalf("suite %s: no tests in %s", suite, sdir)
		}
		sort.Strings(wasms)
		for _, w := range wasms {
			name := strings.TrimSuffix(filepath.Base(w), ".wasm")
			t.Run(suite+"/"+name, func(t *testing.T) {
				if why, ok := suiteExceptions[suite+"/"+name]; ok {
					t.Skip("exception: " + why)
				}
				f := flags
				var trace string
				if act != nil {
					trace = filepath.Join(t.TempDir(), "trace.jsonl")
					f = append(slices.Clip(flags), "--trace", trace)
				}
				runSuiteCaseWith(t, sdir, name, f)
				ran++
				if act == nil {
					return
				}
				b, err := os.ReadFile(trace)
				if err != nil {
					t.Fatal(err)
				}
				did := bytes.Contains(b, act)
				if did {
					acted++
				}
				if bytes.Contains(b, []byte(`"kind":"syscall"`)) {
					calling++
					if !did {
						missed = append(missed, suite+"/"+name)
					}
				}
			})
		}
	}
}

// runSuiteCaseWith is runSuiteCase with flags added to `dosemu run`.
func runSuiteCaseWith(t *testing.T, sdir, name string, flags []string) {
	sp, err := wasisuite.ReadSpec(sdir, name)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"run"}, flags...)
	keys := make([]string, 0, len(sp.Env))
	for k := range sp.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--env", k+"="+sp.Env[k])
	}
	if sp.Root != nil {
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
		t.Errorf("%v: exit code %d, want %d\nstdout: %s\nstderr: %s", flags, code, sp.ExitCode, stdout, stderr)
	}
	if sp.Stdout != nil && stdout != *sp.Stdout {
		t.Errorf("%v: stdout %q, want %q", flags, stdout, *sp.Stdout)
	}
	if sp.Stderr != nil && stderr != *sp.Stderr {
		t.Errorf("%v: stderr %q, want %q", flags, stderr, *sp.Stderr)
	}
}

// TestWASISuiteUnderChaosCapture: `dosemu run --chaos capture=1` with the
// shortest quantum (100ns), so that even these short programs are captured,
// serialized and restored a few dozen times each: at every preemption and
// at every system call's entry.
func TestWASISuiteUnderChaosCapture(t *testing.T) {
	suiteUnder(t, "--quantum", "100ns", "--chaos", "capture=1")
}

// TestWASISuiteUnderChaosMigrate: every suite program on a 3-computer
// cluster, moved at every chaos point (100ns quantum): every preemption
// and every system call's entry, so that the tiny programs that are never
// preempted move too (all 26 move under migrate=1). By default one
// strategy, post-copy (the one with the most moving parts: demand
// fetches and background pushes); DOSEMU_FULL_MATRIX=1 runs all three
// strategies with migrate=1 and migrate=3.
func TestWASISuiteUnderChaosMigrate(t *testing.T) {
	type cfg struct{ n, mode string }
	cfgs := []cfg{{"1", "postcopy"}}
	if os.Getenv("DOSEMU_FULL_MATRIX") == "1" {
		cfgs = nil
		for _, m := range []string{"stopcopy", "precopy", "postcopy"} {
			for _, n := range []string{"1", "3"} {
				cfgs = append(cfgs, cfg{n, m})
			}
		}
	}
	for _, c := range cfgs {
		t.Run(c.mode+"-"+c.n, func(t *testing.T) {
			suiteUnder(t, "--computers", "3", "--quantum", "100ns", "--chaos", "migrate="+c.n+",mode="+c.mode)
		})
	}
}

// TestRunChaosMigrateOutputsMatch: a guest whose output depends on all of
// its memory prints the same on one computer as when moved around three
// in each strategy, through the command line.
func TestRunChaosMigrateOutputsMatch(t *testing.T) {
	_, want, _ := dosemu(t, "run", "--quantum", "100us", guest("bench/stream"), "2", "3")
	for _, mode := range []string{"stopcopy", "precopy", "postcopy"} {
		code, got, errs := dosemu(t, "run", "--computers", "3", "--quantum", "100us", "--chaos", "migrate=2,mode="+mode, guest("bench/stream"), "2", "3")
		if code != 0 || got != want {
			t.Errorf("%s: exit %d, stdout %q (want %q), stderr %q", mode, code, got, want, errs)
		}
	}
}
