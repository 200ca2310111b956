package dosemu

import (
	"errors"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"testing"
)

func TestGID(t *testing.T) {
	cases := []struct {
		computer, pid int32
		s             string
	}{
		{0, 1, "c0:1"}, {1, 7, "c1:7"}, {2, 0x7fffffff, "c2:2147483647"}, {-1, 3, "c-1:3"},
	}
	for _, c := range cases {
		g := MakeGID(c.computer, c.pid)
		if g.Computer() != c.computer || g.PID() != c.pid {
			t.Errorf("MakeGID(%d, %d) = %#x: Computer %d PID %d", c.computer, c.pid, int64(g), g.Computer(), g.PID())
		}
		if g.String() != c.s {
			t.Errorf("MakeGID(%d, %d).String() = %q, want %q", c.computer, c.pid, g.String(), c.s)
		}
	}
	// The C macro's encoding: computer << 32 | pid.
	if g := MakeGID(1, 7); int64(g) != 1<<32|7 {
		t.Errorf("MakeGID(1, 7) = %#x, want %#x", int64(g), int64(1<<32|7))
	}
}

func TestStatus(t *testing.T) {
	exit3 := Status(3 << 8)
	if !exit3.Exited() || exit3.Signaled() || exit3.ExitCode() != 3 || exit3.String() != "exit 3" {
		t.Errorf("status %#x: Exited %v Signaled %v ExitCode %d %q", int32(exit3), exit3.Exited(), exit3.Signaled(), exit3.ExitCode(), exit3)
	}
	killed := Status(SIGKILL)
	if killed.Exited() || !killed.Signaled() || killed.Signal() != SIGKILL || killed.String() != "signal 9" {
		t.Errorf("status %#x: Exited %v Signaled %v Signal %d %q", int32(killed), killed.Exited(), killed.Signaled(), killed.Signal(), killed)
	}
	stopped := Status(SIGSTOP<<8 | 0x7f)
	if !stopped.Stopped() || stopped.Exited() || stopped.Signaled() || stopped.Continued() || stopped.StopSignal() != SIGSTOP ||
		stopped.String() != "stopped by signal 19" {
		t.Errorf("status %#x: Stopped %v Exited %v Signaled %v StopSignal %d %q", int32(stopped), stopped.Stopped(), stopped.Exited(),
			stopped.Signaled(), stopped.StopSignal(), stopped)
	}
	cont := Status(0xffff)
	if !cont.Continued() || cont.Exited() || cont.Signaled() || cont.String() != "continued" {
		t.Errorf("status %#x: Continued %v Exited %v Signaled %v %q", int32(cont), cont.Continued(), cont.Exited(), cont.Signaled(), cont)
	}
	for _, s := range []Status{3 << 8, SIGKILL} {
		if s.Stopped() || s.Continued() {
			t.Errorf("status %#x reported as a stop or continue", int32(s))
		}
	}
}

func TestPack(t *testing.T) {
	b, err := pack("argv", []string{"prog", "", "a b"})
	if err != nil || string(b) != "prog\x00\x00a b\x00" {
		t.Errorf("pack = %q, %v", b, err)
	}
	if b, err := pack("env", nil); err != nil || len(b) != 0 {
		t.Errorf("pack(nil) = %q, %v", b, err)
	}
	if _, err := pack("argv", []string{"a\x00b"}); err == nil {
		t.Error("pack accepted an item with a NUL byte")
	}
	if _, err := Spawn(Here, "x", []string{"bad\x00arg"}, nil); err == nil || errors.Is(err, ENOSYS) {
		t.Errorf("Spawn with a NUL in argv: err %v, want a packing error before any call", err)
	}
}

func TestErrno(t *testing.T) {
	if got := ECHILD.Error(); got != "dosemu: ECHILD (errno 12)" {
		t.Errorf("ECHILD.Error() = %q", got)
	}
	if got := Errno(999).Error(); got != "dosemu: errno 999" {
		t.Errorf("Errno(999).Error() = %q", got)
	}
	if errnoErr(0) != nil {
		t.Error("errno 0 is not success")
	}
}

// TestHostStubs: off wasip1 every call must fail with ENOSYS, not panic.
func TestHostStubs(t *testing.T) {
	if runtime.GOOS == "wasip1" {
		t.Skip("stubs are for non-wasip1 builds")
	}
	_, err := Self()
	if !errors.Is(err, ENOSYS) {
		t.Errorf("Self: %v, want ENOSYS", err)
	}
	if _, _, err := Wait(AnyChild, 0); !errors.Is(err, ENOSYS) {
		t.Errorf("Wait: %v, want ENOSYS", err)
	}
	if _, err := ComputerName(0); !errors.Is(err, ENOSYS) {
		t.Errorf("ComputerName: %v, want ENOSYS", err)
	}
	if _, _, err := NameLookup("x", false); !errors.Is(err, ENOSYS) {
		t.Errorf("NameLookup: %v, want ENOSYS", err)
	}
}

// TestImportsMatchHeader keeps this package and dosemu.h in step: the
// same set of import names, and the same constants.
func TestImportsMatchHeader(t *testing.T) {
	h, err := os.ReadFile("../../c/dosemu.h")
	if err != nil {
		t.Fatal(err)
	}
	g, err := os.ReadFile("imports_wasip1.go")
	if err != nil {
		t.Fatal(err)
	}
	names := func(re string, src []byte) []string {
		var out []string
		for _, m := range regexp.MustCompile(re).FindAllSubmatch(src, -1) {
			out = append(out, string(m[1]))
		}
		sort.Strings(out)
		return out
	}
	hn := names(`DOSEMU_IMPORT\("(\w+)"\)`, h)
	gn := names(`//go:wasmimport dosemu (\w+)`, g)
	if len(hn) == 0 {
		t.Fatal("no imports found in dosemu.h")
	}
	if len(hn) != len(gn) {
		t.Fatalf("dosemu.h imports %v\nGo imports %v", hn, gn)
	}
	for i := range hn {
		if hn[i] != gn[i] {
			t.Fatalf("dosemu.h imports %v\nGo imports %v", hn, gn)
		}
	}

	consts := map[string]int64{
		"SIGINT": SIGINT, "SIGKILL": SIGKILL, "SIGTERM": SIGTERM, "SIGCHLD": SIGCHLD,
		"SIGCONT": SIGCONT, "SIGSTOP": SIGSTOP, "WNOHANG": WNOHANG, "WUNTRACED": WUNTRACED, "WCONTINUED": WCONTINUED,
		"SOCK_DGRAM": SockDgram, "SOCK_STREAM": SockStream,
		"MIGRATE_STOPCOPY": MigrateStopCopy, "MIGRATE_PRECOPY": MigratePreCopy,
		"MIGRATE_POSTCOPY": MigratePostCopy,
	}
	defs := map[string]string{}
	for _, m := range regexp.MustCompile(`#define DOSEMU_(\w+) (\d+)\n`).FindAllSubmatch(h, -1) {
		defs[string(m[1])] = string(m[2])
	}
	for name, v := range consts {
		d, ok := defs[name]
		if !ok {
			t.Errorf("DOSEMU_%s not defined in dosemu.h", name)
			continue
		}
		if d != strconv.FormatInt(v, 10) {
			t.Errorf("DOSEMU_%s = %s in dosemu.h, %d in Go", name, d, v)
		}
	}
}
