package cpu

import (
	"fmt"

	"dosemu/emulator/wasm"
)

// Layout is where a program's static data and stack lie in linear memory,
// as its module defines them. It is read from the module itself, not from
// a running instance, so it holds for every process running the program.
//
// WebAssembly leaves the layout to the toolchain; dosemu recognises the
// convention of LLVM's wasm-ld (C, C++, Rust) and of Go's linker: static
// data is what the active data segments initialise, and the shadow stack
// pointer is the module's first defined mutable i32 global. Its initial
// value is the top of the stack, which grows down — either from just
// below the data (stack first) or from just above it, with the heap
// starting there.
type Layout struct {
	// DataStart and DataEnd bound the bytes the active data segments
	// initialise (DataEnd is exclusive). Both are 0 without segments.
	DataStart, DataEnd uint64
	// StackTop is the initial stack pointer; StackKnown is false when the
	// module has no mutable i32 global to take it from.
	StackTop   uint64
	StackKnown bool
	// HeapStart is where dynamic allocation begins: the end of whichever of
	// data and stack lies higher.
	HeapStart uint64
	// InitialPages is the memory's declared minimum size in 64 KiB pages.
	InitialPages uint64
}

// StaticLayout derives the Layout of a decoded module.
func StaticLayout(m *wasm.Module) Layout {
	var l Layout
	if len(m.Memories) > 0 {
		l.InitialPages = uint64(m.Memories[0].Limits.Min)
	}
	first := true
	for _, d := range m.Datas {
		if d.Mode != wasm.SegmentActive || len(d.Offset) == 0 || d.Offset[0].Op != wasm.OpI32Const {
			continue
		}
		start := uint64(uint32(d.Offset[0].Value))
		end := start + uint64(len(d.Init))
		if first || start < l.DataStart {
			l.DataStart = start
		}
		if first || end > l.DataEnd {
			l.DataEnd = end
		}
		first = false
	}
	for _, g := range m.Globals {
		if g.Type.Mutable && g.Type.Type == wasm.I32 && len(g.Init) > 0 && g.Init[0].Op == wasm.OpI32Const {
			l.StackTop, l.StackKnown = uint64(uint32(g.Init[0].Value)), true
			break
		}
	}
	l.HeapStart = max(l.DataEnd, l.StackTop)
	return l
}

// String prints the layout in /proc maps style.
func (l Layout) String() string {
	return fmt.Sprintf("data [%#x,%#x) stack top %#x heap from %#x", l.DataStart, l.DataEnd, l.StackTop, l.HeapStart)
}

// Layout returns the program's static memory layout. The first call decodes
// the module (linear in its size); later calls are free.
func (p *Program) Layout() (Layout, error) {
	p.layoutOnce.Do(func() {
		m, err := wasm.Decode(p.src)
		if err != nil {
			p.layoutErr = fmt.Errorf("cpu: layout of %s: %w", p.name, err)
			return
		}
		p.layout = StaticLayout(m)
	})
	return p.layout, p.layoutErr
}
