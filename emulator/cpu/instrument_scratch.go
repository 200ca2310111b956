package cpu

import "dosemu/emulator/wasm"

// rewriteScratch holds the buffers the rewrite of one function needs only
// while it runs. One scratch serves every function of a module in turn, so
// a module's rewrite allocates them about once instead of once per
// function (or per block, or per instruction): on the large Go guests the
// per-function buffers were most of the rewrite's allocation and GC time.
type rewriteScratch struct {
	// stk is the stack of elements of the sequences being parsed, innermost
	// last; a finished sequence moves from its top into arena.
	stk []elem
	// arena holds every finished sequence of the current function back to
	// back. It is sized to the body (each instruction yields at most one
	// element), so sequences handed out never move; should it still grow,
	// the sequences already handed out keep the old array alive.
	arena []elem
	// out is the emission buffer; the function's body is copied from it at
	// exactly its final size.
	out []wasm.Instr
	// restore collects the frame-restoring code before it is spliced in.
	restore []wasm.Instr
	// blks are the parsed blocks, handed out in order from chunks that
	// stay put (so pointers to them stay valid while more are added).
	blks   [][]blk
	bc, bi int // next block: blks[bc][bi]
	// The remaining stacks and lists of one function's rewrite.
	saved  []uint32
	labels []int
	vals   []wasm.ValType
	ctrls  []ctrlFrame
	// cross, lastW and noSave are the liveness marks of one function.
	cross  []bool
	lastW  []int32
	noSave []bool
	// Landing records of the current function: lands[i] is the span of
	// landVals for item i, hdrLands lists each dispatch's records, and
	// landCode and landLocals serve the final splice.
	lands      []landSpan
	landVals   []landVal
	hdrLands   []int
	landCode   []wasm.Instr
	landLocals []uint32
	// spills backs the local lists of spilled operand stacks, ints the
	// small per-sequence lists of the emitter.
	spills  []uint32
	ints    []int
	targets []target
	// types holds the current function's operand-stack snapshots.
	types []wasm.ValType
	// lab is the unused tail of the current chunk of branch-table label
	// lists. Unlike the rest, the lists are output: they stay with the
	// rewritten module, sharing chunks instead of one allocation each.
	lab []uint32
}

// labChunk is the minimum number of labels allocated together.
const labChunk = 4096

// labelList returns a list of n labels that the rewritten module owns.
func (sc *rewriteScratch) labelList(n int) []uint32 {
	if n > len(sc.lab) {
		sc.lab = make([]uint32, max(n, labChunk))
	}
	l := sc.lab[:n:n]
	sc.lab = sc.lab[n:]
	return l
}

// snapshot copies the operand-stack types t for use until the current
// function is rewritten. Earlier snapshots never move: when the buffer is
// full a new one replaces it and the old stays alive through them.
func (sc *rewriteScratch) snapshot(t []wasm.ValType) []wasm.ValType {
	if len(t) == 0 {
		return nil
	}
	if len(sc.types)+len(t) > cap(sc.types) {
		sc.types = make([]wasm.ValType, 0, max(2*cap(sc.types), len(t), 1024))
	}
	start := len(sc.types)
	sc.types = append(sc.types, t...)
	return sc.types[start:len(sc.types):len(sc.types)]
}

// blkChunk is the number of blocks allocated together.
const blkChunk = 256

// newBlk returns a block for the current function. Its contents are
// whatever a previous function left there: the caller sets every field.
func (sc *rewriteScratch) newBlk() *blk {
	if sc.bc < len(sc.blks) && sc.bi == len(sc.blks[sc.bc]) {
		sc.bc, sc.bi = sc.bc+1, 0
	}
	if sc.bc == len(sc.blks) {
		sc.blks = append(sc.blks, make([]blk, blkChunk))
	}
	b := &sc.blks[sc.bc][sc.bi]
	sc.bi++
	return b
}

// reset prepares the scratch for a function body of n instructions.
func (sc *rewriteScratch) reset(n int) {
	// Clear the previous function's elements so that the blocks and
	// snapshots they point to can be collected.
	clear(sc.stk)
	sc.stk = sc.stk[:0]
	clear(sc.arena)
	sc.arena = sc.arena[:0]
	sc.bc, sc.bi = 0, 0
	sc.types = sc.types[:0]
	sc.lands, sc.landVals, sc.hdrLands = sc.lands[:0], sc.landVals[:0], sc.hdrLands[:0]
	sc.spills = sc.spills[:0]
	sc.ints = sc.ints[:0]
	sc.targets = sc.targets[:0]
	if cap(sc.arena) < n {
		sc.arena = make([]elem, 0, n)
	}
}

// seal ends the sequence whose elements start at stk[base]: it moves them
// into the arena and returns them there, with a capacity that stops an
// append to the sequence from overwriting its neighbour.
func (sc *rewriteScratch) seal(base int) []elem {
	start := len(sc.arena)
	sc.arena = append(sc.arena, sc.stk[base:]...)
	sc.stk = sc.stk[:base]
	end := len(sc.arena)
	return sc.arena[start:end:end]
}

// spillList returns a list of n locals for one spill, valid until the
// current function is rewritten (the lists are small and short-lived).
func (sc *rewriteScratch) spillList(n int) []uint32 { return carve(&sc.spills, n) }

// intList returns a zeroed list of n ints, valid until the current
// function is rewritten.
func (sc *rewriteScratch) intList(n int) []int {
	l := carve(&sc.ints, n)
	clear(l)
	return l
}

// targetList returns a list of n dispatch targets, valid until the
// current function is rewritten.
func (sc *rewriteScratch) targetList(n int) []target { return carve(&sc.targets, n) }

// carve cuts a list of n elements from the free end of *buf. When *buf
// lacks room it is replaced by a larger array; the lists already cut keep
// the old one, so none of them moves.
func carve[T any](buf *[]T, n int) []T {
	if len(*buf)+n > cap(*buf) {
		*buf = make([]T, 0, max(2*cap(*buf), n, 256))
	}
	start := len(*buf)
	*buf = (*buf)[:start+n]
	return (*buf)[start : start+n : start+n]
}
