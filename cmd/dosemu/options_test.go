package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseBootDefaultsAndInterleaving(t *testing.T) {
	o, err := parseBoot([]string{"a.wasm", "--computers", "3", "b.wasm", "--cores=2", "--seed", "0x10", "--quantum", "250us", "--chaos", "capture=4", "--", "--odd.wasm"})
	if err != nil {
		t.Fatal(err)
	}
	want := &bootOptions{
		Computers: 3, Cores: 2, Quantum: 250 * time.Microsecond, Seed: 16,
		Chaos:    chaosSpec{Capture: 4},
		Programs: []string{"a.wasm", "b.wasm", "--odd.wasm"},
	}
	if d := cmp.Diff(want, o); d != "" {
		t.Fatalf("parseBoot (-want +got):\n%s", d)
	}
	o, err = parseBoot([]string{"x.wasm"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Computers != 1 || o.Cores != 1 || o.Quantum != time.Millisecond || o.Seed != 1 {
		t.Fatalf("defaults = %+v", o)
	}
}

func TestParseBootErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // substring of the one-line error
	}{
		{[]string{}, "no programs given"},
		{[]string{"--computers", "0", "a.wasm"}, "--computers 0"},
		{[]string{"--computers", "x", "a.wasm"}, `invalid value "x" for flag --computers`},
		{[]string{"--cores", "5000", "a.wasm"}, "--cores 5000"},
		{[]string{"--quantum", "fast", "a.wasm"}, `"fast" is not a duration`},
		{[]string{"--quantum", "1ns", "a.wasm"}, "shorter than the smallest quantum"},
		{[]string{"--seed", "-1", "a.wasm"}, `"-1" is not a whole number`},
		{[]string{"--chaos", "capture=0", "a.wasm"}, "capture=\"0\""},
		{[]string{"--chaos", "explode=1", "a.wasm"}, `unknown chaos "explode"`},
		{[]string{"--chaos", "capture", "a.wasm"}, "is not key=N"},
		{[]string{"--sched", "nonesuch", "a.wasm"}, `unknown scheduler "nonesuch"`},
		{[]string{"--sched", "./no/such/plugin", "a.wasm"}, `plugin "./no/such/plugin"`},
		{[]string{"--bogus", "a.wasm"}, "unknown flag --bogus"},
		{[]string{"--trace", "t", "--perfetto", "t", "a.wasm"}, "both write"},
	} {
		_, err := parseBoot(tc.args)
		if err == nil {
			t.Errorf("parseBoot(%q) succeeded, want an error containing %q", tc.args, tc.want)
			continue
		}
		if _, ok := err.(*usageError); !ok {
			t.Errorf("parseBoot(%q) = %T %v, want a usage error", tc.args, err, err)
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("parseBoot(%q) error %q: want one line containing %q", tc.args, err, tc.want)
		}
	}
}

func TestParseRun(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DOSEMU_TEST_HOSTVAR", "from-host")
	o, err := parseRun([]string{"--env", "A=1", "--env=DOSEMU_TEST_HOSTVAR", "--dir", dir + "::/", "--dir", dir + ":/data/", "--dir", dir, "p.wasm", "--env", "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := &runOptions{
		Env:     envList{"A=1", "DOSEMU_TEST_HOSTVAR=from-host"},
		Dirs:    dirList{{dir, "/"}, {dir, "/data"}, {dir, dir}},
		Quantum: time.Millisecond, Seed: 1,
		Program: "p.wasm",
		Args:    []string{"--env", "x"},
	}
	if d := cmp.Diff(want, o); d != "" {
		t.Fatalf("parseRun (-want +got):\n%s", d)
	}
}

func TestParseRunErrors(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/f"
	if err := writeFile(file, "x"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no program given"},
		{[]string{"--env", "=v", "p.wasm"}, "no variable name"},
		{[]string{"--env", "DOSEMU_SURELY_UNSET_VAR", "p.wasm"}, "host has no DOSEMU_SURELY_UNSET_VAR"},
		{[]string{"--dir", dir + "/missing:/", "p.wasm"}, "missing"},
		{[]string{"--dir", file + ":/", "p.wasm"}, "is not a directory"},
		{[]string{"--dir", dir + ":", "p.wasm"}, "empty guest path"},
		{[]string{"--dir", ":/x", "p.wasm"}, "no host directory"},
	} {
		_, err := parseRun(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseRun(%q) = %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
}

func TestCommandLineErrorsExit2WithUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"frobnicate"},
		{"boot"},
		{"boot", "--computers", "-3", "a.wasm"},
		{"run"},
		{"run", "--nope", "a.wasm"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb)
		if code != exitUsage {
			t.Errorf("dosemu %q exited %d, want %d", args, code, exitUsage)
		}
		first, rest, _ := strings.Cut(errb.String(), "\n")
		if !strings.HasPrefix(first, "dosemu") || !strings.Contains(rest, "usage: dosemu") {
			t.Errorf("dosemu %q stderr = %q, want one error line then the usage", args, errb.String())
		}
		if out.Len() != 0 {
			t.Errorf("dosemu %q wrote %q to stdout on a usage error", args, out.String())
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"boot", "--help"}, {"run", "-h"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 0 {
			t.Errorf("dosemu %q exited %d", args, code)
		}
		if !strings.Contains(out.String(), "usage: dosemu") || errb.Len() != 0 {
			t.Errorf("dosemu %q: stdout %q stderr %q", args, out.String(), errb.String())
		}
	}
	var out bytes.Buffer
	run(context.Background(), []string{"boot", "--help"}, &out, &out)
	if !strings.Contains(out.String(), "priority") || strings.Contains(out.String(), "%!") {
		t.Errorf("boot usage does not list the schedulers: %s", out.String())
	}
}

func FuzzParseArgs(f *testing.F) {
	f.Add("boot\x00--computers\x003\x00a.wasm")
	f.Add("run\x00--dir\x00/tmp::/\x00p.wasm\x00x")
	f.Add("boot\x00--chaos\x00capture=1,migrate=2\x00--seed\x000x")
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		if len(args) == 0 {
			return
		}
		// Parsing must answer with options or an error, never panic; no
		// guest runs, so only the parsers are exercised.
		switch args[0] {
		case "boot":
			if o, err := parseBoot(args[1:]); err == nil && (o.Computers < 1 || o.Cores < 1) {
				t.Fatalf("accepted %q with %+v", args, o)
			}
		case "run":
			if o, err := parseRun(args[1:]); err == nil && o.Program == "" {
				t.Fatalf("accepted %q without a program", args)
			}
		}
	})
}
