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

// migThrottle runs after a preempted slice of p that ran for ran. A
// process waiting for a demand fetch (fetchWait) blocks until it is
// answered. While a pre-copy of p is throttled, p sits out a pause of ran·t/(100-t) (t the
// throttle in percent) before it is ready again, and migThrottle reports
// true (the caller then treats the slice's end as a block). Deterministic:
// the pause is a function of virtual time only.
func (k *Kernel) migThrottle(p *Process, end vtime.Time, ran vtime.Duration) bool {
	pm := p.mig
	if pm != nil && pm.fetchOut && pm.post != nil {
		// A fetch of pages this slice touched is still out (fetchWait):
		// the process waits for it like for any event.
		p.state = Blocked
		p.waitReady, p.deadline = func() bool { return !pm.fetchOut }, never
		k.blocked = append(k.blocked, p)
		return true
	}
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
	// Exposed: made private if a fork left it sharing pages (paging's
	// mremap and userfaultfd cannot move those), and cleared by remapping
	// when its thread is released.
	b, err := m.p.th.ExposeMemory()
	if err != nil || b == nil {
		return nil, err
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
	pm.post = m
	p := m.p
	p.AtExit(func() {
		// The thread is closed after the exit hooks: stop serving first.
		// Its memory no longer matters, so nothing more is copied in.
		if p.mig != nil && p.mig.pager == pg {
			m.endPost(false)
		}
	})
	return nil
}

// postStart begins the push after the hand-off and watches the fabric for
// the failures that end a post-copy early (see the package's migration
// notes in migrate.go).
func (m *migration) postStart() {
	pm := m.p.mig
	if f := m.fabric(); f != nil {
		pm.unwatch = f.Watch(m.linkChanged)
	}
	m.pushNext()
}

// endPost ends the post-copy of m's process: with fill, the pages still
// missing are copied in first (every page is then here); without, they
// are dropped (the process is gone or cannot continue). Either way the
// source holds nothing afterwards.
func (m *migration) endPost(fill bool) paging.Stats {
	pm := m.p.mig
	pg := pm.pager
	if pg == nil {
		return paging.Stats{}
	}
	if fill {
		_ = pg.Close()
	} else {
		_ = pg.Drop()
	}
	st := pg.Stats()
	pm.pager, pm.post = nil, nil
	m.p.k.Notify(m.p.k.loop.Now()) // a dosemu_migrate call may wait for the push to end
	if pm.unwatch != nil {
		pm.unwatch()
		pm.unwatch = nil
	}
	pm.pushStall, pm.fetchHeld = false, false
	if pm.fetchOut {
		// Every page is here now (or the process is about to die): the
		// fetch it waits for no longer matters.
		m.fetchDone()
	}
	return st
}

func (m *migration) fabric() *net.Fabric {
	if nw := m.from.network(); nw != nil {
		return nw.Fabric()
	}
	return nil
}

// reachable reports whether the source and the destination can exchange
// messages now (both up, the link not cut either way). Loss does not
// count: a lost message is retried.
func (m *migration) reachable() bool {
	f := m.fabric()
	if f == nil {
		return true
	}
	a, b := m.from.cfg.Index, m.to.cfg.Index
	return !f.IsDown(a) && !f.IsDown(b) && !f.IsCut(a, b) && !f.IsCut(b, a)
}

// postFailed decides what a failed push or fetch means: a computer that
// is down ends the post-copy (its pages are lost), a cut link makes the
// transfer wait for the fabric to change (stalled reports that it now
// waits), a timeout on a link that is up (loss) is retried at once by
// the caller (retry true), and a refusal from a live destination ends it.
func (m *migration) postFailed(what string, e net.Errno) (retry bool) {
	f := m.fabric()
	switch {
	case f != nil && f.IsDown(m.from.cfg.Index):
		m.sourceLost()
	case f != nil && f.IsDown(m.to.cfg.Index):
		m.destLost(fmt.Sprintf("%s failed", m.to.cfg.Name))
	case !m.reachable():
		m.to.emitMig(m, "stall", map[string]any{"waiting": what, "missing_pages": m.p.mig.pager.Missing()})
		if what == "push" {
			m.p.mig.pushStall = true
		} else {
			m.p.mig.fetchHeld = true
		}
	case e == net.ETIMEDOUT:
		return true
	default:
		m.destLost(fmt.Sprintf("%s refused %s pages: %v", m.to.cfg.Name, what, e))
	}
	return false
}

// linkChanged runs at every change of the fabric while pages are still
// arriving: a failed computer ends the post-copy at that instant, and a
// healed link resumes what waited for it.
func (m *migration) linkChanged() {
	pm := m.p.mig
	if pm == nil || pm.pager == nil || pm.post != m {
		return
	}
	f := m.fabric()
	switch {
	case f.IsDown(m.from.cfg.Index):
		m.sourceLost()
		return
	case f.IsDown(m.to.cfg.Index):
		m.destLost(fmt.Sprintf("%s failed", m.to.cfg.Name))
		return
	case !m.reachable():
		return
	}
	if pm.pushStall || pm.fetchHeld {
		m.to.emitMig(m, "heal", map[string]any{"missing_pages": pm.pager.Missing()})
	}
	if pm.fetchHeld {
		pm.fetchHeld = false
		m.sendFetch()
	}
	if pm.pushStall {
		pm.pushStall = false
		m.pushNext()
	}
}

// destLost ends a post-copy whose destination failed (or refused its
// pages) after the hand-off: the process ran there, so it dies with it;
// the source stops pushing and frees its pages. Reported once: a "lost"
// trace event and MigStats.Lost at the source.
func (m *migration) destLost(why string) {
	m.postLost(m.from, SIGKILL, why)
}

// sourceLost ends a post-copy whose source failed while pages were still
// there: the process cannot continue without its memory and is killed
// with SIGBUS, as a process whose page cannot be read back.
func (m *migration) sourceLost() {
	m.postLost(m.to, SIGBUS, fmt.Sprintf("%s failed", m.from.cfg.Name))
}

func (m *migration) postLost(at *Kernel, sig int, why string) {
	p, pm := m.p, m.p.mig
	if pm == nil || pm.pager == nil || pm.post != m {
		return
	}
	missing := pm.pager.Missing()
	m.endPost(false)
	m.from.migState().stats.Lost++
	err := fmt.Errorf("post-copy from %s: %s with %d pages of its memory still at %s", m.from.cfg.Name, why, missing, m.from.cfg.Name)
	at.emitMig(m, "lost", map[string]any{"error": err.Error(), "missing_pages": missing})
	if p.k != m.to || p.state == Zombie || p.state == Dead {
		return
	}
	if p.state == Running {
		// Noticed at the end of its slice: it dies before its next one.
		k := p.k
		k.loop.At(k.loop.Now(), func() {
			if p.k == k && p.state != Zombie && p.state != Dead {
				_ = k.Kill(p.pid, sig, err)
			}
		})
		return
	}
	_ = p.k.Kill(p.pid, sig, err)
}

// pushNext sends the next run of missing pages, if any. A run that is
// lost is sent again; while the link is cut the push waits for it to heal
// (no message, no timer: linkChanged resumes it).
func (m *migration) pushNext() {
	p := m.p
	pm := p.mig
	if pm == nil || pm.pager == nil || pm.post != m || p.state == Zombie || p.state == Dead {
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
	if !m.reachable() {
		m.postFailed("push", net.ETIMEDOUT)
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
		net.CallOpts{Timeout: migTimeout + net.TxTime(size, m.link().Bandwidth), Retries: migRetries},
		func(_ net.Message, e net.Errno) {
			if pm.pager != pg || pm.post != m {
				return // ended meanwhile
			}
			if e == 0 || m.postFailed("push", e) {
				m.pushNext()
			}
		})
	if err != nil {
		m.finishPostCopy()
	}
}

// pushArrived installs the run that just arrived (destination side, at the
// message's arrival instant).
func (m *migration) pushArrived() {
	pm := m.p.mig
	if pm == nil || pm.pager == nil || pm.post != m {
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
	if m.p.mig.pager == nil {
		return
	}
	st := m.endPost(true)
	m.to.emitMig(m, "done", map[string]any{"fetches": st.Fetches, "fetched_pages": st.FetchedPages, "pushed_pages": st.PushedPages})
}

// fetchWait makes the process, whose last slice touched np missing pages
// while its source cannot be reached as usual (the link is cut or lossy),
// wait for them: a request to the source, answered with the pages,
// retried on loss and held while the link is cut. The wait is in virtual
// time: the process is blocked after the slice (migThrottle for a
// preempted one; a process that blocked in a system call has its wake-up
// held until the pages are here) and no host work is done meanwhile.
func (m *migration) fetchWait(p *Process, np uint64) {
	pm := p.mig
	pm.fetchPages += np
	if pm.fetchOut {
		return // the answer to the fetch out covers these too
	}
	pm.fetchOut = true
	if ready := p.waitReady; ready != nil {
		p.waitReady = func() bool { return !pm.fetchOut && ready() }
		if p.deadline != never {
			pm.fetchDeadline, pm.heldDeadline = p.deadline, true
			p.deadline = never
		}
	}
	if !m.reachable() {
		m.postFailed("fetch", net.ETIMEDOUT)
		return
	}
	m.sendFetch()
}

// sendFetch sends the fetch the process waits for.
func (m *migration) sendFetch() {
	pm := m.p.mig
	pg := pm.pager
	size := int(pm.fetchPages) * paging.PageSize
	l := m.to.linkTo(m.from.cfg.Index)
	_, err := m.to.host().Call(m.from.cfg.Index, net.Message{Type: "mig.pagereq", Body: &migMsg{m, "pagereq"}, Size: 16 + 8*int(pm.fetchPages)},
		net.CallOpts{Timeout: migTimeout + net.TxTime(size, l.Bandwidth), Retries: migRetries},
		func(_ net.Message, e net.Errno) {
			if pm.pager != pg || pm.post != m || !pm.fetchOut {
				return
			}
			if e == 0 {
				m.fetchDone()
				return
			}
			if m.postFailed("fetch", e) {
				m.sendFetch()
			}
		})
	if err != nil {
		m.sourceLost()
	}
}

// fetchDone: the pages the process waited for are here; it may run.
func (m *migration) fetchDone() {
	p, pm := m.p, m.p.mig
	k := p.k
	pm.fetchOut, pm.fetchPages = false, 0
	if pm.heldDeadline {
		pm.heldDeadline = false
		if p.state == Blocked && p.deadline == never {
			p.deadline = pm.fetchDeadline
			p.timer = k.loop.At(max(p.deadline, k.loop.Now()), func() { k.timeout(p) })
		}
	}
	k.Notify(k.loop.Now())
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
