package main

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func writeFile(name, s string) error { return os.WriteFile(name, []byte(s), 0o644) }

func TestPrefixerInterleavesAtLineBoundaries(t *testing.T) {
	var out, errb bytes.Buffer
	p := newPrefixer(&out, &errb)
	p.Write("c0:2", "spin", 1, []byte("hel"))
	p.Write("c1:2", "hello", 1, []byte("one\ntw"))
	p.Write("c0:2", "spin", 1, []byte("lo\n"))
	p.Write("c0:2", "spin", 2, []byte("oops\n"))
	p.Write("c1:2", "hello", 1, []byte("o"))
	p.CloseProcess("c1:2")
	p.Write("c0:2", "spin", 1, []byte("tail"))
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "[c1:2 hello] one\n[c0:2 spin] hello\n[c1:2 hello] two\n[c0:2 spin] tail\n"
	if d := cmp.Diff(want, out.String()); d != "" {
		t.Errorf("stdout (-want +got):\n%s", d)
	}
	if errb.String() != "[c0:2 spin] oops\n" {
		t.Errorf("stderr = %q", errb.String())
	}
}

func TestPrefixerBoundsLongLines(t *testing.T) {
	var out bytes.Buffer
	p := newPrefixer(&out, &out)
	p.Write("c0:2", "x", 1, bytes.Repeat([]byte("a"), 2*maxLine+5))
	lines := strings.Split(out.String(), "\n")
	if len(lines) != 3 || len(lines[0]) != len("[c0:2 x] ")+maxLine {
		t.Fatalf("a long unterminated line was not streamed in %d-byte pieces: %d lines", maxLine, len(lines))
	}
	p.Flush()
	if !strings.HasSuffix(out.String(), strings.Repeat("a", 5)+"\n") {
		t.Fatal("the rest of the line was lost")
	}
}

type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestPrefixerReportsWriteErrors(t *testing.T) {
	p := newPrefixer(brokenWriter{}, brokenWriter{})
	p.Write("c0:2", "x", 1, []byte("a\n"))
	if err := p.Flush(); err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Fatalf("Flush = %v, want the write error", err)
	}
}

func TestWriteSummary(t *testing.T) {
	var b bytes.Buffer
	err := writeSummary(&b, summary{
		Elapsed: 2_500_000_000,
		Computers: []computerRow{
			{Name: "c0", Cores: 2, Procs: 2, CPU: 1_500_000, Switches: 12, Syscalls: 7, Memory: 3 << 20, CodeShared: 40 << 10, CodeSaved: 40 << 10},
		},
		Procs: []procRow{
			{GID: "c0:2", Program: "spin", Status: "exit 0", CPU: 999, Switches: 6, Syscalls: 3, Memory: 1 << 20},
			{GID: "c0:3", Program: "bad", Status: "trap: unreachable", Failed: true, CPU: 2_000_000_000, Memory: 512},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `
=== summary after 2.500s of virtual time
COMPUTER  CORES  PROCS  CPU TIME  SWITCHES  SYSCALLS  MEMORY   SHARED CODE  SAVED
c0        2      2      1.500ms   12        7         3.0 MiB  40.0 KiB     40.0 KiB

PROCESS  PROGRAM  STATUS             CPU TIME  SWITCHES  SYSCALLS  MEMORY
c0:2     spin     exit 0             999ns     6         3         1.0 MiB
c0:3     bad      trap: unreachable  2.000s    0         0         512 B
`
	if d := cmp.Diff(want, b.String()); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
}

func TestFmtDuration(t *testing.T) {
	for d, want := range map[int64]string{0: "0ns", 999: "999ns", 1000: "1.000us", 1_234_567: "1.235ms", 61_000_000_000: "61.000s"} {
		if got := fmtDuration(timeDuration(d)); got != want {
			t.Errorf("fmtDuration(%d) = %q, want %q", d, got, want)
		}
	}
}

func timeDuration(n int64) time.Duration { return time.Duration(n) }
