package cpu

import (
	"errors"
	"fmt"
	"strconv"
	"unsafe"

	"github.com/tetratelabs/wazero/api"

	"dosemu/emulator/wasm"
)

// Table is the captured content of one table the program changes at run
// time (see instrument_tables.go): its size is len(Funcs), and entry i is
// 0 for a null reference or 1 + the index (in the instrumented module, as
// Frame.Func) of the function it refers to. An externref table can only be
// captured while all its entries are null.
type Table struct {
	Index uint32
	Elem  wasm.ValType
	Funcs []uint32
}

// ErrHostRef is wrapped by the error of a capture that meets a reference
// it cannot name: a non-null externref in a table (a host value, which has
// no meaning in another process or after a round trip through bytes) or a
// funcref to a function of another module.
var ErrHostRef = errors.New("table holds a reference that cannot be captured")

// tableAccess is one instance's handle on the table accessors, bound on
// first use.
type tableAccess struct {
	size, get, set, grow []api.Function // per tablePlan.tables entry
	fref, redrop         api.Function
	vhi, vset            []api.Function // per tablePlan.v128 entry
	vpos                 []int          // per tablePlan.v128 entry: its place in Rewrite.Globals
	// ids maps a function's identity (see funcIdentity) to its
	// reference-table slot; built on the first capture that meets a
	// funcref.
	ids   map[[2]uintptr]uint32
	stack [2]uint64
}

// tables returns the thread's table accessors, looking them up once.
func (t *Thread) tables() (*tableAccess, error) {
	cs := t.cont
	if cs.tabs != nil {
		return cs.tabs, nil
	}
	plan := &t.prog.inst.(*progInst).tables
	ta := &tableAccess{}
	fn := func(name string) (api.Function, error) {
		f := t.mod.ExportedFunction(name)
		if f == nil {
			return nil, fmt.Errorf("instrumented module lost its export %q", name)
		}
		return f, nil
	}
	for _, pt := range plan.tables {
		suffix := strconv.FormatUint(uint64(pt.index), 10)
		for _, a := range []struct {
			dst    *[]api.Function
			prefix string
		}{{&ta.size, exportTSize}, {&ta.get, exportTGet}, {&ta.set, exportTSet}, {&ta.grow, exportTGrow}} {
			f, err := fn(a.prefix + suffix)
			if err != nil {
				return nil, err
			}
			*a.dst = append(*a.dst, f)
		}
	}
	var err error
	if len(plan.tables) > 0 {
		if ta.fref, err = fn(exportFRef); err != nil {
			return nil, err
		}
	}
	if plan.redrop {
		if ta.redrop, err = fn(exportRedrop); err != nil {
			return nil, err
		}
	}
	pi := t.prog.inst.(*progInst)
	for _, g := range plan.v128 {
		suffix := strconv.FormatUint(uint64(g), 10)
		hi, err := fn(exportVHi + suffix)
		if err != nil {
			return nil, err
		}
		set, err := fn(exportVSet + suffix)
		if err != nil {
			return nil, err
		}
		pos := -1
		for i, gs := range pi.globals {
			if gs.Index == g {
				pos = i
			}
		}
		if pos < 0 {
			return nil, fmt.Errorf("v128 global %d is not among the captured globals", g)
		}
		ta.vhi, ta.vset, ta.vpos = append(ta.vhi, hi), append(ta.vset, set), append(ta.vpos, pos)
	}
	cs.tabs = ta
	return ta, nil
}

// captureV128 appends the high halves of the v128 globals to vals.
func (t *Thread) captureV128(vals []uint64) ([]uint64, error) {
	if len(t.prog.inst.(*progInst).tables.v128) == 0 {
		return vals, nil
	}
	ta, err := t.tables()
	if err != nil {
		return nil, err
	}
	for k, f := range ta.vhi {
		hi, err := ta.call(t, f)
		if err != nil {
			return nil, fmt.Errorf("reading v128 global %d: %w", t.prog.inst.(*progInst).tables.v128[k], err)
		}
		vals = append(vals, hi)
	}
	return vals, nil
}

// restoreV128 sets the v128 globals whole from a capture's global values
// (Capture.Globals: the low halves in place, the high halves after).
func (t *Thread) restoreV128(vals []uint64) error {
	plan := &t.prog.inst.(*progInst).tables
	if len(plan.v128) == 0 {
		return nil
	}
	ta, err := t.tables()
	if err != nil {
		return err
	}
	his := vals[len(vals)-len(plan.v128):]
	for k, f := range ta.vset {
		if _, err := ta.call(t, f, vals[ta.vpos[k]], his[k]); err != nil {
			return fmt.Errorf("writing v128 global %d: %w", plan.v128[k], err)
		}
	}
	return nil
}

// call runs an accessor with up to two arguments and returns its first
// result (0 without one). Accessors run on the calling goroutine while the
// guest's is idle, so they never meet a parked stack.
func (ta *tableAccess) call(t *Thread, f api.Function, args ...uint64) (uint64, error) {
	copy(ta.stack[:], args)
	if err := f.CallWithStack(t.ctx, ta.stack[:]); err != nil {
		return 0, err
	}
	return ta.stack[0], nil
}

// captureTables reads the content of every table the program changes into
// c.Tables. Cost: two accessor calls (≈0.1–0.2 µs each) per entry, and
// once per instance one call per referenceable function.
func (t *Thread) captureTables(c *Capture) error {
	plan := &t.prog.inst.(*progInst).tables
	if len(plan.tables) == 0 {
		return nil
	}
	ta, err := t.tables()
	if err != nil {
		return err
	}
	c.Tables = make([]Table, len(plan.tables))
	for k, pt := range plan.tables {
		n, err := ta.call(t, ta.size[k])
		if err != nil {
			return fmt.Errorf("table %d: size: %w", pt.index, err)
		}
		entries := make([]uint32, uint32(n))
		for i := range entries {
			ref, err := ta.call(t, ta.get[k], uint64(i))
			if err != nil {
				return fmt.Errorf("table %d: entry %d: %w", pt.index, i, err)
			}
			if ref == 0 {
				continue
			}
			if pt.elem != wasm.FuncRef {
				return fmt.Errorf("table %d entry %d: a non-null %s: %w", pt.index, i, pt.elem, ErrHostRef)
			}
			slot, err := ta.slotOf(t, plan, ref)
			if err != nil {
				return fmt.Errorf("table %d entry %d: %w", pt.index, i, err)
			}
			entries[i] = plan.refs[slot] + 1
		}
		c.Tables[k] = Table{Index: pt.index, Elem: pt.elem, Funcs: entries}
	}
	return nil
}

// slotOf maps an engine funcref to its slot in the reference table.
func (ta *tableAccess) slotOf(t *Thread, plan *tablePlan, ref uint64) (uint32, error) {
	if ta.ids == nil {
		ta.ids = make(map[[2]uintptr]uint32, len(plan.refs))
		for k := range plan.refs {
			r, err := ta.call(t, ta.fref, uint64(k))
			if err != nil {
				return 0, fmt.Errorf("reading the reference table: %w", err)
			}
			if r != 0 {
				ta.ids[funcIdentity(r)] = uint32(k)
			}
		}
	}
	slot, ok := ta.ids[funcIdentity(ref)]
	if !ok {
		return 0, fmt.Errorf("a function reference from outside the module: %w", ErrHostRef)
	}
	return slot, nil
}

// funcIdentity names the function a non-null funcref refers to. wazero's
// compiler (v1.12) does not intern references: every ref.func and every
// element segment entry makes a new record, so two references to one
// function differ as values. Each record begins with the function's code
// address and its instance's context address (for a defined function and
// for an import alike), and that pair does identify the function. This
// reads wazero's private layout; the table tests fail if it changes.
func funcIdentity(ref uint64) [2]uintptr {
	p := *(*unsafe.Pointer)(unsafe.Pointer(&ref))
	return *(*[2]uintptr)(p)
}

// restoreTables gives a fresh instance the captured tables and drops the
// segments the captured globals mark as dropped. The globals must already
// be set. Cost: a grow per table and one write per entry (plus a read of
// the reference table per non-null entry).
func (t *Thread) restoreTables(c *Capture) error {
	pi := t.prog.inst.(*progInst)
	plan := &pi.tables
	if len(plan.tables) == 0 && !plan.redrop {
		return nil
	}
	ta, err := t.tables()
	if err != nil {
		return err
	}
	var slot map[uint32]uint32 // function index -> reference-table slot
	for k, pt := range plan.tables {
		tc := &c.Tables[k]
		if tc.Index != pt.index || tc.Elem != pt.elem {
			return fmt.Errorf("captured table %d (%s) is not the program's table %d (%s)", tc.Index, tc.Elem, pt.index, pt.elem)
		}
		n, err := ta.call(t, ta.size[k])
		if err != nil {
			return fmt.Errorf("table %d: size: %w", pt.index, err)
		}
		want := uint64(len(tc.Funcs))
		if want < n {
			return fmt.Errorf("captured table %d has %d entries, fewer than the %d it starts with", pt.index, want, n)
		}
		if want > n {
			if r, err := ta.call(t, ta.grow[k], want-n); err != nil || uint32(r) == 0xFFFFFFFF {
				return fmt.Errorf("table %d: growing to %d entries failed (%v)", pt.index, want, err)
			}
		}
		for i, e := range tc.Funcs {
			var ref uint64
			if e != 0 {
				if pt.elem != wasm.FuncRef {
					return fmt.Errorf("table %d entry %d: a function in a %s table", pt.index, i, pt.elem)
				}
				if slot == nil {
					slot = make(map[uint32]uint32, len(plan.refs))
					for s, f := range plan.refs {
						slot[f] = uint32(s)
					}
				}
				s, ok := slot[e-1]
				if !ok {
					return fmt.Errorf("table %d entry %d: function %d cannot be referenced", pt.index, i, e-1)
				}
				if ref, err = ta.call(t, ta.fref, uint64(s)); err != nil {
					return fmt.Errorf("reading the reference table: %w", err)
				}
			}
			if _, err := ta.call(t, ta.set[k], uint64(i), ref); err != nil {
				return fmt.Errorf("table %d: writing entry %d: %w", pt.index, i, err)
			}
		}
	}
	if ta.redrop != nil {
		if _, err := ta.call(t, ta.redrop); err != nil {
			return fmt.Errorf("dropping segments again: %w", err)
		}
	}
	return nil
}
