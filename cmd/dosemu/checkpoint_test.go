package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckpointThenRestoreEqualsOneRun: the output before the checkpoint
// plus the output of the restore is exactly the uninterrupted run's, and
// so is the exit code. goinfo prints the virtual time its work took, so it
// also checks that the clocks continue where they were.
func TestCheckpointThenRestoreEqualsOneRun(t *testing.T) {
	for _, tc := range []struct {
		prog string
		args []string
		at   string
	}{
		{"spin", []string{"4000000"}, "1ms"},
		{"bench/stream", []string{"2", "3"}, "3ms"},
		{"bench/sha256", []string{"1"}, "2ms"},
		{"goinfo", []string{"200000"}, "3ms"},
	} {
		t.Run(tc.prog, func(t *testing.T) {
			if tc.prog == "goinfo" && testing.Short() {
				t.Skip("-short: compiling a Go guest three times takes most of a minute")
			}
			run := append([]string{"run", "--quantum", "200us", guest(tc.prog)}, tc.args...)
			wantCode, want, wantErr := dosemu(t, run...)
			file := filepath.Join(t.TempDir(), "cp")
			ck := append([]string{"checkpoint", "--at", tc.at, "-o", file, "--quantum", "200us", guest(tc.prog)}, tc.args...)
			code, before, errs := dosemu(t, ck...)
			if code != 0 || !strings.Contains(errs, "checkpointed") {
				t.Fatalf("checkpoint: exit %d, stderr %q", code, errs)
			}
			code, after, errs2 := dosemu(t, "restore", file)
			if code != wantCode || before+after != want || errs2 != wantErr {
				t.Fatalf("checkpoint+restore: exit %d\nstdout %q + %q\nstderr %q\nwant exit %d, stdout %q, stderr %q", code, before, after, errs2, wantCode, want, wantErr)
			}
		})
	}
}

// TestCheckpointViaRunFlagsWithDir: --checkpoint-at/--checkpoint-to on
// run, with a preopened directory that restore opens again.
func TestCheckpointViaRunFlagsWithDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cp")
	code, _, errs := dosemu(t, "run", "--dir", dir+"::/data", "--checkpoint-at", "1ms", "--checkpoint-to", file, guest("spin"), "3000000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if code, out, errs := dosemu(t, "restore", file); code != 0 || !strings.Contains(out, "spin") {
		t.Fatalf("restore: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// The directory is gone: restore says which and why.
	os.Remove(file + ".keep")
	gone := filepath.Join(t.TempDir(), "gone")
	os.Mkdir(gone, 0o755)
	file2 := filepath.Join(dir, "cp2")
	if code, _, errs := dosemu(t, "run", "--dir", gone, "--checkpoint-at", "1ms", "--checkpoint-to", file2, guest("spin"), "3000000"); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	os.Remove(gone)
	code, _, errs = dosemu(t, "restore", file2)
	if code != exitFailed || !strings.Contains(errs, "preopened directory") || strings.Count(errs, "\n") != 1 {
		t.Fatalf("restore without its directory: exit %d, stderr %q", code, errs)
	}
}

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	// A program that ends before any preemption: nothing is written.
	file := filepath.Join(dir, "never")
	code, out, errs := dosemu(t, "checkpoint", "--at", "1ms", "-o", file, guest("hello"))
	if code != exitFailed || !strings.Contains(out, "hello, world") || !strings.Contains(errs, "no checkpoint written") {
		t.Errorf("hello: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("a checkpoint file was written for a program that ended")
	}
	// Bad files: one line naming the file and the cause.
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("not a checkpoint at all"), 0o644)
	for _, tc := range []struct{ file, want string }{
		{filepath.Join(dir, "missing"), "no such file"},
		{bad, "not a dosemu checkpoint"},
		{guest("hello"), "not a dosemu checkpoint"},
	} {
		code, _, errs := dosemu(t, "restore", tc.file)
		if code != exitFailed || !strings.Contains(errs, tc.want) || !strings.Contains(errs, tc.file) || strings.Count(errs, "\n") != 1 {
			t.Errorf("restore %s: exit %d, stderr %q, want one line with %q", tc.file, code, errs, tc.want)
		}
	}
	// A corrupted good checkpoint.
	good := filepath.Join(dir, "good")
	if code, _, errs := dosemu(t, "checkpoint", "--at", "1ms", "-o", good, guest("spin"), "3000000"); code != 0 {
		t.Fatalf("checkpoint: %d %s", code, errs)
	}
	b, _ := os.ReadFile(good)
	b[len(b)/2] ^= 1
	os.WriteFile(good, b, 0o644)
	if code, _, errs := dosemu(t, "restore", good); code != exitFailed || !strings.Contains(errs, "corrupt") {
		t.Errorf("corrupt restore: exit %d, stderr %q", code, errs)
	}
	// Usage mistakes.
	for _, args := range [][]string{
		{"checkpoint", guest("spin")},
		{"checkpoint", "--at", "1ms", guest("spin")},
		{"checkpoint", "--at", "soon", "-o", good, guest("spin")},
		{"run", "--checkpoint-at", "1ms", guest("spin")},
		{"restore"},
		{"restore", "a", "b"},
	} {
		if code, _, _ := dosemu(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}
