package cpu

import (
	"fmt"

	"dosemu/emulator/wasm"
)

// unknownType stands for a value popped from the polymorphic stack of
// unreachable code. The rewrite never needs its type: nothing in
// unreachable code is instrumented.
const unknownType wasm.ValType = 0

// stackTracker follows the operand stack of one function body the way
// validation does, keeping only what the rewrite asks of it: the types of
// the values in the innermost control frame before each instruction, and
// whether that point is reachable. It assumes a body that wazero would
// accept and reports malformed nesting as an error instead of panicking.
type stackTracker struct {
	m      *wasm.Module
	funcs  []uint32 // function index -> type index
	globs  []wasm.ValType
	locals []wasm.ValType
	vals   []wasm.ValType
	ctrls  []ctrlFrame
}

type ctrlFrame struct {
	op          wasm.Opcode
	params      []wasm.ValType
	results     []wasm.ValType
	height      int
	unreachable bool
}

// blockSig returns the parameter and result types of a block type.
func blockSig(m *wasm.Module, bt wasm.BlockType) ([]wasm.ValType, []wasm.ValType, error) {
	if bt == wasm.BlockEmpty {
		return nil, nil, nil
	}
	if t, ok := bt.Result(); ok {
		return nil, []wasm.ValType{t}, nil
	}
	if !bt.IsIndex() || int(bt.Index()) >= len(m.Types) {
		return nil, nil, fmt.Errorf("block type %d is not a type index below %d", int64(bt), len(m.Types))
	}
	ft := m.Types[bt.Index()]
	return ft.Params, ft.Results, nil
}

func (s *stackTracker) push(t wasm.ValType) { s.vals = append(s.vals, t) }

func (s *stackTracker) pop() wasm.ValType {
	c := &s.ctrls[len(s.ctrls)-1]
	if len(s.vals) == c.height {
		// Only unreachable code may pop below its frame (validated input).
		return unknownType
	}
	t := s.vals[len(s.vals)-1]
	s.vals = s.vals[:len(s.vals)-1]
	return t
}

func (s *stackTracker) popN(n int) {
	for i := 0; i < n; i++ {
		s.pop()
	}
}

func (s *stackTracker) setUnreachable() {
	c := &s.ctrls[len(s.ctrls)-1]
	s.vals = s.vals[:c.height]
	c.unreachable = true
}

// frame returns the types in the innermost control frame (shared; copy to
// keep) and whether the current point is reachable.
func (s *stackTracker) frame() ([]wasm.ValType, bool) {
	c := &s.ctrls[len(s.ctrls)-1]
	return s.vals[c.height:], !c.unreachable
}

func (s *stackTracker) funcType(idx uint32) (wasm.FuncType, error) {
	if int(idx) >= len(s.funcs) || int(s.funcs[idx]) >= len(s.m.Types) {
		return wasm.FuncType{}, fmt.Errorf("call of function %d: no such function", idx)
	}
	return s.m.Types[s.funcs[idx]], nil
}

// step applies the stack effect of in.
func (s *stackTracker) step(in *wasm.Instr) error {
	if len(s.ctrls) == 0 {
		return fmt.Errorf("%s after the end of the function", in.Op)
	}
	if in0, out, ok := in.Op.Signature(); ok {
		s.popN(len(in0))
		for _, t := range out {
			s.push(t)
		}
		return nil
	}
	switch in.Op {
	case wasm.OpUnreachable, wasm.OpReturn:
		s.setUnreachable()
	case wasm.OpNop:
	case wasm.OpBlock, wasm.OpLoop, wasm.OpIf:
		if in.Op == wasm.OpIf {
			s.pop()
		}
		p, r, err := blockSig(s.m, in.Block)
		if err != nil {
			return err
		}
		s.popN(len(p))
		s.ctrls = append(s.ctrls, ctrlFrame{op: in.Op, params: p, results: r, height: len(s.vals)})
		s.vals = append(s.vals, p...)
	case wasm.OpElse:
		c := &s.ctrls[len(s.ctrls)-1]
		if c.op != wasm.OpIf {
			return fmt.Errorf("else without if")
		}
		s.vals = append(s.vals[:c.height], c.params...)
		c.op = wasm.OpElse
		c.unreachable = false
	case wasm.OpEnd:
		c := s.ctrls[len(s.ctrls)-1]
		s.vals = append(s.vals[:c.height], c.results...)
		s.ctrls = s.ctrls[:len(s.ctrls)-1]
	case wasm.OpBr:
		s.setUnreachable()
	case wasm.OpBrIf:
		s.pop()
	case wasm.OpBrTable:
		s.pop()
		s.setUnreachable()
	case wasm.OpCall:
		ft, err := s.funcType(in.Index)
		if err != nil {
			return err
		}
		s.popN(len(ft.Params))
		s.vals = append(s.vals, ft.Results...)
	case wasm.OpCallIndirect:
		if int(in.Index) >= len(s.m.Types) {
			return fmt.Errorf("call_indirect type %d: no such type", in.Index)
		}
		ft := s.m.Types[in.Index]
		s.pop()
		s.popN(len(ft.Params))
		s.vals = append(s.vals, ft.Results...)
	case wasm.OpDrop:
		s.pop()
	case wasm.OpSelect:
		s.pop()
		a := s.pop()
		b := s.pop()
		if a == unknownType {
			a = b
		}
		s.push(a)
	case wasm.OpSelectT:
		s.popN(3)
		s.push(wasm.ValType(in.Index))
	case wasm.OpLocalGet, wasm.OpLocalSet, wasm.OpLocalTee:
		if int(in.Index) >= len(s.locals) {
			return fmt.Errorf("%s %d: no such local", in.Op, in.Index)
		}
		t := s.locals[in.Index]
		switch in.Op {
		case wasm.OpLocalGet:
			s.push(t)
		case wasm.OpLocalSet:
			s.pop()
		default:
			s.pop()
			s.push(t)
		}
	case wasm.OpGlobalGet, wasm.OpGlobalSet:
		if int(in.Index) >= len(s.globs) {
			return fmt.Errorf("%s %d: no such global", in.Op, in.Index)
		}
		if in.Op == wasm.OpGlobalGet {
			s.push(s.globs[in.Index])
		} else {
			s.pop()
		}
	case wasm.OpTableGet:
		s.pop()
		s.push(s.tableElem(in.Index))
	case wasm.OpTableSet:
		s.popN(2)
	case wasm.OpTableSize:
		s.push(wasm.I32)
	case wasm.OpTableGrow:
		s.popN(2)
		s.push(wasm.I32)
	case wasm.OpTableFill:
		s.popN(3)
	case wasm.OpTableInit, wasm.OpTableCopy:
		s.popN(3)
	case wasm.OpElemDrop:
	case wasm.OpRefNull:
		s.push(wasm.ValType(in.Index))
	case wasm.OpRefIsNull:
		s.pop()
		s.push(wasm.I32)
	case wasm.OpRefFunc:
		s.push(wasm.FuncRef)
	default:
		return fmt.Errorf("instruction %s has no known stack effect", in.Op)
	}
	return nil
}

func (s *stackTracker) tableElem(idx uint32) wasm.ValType {
	n := uint32(0)
	for _, im := range s.m.Imports {
		if im.Kind == wasm.ExternTable {
			if n == idx {
				return im.Table.Elem
			}
			n++
		}
	}
	if int(idx-n) < len(s.m.Tables) {
		return s.m.Tables[idx-n].Elem
	}
	return wasm.FuncRef
}
