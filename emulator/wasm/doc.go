// Package wasm decodes, represents, type-checks and encodes WebAssembly 2.0
// core modules (MVP, sign extension, saturating float-to-int, bulk memory,
// reference types, multi-value and SIMD: the feature set wazero v1.12 runs
// by default). It is the front end of the guest rewriter in emulator/cpu.
//
// The IR (Module, Func, Instr) is plain data. Function bodies are flat
// []Instr slices, one fixed-size struct per instruction with its
// immediates inline, so a pass can walk, splice and rebuild them without
// per-instruction allocation or interface dispatch. An Instr holds no
// pointer (br_table targets live in Func.Labels), so the garbage
// collector never scans a body nor guards its copies with write
// barriers: on the Go guests that was a third of the rewrite's time.
//
// What is preserved: every section and instruction; custom sections
// (names, DWARF, producers) as raw bytes in their position relative to the
// other sections; the encoding form of element and data segments. What is
// not: LEB128 padding (Encode writes minimal LEBs), the grouping of local
// declarations (re-derived from runs of equal types), and empty sections.
// Decode → Encode → Decode therefore yields an equal Module.
//
// Decode refuses features outside the set (tail calls, exceptions, threads,
// multi-memory, 64-bit memory, GC) and malformed input with an *Error that
// names the section, function and byte offset; it never panics. Validate
// checks a decoded module as the specification's validation algorithm
// does, and Typing exposes that algorithm's operand-stack state before
// every instruction for passes that need to know what is on the stack.
//
// Cost: Decode and Encode are linear in the module size. Decode writes
// one 48-byte Instr per instruction into a few large chunks (a few
// hundred allocations for a 2.8 MB Go module, not one per function);
// every decoded slice is capacity-limited, so appending to one
// reallocates it rather than overwriting a neighbour. Writing that IR
// (about 40 MB for the Go guests) is most of Decode's cost. Encode
// allocates its output once, sized from the module. Validate allocates
// nothing per function or instruction; typing a function is linear in
// its instruction count.
//
// Decode, Validate and Encode handle a large module's function bodies on
// up to GOMAXPROCS goroutines (Split): the results, errors included, are
// those of one pass in order, whatever the number of goroutines.
package wasm
