package kernel

import (
	"fmt"
	"sort"
	"strings"
)

// The process tree
//
// Every process records its parent (re-parented to its computer's init
// when the parent ends first), so the tree of a whole run can be drawn at
// its end from the kernels' records: PSTree for people (dosemu boot --ps)
// and EmitPS for the trace ("ps" events, one per process). Both are
// deterministic: processes are ordered by global id.

// PSEntry is one process in a tree listing.
type PSEntry struct {
	GID    GID
	Parent GID
	Name   string
	State  State
	Status int // wait status once ended
	Err    error
}

// What is "exit 3", "signal 9", "trap" or the state of a live process.
func (e PSEntry) What() string {
	switch e.State {
	case Zombie, Dead:
		if e.Err != nil && e.Status&0x7f == SIGSEGV {
			return "trap"
		}
		if e.Status&0x7f != 0 {
			return "signal " + fmt.Sprint(e.Status&0x7f)
		}
		return "exit " + fmt.Sprint((e.Status>>8)&0xff)
	}
	return e.State.String()
}

// PS lists every process the kernels ever had, init processes included,
// in global-id order; a process that moved between computers is listed
// once.
func PS(ks []*Kernel) []PSEntry {
	seen := map[GID]bool{}
	var out []PSEntry
	for _, k := range ks {
		if k == nil {
			continue
		}
		for _, p := range k.records {
			g := p.GID()
			if seen[g] {
				continue
			}
			seen[g] = true
			out = append(out, PSEntry{GID: g, Parent: p.parent, Name: p.name, State: p.state, Status: p.status, Err: p.err})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GID < out[j].GID })
	return out
}

// PSTree draws the process tree of the kernels, one line per process:
//
//	c0:1 init
//	└─ c0:2 forkexec  exit 0
//	   └─ c0:3 forkexec  exit 7
//
// A process whose parent is unknown hangs under its computer's init.
func PSTree(ks []*Kernel) string {
	all := PS(ks)
	byGID := map[GID]bool{}
	for _, e := range all {
		byGID[e.GID] = true
	}
	kids := map[GID][]PSEntry{}
	var roots []PSEntry
	for _, e := range all {
		switch {
		case e.Parent == 0:
			roots = append(roots, e)
		case byGID[e.Parent]:
			kids[e.Parent] = append(kids[e.Parent], e)
		default:
			init := MakeGID(e.GID.Computer(), 1)
			kids[init] = append(kids[init], e)
		}
	}
	var b strings.Builder
	var walk func(e PSEntry, prefix, branch string)
	walk = func(e PSEntry, prefix, branch string) {
		b.WriteString(prefix + branch + e.GID.String() + " " + e.Name)
		if e.Parent != 0 {
			b.WriteString("  " + e.What())
		}
		b.WriteByte('\n')
		next := prefix
		switch branch {
		case "├─ ":
			next += "│  "
		case "└─ ":
			next += "   "
		}
		ks := kids[e.GID]
		for i, c := range ks {
			br := "├─ "
			if i == len(ks)-1 {
				br = "└─ "
			}
			walk(c, next, br)
		}
	}
	for _, r := range roots {
		walk(r, "", "")
	}
	return b.String()
}

// EmitPS writes one "ps" trace event per process this kernel has had
// (init excluded) at the loop's current time: its parent, program, state
// and, once ended, its status.
func (k *Kernel) EmitPS() {
	if !k.tr.Enabled() {
		return
	}
	now := k.loop.Now()
	for _, p := range k.records {
		if p == k.init {
			continue
		}
		f := map[string]any{"parent": p.parent.String(), "prog": p.name, "state": p.state.String()}
		if p.state == Zombie || p.state == Dead {
			f["status"] = p.status
		}
		k.emit(now, -1, p.pid, "ps", f)
	}
}
