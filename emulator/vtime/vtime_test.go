package vtime

import (
	"testing"
	"time"
)

func TestLoopOrdersByTimeThenSchedulingOrder(t *testing.T) {
	l := NewLoop()
	var got []string
	l.At(20, func() { got = append(got, "b") })
	l.At(10, func() { got = append(got, "a") })
	l.At(20, func() { got = append(got, "c") })
	e := l.At(15, func() { got = append(got, "cancelled") })
	l.Cancel(e)
	l.Cancel(e) // second cancel is a no-op
	l.At(10, func() {
		got = append(got, "a2")
		l.After(5, func() { got = append(got, "nested") })
	})
	end := l.Run(-1)
	want := []string{"a", "a2", "nested", "b", "c"}
	if len(got) != len(want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ran %v, want %v", got, want)
		}
	}
	if end != 20 {
		t.Errorf("Run ended at %v, want 20ns", end)
	}
	if e.Pending() {
		t.Error("cancelled event still pending")
	}
}

func TestPastEventsRunNow(t *testing.T) {
	l := NewLoop()
	var at Time
	l.At(100, func() { l.At(5, func() { at = l.Now() }) })
	l.Run(-1)
	if at != 100 {
		t.Errorf("event scheduled in the past ran at %v, want 100ns", at)
	}
}

func TestRunStopsAtLimit(t *testing.T) {
	l := NewLoop()
	n := 0
	for i := 1; i <= 10; i++ {
		l.At(Time(i*10), func() { n++ })
	}
	l.Run(55)
	if n != 5 || l.Len() != 5 {
		t.Errorf("ran %d events, %d pending; want 5 and 5", n, l.Len())
	}
}

func TestRandStreamsAreIndependentAndRepeatable(t *testing.T) {
	a1, a2 := Rand(7, "a"), Rand(7, "a")
	b := Rand(7, "b")
	same, diff := true, false
	for i := 0; i < 100; i++ {
		x, y, z := a1.Uint64(), a2.Uint64(), b.Uint64()
		same = same && x == y
		diff = diff || x != z
	}
	if !same || !diff {
		t.Errorf("same name same seed equal: %v; different names differ: %v", same, diff)
	}
}

func TestTimeString(t *testing.T) {
	if s := Time(1_000_250_000).String(); s != "1.000250000s" {
		t.Errorf("got %q", s)
	}
	if d := Time(10).Add(time.Microsecond); d != 1010 {
		t.Errorf("Add gave %d", d)
	}
}
