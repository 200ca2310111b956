package paging

import (
	"bytes"
	"testing"
)

// TestLiveCountsEveryKind follows one object of each kind through its
// life: each is counted from the call that made it until the one that
// released it, FreeLater and CloseLater included once Settle returns.
func TestLiveCountsEveryKind(t *testing.T) {
	Settle()
	base := Live()
	want := func(dp, dpg, dt int64) {
		t.Helper()
		w := Counts{Pages: base.Pages + dp, Pagers: base.Pagers + dpg, Trackers: base.Trackers + dt}
		if got := Live(); got != w {
			t.Fatalf("live: %v, want %v", got, w)
		}
	}
	const n = 1 << 20
	r := reserve(t, n)
	fill(r, 5)

	a, err := NewPages(n)
	if err != nil {
		t.Fatal(err)
	}
	want(1, 0, 0)
	b, err := Detach(r)
	if err != nil {
		t.Fatal(err)
	}
	want(2, 0, 0)
	if err := Install(r, b); err != nil {
		t.Fatal(err)
	}
	want(1, 0, 0)
	a.FreeLater()
	Settle()
	want(0, 0, 0)
	if err := a.Free(); err != nil {
		t.Fatalf("Free after FreeLater: %v", err)
	}
	want(0, 0, 0)

	pg := detachServe(t, r, Options{})
	want(1, 1, 0)
	if err := pg.Close(); err != nil {
		t.Fatal(err)
	}
	_ = pg.Close()
	_ = pg.Drop()
	want(0, 0, 0)

	tr, err := NewTracker(r)
	if err == nil {
		want(0, 0, 1)
		tr.CloseLater()
		Settle()
		want(0, 0, 0)
		_ = tr.Close()
		want(0, 0, 0)
		if tr, err = NewTracker(r); err != nil {
			t.Fatal(err)
		}
		want(0, 0, 1)
		_ = tr.Close()
		_ = tr.Close()
		want(0, 0, 0)
	}
}

// TestDropFreesWithoutFilling: Drop releases the pager and its source at
// once, and what was never fetched stays out of the region.
func TestDropFreesWithoutFilling(t *testing.T) {
	needDemand(t)
	Settle()
	base := Live()
	const n = 2 << 20
	r := reserve(t, n)
	fill(r, 11)
	want := append([]byte(nil), r[:FetchSize]...)
	pg := detachServe(t, r, Options{})
	if !bytes.Equal(r[:FetchSize], want) {
		t.Fatal("first chunk differs from the source")
	}
	if err := pg.Drop(); err != nil {
		t.Fatal(err)
	}
	if got := Live(); got != base {
		t.Fatalf("live after Drop: %v, want %v", got, base)
	}
	if st := pg.Stats(); st.PushedPages != 0 || st.FetchedPages != FetchSize/PageSize {
		t.Fatalf("stats after Drop: %+v, want one fetch and no push", st)
	}
	if !bytes.Equal(r[:FetchSize], want) || !bytes.Equal(r[n-PageSize:], make([]byte, PageSize)) {
		t.Fatal("Drop changed fetched pages or filled missing ones")
	}
}
