package cpu

import (
	"context"
	"os"
	"testing"

	"dosemu/emulator/wasm"
)

func TestStaticLayoutOfCGuest(t *testing.T) {
	bin, err := os.ReadFile("../../guests/hello.wasm")
	if err != nil {
		t.Skipf("guest not built: %v", err)
	}
	m, err := wasm.Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	l := StaticLayout(m)
	if l.DataEnd <= l.DataStart || !l.StackKnown || l.StackTop == 0 {
		t.Fatalf("implausible layout for a C guest: %+v", l)
	}
	if l.HeapStart < l.DataEnd || l.HeapStart < l.StackTop {
		t.Errorf("heap %#x starts inside data or stack: %v", l.HeapStart, l)
	}
	if l.HeapStart > l.InitialPages*65536 {
		t.Errorf("heap start %#x beyond initial memory of %d pages", l.HeapStart, l.InitialPages)
	}

	eng, err := NewEngine(context.Background(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(context.Background())
	p, err := eng.Load(context.Background(), "hello", bin)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Layout()
	if err != nil || got != l {
		t.Errorf("Program.Layout = %+v, %v; want %+v", got, err, l)
	}
}

func TestStaticLayoutWithoutDataOrStack(t *testing.T) {
	l := StaticLayout(&wasm.Module{Memories: []wasm.MemType{{Limits: wasm.Limits{Min: 1}}}})
	if l != (Layout{InitialPages: 1}) {
		t.Errorf("empty module layout %+v", l)
	}
}
