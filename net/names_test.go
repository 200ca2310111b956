package net

import (
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	loop, nw := newTestNet(t, 3, 1, Config{}, nil)
	ns := nw.Names()
	if e := ns.Register("echo", Addr{1, 7}, 100); e != 0 {
		t.Fatal(e)
	}
	if e := ns.Register("echo", Addr{2, 7}, 200); e != EEXIST {
		t.Errorf("duplicate register: %v", e)
	}
	if a, e := ns.Lookup("echo"); e != 0 || a != (Addr{1, 7}) {
		t.Errorf("lookup: %v %v", a, e)
	}
	if _, e := ns.Lookup("nobody"); e != ENOENT {
		t.Errorf("lookup missing: %v", e)
	}
	// Waiting for a name registered later.
	var woke []Addr
	_, e, _ := ns.Wait("later", func(a Addr) { woke = append(woke, a) })
	_, _, cancel := ns.Wait("later", func(a Addr) { t.Error("cancelled waiter woke") })
	cancel()
	if e != ENOENT {
		t.Errorf("wait on missing name: %v", e)
	}
	ns.Register("later", Addr{2, 9}, 300)
	loop.Run(-1)
	if len(woke) != 1 || woke[0] != (Addr{2, 9}) {
		t.Errorf("waiter woke with %v", woke)
	}
	if a, e, _ := ns.Wait("later", func(Addr) { t.Error("immediate hit must not call fn") }); e != 0 || a != (Addr{2, 9}) {
		t.Errorf("wait on present name: %v %v", a, e)
	}
	// Migration re-points names; lookups follow.
	if n := ns.Repoint(Addr{1, 7}, Addr{2, 50000}); n != 1 {
		t.Errorf("repoint moved %d names", n)
	}
	if a, _ := ns.Lookup("echo"); a != (Addr{2, 50000}) {
		t.Errorf("after repoint: %v", a)
	}
	if e := ns.Update("echo", Addr{0, 1}); e != 0 {
		t.Error(e)
	}
	if e := ns.Update("ghost", Addr{0, 1}); e != ENOENT {
		t.Errorf("update missing: %v", e)
	}
	if e := ns.Unregister("echo", 999); e != EINVAL {
		t.Errorf("unregister by non-owner: %v", e)
	}
	ns.Register("x1", Addr{0, 1}, 300)
	if n := ns.UnregisterOwner(300); n != 2 {
		t.Errorf("exit of owner 300 removed %d names", n)
	}
	if got := strings.Join(ns.List(), ","); got != "echo" {
		t.Errorf("names left: %s", got)
	}
	for _, bad := range []struct {
		name string
		want Errno
	}{{"", EINVAL}, {"a b", EINVAL}, {"nul\x00", EINVAL}, {"\xff", EINVAL}, {strings.Repeat("n", MaxNameLen+1), ENAMETOOLONG}} {
		if e := ns.Register(bad.name, Addr{0, 1}, 1); e != bad.want {
			t.Errorf("register %q: %v, want %v", bad.name, e, bad.want)
		}
	}
	if e := ns.Register("ok", Addr{0, 0}, 1); e != EINVAL {
		t.Errorf("register port 0: %v", e)
	}
}
