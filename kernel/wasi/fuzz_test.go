package wasi

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/tetratelabs/wazero"

	"dosemu/emulator/vtime"
	"dosemu/kernel/fd"
	"dosemu/vfs"
)

// fuzzProc is the smallest Proc: enough state for every function to run.
type fuzzProc struct {
	fds  *fd.Table
	now  vtime.Time
	exit bool
}

func (p *fuzzProc) Args() []string             { return []string{"prog", "arg"} }
func (p *fuzzProc) Environ() []string          { return []string{"A=b"} }
func (p *fuzzProc) FDs() *fd.Table             { return p.fds }
func (p *fuzzProc) Now() vtime.Time            { return p.now }
func (p *fuzzProc) Epoch() int64               { return 1e18 }
func (p *fuzzProc) CPUTime() vtime.Duration    { return 0 }
func (p *fuzzProc) Resolution() vtime.Duration { return 1 }
func (p *fuzzProc) Random(b []byte)            { clear(b) }
func (p *fuzzProc) Exit(uint32)                { p.exit = true }
func (p *fuzzProc) Yield()                     {}
func (p *fuzzProc) Syscall(Call)               {}
func (p *fuzzProc) Poll(d vtime.Time, ready func() bool) PollResult {
	if ready() {
		return PollReady
	}
	if d != NoDeadline && d > p.now {
		p.now = d
	}
	return PollTimeout
}

// memModule is a wasm module with one page of memory and nothing else.
var memModule = []byte{0, 'a', 's', 'm', 1, 0, 0, 0, 5, 3, 1, 0, 1}

func newFuzzProc(t testing.TB) *fuzzProc {
	p := &fuzzProc{fds: fd.NewTable()}
	p.fds.Set(0, fd.NewInput([]byte("input")), fd.RightsStream, 0)
	p.fds.Set(1, fd.NewOutput("stdout", nil), fd.RightsStream, 0)
	p.fds.Set(2, fd.NewOutput("stderr", nil), fd.RightsStream, 0)
	m := vfs.NewMemFS(1, nil, 1<<20)
	m.Mkdir("d")
	f, _ := m.Open("d/f", vfs.OpenMode{OFlags: vfs.OCreat, Write: true})
	f.WriteAt([]byte("content"), 0)
	f.Close()
	m.Symlink("d/f", "l")
	d, err := fd.OpenVFile(m, "", ".", vfs.OpenMode{OFlags: vfs.ODirectory, Read: true}, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.fds.Preopen(d, "/")
	return p
}

// FuzzHostFunctions calls every WASI function with arbitrary arguments
// (pointers, lengths, fds, flags) over arbitrary guest memory: no call may
// panic, and every answer must be a WASI errno.
func FuzzHostFunctions(f *testing.F) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, memModule)
	if err != nil {
		f.Fatal(err)
	}
	mem := mod.Memory()
	ds := defs()
	for i := range ds {
		f.Add(uint8(i), []byte{3, 0, 0, 0, 0, 1, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0}, []byte("d/f\x00../x"))
	}
	f.Add(uint8(31), []byte{3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []byte("d/f"))
	f.Fuzz(func(t *testing.T, which uint8, args []byte, memory []byte) {
		d := ds[int(which)%len(ds)]
		p := newFuzzProc(t)
		// Guest memory: the fuzzer's bytes at 0, so small pointers find them.
		buf, _ := mem.Read(0, 65536)
		clear(buf)
		copy(buf, memory)
		st := make([]uint64, 9)
		for i := range st {
			if len(args) >= 4 {
				v := binary.LittleEndian.Uint32(args)
				args = args[4:]
				// Mostly small values (fds, short lengths, pointers into
				// the page), sometimes anything, including the page edge.
				switch v >> 30 {
				case 0:
					st[i] = uint64(v % 64)
				case 1:
					st[i] = uint64(65536 - v%64)
				default:
					st[i] = uint64(v)
				}
			}
		}
		e := d.fn(p, guest{mem}, st)
		if int(e) > int(vfs.ENOTCAPABLE) {
			t.Fatalf("%s returned %d, not a WASI errno", d.name, e)
		}
	})
}

func TestEveryFunctionRegistered(t *testing.T) {
	want := []string{
		"args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get", "clock_time_get",
		"fd_advise", "fd_allocate", "fd_close", "fd_datasync", "fd_fdstat_get", "fd_fdstat_set_flags",
		"fd_fdstat_set_rights", "fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_pread",
		"fd_prestat_get", "fd_prestat_dir_name", "fd_pwrite", "fd_read", "fd_readdir", "fd_renumber", "fd_seek",
		"fd_sync", "fd_tell", "fd_write", "path_create_directory", "path_filestat_get", "path_filestat_set_times",
		"path_link", "path_open", "path_readlink", "path_remove_directory", "path_rename", "path_symlink",
		"path_unlink_file", "poll_oneoff", "proc_exit", "proc_raise", "sched_yield", "random_get",
		"sock_accept", "sock_recv", "sock_send", "sock_shutdown",
	}
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	m, err := Register(ctx, rt, func(context.Context) Proc { return nil })
	if err != nil {
		t.Fatal(err)
	}
	defs := m.ExportedFunctionDefinitions()
	for _, n := range want {
		if _, ok := defs[n]; !ok {
			t.Errorf("%s not exported", n)
		}
	}
	if len(defs) != len(want) {
		t.Errorf("%d functions exported, want %d", len(defs), len(want))
	}
	for i, d := range []def(defsForCheck()) {
		if d.call != Call(i) || d.call.String() != d.name {
			t.Errorf("def %d: call %v name %s out of step", i, d.call, d.name)
		}
	}
}

func defsForCheck() []def { return defs() }
