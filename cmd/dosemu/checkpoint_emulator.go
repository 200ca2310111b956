package main

import (
	"fmt"
	"time"

	"dosemu/emulator/vtime"
	"dosemu/kernel"
)

// CheckpointAt implements checkpointer: process gid is checkpointed at its
// first preemption at or after at, or inside the blocking call it waits
// in at that instant.
func (e *emuCluster) CheckpointAt(gid string, at time.Duration, done func(*kernel.Checkpoint, error)) error {
	g, err := kernel.ParseGID(gid)
	if err != nil {
		return err
	}
	p := e.c.Process(g)
	if p == nil {
		return fmt.Errorf("checkpoint: no process %s", gid)
	}
	return p.Kernel().CheckpointAt(p.PID(), vtime.Time(at), done)
}

// Restore implements checkpointer: cp's process continues on computer 0,
// running the program loaded under cp.Name.
func (e *emuCluster) Restore(cp *kernel.Checkpoint) (string, error) {
	prog, err := e.c.Program(cp.Name)
	if err != nil {
		return "", err
	}
	p, err := e.c.Kernel(0).RestoreCheckpoint(cp, prog)
	if err != nil {
		return "", err
	}
	return p.GID().String(), nil
}
