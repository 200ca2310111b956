package kernel_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"dosemu/emulator"
	"dosemu/emulator/cpu"
	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
	"dosemu/kernel"
)

// precopyRun migrates the stream guest (which rewrites its whole buffer
// in a loop, faster than the default link can carry it) with pre-copy and
// returns its round events, its output and the source's statistics.
func precopyRun(t *testing.T, eng *cpu.Engine, wasm []byte) (rounds []trace.Event, out string, st kernel.MigStats) {
	t.Helper()
	var jsonl bytes.Buffer
	var events []trace.Event
	var o bytes.Buffer
	c, err := emulator.New(emulator.Config{Computers: emulator.Uniform(2, 1), Seed: 3, Engine: eng,
		Tracer: trace.New(trace.NewJSONL(&jsonl), sinkFunc(func(e trace.Event) {
			if e.Kind == "migrate" && e.Fields["phase"] == "round" {
				events = append(events, e)
			}
		})),
		Output: func(g emulator.GID, prog string, stream int, data []byte) { o.Write(data) }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Load("stream", wasm); err != nil {
		t.Fatal(err)
	}
	// 2 MiB rewritten 12 times: ~70 ms of virtual CPU, while one copy of
	// the buffer takes ~17 ms on the default link.
	g, err := c.Spawn(0, "stream", []string{"stream", "2", "12"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var moved error = fmt.Errorf("never finished")
	c.Loop().At(vtime.Time(8*time.Millisecond), func() {
		p := c.Process(g)
		if err := p.Kernel().Migrate(p.PID(), 1, kernel.PreCopy, kernel.MigrateOptions{Done: func(err error) { moved = err }}); err != nil {
			t.Fatal(err)
		}
	})
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if moved != nil {
		t.Fatalf("migration: %v", moved)
	}
	return events, o.String(), c.Kernel(0).MigrationStats()
}

type sinkFunc func(trace.Event)

func (f sinkFunc) Emit(e trace.Event) { f(e) }

// TestPreCopyConverges checks that pre-copy of a guest that dirties memory
// faster than the link carries it still ends with a small frozen round,
// by throttling the guest, and that the rounds are the same every run.
func TestPreCopyConverges(t *testing.T) {
	wasm, err := os.ReadFile("../guests/bench/stream.wasm")
	if err != nil {
		t.Skipf("stream guest not built: %v", err)
	}
	eng, err := emulator.NewEngine(context.Background(), cpu.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(context.Background())

	rounds, out, st := precopyRun(t, eng, wasm)
	if len(rounds) < 2 {
		t.Fatalf("%d rounds: want several (the guest rewrites its buffer)", len(rounds))
	}
	last := rounds[len(rounds)-1]
	if last.Fields["frozen"] != true {
		t.Fatalf("last round not frozen: %v", last.Fields)
	}
	// 2 ms at the default 125 MB/s.
	if b := last.Fields["bytes"].(int); b > 250_000 {
		t.Errorf("frozen round sent %d bytes: want at most what 2 ms of the link carries", b)
	}
	var throttled int64
	for i, e := range rounds {
		if e.Fields["round"] != i {
			t.Errorf("round %d numbered %v", i, e.Fields["round"])
		}
		if e.Fields["dirty_pages"].(int)*4096 != e.Fields["bytes"].(int) {
			t.Errorf("round %d: dirty_pages %v for %v bytes", i, e.Fields["dirty_pages"], e.Fields["bytes"])
		}
		tp := e.Fields["throttle_pct"].(int64)
		if tp < throttled || tp > 99 {
			t.Errorf("round %d: throttle %d%% after %d%%: want non-decreasing, at most 99", i, tp, throttled)
		}
		throttled = tp
	}
	if throttled == 0 {
		t.Error("the guest was never throttled, though it dirties memory faster than the link")
	}
	if st.Moved != 1 || st.BytesSent < 2<<20 {
		t.Errorf("stats %+v: want one move and at least the 2 MiB buffer sent", st)
	}
	if want := "stream 2 MiB x 12: checksum"; !bytes.Contains([]byte(out), []byte(want)) {
		t.Errorf("output %q lacks %q", out, want)
	}

	again, out2, _ := precopyRun(t, eng, wasm)
	if fmt.Sprint(again) != fmt.Sprint(rounds) || out2 != out {
		t.Errorf("a second run differs:\n%v\n%v", rounds, again)
	}
}
