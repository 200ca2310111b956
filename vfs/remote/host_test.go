package remote

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"dosemu/net"
	"dosemu/vfs"
)

// A host file edited while a remote reader has it open and cached: the
// server learns of it from fsnotify and pushes an invalidation, so the
// reader's next read (same open) shows the new bytes.
func TestHostEditInvalidatesRemoteCache(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(path, []byte("old contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	tc := newTestCluster(t, 2, 1, net.DefaultConfig(), Options{})
	h, err := vfs.NewHostFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	export := vfs.NewNamespace(tc.roots[0])
	if err := export.Mount("data", h); err != nil {
		t.Fatal(err)
	}
	n0, err := NewNode(Env{Host: tc.nw.Host(0), Loop: tc.loop, Name: "c0"}, export, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n0.Close()
	c := tc.client(1, 0)
	f, err := c.Open("data/f.txt", rdOnly)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "first read", readAll(t, f), []byte("old contents"))
	mustEqual(t, "cached read", readAll(t, f), []byte("old contents"))
	if tc.nodes[1].Stats().Hits == 0 {
		t.Fatalf("the second read did not come from the cache")
	}
	if err := os.WriteFile(path, []byte("new, longer contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	// fsnotify reports on its own goroutine; wait (host time) for it.
	for i := 0; !n0.srv.dirty.Load(); i++ {
		if i > 400 {
			t.Fatal("no fsnotify event within 4s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the write settle
	n0.Pump()
	tc.loop.Run(-1) // deliver the invalidation
	mustEqual(t, "read after the host edit", readAll(t, f), []byte("new, longer contents"))
	f.Close()
}
