package emulator

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"dosemu/emulator/vtime"
	"dosemu/kernel"
	"dosemu/kernel/fd"
	"dosemu/kernel/procfs"
	"dosemu/kernel/wasi"
	"dosemu/net"
	"dosemu/vfs"
	"dosemu/vfs/remote"
)

// Mount is one --mount: a host directory or another computer's subtree
// made to appear at Path in computer Computer's name space.
type Mount struct {
	Computer int    // where it appears
	Path     string // clean path in that computer's name space ("data")
	// Host is a host directory (a HostFS, watched for edits); empty for a
	// remote mount.
	Host string
	// Server and ServerPath name the remote subtree when Host is empty.
	Server     int
	ServerPath string
}

func (m Mount) String() string {
	src := m.Host
	if src == "" {
		src = fmt.Sprintf("c%d:/%s", m.Server, strings.TrimPrefix(m.ServerPath, "."))
	}
	return fmt.Sprintf("c%d:/%s=%s", m.Computer, m.Path, src)
}

// ParseMount reads a --mount value: "c1:/data=./dir" mounts host directory
// ./dir at /data on c1; "c2:/shared=c0:/export" mounts c0's /export at
// /shared on c2. Computers are named cN or by their configured names
// (names lists them in index order). Errors name the value and the fault.
func ParseMount(s string, names []string) (Mount, error) {
	lhs, rhs, ok := strings.Cut(s, "=")
	if !ok || lhs == "" || rhs == "" {
		return Mount{}, fmt.Errorf("mount %q: want COMPUTER:/PATH=HOSTDIR or COMPUTER:/PATH=COMPUTER:/PATH", s)
	}
	at, path, err := mountSide(lhs, names)
	if err != nil {
		return Mount{}, fmt.Errorf("mount %q: %v", s, err)
	}
	if path == "." || path == "net" || strings.HasPrefix(path, "net/") || path == "proc" || strings.HasPrefix(path, "proc/") {
		return Mount{}, fmt.Errorf("mount %q: cannot mount over /%s (reserved)", s, strings.TrimPrefix(path, "."))
	}
	m := Mount{Computer: at, Path: path}
	if srv, sp, err := mountSide(rhs, names); err == nil {
		m.Server, m.ServerPath = srv, sp
		return m, nil
	}
	fi, err := os.Stat(rhs)
	if err != nil {
		return Mount{}, fmt.Errorf("mount %q: host directory %q: %v", s, rhs, unwrapPath(err))
	}
	if !fi.IsDir() {
		return Mount{}, fmt.Errorf("mount %q: host path %q is not a directory", s, rhs)
	}
	m.Host = rhs
	return m, nil
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// mountSide parses "c1:/data" into (1, "data").
func mountSide(s string, names []string) (int, string, error) {
	comp, p, ok := strings.Cut(s, ":")
	if !ok || !strings.HasPrefix(p, "/") {
		return 0, "", fmt.Errorf("%q is not COMPUTER:/PATH", s)
	}
	idx := -1
	for i, n := range names {
		if n == comp {
			idx = i
		}
	}
	if idx < 0 {
		i, err := net.ParseComputer(comp)
		if err != nil || i >= len(names) {
			return 0, "", fmt.Errorf("no computer %q (the cluster has %s)", comp, strings.Join(names, ", "))
		}
		idx = i
	}
	clean := "."
	if rel := strings.TrimLeft(p, "/"); rel != "" {
		c, err := vfs.Clean(".", rel)
		if err != nil {
			return 0, "", fmt.Errorf("path %q: %v", p, err)
		}
		clean = c
	}
	return idx, clean, nil
}

// files is a computer's file system: the local name space it exports
// (memory root, host mounts, /proc), its remote-file node, and the name
// space its processes see (local view + /net/<computer> + remote mounts).
type files struct {
	local *vfs.Namespace
	node  *remote.Node
	ns    *vfs.Namespace
	hosts []*vfs.HostFS
}

// setupFiles builds every computer's file system. It runs after the
// kernels exist (the waiters and /proc need them).
func (c *Cluster) setupFiles() error {
	names := make([]string, len(c.kernels))
	for i, k := range c.kernels {
		names[i] = k.Name()
	}
	c.files = make([]*files, len(c.kernels))
	for i, k := range c.kernels {
		k := k
		epoch := k.Config().Epoch
		root := vfs.NewMemFS(uint64(i+1), func() int64 { return epoch + int64(k.CurrentTime()) }, 0)
		local := vfs.NewNamespace(root)
		if err := local.Mount("proc", procfs.New(k, uint64(1<<20+i))); err != nil {
			return fmt.Errorf("emulator: %s: /proc: %w", k.Name(), err)
		}
		f := &files{local: local}
		c.files[i] = f
		for _, m := range c.cfg.Mounts {
			if m.Computer != i || m.Host == "" {
				continue
			}
			h, err := vfs.NewHostFS(m.Host)
			if err != nil {
				return fmt.Errorf("emulator: mount %s: %w", m, err)
			}
			f.hosts = append(f.hosts, h)
			if err := local.Mount(m.Path, h); err != nil {
				return fmt.Errorf("emulator: mount %s: %w", m, err)
			}
		}
		env := remote.Env{
			Host: c.net.Host(i), Loop: c.loop, Name: k.Name(), Tracer: c.cfg.Tracer,
			Wait: c.waiter(k), Now: k.CurrentTime,
			Wake: func() { c.Notify(c.loop.Now()) },
			Caller: func() (int, int) {
				if p := k.Running(); p != nil {
					return p.PID(), p.CPU()
				}
				return 0, -1
			},
		}
		node, err := remote.NewNode(env, local, c.cfg.Remote)
		if err != nil {
			return fmt.Errorf("emulator: %s: %w", k.Name(), err)
		}
		f.node = node
		f.ns = vfs.NewNamespace(node.Local())
	}
	for i, f := range c.files {
		for j := range c.files {
			var fs vfs.FS = c.files[j].node.Local()
			if j != i {
				cl, err := f.node.Client(j, ".")
				if err != nil {
					return err
				}
				fs = cl
			}
			if err := f.ns.Mount("net/"+names[j], fs); err != nil {
				return fmt.Errorf("emulator: %s: /net/%s: %w", names[i], names[j], err)
			}
		}
		for _, m := range c.cfg.Mounts {
			if m.Computer != i || m.Host != "" {
				continue
			}
			if m.Server < 0 || m.Server >= len(c.files) {
				return fmt.Errorf("emulator: mount %s: no computer %d", m, m.Server)
			}
			var fs vfs.FS
			if m.Server == i {
				fs = &subtree{c.files[i].node.Local(), m.ServerPath}
			} else {
				cl, err := f.node.Client(m.Server, m.ServerPath)
				if err != nil {
					return fmt.Errorf("emulator: mount %s: %w", m, err)
				}
				fs = cl
			}
			if err := f.ns.Mount(m.Path, fs); err != nil {
				return fmt.Errorf("emulator: mount %s: %w", m, err)
			}
		}
	}
	return nil
}

// waiter is how a remote-file call made on computer k waits: the calling
// process blocks in Poll; outside a process and outside Run (a test or a
// tool using the cluster's file systems directly) the loop is stepped.
func (c *Cluster) waiter(k *kernel.Kernel) remote.WaitFunc {
	loopWait := remote.LoopWait(c.loop)
	return func(deadline vtime.Time, ready func() bool) remote.WaitResult {
		if p := k.Running(); p != nil {
			switch p.PollRemote(deadline, ready) {
			case wasi.PollReady:
				return remote.WaitReady
			case wasi.PollAbort:
				return remote.WaitAbort
			}
			return remote.WaitTimeout
		}
		if c.running {
			// Inside an event there is nobody to block: the reply cannot
			// come before this event ends.
			if ready() {
				return remote.WaitReady
			}
			return remote.WaitTimeout
		}
		return loopWait(deadline, ready)
	}
}

// preopenRoot installs computer's name space as "/" in p.
func (c *Cluster) preopenRoot(p *kernel.Process) error {
	k := p.Kernel()
	d, err := fd.OpenVFile(c.files[k.Index()].ns, k.Name(), ".", vfs.OpenMode{OFlags: vfs.ODirectory, Read: true}, 0)
	if err != nil {
		return fmt.Errorf("preopen /: %w", err)
	}
	if _, err := p.FDs().Preopen(d, "/"); err != nil {
		d.Close()
		return fmt.Errorf("preopen /: %w", err)
	}
	return nil
}

// pumpFiles passes host edits noticed by fsnotify on to remote readers.
func (c *Cluster) pumpFiles() {
	for _, f := range c.files {
		f.node.Pump()
	}
}

func (c *Cluster) closeFiles() {
	for _, f := range c.files {
		if f == nil {
			continue
		}
		if f.node != nil {
			f.node.Close()
		}
		for _, h := range f.hosts {
			_ = h.Close()
		}
	}
}

// FS returns computer i's name space as its processes see it (nil if out
// of range): its files, /proc, /net/<computer> for every computer, and its
// mounts. Outside Run, remote operations on it step the event loop.
func (c *Cluster) FS(i int) vfs.FS {
	if i < 0 || i >= len(c.files) {
		return nil
	}
	return c.files[i].ns
}

// Network is the cluster's network.
func (c *Cluster) Network() *net.Network { return c.net }

// FileStats returns computer i's remote-file counters.
func (c *Cluster) FileStats(i int) remote.Stats {
	if i < 0 || i >= len(c.files) {
		return remote.Stats{}
	}
	return c.files[i].node.Stats()
}

// Mounts lists every mount, sorted, for summaries.
func (c *Cluster) Mounts() []string {
	var out []string
	for _, m := range c.cfg.Mounts {
		out = append(out, m.String())
	}
	sort.Strings(out)
	return out
}

// subtree is a directory of a file system seen as a file system of its own
// (a --mount of a path on the same computer).
type subtree struct {
	fs   vfs.FS
	base string
}

func (s *subtree) p(path string) string {
	switch {
	case s.base == ".":
		return path
	case path == "." || path == "":
		return s.base
	}
	return s.base + "/" + path
}

func (s *subtree) Open(path string, m vfs.OpenMode) (vfs.File, error) { return s.fs.Open(s.p(path), m) }
func (s *subtree) Stat(path string, follow bool) (vfs.Stat, error) {
	return s.fs.Stat(s.p(path), follow)
}
func (s *subtree) Mkdir(path string) error              { return s.fs.Mkdir(s.p(path)) }
func (s *subtree) Rmdir(path string) error              { return s.fs.Rmdir(s.p(path)) }
func (s *subtree) Unlink(path string) error             { return s.fs.Unlink(s.p(path)) }
func (s *subtree) Rename(a, b string) error             { return s.fs.Rename(s.p(a), s.p(b)) }
func (s *subtree) Link(a, b string) error               { return s.fs.Link(s.p(a), s.p(b)) }
func (s *subtree) Symlink(t, path string) error         { return s.fs.Symlink(t, s.p(path)) }
func (s *subtree) Readlink(path string) (string, error) { return s.fs.Readlink(s.p(path)) }
func (s *subtree) SetTimes(path string, f bool, t vfs.Times) error {
	return s.fs.SetTimes(s.p(path), f, t)
}
func (s *subtree) Truncate(path string, size int64) error { return s.fs.Truncate(s.p(path), size) }
