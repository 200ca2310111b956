package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dosemu/emulator/vtime"
	"dosemu/net"
)

func TestNetFlagsConfig(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "net.yaml")
	planFile := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(cfgFile, []byte("link: {latency: 5ms, loss: 0.5}\nlinks:\n  - {between: [c0, c1], loss: 0.25}\nfaults:\n  - {at: 1s, cut: [c0, c1]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(planFile, []byte("- {at: 2s, heal: [c0, c1]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	o, err := parseBoot([]string{"x.wasm"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := o.Net.config(); c != nil || err != nil {
		t.Fatalf("no network flags: want the emulator's default, got %+v, %v", c, err)
	}

	o, err = parseBoot([]string{"--net", cfgFile, "--faults", planFile, "--loss", "0.1", "--bandwidth", "8Mbit/s", "x.wasm"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := o.Net.config()
	if err != nil {
		t.Fatal(err)
	}
	if c.Link.Latency != 5*time.Millisecond || c.Link.Loss != 0.1 || c.Link.Bandwidth != 1_000_000 {
		t.Fatalf("link %+v: want the file's latency and the flags' loss and bandwidth", c.Link)
	}
	if len(c.Faults) != 2 || c.Faults[1].At != 2*time.Second {
		t.Fatalf("faults %+v: want the file's and the plan's", c.Faults)
	}
	// The flags come last, over the file's per-link rule.
	last := c.Links[len(c.Links)-1]
	if !last.All || last.Patch.Loss == nil || *last.Patch.Loss != 0.1 {
		t.Fatalf("links %+v: the flags must apply after the file's rules", c.Links)
	}
	// And a network built from it has the flags' loss on c0->c1.
	nw, err := net.New(vtime.NewLoop(), 2, 1, *c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l, _ := nw.Fabric().Link(0, 1); l.Loss != 0.1 || l.Latency != 5*time.Millisecond {
		t.Fatalf("c0->c1: %+v", l)
	}
}

func TestNetFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--loss", "1.5"}, `--loss "1.5"`},
		{[]string{"--loss", "NaN"}, `--loss "NaN"`},
		{[]string{"--dup", "-0.1"}, `--dup "-0.1"`},
		{[]string{"--latency", "5"}, `--latency: bad duration "5"`},
		{[]string{"--jitter", "-1ms"}, `--jitter: bad duration "-1ms"`},
		{[]string{"--bandwidth", "fast"}, `--bandwidth: bad bandwidth "fast"`},
	} {
		_, err := parseBoot(append(tc.args, "x.wasm"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error containing %q", tc.args, err, tc.want)
		}
	}
	for _, tc := range []struct {
		n    netFlags
		want string
	}{
		{netFlags{ConfigFile: "/no/such/net.yaml"}, "--net: "},
		{netFlags{FaultsFile: "/no/such/plan.yaml"}, "--faults: "},
	} {
		if _, err := tc.n.config(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.n, err, tc.want)
		}
	}
}

// FuzzNetFlags: any flag values give a config or an error, never a panic,
// and an accepted config validates.
func FuzzNetFlags(f *testing.F) {
	f.Add("1ms", "100Mbit/s", "0.1", "0", "0.5", "2ms")
	f.Add("", "unlimited", "1", "1e-9", "", "0")
	f.Add("-5s", "1e400", "NaN", "+Inf", "0x1p-2", "9999999h")
	f.Fuzz(func(t *testing.T, lat, bw, loss, dup, reorder, jit string) {
		opt := func(s string) *string {
			if s == "" {
				return nil
			}
			return &s
		}
		n := netFlags{Latency: opt(lat), Bandwidth: opt(bw), Loss: opt(loss), Dup: opt(dup), Reorder: opt(reorder), Jitter: opt(jit)}
		c, err := n.config()
		if err != nil || c == nil {
			return
		}
		if err := c.Link.Validate(); err != nil {
			t.Fatalf("accepted an invalid link: %v", err)
		}
	})
}
