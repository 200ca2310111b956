package net

import (
	"os"
	"strings"
	"testing"
	"time"

	"dosemu/emulator/vtime"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
computers: 3
link:
  latency: 2ms
  bandwidth: 100Mbit/s
  loss: 0.01
links:
  - between: [c0, c1]
    latency: 20ms
    queue: 64KiB
  - from: c2
    to: c0
    dup: 0.5
faults:
  - at: 5s
    heal: all
  - at: 2s
    partition: [[c0], [c1, c2]]
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Computers != 3 || cfg.Link.Latency != 2*time.Millisecond || cfg.Link.Bandwidth != 12_500_000 || cfg.Link.Loss != 0.01 {
		t.Errorf("link: %+v", cfg.Link)
	}
	if len(cfg.Links) != 2 || !cfg.Links[0].Both || *cfg.Links[0].Patch.QueueBytes != 65536 || cfg.Links[1].From != 2 {
		t.Errorf("links: %+v", cfg.Links)
	}
	if len(cfg.Faults) != 2 || cfg.Faults[0].At != 2*time.Second || !cfg.Faults[1].HealAll {
		t.Errorf("faults not sorted by time: %+v", cfg.Faults)
	}
	f, err := NewFabric(vtime.NewLoop(), 3, 1, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := f.Link(1, 0); p.Latency != 20*time.Millisecond || p.Loss != 0.01 {
		t.Errorf("c1->c0: %+v", p)
	}
	if p, _ := f.Link(2, 0); p.Dup != 0.5 || p.Latency != 2*time.Millisecond {
		t.Errorf("c2->c0: %+v", p)
	}
	if p, _ := f.Link(0, 2); p.Dup != 0 {
		t.Errorf("c0->c2 got c2->c0's override: %+v", p)
	}
	if cfg, err := ParseConfig(nil); err != nil || cfg.Link != DefaultLink {
		t.Errorf("empty config: %+v %v", cfg, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"link: {latency: fast}", "bad duration"},
		{"link: {latency: -1ms}", "negative"},
		{"link: {loss: 1.5}", "probability"},
		{"link: {bandwidth: 10 furlongs}", "unknown unit"},
		{"link: {colour: red}", "unknown link parameter"},
		{"links: [{latency: 1ms}]", "needs between"},
		{"links: [{from: c0, latency: 1ms}]", "together"},
		{"links: [{between: [c0, c0]}]", "two different"},
		{"links: [{between: [c0, x]}]", "bad computer name"},
		{"nodes: 3", "unknown key"},
		{"computers: lots", "not an integer"},
		{"[1, 2]", "must be a mapping"},
		{"faults: [{cut: [c0, c1]}]", "no at"},
		{"faults: [{at: 1s}]", "changes nothing"},
		{"faults: [{at: 1s, cut: [c0]}]", "pair"},
		{"faults: [{at: 1s, partition: [[c0], [c0]]}]", "two partition groups"},
		{"faults: [{at: soon, cut: [c0, c1]}]", "bad duration"},
		{"faults: [{at: 1s, explode: c0}]", "unknown step key"},
		{"link: &a {latency: 1ms}\nlinks: [*a]", "alias"},
		{":\n  - :", ""},
	} {
		_, err := ParseConfig([]byte(c.in))
		if err == nil {
			t.Errorf("%q accepted", c.in)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q lacks %q", c.in, err, c.want)
		}
	}
}

func TestParsePlan(t *testing.T) {
	steps, err := ParsePlan([]byte("faults:\n  - at: 1s\n    down: [c1, c2]\n  - at: 0s\n    set: {loss: 0.3}\n    up: c3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].At != 0 || !steps[0].Set[0].All || *steps[0].Set[0].Patch.Loss != 0.3 ||
		len(steps[1].Down) != 2 || steps[0].Up[0] != 3 {
		t.Errorf("%+v", steps)
	}
	if s, err := ParsePlan([]byte("- at: 2s\n  cut: [[c0, c1], [c1, c2]]\n")); err != nil || len(s[0].Cut) != 2 {
		t.Errorf("list of pairs: %+v %v", s, err)
	}
	if _, err := ParsePlan([]byte("other: 1")); err == nil {
		t.Error("mapping without faults accepted")
	}
}

func TestParseUnits(t *testing.T) {
	for in, want := range map[string]int64{"125000000": 125000000, "1Gbit/s": 125000000, "10MB/s": 10_000_000,
		"1MiB": 1 << 20, "8bit": 1, "unlimited": 0, "0": 0, "2.5KB": 2500} {
		if got, err := ParseBandwidth(in); err != nil || got != want {
			t.Errorf("ParseBandwidth(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-5", "1bit", "9e99GB", "MB", "1.2.3MB", "NaN"} {
		if _, err := ParseBandwidth(bad); err == nil {
			t.Errorf("ParseBandwidth(%q) accepted", bad)
		}
	}
	if _, err := ParseSize("10Mbit"); err == nil {
		t.Error("ParseSize took bits")
	}
	for _, bad := range []string{"c", "c-1", "c01", "x1", "c+1", "c99999999"} {
		if _, err := ParseComputer(bad); err == nil {
			t.Errorf("ParseComputer(%q) accepted", bad)
		}
	}
	if n, err := ParseComputer("c12"); n != 12 || err != nil {
		t.Errorf("ParseComputer(c12) = %d, %v", n, err)
	}
}

// Untrusted config and plan files must give an error or a valid config,
// never a panic, and whatever parses must build a fabric or be rejected
// cleanly.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		"link: {latency: 1ms, bandwidth: 10MB/s, loss: 0.1}\nlinks: [{between: [c0, c1], jitter: 1ms}]",
		"faults: [{at: 2s, cut: [c0, c1]}, {at: 5s, heal: all}]",
		"- at: 1s\n  partition: [[c0], [c1]]\n  set: {from: c1, to: c0, reorder: 0.5}\n  down: c1",
		"computers: 2\nlink: {queue: 1MiB}",
		"", "[", "{a: [", "link: !!binary AAAA",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if cfg, err := ParseConfig(data); err == nil {
			if err := cfg.Link.Validate(); err != nil {
				t.Fatalf("parsed config has invalid link: %v", err)
			}
			loop := vtime.NewLoop()
			if fab, err := NewFabric(loop, 3, 1, cfg, nil); err == nil {
				fab.Attach(1, func(*Packet) {})
				fab.Send(&Packet{From: 0, To: 1, Size: 100})
				loop.Run(vtime.Time(time.Minute))
			}
		}
		if steps, err := ParsePlan(data); err == nil {
			loop := vtime.NewLoop()
			fab, _ := NewFabric(loop, 2, 1, Config{}, nil)
			if err := fab.Schedule(steps); err == nil {
				loop.Run(vtime.Time(time.Hour))
			}
		}
	})
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	good := dir + "/plan.yaml"
	os.WriteFile(good, []byte("- at: 2s\n  cut: [c0, c1]\n- at: 5s\n  heal: [c0, c1]\n"), 0o644)
	steps, err := LoadPlanFile(good)
	if err != nil || len(steps) != 2 || steps[1].At != 5*time.Second {
		t.Errorf("plan: %+v %v", steps, err)
	}
	bad := dir + "/bad.yaml"
	os.WriteFile(bad, []byte("link: {loss: 7}"), 0o644)
	if _, err := LoadConfigFile(bad); err == nil || !strings.Contains(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad config error %v should name the file and line", err)
	}
	if _, err := LoadPlanFile(dir + "/missing.yaml"); err == nil {
		t.Error("missing file accepted")
	}
}
