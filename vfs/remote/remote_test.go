package remote

import (
	"slices"
	"testing"
	"time"

	"dosemu/emulator/vtime"
	"dosemu/net"
	"dosemu/vfs"
)

func TestOperations(t *testing.T) {
	tc := newTestCluster(t, 2, 1, net.DefaultConfig(), Options{})
	c := tc.client(1, 0)
	if err := c.Mkdir("d"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mkdir("d"); err != vfs.EEXIST {
		t.Fatalf("mkdir twice: %v, want EEXIST", err)
	}
	data := pattern(200_000, 3)
	writeFile(t, c, "d/f", data)
	mustEqual(t, "read back through the client", readFile(t, c, "d/f"), data)
	mustEqual(t, "read on the server", readFile(t, tc.roots[0], "d/f"), data)

	st, err := c.Stat("d/f", true)
	if err != nil || st.Size != uint64(len(data)) || st.Type != vfs.TypeRegular {
		t.Fatalf("stat: %+v %v", st, err)
	}
	if _, err := c.Stat("nope", true); err != vfs.ENOENT {
		t.Fatalf("stat missing: %v, want ENOENT", err)
	}
	if err := c.Rename("d/f", "d/g"); err != nil {
		t.Fatal(err)
	}
	if err := c.Link("d/g", "d/h"); err != nil {
		t.Fatal(err)
	}
	if err := c.Symlink("g", "d/s"); err != nil {
		t.Fatal(err)
	}
	if s, err := c.Readlink("d/s"); err != nil || s != "g" {
		t.Fatalf("readlink: %q %v", s, err)
	}
	mustEqual(t, "through the symlink", readFile(t, c, "d/s"), data)
	if err := c.Truncate("d/h", 10); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "truncated, through the other link", readFile(t, c, "d/g"), data[:10])
	if err := c.SetTimes("d/g", true, vfs.Times{Mtim: 42, SetMtim: true}); err != nil {
		t.Fatal(err)
	}
	if st, _ := tc.roots[0].Stat("d/g", true); st.Mtim != 42 {
		t.Fatalf("mtime on server %d, want 42", st.Mtim)
	}
	d, err := c.Open("d", vfs.OpenMode{OFlags: vfs.ODirectory, Read: true})
	if err != nil {
		t.Fatal(err)
	}
	ents, err := d.ReadDir(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	if !slices.Equal(names, []string{".", "..", "g", "h", "s"}) {
		t.Fatalf("readdir: %v", names)
	}
	d.Close()
	if err := c.Rmdir("d"); err != vfs.ENOTEMPTY {
		t.Fatalf("rmdir non-empty: %v", err)
	}
	for _, p := range []string{"d/g", "d/h", "d/s"} {
		if err := c.Unlink(p); err != nil {
			t.Fatalf("unlink %s: %v", p, err)
		}
	}
	if err := c.Rmdir("d"); err != nil {
		t.Fatal(err)
	}
	// Handle operations.
	f, err := c.Open("x", create)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("hello"), 3); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(4); err != nil {
		t.Fatal(err)
	}
	if st, err := f.Stat(); err != nil || st.Size != 4 {
		t.Fatalf("fstat after ftruncate: %+v %v", st, err)
	}
	buf := make([]byte, 10)
	if n, err := f.ReadAt(buf, 0); err != nil || n != 4 || string(buf[:4]) != "\x00\x00\x00h" {
		t.Fatalf("read after truncate: %d %q %v", n, buf[:n], err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(buf, 0); err != vfs.EBADF {
		t.Fatalf("read after close: %v", err)
	}
	tc.loop.Run(-1) // deliver the close
	if len(tc.nodes[0].srv.handles) != 0 {
		t.Fatalf("server still holds %d handles after every close", len(tc.nodes[0].srv.handles))
	}
}

// A read pays latency and bandwidth in virtual time.
func TestVirtualTime(t *testing.T) {
	cfg := net.Config{Link: net.LinkParams{Latency: time.Millisecond, Bandwidth: 10_000_000}}
	tc := newTestCluster(t, 2, 1, cfg, Options{})
	data := pattern(1<<20, 1)
	writeFile(t, tc.roots[0], "f", data)
	c := tc.client(1, 0)
	t0 := tc.loop.Now()
	f, err := c.Open("f", rdOnly)
	if err != nil {
		t.Fatal(err)
	}
	open := tc.loop.Now().Sub(t0)
	if open < 2*time.Millisecond || open > 3*time.Millisecond {
		t.Fatalf("open took %v of virtual time, want one round trip of ~2ms", open)
	}
	t1 := tc.loop.Now()
	got := make([]byte, len(data))
	if n, err := f.ReadAt(got, 0); err != nil || n != len(data) {
		t.Fatalf("read %d %v", n, err)
	}
	mustEqual(t, "1 MiB read", got, data)
	took := tc.loop.Now().Sub(t1)
	// 1 MiB at 10 MB/s is ~105 ms on the wire, plus one round trip.
	if took < 100*time.Millisecond || took > 120*time.Millisecond {
		t.Fatalf("1 MiB read took %v of virtual time, want ~107ms", took)
	}
	// A re-read is served from the cache: no time passes.
	t2 := tc.loop.Now()
	if _, err := f.ReadAt(got, 0); err != nil {
		t.Fatal(err)
	}
	if d := tc.loop.Now().Sub(t2); d != 0 {
		t.Fatalf("cached re-read took %v", d)
	}
	st := tc.nodes[1].Stats()
	if st.Hits != 16 || st.Misses != 16 {
		t.Fatalf("cache hits %d misses %d, want 16 and 16", st.Hits, st.Misses)
	}
	// Traces carry the operation, its latency and its cache use.
	var saw bool
	for _, e := range tc.rec.evs {
		if e.Kind == "vfs" && e.Fields["op"] == "read" && e.Fields["misses"] == 16 {
			saw = e.Fields["bytes"] == 1<<20 && e.Fields["lat_ns"].(int64) > int64(100*time.Millisecond)
		}
	}
	if !saw {
		t.Fatalf("no vfs read event with bytes, latency and misses")
	}
}

// Sequential write-sharing: written and closed on one computer, then
// opened on another, shows the new bytes, whoever cached what before.
func TestSequentialSharing(t *testing.T) {
	tc := newTestCluster(t, 3, 1, net.DefaultConfig(), Options{})
	c1, c2 := tc.client(1, 0), tc.client(2, 0)
	local := tc.nodes[0].Local()
	writeFile(t, local, "f", []byte("version one"))
	mustEqual(t, "c1 reads v1", readFile(t, c1, "f"), []byte("version one"))
	mustEqual(t, "c2 reads v1", readFile(t, c2, "f"), []byte("version one"))
	writeFile(t, c2, "f", []byte("version two, longer"))
	mustEqual(t, "c1 reads v2", readFile(t, c1, "f"), []byte("version two, longer"))
	writeFile(t, local, "f", []byte("v3"))
	mustEqual(t, "c1 reads v3", readFile(t, c1, "f"), []byte("v3"))
	mustEqual(t, "c2 reads v3", readFile(t, c2, "f"), []byte("v3"))
	// Unchanged: the re-open keeps the cache.
	h := tc.nodes[1].Stats().Hits
	mustEqual(t, "c1 re-reads v3", readFile(t, c1, "f"), []byte("v3"))
	if tc.nodes[1].Stats().Hits == h {
		t.Fatalf("re-read of an unchanged file missed the cache")
	}
}

// Concurrent write-sharing: readers that opened (and cached) a file see
// every acknowledged write once a writer elsewhere has it open.
func TestConcurrentSharing(t *testing.T) {
	tc := newTestCluster(t, 3, 1, net.DefaultConfig(), Options{})
	c1, c2 := tc.client(1, 0), tc.client(2, 0)
	writeFile(t, tc.roots[0], "f", pattern(100_000, 0))
	r, err := c1.Open("f", rdOnly)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "first read", readAll(t, r), pattern(100_000, 0))
	if !tc.nodes[1].cores[0].files[r.(*rfile).key].cache {
		t.Fatalf("a lone reader was not allowed to cache")
	}
	w, err := c2.Open("f", rdWr)
	if err != nil {
		t.Fatal(err)
	}
	if tc.nodes[1].cores[0].files[r.(*rfile).key].cache {
		t.Fatalf("the reader still caches after a writer opened the file elsewhere")
	}
	if _, err := w.WriteAt([]byte("NEW"), 70_000); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := r.ReadAt(buf, 70_000); err != nil || string(buf) != "NEW" {
		t.Fatalf("reader saw %q (%v) after the writer's acknowledged write", buf, err)
	}
	w.Close()
	if _, err := r.ReadAt(buf, 70_000); err != nil || string(buf) != "NEW" {
		t.Fatalf("reader saw %q (%v) after the writer's close", buf, err)
	}
	r.Close()
}

// A randomized check of the coherence rule over a lossy, jittery,
// duplicating network: computers (and the server's own processes) open,
// read, write, truncate and close one file in a random interleaving; every
// read must return exactly the bytes of every write acknowledged before
// it (the test runs one operation at a time, so that is the whole truth).
func TestCoherenceRandom(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		cfg := net.Config{Link: net.LinkParams{Latency: 200 * time.Microsecond, Bandwidth: 50_000_000,
			Jitter: 300 * time.Microsecond, Loss: 0.05, Dup: 0.05}}
		tc := newTestCluster(t, 4, seed, cfg, Options{Block: 4096, Timeout: 50 * time.Millisecond, Retries: 8})
		writeFile(t, tc.roots[0], "f", nil)
		fss := []vfs.FS{tc.nodes[0].Local(), tc.client(1, 0), tc.client(2, 0), tc.client(3, 0)}
		rnd := vtime.Rand(seed, "test:coherence")
		var model []byte
		open := map[int]vfs.File{}
		for step := 0; step < 400; step++ {
			who := rnd.IntN(len(fss))
			f := open[who]
			switch op := rnd.IntN(10); {
			case f == nil:
				mode := rdOnly
				if rnd.IntN(2) == 0 {
					mode = rdWr
				}
				var err error
				if f, err = fss[who].Open("f", mode); err != nil {
					t.Fatalf("seed %d step %d: open on %d: %v", seed, step, who, err)
				}
				open[who] = f
			case op < 4:
				off := rnd.IntN(len(model) + 1)
				n := rnd.IntN(9000)
				got := make([]byte, n)
				k, err := f.ReadAt(got, int64(off))
				if err != nil {
					t.Fatalf("seed %d step %d: read: %v", seed, step, err)
				}
				want := model[off:min(len(model), off+n)]
				mustEqual(t, "coherent read", got[:k], want)
			case op < 7:
				off := rnd.IntN(len(model) + 2000)
				data := pattern(rnd.IntN(9000)+1, byte(step))
				n, err := f.WriteAt(data, int64(off))
				if err == vfs.EBADF {
					continue // opened read-only
				}
				if err != nil || n != len(data) {
					t.Fatalf("seed %d step %d: write: %d %v", seed, step, n, err)
				}
				if end := off + n; end > len(model) {
					model = append(model, make([]byte, end-len(model))...)
				}
				copy(model[off:], data)
			case op < 8:
				size := rnd.IntN(len(model) + 1)
				if err := f.Truncate(int64(size)); err != nil {
					if err == vfs.EBADF || err == vfs.EINVAL {
						continue
					}
					t.Fatalf("seed %d step %d: truncate: %v", seed, step, err)
				}
				model = model[:size]
			default:
				f.Close()
				delete(open, who)
			}
		}
		for _, f := range open {
			f.Close()
		}
		mustEqual(t, "final content on the server", readFile(t, tc.roots[0], "f"), model)
	}
}

// A file server that goes down or is cut off gives ETIMEDOUT after a
// bounded virtual time, and every write acknowledged before is on it.
func TestServerFailure(t *testing.T) {
	for _, how := range []string{"down", "partition"} {
		t.Run(how, func(t *testing.T) {
			tc := newTestCluster(t, 2, 1, net.DefaultConfig(), Options{})
			c := tc.client(1, 0)
			f, err := c.Open("f", create)
			if err != nil {
				t.Fatal(err)
			}
			acked := pattern(300_000, 9)
			if _, err := f.WriteAt(acked, 0); err != nil {
				t.Fatal(err)
			}
			fab := tc.nw.Fabric()
			if how == "down" {
				_ = fab.SetDown(0, true)
			} else {
				_ = fab.Cut(0, 1)
			}
			bound := vtime.Duration(DefaultRetries+1)*DefaultTimeout + DefaultTimeout
			for _, op := range []func() error{
				func() error { _, err := f.WriteAt([]byte("lost"), 0); return err },
				func() error { _, err := f.ReadAt(make([]byte, 10), 0); return err },
				func() error { _, err := c.Stat("f", true); return err },
				func() error { _, err := c.Open("f", rdOnly); return err },
			} {
				t0 := tc.loop.Now()
				err := op()
				took := tc.loop.Now().Sub(t0)
				if err != vfs.ETIMEDOUT {
					t.Fatalf("error %v, want ETIMEDOUT", err)
				}
				if took > bound {
					t.Fatalf("failure reported after %v, bound %v", took, bound)
				}
			}
			mustEqual(t, "acknowledged bytes on the server", readFile(t, tc.roots[0], "f"), acked)
			if how == "down" {
				_ = fab.SetDown(0, false)
			} else {
				_ = fab.Heal(0, 1)
			}
			// Healed, the same client works again.
			mustEqual(t, "read after healing", readFile(t, c, "f"), acked)
		})
	}
}

// Requests cannot climb out of the export or a subtree mount, and the
// server refuses malformed or foreign requests.
func TestBadInput(t *testing.T) {
	tc := newTestCluster(t, 3, 1, net.DefaultConfig(), Options{})
	if err := tc.roots[0].Mkdir("export"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, tc.roots[0], "secret", []byte("s"))
	sub, err := tc.nodes[1].Client(0, "export")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../secret", "/secret", "a/../../secret", "", "a//b", "x\x00y"} {
		if _, err := sub.Open(p, rdOnly); err != vfs.ENOTCAPABLE {
			t.Errorf("open %q through a subtree mount: %v, want ENOTCAPABLE", p, err)
		}
		if _, err := sub.Stat(p, true); err != vfs.ENOTCAPABLE {
			t.Errorf("stat %q: %v, want ENOTCAPABLE", p, err)
		}
	}
	if err := sub.Rename("x", "../secret"); err != vfs.ENOTCAPABLE {
		t.Errorf("rename out of the subtree: %v", err)
	}
	// A symbolic link inside the subtree that points at "/" resolves in
	// the server's own root, never the host's.
	if err := sub.Symlink("/../../../../etc/passwd", "l"); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Open("l", rdOnly); err != vfs.ENOENT {
		t.Errorf("open of a link to /etc/passwd: %v, want ENOENT", err)
	}
	if _, err := tc.nodes[1].Client(0, "../x"); err == nil {
		t.Errorf("a subtree mount above the root was accepted")
	}
	// Raw requests: wrong body type, bad paths, another computer's handle.
	c1 := tc.client(1, 0)
	f, err := c1.Open("secret", rdOnly)
	if err != nil {
		t.Fatal(err)
	}
	h := f.(*rfile).h
	n2 := tc.nodes[2]
	for _, r := range []req{
		{mOpen, "not a request", 10},
		{mOpen, openReq{Path: "../etc"}, 10},
		{mRead, readReq{Handle: h, N: 10}, 10},        // c1's handle, sent by c2
		{mRead, readReq{Handle: 999, N: 10}, 10},      // no such handle
		{mWrite, writeReq{Handle: h, Off: -1}, 10},    // foreign and negative
		{mFile, fileReq{Op: 200, Handle: h}, 10},      // foreign
		{mPath, pathReq{Op: 200, Path: "secret"}, 10}, // no such op
		{mPath, pathReq{Op: opRename, Path: "secret", Path2: "../x"}, 10},
		{mClose, closeReq{Handle: h}, 10},
	} {
		m, e, _ := n2.one(0, r, nil)
		if e == 0 {
			t.Errorf("request %s %#v answered %#v, want an error", r.typ, r.body, m.Body)
		}
	}
	buf := make([]byte, 1)
	if n, err := f.ReadAt(buf, 0); err != nil || n != 1 {
		t.Fatalf("the owner's handle stopped working: %d %v", n, err)
	}
	// Oversized and negative reads from the owner are refused too.
	n1 := tc.nodes[1]
	for _, q := range []readReq{{Handle: h, N: MaxIO + 1}, {Handle: h, N: -1}, {Handle: h, Off: -5, N: 1}} {
		if _, e, _ := n1.one(0, req{mRead, q, 10}, nil); e != vfs.EINVAL {
			t.Errorf("read %+v: %v, want EINVAL", q, e)
		}
	}
}

func TestOptionsValidation(t *testing.T) {
	for _, o := range []Options{{Timeout: -1}, {Retries: -1}, {Block: MaxIO + 1}, {Window: -1}, {CacheBytes: -1}} {
		if _, err := o.withDefaults(); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := NewNode(Env{}, vfs.NewMemFS(1, nil, 0), Options{}); err == nil {
		t.Errorf("a node without a host was accepted")
	}
}
