package remote

import (
	"testing"

	"dosemu/net"
	"dosemu/vfs"
)

// FuzzServerRequests sends arbitrary path, open and handle requests to a
// server: it must answer each with a reply or an errno, never crash, never
// serve a path outside its export, and keep the caller's own files intact.
func FuzzServerRequests(f *testing.F) {
	f.Add(uint8(opStat), "a", "b", int64(0), 10, uint16(0), uint64(1))
	f.Add(uint8(opRename), "../x", "a", int64(-1), -5, uint16(vfs.OCreat), uint64(99))
	f.Add(uint8(opSymlink), "l", "/../../etc", int64(1<<40), 1<<30, uint16(0xffff), uint64(0))
	f.Add(uint8(0), "a/./b", "a//b", int64(5), MaxIO+1, uint16(vfs.ODirectory), uint64(2))
	f.Fuzz(func(t *testing.T, o uint8, p1, p2 string, off int64, n int, oflags uint16, h uint64) {
		tc := newTestCluster(t, 2, 1, net.DefaultConfig(), Options{Retries: 1})
		tc.rec = nil
		writeFile(t, tc.roots[0], "a", []byte("keep"))
		if err := tc.roots[0].Mkdir("export"); err != nil {
			t.Fatal(err)
		}
		nd := tc.nodes[1]
		reqs := []req{
			{mPath, pathReq{Op: op(o), Path: p1, Path2: p2, Size: off}, 10},
			{mOpen, openReq{Path: p1, Mode: vfs.OpenMode{OFlags: vfs.OFlags(oflags), Read: true, Write: oflags&1 == 0}}, 10},
			{mRead, readReq{Handle: h, Off: off, N: n}, 10},
			{mWrite, writeReq{Handle: h, Off: off, Data: []byte(p2)}, 10},
			{mFile, fileReq{Op: op(o), Handle: h, Size: off, N: n}, 10},
			{mClose, closeReq{Handle: h}, 10},
		}
		for _, r := range reqs {
			_, e, _ := nd.one(0, r, nil)
			if e == vfs.ETIMEDOUT {
				t.Fatalf("request %s %+v was not answered", r.typ, r.body)
			}
		}
		// Through a subtree client, nothing outside "export" is reachable.
		sub, err := nd.Client(0, "export")
		if err != nil {
			t.Fatal(err)
		}
		if fl, err := sub.Open(p1, vfs.OpenMode{Read: true, Follow: true}); err == nil {
			st, _ := fl.Stat()
			ast, _ := tc.roots[0].Stat("a", false)
			if st.Ino == ast.Ino {
				t.Fatalf("path %q through the export/ mount reached /a", p1)
			}
			fl.Close()
		}
	})
}
