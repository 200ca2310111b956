package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
	"dosemu/kernel"
	"dosemu/net"
)

// nrig is a cluster with its trace and each process's output captured.
// Output is kept per process: a guest's printf reaches the kernel as
// several writes, and other processes' writes may fall between them.
type nrig struct {
	*Cluster
	trace bytes.Buffer
	jsonl *trace.JSONL
	outs  map[GID]*bytes.Buffer
	order []GID
	fails []string
}

// netRig is a cluster of n one-core computers on the given network, with
// the network guests loaded.
func netRig(t testing.TB, n int, seed uint64, cfg net.Config) *nrig {
	t.Helper()
	return netRigOn(t, Uniform(n, 1), seed, cfg)
}

func netRigOn(t testing.TB, comps []ComputerConfig, seed uint64, cfg net.Config) *nrig {
	t.Helper()
	r := &nrig{outs: map[GID]*bytes.Buffer{}}
	r.jsonl = trace.NewJSONL(&r.trace)
	c, err := New(Config{Computers: comps, Seed: seed, Network: &cfg, Engine: testEngine,
		Tracer: trace.New(r.jsonl),
		Output: func(g GID, _ string, _ int, data []byte) {
			b := r.outs[g]
			if b == nil {
				b = &bytes.Buffer{}
				r.outs[g] = b
				r.order = append(r.order, g)
			}
			b.Write(data)
		},
		Failed: func(g GID, prog string, err error) { r.fails = append(r.fails, fmt.Sprintf("%s %s: %v", g, prog, err)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r.Cluster = c
	for _, g := range []string{"pingpong", "echod", "echo", "generals", "bulk", "netbad"} {
		if err := r.Load(g, guest(t, "net/"+g)); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// text is every process's output, each prefixed with its gid, in the
// order the processes first wrote.
func (r *nrig) text() string {
	var sb strings.Builder
	for _, g := range r.order {
		for _, line := range strings.SplitAfter(r.outs[g].String(), "\n") {
			if line != "" {
				fmt.Fprintf(&sb, "[%s] %s", g, line)
			}
		}
	}
	return sb.String()
}

func (r *nrig) run(t testing.TB) {
	t.Helper()
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, r.text())
	}
	if err := r.jsonl.Flush(); err != nil {
		t.Fatal(err)
	}
}

// events parses the trace.
func (r *nrig) events(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.trace.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("trace line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func (r *nrig) spawnT(t testing.TB, comp int, args ...string) GID {
	t.Helper()
	g, err := r.Spawn(comp, args[0], args, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// linkCfg is a network with one link setting everywhere and no faults.
func linkCfg(p net.LinkParams) net.Config { return net.Config{Link: p} }

// num reads a numeric trace field (JSON numbers decode as float64, exact
// for the times and ids of these runs, all below 2^53).
func num(m map[string]any, k string) int64 {
	if v, ok := m[k].(float64); ok {
		return int64(v)
	}
	return -1
}

// TestNetExactTimes: with no faults every datagram a guest sends leaves at
// the virtual time of its sendto call and arrives exactly latency +
// size/bandwidth later, and the stream pings all arrive when the fabric
// said they would.
func TestNetExactTimes(t *testing.T) {
	const lat = 3 * time.Millisecond
	const bw = 2_000_000 // bytes/s: a 44-byte datagram takes 22 us
	r := netRig(t, 2, 1, linkCfg(net.LinkParams{Latency: lat, Bandwidth: bw}))
	r.spawnT(t, 0, "pingpong", "dgram", "5", "serve")
	r.spawnT(t, 1, "pingpong", "dgram", "5", "ping")
	r.spawnT(t, 0, "pingpong", "stream", "5", "serve")
	r.spawnT(t, 1, "pingpong", "stream", "5", "ping")
	r.run(t)
	if len(r.fails) > 0 || !strings.Contains(r.text(), "answered 5 of 5 pings") || !strings.Contains(r.text(), "5 rounds, 0 timeouts") {
		t.Fatalf("ping-pong did not complete: %v\n%s", r.fails, r.text())
	}
	evs := r.events(t)
	sends := map[int64]map[string]any{}
	var sendtoCalls, dgramSends []int64
	for _, e := range evs {
		switch e["kind"] {
		case "send":
			sends[num(e, "pkt")] = e
			if e["proto"] == "dgram" && e["to"] != e["c"] {
				dgramSends = append(dgramSends, num(e, "t"))
			}
		case "syscall":
			if e["name"] == "sendto" {
				sendtoCalls = append(sendtoCalls, num(e, "t"))
			}
		}
	}
	// The fabric's model with no faults: a link serializes packets FIFO,
	// so a packet starts when the link is free, and arrives latency
	// later. Sends are traced in loop order, which is time order.
	busy := map[string]int64{}
	arrive := map[int64]int64{}
	for _, e := range evs {
		if e["kind"] != "send" || e["to"] == e["c"] {
			continue
		}
		link := fmt.Sprint(e["c"], "->", e["to"])
		start := max(num(e, "t"), busy[link])
		end := start + (num(e, "bytes")*1e9+bw-1)/bw
		busy[link] = end
		arrive[num(e, "pkt")] = end + int64(lat)
	}
	checked, idle := 0, 0
	for _, e := range evs {
		if e["kind"] != "deliver" || e["from"] == e["c"] {
			continue
		}
		s := sends[num(e, "pkt")]
		if s == nil {
			t.Fatalf("deliver without send: %v", e)
		}
		if want := arrive[num(s, "pkt")]; num(e, "t") != want {
			t.Errorf("%s packet %d sent at %d (%d bytes) arrived at %d, want %d", s["proto"], num(s, "pkt"), num(s, "t"), num(s, "bytes"), num(e, "t"), want)
		}
		if num(e, "t") == num(s, "t")+int64(lat)+(num(s, "bytes")*1e9+bw-1)/bw {
			idle++ // sent on an idle link: exactly send + latency + size/bandwidth
		}
		checked++
	}
	if checked < 40 || idle < checked/2 {
		t.Fatalf("%d deliveries checked, %d on an idle link", checked, idle)
	}
	// Each datagram left when its sendto was called (the pinger's "bye"s
	// included): the guest's clock, not the slice's start.
	if fmt.Sprint(sendtoCalls) != fmt.Sprint(dgramSends) {
		t.Errorf("sendto calls at %v\ndatagrams sent at %v", sendtoCalls, dgramSends)
	}
}

// TestNetDeterminism: the same seed gives the same output and trace over
// a lossy, jittery network; another seed gives another run.
func TestNetDeterminism(t *testing.T) {
	run := func(seed uint64) (string, string) {
		r := netRig(t, 3, seed, linkCfg(net.LinkParams{Latency: time.Millisecond, Bandwidth: 10e6, Jitter: 500 * time.Microsecond, Loss: 0.2}))
		r.spawnT(t, 0, "generals", "4", "50", "600", "A")
		r.spawnT(t, 1, "generals", "4", "50", "600", "B")
		r.spawnT(t, 2, "pingpong", "dgram", "8", "serve")
		r.spawnT(t, 1, "pingpong", "dgram", "8", "ping")
		r.run(t)
		if err := r.jsonl.Flush(); err != nil {
			t.Fatal(err)
		}
		return r.text(), r.trace.String()
	}
	o1, t1 := run(7)
	o2, t2 := run(7)
	if o1 != o2 || t1 != t2 {
		t.Fatalf("same seed, different runs:\n%s\n---\n%s", o1, o2)
	}
	_, t3 := run(8)
	if t3 == t1 {
		t.Fatal("seeds 7 and 8 gave the same trace over a lossy network")
	}
	if !strings.Contains(t1, `"reason":"loss"`) {
		t.Fatal("no loss at 20%")
	}
}

// TestNetStreamUnderFaults: a stream between guests delivers every byte in
// order at 10% loss, and at 30% duplication + 30% reordering.
func TestNetStreamUnderFaults(t *testing.T) {
	const n = 300_000
	for _, tc := range []struct {
		name string
		p    net.LinkParams
		drop string
	}{
		{"loss 10%", net.LinkParams{Latency: time.Millisecond, Bandwidth: 20e6, Loss: 0.1}, `"reason":"loss"`},
		{"dup+reorder 30%", net.LinkParams{Latency: time.Millisecond, Bandwidth: 20e6, Dup: 0.3, Reorder: 0.3}, `"kind":"dup"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := netRig(t, 2, 3, linkCfg(tc.p))
			r.spawnT(t, 0, "bulk", "serve", itoaN(n))
			r.spawnT(t, 1, "bulk", "send", itoaN(n), "10000")
			r.run(t)
			want := fmt.Sprintf("received %d of %d bytes, 0 wrong", n, n)
			if !strings.Contains(r.text(), want) || len(r.fails) > 0 {
				t.Fatalf("want %q:\n%s%v", want, r.text(), r.fails)
			}
			if !strings.Contains(r.trace.String(), tc.drop) {
				t.Fatalf("the fault (%s) never happened", tc.drop)
			}
		})
	}
}

func itoaN(n int) string { return strconv.Itoa(n) }

// TestNetPartitionHeal: a partition scripted as a fault plan stops all
// traffic between the computers both ways; healing resumes the stream,
// and every ping is answered.
func TestNetPartitionHeal(t *testing.T) {
	plan, err := net.LoadPlanFile(filepath.Join("..", "guests", "net", "partition.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := net.DefaultConfig()
	cfg.Faults = plan
	r := netRig(t, 2, 1, cfg)
	r.spawnT(t, 0, "pingpong", "stream", "10", "serve")
	r.spawnT(t, 1, "pingpong", "stream", "10", "ping")
	r.run(t)
	if !strings.Contains(r.text(), "answered 10 of 10 pings") {
		t.Fatalf("not every ping answered:\n%s", r.text())
	}
	var cut, heal int64 = -1, -1
	before, during, after, dropped := 0, 0, 0, 0
	for _, e := range r.events(t) {
		switch e["kind"] {
		case "partition":
			cut = num(e, "t")
		case "heal":
			heal = num(e, "t")
		case "drop":
			if e["reason"] == "partition" {
				dropped++
			}
		case "deliver":
			if e["proto"] != "stream" {
				continue
			}
			switch tt := num(e, "t"); {
			case cut < 0:
				before++
			case heal < 0:
				during++
				t.Errorf("delivered during the partition: %v", e)
			default:
				_ = tt
				after++
			}
		}
	}
	if cut != int64(time.Millisecond) || heal != int64(300*time.Millisecond) {
		t.Fatalf("partition at %d, heal at %d", cut, heal)
	}
	if before == 0 || after == 0 || dropped == 0 || during != 0 {
		t.Fatalf("deliveries before %d, during %d, after %d; %d dropped by the partition", before, during, after, dropped)
	}
	if !regexp.MustCompile(`round \d+, rtt 3\d\d\.\d+ ms`).MatchString(r.text()) {
		t.Fatalf("no round spans the partition:\n%s", r.text())
	}
}

// TestNetBadInput: every mistake a guest can make with sockets and names
// answers an errno; nothing crashes and the guest finishes.
func TestNetBadInput(t *testing.T) {
	r := netRig(t, 2, 1, net.DefaultConfig())
	r.spawnT(t, 0, "netbad")
	r.run(t)
	out := r.text()
	if len(r.fails) > 0 || !strings.Contains(out, "netbad: done") {
		t.Fatalf("netbad did not finish: %v\n%s", r.fails, out)
	}
	want := map[string]int{
		"socket type 99": 67, "bind no such computer": 4, "bind port 70000": 28,
		"bind port in use": 3, "bind twice": 28, "sendto oversized": 35,
		"sendto no such computer": 23, "sendto port 0": 28, "sendto bad pointer": 21,
		"recvfrom bad pointer": 21, "sendto loopback": 0, "recvfrom truncated": 0,
		"sendto closed socket": 8, "sockname closed socket": 8, "sockname stdout": 57,
		"listen dgram": 58, "write unconnected stream": 53, "connect no such computer": 23,
		"connect port 0": 28, "connect no listener": 14, "write after refused connect": 14,
		"accept not listening": 28, "connect loopback": 0, "accept": 0,
		"shutdown write": 0, "write after shutdown": 64, "read end of stream": 0,
		"name empty": 28, "name too long": 37, "name with space": 28, "name register": 0,
		"name taken": 20, "name on stdout": 57, "lookup unknown": 44,
		"lookup bad pointer": 21, "lookup after close": 44,
		"nonblock set": 0, "nonblock recvfrom": 6, "nonblock read": 6, "nonblock accept": 6,
		"nonblock connect": 26, "nonblock connect again": 7, "nonblock write while connecting": 6,
		"poll until connected": 0, "nonblock connect done": 0,
	}
	got := map[string]int{}
	for _, m := range regexp.MustCompile(`\] ([a-z0-9 ]+): (\d+) \(`).FindAllStringSubmatch(out, -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: got errno %d (present %v), want %d", k, g, ok, v)
		}
	}
	if names := r.Network().Names().List(); len(names) != 0 {
		t.Errorf("names left after the process ended: %v", names)
	}
}

// TestNetEchoPlan boots the echo demo's plan: a server and four clients on
// three other computers, all lines intact, and the server's name gone
// once it exits.
func TestNetEchoPlan(t *testing.T) {
	dir := filepath.Join("..", "guests", "net")
	b, err := os.ReadFile(filepath.Join(dir, "echo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePlan(b)
	if err != nil {
		t.Fatal(err)
	}
	r := netRigOn(t, p.Computers, 1, net.DefaultConfig())
	if _, err := r.Boot(p, func(path string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, path)) }); err != nil {
		t.Fatal(err)
	}
	r.run(t)
	out := r.text()
	if len(r.fails) > 0 || !strings.Contains(out, "served 4 clients, echoed 266 bytes") || strings.Count(out, "lines echoed intact") != 4 {
		t.Fatalf("echo demo:\n%s%v", out, r.fails)
	}
	if names := r.Network().Names().List(); len(names) != 0 {
		t.Errorf("names left after every process ended: %v", names)
	}
}

// generalsRun boots the Two Generals once and reports whether they agreed.
func generalsRun(t testing.TB, seed uint64, loss float64) (agreed, attacked bool) {
	t.Helper()
	r := netRig(t, 2, seed, linkCfg(net.LinkParams{Latency: 10 * time.Millisecond, Bandwidth: 1e6, Loss: loss}))
	r.spawnT(t, 0, "generals", "5", "100", "2000", "A")
	r.spawnT(t, 1, "generals", "5", "100", "2000", "B")
	r.run(t)
	out := r.text()
	a := regexp.MustCompile(`decision A (ATTACK|RETREAT)`).FindStringSubmatch(out)
	b := regexp.MustCompile(`decision B (ATTACK|RETREAT)`).FindStringSubmatch(out)
	if a == nil || b == nil {
		t.Fatalf("seed %d: no decisions:\n%s", seed, out)
	}
	return a[1] == b[1], a[1] == "ATTACK"
}

// generalsStats runs seeds 1..n at loss and counts disagreements.
func generalsStats(t testing.TB, n int, loss float64) (disagree, bothAttack int) {
	for s := 1; s <= n; s++ {
		ok, att := generalsRun(t, uint64(s), loss)
		if !ok {
			disagree++
		} else if att {
			bothAttack++
		}
	}
	return
}

// TestTwoGenerals: over a perfect link the generals always attack
// together; over a lossy one some runs end with one attacking alone —
// in numbers, the fraction of the seeds where the protocol failed.
func TestTwoGenerals(t *testing.T) {
	n := 100
	if testing.Short() {
		n = 30
	}
	if d, both := generalsStats(t, 3, 0); d != 0 || both != 3 {
		t.Fatalf("perfect link: %d disagreements, %d joint attacks of 3", d, both)
	}
	d, both := generalsStats(t, n, 0.5)
	t.Logf("loss 50%%, %d seeds: disagreed in %d (%.0f%%), attacked together in %d, retreated together in %d",
		n, d, 100*float64(d)/float64(n), both, n-d-both)
	if d == 0 {
		t.Fatalf("no disagreement in %d runs at 50%% loss", n)
	}
}

// BenchmarkTwoGenerals reports the fraction of 100 seeds in which the
// generals did not coordinate, at several loss rates.
func BenchmarkTwoGenerals(b *testing.B) {
	for _, loss := range []float64{0.1, 0.3, 0.5, 0.7} {
		b.Run(fmt.Sprintf("loss=%.1f", loss), func(b *testing.B) {
			var d int
			for i := 0; i < b.N; i++ {
				d, _ = generalsStats(b, 100, loss)
			}
			b.ReportMetric(float64(d)/100, "disagree-fraction")
		})
	}
}

// BenchmarkNetPingPong: stream round trips between guests on two
// computers, in host time (msgs/s counts both directions).
func BenchmarkNetPingPong(b *testing.B) {
	for _, mode := range []string{"stream", "dgram"} {
		b.Run(mode, func(b *testing.B) {
			const rounds = 2000
			start := time.Now()
			for i := 0; i < b.N; i++ {
				var out bytes.Buffer
				c := quietCluster(b, net.DefaultConfig(), &out, "pingpong")
				c.Spawn(0, "pingpong", []string{"pingpong", mode, itoaN(rounds), "serve"}, nil)
				c.Spawn(1, "pingpong", []string{"pingpong", mode, itoaN(rounds), "ping"}, nil)
				if err := c.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				if !bytes.Contains(out.Bytes(), []byte(itoaN(rounds)+" rounds")) && !bytes.Contains(out.Bytes(), []byte("answered "+itoaN(rounds))) {
					b.Fatalf("ping-pong failed:\n%s", out.String())
				}
				c.Close()
			}
			el := time.Since(start).Seconds()
			msgs := float64(2 * rounds * b.N)
			b.ReportMetric(msgs/el, "msgs/s")
			b.ReportMetric(el*1e9/msgs, "ns/msg")
		})
	}
}

// BenchmarkNetBulk: MB/s of a checked stream transfer between guests on
// two computers, in host time.
func BenchmarkNetBulk(b *testing.B) {
	const n = 4 << 20
	b.SetBytes(n)
	for i := 0; i < b.N; i++ {
		var out bytes.Buffer
		c := quietCluster(b, net.Config{Link: net.LinkParams{Latency: 100 * time.Microsecond}}, &out, "bulk")
		c.Spawn(0, "bulk", []string{"bulk", "serve", itoaN(n)}, nil)
		c.Spawn(1, "bulk", []string{"bulk", "send", itoaN(n), "65536"}, nil)
		if err := c.Run(context.Background()); err != nil {
			b.Fatal(err)
		}
		if !bytes.Contains(out.Bytes(), []byte("0 wrong")) {
			b.Fatalf("transfer failed:\n%s", out.String())
		}
		c.Close()
	}
}

// quietCluster is a cluster without tracing or captured output, for
// benchmarks; out collects the guests' output.
func quietCluster(b *testing.B, cfg net.Config, out *bytes.Buffer, progs ...string) *Cluster {
	b.Helper()
	c, err := New(Config{Computers: Uniform(2, 1), Seed: 1, Network: &cfg, Engine: testEngine,
		Output: func(_ GID, _ string, _ int, data []byte) { out.Write(data) }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	for _, p := range progs {
		if err := c.Load(p, guest(b, "net/"+p)); err != nil {
			b.Fatal(err)
		}
	}
	return c
}

// TestNetServerMigrates: a server that registered a name moves to another
// computer; clients that look the name up afterwards still reach it (its
// sockets stay at their address, reached through their home computer),
// and every line comes back.
func TestNetServerMigrates(t *testing.T) {
	r := netRig(t, 3, 1, net.DefaultConfig())
	srv := r.spawnT(t, 0, "echod", "2")
	var moved error = errors.New("migration never finished")
	r.Loop().At(vtime.Time(time.Millisecond), func() {
		if err := r.Migrate(srv, 2, kernel.StopCopy, func(err error) { moved = err }); err != nil {
			t.Error(err)
		}
	})
	r.Loop().At(vtime.Time(20*time.Millisecond), func() {
		if p := r.Process(srv); p == nil || p.Kernel().Index() != 2 {
			t.Errorf("server not on c2 at 20ms: %v", p)
		}
		r.spawnT(t, 1, "echo", "3")
		r.spawnT(t, 0, "echo", "4")
	})
	r.run(t)
	if moved != nil {
		t.Fatalf("migration: %v", moved)
	}
	out := r.text()
	if len(r.fails) > 0 || !strings.Contains(out, "served 2 clients") || strings.Count(out, "lines echoed intact") != 2 {
		t.Fatalf("after migration:\n%s%v", out, r.fails)
	}
}
