package cpu

import (
	"context"
	"fmt"
	"math"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"dosemu/emulator/wasm"
)

// Budget bounds. The budget global is signed: charges run it below zero
// (the overshoot of the last region is part of Used), and while a stack is
// rewinding it holds rewindFuel so that every function entry and loop
// header takes its slow path, where the rewind test lives.
const (
	maxBudget  = math.MaxInt64 / 4
	rewindFuel = math.MinInt64 / 4
)

// Frame is one suspended wasm frame: the function (index in the
// instrumented module), the suspension site it stopped at, and the values
// of its frame layout (raw wasm values as wazero encodes them; v128 as two
// consecutive i64 halves, low first).
type Frame struct {
	Func   uint32
	Site   uint32
	Values []uint64
}

// contState is a thread's continuation bookkeeping.
type contState struct {
	fuel, state api.MutableGlobal
	globals     []api.MutableGlobal // see Thread.boundGlobals
	tabs        *tableAccess        // see Thread.tables

	// frames is the captured stack, outermost first, while the thread is
	// unwound; during an unwind it grows innermost first (reversed at the
	// end); during a rewind it is consumed from next.
	frames []Frame
	// vals backs the Values of frames: every save appends to it and
	// starts[i] is where frames[i]'s values begin, so an unwind allocates
	// nothing once the thread has unwound a stack as deep before. The
	// frames' Values are cut from it when the unwind ends; a Capture
	// copies them out.
	vals      []uint64
	starts    []int
	unwinding bool
	rewind    bool // the next Run rewinds frames
	next      int  // rewind cursor: frames[next] is loaded next
	val       int  // value cursor within frames[next-1]
	budget    int64
	hostAsked bool // the unwind was asked by a host function (Unwind)
}

// progInst is the per-program state of an instrumented Program.
type progInst struct {
	frames   map[uint32]FrameLayout
	globals  []GlobalSlot
	hasStart bool
	hasMem   bool
	// dataEnd bounds what instantiation writes to memory (the end of the
	// last active data segment, rounded up to a 4 KiB chunk) when
	// dataKnown: every segment offset is a constant.
	dataEnd   uint64
	dataKnown bool
	// tables is what the rewrite made capturable of tables and segments.
	tables  tablePlan
	srcSize int
	outSize int
	sites   int
}

func init() {
	rewriter = rewriteModule
	hostSetup = installHostModule
}

// rewriteModule is the Load hook: decode, instrument, encode.
func rewriteModule(name string, bin []byte) ([]byte, instrumentation, error) {
	out, pi, err := instrumentBytes(bin)
	if err != nil {
		return nil, nil, err
	}
	return out, pi, nil
}

func instrumentBytes(bin []byte) ([]byte, *progInst, error) {
	m, err := wasm.Decode(bin)
	if err != nil {
		return nil, nil, err
	}
	dataEnd, dataKnown := dataExtent(m)
	// Validate first: the rewrite adds globals and functions, which could
	// make an invalid index in the input valid.
	if err := wasm.Validate(m); err != nil {
		return nil, nil, err
	}
	rw, err := Instrument(m)
	if err != nil {
		return nil, nil, err
	}
	plan, err := tablePlanOf(rw.Module)
	if err != nil {
		return nil, nil, err
	}
	out, err := wasm.Encode(rw.Module)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding the instrumented module: %w", err)
	}
	return out, &progInst{frames: rw.Frames, globals: rw.Globals, hasStart: rw.HasStart, hasMem: rw.HasMemory,
		srcSize: len(bin), outSize: len(out), sites: rw.Sites, dataEnd: dataEnd, dataKnown: dataKnown, tables: plan}, nil
}

// dataExtent is the end of the memory that m's active data segments
// write, rounded up to a 4 KiB chunk, and whether it is known: a segment
// placed by a global (an imported one) could write anywhere.
func dataExtent(m *wasm.Module) (uint64, bool) {
	var end uint64
	for _, d := range m.Datas {
		if d.Mode != wasm.SegmentActive {
			continue
		}
		if len(d.Offset) != 2 || d.Offset[0].Op != wasm.OpI32Const {
			return 0, false
		}
		end = max(end, uint64(uint32(d.Offset[0].Value))+uint64(len(d.Init)))
	}
	return (end + chunk - 1) &^ (chunk - 1), true
}

func clampBudget(f uint64) int64 {
	if f > maxBudget {
		return maxBudget
	}
	return int64(f)
}

// bindGlobals looks up the exported bookkeeping globals of a new instance.
func (pi *progInst) bindGlobals(t *Thread) error {
	cs := &contState{}
	var ok bool
	if cs.fuel, ok = t.mod.ExportedGlobal(exportFuel).(api.MutableGlobal); !ok {
		return fmt.Errorf("instrumented module has no mutable global %q", exportFuel)
	}
	if cs.state, ok = t.mod.ExportedGlobal(exportState).(api.MutableGlobal); !ok {
		return fmt.Errorf("instrumented module has no mutable global %q", exportState)
	}
	t.cont = cs
	return nil
}

// bind prepares a fresh start: the module's start function, removed by the
// rewrite, runs now (unless the instance is being restored) with an
// unbounded budget (a start function that yields is simply refilled:
// there is no Run to return to yet).
func (pi *progInst) bind(t *Thread) error {
	if t.cont == nil { // a prepared instance was bound when it was made
		if err := pi.bindGlobals(t); err != nil {
			return err
		}
	}
	if !pi.hasStart || t.ctx.Value(restoringKey{}) != nil {
		return nil
	}
	fn := t.mod.ExportedFunction(exportStart)
	if fn == nil {
		return fmt.Errorf("instrumented module lost its start export %q", exportStart)
	}
	t.cont.fuel.Set(uint64(maxBudget))
	if _, err := fn.Call(t.ctx); err != nil {
		return fmt.Errorf("start function: %w", err)
	}
	if t.cont.state.Get() != stateNormal {
		t.cont.state.Set(stateNormal)
		return fmt.Errorf("start function: suspended (a host function blocked or unwound during instantiation)")
	}
	return nil
}

// setFuel installs the budget of the next run; if the thread holds an
// unwound stack the run rewinds it first, and the budget takes effect when
// the innermost frame is reached.
func (pi *progInst) setFuel(t *Thread, fuel uint64) {
	cs := t.cont
	cs.budget = clampBudget(fuel)
	if cs.rewind {
		cs.next, cs.val = 0, 0
		cs.state.Set(stateRewinding)
		cs.fuel.Set(api.EncodeI64(rewindFuel))
		return
	}
	cs.fuel.Set(api.EncodeI64(cs.budget))
}

// used is the fuel consumed by the run that just stopped.
func (pi *progInst) used(t *Thread, fuel uint64) uint64 {
	cs := t.cont
	left := int64(cs.fuel.Get())
	if left == rewindFuel || left < rewindFuel/2 {
		return 0 // stopped before the rewind completed (trap while rewinding)
	}
	u := cs.budget - left
	if u < 0 {
		return 0
	}
	return uint64(u)
}

// requestUnwind makes the guest unwind when the current host function
// returns.
func (pi *progInst) requestUnwind(t *Thread, byHost bool) {
	cs := t.cont
	cs.state.Set(stateUnwinding)
	cs.hostAsked = cs.hostAsked || byHost
}

// unwound is consulted when the entry returns: if the guest was unwinding,
// the frames become the thread's held stack and the next Run rewinds.
func (pi *progInst) unwound(t *Thread) (StopKind, bool) {
	cs := t.cont
	if cs.state.Get() != stateUnwinding {
		return 0, false
	}
	cs.state.Set(stateNormal)
	cs.unwinding = false
	for i := range cs.frames {
		end := len(cs.vals)
		if i+1 < len(cs.starts) {
			end = cs.starts[i+1]
		}
		cs.frames[i].Values = cs.vals[cs.starts[i]:end:end]
	}
	for i, j := 0, len(cs.frames)-1; i < j; i, j = i+1, j-1 {
		cs.frames[i], cs.frames[j] = cs.frames[j], cs.frames[i]
	}
	cs.rewind = true
	kind := Preempted
	if cs.hostAsked {
		kind = Unwound
	}
	cs.hostAsked = false
	return kind, true
}

// pending reports whether the thread holds an unwound stack.
func (pi *progInst) pending(t *Thread) bool { return t.cont != nil && t.cont.rewind }

// ---------------------------------------------------------------------------
// The "dosemu_cpu" host module.

// installHostModule instantiates the host functions the rewrite imports.
// Each is a few slice operations: a save or load costs one wasm→Go call
// (≈50 ns).
func installHostModule(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(cpuModule)
	for i := 0; i < numImps; i++ {
		h := hostImports[i]
		b.NewFunctionBuilder().
			WithGoFunction(hostFunc(i), apiTypes(h.params), apiTypes(h.results)).
			Export(h.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func apiTypes(ts []wasm.ValType) []api.ValueType {
	out := make([]api.ValueType, len(ts))
	for i, t := range ts {
		out[i] = api.ValueType(t)
	}
	return out
}

// contOf finds the calling thread's continuation state; a call from
// anything else is a misuse that traps with a clear message.
func contOf(ctx context.Context, what string) (*Thread, *contState) {
	t := ThreadOf(ctx)
	if t == nil || t.cont == nil {
		panic(fmt.Errorf("cpu: %s.%s called outside an instrumented thread", cpuModule, what))
	}
	return t, t.cont
}

type resumeHookKey struct{}

// WithResumeHook returns a context whose threads (those started, restored
// or forked with it) call hook on their guest goroutine each time they
// continue after a preemption: when a Run resumes a guest parked at a
// budget check, and when a Run finishes rewinding a stack. The guest is
// then between two of its own instructions, in normal state, and hook may
// call its functions with ctx (as a host function may; their fuel is the
// run's). The kernel runs pending signal handlers there, so that a loop
// making no system call still runs them within one quantum. Cost: one
// context lookup per preemption.
func WithResumeHook(ctx context.Context, hook func(ctx context.Context)) context.Context {
	return context.WithValue(ctx, resumeHookKey{}, hook)
}

func resumeHookOf(ctx context.Context) func(context.Context) {
	h, _ := ctx.Value(resumeHookKey{}).(func(context.Context))
	return h
}

func hostFunc(i int) api.GoFunction {
	name := hostImports[i].name
	switch i {
	case impYield:
		return api.GoFunc(func(ctx context.Context, stack []uint64) {
			t, cs := contOf(ctx, name)
			if t.state != stRunning {
				cs.fuel.Set(uint64(maxBudget))
				return
			}
			if t.park(Stop{Kind: Preempted}) == actCapture {
				t.prog.inst.requestUnwind(t, false)
				return
			}
			if h := resumeHookOf(ctx); h != nil {
				h(ctx)
			}
		})
	case impSaveFrame:
		return api.GoFunc(func(ctx context.Context, stack []uint64) {
			_, cs := contOf(ctx, name)
			if !cs.unwinding {
				cs.unwinding = true
				cs.frames, cs.vals, cs.starts = cs.frames[:0], cs.vals[:0], cs.starts[:0]
			}
			cs.frames = append(cs.frames, Frame{Func: api.DecodeU32(stack[0]), Site: api.DecodeU32(stack[1])})
			cs.starts = append(cs.starts, len(cs.vals))
		})
	case impSaveI32, impSaveI64, impSaveF32, impSaveF64, impSaveFuncref, impSaveExternref:
		// 32-bit values arrive with undefined upper bits; compiled code
		// may rely on them being zero when the value comes back.
		mask := ^uint64(0)
		if i == impSaveI32 || i == impSaveF32 {
			mask = math.MaxUint32
		}
		return api.GoFunc(func(ctx context.Context, stack []uint64) {
			_, cs := contOf(ctx, name)
			if !cs.unwinding {
				panic(fmt.Errorf("cpu: %s before save_frame", name))
			}
			cs.vals = append(cs.vals, stack[0]&mask)
		})
	case impLoadFrame:
		return api.GoFunc(func(ctx context.Context, stack []uint64) {
			_, cs := contOf(ctx, name)
			fn := api.DecodeU32(stack[0])
			if cs.next >= len(cs.frames) {
				panic(fmt.Errorf("cpu: rewind: function %d asks for a frame but all %d are restored", fn, len(cs.frames)))
			}
			f := &cs.frames[cs.next]
			if f.Func != fn {
				panic(fmt.Errorf("cpu: rewind: frame %d belongs to function %d, not %d", cs.next, f.Func, fn))
			}
			cs.next++
			cs.val = 0
			stack[0] = api.EncodeU32(f.Site)
		})
	case impLoadI32, impLoadI64, impLoadF32, impLoadF64, impLoadFuncref, impLoadExternref:
		mask := ^uint64(0)
		if i == impLoadI32 || i == impLoadF32 {
			mask = math.MaxUint32 // a capture from elsewhere may carry junk
		}
		return api.GoFunc(func(ctx context.Context, stack []uint64) {
			_, cs := contOf(ctx, name)
			if cs.next == 0 {
				panic(fmt.Errorf("cpu: %s before load_frame", name))
			}
			f := &cs.frames[cs.next-1]
			if cs.val >= len(f.Values) {
				panic(fmt.Errorf("cpu: rewind: frame of function %d has %d values, more requested", f.Func, len(f.Values)))
			}
			stack[0] = f.Values[cs.val] & mask
			cs.val++
		})
	case impResumeFuel:
		return api.GoFunc(func(ctx context.Context, stack []uint64) {
			_, cs := contOf(ctx, name)
			if cs.next != len(cs.frames) {
				panic(fmt.Errorf("cpu: rewind ended after %d of %d frames", cs.next, len(cs.frames)))
			}
			cs.rewind = false
			cs.frames = cs.frames[:0]
			cs.next = 0
			if h := resumeHookOf(ctx); h != nil {
				// The hook's guest calls spend the run's budget.
				cs.fuel.Set(api.EncodeI64(cs.budget))
				h(ctx)
				stack[0] = cs.fuel.Get()
				return
			}
			stack[0] = api.EncodeI64(cs.budget)
		})
	case impInnermost:
		return api.GoFunc(func(ctx context.Context, stack []uint64) {
			_, cs := contOf(ctx, name)
			if cs.next == len(cs.frames) {
				stack[0] = 1
			} else {
				stack[0] = 0
			}
		})
	}
	panic("unreachable: host import index out of range")
}
