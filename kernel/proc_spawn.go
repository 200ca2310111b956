package kernel

import (
	"strconv"
	"strings"

	"dosemu/kernel/fd"
	"dosemu/vfs"
)

// Spawned children and their fds
//
// A spawned child gets its own standard streams (so that its output is
// shown as its own), except that it inherits the parent's fds 0, 1 and 2
// when they are pipe ends: a shell-like parent that puts a pipe on its
// stdout (fd_renumber) before spawning connects the child to it. A parent
// that wants to keep its own streams names the mapping explicitly with an
// environment entry given to spawn:
//
//	DOSEMU_FDS=0:5,1:7     the child's stdin is my fd 5, its stdout my fd 7
//
// (child fds 0-2 only; the kernel removes the entry from the child's
// environment). A pipe end given to a child on another computer becomes
// a remote end there (pipe_remote.go); any other file can be given only
// to a child on the same computer (EXDEV otherwise). Fork copies the
// whole table instead (fd.Table.Fork).

// FDMapEnv is the environment key of an explicit fd mapping for spawn.
const FDMapEnv = "DOSEMU_FDS"

// parseFDMap reads "0:5,1:7" into child fd → parent fd.
func parseFDMap(s string) (map[int32]int32, error) {
	out := map[int32]int32{}
	if s == "" {
		return out, nil
	}
	for _, item := range strings.Split(s, ",") {
		a, b, ok := strings.Cut(item, ":")
		c, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 32)
		pf, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 32)
		if !ok || err1 != nil || err2 != nil || c < 0 || c > 2 || pf < 0 || pf >= fd.MaxFDs {
			return nil, errf(vfs.EINVAL, "kernel: %s=%q: item %q is not child:parent with child fd 0, 1 or 2", FDMapEnv, s, item)
		}
		out[int32(c)] = int32(pf)
	}
	return out, nil
}

// splitFDMap removes DOSEMU_FDS from env and returns its mapping (nil
// when env has none).
func splitFDMap(env []string) ([]string, map[int32]int32, error) {
	var rest []string
	var m map[int32]int32
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, FDMapEnv+"="); ok {
			var err error
			if m, err = parseFDMap(v); err != nil {
				return nil, nil, err
			}
			continue
		}
		rest = append(rest, kv)
	}
	return rest, m, nil
}

func isPipe(f fd.File) bool {
	switch f.(type) {
	case *pipeEnd, *remotePipeEnd:
		return true
	}
	return false
}

// inheritFor returns the SpawnSpec.Inherit hook for a child of p on
// target, following mapping (nil: inherit pipes on 0-2). The parent's
// entries are looked up now, so a bad fd fails the spawn before anything
// is created.
func (p *Process) inheritFor(target *Kernel, mapping map[int32]int32) (func(*Process) error, error) {
	type pass struct {
		child int32
		e     *fd.Entry
	}
	var passes []pass
	if mapping == nil {
		for n := int32(0); n <= 2; n++ {
			if e, err := p.fds.Get(n); err == nil && isPipe(e.File()) {
				passes = append(passes, pass{n, e})
			}
		}
	} else {
		for c := int32(0); c <= 2; c++ {
			src, ok := mapping[c]
			if !ok {
				continue
			}
			e, err := p.fds.Get(src)
			if err != nil {
				return nil, errf(vfs.EBADF, "kernel: %s: spawn: %s maps child fd %d to fd %d, which is not open", p, FDMapEnv, c, src)
			}
			if target != p.k && !isPipe(e.File()) {
				return nil, errf(vfs.EXDEV, "kernel: %s: spawn on %s: fd %d is not a pipe; only pipes can be given to a child on another computer", p, target.cfg.Name, src)
			}
			passes = append(passes, pass{c, e})
		}
	}
	if len(passes) == 0 {
		return nil, nil
	}
	return func(child *Process) error {
		for _, ps := range passes {
			nf, same, ok, err := shareEnd(ps.e.File(), target)
			if err != nil {
				return err
			}
			if !ok || same {
				if err := child.fds.Share(ps.child, ps.e); err != nil {
					return err
				}
				continue
			}
			if err := child.fds.Set(ps.child, nf, ps.e.Rights, 0); err != nil {
				_ = nf.Close()
				return err
			}
		}
		return nil
	}, nil
}

// ownStdio gives child its own console streams where its (forked) table
// shares the parent's, so that what it prints is shown as its own.
func (child *Process) ownStdio(parent *Process) {
	n := child.fds.Len()
	for i := int32(0); i < int32(n); i++ {
		e, err := child.fds.Get(i)
		if err != nil {
			continue
		}
		o, ok := e.File().(*fd.Output)
		if !ok {
			continue
		}
		w, ok := o.W.(outputWriter)
		if !ok || w.p != parent {
			continue
		}
		no := fd.NewOutput(o.Name, outputWriter{child, w.stream})
		no.FDFlags = o.FDFlags
		cloexec := e.CloseOnExec
		_ = child.fds.Set(i, no, e.Rights, e.Inheriting)
		if ne, err := child.fds.Get(i); err == nil {
			ne.CloseOnExec = cloexec
		}
	}
}
