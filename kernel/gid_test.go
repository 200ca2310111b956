package kernel

import "testing"

func TestGID(t *testing.T) {
	g := MakeGID(1, 7)
	if g.String() != "c1:7" || g.Computer() != 1 || g.PID() != 7 || int64(g) != 1<<32|7 {
		t.Fatalf("MakeGID(1,7) = %d %q", int64(g), g)
	}
	for _, s := range []string{"c1:7", "1:7", "c0:1", "c65535:2147483647"} {
		g, err := ParseGID(s)
		if err != nil {
			t.Fatalf("ParseGID(%q): %v", s, err)
		}
		if want := "c" + s[len(s)-len(g.String())+1:]; s[0] == 'c' && g.String() != s {
			t.Fatalf("ParseGID(%q) = %q (%s)", s, g, want)
		}
	}
	for _, s := range []string{"", "c1", "c1:0", "c-1:2", "cx:1", "c1:2:3", "c99999999999:1"} {
		if _, err := ParseGID(s); err == nil {
			t.Fatalf("ParseGID(%q) accepted", s)
		}
	}
}

func FuzzParseGID(f *testing.F) {
	for _, s := range []string{"c1:7", "0:1", "c:", "c1:-1", "c4294967296:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGID(s)
		if err != nil {
			return
		}
		if g.PID() < 1 || g.Computer() < 0 {
			t.Fatalf("ParseGID(%q) = %v: out of range", s, g)
		}
		if h, err := ParseGID(g.String()); err != nil || h != g {
			t.Fatalf("round trip %q -> %v -> %v, %v", s, g, h, err)
		}
	})
}

func TestCopyCost(t *testing.T) {
	if CopyCost(0) != 0 || CopyCost(1) != CostPerKiB || CopyCost(1024) != CostPerKiB || CopyCost(1025) != 2*CostPerKiB {
		t.Fatal("CopyCost rounds KiB up")
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New without Loop/World accepted")
	}
}

func TestUnpack(t *testing.T) {
	got := unpack([]byte("a\x00bc\x00"))
	if len(got) != 2 || got[0] != "a" || got[1] != "bc" {
		t.Fatalf("unpack = %q", got)
	}
	if got := unpack([]byte("x")); len(got) != 1 || got[0] != "x" {
		t.Fatalf("unpack without final NUL = %q", got)
	}
	if unpack(nil) != nil {
		t.Fatal("unpack(nil) not empty")
	}
	if progDisplayName("/bin/alice.wasm") != "alice" {
		t.Fatal("progDisplayName")
	}
}
