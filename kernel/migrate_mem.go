package kernel

// The memory half of a migration: how the guest's linear memory reaches the
// destination under each strategy (stop-and-copy, pre-copy rounds,
// post-copy demand paging with a background push). The protocol around it
// (freeze, state, commit, abort) is in migrate.go.

import (
	"bytes"
	"fmt"

	"dosemu/emulator/paging"
	"dosemu/emulator/vtime"
	"dosemu/net"
)

// memory runs the strategy's memory phase, then commit.
func (m *migration) memory() {
	switch m.mode {
	case PostCopy:
		m.send(PhaseCommit, 64, m.commit)
	case StopCopy:
		n, err := m.copyRound()
		if err != nil {
			m.abort(err)
			return
		}
		m.send(PhaseMem, n, func() { m.send(PhaseCommit, 64, m.commit) })
	case PreCopy:
		m.preRound()
	}
}

// Pre-copy convergence: the rounds stop when what the last round found
// dirty could be sent within preCopyDowntime at the link's bandwidth (it
// is sent with the process frozen), or after preCopyMaxRounds. While the
// process dirties memory faster than half the bandwidth, it is throttled
// (as QEMU's auto-converge does): after each slice it sits out a pause
// so that it gets only (100-throttle)% of the virtual CPU time it would,
// the throttle rising from preCopyThrottleMin by at least
// preCopyThrottleStep a round, up to preCopyThrottleMax.
const (
	preCopyDowntime     = vtime.Duration(2_000_000)
	preCopyMaxRounds    = 30
	preCopyThrottleMin  = 20
	preCopyThrottleStep = 10
	preCopyThrottleMax  = 99
)

// migMem is a migration's memory-transfer state.
type migMem struct {
	track     *paging.Tracker // pre-copy's write tracking, between rounds
	noTrack   bool            // the host cannot track writes: compare pages
	throttle  int64           // percent of the process's CPU time withheld
	pause     *vtime.Event    // the end of a throttled process's pause
	roundSent vtime.Time      // when the last round's pages were sent
}

// preRound sends one round of pre-copy: the pages that changed since the
// previous round (all non-zero pages the first time). Its answer decides
// the next step from the pages dirtied meanwhile.
func (m *migration) preRound() {
	n, err := m.copyRound()
	if err != nil {
		m.abort(err)
		return
	}
	m.sendRound(n)
}

func (m *migration) sendRound(n int) {
	m.from.emitMig(m, "round", map[string]any{"round": m.round, "bytes": n, "dirty_pages": n / paging.PageSize,
		"frozen": m.frozen, "throttle_pct": m.mem.throttle})
	m.round++
	final := m.frozen
	m.mem.roundSent = m.from.loop.Now()
	m.send(PhaseMem, n, func() {
		if final {
			m.send(PhaseCommit, 64, m.commit)
			return
		}
		m.nextRound()
	})
}

// nextRound runs at the answer to a round: it takes the pages dirtied
// while that round was on the wire and either sends them as one more
// round (throttling the process harder if it dirties memory too fast) or,
// when they fit the downtime target, freezes the process and sends them
// as the final round. Nothing runs between the scan and the freeze, so
// the final round holds every page the process changed.
func (m *migration) nextRound() {
	n, err := m.copyRound()
	if err != nil {
		m.abort(err)
		return
	}
	bw := m.link().Bandwidth
	stop := bw <= 0 || int64(n) <= bw*int64(preCopyDowntime)/1e9
	if stop || m.round >= preCopyMaxRounds {
		if m.p.state != Ready && m.p.state != Blocked {
			// Running cannot happen at a loop event; be safe anyway.
			m.abort(fmt.Errorf("process is %v at the final round", m.p.state))
			return
		}
		m.unpause()
		m.freeze()
		// The tracker stays until releaseSource ends it off the critical
		// path: ending it walks every tracked page (≈20 ms at 512 MiB).
		m.sendRound(n)
		return
	}
	// The dirty rate over the last round, against the bandwidth: both in
	// bytes per virtual second, so the throttle is a function of what the
	// guest executed.
	if d := int64(m.from.loop.Now().Sub(m.mem.roundSent)); d > 0 {
		rate := int64(n) * 1e9 / d
		if 2*rate > bw {
			t := max(preCopyThrottleMin, m.mem.throttle+preCopyThrottleStep)
			// The throttle that would bring the rate to half the
			// bandwidth, if the guest dirties in proportion to its CPU.
			t = max(t, 100-(100-m.mem.throttle)*bw/(2*rate))
			m.mem.throttle = min(t, preCopyThrottleMax)
		}
	}
	m.sendRound(n)
}

// migThrottle runs after a preempted slice of p that ran for ran: while a
// pre-copy of p is throttled, p sits out a pause of ran·t/(100-t) (t the
// throttle in percent) before it is ready again, and migThrottle reports
// true (the caller then treats the slice's end as a block). Deterministic:
// the pause is a function of virtual time only.
func (k *Kernel) migThrottle(p *Process, end vtime.Time, ran vtime.Duration) bool {
	pm := p.mig
	if pm == nil || pm.active == nil {
		return false
	}
	m := pm.active
	t := m.mem.throttle
	if t <= 0 || m.frozen || m.from != k || m.mode != PreCopy {
		return false
	}
	pause := ran * vtime.Duration(t) / vtime.Duration(100-t)
	p.state = Blocked
	var ev *vtime.Event
	ev = k.loop.At(end.Add(pause), func() {
		if m.mem.pause != ev {
			return
		}
		m.mem.pause = nil
		if p.k == k && p.state == Blocked {
			k.wakeMigrated(p)
		}
	})
	m.mem.pause = ev
	return true
}

// unpause ends a throttled process's pause now.
func (m *migration) unpause() {
	ev := m.mem.pause
	if ev == nil {
		return
	}
	m.mem.pause = nil
	m.from.loop.Cancel(ev)
	if p := m.p; p.k == m.from && p.state == Blocked {
		m.from.wakeMigrated(p)
	}
}

// releaseSource runs at the point of no return, before the source
// instance closes: it moves the source's pages out of its memory (cheap:
// page tables) and leaves returning them to the host, and ending the write
// tracking, to the process's first slice on the destination, so that
// neither delays it. Post-copy's source pages are the pager's already.
func (m *migration) releaseSource() {
	var pages *paging.Pages
	if m.mode != PostCopy {
		if mem, err := m.memBytes(); err == nil && len(mem) > 0 {
			if pg, err := paging.Detach(mem); err == nil {
				pages = pg
			}
		}
	}
	tr := m.mem.track
	m.mem.track = nil
	if pages == nil && tr == nil {
		return
	}
	// Not now: both take the host's address-space lock for milliseconds,
	// which the destination's instantiation and the source instance's
	// close would wait for. They start with the process's first slice
	// there, on other threads.
	pm := m.p.mig
	pm.release = func() {
		pages.FreeLater()
		if tr != nil {
			tr.CloseLater()
		}
	}
	// A process that ends before its first slice there still lets go.
	m.p.AtExit(func() {
		if f := pm.release; f != nil {
			pm.release = nil
			f()
		}
	})
}

// closeMem releases the memory transfer's resources after an abort: the
// write tracking, and the throttle (a pause in progress ends as planned,
// since the process is its source's again).
func (m *migration) closeMem() {
	m.closeTracker()
	m.mem.throttle = 0
}

func (m *migration) closeTracker() {
	if m.mem.track != nil {
		_ = m.mem.track.Close()
		m.mem.track = nil
	}
}

// memBytes is the guest's linear memory as a slice of its reservation.
func (m *migration) memBytes() ([]byte, error) {
	mem := m.p.th.Module().Memory()
	if mem == nil {
		return nil, nil
	}
	// After a fork the memory may share pages copy-on-write, which
	// paging's mremap and userfaultfd cannot move: make them its own.
	if err := m.p.th.Unshare(); err != nil {
		return nil, err
	}
	size := mem.Size()
	if size == 0 {
		return nil, nil
	}
	b, ok := mem.Read(0, size)
	if !ok {
		return nil, fmt.Errorf("reading %d bytes of linear memory failed", size)
	}
	return paging.RegionOf(b)
}

// copyRound copies into the destination image every page that differs
// from it (all non-zero pages the first time) and returns the bytes sent.
//
// Which pages it sends depends only on the memory's contents, so the
// rounds are the same on every host; how it finds them is host-dependent.
// During pre-copy a paging.Tracker reports the pages written since the
// previous round and only those are compared (cost: the pages the guest
// wrote, plus a write-protect fault on each first write in a round);
// otherwise (the first round, stop-and-copy, a host without tracking, or
// a memory that grew or was remapped by a fork) every page is compared
// (cost: the memory's size).
func (m *migration) copyRound() (int, error) {
	mem, err := m.memBytes()
	if err != nil || len(mem) == 0 {
		return 0, err
	}
	if m.staging == nil || m.staging.Len() < len(mem) {
		st, err := paging.NewPages(len(mem))
		if err != nil {
			return 0, err
		}
		if m.staging != nil {
			copy(st.Bytes(), m.staging.Bytes())
			_ = m.staging.Free()
		}
		m.staging = st
	}
	dst := m.staging.Bytes()
	n := 0
	diff := func(off, end int) {
		for ; off < end; off += paging.PageSize {
			src, d := mem[off:off+paging.PageSize], dst[off:off+paging.PageSize]
			if !bytes.Equal(src, d) {
				copy(d, src)
				n += paging.PageSize
			}
		}
	}
	if tr := m.mem.track; tr != nil {
		if tr.Len() == len(mem) {
			err := tr.Scan(func(off, l int) { diff(off, off+l) })
			if err == nil {
				return n, nil
			}
			// Remapped under the tracker: the full comparison below
			// finds whatever the scan missed.
		}
		m.closeTracker()
	}
	diff(0, len(mem))
	if m.mode == PreCopy && !m.frozen && !m.mem.noTrack {
		// The guest does not run until the round is sent, so tracking
		// from here on sees every write after this comparison.
		tr, err := paging.NewTracker(mem)
		if err != nil {
			m.mem.noTrack = true
		} else {
			m.mem.track = tr
		}
	}
	return n, nil
}

// startPostCopy detaches the source instance's memory (from) and serves
// the new instance's empty memory (region, same size) from those pages.
// On error the source's pages are back in place.
func (m *migration) startPostCopy(region, from []byte) error {
	src, err := paging.Detach(from)
	if err != nil {
		return err
	}
	pg, err := paging.NewPager(region, src, paging.Options{})
	if err != nil {
		_ = paging.Install(from, src)
		return err
	}
	pm := m.p.mig
	pm.pager, pm.pagerFrom, pm.cursor, pm.fetches, pm.fetched = pg, m.from, 0, 0, 0
	p := m.p
	p.AtExit(func() {
		// The thread is closed after the exit hooks: stop serving first.
		if p.mig != nil && p.mig.pager == pg {
			_ = pg.Close()
			p.mig.pager = nil
		}
	})
	return nil
}

// pushNext sends the next run of missing pages, if any.
func (m *migration) pushNext() {
	p := m.p
	pm := p.mig
	if pm == nil || pm.pager == nil || p.state == Zombie || p.state == Dead {
		return
	}
	pg := pm.pager
	per := paging.PushSize / paging.PageSize
	for pm.cursor < pg.Pages() {
		missing := 0
		for i := pm.cursor; i < min(pm.cursor+per, pg.Pages()); i++ {
			if !pg.Present(i) {
				missing++
			}
		}
		if missing > 0 {
			break
		}
		pm.cursor += per
	}
	if pm.cursor >= pg.Pages() || pg.Missing() == 0 {
		m.finishPostCopy()
		return
	}
	size := 0
	for i := pm.cursor; i < min(pm.cursor+per, pg.Pages()); i++ {
		if !pg.Present(i) {
			size += paging.PageSize
		}
	}
	src := pm.pagerFrom
	src.migState().stats.BytesSent += uint64(size)
	_, err := src.host().Call(m.to.cfg.Index, net.Message{Type: "mig." + PhasePush, Body: &migMsg{m, PhasePush}, Size: size},
		net.CallOpts{Timeout: migTimeout + net.TxTime(size, m.link().Bandwidth), Retries: 1 << 20},
		func(_ net.Message, e net.Errno) { m.pushNext() })
	if err != nil {
		m.finishPostCopy()
	}
}

// pushArrived installs the run that just arrived (destination side, at the
// message's arrival instant).
func (m *migration) pushArrived() {
	pm := m.p.mig
	if pm == nil || pm.pager == nil {
		return
	}
	n, err := pm.pager.Push(pm.cursor*paging.PageSize, paging.PushSize)
	if err == nil && n > 0 {
		pm.pagerFrom.migState().stats.PushedPages += uint64(n)
	}
	pm.cursor += paging.PushSize / paging.PageSize
}

// finishPostCopy ends post-copy: every page is here, the source holds
// nothing.
func (m *migration) finishPostCopy() {
	pm := m.p.mig
	if pm.pager == nil {
		return
	}
	st := pm.pager.Stats()
	_ = pm.pager.Close()
	pm.pager = nil
	m.to.emitMig(m, "done", map[string]any{"fetches": st.Fetches, "fetched_pages": st.FetchedPages, "pushed_pages": st.PushedPages})
}

// migBeforeRun runs just before each slice: the first slice of a process
// that just moved ends its downtime, which MigrateOptions.Resumed observes,
// and starts the release of its old memory on other threads. Cost: one nil
// test per slice otherwise.
func (k *Kernel) migBeforeRun(p *Process) {
	pm := p.mig
	if pm == nil {
		return
	}
	if f := pm.resumed; f != nil {
		pm.resumed = nil
		f()
	}
	if f := pm.release; f != nil {
		pm.release = nil
		f()
	}
}

// PagesArriving reports whether the process's memory is still arriving
// from the computer it left (post-copy: some pages are still at the
// source, fetched on first touch or pushed in the background).
func (p *Process) PagesArriving() bool { return p.mig != nil && p.mig.pager != nil }
