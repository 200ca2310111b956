package kernel

import (
	"fmt"

	"dosemu/emulator/cpu"
	"dosemu/kernel/fd"
	"dosemu/kernel/procfs"
)

var _ procfs.Source = (*Kernel)(nil)

// CPU is the vCPU the process last ran on (-1 before its first slice).
func (p *Process) CPU() int { return p.cpu }

// ProcNames implements procfs.Source: the computer's name and the pids of
// its live and zombie processes, init included, ascending.
func (k *Kernel) ProcNames() (string, []int) {
	var pids []int
	for _, p := range k.records {
		if p.state != Dead {
			pids = append(pids, p.pid)
		}
	}
	return k.cfg.Name, pids
}

// ProcInfo implements procfs.Source.
func (k *Kernel) ProcInfo(pid int) (procfs.Proc, bool) {
	p := k.procs[pid]
	if p == nil {
		return procfs.Proc{}, false
	}
	out := procfs.Proc{
		PID: p.pid, GID: p.GID().String(), Name: p.name, State: p.state.String(),
		Computer: k.cfg.Name, Args: p.args, CPUTime: int64(p.CPUTime()),
		Instructions: p.stats.Instructions, Syscalls: p.stats.Syscalls,
		Memory: p.stats.Memory, Spawned: int64(p.spawned),
	}
	if p.parent != 0 {
		out.Parent = p.parent.String()
	}
	out.Regions = p.layout()
	if p.fds != nil {
		for _, s := range p.fds.Snapshot() {
			out.Files = append(out.Files, procFile(s))
		}
	}
	return out, true
}

func procFile(s fd.Slot) procfs.File {
	r := s.Record
	return procfs.File{FD: s.FD, Kind: r.Kind, Computer: r.Computer, Path: r.Path, Offset: r.Offset, Read: r.Read, Write: r.Write}
}

// layout describes the address space the way wasm-ld lays it out: data
// from __global_base (1024 by default) to __data_end, then the stack
// growing down from __heap_base, then the heap to the end of linear
// memory. The symbols are read from the instance's exported globals; a
// module that does not export them gets the regions it can vouch for.
func (p *Process) layout() []procfs.Region {
	var rs []procfs.Region
	if p.prog != nil {
		rs = append(rs, procfs.Region{Name: "code", Note: fmt.Sprintf("%d bytes of wasm code (program %s, %.12s), outside linear memory", p.prog.CodeSize(), p.prog.Name(), p.prog.HashString())})
	}
	if p.th == nil {
		return rs
	}
	mem := p.th.MemorySize()
	glob := func(name string) (uint64, bool) {
		m := p.th.Module()
		if m == nil {
			return 0, false
		}
		g := m.ExportedGlobal(name)
		if g == nil {
			return 0, false
		}
		return uint64(uint32(g.Get())), true
	}
	base, okBase := glob("__global_base")
	dataEnd, okData := glob("__data_end")
	heap, okHeap := glob("__heap_base")
	sp, okSP := glob("__stack_pointer")
	// Most modules export none of those symbols; the module's own data
	// segments and initial stack pointer then tell the same story.
	var static cpu.Layout
	okStatic := false
	if p.prog != nil {
		if l, err := p.prog.Layout(); err == nil {
			static, okStatic = l, true
		}
	}
	if !okBase {
		base = 1024
		if okStatic && static.DataEnd > 0 {
			base = static.DataStart
		}
	}
	switch {
	case okData:
		rs = append(rs, procfs.Region{Name: "data", Start: base, End: dataEnd, Known: true, Note: "static data (data segments, bss)"})
	case okStatic && static.DataEnd > static.DataStart:
		rs = append(rs, procfs.Region{Name: "data", Start: static.DataStart, End: static.DataEnd, Known: true, Note: "initialised by the module's data segments"})
	default:
		rs = append(rs, procfs.Region{Name: "data", Note: "module has no active data segments"})
	}
	switch {
	case okData && okHeap && heap >= dataEnd:
		note := "grows down from __heap_base"
		if okSP {
			note += fmt.Sprintf("; __stack_pointer %#x", sp)
		}
		rs = append(rs, procfs.Region{Name: "stack", Start: dataEnd, End: heap, Known: true, Note: note})
	case okStatic && static.StackKnown:
		// The stack grows down from its initial top to whatever lies
		// below it: the data (stack after data) or address 0 (stack first).
		low := uint64(0)
		if static.DataEnd <= static.StackTop {
			low = static.DataEnd
		}
		rs = append(rs, procfs.Region{Name: "stack", Start: low, End: static.StackTop, Known: true, Note: "grows down from the initial stack pointer"})
	case okSP:
		rs = append(rs, procfs.Region{Name: "stack", Note: fmt.Sprintf("__stack_pointer %#x", sp)})
	default:
		rs = append(rs, procfs.Region{Name: "stack", Note: "module has no stack pointer global"})
	}
	switch {
	case okHeap && heap <= mem:
		rs = append(rs, procfs.Region{Name: "heap", Start: heap, End: mem, Known: true, Note: "from __heap_base to the end of memory (memory.grow extends it)"})
	case okStatic && static.HeapStart <= mem:
		rs = append(rs, procfs.Region{Name: "heap", Start: static.HeapStart, End: mem, Known: true, Note: "above data and stack to the end of memory (memory.grow extends it)"})
	default:
		rs = append(rs, procfs.Region{Name: "heap", Note: "unknown"})
	}
	rs = append(rs, procfs.Region{Name: "memory", Start: 0, End: mem, Known: true, Note: "linear memory"})
	return rs
}
