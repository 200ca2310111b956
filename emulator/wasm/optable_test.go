package wasm

import (
	"slices"
	"testing"
)

// The packed tables used by the codec and the checker must say exactly
// what the opInfo records say, for every possible opcode.
func TestPackedOpcodeTablesAgree(t *testing.T) {
	for _, prefix := range []Opcode{0, PrefixFC, PrefixFD} {
		for sub := Opcode(0); sub < 0x100; sub++ {
			op := sub
			if prefix != 0 {
				op = prefix<<16 | sub
			}
			inf := op.info()
			sg := op.sig()
			if inf == nil {
				if op.immOf() != immInvalid || sg.flags&sigValid != 0 {
					t.Errorf("%s: not an instruction, but the packed tables accept it", op)
				}
				continue
			}
			if op.immOf() != inf.imm || sg.imm != inf.imm || sg.flags&sigValid == 0 {
				t.Errorf("%s: immediate kind %d, packed %d/%d", op, inf.imm, op.immOf(), sg.imm)
			}
			if sg.align != inf.align || sg.lanes != inf.lanes {
				t.Errorf("%s: align/lanes %d/%d, packed %d/%d", op, inf.align, inf.lanes, sg.align, sg.lanes)
			}
			if inf.special != (sg.flags&sigFixed == 0) {
				t.Errorf("%s: special %v but packed fixed flag %v", op, inf.special, sg.flags&sigFixed != 0)
			}
			if inf.special && sg.flags&sigSpecial == 0 {
				t.Errorf("%s: special instruction not routed to checker.special", op)
			}
			if !inf.special && (!slices.Equal(sg.in[:sg.nin], inf.in) || !slices.Equal(sg.out[:sg.nout], inf.out)) {
				t.Errorf("%s: signature %v -> %v, packed %v -> %v", op, inf.in, inf.out, sg.in[:sg.nin], sg.out[:sg.nout])
			}
		}
	}
	for _, op := range []Opcode{0x01_0000, 0xFC<<16 | 0x100, 0xFD<<16 | 0xFFFF} {
		if op.immOf() != immInvalid || op.sig().flags&sigValid != 0 {
			t.Errorf("%#x: out-of-range opcode accepted by the packed tables", uint32(op))
		}
	}
}
