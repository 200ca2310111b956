//go:build !unix

package wasm

func processCPU() (int64, bool) { return 0, false }
