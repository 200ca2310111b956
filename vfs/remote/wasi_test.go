package remote

import (
	"dosemu/internal/wasisuite"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/sys"

	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/kernel/wasi"
	"dosemu/net"
	"dosemu/vfs"
)

// The bar: the WASI preview1 suite's file tests pass when their root
// directory lives on another computer, reached through the remote
// protocol over the emulated network (like kernel/wasi's conformance test,
// with the root served by c0 and the guest on c1).

// wproc is a wasi.Proc whose clock is the cluster's loop: a sleep runs
// the loop to its deadline, and remote calls made by its file system run
// the loop until their replies are in.
type wproc struct {
	args, env []string
	fds       *fd.Table
	loop      *vtime.Loop
	rnd       []byte
}

func (p *wproc) Args() []string             { return p.args }
func (p *wproc) Environ() []string          { return p.env }
func (p *wproc) FDs() *fd.Table             { return p.fds }
func (p *wproc) Now() vtime.Time            { return p.loop.Now() }
func (p *wproc) Epoch() int64               { return 1_700_000_000_000_000_000 }
func (p *wproc) CPUTime() vtime.Duration    { return vtime.Duration(p.loop.Now()) }
func (p *wproc) Resolution() vtime.Duration { return 1 }
func (p *wproc) Yield()                     {}
func (p *wproc) Syscall(wasi.Call)          {}
func (p *wproc) Exit(code uint32)           { panic(sys.NewExitError(code)) }
func (p *wproc) Random(b []byte) {
	for i := range b {
		b[i] = byte(i * 31)
	}
}

func (p *wproc) Poll(deadline vtime.Time, ready func() bool) wasi.PollResult {
	if deadline != wasi.NoDeadline && deadline > p.loop.Now() {
		ev := p.loop.At(deadline, func() {})
		defer p.loop.Cancel(ev)
	}
	if LoopWait(p.loop)(deadline, ready) == WaitReady {
		return wasi.PollReady
	}
	return wasi.PollTimeout
}

type wprocKey struct{}

var (
	wrtOnce sync.Once
	wrt     wazero.Runtime
	wrtErr  error
)

func wasiRuntime(t *testing.T) wazero.Runtime {
	wrtOnce.Do(func() {
		ctx := context.Background()
		wrt = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(wazero.NewCompilationCache()))
		_, wrtErr = wasi.Register(ctx, wrt, func(ctx context.Context) wasi.Proc {
			p, _ := ctx.Value(wprocKey{}).(wasi.Proc)
			return p
		})
	})
	if wrtErr != nil {
		t.Fatal(wrtErr)
	}
	return wrt
}

func TestWASISuiteRemoteRoot(t *testing.T) {
	dir := wasisuite.Dir(t)
	ran := 0
	for _, suite := range []string{"c", "assemblyscript"} {
		sdir := filepath.Join(dir, "tests", suite, "testsuite", "wasm32-wasip1")
		wasms, _ := filepath.Glob(filepath.Join(sdir, "*.wasm"))
		sort.Strings(wasms)
		for _, w := range wasms {
			name := strings.TrimSuffix(filepath.Base(w), ".wasm")
			b, err := os.ReadFile(filepath.Join(sdir, name+".json"))
			if err != nil || !bytes.Contains(b, []byte(`"root"`)) {
				continue // not a file test
			}
			var sp wasisuite.Spec
			if err := json.Unmarshal(b, &sp); err != nil {
				t.Fatalf("%s.json: %v", name, err)
			}
			ran++
			for _, mode := range []string{"mem", "host"} {
				t.Run(suite+"/"+name+"/"+mode, func(t *testing.T) { runRemoteSuiteTest(t, sdir, name, sp, mode) })
			}
		}
	}
	if ran == 0 {
		t.Fatalf("no file tests in the suite at %s", dir)
	}
}

func runRemoteSuiteTest(t *testing.T, sdir, name string, sp wasisuite.Spec, mode string) {
	wasm, err := os.ReadFile(filepath.Join(sdir, name+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if err := copyTree(filepath.Join(sdir, *sp.Root), tmp); err != nil {
		t.Fatal(err)
	}
	tc := newTestCluster(t, 2, 1, net.DefaultConfig(), Options{})
	// c0 serves the root under /export: in memory, or a watched host
	// directory mounted there.
	export := vfs.NewNamespace(tc.roots[0])
	switch mode {
	case "mem":
		if err := tc.roots[0].Mkdir("export"); err != nil {
			t.Fatal(err)
		}
		if err := loadTree(tc.roots[0], tmp, "export"); err != nil {
			t.Fatal(err)
		}
	case "host":
		h, err := vfs.NewHostFS(tmp)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if err := export.Mount("export", h); err != nil {
			t.Fatal(err)
		}
	}
	node0, err := NewNode(Env{Host: tc.nw.Host(0), Loop: tc.loop, Name: "c0"}, export, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer node0.Close()
	root, err := tc.nodes[1].Client(0, "export")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	var env []string
	for k, v := range sp.Env {
		env = append(env, k+"="+v)
	}
	sort.Strings(env)
	p := &wproc{args: append([]string{name + ".wasm"}, sp.Args...), env: env, fds: fd.NewTable(), loop: tc.loop}
	p.fds.Set(0, fd.NewInput(nil), fd.RightsStream, 0)
	p.fds.Set(1, fd.NewOutput("stdout", &stdout), fd.RightsStream, 0)
	p.fds.Set(2, fd.NewOutput("stderr", &stderr), fd.RightsStream, 0)
	d, err := fd.OpenVFile(root, "c1", ".", vfs.OpenMode{OFlags: vfs.ODirectory, Read: true}, 0)
	if err != nil {
		t.Fatalf("preopen the remote root: %v", err)
	}
	if _, err := p.fds.Preopen(d, "/"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rt := wasiRuntime(t)
	cm, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close(ctx)
	mod, err := rt.InstantiateModule(context.WithValue(ctx, wprocKey{}, wasi.Proc(p)), cm, wazero.NewModuleConfig().WithName("").WithStartFunctions("_start"))
	if mod != nil {
		defer mod.Close(ctx)
	}
	var code uint32
	var ee *sys.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run: %v\nstdout: %s\nstderr: %s", err, stdout.String(), stderr.String())
	}
	if code != sp.ExitCode {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, sp.ExitCode, stdout.String(), stderr.String())
	}
	if sp.Stdout != nil && stdout.String() != *sp.Stdout {
		t.Errorf("stdout %q, want %q", stdout.String(), *sp.Stdout)
	}
	if tc.nodes[1].Stats().Calls == 0 {
		t.Errorf("the test made no remote calls")
	}
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		switch {
		case strings.HasSuffix(p, ".cleanup"):
			return nil
		case d.IsDir():
			return os.MkdirAll(out, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			tg, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(tg, out)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
}

// loadTree copies a host directory into m under base.
func loadTree(m *vfs.MemFS, src, base string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "." {
			return nil
		}
		rel = base + "/" + filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return m.Mkdir(rel)
		case d.Type()&fs.ModeSymlink != 0:
			tg, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return m.Symlink(tg, rel)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := m.Open(rel, vfs.OpenMode{OFlags: vfs.OCreat | vfs.OTrunc, Write: true})
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteAt(b, 0)
		return err
	})
}
