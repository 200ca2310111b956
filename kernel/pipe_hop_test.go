package kernel

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/net"
	"dosemu/vfs"
)

// hop replaces end f, held on some computer, by an end on computer to, as
// MovePipeEnds does for a migrating process at commit: the new end is
// counted and handed what the old one holds, then the old one is closed.
func hop(t *testing.T, w *netWorld, f fd.File, to int) fd.File {
	t.Helper()
	nf, same, _, err := shareEnd(f, w.ks[to])
	if err != nil {
		t.Fatalf("move a pipe end to c%d: %v", to, err)
	}
	if same {
		return f
	}
	switch ne := nf.(type) {
	case *remotePipeEnd:
		ne.hand.handOff(f)
	case *pipeEnd:
		ne.hand.handOff(f)
	}
	_ = f.Close()
	return nf
}

// TestPipeEndsHopping moves both ends of a pipe (homed on c0) between
// three computers at seeded random instants, often twice at the same
// instant, and at the instants where the process makes its calls: a
// move right after a read was asked for (its pipe.read in flight), right
// after a write (its outbox on the wire). A bystander holds a copy of the
// read end on another computer and closes it without reading (a parent
// after fork: an end that fetched ahead would take the reader's bytes); the links have very different latencies, so
// old and new ends' requests overtake each other. The reader must get
// every byte the writer wrote, once, in order, then end of file.
func TestPipeEndsHopping(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { pipeHops(t, seed) })
	}
}

func pipeHops(t *testing.T, seed uint64) {
	w, loop := newNetWorld(t, 3, net.LinkParams{Latency: 10 * time.Microsecond})
	slow := vtime.Duration(3 * time.Millisecond)
	if err := w.nw.Fabric().SetLinks(net.LinkRule{From: 0, To: 1, Both: true, Patch: net.LinkPatch{Latency: &slow}}); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(seed, 7))
	r, wr := w.ks[0].NewPipe()
	var spare fd.File // the bystander's copy of the read end
	if rnd.IntN(2) == 0 {
		var err error
		if spare, _, _, err = shareEnd(r, w.ks[1+rnd.IntN(2)]); err != nil {
			t.Fatal(err)
		}
	}

	const total = 3000
	var sent, got []byte
	next := byte(0)
	eof := false
	buf := make([]byte, 1+rnd.IntN(40))
	step := func() { loop.Run(loop.Now().Add(vtime.Duration(rnd.IntN(4000)) * vtime.Duration(time.Microsecond))) }
	for round := 0; round < 20000 && !eof; round++ {
		switch op := rnd.IntN(10); {
		case op < 3 && wr != nil && len(sent) < total:
			chunk := make([]byte, 1+rnd.IntN(60))
			for i := range chunk {
				chunk[i] = next + byte(i)
			}
			n, err := wr.Write(chunk)
			if err != nil && !errors.Is(err, vfs.EAGAIN) {
				t.Fatalf("write: %v", err)
			}
			sent = append(sent, chunk[:n]...)
			next += byte(n)
			if rnd.IntN(3) == 0 {
				wr = hop(t, w, wr, rnd.IntN(3)) // frozen right after the write
			}
		case op < 6:
			n, err := r.Read(buf)
			switch {
			case errors.Is(err, vfs.EAGAIN):
				if rnd.IntN(3) == 0 {
					// frozen while its read is out
					r = hop(t, w, r, rnd.IntN(3))
				}
			case err != nil:
				t.Fatalf("read: %v", err)
			case n == 0:
				eof = true
			default:
				got = append(got, buf[:n]...)
			}
		case op < 8:
			r = hop(t, w, r, rnd.IntN(3))
			if rnd.IntN(2) == 0 {
				r = hop(t, w, r, rnd.IntN(3)) // twice in quick succession
			}
			if wr != nil && rnd.IntN(2) == 0 {
				wr = hop(t, w, wr, rnd.IntN(3))
			}
		case op == 8 && spare != nil:
			// It never reads: a process that keeps a copy of the end
			// (a parent after fork) must not take bytes from the reader.
			_ = spare.Close()
			spare = nil
		default:
			step()
		}
		if wr != nil && len(sent) >= total {
			_ = wr.Close()
			wr = nil
		}
	}
	if !eof {
		t.Fatalf("no end of file after %d bytes of %d read", len(got), len(sent))
	}
	if spare != nil {
		_ = spare.Close()
	}
	if string(got) != string(sent) {
		at := 0
		for at < len(got) && at < len(sent) && got[at] == sent[at] {
			at++
		}
		t.Fatalf("read %d bytes, wrote %d; first difference at byte %d", len(got), len(sent), at)
	}
}

// TestPipeClosedReaderGivesBytesBack: an end on another computer that
// polled (so fetched bytes) and was closed without reading them, directly
// or after a move while its read was out, gives them back to the pipe:
// the reader that stays gets every byte, in order, then end of file.
func TestPipeClosedReaderGivesBytesBack(t *testing.T) {
	for _, moved := range []bool{false, true} {
		t.Run(fmt.Sprint("moved=", moved), func(t *testing.T) {
			w, loop := newNetWorld(t, 3, net.LinkParams{Latency: 10 * time.Microsecond})
			r, wr := w.ks[0].NewPipe()
			other, _, _, err := shareEnd(r, w.ks[1])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := wr.Write([]byte("abc")); err != nil {
				t.Fatal(err)
			}
			other.Readable() // a poll: its read leaves
			if moved {
				loop.Run(0) // the read is on the wire when the end moves
				other = hop(t, w, other, 2)
			}
			loop.Run(-1)
			if _, err := wr.Write([]byte("def")); err != nil {
				t.Fatal(err)
			}
			_ = other.Close()
			_ = wr.Close()
			loop.Run(-1)
			var got []byte
			buf := make([]byte, 2)
			for i := 0; i < 10; i++ {
				n, err := r.Read(buf)
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				if n == 0 {
					break
				}
				got = append(got, buf[:n]...)
			}
			if string(got) != "abcdef" {
				t.Fatalf("the reader got %q, want %q", got, "abcdef")
			}
		})
	}
}
