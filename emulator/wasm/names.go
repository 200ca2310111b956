package wasm

import (
	"fmt"
	"sort"
)

// Subsection ids of the "name" custom section (the core specification's
// appendix defines 0–2; the extended name section proposal, which
// toolchains emit, adds 3–11).
const (
	NameModule   byte = 0
	NameFuncs    byte = 1
	NameLocals   byte = 2
	NameLabels   byte = 3
	NameTypes    byte = 4
	NameTables   byte = 5
	NameMemories byte = 6
	NameGlobals  byte = 7
	NameElems    byte = 8
	NameDatas    byte = 9
	NameFields   byte = 10
	NameTags     byte = 11
)

// NameAssoc names one index.
type NameAssoc struct {
	Index uint32
	Name  string
}

// NameMap is a name map: associations in increasing index order.
type NameMap []NameAssoc

// IndirectAssoc holds the name map of one outer index (e.g. the local
// names of one function).
type IndirectAssoc struct {
	Index uint32
	Names NameMap
}

// IndirectNameMap is a map of name maps, in increasing outer index order.
type IndirectNameMap []IndirectAssoc

// RawSubsection is a name subsection with an id this package does not
// know, kept as its payload bytes.
type RawSubsection struct {
	ID   byte
	Data []byte
}

// Names is a decoded "name" custom section. Direct holds the subsections
// that are one name map (ids 1 and 4–9, 11), Indirect those that map an
// index to a name map (2, 3, 10); subsections absent from the input are
// absent from the maps.
type Names struct {
	Module    string
	HasModule bool
	Direct    map[byte]NameMap
	Indirect  map[byte]IndirectNameMap
	Other     []RawSubsection
}

func isIndirectName(id byte) bool { return id == NameLocals || id == NameLabels || id == NameFields }

func isDirectName(id byte) bool {
	return id == NameFuncs || (id >= NameTypes && id <= NameDatas) || id == NameTags
}

// DecodeNames decodes the payload of a "name" custom section. Malformed
// input (a size that overruns, a name that is not UTF-8, trailing bytes in
// a subsection, a subsection that appears twice) gives an *Error naming
// the byte offset; it never panics. Cost: linear in the payload, one
// string per name.
func DecodeNames(data []byte) (*Names, error) {
	d := &decoder{buf: data, fn: -1, instr: -1, sec: SectionCustom}
	n := &Names{Direct: map[byte]NameMap{}, Indirect: map[byte]IndirectNameMap{}}
	seen := map[byte]bool{}
	for d.pos < len(data) {
		id := data[d.pos]
		d.pos++
		size, err := d.u32("name subsection size")
		if err != nil {
			return nil, err
		}
		if uint64(size) > uint64(len(data)-d.pos) {
			return nil, d.errf("name subsection %d: size %d exceeds the %d bytes left", id, size, len(data)-d.pos)
		}
		if seen[id] {
			return nil, d.errf("name subsection %d appears twice", id)
		}
		seen[id] = true
		end := d.pos + int(size)
		sub := &decoder{buf: data[:end], pos: d.pos, fn: -1, instr: -1, sec: SectionCustom}
		switch {
		case id == NameModule:
			if n.Module, err = sub.name("module name"); err != nil {
				return nil, err
			}
			n.HasModule = true
		case isDirectName(id):
			if n.Direct[id], err = sub.nameMap(); err != nil {
				return nil, err
			}
		case isIndirectName(id):
			var im IndirectNameMap
			cnt, err := sub.count("indirect name map length", 2)
			if err != nil {
				return nil, err
			}
			for ; cnt > 0; cnt-- {
				idx, err := sub.u32("outer index")
				if err != nil {
					return nil, err
				}
				nm, err := sub.nameMap()
				if err != nil {
					return nil, err
				}
				im = append(im, IndirectAssoc{Index: idx, Names: nm})
			}
			n.Indirect[id] = im
		default:
			n.Other = append(n.Other, RawSubsection{ID: id, Data: append([]byte(nil), data[d.pos:end]...)})
			sub.pos = end
		}
		if sub.pos != end {
			return nil, sub.errf("name subsection %d has %d trailing bytes", id, end-sub.pos)
		}
		d.pos = end
	}
	return n, nil
}

func (d *decoder) nameMap() (NameMap, error) {
	cnt, err := d.count("name map length", 2)
	if err != nil {
		return nil, err
	}
	nm := make(NameMap, 0, cnt)
	for ; cnt > 0; cnt-- {
		idx, err := d.u32("index")
		if err != nil {
			return nil, err
		}
		s, err := d.name("name")
		if err != nil {
			return nil, err
		}
		nm = append(nm, NameAssoc{Index: idx, Name: s})
	}
	return nm, nil
}

// Encode writes the section's payload: subsections in increasing id
// order (unknown ones last, in their decoded order), every map sorted by
// index as the format requires, so editing a map in any order is safe.
// Cost: linear in the names; one allocation for the result plus one per
// subsection.
func (n *Names) Encode() []byte {
	var out []byte
	put := func(id byte, payload []byte) {
		out = append(out, id)
		out = appendU32(out, uint32(len(payload)))
		out = append(out, payload...)
	}
	if n.HasModule {
		put(NameModule, appendName(nil, n.Module))
	}
	for id := NameFuncs; id <= NameTags; id++ {
		if nm, ok := n.Direct[id]; ok {
			put(id, appendNameMap(nil, nm))
		}
		if im, ok := n.Indirect[id]; ok {
			im = append(IndirectNameMap(nil), im...)
			sort.SliceStable(im, func(i, j int) bool { return im[i].Index < im[j].Index })
			b := appendU32(nil, uint32(len(im)))
			for _, a := range im {
				b = appendU32(b, a.Index)
				b = appendNameMap(b, a.Names)
			}
			put(id, b)
		}
	}
	for _, o := range n.Other {
		put(o.ID, o.Data)
	}
	return out
}

func appendName(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}

func appendNameMap(b []byte, nm NameMap) []byte {
	nm = append(NameMap(nil), nm...)
	sort.SliceStable(nm, func(i, j int) bool { return nm[i].Index < nm[j].Index })
	b = appendU32(b, uint32(len(nm)))
	for _, a := range nm {
		b = appendU32(b, a.Index)
		b = appendName(b, a.Name)
	}
	return b
}

// String summarizes the section for error messages and tests.
func (n *Names) String() string {
	return fmt.Sprintf("names(module %q, %d direct, %d indirect, %d other subsections)", n.Module, len(n.Direct), len(n.Indirect), len(n.Other))
}
