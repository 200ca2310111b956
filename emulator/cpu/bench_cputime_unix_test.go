//go:build unix

package cpu

import "syscall"

// processCPU returns the CPU time this process has used (user + system,
// all threads), in nanoseconds. On a shared machine it is a steadier
// measure of a guest run than wall time, which includes waiting for a core.
func processCPU() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
