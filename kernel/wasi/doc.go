// Package wasi is dosemu's own implementation of wasi_snapshot_preview1,
// as host functions over kernel-owned state.
//
// wazero ships a WASI implementation, but it keeps a process's files, clocks
// and randomness inside wazero where the kernel cannot serialize or move
// them. Here every function reaches its process through the Proc interface
// (implemented by the kernel's process) and keeps nothing of its own: fds
// are in the process's fd.Table, time is virtual, randomness is the
// process's seeded stream. Capturing a process therefore captures its whole
// WASI state.
//
// Register installs the module in a wazero runtime once; the module is
// shared by every guest instance, and each call finds its caller through
// the Lookup given at registration.
package wasi
