package remote

import (
	"bytes"
	"testing"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
	"dosemu/net"
	"dosemu/vfs"
)

// testCluster is n computers on a real fabric, each exporting a MemFS,
// with callers waiting by running the loop (no kernel).
type testCluster struct {
	t     testing.TB
	loop  *vtime.Loop
	nw    *net.Network
	roots []*vfs.MemFS
	nodes []*Node
	rec   *traceRec
}

type traceRec struct{ evs []trace.Event }

func (r *traceRec) Emit(e trace.Event) { r.evs = append(r.evs, e) }

func newTestCluster(t testing.TB, n int, seed uint64, cfg net.Config, opt Options) *testCluster {
	t.Helper()
	loop := vtime.NewLoop()
	rec := &traceRec{}
	tr := trace.New(rec)
	if _, bench := t.(*testing.B); bench {
		tr = nil // a recording tracer would grow without bound
	}
	nw, err := net.New(loop, n, seed, cfg, tr)
	if err != nil {
		t.Fatal(err)
	}
	tc := &testCluster{t: t, loop: loop, nw: nw, rec: rec}
	for i := 0; i < n; i++ {
		clock := func() int64 { return int64(loop.Now()) }
		m := vfs.NewMemFS(uint64(i+1), clock, 0)
		nd, err := NewNode(Env{Host: nw.Host(i), Loop: loop, Name: net.ComputerName(i), Tracer: tr}, m, opt)
		if err != nil {
			t.Fatal(err)
		}
		tc.roots = append(tc.roots, m)
		tc.nodes = append(tc.nodes, nd)
	}
	return tc
}

// client returns computer from's view of computer server's whole name space.
func (tc *testCluster) client(from, server int) *Client {
	tc.t.Helper()
	c, err := tc.nodes[from].Client(server, ".")
	if err != nil {
		tc.t.Fatal(err)
	}
	return c
}

var (
	rdOnly = vfs.OpenMode{Read: true, Follow: true}
	rdWr   = vfs.OpenMode{Read: true, Write: true, Follow: true}
	create = vfs.OpenMode{OFlags: vfs.OCreat | vfs.OTrunc, Read: true, Write: true, Follow: true}
)

func writeFile(t testing.TB, fs vfs.FS, path string, data []byte) {
	t.Helper()
	f, err := fs.Open(path, create)
	if err != nil {
		t.Fatalf("open %s for writing: %v", path, err)
	}
	if n, err := f.WriteAt(data, 0); err != nil || n != len(data) {
		t.Fatalf("write %s: %d, %v", path, n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s: %v", path, err)
	}
}

func readAll(t testing.TB, f vfs.File) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 10000)
	for {
		n, err := f.ReadAt(buf, int64(len(out)))
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		out = append(out, buf[:n]...)
		if n < len(buf) {
			return out
		}
	}
}

func readFile(t testing.TB, fs vfs.FS, path string) []byte {
	t.Helper()
	f, err := fs.Open(path, rdOnly)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	return readAll(t, f)
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

func mustEqual(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: got %d bytes %q..., want %d bytes %q...", what, len(got), head(got), len(want), head(want))
	}
}

func head(b []byte) []byte {
	if len(b) > 24 {
		return b[:24]
	}
	return b
}
