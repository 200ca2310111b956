//go:build !unix

package cpu

// processCPU is unavailable here: benchmarks fall back to wall time.
func processCPU() (int64, bool) { return 0, false }
