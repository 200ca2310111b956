package emulator

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"dosemu/emulator/vtime"
	"dosemu/vfs"
)

// A writer on one computer and a reader on another through /net, with
// plain fopen, over the emulated network.
func TestRemoteWriterReader(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(2, 1), Seed: 1, RootDir: true})
	loadAs(t, r, "files/writer", "files/reader")
	if _, err := r.Spawn(0, "writer", []string{"writer", "/shared/note.txt", "3"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Spawn(1, "reader", []string{"reader", "/net/c0/shared/note.txt"}, nil); err != nil {
		t.Fatal(err)
	}
	r.run(t)
	out := r.out.String()
	if !strings.Contains(out, "reader: /net/c0/shared/note.txt has 4 lines") || !strings.Contains(out, "line 3 of 3: the square of 3 is 9") {
		t.Fatalf("reader output:\n%s\nfailures: %v", out, r.fails)
	}
	if !strings.Contains(r.trace.String(), `"kind":"vfs"`) || !strings.Contains(r.trace.String(), `"op":"read"`) {
		t.Fatalf("no remote-file events in the trace")
	}
	if st := r.FileStats(1); st.Calls == 0 || st.BytesIn == 0 {
		t.Fatalf("c1 made no remote calls: %+v", st)
	}
}

// The same, with the writer's directory mounted on the reader's computer
// (--mount c1:/shared=c0:/export) and a host directory mounted on c0.
func TestMounts(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hosted.txt"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	names := []string{"c0", "c1"}
	var mounts []Mount
	for _, s := range []string{"c0:/data=" + dir, "c1:/shared=c0:/export", "c1:/hostdata=c0:/data"} {
		m, err := ParseMount(s, names)
		if err != nil {
			t.Fatal(err)
		}
		mounts = append(mounts, m)
	}
	r := newRig(t, Config{Computers: Uniform(2, 1), Seed: 1, RootDir: true, Mounts: mounts})
	loadAs(t, r, "files/writer", "files/reader")
	r.Spawn(0, "writer", []string{"writer", "/export/note.txt", "2"}, nil)
	r.Spawn(1, "reader", []string{"reader", "/shared/note.txt"}, nil)
	r.run(t)
	if out := r.out.String(); !strings.Contains(out, "reader: /shared/note.txt has 3 lines") {
		t.Fatalf("output:\n%s\nfailures: %v", out, r.fails)
	}
	// The host file, read on c1 through c0's host mount.
	fs := r.FS(1)
	f, err := fs.Open("hostdata/hosted.txt", vfs.OpenMode{Read: true})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, _ := f.ReadAt(buf, 0)
	if string(buf[:n]) != "from the host\n" {
		t.Fatalf("host file through the remote mount: %q", buf[:n])
	}
	f.Close()
	// Escapes are refused locally and remotely.
	for _, p := range []string{"hostdata/../../etc/passwd", "net/c0/data/../../../etc/passwd"} {
		if _, err := vfs.Clean(".", p); err == nil {
			c, _ := vfs.Clean(".", p)
			if _, err := fs.Open(c, vfs.OpenMode{Read: true}); err == nil {
				t.Errorf("%s opened", p)
			}
		}
	}
	if _, err := r.FS(0).Open("data/../../etc/passwd", vfs.OpenMode{Read: true}); err == nil {
		t.Errorf("an unclean path climbed out of the host mount")
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Open("hostdata/escape", vfs.OpenMode{Read: true, Follow: true}); err == nil {
		t.Errorf("a host symlink out of the mount was followed through the remote path")
	}
	for _, bad := range []string{"c9:/x=c0:/y", "c0:/net=c1:/", "nope", "c0:/x=/does/not/exist", "c0:x=c1:/y"} {
		if _, err := ParseMount(bad, names); err == nil {
			t.Errorf("mount %q accepted", bad)
		}
	}
}

// /proc is readable locally and through /net/<computer>/proc.
func TestProc(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(2, 1), Seed: 1, RootDir: true})
	loadAs(t, r, "files/reader")
	// A reader waiting for a file that never comes stays alive for 10 s
	// of virtual time: long enough to be looked at remotely.
	g, err := r.Spawn(0, "reader", []string{"reader", "/nothing"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid := g.PID()
	for _, c := range []struct {
		fs   vfs.FS
		path string
	}{{r.FS(0), "proc"}, {r.FS(1), "net/c0/proc"}} {
		f, err := c.fs.Open(c.path+"/"+itoa(pid)+"/status", vfs.OpenMode{Read: true})
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		buf := make([]byte, 4096)
		n, _ := f.ReadAt(buf, 0)
		f.Close()
		s := string(buf[:n])
		for _, want := range []string{"name: reader", "gid: c0:2", "parent: c0:1", "computer: c0"} {
			if !strings.Contains(s, want) {
				t.Errorf("%s status lacks %q:\n%s", c.path, want, s)
			}
		}
		f, err = c.fs.Open(c.path+"/"+itoa(pid)+"/maps", vfs.OpenMode{Read: true})
		if err != nil {
			t.Fatal(err)
		}
		n, _ = f.ReadAt(buf, 0)
		f.Close()
		for _, want := range []string{"code", "data", "stack", "heap", "memory"} {
			if !strings.Contains(string(buf[:n]), want) {
				t.Errorf("maps lacks %s:\n%s", want, buf[:n])
			}
		}
		t.Logf("%s maps:\n%s", c.path, buf[:n])
		// A C guest exports no layout symbols: the ranges come from its
		// data segments and initial stack pointer, and must all be known.
		for _, unknown := range []string{"no active data", "no stack pointer", "unknown"} {
			if strings.Contains(string(buf[:n]), unknown) {
				t.Errorf("maps has an unknown region (%q):\n%s", unknown, buf[:n])
			}
		}
		f, err = c.fs.Open(c.path+"/"+itoa(pid)+"/fds", vfs.OpenMode{Read: true})
		if err != nil {
			t.Fatal(err)
		}
		n, _ = f.ReadAt(buf, 0)
		f.Close()
		if !strings.Contains(string(buf[:n]), "3 dir r c0:/") {
			t.Errorf("fds lacks the root preopen:\n%s", buf[:n])
		}
	}
	if _, err := r.FS(0).Open("proc/2/status", vfs.OpenMode{Write: true}); err != vfs.EROFS {
		t.Errorf("writable /proc: %v", err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// loadAs loads guests/<dir>/<name>.wasm under its base name.
func loadAs(t testing.TB, r *rig, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if err := r.Load(filepath.Base(p), guest(t, p)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRemoteAppendsMovedOnce moves a process that appends lines to a file
// of another computer (each line a remote stat and write, O_APPEND) back
// and forth every 701 µs of virtual time while it writes: every line must
// land exactly once. A move that caught the process waiting for a write's
// reply would, by restart semantics, repeat a write the file's computer
// had already made (the repeat's stat sees it); moves wait for such a call
// to return instead.
func TestRemoteAppendsMovedOnce(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(3, 1), Seed: 3, RootDir: true})
	loadAs(t, r, "files/appender")
	const lines = 120
	if _, err := r.Spawn(1, "appender", []string{"appender", "/net/c0/log", strconv.Itoa(lines)}, nil); err != nil {
		t.Fatal(err)
	}
	var plans []string
	for i := 1; i <= 60; i++ {
		to := 2 - i%2 // c1 -> c2 -> c1 ...
		plans = append(plans, "at="+strconv.Itoa(701*i)+"us pid=c1:2 to=c"+strconv.Itoa(to)+" mode=stopcopy")
	}
	r.plan(t, plans...)
	r.run(t)
	checkAppendedOnce(t, r, lines, "moves")
	moves := strings.Count(r.trace.String(), `"phase":"commit"`)
	deferred := strings.Count(r.trace.String(), `"phase":"deferred"`)
	if moves < 10 || deferred == 0 {
		t.Errorf("%d moves committed, %d deferred for a remote call: the test does not move the writer while it writes", moves, deferred)
	}
	t.Logf("%d moves committed, %d of them deferred until a remote write returned", moves, deferred)
}

// TestCheckpointWaitsForRemoteCall: checkpoints asked while a process
// waits for a remote write's reply are refused (EBUSY), never taken by
// interrupting the call; those asked between calls are taken; and the
// file ends with every line exactly once.
func TestCheckpointWaitsForRemoteCall(t *testing.T) {
	r := newRig(t, Config{Computers: Uniform(2, 1), Seed: 3, RootDir: true})
	loadAs(t, r, "files/appender")
	const lines = 60
	g, err := r.Spawn(1, "appender", []string{"appender", "/net/c0/log", strconv.Itoa(lines)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	taken, refused := 0, 0
	for i := 1; i <= 40; i++ {
		r.Loop().At(vtime.Time(333_000*i), func() {
			p := r.Process(g)
			if p == nil {
				return
			}
			switch _, err := p.Kernel().Checkpoint(p.PID()); {
			case err == nil:
				taken++
			case strings.Contains(err.Error(), "remote file call"):
				refused++
			default:
				t.Errorf("checkpoint: %v", err)
			}
		})
	}
	r.run(t)
	checkAppendedOnce(t, r, lines, "checkpoints")
	if refused == 0 {
		t.Errorf("no checkpoint found the process in a remote call (%d taken): the test does not exercise the refusal", taken)
	}
	t.Logf("%d checkpoints taken, %d refused during a remote call", taken, refused)
}

// checkAppendedOnce checks that c0's /log, which appender wrote, holds
// each of its lines exactly once, in order, after the named interruptions.
func checkAppendedOnce(t *testing.T, r *rig, lines int, after string) {
	t.Helper()
	f, err := r.FS(0).Open("log", vfs.OpenMode{Read: true, Follow: true})
	if err != nil {
		t.Fatalf("the log is not on c0: %v\n%s", err, r.out.String())
	}
	buf := make([]byte, 1<<16)
	n, _ := f.ReadAt(buf, 0)
	_ = f.Close()
	var want strings.Builder
	for i := 1; i <= lines; i++ {
		want.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	if got := string(buf[:n]); got != want.String() {
		t.Errorf("the log after the %s (%d bytes, want %d):\n%s", after, len(got), want.Len(), got)
	}
}
