package net

import (
	"bytes"
	"math"
	"testing"
	"time"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
)

func lanConfig() Config {
	return Config{Link: LinkParams{Latency: time.Millisecond, Bandwidth: 1_000_000}}
}

// With no faults, packet i of a burst arrives at
// send + (i+1)·size/bandwidth + latency: serialization queues FIFO.
func TestFabricExactTimes(t *testing.T) {
	loop := vtime.NewLoop()
	f, err := NewFabric(loop, 2, 1, lanConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []vtime.Time
	var order []int
	f.Attach(1, func(p *Packet) { got = append(got, loop.Now()); order = append(order, p.Body.(int)) })
	for i := 0; i < 10; i++ {
		if _, err := f.Send(&Packet{From: 0, To: 1, Proto: ProtoKernel, Size: 1000, Body: i}); err != nil {
			t.Fatal(err)
		}
	}
	// A later packet on an idle link does not queue.
	loop.At(vtime.Time(50*time.Millisecond), func() {
		f.Send(&Packet{From: 0, To: 1, Proto: ProtoKernel, Size: 250, Body: 10})
	})
	loop.Run(-1)
	if len(got) != 11 {
		t.Fatalf("delivered %d packets, want 11", len(got))
	}
	for i := 0; i < 10; i++ {
		want := vtime.Time(time.Duration(i+1)*time.Millisecond + time.Millisecond)
		if got[i] != want || order[i] != i {
			t.Errorf("packet %d (body %d) arrived at %v, want %v", i, order[i], got[i], want)
		}
	}
	if want := vtime.Time(50*time.Millisecond + 250*time.Microsecond + time.Millisecond); got[10] != want {
		t.Errorf("idle-link packet arrived at %v, want %v", got[10], want)
	}
}

func TestTxTime(t *testing.T) {
	for _, c := range []struct {
		size int
		bw   int64
		want vtime.Duration
	}{{1000, 1_000_000, time.Millisecond}, {1, 3, 333333334}, {0, 5, 0}, {100, 0, 0}, {1 << 40, 1, 1<<63 - 1}} {
		if got := TxTime(c.size, c.bw); got != c.want {
			t.Errorf("TxTime(%d, %d) = %d, want %d", c.size, c.bw, got, c.want)
		}
	}
}

func lossRun(seed uint64, n int, p float64) (lost []uint64) {
	loop := vtime.NewLoop()
	cfg := Config{Link: LinkParams{Latency: time.Millisecond, Loss: p}}
	rec := &trace.Recorder{}
	f, _ := NewFabric(loop, 2, seed, cfg, trace.New(rec))
	f.Attach(1, func(*Packet) {})
	for i := 0; i < n; i++ {
		f.Send(&Packet{From: 0, To: 1, Proto: ProtoDgram, Size: 100})
	}
	loop.Run(-1)
	for _, e := range rec.Events {
		if e.Kind == "drop" {
			lost = append(lost, e.Fields["pkt"].(uint64))
		}
	}
	return lost
}

// Observed loss stays within 4σ of the binomial mean, and a seed fixes
// exactly which packets are lost.
func TestLossStatistics(t *testing.T) {
	const n, p = 20000, 0.1
	sigma := math.Sqrt(n * p * (1 - p))
	for seed := uint64(1); seed <= 3; seed++ {
		lost := lossRun(seed, n, p)
		if d := math.Abs(float64(len(lost)) - n*p); d > 4*sigma {
			t.Errorf("seed %d: lost %d of %d, want %v ± %.0f", seed, len(lost), n, n*p, 4*sigma)
		}
		again := lossRun(seed, n, p)
		if len(again) != len(lost) {
			t.Fatalf("seed %d: %d then %d losses", seed, len(lost), len(again))
		}
		for i := range lost {
			if lost[i] != again[i] {
				t.Fatalf("seed %d: loss %d differs between runs: packet %d vs %d", seed, i, lost[i], again[i])
			}
		}
	}
	a, b := lossRun(1, 1000, p), lossRun(2, 1000, p)
	same := len(a) == len(b)
	for i := 0; same && i < len(a); i++ {
		same = a[i] == b[i]
	}
	if same {
		t.Error("seeds 1 and 2 lost the same packets")
	}
}

func TestDupAndReorder(t *testing.T) {
	loop := vtime.NewLoop()
	cfg := Config{Link: LinkParams{Latency: time.Millisecond, Bandwidth: 10_000_000, Dup: 0.3, Reorder: 0.3}}
	f, _ := NewFabric(loop, 2, 7, cfg, nil)
	seen := map[int]int{}
	var order []int
	f.Attach(1, func(p *Packet) { seen[p.Body.(int)]++; order = append(order, p.Body.(int)) })
	const n = 2000
	for i := 0; i < n; i++ {
		f.Send(&Packet{From: 0, To: 1, Proto: ProtoDgram, Size: 100, Body: i})
	}
	loop.Run(-1)
	dups, inversions := 0, 0
	for i := 0; i < n; i++ {
		if seen[i] == 0 {
			t.Fatalf("packet %d lost with loss 0", i)
		}
		dups += seen[i] - 1
	}
	for i := 1; i < len(order); i++ {
		if order[i] < order[i-1] {
			inversions++
		}
	}
	if s := f.Stats(0); int(s.Duplicated) != dups {
		t.Errorf("stats say %d duplicates, saw %d", s.Duplicated, dups)
	}
	if sigma := math.Sqrt(n * 0.3 * 0.7); math.Abs(float64(dups)-n*0.3) > 4*sigma {
		t.Errorf("%d duplicates of %d, want about %d", dups, n, int(n*0.3))
	}
	if inversions == 0 {
		t.Error("reorder 0.3 delivered everything in order")
	}
}

func TestQueueOverflow(t *testing.T) {
	loop := vtime.NewLoop()
	cfg := Config{Link: LinkParams{Bandwidth: 1_000_000, QueueBytes: 3000}}
	f, _ := NewFabric(loop, 2, 1, cfg, nil)
	got := 0
	f.Attach(1, func(*Packet) { got++ })
	for i := 0; i < 5; i++ {
		f.Send(&Packet{From: 0, To: 1, Proto: ProtoDgram, Size: 1000})
	}
	loop.Run(-1)
	if got != 3 || f.Stats(0).DroppedQueue != 2 {
		t.Errorf("delivered %d, queue drops %d; want 3 and 2", got, f.Stats(0).DroppedQueue)
	}
}

// A cut stops traffic both ways, including packets already in flight;
// healing restores it.
func TestPartitionBothWays(t *testing.T) {
	loop := vtime.NewLoop()
	f, _ := NewFabric(loop, 3, 1, lanConfig(), nil)
	got := map[[2]int]int{}
	for i := 0; i < 3; i++ {
		i := i
		f.Attach(i, func(p *Packet) { got[[2]int{p.From, i}]++ })
	}
	send := func(a, b int) { f.Send(&Packet{From: a, To: b, Proto: ProtoKernel, Size: 10}) }
	send(0, 1) // in flight when the cut happens
	f.Cut(0, 1)
	send(0, 1)
	send(1, 0)
	send(0, 2)
	loop.Run(-1)
	if got[[2]int{0, 1}] != 0 || got[[2]int{1, 0}] != 0 || got[[2]int{0, 2}] != 1 {
		t.Fatalf("during cut: %v", got)
	}
	if !f.IsCut(1, 0) || f.Stats(0).DroppedPartition != 2 || f.Stats(1).DroppedPartition != 1 {
		t.Errorf("cut state %v, drops %d/%d", f.IsCut(1, 0), f.Stats(0).DroppedPartition, f.Stats(1).DroppedPartition)
	}
	f.Heal(1, 0)
	send(0, 1)
	send(1, 0)
	loop.Run(-1)
	if got[[2]int{0, 1}] != 1 || got[[2]int{1, 0}] != 1 {
		t.Fatalf("after heal: %v", got)
	}
	if err := f.Partition([][]int{{0}, {1, 2}}); err != nil {
		t.Fatal(err)
	}
	if !f.IsCut(2, 0) || !f.IsCut(0, 1) || f.IsCut(1, 2) {
		t.Error("partition {0}|{1,2} cut the wrong links")
	}
}

func TestFaultPlanSchedule(t *testing.T) {
	plan, err := ParsePlan([]byte(`
- at: 2s
  cut: [c0, c1]
- at: 3s
  set: {between: [c0, c2], loss: 0.5, latency: 5ms}
- at: 5s
  heal: [c0, c1]
- at: 6s
  down: c2
`))
	if err != nil {
		t.Fatal(err)
	}
	loop := vtime.NewLoop()
	f, err := NewFabric(loop, 3, 1, Config{Link: DefaultLink, Faults: plan}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(at time.Duration, fn func()) { loop.At(vtime.Time(at), fn) }
	check(1999*time.Millisecond, func() {
		if f.IsCut(0, 1) {
			t.Error("cut before 2s")
		}
	})
	check(2001*time.Millisecond, func() {
		if !f.IsCut(0, 1) || !f.IsCut(1, 0) {
			t.Error("not cut at 2s")
		}
	})
	check(4*time.Second, func() {
		p, _ := f.Link(2, 0)
		if p.Loss != 0.5 || p.Latency != 5*time.Millisecond || p.Bandwidth != DefaultLink.Bandwidth {
			t.Errorf("link c2->c0 at 4s: %+v", p)
		}
	})
	check(5001*time.Millisecond, func() {
		if f.IsCut(0, 1) {
			t.Error("still cut after 5s")
		}
	})
	loop.Run(-1)
	if !f.IsDown(2) {
		t.Error("c2 not down after 6s")
	}
	if err := f.Schedule([]Step{{At: 1, Cut: [][2]int{{0, 9}}}}); err == nil {
		t.Error("a plan naming c9 in a 3-computer cluster was accepted")
	}
}

func TestFabricBadInput(t *testing.T) {
	loop := vtime.NewLoop()
	if _, err := NewFabric(loop, 0, 1, Config{}, nil); err == nil {
		t.Error("0 computers accepted")
	}
	if _, err := NewFabric(loop, 2, 1, Config{Computers: 3}, nil); err == nil {
		t.Error("config for 3 computers accepted for 2")
	}
	if _, err := NewFabric(loop, 2, 1, Config{Link: LinkParams{Loss: 2}}, nil); err == nil {
		t.Error("loss 2 accepted")
	}
	f, _ := NewFabric(loop, 2, 1, Config{}, nil)
	for _, p := range []*Packet{nil, {From: -1, To: 1}, {From: 0, To: 2}, {From: 0, To: 1, Size: -1}} {
		if _, err := f.Send(p); err == nil {
			t.Errorf("Send(%+v) accepted", p)
		}
	}
	if f.Cut(0, 0) == nil || f.Cut(0, 5) == nil || f.SetDown(7, true) == nil || f.Attach(-1, nil) == nil {
		t.Error("bad computer indices accepted")
	}
	if err := f.SetLinks(LinkRule{All: true, Patch: LinkPatch{Dup: ptr(-0.1)}}); err == nil {
		t.Error("dup -0.1 accepted")
	}
}

// The same seed and inputs give a byte-identical trace.
func TestTraceDeterminism(t *testing.T) {
	run := func() []byte {
		var buf bytes.Buffer
		j := trace.NewJSONL(&buf)
		cfg := Config{Link: LinkParams{Latency: time.Millisecond, Bandwidth: 10_000_000, Jitter: 300 * time.Microsecond,
			Loss: 0.1, Dup: 0.1, Reorder: 0.2}}
		loop, nw := newTestNet(t, 2, 42, cfg, trace.New(j))
		x := startTransfer(t, nw, pattern(50_000, 1), 0, 1)
		loop.Run(testHorizon)
		x.check(t)
		j.Flush()
		return buf.Bytes()
	}
	a, b := run(), run()
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same seed gave different traces")
	}
	if bytes.Count(a, []byte(`"kind":"drop"`)) == 0 || bytes.Count(a, []byte(`"kind":"dup"`)) == 0 {
		t.Error("trace lacks drop or dup events")
	}
}
