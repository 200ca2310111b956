package wasm

import (
	"bytes"
	"reflect"
	"testing"
)

func sampleNames() *Names {
	return &Names{
		Module: "m", HasModule: true,
		Direct: map[byte]NameMap{
			NameFuncs:   {{0, "imp"}, {3, "main"}, {1, "helper"}},
			NameGlobals: {{0, "sp"}},
		},
		Indirect: map[byte]IndirectNameMap{
			NameLocals: {{3, NameMap{{0, "argc"}, {1, "argv"}}}, {1, NameMap{{0, "x"}}}},
		},
		Other: []RawSubsection{{ID: 42, Data: []byte{1, 2, 3}}},
	}
}

func TestNamesRoundTrip(t *testing.T) {
	b := sampleNames().Encode()
	n, err := DecodeNames(b)
	if err != nil {
		t.Fatal(err)
	}
	// Encode sorts every map by index.
	want := sampleNames()
	want.Direct[NameFuncs] = NameMap{{0, "imp"}, {1, "helper"}, {3, "main"}}
	want.Indirect[NameLocals] = IndirectNameMap{{1, NameMap{{0, "x"}}}, {3, NameMap{{0, "argc"}, {1, "argv"}}}}
	if !reflect.DeepEqual(n, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", n, want)
	}
	if !bytes.Equal(n.Encode(), b) {
		t.Fatal("re-encoding a decoded section changed it")
	}
}

func TestNamesRejectsMalformed(t *testing.T) {
	good := sampleNames().Encode()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"truncated", good[:len(good)-2]},
		{"size overrun", []byte{1, 50, 0}},
		{"twice", append(append([]byte(nil), good...), 0, 2, 1, 'x')},
		{"trailing bytes", []byte{0, 3, 1, 'a', 9}},
		{"bad utf8", []byte{0, 2, 1, 0xff}},
		{"huge count", []byte{1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f}},
	} {
		if _, err := DecodeNames(tc.data); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

func FuzzDecodeNames(f *testing.F) {
	f.Add(sampleNames().Encode())
	f.Add([]byte{})
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := DecodeNames(data)
		if err != nil {
			return
		}
		b := n.Encode()
		n2, err := DecodeNames(b)
		if err != nil {
			t.Fatalf("encoding of a decoded section does not decode: %v", err)
		}
		if !bytes.Equal(n2.Encode(), b) {
			t.Fatal("encode is not stable across a round trip")
		}
	})
}
