package kernel

import (
	"context"

	"github.com/tetratelabs/wazero/api"

	"dosemu/kernel/wasi"
	"dosemu/vfs"
)

// Wait options (dosemu.h; Linux's values).
const (
	// WNOHANG: do not block; report 0 when no child has a status yet.
	WNOHANG = 1
	// WUNTRACED: also report children that stopped (SIGSTOP).
	WUNTRACED = 2
	// WCONTINUED: also report stopped children that were continued.
	WCONTINUED = 8
)

// Wait statuses of stop and continue reports, as Linux encodes them:
// WIFSTOPPED is a low byte of 0x7f with the signal above it,
// WIFCONTINUED the whole status 0xffff. An ended child's status is the
// exit code << 8 or the terminating signal (Process.Status).
const (
	statusStoppedLow = 0x7f
	statusContinued  = 0xffff
)

// waitReport is a stop or continue waiting to be reported to a wait.
type waitReport uint8

const (
	reportNone waitReport = iota
	reportStopped
	reportContinued
)

// hWait: wait(gid, options, *waited, *status). An ended child is reaped;
// with WUNTRACED a child that stopped since it was last reported is
// reported (status WIFSTOPPED, WSTOPSIG SIGSTOP), with WCONTINUED one
// that was continued (WIFCONTINUED); neither is reaped and each stop or
// continue is reported once. EINVAL for unknown option bits.
func hWait(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	target := GID(int64(a[0]))
	opts := int32(a[1])
	if opts&^(WNOHANG|WUNTRACED|WCONTINUED) != 0 {
		return vfs.EINVAL
	}
	for {
		child, status, any := p.waitableChild(target, opts)
		if child != nil {
			if !putU64(m, a[2], uint64(child.GID())) || !putU32(m, a[3], uint32(status)) {
				return vfs.EFAULT
			}
			if child.state == Zombie {
				child.k.reap(child, p)
			} else {
				child.px.report = reportNone
			}
			return 0
		}
		if !any {
			return vfs.ECHILD
		}
		if opts&WNOHANG != 0 {
			if !putU64(m, a[2], 0) || !putU32(m, a[3], 0) {
				return vfs.EFAULT
			}
			return 0
		}
		r := p.Poll(wasi.NoDeadline, func() bool {
			c, _, any := p.waitableChild(target, opts)
			return c != nil || !any
		})
		switch r {
		case wasi.PollAbort:
			return 0 // ignored: the call is repeated after the rewind
		case wasi.PollTimeout:
			// Only when there is no slice to block (a call outside Run):
			// report "try again" rather than spin.
			return vfs.EAGAIN
		}
	}
}

// waitableChild finds a child matching target (-1: any) with something
// to report under opts: an end, or (WUNTRACED, WCONTINUED) an unreported
// stop or continue; status is what wait stores. any reports whether
// there is a matching child at all. Children are scanned in the order
// they were made, so the answer is deterministic.
func (p *Process) waitableChild(target GID, opts int32) (child *Process, status int, any bool) {
	for _, g := range p.children {
		if target != -1 && g != target {
			continue
		}
		c := p.k.world.Process(g)
		if c == nil {
			continue
		}
		any = true
		switch {
		case c.state == Zombie:
			return c, c.status, true
		case c.state == Dead:
		case opts&WUNTRACED != 0 && c.px.report == reportStopped && c.px.stopped:
			return c, SIGSTOP<<8 | statusStoppedLow, true
		case opts&WCONTINUED != 0 && c.px.report == reportContinued && !c.px.stopped:
			return c, statusContinued, true
		}
	}
	return nil, 0, any
}
