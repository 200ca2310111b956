package kernel_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"dosemu/emulator/cpu"
	"dosemu/kernel"
)

// sampleCheckpoint is a checkpoint whose capture and program agree
// (no engine needed: the capture is built by hand).
func sampleCheckpoint(t testing.TB) *kernel.Checkpoint {
	t.Helper()
	wasm := []byte("\x00asm\x01\x00\x00\x00 pretend module")
	c := cpu.Capture{Program: sha256.Sum256(wasm), Entry: "_start", Fuel: -3, Memory: make([]byte, 256),
		Globals: []uint64{1, 2}, Frames: []cpu.Frame{{Func: 4, Site: 1, Values: []uint64{7, 8}}}}
	c.Memory[100] = 42
	cb, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	cp := &kernel.Checkpoint{
		Name: "spin", Wasm: wasm, Args: []string{"spin", "100"}, Env: []string{"A=1", "B="},
		GID: kernel.MakeGID(0, 2), At: 5_102_463, Quantum: 200_000, Seed: 7,
		Dirs:    [][2]string{{"/tmp/x", "/"}},
		Stats:   kernel.Stats{CPUTime: 5_000_000, Instructions: 4_900_000, Switches: 25, Preemptions: 25, Syscalls: 3, PeakMemory: 131072},
		Pending: 1 << 15, Capture: cb,
	}
	cp.Handlers[2] = 17
	return cp
}

// TestCheckpointRoundTrip: a checkpoint taken between slices, and one
// taken inside a blocking call (which carries the call's start), decode
// to what was encoded.
func TestCheckpointRoundTrip(t *testing.T) {
	inCall := sampleCheckpoint(t)
	inCall.InCall, inCall.CallStart = true, 4_000_000
	for _, cp := range []*kernel.Checkpoint{sampleCheckpoint(t), inCall} {
		if d := cmp.Diff(cp, throughBytes(t, cp)); d != "" {
			t.Fatalf("round trip (-want +got):\n%s", d)
		}
	}
}

// throughBytes encodes cp and decodes the bytes into a new checkpoint.
func throughBytes(t *testing.T, cp *kernel.Checkpoint) *kernel.Checkpoint {
	t.Helper()
	b, err := cp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back kernel.Checkpoint
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return &back
}

func TestCheckpointCorruptionIsAClearError(t *testing.T) {
	b, err := sampleCheckpoint(t).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, data []byte, want string) {
		t.Helper()
		var cp kernel.Checkpoint
		err := cp.UnmarshalBinary(data)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, want)
		}
	}
	check("empty", nil, "not a dosemu checkpoint")
	check("a wasm file", []byte("\x00asm\x01\x00\x00\x00"), "not a dosemu checkpoint")
	check("magic only", []byte(kernel.CheckpointMagic), "truncated")
	for _, n := range []int{len(b) - 1, len(b) / 2, 12} {
		check("truncated", b[:n], "checkpoint")
	}
	for _, off := range []int{len(kernel.CheckpointMagic) + 3, len(b) / 3, len(b) - 10, len(b) - 2} {
		bad := bytes.Clone(b)
		bad[off] ^= 0x5a
		check("flipped byte", bad, "checksum")
	}
	newer := bytes.Clone(b)
	newer[len(kernel.CheckpointMagic)] = kernel.CheckpointVersion + 1
	check("newer version", newer, fmt.Sprintf("version %d,", kernel.CheckpointVersion+1))

	// A consistent file whose program is not the captured one.
	cp := sampleCheckpoint(t)
	cp.Wasm = append(cp.Wasm, 0)
	other, _ := cp.MarshalBinary()
	check("other program", other, "not the one captured")
}

// FuzzCheckpointDecode: whatever the bytes, decoding returns an error or
// a checkpoint that encodes back to the same bytes; it never panics.
func FuzzCheckpointDecode(f *testing.F) {
	good, err := sampleCheckpoint(f).MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(kernel.CheckpointMagic + "\x01"))
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		var cp kernel.Checkpoint
		if err := cp.UnmarshalBinary(data); err != nil {
			if errors.Is(err, kernel.ErrNotCheckpoint) && bytes.HasPrefix(data, []byte(kernel.CheckpointMagic)) {
				t.Fatalf("magic present but reported absent: %v", err)
			}
			return
		}
		again, err := cp.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := binary.Uvarint(data[len(kernel.CheckpointMagic):]); v != kernel.CheckpointVersion {
			return // an older version: re-encoded in the current one
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("decode/encode is not the identity on accepted input")
		}
	})
}
