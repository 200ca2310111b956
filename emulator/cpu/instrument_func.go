package cpu

import (
	"fmt"

	"dosemu/emulator/wasm"
)

// A function body is parsed into a tree of sequences (block bodies) whose
// elements are plain instructions, nested blocks, or call sites. The tree
// carries what the emitter needs: site numbers, the site range each block
// covers, and the operand-stack types of the enclosing frame at each point
// where the emitter cuts the stack into locals.

type elem struct {
	i     int            // index of the instruction in the original body
	blk   *blk           // non-nil for block, loop and if
	site  int            // > 0 for a call that may suspend
	imp   bool           // the call certainly reaches an import (restart on rewind)
	ind   bool           // call_indirect site: may or may not reach an import
	stack []wasm.ValType // frame types before the element (items only)
	h     int32          // height of the frame's operand stack before it (plain instructions)
}

type blk struct {
	op       wasm.Opcode
	bt       wasm.BlockType
	params   []wasm.ValType
	then     []elem
	els      []elem
	hasElse  bool
	loopSite int // loops: the site number of the header's fuel check
	lo, hi   int // sites covered (inclusive); hi < lo when none
	thenHi   int // the last site of the then arm (ifs); < lo when none
	hasCalls bool
	charge   int // loops: instructions of the body outside nested loops
}

// isItem reports whether e takes part in suspension: a call site or a block
// that contains one.
func (e *elem) isItem() bool {
	return e.site > 0 || (e.blk != nil && e.blk.hi >= e.blk.lo)
}

func (e *elem) lo() int {
	if e.site > 0 {
		return e.site
	}
	return e.blk.lo
}

func (e *elem) hi() int {
	if e.site > 0 {
		return e.site
	}
	return e.blk.hi
}

// funcRewriter rewrites one instrumented function.
type funcRewriter struct {
	mi    *modInfo
	fidx  uint32 // new function index
	ft    wasm.FuncType
	body  []wasm.Instr
	st    stackTracker
	next  int // next site number
	entry int // charge of the function outside loops

	out     []wasm.Instr
	locals  []wasm.ValType // params, declared, added
	nParams int
	pool    map[wasm.ValType][]uint32
	// unsaved pools the locals that carry the arguments of a direct call
	// of an instrumented function across its wrapper: on rewind the callee
	// reloads its own parameters, so their values need not be saved.
	unsaved map[wasm.ValType][]uint32
	noSave  []bool // added local -> never saved (index - len(crosses))
	crosses []bool // original local -> may hold a value across a site
	siteL   uint32
	fuelL   uint32
	depth   int
	loops   int // loops open around the code being emitted
	labels  []int
	hasCall bool
	sc      *rewriteScratch // buffers shared by the module's functions
	// srcLabels holds the br_table targets of the original body,
	// outLabels those of the rewritten one (wasm.Func.Labels).
	srcLabels, outLabels []uint32
}

func (r *funcRewriter) errf(i int, format string, args ...any) error {
	return fmt.Errorf("function %d, instruction %d: %s", r.fidx, i, fmt.Sprintf(format, args...))
}

// parseSeq parses instructions from *pos until the else or end closing the
// current block (which it leaves at *pos). loopCharge accumulates the count
// of the innermost enclosing loop body or, outside loops, the entry charge.
func (r *funcRewriter) parseSeq(pos *int, charge *int, dead bool) ([]elem, error) {
	base := len(r.sc.stk)
	for *pos < len(r.body) {
		i := *pos
		in := &r.body[i]
		if in.Op == wasm.OpEnd || in.Op == wasm.OpElse {
			return r.sc.seal(base), nil
		}
		frame, reach := r.st.frame()
		isDead := dead || !reach
		*charge++
		switch in.Op {
		case wasm.OpBlock, wasm.OpLoop, wasm.OpIf:
			e := elem{i: i, stack: r.sc.snapshot(frame)}
			if err := r.st.step(in); err != nil {
				return nil, r.errf(i, "%v", err)
			}
			b := r.sc.newBlk()
			*b = blk{op: in.Op, bt: in.Block, lo: 1, hi: 0}
			p, _, _ := blockSig(r.mi.m, in.Block)
			b.params = p
			first := r.next
			bodyCharge := charge
			if in.Op == wasm.OpLoop && !isDead {
				b.loopSite = r.next
				r.next++
				bodyCharge = &b.charge
			}
			*pos = i + 1
			var err error
			if b.then, err = r.parseSeq(pos, bodyCharge, isDead); err != nil {
				return nil, err
			}
			b.thenHi = r.next - 1
			if *pos < len(r.body) && r.body[*pos].Op == wasm.OpElse {
				if err := r.st.step(&r.body[*pos]); err != nil {
					return nil, r.errf(*pos, "%v", err)
				}
				*pos++
				b.hasElse = true
				if b.els, err = r.parseSeq(pos, bodyCharge, isDead); err != nil {
					return nil, err
				}
			}
			if *pos >= len(r.body) {
				return nil, r.errf(i, "%s without end", in.Op)
			}
			if err := r.st.step(&r.body[*pos]); err != nil {
				return nil, r.errf(*pos, "%v", err)
			}
			if r.next > first {
				b.lo, b.hi = first, r.next-1
			}
			b.hasCalls = seqHasCalls(b.then) || seqHasCalls(b.els)
			e.blk = b
			r.sc.stk = append(r.sc.stk, e)
			*pos++ // past the end
			continue
		case wasm.OpCall, wasm.OpCallIndirect:
			e := elem{i: i, h: int32(len(frame))}
			r.hasCall = true
			if in.Op == wasm.OpCall && int(in.Index) < len(r.mi.leafCost) {
				*charge += r.mi.leafCost[in.Index]
			}
			if !isDead {
				site, imp, ind := r.mi.callKind(in)
				if site {
					e.site = r.next
					r.next++
					e.imp, e.ind = imp, ind
					e.stack = r.sc.snapshot(frame)
				}
			}
			if err := r.st.step(in); err != nil {
				return nil, r.errf(i, "%v", err)
			}
			r.sc.stk = append(r.sc.stk, e)
		default:
			if err := r.st.step(in); err != nil {
				return nil, r.errf(i, "%v", err)
			}
			r.sc.stk = append(r.sc.stk, elem{i: i, h: int32(len(frame))})
		}
		*pos = i + 1
	}
	return nil, r.errf(len(r.body), "body does not end with end")
}

func seqHasCalls(seq []elem) bool {
	for i := range seq {
		if seq[i].site > 0 || (seq[i].blk != nil && seq[i].blk.hasCalls) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// Emission.

func (r *funcRewriter) emit(op wasm.Opcode) { r.out = append(r.out, wasm.Instr{Op: op}) }

func (r *funcRewriter) emitI(op wasm.Opcode, idx uint32) {
	r.out = append(r.out, wasm.Instr{Op: op, Index: idx})
}

func (r *funcRewriter) emitConst32(v int32) {
	r.out = append(r.out, wasm.Instr{Op: wasm.OpI32Const, Value: uint64(int64(v))})
}

func (r *funcRewriter) emitConst64(v int64) {
	r.out = append(r.out, wasm.Instr{Op: wasm.OpI64Const, Value: uint64(v)})
}

func (r *funcRewriter) emitBlock(op wasm.Opcode, bt wasm.BlockType) {
	r.out = append(r.out, wasm.Instr{Op: op, Block: bt})
	r.depth++
}

func (r *funcRewriter) emitEnd() {
	r.emit(wasm.OpEnd)
	r.depth--
}

// rel converts an absolute label position to a relative branch depth.
func (r *funcRewriter) rel(abs int) uint32 { return uint32(r.depth - 1 - abs) }

func (r *funcRewriter) alloc(t wasm.ValType) uint32 { return r.allocFrom(r.pool, t, false) }

func (r *funcRewriter) allocFrom(pool map[wasm.ValType][]uint32, t wasm.ValType, noSave bool) uint32 {
	if l := pool[t]; len(l) > 0 {
		x := l[len(l)-1]
		pool[t] = l[:len(l)-1]
		return x
	}
	r.locals = append(r.locals, t)
	r.noSave = append(r.noSave, noSave)
	return uint32(len(r.locals) - 1)
}

func (r *funcRewriter) free(ls []uint32) {
	for _, l := range ls {
		t := r.locals[l]
		if r.noSave[int(l)-len(r.crosses)] {
			r.unsaved[t] = append(r.unsaved[t], l)
		} else {
			r.pool[t] = append(r.pool[t], l)
		}
	}
}

// unsavedInputs is how many of the values on top of the operand stack
// before item e a frame need not save, because a rewind that lands at e
// does not need them: the arguments of a direct call of an instrumented
// function (the callee's own restore overwrites its parameters), and the
// parameters and condition of a block or if (the block's own rewind
// dispatch branches past every use of its parameters, and the condition
// follows from the target site, see landing). A loop's parameters are
// saved: its own fuel-check site resumes at the loop's start with them.
func (r *funcRewriter) unsavedInputs(e *elem, rebuildCond bool) int {
	n := 0
	switch {
	case e.blk != nil && e.blk.op == wasm.OpLoop:
	case e.blk != nil:
		n = len(e.blk.params)
		if e.blk.op == wasm.OpIf && rebuildCond {
			n++
		} else if e.blk.op == wasm.OpIf {
			// The condition is saved; the parameters below it are not.
			return 0
		}
	case e.imp || e.ind:
	default:
		in := &r.body[e.i]
		if in.Op == wasm.OpCall && int(in.Index) < len(r.mi.funcTypes) {
			n = len(r.mi.m.Types[r.mi.funcTypes[in.Index]].Params)
		}
	}
	if n > len(e.stack) {
		return 0
	}
	return n
}

// spillItem cuts the operand stack before a site item into locals and
// records, in the item's landing record, the values its unsaved inputs
// must hold when a rewind lands there (zero, or the condition of an if).
func (r *funcRewriter) spillItem(e *elem, land int, rebuildCond bool) []uint32 {
	nu := r.unsavedInputs(e, rebuildCond)
	if nu == 0 {
		return r.spill(e.stack)
	}
	ls := r.sc.spillList(len(e.stack))
	first := len(e.stack) - nu
	start := len(r.sc.landVals)
	for k, t := range e.stack {
		if k < first {
			ls[k] = r.alloc(t)
			continue
		}
		ls[k] = r.allocFrom(r.unsaved, t, true)
		v := landVal{l: ls[k]}
		if k == len(e.stack)-1 && e.blk != nil && e.blk.op == wasm.OpIf {
			b := e.blk
			v.cond, v.lo, v.n, v.all = true, b.lo, max(b.thenHi-b.lo+1, 0), b.thenHi == b.hi
		}
		r.sc.landVals = append(r.sc.landVals, v)
	}
	r.sc.lands[land] = landSpan{start, len(r.sc.landVals)}
	for k := len(ls) - 1; k >= 0; k-- {
		r.emitI(wasm.OpLocalSet, ls[k])
	}
	return ls
}

// landVal is a value an unsaved local must hold when a rewind lands at an
// item: zero, or (cond) whether the target site is one of the n sites
// from lo on, the then arm of an if (all: the if's every site is there).
// Unsaved locals hold garbage on a rewind otherwise, which is harmless
// but not free: a local read at a landing and not set on the dispatch
// path stays live around loops and across calls, and the dispatch setting
// it keeps the normal path's copy of it short-lived.
type landVal struct {
	l         uint32
	cond, all bool
	lo, n     int
}

// landSpan locates one item's landing values in rewriteScratch.landVals.
type landSpan struct{ start, end int }

// crossingLocals marks the locals of a body (parameters and declared) that
// may carry a value across a control point: those read at least once
// without a write earlier in the same straight-line stretch. Every site is
// a control point (a call or a loop header), so the others are dead at
// every site and a frame need not save them. Cost: one pass, no allocation
// beyond the two slices.
func crossingLocals(body []wasm.Instr, n int, cross []bool, lastW []int32) ([]bool, []int32) {
	cross = append(cross[:0], make([]bool, n)...)
	lastW = append(lastW[:0], make([]int32, n)...)
	for i := range lastW {
		lastW[i] = -1
	}
	epoch := int32(0)
	for k := range body {
		in := &body[k]
		switch in.Op {
		case wasm.OpLocalGet:
			if int(in.Index) < n && lastW[in.Index] != epoch {
				cross[in.Index] = true
			}
		case wasm.OpLocalSet, wasm.OpLocalTee:
			if int(in.Index) < n {
				lastW[in.Index] = epoch
			}
		case wasm.OpBlock, wasm.OpLoop, wasm.OpIf, wasm.OpElse, wasm.OpEnd, wasm.OpBr, wasm.OpBrIf,
			wasm.OpBrTable, wasm.OpReturn, wasm.OpUnreachable, wasm.OpCall, wasm.OpCallIndirect:
			epoch++
		}
	}
	return cross, lastW
}

// spill pops values of the given types (bottom first) into fresh locals.
func (r *funcRewriter) spill(types []wasm.ValType) []uint32 {
	if len(types) == 0 {
		return nil
	}
	ls := r.sc.spillList(len(types))
	for k := range types {
		ls[k] = r.alloc(types[k])
	}
	for k := len(types) - 1; k >= 0; k-- {
		r.emitI(wasm.OpLocalSet, ls[k])
	}
	return ls
}

func (r *funcRewriter) reload(ls []uint32) {
	for _, l := range ls {
		r.emitI(wasm.OpLocalGet, l)
	}
}

// copyInstr emits an original instruction with its branch depths and
// function indices adjusted to the rewritten body and module.
func (r *funcRewriter) copyInstr(in wasm.Instr) {
	switch in.Op {
	case wasm.OpBr, wasm.OpBrIf:
		in.Index = r.rel(r.labels[len(r.labels)-1-int(in.Index)])
	case wasm.OpBrTable:
		src, _ := in.BrLabels(r.srcLabels) // in range: the body validated
		ls := r.sc.labelList(len(src))
		for k, d := range src {
			ls[k] = r.rel(r.labels[len(r.labels)-1-int(d)])
		}
		in.SetBrLabels(&r.outLabels, ls)
		in.Index = r.rel(r.labels[len(r.labels)-1-int(in.Index)])
	case wasm.OpCall, wasm.OpRefFunc:
		in.Index = r.mi.remapFunc(in.Index)
	}
	r.out = append(r.out, in)
}

func (r *funcRewriter) openOriginal(e *elem) {
	in := r.body[e.i]
	if in.Op == wasm.OpLoop {
		r.loops++
	}
	r.out = append(r.out, wasm.Instr{Op: in.Op, Block: in.Block})
	r.labels = append(r.labels, r.depth)
	r.depth++
}

func (r *funcRewriter) closeOriginal(e *elem) {
	if e.blk.op == wasm.OpLoop {
		r.loops--
	}
	r.labels = r.labels[:len(r.labels)-1]
	r.emitEnd()
}

// emitPlain copies a sequence that contains no suspension point.
func (r *funcRewriter) emitPlain(seq []elem) {
	for k := range seq {
		e := &seq[k]
		if e.blk == nil {
			r.copyInstr(r.body[e.i])
			continue
		}
		r.openOriginal(e)
		r.emitPlain(e.blk.then)
		if e.blk.hasElse {
			r.emit(wasm.OpElse)
			r.emitPlain(e.blk.els)
		}
		r.closeOriginal(e)
	}
}

type seqKind uint8

const (
	kindBlock seqKind = iota // block body or if arm: rewind dispatch only
	kindLoop                 // loop body: fuel check + dispatch
	kindTop                  // function body: fuel check, frame restore, dispatch
)

// target is one entry of a rewind dispatch: sites lo..hi are reached by a
// branch to the absolute label abs, where the landing record land
// (rewriteScratch.lands) says what the dispatch sets before branching.
type target struct{ lo, hi, abs, land int }

// header is what a sequence must do before its first instruction: for a
// function body or loop body, charge fuel and test it (the rewind path
// rides on that test); for a block body, test for a rewind. A sequence that
// starts with a nested block or loop holding sites hands its header down
// to it (see emitSeq), so header carries the duties of enclosing levels
// too: targets lists their dispatch entries, restore says the frame is
// still to be reloaded.
type header struct {
	kind     seqKind
	params   []wasm.ValType
	ownSite  int // site of this header's own fuel check
	charge   int
	hasCalls bool
	restore  bool
	targets  []target
	// noTest: a loop header that only charges (see loopNeedsNoTest).
	noTest bool
}

// descendable reports whether a sequence's first element can take over
// the sequence's header: a block or loop holding sites, entered with
// nothing on the operand stack. Nothing runs between the sequence's start
// and that element's start, so a header placed inside it runs exactly
// when the sequence's own would have.
func descendable(e *elem) bool {
	return e.isItem() && e.blk != nil && len(e.stack) == 0 && len(e.blk.params) == 0 &&
		(e.blk.op == wasm.OpBlock || e.blk.op == wasm.OpLoop)
}

// emitSeq emits one block body. See the package documentation for the
// shape: the body is wrapped in one empty block per suspension item so that
// the rewind dispatch can branch forward to any of them, and the operand
// stack is cut into locals at each item.
//
// When the body starts with a block or loop holding sites, its header
// moves into that element: a chain of nested blocks (the shape of every Go
// function, and of C switch lowering) then pays one test on entry instead
// of one per level, and a function body or loop body that starts with a
// loop merges its fuel test into the loop's (its charge is subtracted
// untested; the loop tests right after).
func (r *funcRewriter) emitSeq(seq []elem, h header) {
	nItems := 0
	for k := range seq {
		if seq[k].isItem() {
			nItems++
		}
	}
	items := r.sc.intList(nItems)[:0]
	for k := range seq {
		if seq[k].isItem() {
			items = append(items, k)
		}
	}
	if len(items) == 0 && h.kind == kindBlock && len(h.targets) == 0 {
		r.emitPlain(seq)
		return
	}
	// A dispatch rebuilds the condition of an if item from the target
	// site (so the frame need not keep it live to save it) when the
	// sequence has one such item: with more, every dispatch leading to
	// them would test a range per item, more code than saving it.
	ifItems := 0
	for _, k := range items {
		if b := seq[k].blk; b != nil && b.op == wasm.OpIf {
			ifItems++
		}
	}
	desc := len(items) > 0 && items[0] == 0 && descendable(&seq[0])
	first := 1
	if desc {
		first = 2
	}
	ps := r.spill(h.params)
	bAbs := r.sc.intList(len(items) + 1) // bAbs[j]: absolute label of $B_j, 1-based
	for j := len(items); j >= first; j-- {
		bAbs[j] = r.depth
		r.emitBlock(wasm.OpBlock, wasm.BlockEmpty)
	}
	targets := r.sc.targetList(len(items) + len(h.targets))[:0]
	land0 := len(r.sc.lands) // item j's landing record is land0+j-1
	for j := 1; j <= len(items); j++ {
		r.sc.lands = append(r.sc.lands, landSpan{})
	}
	for j := first; j <= len(items); j++ {
		e := &seq[items[j-1]]
		targets = append(targets, target{e.lo(), e.hi(), bAbs[j], land0 + j - 1})
	}
	targets = append(targets, h.targets...)
	k0 := 0
	if desc {
		r.emitDescend(&seq[0], h, targets)
		k0 = 1
	} else if h.noTest {
		r.emitCharge(h.charge)
	} else {
		r.emitHeader(h, targets)
		r.reload(ps)
	}
	r.free(ps)
	landAt := r.sc.intList(len(items) + 1)
	for j := first; j <= len(items); j++ {
		lo := k0
		if j > 1 {
			lo = items[j-2] + 1
		}
		landAt[j] = r.earlyLanding(seq, lo, items[j-1])
	}
	j := first - 1
	for k := k0; k < len(seq); k++ {
		e := &seq[k]
		if j < len(items) && landAt[j+1] == k && items[j] != k {
			r.emitEnd() // $B_{j+1}: the dispatch lands before the call's arguments
		}
		if !e.isItem() {
			if e.blk == nil {
				r.copyInstr(r.body[e.i])
			} else {
				r.openOriginal(e)
				r.emitPlain(e.blk.then)
				if e.blk.hasElse {
					r.emit(wasm.OpElse)
					r.emitPlain(e.blk.els)
				}
				r.closeOriginal(e)
			}
			continue
		}
		j++
		if landAt[j] != k {
			r.emitItem(e) // landed earlier, nothing to spill
			continue
		}
		sp := r.spillItem(e, land0+j-1, ifItems == 1)
		r.emitEnd() // $B_j: the dispatch lands here
		r.reload(sp)
		r.emitItem(e)
		r.free(sp)
	}
}

// emitDescend emits the first element of a sequence, a block or loop that
// takes over the sequence's header h with the dispatch targets of the
// sequence's later items.
func (r *funcRewriter) emitDescend(e *elem, h header, targets []target) {
	b := e.blk
	if b.op == wasm.OpLoop {
		if h.kind != kindBlock {
			r.emitCharge(h.charge)
		}
		r.openOriginal(e)
		// A loop that takes over a block's header may drop its test only
		// if that header has nothing else to do (no dispatch, no restore).
		noTest := h.kind == kindBlock && !h.restore && len(targets) == 0 && r.loopNeedsNoTest(b)
		r.emitSeq(b.then, header{kind: kindLoop, ownSite: b.loopSite, charge: b.charge,
			hasCalls: b.hasCalls, restore: h.restore, targets: targets, noTest: noTest})
		r.closeOriginal(e)
		return
	}
	h.params = nil
	h.targets = targets
	r.openOriginal(e)
	r.emitSeq(b.then, h)
	r.closeOriginal(e)
}

// earlyLanding returns where, in seq[lo:k], the rewind dispatch to the
// item seq[k] may land instead of at the item itself (k: at the item, with
// the operand stack cut into locals). A direct call of an instrumented
// function whose operands are all its arguments, computed by pure code
// (pureOp) from an empty stack, can be landed on before that code: a
// rewind recomputes the arguments, whatever they come out as the callee
// restores its own parameters, and pure code cannot trap or write. The
// call then needs no spill at all: four bytes per argument less, and no
// value moved through a local on the normal path.
func (r *funcRewriter) earlyLanding(seq []elem, lo, k int) int {
	e := &seq[k]
	if e.blk != nil || e.site == 0 || e.imp || e.ind || len(e.stack) == 0 {
		return k
	}
	in := &r.body[e.i]
	if in.Op != wasm.OpCall || int(in.Index) >= len(r.mi.funcTypes) ||
		len(r.mi.m.Types[r.mi.funcTypes[in.Index]].Params) != len(e.stack) {
		return k
	}
	for p := k - 1; p >= lo; p-- {
		q := &seq[p]
		if q.blk != nil || q.isItem() || !pureOp(r.body[q.i].Op) {
			return k
		}
		if q.h == 0 {
			return p
		}
	}
	return k
}

// loopNeedsNoTest reports whether a loop can do with a header that only
// charges its iteration: no budget test and no rewind dispatch. That holds
// when the loop's one site is a direct call of a function that tests the
// budget on entry (and suspends there when it is spent), and everything
// before the call in the body only computes values from locals and
// constants. Then every iteration reaches the callee's test, which bounds
// the loop as the header's would; and a rewind can run the body from its
// top, because the code before the call writes nothing, cannot trap, and
// recomputes exactly what it computed before the unwind (the locals it
// reads were restored as they were at the call; the call's arguments
// would not matter anyway, the callee restores its parameters). On fib,
// the header's test and dispatch cost about a tenth of the run time.
func (r *funcRewriter) loopNeedsNoTest(b *blk) bool {
	if len(b.params) != 0 {
		return false
	}
	call := -1
	for k := range b.then {
		e := &b.then[k]
		if e.isItem() {
			if call >= 0 || e.blk != nil || e.imp || e.ind {
				return false
			}
			call = k
			continue
		}
		if call < 0 && (e.blk != nil || !pureOp(r.body[e.i].Op)) {
			return false
		}
	}
	if call < 0 {
		return false
	}
	in := &r.body[b.then[call].i]
	return in.Op == wasm.OpCall && in.Index >= r.mi.nImp && int(in.Index) < len(r.mi.entryTest) && r.mi.entryTest[in.Index]
}

// pureOp reports whether an instruction only computes a value from its
// operands and locals: it writes nothing, cannot trap and reads no state
// that a call could change (memory, globals, tables).
func pureOp(op wasm.Opcode) bool {
	switch {
	case op == wasm.OpNop, op == wasm.OpDrop, op == wasm.OpSelect, op == wasm.OpLocalGet:
		return true
	case op >= wasm.OpI32DivS && op <= wasm.OpI32RemU, op >= wasm.OpI64DivS && op <= wasm.OpI64RemU:
		return false // division by zero and overflow trap
	case op >= wasm.OpI32TruncF32S && op <= wasm.OpI32TruncF64U, op >= wasm.OpI64TruncF32S && op <= wasm.OpI64TruncF64U:
		return false // out-of-range conversions trap
	}
	// The constants and the numeric instructions, 0x41 to 0xC4.
	return op >= wasm.OpI32Const && op <= wasm.OpI64Extend32S
}

// emitCharge subtracts a static charge from the budget without testing it
// (a test follows before anything else runs).
func (r *funcRewriter) emitCharge(c int) {
	if c == 0 {
		return
	}
	r.emitI(wasm.OpGlobalGet, r.mi.fuelG)
	r.emitConst64(int64(c))
	r.emit(wasm.OpI64Sub)
	r.emitI(wasm.OpGlobalSet, r.mi.fuelG)
}

// emitDispatch branches to the target holding the site in $site, or traps
// if none holds it (a corrupt capture). Targets are in site order.
func (r *funcRewriter) emitDispatch(targets []target) {
	if len(targets) == 0 {
		r.emit(wasm.OpUnreachable)
		return
	}
	// The landing values are known once every item is spilled: leave a
	// placeholder naming the targets' landing records.
	start := len(r.sc.hdrLands)
	for _, t := range targets {
		if t.land >= 0 {
			r.sc.hdrLands = append(r.sc.hdrLands, t.land)
		}
	}
	// Zeroing only pays inside a loop: there a local read at a landing and
	// not set by the dispatch would carry its value around the loop. Out
	// of loops it costs code and buys little.
	zeros := uint32(0)
	if r.loops > 0 {
		zeros = 1
	}
	r.out = append(r.out, wasm.Instr{Op: opLandPlaceholder, Index: uint32(start), Index2: zeros, Value: uint64(len(r.sc.hdrLands) - start)})
	lo := targets[0].lo
	hi := targets[len(targets)-1].hi
	bad := badLabel
	r.emitI(wasm.OpGlobalGet, r.mi.siteG)
	if lo != 0 {
		r.emitConst32(int32(lo))
		r.emit(wasm.OpI32Sub)
	}
	labels := r.sc.labelList(hi - lo + 1)[:0]
	j := 0
	for s := lo; s <= hi; s++ {
		for s > targets[j].hi {
			j++
		}
		if s < targets[j].lo {
			labels = append(labels, r.rel(bad))
			continue
		}
		labels = append(labels, r.rel(targets[j].abs))
	}
	bt := wasm.Instr{Op: wasm.OpBrTable, Index: r.rel(bad)}
	bt.SetBrLabels(&r.outLabels, labels)
	r.out = append(r.out, bt)
}

// badLabel is the absolute label of the function's $bad block, whose end
// traps: every dispatch sends a site it does not know there (a corrupt
// capture), one block per function instead of one per dispatch.
const badLabel = 1

// emitRewinding pushes a value that is non-zero exactly while rewinding.
// Wherever it is used the state cannot be unwinding (an unwind is only
// begun by a site, which branches away at once), so the state itself
// serves and the comparison is saved.
func (r *funcRewriter) emitRewinding() {
	r.emitI(wasm.OpGlobalGet, r.mi.stateG)
}

// emitFinishRewind ends a rewind at the innermost frame: normal state and
// the budget of the run that rewinds (see modInfo.finishBody, shared by all
// functions to keep each site small).
func (r *funcRewriter) emitFinishRewind() {
	r.emitI(wasm.OpCall, r.mi.finishF)
}

// emitUnwindTo branches to the frame-saving code with the site number as
// the $unwind block's result.
func (r *funcRewriter) emitUnwindTo(site int) {
	r.emitConst32(int32(site))
	r.emitI(wasm.OpBr, r.rel(0))
}

func (r *funcRewriter) emitHeader(h header, targets []target) {
	if h.kind == kindBlock {
		r.emitRewinding()
		r.emitBlock(wasm.OpIf, wasm.BlockEmpty)
		r.emitDispatch(targets)
		r.emitEnd()
		return
	}
	// Charge, and test the budget: the rewind path rides on the same test
	// because the runtime makes the budget very negative while rewinding.
	r.emitI(wasm.OpGlobalGet, r.mi.fuelG)
	r.emitConst64(int64(h.charge))
	r.emit(wasm.OpI64Sub)
	r.emitI(wasm.OpLocalTee, r.fuelL)
	r.emitI(wasm.OpGlobalSet, r.mi.fuelG)
	r.emitI(wasm.OpLocalGet, r.fuelL)
	r.emitConst64(0)
	r.emit(wasm.OpI64LtS)
	r.emitBlock(wasm.OpIf, wasm.BlockEmpty)
	r.emitRewinding()
	r.emitBlock(wasm.OpIf, wasm.BlockEmpty)
	if h.restore {
		r.emitRestore()
	}
	if len(targets) > 0 && h.ownSite < targets[0].lo {
		// The header's own site is one more entry of the dispatch, the
		// first: a branch out of a block that ends where the rewind
		// finishes (smaller than testing it apart, and a dispatch
		// from site 0 needs no subtraction).
		r.emitBlock(wasm.OpBlock, wasm.BlockEmpty)
		own := target{h.ownSite, h.ownSite, r.depth - 1, -1}
		all := append(append(r.sc.targetList(len(targets) + 1)[:0], own), targets...)
		r.emitDispatch(all)
		r.emitEnd()
	} else {
		r.emitI(wasm.OpGlobalGet, r.mi.siteG)
		r.emitConst32(int32(h.ownSite))
		r.emit(wasm.OpI32Ne)
		r.emitBlock(wasm.OpIf, wasm.BlockEmpty)
		r.emitDispatch(targets)
		r.emitEnd()
	}
	r.emitFinishRewind()
	r.out = append(r.out, wasm.Instr{Op: wasm.OpElse})
	switch {
	case h.kind == kindTop && !h.hasCalls:
		// A call-free function with loops: its loops check the budget.
	case h.hasCalls:
		// Calls already spoil this code's register allocation: ask the
		// host to switch away right here (usually a cheap block).
		r.emitI(wasm.OpCall, r.mi.imp[impYield])
		r.emitI(wasm.OpGlobalGet, r.mi.stateG)
		r.emitBlock(wasm.OpIf, wasm.BlockEmpty)
		r.emitUnwindTo(h.ownSite)
		r.emitEnd()
	default:
		// A call-free loop must stay call-free: unwind to the host.
		r.emitConst32(stateUnwinding)
		r.emitI(wasm.OpGlobalSet, r.mi.stateG)
		r.emitUnwindTo(h.ownSite)
	}
	r.emitEnd()
	r.emitEnd()
}

// emitItem emits a suspension item whose inputs are on the stack.
func (r *funcRewriter) emitItem(e *elem) {
	if e.blk == nil {
		in := r.body[e.i]
		switch {
		case e.imp:
			r.emitRewinding()
			r.emitBlock(wasm.OpIf, wasm.BlockEmpty)
			r.emitFinishRewind()
			r.emitEnd()
		case e.ind:
			// Only the innermost frame's callee is a host function; ask.
			r.emitRewinding()
			r.emitBlock(wasm.OpIf, wasm.BlockEmpty)
			r.emitI(wasm.OpCall, r.mi.imp[impInnermost])
			r.emitBlock(wasm.OpIf, wasm.BlockEmpty)
			r.emitFinishRewind()
			r.emitEnd()
			r.emitEnd()
		}
		r.copyInstr(in)
		// Unwinding: leave for $unwind with the site (the call's results
		// are dropped by the branch); otherwise drop the site. Smaller
		// than an if block, and the same one branch.
		r.emitConst32(int32(e.site))
		r.emitI(wasm.OpGlobalGet, r.mi.stateG)
		r.emitI(wasm.OpBrIf, r.rel(0))
		r.emit(wasm.OpDrop)
		return
	}
	b := e.blk
	r.openOriginal(e)
	switch b.op {
	case wasm.OpLoop:
		r.emitSeq(b.then, header{kind: kindLoop, params: b.params, ownSite: b.loopSite, charge: b.charge,
			hasCalls: b.hasCalls, noTest: r.loopNeedsNoTest(b)})
	default:
		r.emitSeq(b.then, header{kind: kindBlock, params: b.params})
		if b.hasElse {
			r.emit(wasm.OpElse)
			r.emitSeq(b.els, header{kind: kindBlock, params: b.params})
		}
	}
	r.closeOriginal(e)
}

// savedLocals lists the locals a frame saves: all but the two bookkeeping
// locals, which the frame header carries or which are dead across calls.
func (r *funcRewriter) savedLocals() []uint32 {
	ls := r.sc.saved[:0]
	for l := range r.locals {
		if l < len(r.crosses) {
			if r.crosses[l] {
				ls = append(ls, uint32(l))
			}
			continue
		}
		if uint32(l) != r.siteL && uint32(l) != r.fuelL && !r.noSave[l-len(r.crosses)] {
			ls = append(ls, uint32(l))
		}
	}
	return ls
}

// emitRestore reloads the frame at function entry during a rewind. It is
// emitted before the body's added locals are all known, so it records a
// placeholder that finish replaces.
func (r *funcRewriter) emitRestore() {
	r.emitConst32(int32(r.fidx))
	r.emitI(wasm.OpCall, r.mi.imp[impLoadFrame])
	r.emitI(wasm.OpGlobalSet, r.mi.siteG)
	r.out = append(r.out, wasm.Instr{Op: opRestorePlaceholder})
}

// opRestorePlaceholder marks where the local loads go, opLandPlaceholder
// where a dispatch sets its targets' landing values (Index and Value: the
// span of rewriteScratch.hdrLands listing their records). Neither is a
// real opcode; neither reaches the encoder.
const (
	opRestorePlaceholder wasm.Opcode = 0xFFFFFFFF
	opLandPlaceholder    wasm.Opcode = 0xFFFFFFFE
)

// landingCode appends the code a dispatch runs before branching: each
// unsaved local read at one of its landings gets its landing value. A
// local shared by several landings (the pools reuse locals) gets the OR of
// their conditions, each true only for a site in its own item, so it is
// right at whichever landing the site leads to; at the others its value
// does not matter.
func (r *funcRewriter) landingCode(dst []wasm.Instr, recs []int, zeros bool) []wasm.Instr {
	sc := r.sc
	sc.landLocals = sc.landLocals[:0]
	for _, rec := range recs {
		sp := sc.lands[rec]
		for _, v := range sc.landVals[sp.start:sp.end] {
			seen := false
			for _, l := range sc.landLocals {
				seen = seen || l == v.l
			}
			if !seen {
				sc.landLocals = append(sc.landLocals, v.l)
			}
		}
	}
	for _, l := range sc.landLocals {
		terms, single := 0, landVal{}
		for _, rec := range recs {
			sp := sc.lands[rec]
			for _, v := range sc.landVals[sp.start:sp.end] {
				if v.l != l || !v.cond || v.n == 0 {
					continue
				}
				if terms == 0 {
					single = v
				}
				terms++
			}
		}
		switch {
		case terms == 0 && !zeros:
			continue
		case terms == 0:
			dst = append(dst, zeroOf(r.locals[l]))
		case terms == 1 && single.all:
			dst = append(dst, wasm.Instr{Op: wasm.OpI32Const, Value: 1})
		default:
			k := 0
			for _, rec := range recs {
				sp := sc.lands[rec]
				for _, v := range sc.landVals[sp.start:sp.end] {
					if v.l != l || !v.cond || v.n == 0 {
						continue
					}
					dst = append(dst, wasm.Instr{Op: wasm.OpGlobalGet, Index: r.mi.siteG})
					if v.lo != 0 {
						dst = append(dst, wasm.Instr{Op: wasm.OpI32Const, Value: uint64(v.lo)}, wasm.Instr{Op: wasm.OpI32Sub})
					}
					dst = append(dst, wasm.Instr{Op: wasm.OpI32Const, Value: uint64(v.n)}, wasm.Instr{Op: wasm.OpI32LtU})
					if k > 0 {
						dst = append(dst, wasm.Instr{Op: wasm.OpI32Or})
					}
					k++
				}
			}
		}
		dst = append(dst, wasm.Instr{Op: wasm.OpLocalSet, Index: l})
	}
	return dst
}

func (r *funcRewriter) loadLocal(dst []wasm.Instr, l uint32) []wasm.Instr {
	t := r.locals[l]
	switch t {
	case wasm.V128:
		dst = append(dst,
			wasm.Instr{Op: wasm.OpCall, Index: r.mi.imp[impLoadI64]},
			wasm.Instr{Op: wasm.OpI64x2Splat},
			wasm.Instr{Op: wasm.OpCall, Index: r.mi.imp[impLoadI64]},
			wasm.Instr{Op: wasm.OpI64x2ReplaceLane, Lane: 1})
	default:
		dst = append(dst, wasm.Instr{Op: wasm.OpCall, Index: r.mi.imp[loadImp(t)]})
	}
	return append(dst, wasm.Instr{Op: wasm.OpLocalSet, Index: l})
}

func (r *funcRewriter) saveLocal(dst []wasm.Instr, l uint32) []wasm.Instr {
	t := r.locals[l]
	get := wasm.Instr{Op: wasm.OpLocalGet, Index: l}
	if t == wasm.V128 {
		save := wasm.Instr{Op: wasm.OpCall, Index: r.mi.imp[impSaveI64]}
		return append(dst,
			get, wasm.Instr{Op: wasm.OpI64x2ExtractLane, Lane: 0}, save,
			get, wasm.Instr{Op: wasm.OpI64x2ExtractLane, Lane: 1}, save)
	}
	return append(dst, get, wasm.Instr{Op: wasm.OpCall, Index: r.mi.imp[saveImp(t)]})
}

// rewrite produces the instrumented body and the function's frame layout.
func (r *funcRewriter) rewrite(f *wasm.Func) (*wasm.Func, []wasm.ValType, error) {
	r.srcLabels, r.outLabels = f.Labels, nil
	r.locals = append(append([]wasm.ValType(nil), r.ft.Params...), f.Locals...)
	r.nParams = len(r.ft.Params)
	if r.sc == nil {
		r.sc = &rewriteScratch{}
	}
	r.sc.reset(len(r.body))
	r.st = stackTracker{m: r.mi.m, funcs: r.mi.funcTypes, globs: r.mi.globTypes, locals: r.locals,
		vals: r.sc.vals[:0], ctrls: append(r.sc.ctrls[:0], ctrlFrame{op: wasm.OpBlock, results: r.ft.Results})}
	r.next = 1
	pos := 0
	top, err := r.parseSeq(&pos, &r.entry, false)
	if err != nil {
		return nil, nil, err
	}
	if pos != len(r.body)-1 || r.body[pos].Op != wasm.OpEnd {
		return nil, nil, r.errf(pos, "function body continues after its final end")
	}
	r.pool = map[wasm.ValType][]uint32{}
	r.unsaved = map[wasm.ValType][]uint32{}
	r.sc.cross, r.sc.lastW = crossingLocals(r.body, len(r.locals), r.sc.cross, r.sc.lastW)
	r.crosses = r.sc.cross
	r.noSave = append(r.sc.noSave[:0], false, false)
	r.siteL = uint32(len(r.locals))
	r.fuelL = r.siteL + 1
	r.locals = append(r.locals, wasm.I32, wasm.I64)

	r.out = r.sc.out[:0]
	r.depth = 0
	r.emitBlock(wasm.OpBlock, wasm.BlockOf(wasm.I32)) // $unwind, absolute label 0: yields the site
	r.emitBlock(wasm.OpBlock, wasm.BlockEmpty)        // $bad, absolute label 1 (badLabel)
	r.emitBlock(wasm.OpBlock, r.mi.resultBlockType(r.ft.Results))
	r.labels = append(r.sc.labels[:0], 2) // the function's own label is now $body
	r.emitSeq(top, header{kind: kindTop, charge: r.entry, hasCalls: r.hasCall, restore: true})
	r.emitEnd()
	r.emit(wasm.OpReturn)
	r.emitEnd()
	r.emit(wasm.OpUnreachable)
	r.emitEnd()

	saved := r.savedLocals()
	r.sc.saved, r.sc.labels = saved, r.labels
	r.sc.noSave = r.noSave
	r.sc.vals, r.sc.ctrls = r.st.vals[:0], r.st.ctrls[:0]
	r.emitI(wasm.OpLocalSet, r.siteL)
	r.emitConst32(int32(r.fidx))
	r.emitI(wasm.OpLocalGet, r.siteL)
	r.emitI(wasm.OpCall, r.mi.imp[impSaveFrame])
	for _, l := range saved {
		r.out = r.saveLocal(r.out, l)
	}
	for _, t := range r.ft.Results {
		r.out = append(r.out, zeroOf(t))
	}
	r.emit(wasm.OpEnd)

	// Fill in the restore code now that every local is known.
	restore := r.sc.restore[:0]
	for _, l := range saved {
		restore = r.loadLocal(restore, l)
	}
	r.sc.restore = restore
	r.sc.out = r.out
	// Landing code, one piece per dispatch, goes into one buffer first so
	// that the body is allocated once at its final size.
	land := r.sc.landCode[:0]
	n := len(r.out)
	for k := range r.out {
		switch r.out[k].Op {
		case opRestorePlaceholder:
			n += len(restore) - 1
		case opLandPlaceholder:
			at := len(land)
			in := &r.out[k]
			land = r.landingCode(land, r.sc.hdrLands[in.Index:uint64(in.Index)+in.Value], in.Index2 != 0)
			n += len(land) - at - 1
			in.Index, in.Value = uint32(at), uint64(len(land)) // now its span of land
		}
	}
	r.sc.landCode = land
	final := make([]wasm.Instr, 0, n)
	rest := r.out
	for k := 0; k < len(rest); k++ {
		switch rest[k].Op {
		case opRestorePlaceholder:
			final = append(append(final, rest[:k]...), restore...)
			rest, k = rest[k+1:], -1
		case opLandPlaceholder:
			final = append(append(final, rest[:k]...), land[rest[k].Index:rest[k].Value]...)
			rest, k = rest[k+1:], -1
		}
	}
	final = append(final, rest...)
	layout := make([]wasm.ValType, len(saved))
	for k, l := range saved {
		layout[k] = r.locals[l]
	}
	nf := &wasm.Func{TypeIdx: f.TypeIdx, Locals: r.locals[r.nParams:], Body: final, Offset: f.Offset, Labels: r.outLabels}
	return nf, layout, nil
}

func zeroOf(t wasm.ValType) wasm.Instr {
	switch t {
	case wasm.I32:
		return wasm.Instr{Op: wasm.OpI32Const}
	case wasm.I64:
		return wasm.Instr{Op: wasm.OpI64Const}
	case wasm.F32:
		return wasm.Instr{Op: wasm.OpF32Const}
	case wasm.F64:
		return wasm.Instr{Op: wasm.OpF64Const}
	case wasm.V128:
		return wasm.Instr{Op: wasm.OpV128Const}
	default:
		return wasm.Instr{Op: wasm.OpRefNull, Index: uint32(t)}
	}
}
