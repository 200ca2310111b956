package kernel

import "dosemu/emulator/cpu"

// SetForkMode makes every fork use mode until the returned function
// restores the previous one; for benchmarks comparing fork strategies.
func SetForkMode(mode cpu.ForkMode) (restore func()) {
	old := forkMode
	forkMode = mode
	return func() { forkMode = old }
}
