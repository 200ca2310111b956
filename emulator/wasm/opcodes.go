package wasm

// Opcode identifies an instruction. Single-byte opcodes are their byte
// value; prefixed opcodes are prefix<<16 | sub-opcode, e.g. memory.copy is
// 0xFC<<16 | 10 and i32x4.add is 0xFD<<16 | 0xAE. Constants are named after
// the text format: OpI32Add is i32.add, OpSelectT is the typed select.
type Opcode uint32

// Instruction prefixes.
const (
	PrefixFC Opcode = 0xFC // saturating truncation, bulk memory, tables
	PrefixFD Opcode = 0xFD // SIMD
)

// immKind says which immediates follow an opcode in the binary format.
type immKind uint8

const (
	immNone immKind = iota
	immBlock
	immLabel
	immBrTable
	immFunc
	immCallIndirect
	immLocal
	immGlobal
	immTable
	immMemArg
	immMemLane
	immI32
	immI64
	immF32
	immF64
	immV128
	immShuffle
	immLane
	immSelectT
	immRefType
	immMemZero   // one reserved zero byte (memory index 0)
	immMemInit   // data index, then a zero byte
	immData      // data index
	immMemCopy   // two zero bytes
	immTableInit // element index, table index
	immElem      // element index
	immTableCopy // destination table, source table
)

// opInfo describes one opcode: its text name, immediates, and, unless
// special, its fixed operand signature (pops in, pushes out).
type opInfo struct {
	name    string
	imm     immKind
	special bool // typing depends on context (control, variables, references)
	in, out []ValType
	align   uint8 // natural alignment (log2) of memory accesses
	lanes   uint8 // lane count for lane immediates
}

// immInvalid marks opcodes outside the feature set in immTab.
const immInvalid immKind = 0xFF

// immTab holds each opcode's immediate kind, one byte per opcode (plain,
// 0xFC, 0xFD), so the codec's per-instruction dispatch touches a 768-byte
// table instead of the 70-byte opInfo records.
var immTab [3][256]immKind

// opSig is the part of opInfo the type checker needs for every
// instruction, packed into 12 bytes so the whole table (9 KiB) stays in
// the first-level cache; opInfo with its name and slices is ten times
// larger and is read only for the rarer cases.
type opSig struct {
	imm   immKind
	flags uint8
	nin   uint8
	nout  uint8
	in    [3]ValType
	out   [3]ValType
	align uint8
	lanes uint8
}

const (
	sigValid   = 1 << iota // an instruction of the feature set
	sigFixed               // stack effect is in[:nin] -> out[:nout]
	sigSpecial             // checker.special must look at it
)

var sigTab [3][256]opSig

func init() {
	for p, tab := range [3]*[256]opInfo{&opsPlain, &opsFC, &opsFD} {
		for i := range tab {
			inf := &tab[i]
			if inf.name == "" {
				immTab[p][i] = immInvalid
				continue
			}
			immTab[p][i] = inf.imm
			sg := &sigTab[p][i]
			sg.imm, sg.align, sg.lanes = inf.imm, inf.align, inf.lanes
			sg.flags = sigValid
			switch inf.imm {
			case immMemInit, immData, immTableInit, immElem, immTableCopy, immTable:
				sg.flags |= sigSpecial
			}
			if inf.special {
				sg.flags |= sigSpecial
			} else if len(inf.in) <= len(sg.in) && len(inf.out) <= len(sg.out) {
				sg.flags |= sigFixed
				sg.nin, sg.nout = uint8(len(inf.in)), uint8(len(inf.out))
				copy(sg.in[:], inf.in)
				copy(sg.out[:], inf.out)
			}
		}
	}
}

// sig returns op's packed signature; sig(op).flags&sigValid == 0 for
// opcodes outside the feature set.
func (op Opcode) sig() *opSig {
	p := 0
	switch op >> 16 {
	case 0:
	case PrefixFC:
		p = 1
	case PrefixFD:
		p = 2
	default:
		return &sigTab[0][0xFF] // never valid: 0xFF is not an opcode
	}
	if op&0xFFFF > 0xFF {
		return &sigTab[0][0xFF]
	}
	return &sigTab[p][op&0xFF]
}

// immOf returns op's immediate kind, or immInvalid. O(1), no allocation.
func (op Opcode) immOf() immKind {
	p := 0
	switch op >> 16 {
	case 0:
	case PrefixFC:
		p = 1
	case PrefixFD:
		p = 2
	default:
		return immInvalid
	}
	if op&0xFFFF > 0xFF {
		return immInvalid
	}
	return immTab[p][op&0xFF]
}

// info returns the description of op, or nil if op is not a WebAssembly
// 2.0 instruction. Lookup is an array index: O(1), no allocation.
func (op Opcode) info() *opInfo {
	var tab *[256]opInfo
	switch op >> 16 {
	case 0:
		tab = &opsPlain
	case PrefixFC:
		tab = &opsFC
	case PrefixFD:
		tab = &opsFD
	default:
		return nil
	}
	if op&0xFFFF > 0xFF {
		return nil
	}
	in := &tab[op&0xFF]
	if in.name == "" {
		return nil
	}
	return in
}

// Valid reports whether op is an instruction of the supported feature set.
func (op Opcode) Valid() bool { return op.info() != nil }

// String returns the text-format mnemonic ("i32.add", "v128.load8_lane"),
// or a hex form for unknown opcodes.
func (op Opcode) String() string {
	if in := op.info(); in != nil {
		return in.name
	}
	if op>>16 != 0 {
		return "opcode(0x" + hex2(byte(op>>16)) + " " + uitoa(uint64(op&0xFFFF)) + ")"
	}
	return "opcode(0x" + hex2(byte(op)) + ")"
}

// Signature returns the fixed operand types popped and pushed by op. ok is
// false for instructions whose stack effect depends on immediates or
// context (control flow, calls, variables, select, references, table.grow,
// table.fill); use the typing walker for those. The slices are shared and
// must not be modified.
func (op Opcode) Signature() (in, out []ValType, ok bool) {
	inf := op.info()
	if inf == nil || inf.special {
		return nil, nil, false
	}
	return inf.in, inf.out, true
}

// NaturalAlign returns log2 of the access width of a memory instruction,
// the largest alignment immediate validation allows.
func (op Opcode) NaturalAlign() (uint32, bool) {
	inf := op.info()
	if inf == nil || (inf.imm != immMemArg && inf.imm != immMemLane) {
		return 0, false
	}
	return uint32(inf.align), true
}

func uitoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}
