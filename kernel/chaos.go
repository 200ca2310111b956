package kernel

import (
	"fmt"

	"dosemu/emulator/cpu"
	"dosemu/vfs"
)

// CaptureTrip is what one capture round trip (CaptureRoundTrip) moved.
type CaptureTrip struct {
	Bytes  int // size of the serialized capture
	Frames int // suspended wasm frames in it
}

// CaptureRoundTrip takes p through the whole path a checkpoint takes,
// without moving it: capture its thread (Thread.Capture), serialize the
// capture (MarshalBinary), decode that into a new value (UnmarshalBinary),
// restore it into a fresh instance (Program.Restore), close the old
// thread, and continue p on the new one. Everything the kernel owns (pid,
// fds, cwd, signal state, links) stays on p untouched, so the guest must
// not be able to tell: this is what `--chaos capture=N` checks.
//
// p must be between slices (ready, blocked or stopped); a blocked p is
// unwound out of its system call, which it repeats after the rewind. A
// process with a migration or a post-copy transfer in progress is refused
// (EBUSY): its memory is being served from elsewhere. No virtual time is
// charged, so a program's timing, and therefore its output, is unchanged.
// On any error p keeps its old thread and carries on as if nothing
// happened. Cost: the capture copies the linear memory, serialization
// copies it twice more (encode, decode), and the restore instantiates and
// copies it once more.
func (p *Process) CaptureRoundTrip() (CaptureTrip, error) {
	k := p.k
	if p.th == nil || p.state == Running || p.state == Zombie || p.state == Dead {
		return CaptureTrip{}, errf(vfs.EINVAL, "kernel: %s: capture round trip: the process is %s", p, p.state)
	}
	if pm := p.mig; pm != nil && (pm.active != nil || pm.pager != nil) {
		return CaptureTrip{}, errf(vfs.EBUSY, "kernel: %s: capture round trip: a migration of it is in progress", p)
	}
	c, err := p.th.Capture(k.ctx)
	if err != nil {
		return CaptureTrip{}, errf(vfs.ENOTSUP, "kernel: %s: capture: %v", p, err)
	}
	b, err := c.MarshalBinary()
	if err != nil {
		return CaptureTrip{}, errf(vfs.ENOTSUP, "kernel: %s: serialize capture: %v", p, err)
	}
	var back cpu.Capture
	if err := back.UnmarshalBinary(b); err != nil {
		return CaptureTrip{}, errf(vfs.EIO, "kernel: %s: decode the capture just written (%d bytes): %v", p, len(b), err)
	}
	th, err := k.restoreThread(p, &back, nil)
	if err != nil {
		return CaptureTrip{}, errf(vfs.ENOEXEC, "kernel: %s: restore: %v", p, err)
	}
	old := p.th
	p.th = th
	_ = old.Close()
	k.updateMemory(p)
	trip := CaptureTrip{Bytes: len(b), Frames: len(back.Frames)}
	if k.tr.Enabled() {
		k.emit(k.loop.Now(), -1, p.pid, "capture", map[string]any{"bytes": trip.Bytes, "frames": trip.Frames, "mem": p.stats.Memory})
	}
	return trip, nil
}

// String names the trip for logs.
func (t CaptureTrip) String() string {
	return fmt.Sprintf("%d bytes, %d frames", t.Bytes, t.Frames)
}
