// Package cpu is dosemu's guest CPU: it rewrites WebAssembly guests so they
// are preemptible and capturable, compiles them once per content, and runs
// each guest process as a Thread that the kernel drives in virtual time.
//
// # The runtime (engine.go, thread.go)
//
// One Engine per host process owns one wazero runtime (the optimizing
// compiler) and a compilation cache. Engine.Load turns module bytes into a
// Program: decoded, rewritten (when instrumentation is enabled), compiled,
// and cached by the SHA-256 of the bytes, so processes running the same
// program share one compiled code image and starting another costs an
// instantiation only. Program.Start instantiates an anonymous instance and
// returns a Thread; Thread.Run hands the CPU to the guest until it stops.
//
// Each Thread runs its guest on a goroutine of its own. Run and the guest
// goroutine pass control back and forth over unbuffered channels, so exactly
// one side runs at a time and every write made by one side happens before
// the other side resumes: host functions may touch kernel state without
// locks while the kernel waits in Run.
//
// Linear memories are owned by the Engine's allocator rather than by the Go
// heap: each memory reserves its maximum size of address space once (capped
// by ThreadConfig.MemoryLimit), so its base address never moves and growth
// beyond the limit is refused (memory.grow answers -1).
//
// # The rewrite (instrument*.go, cont.go, capture.go)
//
// Load decodes and validates the module, rewrites it, and compiles the
// result. The rewrite adds two exported mutable globals, __dosemu_fuel (i64:
// the budget of the current run) and __dosemu_state (i32: 0 normal, 1
// unwinding, 2 rewinding), one private global (the site a rewinding frame
// is headed for, from its restore to its dispatches), imports a few functions of the host module
// "dosemu_cpu" (yield, typed save/load of one value, frame headers), exports
// every mutable global as __dosemu_g<index>, and turns the start section
// into the export __dosemu_start, run only on a fresh start. The name
// section is kept with its function indices remapped, so traps and
// profiles name guest functions; DWARF and other sections that point at
// code offsets are dropped on purpose (instrument_names.go says which).
// Nothing is ever written to linear memory: the guest's memory stays
// exactly what it wrote.
//
// Fuel. Counts are static: a function is charged on entry for all its
// instructions outside loops, and each loop iteration for its body outside
// nested loops (end and else are free). So fuel used, the guest's virtual
// CPU time, is an over-approximation of instructions executed (an early
// return still pays the whole function) but depends only on the module,
// inputs and budget: the same budget preempts at the same place. Checks sit
// at loop headers and at entries of functions that call, so no loop or
// recursion runs unchecked; a function without loops or calls (a leaf) is
// never checked. A leaf reached only by direct calls is charged by its
// callers: each call instruction adds the leaf's static count to the
// caller's charge (function entry or enclosing loop iteration), so the leaf
// runs as written and touches no global. A leaf that may be reached
// otherwise (exported, in a table, named by ref.func, the start function)
// charges itself on entry, and direct calls of it add nothing. When the budget runs out in a function or loop that calls,
// the guest calls dosemu_cpu.yield, which parks the goroutine (Run returns
// Preempted, the next Run refills and returns); in a call-free loop it
// unwinds instead (a host call in a loop spoils wazero's register
// allocation), and the next Run rewinds.
//
// Continuations. Every function with a loop or a call may suspend; its
// suspension sites are import calls, calls of functions that may suspend
// (call_indirect by signature), and its fuel checks, numbered in program
// order. Each block body containing sites is wrapped in one empty block
// per site-holding item, and before each item the operand stack of the
// frame is cut into locals (the values below and the inputs), so nothing
// lives on the operand stack across a site and a forward br_table can reach
// any item. After a site the state is tested; when unwinding the function
// branches to its one save block with the site number, and saves it and
// the locals that may be live at a site (declared locals read after a
// control point without an earlier write in the same stretch, and the
// rewrite's spill locals except the arguments of a direct call of an
// instrumented function, which the callee reloads itself, and the
// condition and parameters of an if or block, see below) through
// dosemu_cpu imports, and returns. On rewind the runtime sets the budget
// very negative, so every function entry and loop header takes its slow
// path, where the rewinding test lives: the function reloads its locals,
// and each level dispatches to the item holding the target site (restored
// locals make call_indirect targets what they were). The innermost site
// ends the rewind; an import is then called again with the same arguments
// (restart semantics). The dispatch itself sets the unsaved inputs of the
// item it lands at: an if's condition from the target site (the then arm
// or not), other inputs to zero inside loops, so that none of them stays
// live around a loop or across a call only to feed a rare path. A direct
// call of an instrumented function whose operands are all arguments
// computed by pure code (locals, constants, non-trapping arithmetic) is
// landed on before that code, which a rewind simply reruns: no spill. A
// loop whose only site is such a call of a function that tests the budget
// on entry, with only pure code before it, charges its iterations but has
// neither a test nor a dispatch: the callee's test bounds it, and a rewind
// runs the body from its top. A body that begins with a block or loop holding sites hands
// its header (fuel test or rewind test, with its dispatch entries) down to
// it, so a chain of nested blocks (every Go function's shape) pays one test
// on entry instead of one per level, and a function or loop body that
// begins with a loop charges its count untested and lets the loop's test
// stand for both. The normal path pays one test per site-holding block
// entry that could not hand its header down and one per suspendable call.
//
// Capture = program hash + entry + linear memory + the module's own
// mutable globals + frames (function, site, raw values) + fuel left, and
// for modules whose code changes tables or drops segments, the content of
// the changed tables (entries as function indices) and the dropped set
// (instrument_tables.go; other modules get no extra code). A non-null
// externref in a table fails the capture (ErrHostRef); a non-null funcref
// held in a frame makes Restore refuse the capture. Restore instantiates
// afresh (no start function), or takes an instance prepared in advance
// that has run no guest code, grows and overwrites memory (zero pages are
// skipped), sets globals, tables and drops, and rewinds on the first Run.
//
// Costs (2-core shared host, BenchmarkGuestRatio: process CPU time, min of
// alternating rounds, ratio to plain wazero; noisy, ranges of several
// runs): loops 1.0-1.1x, sha256 1.0-1.1x, the 64 MiB stream 1.13-1.22x,
// the Go guest 1.05-1.3x, recursive fib 1.31-1.47x (per call: an entry
// charge and test, a loop charge and an after-call state test, and the
// frame's live locals kept across the call for the save path); geometric
// mean 1.12-1.2x. Modules grow about 1.53-1.54x (small C programs) and
// 1.22x (Go). A save or load is one wasm->Go call (about 50 ns). An
// unwind and rewind of ten frames in one instance takes about 8-12 us
// (BenchmarkUnwindRewind10). A whole move of a thread
// parked ten frames deep with 64 KiB of memory into a fresh instance
// (BenchmarkCaptureRestore10: capture, restore, the first Run's rewind to
// where it was) takes about 23-33 us by Fork (the memory copied straight
// from the old instance), of which about 6-8 us are wazero's
// instantiation and a few the guest goroutine's start; 13-22 us (about
// 17 typically) when the instance was made in advance by Program.Prepare
// (spare.go), as a migration's prepare phase does. Through a Capture that
// owns its copy of the memory it takes 46-58 us prepared and 67-81 us
// fresh: allocating the 64 KiB copy on the Go heap costs 25-30 us, nearly
// all of it page faults of freshly scavenged heap pages. Memory no guest
// ever touched is neither read nor written by capture or fork (populated:
// one read of /proc/self/pagemap instead of a zero-page fault per 4 KiB),
// and a released reservation is emptied with madvise and pooled
// (memory.go).
//
// The rewrite of a module (decode, validate, instrument, encode) handles
// function bodies on GOMAXPROCS goroutines, with output and errors those
// of one pass in order (instrument_parallel.go, wasm.Split). On the 2.8 MB
// Go guest it takes about 130-150 ms of CPU (RewriteStages: decode 30,
// validate 20, instrument 85, encode 17), 17-20 MB/s on one core and
// 25-35 MB/s on two idle ones (BenchmarkRewrite).
package cpu

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Config configures an Engine.
type Config struct {
	// CacheDir, when set, keeps compiled code on disk there so that a later
	// host process skips compilation too. Empty keeps the cache in memory.
	CacheDir string

	// Plain disables the rewrite: programs run exactly as given, cannot be
	// preempted (Run never returns Preempted, Used is always 0) and cannot
	// be captured. It exists for baselines and for checking the rewrite
	// against unmodified behaviour.
	Plain bool
}

// Engine compiles and caches programs and owns the wazero runtime in which
// the kernel registers its host modules. It is safe for concurrent use.
type Engine struct {
	rt       wazero.Runtime
	cache    wazero.CompilationCache
	cacheDir string // Config.CacheDir
	plain    bool

	mu       sync.Mutex
	programs map[[sha256.Size]byte]*Program
	closed   bool
}

// NewEngine creates the wazero runtime (compiler) with a compilation cache,
// in memory or in cfg.CacheDir.
func NewEngine(ctx context.Context, cfg Config) (*Engine, error) {
	var cache wazero.CompilationCache
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("cpu: compilation cache in %q: %w", cfg.CacheDir, err)
		}
		cache = c
	} else {
		cache = wazero.NewCompilationCache()
	}
	rc := wazero.NewRuntimeConfigCompiler().
		WithCompilationCache(cache).
		WithCoreFeatures(api.CoreFeaturesV2)
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if !cfg.Plain && hostSetup != nil {
		if err := hostSetup(ctx, rt); err != nil {
			_ = rt.Close(ctx)
			return nil, fmt.Errorf("cpu: instantiating the rewrite's host module: %w", err)
		}
	}
	return &Engine{
		rt:       rt,
		cache:    cache,
		cacheDir: cfg.CacheDir,
		plain:    cfg.Plain,
		programs: make(map[[sha256.Size]byte]*Program),
	}, nil
}

// Runtime is the wazero runtime guests are instantiated in. The kernel
// instantiates its host modules ("wasi_snapshot_preview1", "dosemu") here
// once; every Program's imports resolve against them.
func (e *Engine) Runtime() wazero.Runtime { return e.rt }

// dropCachedCode removes the compiled code wazero keeps in dir (its
// per-version "wazero-*" directories; nothing else of dir).
func dropCachedCode(dir string) error {
	subs, err := filepath.Glob(filepath.Join(dir, "wazero-*"))
	if err != nil {
		return err
	}
	for _, d := range subs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		for _, en := range entries {
			if err := os.RemoveAll(filepath.Join(d, en.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Plain reports whether the engine runs programs without the rewrite.
func (e *Engine) Plain() bool { return e.plain }

// Close frees the runtime, every compiled program and every instance.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	progs := e.programs
	e.programs = nil
	e.mu.Unlock()
	for _, p := range progs {
		p.dropSpares()
	}
	err := e.rt.Close(ctx)
	if cerr := e.cache.Close(ctx); err == nil {
		err = cerr
	}
	return err
}

// Program is a compiled guest module: the shared code image of every
// process that runs it. It is safe for concurrent use.
type Program struct {
	eng      *Engine
	name     string
	hash     [sha256.Size]byte
	compiled wazero.CompiledModule
	srcSize  int
	codeSize int
	machine  int64

	// inst is the rewriter's per-program state; nil for plain programs.
	inst instrumentation

	// src is the module as given to Load, kept for Layout (decoded only
	// when someone asks, e.g. a read of /proc/<pid>/maps).
	src        []byte
	layoutOnce sync.Once
	layout     Layout
	layoutErr  error

	mu      sync.Mutex
	threads int       // live threads, for reporting what sharing saves
	spares  []*Thread // prepared instances (Prepare), taken last first
}

// Load returns the Program for wasm, compiling it on first sight. The name
// is used in error messages and diagnostics only: the cache is keyed by the
// SHA-256 of the bytes, so loading the same bytes again (under any name)
// returns the same *Program without decoding or compiling anything. Cost of
// a miss: the rewrite (linear in module size) plus wazero's compilation
// (seconds for a multi-megabyte Go guest); of a hit: hashing the bytes.
func (e *Engine) Load(ctx context.Context, name string, wasm []byte) (*Program, error) {
	sum := sha256.Sum256(wasm)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, fmt.Errorf("cpu: load %s: engine is closed", name)
	}
	if p, ok := e.programs[sum]; ok {
		return p, nil
	}
	if len(wasm) < 8 || string(wasm[:4]) != "\x00asm" {
		return nil, fmt.Errorf("cpu: load %s: not a WebAssembly binary (%d bytes, want the \\0asm magic)", name, len(wasm))
	}
	code := wasm
	var inst instrumentation
	if !e.plain && rewriter != nil {
		out, in, err := rewriter(name, wasm)
		if err != nil {
			return nil, fmt.Errorf("cpu: load %s: rewrite: %w", name, err)
		}
		code, inst = out, in
	}
	execBefore := executableBytes()
	cm, err := e.rt.CompileModule(ctx, code)
	if err != nil && e.cacheDir != "" && strings.Contains(err.Error(), "compilationcache") {
		// A damaged entry of the on-disk cache (wazero fails the compile
		// instead of ignoring it): the cache is only a cache, so its
		// entries go and the module is compiled afresh.
		if rerr := dropCachedCode(e.cacheDir); rerr == nil {
			cm, err = e.rt.CompileModule(ctx, code)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cpu: load %s: compile: %w", name, err)
	}
	machine := executableBytes() - execBefore
	p := &Program{
		eng:      e,
		name:     name,
		hash:     sum,
		compiled: cm,
		srcSize:  len(wasm),
		codeSize: len(code),
		machine:  max(machine, 0),
		inst:     inst,
		src:      append([]byte(nil), wasm...),
	}
	e.programs[sum] = p
	return p, nil
}

// Name is the name the program was first loaded under.
func (p *Program) Name() string { return p.name }

// Hash is the SHA-256 of the module bytes as given to Load.
func (p *Program) Hash() [sha256.Size]byte { return p.hash }

// HashString is Hash in hex, for logs and capture headers.
func (p *Program) HashString() string { return hex.EncodeToString(p.hash[:]) }

// SourceSize is the size in bytes of the module as given to Load.
func (p *Program) SourceSize() int { return p.srcSize }

// CodeSize is the size in bytes of the module actually compiled (after the
// rewrite). The compiled machine code is proportional to it and exists once
// per Program however many threads run it, so (Threads-1)*CodeSize is a
// lower bound on what sharing the image saves over one copy per process.
func (p *Program) CodeSize() int { return p.codeSize }

// MachineCodeSize is the executable memory the compiled program occupies,
// measured as the growth of the host's anonymous executable mappings
// while it was compiled (Linux /proc/self/maps; page granular; 0 where
// that cannot be read or when compilation happened concurrently outside
// Load). Every thread of the program shares this one image, so
// (Threads-1)*MachineCodeSize is what sharing saves over a copy per
// process. Host-dependent: for reports, never for traces.
func (p *Program) MachineCodeSize() int64 { return p.machine }

// Threads is the number of live (not yet closed) threads of this program.
func (p *Program) Threads() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.threads
}

// Instrumented reports whether the program went through the rewrite and so
// supports preemption and capture.
func (p *Program) Instrumented() bool { return p.inst != nil }

// Compiled exposes the compiled module, e.g. to list its imports/exports.
func (p *Program) Compiled() wazero.CompiledModule { return p.compiled }

// ---------------------------------------------------------------------------
// Hooks for the rewriter (instrument*.go, fuel*.go, cont*.go, capture*.go).
// The runtime works without them (every program is then plain); the rewriter
// plugs in by assigning rewriter from an init function and returning its
// per-program instrumentation.

// rewriter rewrites module bytes for fuel and continuations. It returns the
// bytes to compile and the per-program state the runtime consults. nil
// means no rewriter is linked in.
var rewriter func(name string, wasm []byte) ([]byte, instrumentation, error)

// instrumentation is the rewriter's side of an instrumented Program.
type instrumentation interface {
	// bind prepares one fresh instance (look up the exported fuel global,
	// state accessors, ...) before its first Run.
	bind(t *Thread) error
	// setFuel installs the budget for the run about to start.
	setFuel(t *Thread, fuel uint64)
	// used is the fuel consumed by the run (given budget fuel) that just
	// stopped, overshoot of the last charged region included.
	used(t *Thread, fuel uint64) uint64
	// requestUnwind makes the guest unwind as soon as the running host
	// function returns; byHost marks an unwind asked by Thread.Unwind.
	requestUnwind(t *Thread, byHost bool)
	// unwound, called when the entry call returns, reports whether the
	// guest unwound (and why); the thread then holds its stack and the
	// next Run rewinds it.
	unwound(t *Thread) (StopKind, bool)
	// pending reports whether the thread holds an unwound stack.
	pending(t *Thread) bool
}

// hostSetup, set by the rewriter, instantiates the host module that
// instrumented programs import.
var hostSetup func(ctx context.Context, rt wazero.Runtime) error

var errNotInstrumented = errors.New("program is not instrumented (plain engine or no rewriter): it cannot be unwound or captured")

// executableBytes sums the sizes of the process's anonymous executable
// mappings, where wazero places compiled code. It returns 0 when the maps
// cannot be read (non-Linux hosts). Cost: reading /proc/self/maps, tens of
// microseconds; only paid on a cache miss in Load.
func executableBytes() int64 {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0
	}
	var total int64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// "start-end perms offset dev inode [path]"
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 || len(f) > 5 || len(f[1]) < 3 || f[1][2] != 'x' {
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		a, err1 := strconv.ParseUint(string(lo), 16, 64)
		z, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 != nil || err2 != nil || z < a {
			continue
		}
		total += int64(z - a)
	}
	return total
}
