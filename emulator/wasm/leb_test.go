package wasm

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/tetratelabs/wazero"
)

func TestReadU32Limits(t *testing.T) {
	cases := []struct {
		in   []byte
		want uint32
		n    int
		err  error
	}{
		{[]byte{0x00}, 0, 1, nil},
		{[]byte{0x7F}, 127, 1, nil},
		{[]byte{0x80, 0x00}, 0, 2, nil},                           // padded zero
		{[]byte{0x85, 0x80, 0x80, 0x80, 0x00}, 5, 5, nil},         // 5-byte padded
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 1<<32 - 1, 5, nil}, // max
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, 0, 5, errLEBTooLarge},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 0, 5, errLEBTooLong},
		{[]byte{0x80, 0x80}, 0, 2, errUnexpectedEnd},
		{nil, 0, 0, errUnexpectedEnd},
	}
	for _, c := range cases {
		v, n, err := readU32(c.in)
		if !errors.Is(err, c.err) || (err == nil && (v != c.want || n != c.n)) {
			t.Errorf("readU32(% x) = %d, %d, %v; want %d, %d, %v", c.in, v, n, err, c.want, c.n, c.err)
		}
	}
}

func TestReadSignedLimits(t *testing.T) {
	cases := []struct {
		in   []byte
		bits int
		want int64
		err  error
	}{
		{[]byte{0x7F}, 32, -1, nil},
		{[]byte{0xFF, 0x7F}, 32, -1, nil}, // padded -1
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x78}, 32, -1 << 31, nil},
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x07}, 32, 1<<31 - 1, nil},
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 32, 0, errLEBTooLarge}, // bit 32 set, sign clear
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x70}, 32, 0, errLEBTooLarge},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 32, 0, errLEBTooLong},
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x0F}, 33, 1<<32 - 1, nil},
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, 33, 0, errLEBTooLarge},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F}, 64, -1 << 63, nil},
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00}, 64, 1<<63 - 1, nil},
		{[]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, 64, 0, errLEBTooLarge},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 64, 0, errLEBTooLong},
	}
	for _, c := range cases {
		v, _, err := readSigned(c.in, c.bits)
		if !errors.Is(err, c.err) || (err == nil && v != c.want) {
			t.Errorf("readSigned(% x, %d) = %d, %v; want %d, %v", c.in, c.bits, v, err, c.want, c.err)
		}
	}
}

func TestLEBRoundTrip(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, 1 << 31, -1 << 31, 1<<63 - 1, -1 << 63} {
		b := appendS64(nil, v)
		got, n, err := readSigned(b, 64)
		if err != nil || got != v || n != len(b) {
			t.Errorf("s64 %d: encoded % x, decoded %d (%d bytes), %v", v, b, got, n, err)
		}
	}
	for _, v := range []uint32{0, 127, 128, 1<<14 - 1, 1 << 14, 1<<32 - 1} {
		b := appendU32(nil, v)
		got, n, err := readU32(b)
		if err != nil || got != v || n != len(b) || n != sizeU32(v) {
			t.Errorf("u32 %d: encoded % x, decoded %d (%d bytes), %v", v, b, got, n, err)
		}
	}
}

// pad5 writes v as a 5-byte (padded) unsigned LEB128, as clang and Go do.
func pad5(v uint32) []byte {
	return []byte{byte(v) | 0x80, byte(v>>7) | 0x80, byte(v>>14) | 0x80, byte(v>>21) | 0x80, byte(v >> 28)}
}

// paddedModule is a hand-assembled module in the style of real toolchain
// output: every size, count and index is a 5-byte LEB, and call_indirect's
// table index is the 5-byte form clang 19+ writes.
func paddedModule() []byte {
	var b bytes.Buffer
	b.WriteString("\x00asm\x01\x00\x00\x00")
	sec := func(id byte, content []byte) {
		b.WriteByte(id)
		b.Write(pad5(uint32(len(content))))
		b.Write(content)
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	// type 0: (i32) -> i32
	sec(1, cat(pad5(1), []byte{0x60}, pad5(1), []byte{0x7F}, pad5(1), []byte{0x7F}))
	sec(3, cat(pad5(2), pad5(0), pad5(0)))
	sec(4, cat(pad5(1), []byte{0x70, 0x00}, pad5(2)))
	sec(5, cat(pad5(1), []byte{0x00}, pad5(1)))
	sec(7, cat(pad5(1), pad5(1), []byte("f"), []byte{0x00}, pad5(1)))
	sec(9, cat(pad5(1), pad5(0), []byte{0x41}, []byte{0x80, 0x80, 0x80, 0x80, 0x00}, []byte{0x0B}, pad5(1), pad5(0)))
	body0 := cat(pad5(0), []byte{0x20}, pad5(0), []byte{0x0B})
	body1 := cat(pad5(1), pad5(1), []byte{0x7F},
		[]byte{0x20}, pad5(0),
		[]byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x00}, // i32.const 0, padded
		[]byte{0x11}, pad5(0), pad5(0), // call_indirect type 0, table 0 (5 bytes)
		[]byte{0x28}, pad5(2), pad5(16), // i32.load align=2 offset=16
		[]byte{0x0B})
	sec(10, cat(pad5(2), pad5(uint32(len(body0))), body0, pad5(uint32(len(body1))), body1))
	sec(0, cat(pad5(4), []byte("name"), []byte{0x01, 0x05, 0x01, 0x00, 0x02, 'i', 'd'}))
	return b.Bytes()
}

func TestPaddedLEBsAndWideCallIndirect(t *testing.T) {
	data := paddedModule()
	m, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	ci := m.Funcs[1].Body[2]
	if ci.Op != OpCallIndirect || ci.Index != 0 || ci.Index2 != 0 {
		t.Fatalf("call_indirect decoded as %+v", ci)
	}
	if ld := m.Funcs[1].Body[3]; ld.Op != OpI32Load || ld.Align != 2 || ld.Offset != 16 {
		t.Fatalf("i32.load decoded as %+v", ld)
	}
	if len(m.Funcs[1].Locals) != 1 || m.Funcs[1].Locals[0] != I32 {
		t.Fatalf("locals = %v", m.Funcs[1].Locals)
	}
	enc, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) >= len(data) {
		t.Errorf("re-encoded %d bytes, want fewer than the padded %d", len(enc), len(data))
	}
	m2, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if diff := diffModules(m, m2); diff != "" {
		t.Fatalf("round trip differs:\n%s", diff)
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	for _, bin := range [][]byte{data, enc} {
		if _, err := rt.CompileModule(ctx, bin); err != nil {
			t.Fatalf("wazero: %v", err)
		}
	}
}

func TestDecodeErrorsNameTheLocation(t *testing.T) {
	data := paddedModule()
	// Truncating anywhere must give an *Error, never a panic or success.
	for i := 8; i < len(data)-1; i++ {
		_, err := Decode(data[:i])
		var we *Error
		if i < len(data) && err == nil {
			// A prefix ending at a section boundary is a valid module.
			continue
		}
		if !errors.As(err, &we) {
			t.Fatalf("prefix %d: error %v is not *Error", i, err)
		}
		if we.Offset < 0 || we.Offset > i {
			t.Errorf("prefix %d: offset %d outside input", i, we.Offset)
		}
	}
	bad := append([]byte(nil), data...)
	bad = append(bad, 0xFE) // stray byte: a section id with no size
	if _, err := Decode(bad); err == nil {
		t.Error("trailing junk accepted")
	}
}

func TestRefusesUnsupportedFeatures(t *testing.T) {
	mod := func(body ...byte) []byte {
		b := []byte("\x00asm\x01\x00\x00\x00")
		b = append(b, 1, 4, 1, 0x60, 0, 0) // type () -> ()
		b = append(b, 3, 2, 1, 0)
		b = append(b, 5, 3, 1, 0, 1) // memory 1
		code := append([]byte{0}, body...)
		code = append(code, 0x0B)
		b = append(b, 10, byte(len(code)+2), 1, byte(len(code)))
		return append(b, code...)
	}
	cases := map[string][]byte{
		"tail call":      mod(0x12, 0x00),
		"exceptions":     mod(0x08, 0x00),
		"atomics":        mod(0x41, 0, 0xFE, 0x10, 2, 0, 0x1A),
		"relaxed simd":   mod(0xFD, 0x80, 0x02),
		"multi-memory":   mod(0x3F, 0x01, 0x1A),
		"GC":             mod(0xFB, 0x00),
		"bad opcode":     mod(0xFF),
		"shared memory":  append([]byte("\x00asm\x01\x00\x00\x00"), 5, 4, 1, 3, 1, 1),
		"memory64":       append([]byte("\x00asm\x01\x00\x00\x00"), 5, 3, 1, 4, 1),
		"tag section":    append([]byte("\x00asm\x01\x00\x00\x00"), 13, 0),
		"component":      []byte("\x00asm\x0d\x00\x01\x00"),
		"bad magic":      []byte("\x00wasm\x01\x00\x00"),
		"section order":  append([]byte("\x00asm\x01\x00\x00\x00"), 3, 1, 0, 1, 1, 0),
		"size mismatch":  append([]byte("\x00asm\x01\x00\x00\x00"), 1, 2, 0, 0),
		"vector too big": append([]byte("\x00asm\x01\x00\x00\x00"), 1, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F),
	}
	for name, bin := range cases {
		_, err := Decode(bin)
		var we *Error
		if !errors.As(err, &we) {
			t.Errorf("%s: Decode returned %v, want *Error", name, err)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
}
