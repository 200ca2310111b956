package kernel

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"dosemu/emulator/cpu"
	"dosemu/kernel/wasi"
	"dosemu/vfs"
)

// HostModule is the import module name of dosemu's own system calls.
const HostModule = "dosemu"

// Limits on what a guest may pass to spawn, so a bad pointer/length pair
// cannot make the kernel copy gigabytes.
const (
	maxPathLen = 4096
	maxArgsLen = 1 << 20
)

// hostFunc is one function of the dosemu module. fn returns the errno;
// results go through out-pointers in guest memory.
type hostFunc struct {
	name    string
	params  []api.ValueType
	fn      func(ctx context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno
	enosys  bool // not implemented yet: answers ENOSYS
	blocked bool // may block (informational)
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

func vt(ts ...api.ValueType) []api.ValueType { return ts }

// hostFuncs is the dosemu module, in the order of dosemu.h. Functions
// marked enosys belong to later work (fork/exec/kill/signals/pipes in the
// process issue, migrate in the migration issue, sockets and the name
// service in the network issue): they exist with their final signatures
// so guests link today, and answer ENOSYS until they are filled in.
var hostFuncs = []hostFunc{
	{name: "self", params: vt(i32), fn: hSelf},
	{name: "computers", params: vt(i32, i32), fn: hComputers},
	{name: "computer_name", params: vt(i32, i32, i32, i32), fn: hComputerName},
	{name: "now", params: vt(i32), fn: hNow},
	{name: "spawn", params: vt(i32, i32, i32, i32, i32, i32, i32, i32), fn: hSpawn},
	{name: "wait", params: vt(i64, i32, i32, i32), fn: hWait, blocked: true},
	{name: "parent", params: vt(i32), fn: hParent},
	{name: "fork", params: vt(i32), fn: hFork},
	{name: "exec", params: vt(i32, i32, i32, i32, i32, i32), fn: hExec},
	{name: "kill", params: vt(i64, i32), fn: hKill},
	{name: "signal", params: vt(i32, i32), fn: hSignal},
	{name: "pipe", params: vt(i32), fn: hPipe},
	{name: "cloexec", params: vt(i32, i32), fn: hCloexec},
	{name: "migrate", params: vt(i32, i32), fn: hMigrate, blocked: true},
	{name: "socket", params: vt(i32, i32), fn: hSocket},
	{name: "bind", params: vt(i32, i32, i32), fn: hBind},
	{name: "listen", params: vt(i32, i32), fn: hListen},
	{name: "connect", params: vt(i32, i32, i32), fn: hConnect, blocked: true},
	{name: "accept", params: vt(i32, i32, i32, i32), fn: hAccept, blocked: true},
	{name: "sendto", params: vt(i32, i32, i32, i32, i32, i32), fn: hSendto, blocked: true},
	{name: "recvfrom", params: vt(i32, i32, i32, i32, i32, i32), fn: hRecvfrom, blocked: true},
	{name: "sockname", params: vt(i32, i32, i32), fn: hSockname},
	{name: "name_register", params: vt(i32, i32, i32), fn: hNameRegister},
	{name: "name_lookup", params: vt(i32, i32, i32, i32, i32), fn: hNameLookup, blocked: true},
}

// HostFunctions lists the names the dosemu host module exports.
func HostFunctions() []string {
	out := make([]string, len(hostFuncs))
	for i, h := range hostFuncs {
		out[i] = h.name
	}
	return out
}

// RegisterHostModule instantiates the "dosemu" host module in rt (once per
// runtime; every guest instance of every computer shares it, and each
// call finds its process through cpu.ThreadOf). Functions of later issues
// answer ENOSYS (see hostFuncs).
func RegisterHostModule(ctx context.Context, rt wazero.Runtime) error {
	b := rt.NewHostModuleBuilder(HostModule)
	for _, h := range hostFuncs {
		h := h
		fn := api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
			p := procOf(ctx)
			if p == nil {
				stack[0] = uint64(vfs.ENOSYS)
				return
			}
			if p.migEnter() || p.chaosEnter() {
				// Frozen at the entry for a move or a chaos turn: the
				// guest repeats this call after the rewind, so it must do
				// nothing now (the result is never seen).
				stack[0] = uint64(vfs.EINTR)
				return
			}
			p.px.ctx = ctx
			p.syscall(h.name)
			if h.enosys {
				stack[0] = uint64(vfs.ENOSYS)
				return
			}
			stack[0] = uint64(h.fn(ctx, p, mod.Memory(), stack))
		})
		b.NewFunctionBuilder().WithGoModuleFunction(fn, h.params, vt(i32)).WithName(h.name).Export(h.name)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("kernel: instantiate the %q host module: %w", HostModule, err)
	}
	return nil
}

// Register installs both host modules a guest may import — WASI preview1
// and dosemu — in the engine's runtime. Call it once per engine.
func Register(ctx context.Context, eng *cpu.Engine) error {
	if _, err := wasi.Register(ctx, eng.Runtime(), wasiLookup); err != nil {
		return fmt.Errorf("kernel: register WASI: %w", err)
	}
	return RegisterHostModule(ctx, eng.Runtime())
}

// wasiLookup is called once at the entry of every WASI call, before the
// call does anything: it is where a chaos point (chaos.go) or a deferred
// move (migrate_defer.go) freezes a WASI call. Answering nil makes the call return ENOSYS at once without
// any effect, a result nobody sees since the guest unwinds and repeats
// the call.
func wasiLookup(ctx context.Context) wasi.Proc {
	if p := procOf(ctx); p != nil {
		if p.migEnter() || p.chaosEnter() {
			return nil
		}
		p.px.ctx = ctx
		return p
	}
	return nil
}

// procOf finds the calling process.
func procOf(ctx context.Context) *Process {
	th := cpu.ThreadOf(ctx)
	if th == nil {
		return nil
	}
	p, _ := th.Data.(*Process)
	return p
}

// ---- guest memory access; every failure is EFAULT ----

// Pointers and sizes are wasm32 i32 values: only the low 32 bits of a
// stack slot are meaningful (the upper ones may hold anything).

func putU64(m api.Memory, ptr uint64, v uint64) bool {
	return m != nil && m.WriteUint64Le(uint32(ptr), v)
}

func putU32(m api.Memory, ptr uint64, v uint32) bool {
	return m != nil && m.WriteUint32Le(uint32(ptr), v)
}

// read copies n bytes at ptr out of guest memory.
func read(m api.Memory, ptr, n uint64) ([]byte, bool) {
	if m == nil {
		return nil, false
	}
	b, ok := m.Read(uint32(ptr), uint32(n))
	if !ok {
		return nil, false
	}
	return bytes.Clone(b), true
}

// unpack splits a packed list ("a\0b\0"). A missing final NUL is
// tolerated: the last item ends at the buffer's end.
func unpack(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	s := strings.TrimSuffix(string(b), "\x00")
	return strings.Split(s, "\x00")
}

// ---- the calls ----

func hSelf(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	if !putU64(m, a[0], uint64(p.GID())) {
		return vfs.EFAULT
	}
	return 0
}

func hComputers(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	if !putU32(m, a[0], uint32(p.k.world.NumComputers())) || !putU32(m, a[1], uint32(p.k.cfg.Index)) {
		return vfs.EFAULT
	}
	return 0
}

func hComputerName(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	idx := int(int32(a[0]))
	if idx == -1 {
		idx = p.k.cfg.Index
	}
	k := p.k.world.Kernel(idx)
	if k == nil {
		return vfs.EINVAL
	}
	name := k.Name()
	if !putU32(m, a[3], uint32(len(name))) {
		return vfs.EFAULT
	}
	if uint64(len(name)) > uint64(uint32(a[2])) {
		return vfs.ERANGE
	}
	if m == nil || !m.Write(uint32(a[1]), []byte(name)) {
		return vfs.EFAULT
	}
	return 0
}

func hNow(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	if !putU64(m, a[0], uint64(p.Now())) {
		return vfs.EFAULT
	}
	return 0
}

func hParent(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	if !putU64(m, a[0], uint64(p.parent)) {
		return vfs.EFAULT
	}
	return 0
}

// hSpawn: spawn(computer, path, path_len, argv, argv_len, env, env_len, *child).
func hSpawn(_ context.Context, p *Process, m api.Memory, a []uint64) vfs.Errno {
	comp := int(int32(a[0]))
	if comp == -1 {
		comp = p.k.cfg.Index
	}
	pathLen, argvLen, envLen := uint64(uint32(a[2])), uint64(uint32(a[4])), uint64(uint32(a[6]))
	if pathLen > maxPathLen {
		return vfs.ENAMETOOLONG
	}
	if argvLen > maxArgsLen || envLen > maxArgsLen {
		return vfs.E2BIG
	}
	path, ok1 := read(m, a[1], pathLen)
	argv, ok2 := read(m, a[3], argvLen)
	env, ok3 := read(m, a[5], envLen)
	if !ok1 || !ok2 || !ok3 {
		return vfs.EFAULT
	}
	p.charge(CopyCost(int(pathLen + argvLen + envLen)))
	target := p.k.world.Kernel(comp)
	if target == nil {
		return vfs.EINVAL
	}
	p.charge(CostSpawn)
	if target != p.k {
		p.charge(CostRemoteSpawn)
	}
	name := string(path)
	prog, err := p.k.world.Program(name)
	if err != nil {
		p.spawnFailed(name, err)
		return ErrnoOf(err)
	}
	args := unpack(argv)
	if len(args) == 0 {
		args = []string{name}
	}
	envList, fdMap, err := splitFDMap(unpack(env))
	if err != nil {
		p.spawnFailed(name, err)
		return ErrnoOf(err)
	}
	inherit, err := p.inheritFor(target, fdMap)
	if err != nil {
		p.spawnFailed(name, err)
		return ErrnoOf(err)
	}
	child, err := target.Spawn(SpawnSpec{
		Program: prog, Name: progDisplayName(name), Args: args, Env: envList,
		Parent: p.GID(), User: p.user, Group: p.group, At: p.Now(), Inherit: inherit,
	})
	if err != nil {
		p.spawnFailed(name, err)
		return ErrnoOf(err)
	}
	if !putU64(m, a[7], uint64(child.GID())) {
		return vfs.EFAULT
	}
	return 0
}

// progDisplayName shortens "/bin/alice.wasm" to "alice" for output prefixes.
func progDisplayName(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		path = path[i+1:]
	}
	return strings.TrimSuffix(path, ".wasm")
}

func (p *Process) spawnFailed(name string, err error) {
	if p.k.tr.Enabled() {
		p.k.emit(p.Now(), p.cpu, p.pid, "spawn_error", map[string]any{"prog": name, "errno": ErrnoOf(err).Error(), "error": err.Error()})
	}
}
