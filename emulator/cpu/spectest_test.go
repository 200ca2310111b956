package cpu

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
)

// The WebAssembly 2.0 spec suite as wast2json output: a .json script per
// .wast file, naming .wasm modules next to it. wazero's module download
// carries it; the tests skip when it is not there.

//go:embed testdata/spectest.wasm
var spectestModule []byte

// specMode selects how the harness runs the suite's modules.
type specMode int

const (
	// specPlain: unmodified modules on wazero. Validates the harness.
	specPlain specMode = iota
	// specInstrumented: modules go through the rewriter; every call runs
	// with a small fuel budget so preemption happens inside the suite's
	// functions, and Run is repeated until the call ends.
	specInstrumented
	// specCaptureEverywhere: as specInstrumented, and at every stop where
	// the guest is suspended the thread is captured, serialized, restored
	// into a fresh instance and continued there. Before every action the
	// instance is moved the same way while idle, so what earlier commands
	// left behind (memory, globals, changed tables, dropped segments) must
	// survive the move.
	specCaptureEverywhere
)

func (m specMode) String() string {
	return [...]string{"plain", "instrumented", "capture-everywhere"}[m]
}

// specFuel is the budget of one Run in the instrumented modes: small enough
// that loops and recursions in the suite are preempted many times. (At 97,
// fac.wast's fac-ssa(25) makes no progress in a million runs: a quantum
// that small does not yet guarantee forward progress; SPEC_FUEL=97
// reproduces it.)
var specFuel = 1009

// specMaxRuns bounds the runs of one invocation: the suite's longest call
// needs far fewer at specFuel, so hitting this means the guest
// stopped making progress.
const specMaxRuns = 1_000_000

// specCaptureRestore moves a suspended thread into a fresh instance through
// bytes (Capture, MarshalBinary, UnmarshalBinary, Restore) and closes the
// old one. It is supplied by the capture code; until then the
// capture-everywhere mode is skipped.
var specCaptureRestore func(ctx context.Context, th *Thread, cfg ThreadConfig) (*Thread, error)

// specDir finds the suite in the module cache, or "" if absent.
func init() {
	// SPEC_FUEL overrides the per-run budget, to tell a rewrite bug from a
	// budget too small to make progress with.
	if v, err := strconv.Atoi(os.Getenv("SPEC_FUEL")); err == nil && v > 0 {
		specFuel = v
	}
}

func specDir() string {
	if d := os.Getenv("WASM_SPECTEST_DIR"); d != "" {
		return d
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/tetratelabs/wazero").Output()
	if err != nil {
		return ""
	}
	d := filepath.Join(strings.TrimSpace(string(out)), "internal", "integration_test", "spectest", "v2", "testdata")
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}

// specScript is one .json script.
type specScript struct {
	SourceFilename string        `json:"source_filename"`
	Commands       []specCommand `json:"commands"`
}

type specCommand struct {
	Type       string      `json:"type"`
	Line       int         `json:"line"`
	Name       string      `json:"name"`
	As         string      `json:"as"`
	Filename   string      `json:"filename"`
	Text       string      `json:"text"`
	ModuleType string      `json:"module_type"`
	Action     *specAction `json:"action"`
	Expected   []specValue `json:"expected"`
}

type specAction struct {
	Type   string      `json:"type"` // invoke or get
	Module string      `json:"module"`
	Field  string      `json:"field"`
	Args   []specValue `json:"args"`
}

// specValue is a typed value; Value is a string, or a list of lane strings
// for v128.
type specValue struct {
	Type     string          `json:"type"`
	LaneType string          `json:"lane_type"`
	Value    json.RawMessage `json:"value"`
}

// specCounts tallies one mode's run.
type specCounts struct {
	scripts, modules, commands, passed, failed, skipped int
	// deviations are commands passed only by allowing a known wazero
	// deviation from the spec (see rejected).
	deviations int
	// preempts and restores count suspensions and capture+restore round
	// trips in the instrumented modes; idleMoves the moves of idle
	// instances between commands, and hostRefs the moves refused because
	// a table held a host reference (ErrHostRef).
	preempts, restores, idleMoves, hostRefs int
}

func (c *specCounts) add(o specCounts) {
	c.scripts += o.scripts
	c.modules += o.modules
	c.commands += o.commands
	c.passed += o.passed
	c.failed += o.failed
	c.skipped += o.skipped
	c.deviations += o.deviations
	c.preempts += o.preempts
	c.restores += o.restores
	c.idleMoves += o.idleMoves
	c.hostRefs += o.hostRefs
}

func (c specCounts) String() string {
	return fmt.Sprintf("scripts %d, modules %d, commands %d, passed %d (%d by a known wazero deviation), failed %d, skipped %d (text-format modules); suspensions %d, capture+restores %d, idle moves %d (%d refused: host reference in a table)",
		c.scripts, c.modules, c.commands, c.passed, c.deviations, c.failed, c.skipped, c.preempts, c.restores, c.idleMoves, c.hostRefs)
}

// specRunner runs one script in one mode, in an engine of its own so that
// registered module names do not leak between scripts.
type specRunner struct {
	t          *testing.T
	mode       specMode
	dir        string
	file       string
	eng        *Engine
	byName     map[string]*specInstance
	current    *specInstance
	all        []*specInstance
	counts     specCounts
	failReport int
	// exhausting is set during assert_exhaustion: the stack only grows,
	// so capturing at every preemption would cost time quadratic in its
	// depth; those commands capture at exponentially spaced runs.
	exhausting bool
}

// specInstance is a module instance of the script. Its thread may be
// replaced by a restored one in capture mode.
type specInstance struct {
	th   *Thread
	cfg  ThreadConfig
	name string // the instance's registered name, if any
	// linked instances are imported by other modules or import
	// non-spectest modules: moving them to a fresh instance would cut the
	// links, so capture mode leaves them in place.
	linked bool
}

func runSpecScript(t *testing.T, mode specMode, dir, jsonFile string) specCounts {
	b, err := os.ReadFile(filepath.Join(dir, jsonFile))
	if err != nil {
		t.Fatalf("%s: %v", jsonFile, err)
	}
	var sc specScript
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatalf("%s: %v", jsonFile, err)
	}
	ctx := context.Background()
	eng, err := NewEngine(ctx, Config{Plain: mode == specPlain})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close(ctx)
	if _, err := eng.Runtime().InstantiateWithConfig(ctx, spectestModule, wazero.NewModuleConfig().WithName("spectest")); err != nil {
		t.Fatalf("spectest host module: %v", err)
	}
	r := &specRunner{t: t, mode: mode, dir: dir, file: jsonFile, eng: eng, byName: map[string]*specInstance{}}
	r.counts.scripts = 1
	defer func() {
		for _, in := range r.all {
			_ = in.th.Close()
		}
	}()
	for i := range sc.Commands {
		if os.Getenv("SPECDEBUG") != "" {
			fmt.Fprintln(os.Stderr, jsonFile, sc.Commands[i].Line)
		}
		r.command(ctx, sc.Commands, i)
	}
	return r.counts
}

func (r *specRunner) fail(c *specCommand, format string, args ...any) {
	r.counts.failed++
	r.failReport++
	if r.failReport <= 20 {
		r.t.Errorf("%s: %s:%d %s: %s", r.mode, r.file, c.Line, c.Type, fmt.Sprintf(format, args...))
	}
}

func (r *specRunner) command(ctx context.Context, cmds []specCommand, i int) {
	c := &cmds[i]
	r.counts.commands++
	switch c.Type {
	case "module":
		r.counts.modules++
		in, err := r.instantiate(ctx, c.Filename, r.registeredAs(cmds, i))
		if err != nil {
			r.fail(c, "%s: %v", c.Filename, err)
			r.current = nil
			return
		}
		r.current = in
		if c.Name != "" {
			r.byName[c.Name] = in
		}
		r.counts.passed++
	case "register":
		in := r.current
		if c.Name != "" {
			in = r.byName[c.Name]
		}
		if in == nil || in.name != c.As {
			r.fail(c, "module %q is not instantiated as %q", c.Name, c.As)
			return
		}
		r.counts.passed++
	case "action":
		if _, err := r.act(ctx, c.Action); err != nil {
			r.fail(c, "%v", err)
			return
		}
		r.counts.passed++
	case "assert_return":
		got, err := r.act(ctx, c.Action)
		if err != nil {
			r.fail(c, "%s: %v", c.Action.Field, err)
			return
		}
		if err := matchResults(c.Expected, got); err != nil {
			r.fail(c, "%s(%s): %v", c.Action.Field, argsString(c.Action.Args), err)
			return
		}
		r.counts.passed++
	case "assert_trap", "assert_exhaustion":
		if c.Action == nil { // a module whose instantiation must trap
			r.rejected(ctx, c)
			return
		}
		r.exhausting = c.Type == "assert_exhaustion"
		_, err := r.act(ctx, c.Action)
		r.exhausting = false
		if err == nil {
			r.fail(c, "%s(%s): returned, want trap %q", c.Action.Field, argsString(c.Action.Args), c.Text)
			return
		}
		if _, trapped := err.(specTrap); !trapped {
			r.fail(c, "%s: %v (want trap %q)", c.Action.Field, err, c.Text)
			return
		}
		if c.Type == "assert_exhaustion" && !strings.Contains(err.Error(), "stack overflow") {
			r.fail(c, "%s: %v, want stack exhaustion", c.Action.Field, err)
			return
		}
		r.counts.passed++
	case "assert_invalid", "assert_malformed":
		if c.ModuleType == "text" {
			r.counts.skipped++ // the text format is not the binary decoder's business
			return
		}
		r.rejected(ctx, c)
	case "assert_unlinkable", "assert_uninstantiable":
		r.rejected(ctx, c)
	default:
		r.counts.skipped++
		r.t.Logf("%s:%d: unknown command %q skipped", r.file, c.Line, c.Type)
	}
}

// rejected checks that a module fails, at Load (decoding, validation) or at
// Start (linking, instantiation). Two deviations of wazero are known and
// tallied apart rather than failed: it validates some constant expressions
// (global.get of a non-imported global) only at instantiation, and it does
// not fail instantiation when an active element segment is out of bounds
// (it keeps the instance usable instead; see its own spec runner).
func (r *specRunner) rejected(ctx context.Context, c *specCommand) {
	r.counts.modules++
	in, err := r.instantiate(ctx, c.Filename, "")
	if err == nil {
		r.all = r.all[:len(r.all)-1]
		_ = in.th.Close()
		if c.Type == "assert_uninstantiable" && c.Text == "out of bounds table access" {
			r.counts.deviations++
			r.counts.passed++
			return
		}
		r.fail(c, "%s accepted, want rejection (%s)", c.Filename, c.Text)
		return
	}
	if (c.Type == "assert_invalid" || c.Type == "assert_malformed") && strings.Contains(err.Error(), "cpu: start") {
		r.counts.deviations++
	}
	r.counts.passed++
}

// registeredAs looks ahead for a register command naming the module defined
// at cmds[i]: wazero fixes a module's name at instantiation, so the name
// other modules import it by must be known then.
func (r *specRunner) registeredAs(cmds []specCommand, i int) string {
	name := cmds[i].Name
	for _, c := range cmds[i+1:] {
		if c.Type == "module" && name == "" {
			return "" // the anonymous module stopped being current
		}
		if c.Type == "register" && c.Name == name {
			return c.As
		}
	}
	return ""
}

func (r *specRunner) instantiate(ctx context.Context, file, as string) (*specInstance, error) {
	b, err := os.ReadFile(filepath.Join(r.dir, file))
	if err != nil {
		return nil, err
	}
	p, err := r.eng.Load(ctx, file, b)
	if err != nil {
		return nil, err
	}
	if as != "" {
		// A name registered again replaces the earlier instance.
		for _, in := range r.all {
			if in.name == as {
				in.name = ""
			}
		}
	}
	cfg := ThreadConfig{NoEntry: true, Name: as}
	th, err := p.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	in := &specInstance{th: th, cfg: cfg, name: as, linked: as != ""}
	for _, imp := range p.Compiled().ImportedFunctions() {
		if m, _, _ := imp.Import(); m != "spectest" && m != cpuModule {
			in.linked = true
		}
	}
	if len(p.Compiled().ImportedMemories()) > 0 {
		in.linked = true
	}
	r.all = append(r.all, in)
	return in, nil
}

// specTrap marks a guest trap, as opposed to a harness failure.
type specTrap struct{ err error }

func (e specTrap) Error() string { return e.err.Error() }

func (r *specRunner) instance(a *specAction) (*specInstance, error) {
	if a.Module != "" {
		in := r.byName[a.Module]
		if in == nil {
			return nil, fmt.Errorf("no module %s", a.Module)
		}
		return in, nil
	}
	if r.current == nil {
		return nil, fmt.Errorf("no current module")
	}
	return r.current, nil
}

// act performs an invoke or get and returns the result slots.
func (r *specRunner) act(ctx context.Context, a *specAction) ([]uint64, error) {
	if a == nil {
		return nil, fmt.Errorf("command without action")
	}
	in, err := r.instance(a)
	if err != nil {
		return nil, err
	}
	if r.mode == specCaptureEverywhere && !in.linked {
		th, err := specCaptureRestore(ctx, in.th, in.cfg)
		switch {
		case errors.Is(err, ErrHostRef):
			r.counts.hostRefs++
		case err != nil:
			return nil, fmt.Errorf("moving the idle instance before %s: %v", a.Field, err)
		default:
			in.th = th
			r.counts.idleMoves++
		}
	}
	switch a.Type {
	case "get":
		g := in.th.Module().ExportedGlobal(a.Field)
		if g == nil {
			return nil, fmt.Errorf("no exported global %q", a.Field)
		}
		return []uint64{g.Get()}, nil
	case "invoke":
	default:
		return nil, fmt.Errorf("unknown action %q", a.Type)
	}
	var params []uint64
	for _, v := range a.Args {
		slots, err := v.slots()
		if err != nil {
			return nil, fmt.Errorf("argument: %v", err)
		}
		params = append(params, slots...)
	}
	if err := in.th.Call(a.Field, params...); err != nil {
		return nil, err
	}
	fuel := uint64(specFuel)
	if r.mode == specPlain {
		fuel = math.MaxUint64
	}
	for runs := 0; ; runs++ {
		if runs > specMaxRuns {
			return nil, fmt.Errorf("%s(%s): still running after %d runs of %d fuel", a.Field, argsString(a.Args), specMaxRuns, fuel)
		}
		s := in.th.Run(fuel)
		switch s.Kind {
		case Exited:
			return s.Results, nil
		case Trapped:
			return nil, specTrap{s.Err}
		case Preempted, Blocked, Unwound:
			r.counts.preempts++
			if r.mode == specCaptureEverywhere && !in.linked && (!r.exhausting || runs&(runs-1) == 0) {
				th, err := specCaptureRestore(ctx, in.th, in.cfg)
				if err != nil {
					return nil, fmt.Errorf("capture+restore in %s: %v", a.Field, err)
				}
				in.th = th
				r.counts.restores++
			}
		default:
			return nil, fmt.Errorf("unexpected stop %+v", s)
		}
	}
}

func argsString(vs []specValue) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, v.Type+":"+string(v.Value))
	}
	return strings.Join(parts, ", ")
}

// parseBits parses a decimal value the way wast2json writes them
// (unsigned bit patterns; negative lane values are tolerated) into its low
// `bits` bits.
func parseBits(s string, bits int) (uint64, error) {
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		if bits < 64 && u>>bits != 0 {
			return 0, fmt.Errorf("%s does not fit in %d bits", s, bits)
		}
		return u, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad number %q", s)
	}
	if bits < 64 {
		return uint64(n) & (1<<bits - 1), nil
	}
	return uint64(n), nil
}

func laneBits(lane string) (int, error) {
	switch lane {
	case "i8":
		return 8, nil
	case "i16":
		return 16, nil
	case "i32", "f32":
		return 32, nil
	case "i64", "f64":
		return 64, nil
	}
	return 0, fmt.Errorf("unknown lane type %q", lane)
}

// slots encodes an argument as wazero call slots. Non-null externref n is
// passed as n+1 so that it never collides with null (0).
func (v specValue) slots() ([]uint64, error) {
	var s string
	switch v.Type {
	case "i32", "f32", "i64", "f64", "externref", "funcref":
		if err := json.Unmarshal(v.Value, &s); err != nil {
			return nil, fmt.Errorf("%s value %s: %v", v.Type, v.Value, err)
		}
	}
	switch v.Type {
	case "i32", "f32":
		u, err := parseBits(s, 32)
		return []uint64{u}, err
	case "i64", "f64":
		u, err := parseBits(s, 64)
		return []uint64{u}, err
	case "externref", "funcref":
		if s == "null" {
			return []uint64{0}, nil
		}
		u, err := parseBits(s, 63)
		return []uint64{u + 1}, err
	case "v128":
		var lanes []string
		if err := json.Unmarshal(v.Value, &lanes); err != nil {
			return nil, fmt.Errorf("v128 value %s: %v", v.Value, err)
		}
		bits, err := laneBits(v.LaneType)
		if err != nil {
			return nil, err
		}
		if len(lanes)*bits != 128 {
			return nil, fmt.Errorf("v128 with %d lanes of %s", len(lanes), v.LaneType)
		}
		var lo, hi uint64
		for i, l := range lanes {
			u, err := parseBits(l, bits)
			if err != nil {
				return nil, err
			}
			pos := i * bits
			if pos < 64 {
				lo |= u << pos
			} else {
				hi |= u << (pos - 64)
			}
		}
		return []uint64{lo, hi}, nil
	}
	return nil, fmt.Errorf("unknown value type %q", v.Type)
}

// matchResults compares the result slots with the expected values.
func matchResults(want []specValue, got []uint64) error {
	i := 0
	for k, w := range want {
		n := 1
		if w.Type == "v128" {
			n = 2
		}
		if i+n > len(got) {
			return fmt.Errorf("got %d result slots, want more for result %d", len(got), k)
		}
		if err := matchValue(w, got[i:i+n]); err != nil {
			return fmt.Errorf("result %d: %v", k, err)
		}
		i += n
	}
	if i != len(got) {
		return fmt.Errorf("got %d result slots, want %d", len(got), i)
	}
	return nil
}

func matchValue(w specValue, got []uint64) error {
	switch w.Type {
	case "v128":
		var lanes []string
		if err := json.Unmarshal(w.Value, &lanes); err != nil {
			return fmt.Errorf("v128 value %s: %v", w.Value, err)
		}
		bits, err := laneBits(w.LaneType)
		if err != nil {
			return err
		}
		for i, l := range lanes {
			pos := i * bits
			word := got[0]
			if pos >= 64 {
				word, pos = got[1], pos-64
			}
			lane := word >> pos
			if bits < 64 {
				lane &= 1<<bits - 1
			}
			if err := matchScalar(w.LaneType, l, lane); err != nil {
				return fmt.Errorf("lane %d: %v", i, err)
			}
		}
		return nil
	case "externref", "funcref":
		var s string
		if err := json.Unmarshal(w.Value, &s); err != nil {
			// No value: any reference of the type will do.
			return nil
		}
		if s == "null" {
			if got[0] != 0 {
				return fmt.Errorf("got non-null %s %#x, want null", w.Type, got[0])
			}
			return nil
		}
		if w.Type == "funcref" {
			if got[0] == 0 {
				return fmt.Errorf("got null funcref, want a function")
			}
			return nil
		}
		u, err := parseBits(s, 63)
		if err != nil {
			return err
		}
		if got[0] != u+1 {
			return fmt.Errorf("got externref %d, want %d", int64(got[0])-1, u)
		}
		return nil
	}
	var s string
	if err := json.Unmarshal(w.Value, &s); err != nil {
		return fmt.Errorf("%s value %s: %v", w.Type, w.Value, err)
	}
	return matchScalar(w.Type, s, got[0])
}

func matchScalar(typ, want string, got uint64) error {
	switch typ {
	case "f32":
		g := uint32(got)
		switch want {
		case "nan:canonical":
			if g&0x7fffffff != 0x7fc00000 {
				return fmt.Errorf("got f32 %#x, want canonical NaN", g)
			}
			return nil
		case "nan:arithmetic":
			if g&0x7fc00000 != 0x7fc00000 {
				return fmt.Errorf("got f32 %#x, want arithmetic NaN", g)
			}
			return nil
		}
	case "f64":
		switch want {
		case "nan:canonical":
			if got&^(1<<63) != 0x7ff8000000000000 {
				return fmt.Errorf("got f64 %#x, want canonical NaN", got)
			}
			return nil
		case "nan:arithmetic":
			if got&0x7ff8000000000000 != 0x7ff8000000000000 {
				return fmt.Errorf("got f64 %#x, want arithmetic NaN", got)
			}
			return nil
		}
	}
	bits := 64
	switch typ {
	case "i8":
		bits = 8
	case "i16":
		bits = 16
	case "i32", "f32":
		bits = 32
	}
	u, err := parseBits(want, bits)
	if err != nil {
		return err
	}
	if bits < 64 {
		got &= 1<<bits - 1
	}
	if got != u {
		return fmt.Errorf("got %s %d (%#x), want %d (%#x)", typ, got, got, u, u)
	}
	return nil
}

// TestSpecSuite runs the WebAssembly 2.0 spec scripts in each mode and logs
// the counts. With -short a deterministic sample of the scripts runs.
func TestSpecSuite(t *testing.T) {
	dir := specDir()
	if dir == "" {
		t.Skip("spec suite not found: wazero's module download (internal/integration_test/spectest/v2/testdata) is absent; set WASM_SPECTEST_DIR")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Skipf("no .json scripts in %s", dir)
	}
	sort.Strings(files)
	if testing.Short() {
		var sample []string
		for i, f := range files {
			if i%5 == 0 {
				sample = append(sample, f)
			}
		}
		files = sample
	}
	for _, mode := range []specMode{specPlain, specInstrumented, specCaptureEverywhere} {
		t.Run(mode.String(), func(t *testing.T) {
			switch {
			case mode != specPlain && rewriter == nil:
				t.Skip("no rewriter linked in: programs cannot be instrumented yet")
			case mode == specCaptureEverywhere && specCaptureRestore == nil:
				t.Skip("capture/restore not available yet")
			}
			var total specCounts
			for _, f := range files {
				total.add(runSpecScript(t, mode, dir, filepath.Base(f)))
			}
			t.Logf("spec suite, %s: %s", mode, total)
		})
	}
}

// TestSpecValueMatching checks the harness's own value handling, so that a
// harness that accepts everything cannot pass the suite.
func TestSpecValueMatching(t *testing.T) {
	val := func(typ, lane, raw string) specValue {
		return specValue{Type: typ, LaneType: lane, Value: json.RawMessage(raw)}
	}
	for _, tc := range []struct {
		want specValue
		got  []uint64
		ok   bool
	}{
		{val("i32", "", `"4294967295"`), []uint64{0xffffffff}, true},
		{val("i32", "", `"4294967295"`), []uint64{0xfffffffe}, false},
		{val("i64", "", `"1"`), []uint64{1}, true},
		{val("f32", "", `"nan:canonical"`), []uint64{0x7fc00000}, true},
		{val("f32", "", `"nan:canonical"`), []uint64{0xffc00000}, true},
		{val("f32", "", `"nan:canonical"`), []uint64{0x7fc00001}, false},
		{val("f32", "", `"nan:arithmetic"`), []uint64{0x7fc00001}, true},
		{val("f32", "", `"nan:arithmetic"`), []uint64{0x7f800001}, false},
		{val("f64", "", `"nan:canonical"`), []uint64{0xfff8000000000000}, true},
		{val("f64", "", `"nan:arithmetic"`), []uint64{0x7ff0000000000001}, false},
		{val("externref", "", `"null"`), []uint64{0}, true},
		{val("externref", "", `"3"`), []uint64{4}, true},
		{val("externref", "", `"3"`), []uint64{3}, false},
		{val("funcref", "", `"null"`), []uint64{7}, false},
		{val("v128", "i8", `["1","0","0","0","0","0","0","0","0","0","0","0","0","0","0","255"]`), []uint64{1, 0xff << 56}, true},
		{val("v128", "i16", `["0","0","0","0","0","0","0","1"]`), []uint64{0, 1 << 48}, true},
		{val("v128", "f32", `["nan:canonical","0","0","0"]`), []uint64{0x7fc00000, 0}, true},
		{val("v128", "f32", `["nan:canonical","0","0","0"]`), []uint64{0x7f800000, 0}, false},
	} {
		err := matchValue(tc.want, tc.got)
		if (err == nil) != tc.ok {
			t.Errorf("match %s %s %s against %#x: err=%v, want ok=%v", tc.want.Type, tc.want.LaneType, tc.want.Value, tc.got, err, tc.ok)
		}
	}
	// Arguments encode to the slots results are compared against.
	v := val("v128", "i32", `["1","2","3","4294967295"]`)
	slots, err := v.slots()
	if err != nil || len(slots) != 2 || slots[0] != 2<<32|1 || slots[1] != 0xffffffff<<32|3 {
		t.Fatalf("v128 slots %#x, %v", slots, err)
	}
	if err := matchValue(v, slots); err != nil {
		t.Fatal(err)
	}
	if _, err := val("i32", "", `"4294967296"`).slots(); err == nil {
		t.Error("i32 out of range accepted")
	}
	if _, err := val("v128", "i64", `["1"]`).slots(); err == nil {
		t.Error("v128 with one i64 lane accepted")
	}
}
