package main

// End-to-end tests: the commands over the real emulator, kernel and guest
// programs from guests/ and testdata/guests/ (sources beside them).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	repo     = "../.."
	fixtures = "../../testdata/guests/"
)

func guest(name string) string { return filepath.Join(repo, "guests", name+".wasm") }

// dosemu runs the command in-process and returns its status and output.
func dosemu(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRunHello(t *testing.T) {
	code, out, errs := dosemu(t, "run", "--env", "GREETING=hi", guest("hello"), "a", "b c")
	want := "hello, world from hello.wasm\n  arg[1] = a\n  arg[2] = b c\n  env GREETING=hi\n"
	if code != 0 || out != want || errs != "" {
		t.Fatalf("dosemu run hello: exit %d\nstdout %q\nstderr %q\nwant exit 0, stdout %q", code, out, errs, want)
	}
}

func TestRunPassesExitCodeAndStreams(t *testing.T) {
	code, out, errs := dosemu(t, "run", fixtures+"exit7.wasm")
	if code != 7 || out != "out line\n" || errs != "err line\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 7, %q, %q", code, out, errs, "out line\n", "err line\n")
	}
}

func TestRunTrap(t *testing.T) {
	code, out, errs := dosemu(t, "run", fixtures+"trap.wasm")
	if code != exitTrap {
		t.Errorf("trapping guest: exit %d, want %d", code, exitTrap)
	}
	if out != "about to trap" {
		t.Errorf("stdout %q: the output before the trap was lost", out)
	}
	assertOneLineErrors(t, errs, []string{"trap.wasm: ", "unreachable"})
}

func TestRunBadPrograms(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{fixtures + "notwasm.wasm", []string{"notwasm.wasm", "not a WebAssembly binary"}},
		{fixtures + "invalid.wasm", []string{"invalid.wasm", "invalid"}},
		{fixtures + "unknownimport.wasm", []string{"unknownimport.wasm", "env.no_such_function"}},
		{fixtures + "missing.wasm", []string{"missing.wasm", "no such file"}},
	} {
		code, out, errs := dosemu(t, "run", tc.file)
		if code != exitFailed || out != "" {
			t.Errorf("dosemu run %s: exit %d stdout %q, want exit %d and no output", tc.file, code, out, exitFailed)
		}
		assertOneLineErrors(t, errs, tc.want)
	}
}

func TestRunDirAsRoot(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// hello does not open files; this checks that a preopened root is
	// accepted and does not disturb a program, in both spellings.
	for _, spec := range []string{dir + "::/", dir + ":/"} {
		code, out, errs := dosemu(t, "run", "--dir", spec, guest("hello"))
		if code != 0 || !strings.HasPrefix(out, "hello, world") {
			t.Errorf("--dir %s: exit %d stdout %q stderr %q", spec, code, out, errs)
		}
	}
}

// assertOneLineErrors checks that stderr is exactly one line and contains
// every wanted fragment.
func assertOneLineErrors(t *testing.T, stderr string, want []string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is not one line: %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not mention %q", stderr, w)
		}
	}
}

func TestBootBadInputsOthersKeepRunning(t *testing.T) {
	code, out, errs := dosemu(t, "boot", "--cluster", repo+"/testdata/small-cluster.yaml",
		guest("hello"),
		fixtures+"notwasm.wasm", fixtures+"invalid.wasm", fixtures+"unknownimport.wasm",
		fixtures+"trap.wasm", fixtures+"bigmem.wasm",
		guest("primes"))
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	// The good programs ran to the end.
	for _, w := range []string{"[c0:2 hello] hello, world", "[c0:4 primes] count 46", "[c0:3 trap] about to trap\n", "COMPUTER", "exit 0"} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	// Each bad one got exactly one line naming it and its cause.
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	causes := map[string]string{
		"notwasm.wasm":       "not a WebAssembly binary",
		"invalid.wasm":       "invalid",
		"unknownimport.wasm": "env.no_such_function",
		"bigmem.wasm":        "memory limit",
		"c0:3 trap":          "unreachable",
	}
	if len(lines) != len(causes) {
		t.Errorf("%d error lines, want %d:\n%s", len(lines), len(causes), errs)
	}
	for prog, cause := range causes {
		n := 0
		for _, l := range lines {
			if strings.Contains(l, prog) {
				n++
				if !strings.HasPrefix(l, "dosemu: ") || !strings.Contains(l, cause) {
					t.Errorf("error line for %s is %q, want \"dosemu: \" and %q", prog, l, cause)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d error lines name %s, want 1:\n%s", n, prog, errs)
		}
	}
}

func TestBootExitCodes(t *testing.T) {
	if code, _, errs := dosemu(t, "boot", "--computers", "2", guest("hello"), guest("primes")); code != 0 {
		t.Errorf("good guests: exit %d, stderr %q", code, errs)
	}
	if code, out, _ := dosemu(t, "boot", guest("hello"), fixtures+"exit7.wasm"); code != exitFailed || !strings.Contains(out, "exit 7") {
		t.Errorf("a guest exiting 7: boot exit %d, want %d with the status in the summary:\n%s", code, exitFailed, out)
	}
}

func TestBootInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if Ctrl-C came before the first slice
	var out, errb bytes.Buffer
	code := run(ctx, []string{"boot", guest("hello")}, &out, &errb)
	if code != exitInterrupted {
		t.Errorf("interrupted boot: exit %d, want %d", code, exitInterrupted)
	}
	if !strings.Contains(out.String(), "COMPUTER") || !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("interrupted boot must still print the summary and say why:\nstdout %s\nstderr %s", out.String(), errb.String())
	}
}

func TestBootPerfetto(t *testing.T) {
	dir := t.TempDir()
	pf, tf := filepath.Join(dir, "p.json"), filepath.Join(dir, "t.jsonl")
	code, _, errs := dosemu(t, "boot", "--computers", "2", "--cores", "2", "--perfetto", pf, "--trace", tf, guest("primes"), guest("hello"), guest("primes"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(pf)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceEvents []struct {
			Name string         `json:"name"`
			Ph   string         `json:"ph"`
			Pid  int            `json:"pid"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("Perfetto output is not JSON: %v", err)
	}
	slices := map[string]int{}
	procs := map[string]bool{}
	counters := 0
	for _, e := range doc.TraceEvents {
		switch {
		case e.Ph == "X":
			slices[e.Name]++
		case e.Ph == "M" && e.Name == "process_name":
			procs[e.Args["name"].(string)] = true
		case e.Ph == "C":
			counters++
		}
	}
	if slices["primes"] == 0 || slices["hello"] == 0 || !procs["c0"] || !procs["c1"] || counters == 0 {
		t.Errorf("Perfetto trace lacks run slices, computer tracks or counters: slices %v, tracks %v, %d counter samples", slices, procs, counters)
	}
	tb, err := os.ReadFile(tf)
	if err != nil || !bytes.Contains(tb, []byte(`"kind":"run"`)) {
		t.Errorf("JSONL trace missing or without run events (err %v)", err)
	}
}

// ---- determinism, through the built binary ----

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

// binary builds cmd/dosemu once per test process.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dosemu-test-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "dosemu")
		cmd := exec.Command("go", "build", "-o", binPath, ".")
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building dosemu: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

func TestMain(m *testing.M) {
	// Compiled code is cached for the package's runs in a directory of
	// their own, not the user's cache.
	cache, err := os.MkdirTemp("", "dosemu-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv(cacheEnv, cache)
	code := m.Run()
	os.RemoveAll(cache)
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

type runResult struct {
	Code   int
	Stdout string
	Stderr string
	Trace  string
}

func execBoot(t *testing.T, gomaxprocs string, args ...string) runResult {
	t.Helper()
	tf := filepath.Join(t.TempDir(), "trace.jsonl")
	cmd := exec.Command(binary(t), append([]string{"boot", "--trace", tf}, args...)...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+gomaxprocs)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running dosemu: %v", err)
	}
	tb, err := os.ReadFile(tf)
	if err != nil {
		t.Fatalf("reading trace: %v", err)
	}
	return runResult{code, out.String(), errb.String(), string(tb)}
}

// busyHost keeps every host core busy until stop is called, so that host
// scheduling is as different as it gets from an idle run.
func busyHost() (stop func()) {
	var done atomic.Bool
	var wg sync.WaitGroup
	for i := 0; i < 2*runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := uint64(i)
			for !done.Load() {
				for j := 0; j < 1000; j++ {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
			_ = x
		}()
	}
	return func() { done.Store(true); wg.Wait() }
}

func TestBootDeterministic(t *testing.T) {
	args := []string{"--seed", "42", "--quantum", "100us", "--plan", repo + "/testdata/plan-determinism.yaml"}
	base := execBoot(t, "1", args...)
	if base.Code != 0 || !strings.Contains(base.Stdout, "[c0:2 spin] spin: 4/4 done") || strings.Count(base.Trace, "\n") < 500 {
		t.Fatalf("baseline run failed or is too small to mean anything: exit %d\n%s\n%s\n%d trace lines",
			base.Code, base.Stdout, base.Stderr, strings.Count(base.Trace, "\n"))
	}
	for _, v := range []struct {
		name, procs string
		busy        bool
	}{
		{"again GOMAXPROCS=1", "1", false},
		{"GOMAXPROCS=2", "2", false},
		{"GOMAXPROCS=2 busy host", "2", true},
	} {
		var stop func()
		if v.busy {
			stop = busyHost()
		}
		got := execBoot(t, v.procs, args...)
		if stop != nil {
			stop()
		}
		if d := cmp.Diff(base, got); d != "" {
			t.Errorf("%s differs from the first run (-first +this):\n%s", v.name, d)
		}
	}
	// Another seed is allowed to differ, but must itself succeed.
	if other := execBoot(t, "2", append(append([]string{}, args...), "--seed", "7")...); other.Code != 0 {
		t.Errorf("seed 7: exit %d: %s", other.Code, other.Stderr)
	}
}
