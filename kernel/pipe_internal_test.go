package kernel

import (
	"bytes"
	"errors"
	"testing"

	"dosemu/emulator/cpu"
	"dosemu/emulator/vtime"
	"dosemu/vfs"
)

// pipeWorld is the least a kernel needs to make pipes outside a cluster.
type pipeWorld struct {
	k        *Kernel
	notified int
}

func (w *pipeWorld) NumComputers() int { return 1 }
func (w *pipeWorld) Kernel(i int) *Kernel {
	if i == 0 {
		return w.k
	}
	return nil
}
func (w *pipeWorld) Program(string) (*cpu.Program, error) { return nil, errors.New("no programs") }
func (w *pipeWorld) Process(GID) *Process                 { return nil }
func (w *pipeWorld) Notify(vtime.Time)                    { w.notified++ }

func newPipeKernel(t testing.TB) (*Kernel, *pipeWorld) {
	t.Helper()
	w := &pipeWorld{}
	k, err := New(Config{Loop: vtime.NewLoop(), World: w})
	if err != nil {
		t.Fatal(err)
	}
	w.k = k
	return k, w
}

func TestPipeRingWrapsAndKeepsOrder(t *testing.T) {
	k, _ := newPipeKernel(t)
	r, w := k.NewPipe()
	var sent, got bytes.Buffer
	chunk := make([]byte, 5000)
	buf := make([]byte, 3333)
	next := byte(0)
	for round := 0; round < 200; round++ {
		for i := range chunk {
			chunk[i] = next
			next++
		}
		n, err := w.Write(chunk)
		if err != nil && !errors.Is(err, vfs.EAGAIN) {
			t.Fatal(err)
		}
		sent.Write(chunk[:n])
		for j := 0; j < 2; j++ {
			m, err := r.Read(buf)
			if err != nil && !errors.Is(err, vfs.EAGAIN) {
				t.Fatal(err)
			}
			got.Write(buf[:m])
		}
		next -= byte(len(chunk) - n) // what did not fit is offered again
	}
	for {
		m, err := r.Read(buf)
		if err != nil || m == 0 {
			break
		}
		got.Write(buf[:m])
	}
	if !bytes.Equal(sent.Bytes(), got.Bytes()) {
		t.Fatalf("read %d bytes that differ from the %d written", got.Len(), sent.Len())
	}
}

func TestPipeFullAtomicEOFAndEPIPE(t *testing.T) {
	k, w := newPipeKernel(t)
	r, wr := k.NewPipe()
	if r.Readable() || !wr.Writable() {
		t.Fatal("empty pipe: want not readable, writable")
	}
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, vfs.EAGAIN) {
		t.Fatalf("read of an empty pipe: %v, want EAGAIN", err)
	}
	big := make([]byte, PipeCapacity+100)
	n, err := wr.Write(big)
	if n != PipeCapacity || err != nil {
		t.Fatalf("write of more than the capacity: %d, %v; want %d, nil", n, err, PipeCapacity)
	}
	if wr.Writable() {
		t.Fatal("full pipe still writable")
	}
	if _, err := wr.Write([]byte("x")); !errors.Is(err, vfs.EAGAIN) {
		t.Fatalf("write to a full pipe: %v, want EAGAIN", err)
	}
	// Free less than an atomic write: a small write must not be split.
	if _, err := r.Read(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if n, err := wr.Write(make([]byte, 200)); n != 0 || !errors.Is(err, vfs.EAGAIN) {
		t.Fatalf("200-byte write into 100 free bytes: %d, %v; want 0, EAGAIN", n, err)
	}
	if _, err := r.Read(make([]byte, PipeCapacity)); err != nil {
		t.Fatal(err)
	}
	before := w.notified
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
	if w.notified == before {
		t.Error("closing the last writer notified nobody")
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != nil {
		t.Fatalf("read after the writer closed: %d, %v; want end of file", n, err)
	}
	r2, w2 := k.NewPipe()
	_ = r2.Close()
	if _, err := w2.Write([]byte("x")); !errors.Is(err, vfs.EPIPE) {
		t.Fatalf("write without readers: %v, want EPIPE", err)
	}
	if !w2.Writable() {
		t.Fatal("a pipe without readers must poll writable (the write fails at once)")
	}
	if _, err := r.Write([]byte("x")); !errors.Is(err, vfs.EBADF) {
		t.Fatalf("write on a read end: %v, want EBADF", err)
	}
}

func TestParseFDMap(t *testing.T) {
	m, err := parseFDMap("0:5, 1:7")
	if err != nil || m[0] != 5 || m[1] != 7 || len(m) != 2 {
		t.Fatalf("parseFDMap: %v, %v", m, err)
	}
	for _, bad := range []string{"3:4", "0", "0:-1", "a:b", "0:99999999", ":"} {
		if _, err := parseFDMap(bad); !errors.Is(err, vfs.EINVAL) {
			t.Errorf("parseFDMap(%q): %v, want EINVAL", bad, err)
		}
	}
	env, m, err := splitFDMap([]string{"A=1", "DOSEMU_FDS=2:3", "B=2"})
	if err != nil || len(env) != 2 || m[2] != 3 {
		t.Fatalf("splitFDMap: %v %v %v", env, m, err)
	}
}

func FuzzParseFDMap(f *testing.F) {
	for _, s := range []string{"0:5", "0:1,1:2,2:3", "", ",", "9:9", "1:-3", "0:4096000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseFDMap(s)
		if err != nil {
			if !errors.Is(err, vfs.EINVAL) {
				t.Fatalf("error without EINVAL: %v", err)
			}
			return
		}
		for c, p := range m {
			if c < 0 || c > 2 || p < 0 {
				t.Fatalf("accepted %d:%d from %q", c, p, s)
			}
		}
	})
}
