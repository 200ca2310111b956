package kernel

// The memory half of a migration: how the guest's linear memory reaches the
// destination under each strategy (stop-and-copy, pre-copy rounds,
// post-copy demand paging with a background push). The protocol around it
// (freeze, state, commit, abort) is in migrate.go.

import (
	"bytes"
	"fmt"

	"dosemu/emulator/paging"
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

func (m *migration) preRound() {
	n, err := m.copyRound()
	if err != nil {
		m.abort(err)
		return
	}
	m.from.emitMig(m, "round", map[string]any{"round": m.round, "bytes": n, "frozen": m.frozen})
	m.round++
	final := m.frozen
	m.send(PhaseMem, n, func() {
		switch {
		case final:
			m.send(PhaseCommit, 64, m.commit)
		case n <= preCopyStopBytes || m.round >= preCopyMaxRounds:
			if m.p.state != Ready && m.p.state != Blocked {
				// Running cannot happen at a loop event; be safe anyway.
				m.abort(fmt.Errorf("process is %v at the final round", m.p.state))
				return
			}
			m.freeze()
			m.preRound()
		default:
			m.preRound()
		}
	})
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
	for off := 0; off < len(mem); off += paging.PageSize {
		src, d := mem[off:off+paging.PageSize], dst[off:off+paging.PageSize]
		if !bytes.Equal(src, d) {
			copy(d, src)
			n += paging.PageSize
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
// that just moved ends its downtime, which MigrateOptions.Resumed observes.
// Cost: one nil test per slice otherwise.
func (k *Kernel) migBeforeRun(p *Process) {
	if pm := p.mig; pm != nil && pm.resumed != nil {
		f := pm.resumed
		pm.resumed = nil
		f()
	}
}

// PagesArriving reports whether the process's memory is still arriving
// from the computer it left (post-copy: some pages are still at the
// source, fetched on first touch or pushed in the background).
func (p *Process) PagesArriving() bool { return p.mig != nil && p.mig.pager != nil }
