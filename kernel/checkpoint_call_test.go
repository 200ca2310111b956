package kernel_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"dosemu/emulator"
	"dosemu/emulator/cpu"
	"dosemu/emulator/vtime"
	"dosemu/kernel"
)

// TestCheckpointVersion1StillLoads decodes a file written by the version
// 1 encoder (checked in, not regenerated): it loads as the same
// checkpoint, taken at a preemption, with no call in progress.
func TestCheckpointVersion1StillLoads(t *testing.T) {
	b, err := os.ReadFile("testdata/checkpoint-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := binary.Uvarint(b[len(kernel.CheckpointMagic):]); v != 1 {
		t.Fatalf("fixture is version %d, want 1", v)
	}
	var cp kernel.Checkpoint
	if err := cp.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(sampleCheckpoint(t), &cp); d != "" {
		t.Fatalf("version 1 file (-want +got):\n%s", d)
	}
	again, err := cp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := binary.Uvarint(again[len(kernel.CheckpointMagic):]); v != kernel.CheckpointVersion {
		t.Errorf("re-encoded as version %d, want %d", v, kernel.CheckpointVersion)
	}
}

// TestCheckpointCallStartRejectsBadValues: a call start that cannot be
// (no call, after the checkpoint, negative, a flag that is not a boolean)
// is refused at decoding. The round trip of a good one is in
// TestCheckpointRoundTrip.
func TestCheckpointCallStartRejectsBadValues(t *testing.T) {
	bad := func(name, want string, change func(*kernel.Checkpoint), patch func([]byte)) {
		t.Helper()
		c := sampleCheckpoint(t)
		c.InCall, c.CallStart = true, 4_000_000
		change(c)
		b, err := c.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if patch != nil {
			patch(b)
			binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
		}
		var got kernel.Checkpoint
		if err := got.UnmarshalBinary(b); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, want)
		}
	}
	bad("start without a call", "without a call in progress", func(c *kernel.Checkpoint) { c.InCall = false }, nil)
	bad("start after the checkpoint", "after the checkpoint's time", func(c *kernel.Checkpoint) { c.CallStart = c.At + 1 }, nil)
	bad("negative start", "negative", func(c *kernel.Checkpoint) { c.CallStart = -5 }, nil)
	bad("flag not a boolean", "is not 0 or 1", func(*kernel.Checkpoint) {}, func(b []byte) {
		// The flag precedes the call start and the capture, the last
		// field: find it from the end.
		c := sampleCheckpoint(t)
		tail := binary.AppendVarint(nil, 4_000_000)
		tail = binary.AppendUvarint(tail, uint64(len(c.Capture)))
		tail = append(tail, c.Capture...)
		b[len(b)-4-len(tail)-1] = 2
	})
}

// aliceWakes are alice's lines: "alice: 1/2, virtual time 1.000s".
var aliceWakes = regexp.MustCompile(`alice: \d/\d, virtual time [0-9.]+s`)

// aliceRun runs alice (two one-second sleeps) on one computer; with a
// checkpoint time it stops her there and returns the checkpoint too.
func aliceRun(t *testing.T, eng *cpu.Engine, wasm []byte, at time.Duration, restore *kernel.Checkpoint) (string, *kernel.Checkpoint) {
	t.Helper()
	var out bytes.Buffer
	c, err := emulator.New(emulator.Config{Computers: emulator.Uniform(1, 1), Seed: 3, Engine: eng,
		Output: func(g emulator.GID, prog string, stream int, data []byte) { out.Write(data) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Load("alice", wasm); err != nil {
		t.Fatal(err)
	}
	var got *kernel.Checkpoint
	if restore != nil {
		prog, err := c.Program("alice")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Kernel(0).RestoreCheckpoint(restore, prog); err != nil {
			t.Fatal(err)
		}
	} else {
		g, err := c.Spawn(0, "alice", []string{"alice", "2"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if at > 0 {
			p := c.Process(g)
			err := p.Kernel().CheckpointAt(p.PID(), vtime.Time(at), func(cp *kernel.Checkpoint, err error) {
				if err != nil {
					t.Errorf("checkpoint: %v", err)
				}
				got = cp
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return strings.Join(aliceWakes.FindAllString(out.String(), -1), "\n"), got
}

// TestCheckpointAsleepKeepsDeadline checkpoints alice 0.4 s into her first
// one-second sleep, writes the checkpoint to bytes and restores it in a
// new run: she wakes at 1.000 s and 2.000 s, as without the checkpoint,
// not a second after the restore.
func TestCheckpointAsleepKeepsDeadline(t *testing.T) {
	wasm, err := os.ReadFile("../guests/alice.wasm")
	if err != nil {
		t.Skipf("alice guest not built: %v", err)
	}
	eng, err := emulator.NewEngine(context.Background(), cpu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(context.Background())

	want, _ := aliceRun(t, eng, wasm, 0, nil)
	if want != "alice: 1/2, virtual time 1.000s\nalice: 2/2, virtual time 2.000s" {
		t.Fatalf("unstopped alice: %q", want)
	}
	before, cp := aliceRun(t, eng, wasm, 400*time.Millisecond, nil)
	if cp == nil {
		t.Fatal("no checkpoint was taken")
	}
	if before != "" {
		t.Fatalf("alice printed %q before her checkpoint at 0.4 s", before)
	}
	if !cp.InCall || cp.CallStart <= 0 || cp.CallStart > vtime.Time(time.Millisecond) || cp.At != vtime.Time(400*time.Millisecond) {
		t.Fatalf("checkpoint in call %v, call start %v, at %v: want taken at 0.4 s inside the sleep that began before 1 ms", cp.InCall, cp.CallStart, cp.At)
	}
	cp.Wasm = wasm // the caller's part: the kernel keeps only compiled code
	after, _ := aliceRun(t, eng, wasm, 0, throughBytes(t, cp))
	if after != want {
		t.Fatalf("restored alice:\n%s\nwant:\n%s", after, want)
	}
}
