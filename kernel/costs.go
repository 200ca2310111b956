package kernel

import "dosemu/emulator/vtime"

// Modelled costs, in virtual time, of what the kernel does on a process's
// behalf. They are charged to the vCPU (and so to the process's CPU time
// for system calls) on top of the guest's own instructions, which cost
// 1 ns each at speed 1.0. The figures are round numbers of the order a
// Linux kernel on a modern core takes, chosen so that traces read
// naturally; they are part of the determinism contract: changing one
// changes every trace.
const (
	// CostSyscall is the entry/exit cost of any system call (WASI or
	// dosemu), charged once per call before its own work.
	CostSyscall vtime.Duration = 100
	// CostPerKiB is charged per KiB copied between guest memory and the
	// kernel (reads, writes, argument strings), rounded up.
	CostPerKiB vtime.Duration = 250
	// CostContextSwitch is charged to the vCPU (not to any process) each
	// time it switches from one process to another.
	CostContextSwitch vtime.Duration = 1000
	// CostSpawn is the kernel's work to create a process: process table
	// entry, instance, fd table (charged to the caller for a guest spawn).
	CostSpawn vtime.Duration = 50_000
	// CostRemoteSpawn is added when the child is on another computer: a
	// request and a reply over the cluster fabric.
	CostRemoteSpawn vtime.Duration = 100_000
	// CostExit is the kernel's work to tear a process down.
	CostExit vtime.Duration = 10_000
)

// CopyCost is the modelled cost of copying n bytes across the
// guest/kernel boundary.
func CopyCost(n int) vtime.Duration {
	if n <= 0 {
		return 0
	}
	return vtime.Duration((n+1023)/1024) * CostPerKiB
}
