package net

import (
	"fmt"
	"math/bits"
	"math/rand/v2"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
)

// Proto says which layer a packet belongs to.
type Proto uint8

// The protocols sharing the fabric.
const (
	ProtoKernel Proto = 1 // kernel-to-kernel messages (Endpoint)
	ProtoDgram  Proto = 2 // guest datagram sockets
	ProtoStream Proto = 3 // guest stream sockets (TCP-lite segments)
)

func (p Proto) String() string {
	switch p {
	case ProtoKernel:
		return "kernel"
	case ProtoDgram:
		return "dgram"
	case ProtoStream:
		return "stream"
	}
	return fmt.Sprintf("proto%d", uint8(p))
}

// Drop reasons, as they appear in "drop" trace events and NodeStats.
const (
	DropLoss       = "loss"
	DropPartition  = "partition"
	DropNoListener = "no-listener"
	DropQueue      = "queue overflow"
	DropDown       = "computer down"
)

// Packet is one unit on the wire. Body is handed to the receiver as is (the
// fabric is in-process): senders must not modify it after Send, receivers
// must not modify it either, since a duplicated packet shares its Body.
type Packet struct {
	From, To int
	Proto    Proto
	// What is a short constant label for traces ("syn", "data", a kernel
	// message type); it must not be built per packet on hot paths.
	What string
	// Size is the packet's size on the wire in bytes, headers included; it
	// is what bandwidth and queue limits are charged for.
	Size int
	Body any
	// ID is assigned by Send, from 1 upwards; a duplicate keeps its ID.
	ID uint64
}

// NodeStats counts one computer's traffic. Sent and Dropped* count packets
// the computer sent (drops at the receiver — no listener, receive queue —
// count at the receiver).
type NodeStats struct {
	Sent, Delivered, Duplicated     uint64
	BytesSent, BytesDelivered       uint64
	DroppedLoss, DroppedPartition   uint64
	DroppedNoListener, DroppedQueue uint64
	DroppedDown                     uint64
}

type link struct {
	p         LinkParams
	cut       bool
	busyUntil vtime.Time // when the link finishes serializing what is queued
	rng       *rand.Rand
}

// Fabric is the emulated network between computers 0..N-1: one
// unidirectional link per ordered pair, each with its own LinkParams, FIFO
// transmit queue, cut flag and random stream. It runs on the cluster's
// vtime.Loop and, like the loop, must be used from the loop's goroutine.
//
// Cost: Send is O(log E) (one or two loop events) plus a few random draws;
// no per-packet allocation beyond the loop's event and the trace event when
// tracing is on.
type Fabric struct {
	loop   *vtime.Loop
	tr     *trace.Tracer
	n      int
	names  []string
	links  []link
	down   []bool
	recv   []func(*Packet)
	nextID uint64
	stats  []NodeStats
	// watch are Watch's callbacks, in registration order.
	watch []*watcher
}

// NewFabric builds the fabric for n computers from cfg and schedules
// cfg.Faults on loop. seed feeds every random effect: link c_i→c_j draws
// from vtime.Rand(seed, "net:ci->cj"), so the same seed gives the same
// losses, duplicates and delays whatever other links do.
func NewFabric(loop *vtime.Loop, n int, seed uint64, cfg Config, tr *trace.Tracer) (*Fabric, error) {
	if loop == nil {
		return nil, fmt.Errorf("network: nil event loop")
	}
	if n < 1 || n > 4096 {
		return nil, fmt.Errorf("network: %d computers (want 1..4096): %w", n, errNoComputers)
	}
	if cfg.Computers != 0 && cfg.Computers != n {
		return nil, fmt.Errorf("network config is for %d computers, cluster has %d", cfg.Computers, n)
	}
	if err := cfg.Link.Validate(); err != nil {
		return nil, fmt.Errorf("network config: link: %w", err)
	}
	f := &Fabric{loop: loop, tr: tr, n: n, names: make([]string, n), links: make([]link, n*n),
		down: make([]bool, n), recv: make([]func(*Packet), n), stats: make([]NodeStats, n)}
	for i := range f.names {
		f.names[i] = ComputerName(i)
	}
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if a != b {
				f.links[a*n+b] = link{p: cfg.Link, rng: vtime.Rand(seed, "net:"+f.names[a]+"->"+f.names[b])}
			}
		}
	}
	for i, r := range cfg.Links {
		if err := f.SetLinks(r); err != nil {
			return nil, fmt.Errorf("network config: links[%d]: %w", i, err)
		}
	}
	if err := f.Schedule(cfg.Faults); err != nil {
		return nil, err
	}
	return f, nil
}

// N returns the number of computers.
func (f *Fabric) N() int { return f.n }

// Loop returns the event loop the fabric runs on.
func (f *Fabric) Loop() *vtime.Loop { return f.loop }

// Tracer returns the tracer (possibly nil).
func (f *Fabric) Tracer() *trace.Tracer { return f.tr }

func (f *Fabric) checkNode(i int) error {
	if i < 0 || i >= f.n {
		return fmt.Errorf("no computer %d (cluster has c0..c%d)", i, f.n-1)
	}
	return nil
}

// Attach sets the function that receives packets addressed to computer
// node. Packets arriving at a computer with no receiver are dropped with
// reason "no-listener".
func (f *Fabric) Attach(node int, recv func(*Packet)) error {
	if err := f.checkNode(node); err != nil {
		return err
	}
	f.recv[node] = recv
	return nil
}

// Link returns the parameters of link from→to.
func (f *Fabric) Link(from, to int) (LinkParams, error) {
	if err := f.checkPair(from, to); err != nil {
		return LinkParams{}, err
	}
	return f.links[from*f.n+to].p, nil
}

func (f *Fabric) checkPair(a, b int) error {
	if err := f.checkNode(a); err != nil {
		return err
	}
	if err := f.checkNode(b); err != nil {
		return err
	}
	if a == b {
		return fmt.Errorf("no link from %s to itself", f.names[a])
	}
	return nil
}

// SetLinks applies r at the current virtual time. Packets already on the
// wire keep the delays they were given.
func (f *Fabric) SetLinks(r LinkRule) error {
	if !r.All {
		if err := f.checkPair(r.From, r.To); err != nil {
			return err
		}
	}
	apply := func(a, b int) error {
		l := &f.links[a*f.n+b]
		np := r.Patch.Apply(l.p)
		if err := np.Validate(); err != nil {
			return fmt.Errorf("link %s->%s: %w", f.names[a], f.names[b], err)
		}
		l.p = np
		return nil
	}
	var err error
	switch {
	case r.All:
		for a := 0; a < f.n && err == nil; a++ {
			for b := 0; b < f.n && err == nil; b++ {
				if a != b {
					err = apply(a, b)
				}
			}
		}
	default:
		err = apply(r.From, r.To)
		if err == nil && r.Both {
			err = apply(r.To, r.From)
		}
	}
	if err == nil && f.tr.Enabled() {
		fl := map[string]any{"links": "all"}
		if !r.All {
			sep := "->"
			if r.Both {
				sep = "<->"
			}
			fl["links"] = f.names[r.From] + sep + f.names[r.To]
		}
		f.tr.Emit(trace.Event{T: f.loop.Now(), CPU: -1, Kind: "link", Fields: fl})
	}
	return err
}

// Cut severs the link between a and b in both directions: packets sent
// afterwards, and packets in flight when they would arrive, are dropped
// ("partition"). Cutting a cut link is a no-op.
func (f *Fabric) Cut(a, b int) error { return f.setCut(a, b, true) }

// Heal restores the link between a and b in both directions.
func (f *Fabric) Heal(a, b int) error { return f.setCut(a, b, false) }

func (f *Fabric) setCut(a, b int, cut bool) error {
	if err := f.checkPair(a, b); err != nil {
		return err
	}
	if f.links[a*f.n+b].cut == cut && f.links[b*f.n+a].cut == cut {
		return nil
	}
	f.links[a*f.n+b].cut = cut
	f.links[b*f.n+a].cut = cut
	if f.tr.Enabled() {
		kind := "heal"
		if cut {
			kind = "partition"
		}
		f.tr.Emit(trace.Event{T: f.loop.Now(), CPU: -1, Kind: kind,
			Fields: map[string]any{"a": f.names[a], "b": f.names[b]}})
	}
	f.changed()
	return nil
}

// Partition cuts every link between computers of different groups.
func (f *Fabric) Partition(groups [][]int) error {
	for _, g := range groups {
		for _, c := range g {
			if err := f.checkNode(c); err != nil {
				return err
			}
		}
	}
	for i, g := range groups {
		for _, h := range groups[i+1:] {
			for _, a := range g {
				for _, b := range h {
					if a != b {
						if err := f.Cut(a, b); err != nil {
							return err
						}
					}
				}
			}
		}
	}
	return nil
}

// HealAll heals every cut link.
func (f *Fabric) HealAll() {
	for a := 0; a < f.n; a++ {
		for b := a + 1; b < f.n; b++ {
			_ = f.Heal(a, b)
		}
	}
}

// IsCut reports whether link a→b is cut.
func (f *Fabric) IsCut(a, b int) bool {
	if f.checkPair(a, b) != nil {
		return false
	}
	return f.links[a*f.n+b].cut
}

// SetDown fails (down=true) or restores a computer. A down computer sends
// and receives nothing: its packets, and packets arriving for it, are
// dropped ("computer down").
func (f *Fabric) SetDown(node int, down bool) error {
	if err := f.checkNode(node); err != nil {
		return err
	}
	if f.down[node] == down {
		return nil
	}
	f.down[node] = down
	if f.tr.Enabled() {
		kind := "computer-up"
		if down {
			kind = "computer-down"
		}
		f.tr.Emit(trace.Event{T: f.loop.Now(), Computer: f.names[node], CPU: -1, Kind: kind})
	}
	f.changed()
	return nil
}

// Watch calls fn after every change of a link's cut state or of a
// computer's up/down state (not of link parameters), from the event loop
// at the change's virtual time, so that a waiter for a link to heal needs
// no polling. Callbacks run in the order they were registered; one that
// changes the fabric itself makes every callback run again at once, nested.
// The returned function removes fn. Cost: one call per watcher per change.
func (f *Fabric) Watch(fn func()) (stop func()) {
	w := &watcher{fn: fn}
	f.watch = append(f.watch, w)
	return func() { w.fn = nil }
}

type watcher struct{ fn func() }

func (f *Fabric) changed() {
	for i := 0; i < len(f.watch); i++ {
		if fn := f.watch[i].fn; fn != nil {
			fn()
		}
	}
	// Drop removed watchers from the end, so that short-lived ones do not
	// grow the list for good.
	for len(f.watch) > 0 && f.watch[len(f.watch)-1].fn == nil {
		f.watch = f.watch[:len(f.watch)-1]
	}
}

// IsDown reports whether a computer is failed.
func (f *Fabric) IsDown(node int) bool { return f.checkNode(node) == nil && f.down[node] }

// Schedule validates a fault plan and schedules its steps at their virtual
// times (times already past run at once, in order). Nothing is scheduled if
// any step names a computer outside the cluster.
func (f *Fabric) Schedule(steps []Step) error {
	for i, s := range steps {
		if err := f.checkStep(s); err != nil {
			return fmt.Errorf("fault plan step %d (at %v): %w", i, s.At, err)
		}
	}
	for _, s := range steps {
		s := s
		f.loop.At(vtime.Time(s.At), func() { f.Apply(s) })
	}
	return nil
}

func (f *Fabric) checkStep(s Step) error {
	for _, p := range append(append([][2]int{}, s.Cut...), s.Heal...) {
		if err := f.checkPair(p[0], p[1]); err != nil {
			return err
		}
	}
	for _, g := range s.Partition {
		for _, c := range g {
			if err := f.checkNode(c); err != nil {
				return err
			}
		}
	}
	for _, r := range s.Set {
		if !r.All {
			if err := f.checkPair(r.From, r.To); err != nil {
				return err
			}
		}
	}
	for _, c := range append(append([]int{}, s.Down...), s.Up...) {
		if err := f.checkNode(c); err != nil {
			return err
		}
	}
	return nil
}

// Apply performs one fault-plan step now (ignoring s.At). Invalid parts
// are skipped; use Schedule to validate first.
func (f *Fabric) Apply(s Step) {
	if s.HealAll {
		f.HealAll()
	}
	for _, p := range s.Heal {
		_ = f.Heal(p[0], p[1])
	}
	for _, p := range s.Cut {
		_ = f.Cut(p[0], p[1])
	}
	_ = f.Partition(s.Partition)
	for _, r := range s.Set {
		_ = f.SetLinks(r)
	}
	for _, c := range s.Down {
		_ = f.SetDown(c, true)
	}
	for _, c := range s.Up {
		_ = f.SetDown(c, false)
	}
}

// TxTime is the serialization delay of size bytes at bw bytes/s:
// ceil(size·1e9/bw) ns, or 0 for unlimited bandwidth.
func TxTime(size int, bw int64) vtime.Duration {
	if bw <= 0 || size <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(size), 1e9)
	if hi >= uint64(bw) { // the quotient would not fit in 64 bits
		return vtime.Duration(1<<63 - 1)
	}
	q, r := bits.Div64(hi, lo, uint64(bw))
	if r != 0 {
		q++
	}
	return vtime.Duration(q)
}

// Send puts p on the wire at the current virtual time and returns its ID.
// With no faults it arrives at
//
//	max(now, link free) + ceil(Size·1e9/Bandwidth) + Latency
//
// plus jitter and the reorder delay when those are configured. Errors are
// for bad arguments only (no such computer, negative size); a packet lost
// to faults is not an error, since the sender cannot tell. A packet to the
// sender's own computer is delivered at once, after the events already due
// (loopback: no link, no faults).
func (f *Fabric) Send(p *Packet) (uint64, error) {
	if p == nil {
		return 0, fmt.Errorf("network: send of nil packet")
	}
	if err := f.checkNode(p.From); err != nil {
		return 0, fmt.Errorf("network: send from bad source: %w", err)
	}
	if err := f.checkNode(p.To); err != nil {
		return 0, fmt.Errorf("network: send to bad destination: %w", err)
	}
	if p.Size < 0 {
		return 0, fmt.Errorf("network: packet size %d is negative", p.Size)
	}
	f.nextID++
	p.ID = f.nextID
	now := f.loop.Now()
	st := &f.stats[p.From]
	st.Sent++
	st.BytesSent += uint64(p.Size)
	if f.down[p.From] {
		f.drop(p, p.From, DropDown)
		return p.ID, nil
	}
	if p.From == p.To {
		f.traceSend(p, now)
		f.loop.At(now, func() { f.deliver(p) })
		return p.ID, nil
	}
	l := &f.links[p.From*f.n+p.To]
	// A fixed number of draws per packet keeps each link's stream aligned:
	// turning one effect on or off does not change what the others draw.
	uLoss, uDup, uJit, uJit2, uReo, uReoD := l.rng.Float64(), l.rng.Float64(), l.rng.Float64(),
		l.rng.Float64(), l.rng.Float64(), l.rng.Float64()
	if l.cut {
		f.drop(p, p.From, DropPartition)
		return p.ID, nil
	}
	if uLoss < l.p.Loss {
		f.drop(p, p.From, DropLoss)
		return p.ID, nil
	}
	start := now
	if l.busyUntil > start {
		start = l.busyUntil
	}
	if l.p.QueueBytes > 0 && l.p.Bandwidth > 0 {
		backlog := int64(0)
		if l.busyUntil > now {
			hi, lo := bits.Mul64(uint64(l.busyUntil-now), uint64(l.p.Bandwidth))
			if hi >= 1e9 {
				backlog = 1<<62 - 1
			} else {
				q, _ := bits.Div64(hi, lo, 1e9)
				backlog = int64(q)
			}
		}
		if backlog+int64(p.Size) > l.p.QueueBytes {
			f.drop(p, p.From, DropQueue)
			return p.ID, nil
		}
	}
	l.busyUntil = start.Add(TxTime(p.Size, l.p.Bandwidth))
	base := l.busyUntil.Add(l.p.Latency)
	extra := func(u float64, bound vtime.Duration) vtime.Duration {
		if bound <= 0 {
			return 0
		}
		d := vtime.Duration(u * float64(bound+1))
		if d > bound {
			d = bound
		}
		return d
	}
	reo := vtime.Duration(0)
	if uReo < l.p.Reorder {
		rd := l.p.ReorderDelay
		if rd == 0 {
			rd = max(l.p.Latency, 1_000_000)
		}
		reo = extra(uReoD, rd)
	}
	arrive := base.Add(extra(uJit, l.p.Jitter) + reo)
	f.traceSend(p, arrive)
	f.loop.At(arrive, func() { f.deliver(p) })
	if uDup < l.p.Dup {
		d := *p
		darr := base.Add(extra(uJit2, l.p.Jitter))
		st.Duplicated++
		if f.tr.Enabled() {
			f.tr.Emit(trace.Event{T: now, Computer: f.names[p.From], CPU: -1, Kind: "dup",
				Fields: map[string]any{"to": f.names[p.To], "pkt": p.ID, "arrive": int64(darr)}})
		}
		f.loop.At(darr, func() { f.deliver(&d) })
	}
	return p.ID, nil
}

func (f *Fabric) traceSend(p *Packet, arrive vtime.Time) {
	if !f.tr.Enabled() {
		return
	}
	f.tr.Emit(trace.Event{T: f.loop.Now(), Computer: f.names[p.From], CPU: -1, Kind: "send",
		Fields: map[string]any{"to": f.names[p.To], "proto": p.Proto.String(), "what": p.What,
			"bytes": p.Size, "pkt": p.ID, "arrive": int64(arrive)}})
}

func (f *Fabric) deliver(p *Packet) {
	if f.down[p.To] {
		f.drop(p, p.To, DropDown)
		return
	}
	if p.From != p.To && f.links[p.From*f.n+p.To].cut {
		f.drop(p, p.From, DropPartition)
		return
	}
	r := f.recv[p.To]
	if r == nil {
		f.drop(p, p.To, DropNoListener)
		return
	}
	st := &f.stats[p.To]
	st.Delivered++
	st.BytesDelivered += uint64(p.Size)
	if f.tr.Enabled() {
		f.tr.Emit(trace.Event{T: f.loop.Now(), Computer: f.names[p.To], CPU: -1, Kind: "deliver",
			Fields: map[string]any{"from": f.names[p.From], "proto": p.Proto.String(), "what": p.What,
				"bytes": p.Size, "pkt": p.ID}})
	}
	r(p)
}

// Drop records that a delivered packet was discarded by a layer above the
// fabric (reason DropNoListener or DropQueue, say), at the receiver.
func (f *Fabric) Drop(p *Packet, reason string) {
	if p == nil || f.checkNode(p.To) != nil {
		return
	}
	f.drop(p, p.To, reason)
}

func (f *Fabric) drop(p *Packet, at int, reason string) {
	st := &f.stats[at]
	switch reason {
	case DropLoss:
		st.DroppedLoss++
	case DropPartition:
		st.DroppedPartition++
	case DropNoListener:
		st.DroppedNoListener++
	case DropQueue:
		st.DroppedQueue++
	case DropDown:
		st.DroppedDown++
	}
	if f.tr.Enabled() {
		f.tr.Emit(trace.Event{T: f.loop.Now(), Computer: f.names[at], CPU: -1, Kind: "drop",
			Fields: map[string]any{"from": f.names[p.From], "to": f.names[p.To], "proto": p.Proto.String(),
				"what": p.What, "bytes": p.Size, "pkt": p.ID, "reason": reason}})
	}
}

// Stats returns computer i's counters (zero for a bad index).
func (f *Fabric) Stats(i int) NodeStats {
	if f.checkNode(i) != nil {
		return NodeStats{}
	}
	return f.stats[i]
}
