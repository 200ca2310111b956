package kernel

import (
	"errors"
	"testing"
	"time"

	"dosemu/emulator/vtime"
	"dosemu/net"
	"dosemu/vfs"
)

// TestPipeMovedReaderKeepsOrder moves a pipe's reading end (held on c1,
// the pipe homed on c0) while its read is on the wire, over links of very
// different latencies: c1-c0 is slow (5 ms), the new end's link to the
// home fast (10 us, or none when it moves home). The pipe holds "first"
// when the reads arrive and gets "second" 1 ms later; the new end's first
// read would reach the home long before the old one and take "first",
// leaving "second" to the old read, whose bytes the new end must deliver
// first. The process must read "first" then "second" all the same.
func TestPipeMovedReaderKeepsOrder(t *testing.T) {
	for _, to := range []int{2, 0} {
		t.Run(map[int]string{2: "to-c2", 0: "home"}[to], func(t *testing.T) {
			w, loop := newNetWorld(t, 3, net.LinkParams{Latency: 10 * time.Microsecond})
			slow := vtime.Duration(5 * time.Millisecond)
			if err := w.nw.Fabric().SetLinks(net.LinkRule{From: 0, To: 1, Both: true, Patch: net.LinkPatch{Latency: &slow}}); err != nil {
				t.Fatal(err)
			}
			r, wr := w.ks[0].NewPipe()
			old, _, _, err := shareEnd(r, w.ks[1]) // the reader lives on c1 now
			if err != nil {
				t.Fatal(err)
			}
			_ = r.Close()
			if _, err := wr.Write([]byte("first")); err != nil {
				t.Fatal(err)
			}
			// The process on c1 polls (a demand: its end sends a read);
			// then the migration replaces c1's end (its read just sent) by
			// one on the destination, as MovePipeEnds does at commit.
			if old.Readable() {
				t.Fatal("the remote end is readable before any read came back")
			}
			loop.Run(0)
			oe := old.(*remotePipeEnd)
			if !oe.reading {
				t.Fatal("the old end has no read out: the test moves nothing in flight")
			}
			nf, _, _, err := shareEnd(old, w.ks[to])
			if err != nil {
				t.Fatal(err)
			}
			switch ne := nf.(type) {
			case *remotePipeEnd:
				ne.hand.handOff(old)
			case *pipeEnd:
				ne.hand.handOff(old)
			}
			_ = old.Close()
			loop.At(vtime.Time(time.Millisecond), func() { _, _ = wr.Write([]byte("second")) })
			loop.At(vtime.Time(20*time.Millisecond), func() { _ = wr.Close() })

			var got []byte
			buf := make([]byte, 64)
			for round := 0; round < 100; round++ {
				loop.Run(-1)
				n, err := nf.Read(buf)
				if err != nil && !errors.Is(err, vfs.EAGAIN) {
					t.Fatal(err)
				}
				if err == nil && n == 0 {
					break // end of file
				}
				got = append(got, buf[:n]...)
			}
			if string(got) != "firstsecond" {
				t.Fatalf("the moved reader read %q, want %q", got, "firstsecond")
			}
		})
	}
}
