package emulator

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]Size{"0": 0, "4096": 4096, "64MiB": 64 << 20, "1.5 GiB": 3 << 29, "2k": 2048, "7B": 7, "1TiB": 1 << 40} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "12 parsecs", "NaN", "1e30GiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
	if s := Size(64 << 20).String(); s != "64MiB" {
		t.Errorf("String = %q", s)
	}
}

func TestParsePlan(t *testing.T) {
	p, err := ParsePlan([]byte(`
computers:
  - {name: pi, cores: 1, memory: 64MiB, speed: 0.5}
  - {name: big, cores: 8, memory: 4GiB}
programs:
  - program: driver
    args: [driver, --node-id=1]
    env: [LOG=1]
    computer: big
  - program: hello
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Computers) != 2 || p.Computers[0].Memory != 64<<20 || p.Computers[1].Cores != 8 || p.Computers[0].Speed != 0.5 {
		t.Fatalf("computers %+v", p.Computers)
	}
	if len(p.Programs) != 2 || p.Programs[0].Computer != "big" || p.Programs[0].Args[1] != "--node-id=1" {
		t.Fatalf("programs %+v", p.Programs)
	}
	for _, bad := range []string{
		"computers: [{cores: -1}]",
		"computers: [{memory: lots}]",
		"computers: [{cpus: 2}]", // unknown field
		"programs: [{args: [x]}]",
		"programs: [{program: x, env: [NOEQUALS]}]",
		"computers: {",
	} {
		if _, err := ParsePlan([]byte(bad)); err == nil {
			t.Errorf("ParsePlan(%q) accepted", bad)
		} else if !strings.HasPrefix(err.Error(), "boot plan") {
			t.Errorf("ParsePlan(%q): error %q does not say it is about the boot plan", bad, err)
		}
	}
}

func TestBootPlan(t *testing.T) {
	p, err := ParsePlan([]byte("computers: [{name: a}, {name: b, cores: 2}]\nprograms:\n  - {program: testdata/exit3.wasm, computer: b}\n  - {program: exit3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, Config{Computers: p.Computers, Seed: 1})
	gids, err := r.Boot(p, func(path string) ([]byte, error) { return guest(t, baseName(path)), nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(gids) != 2 || gids[0].Computer() != 1 || gids[1].Computer() != 0 {
		t.Fatalf("placed at %v: want the first on b (1), the second round-robin on a (0)", gids)
	}
	r.run(t)
	if r.proc(t, gids[0]).ExitCode != 3 {
		t.Fatal("exit3 did not exit 3")
	}
	if _, err := r.ComputerIndex("nosuch"); err == nil {
		t.Fatal("unknown computer accepted")
	}
}

func FuzzParsePlan(f *testing.F) {
	f.Add([]byte("computers: [{name: a, cores: 2, memory: 1GiB, speed: 2}]\nprograms: [{program: x, args: [x], env: [A=1], computer: 0}]"))
	f.Add([]byte("programs: [{program: \"\"}]"))
	f.Add([]byte("computers: [{memory: 1e400}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlan(data)
		if err != nil {
			return
		}
		for _, c := range p.Computers {
			if c.Cores < 0 || c.Speed < 0 || c.MaxProcs < 0 {
				t.Fatalf("accepted a bad computer %+v", c)
			}
		}
		for _, pr := range p.Programs {
			if pr.Program == "" {
				t.Fatal("accepted a program without a name")
			}
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"64MiB", "1.5g", "", "-3", "9999999999999TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSize(s)
		if err != nil {
			return
		}
		// What prints must parse back to the same size.
		if w, err := ParseSize(v.String()); err != nil || w != v {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, v, v.String(), w, err)
		}
	})
}
