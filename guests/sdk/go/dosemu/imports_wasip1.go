//go:build wasip1

package dosemu

import "unsafe"

// The raw imports, one per function of dosemu.h. Pointers and sizes are
// 32-bit on wasm32; the helpers below adapt Go strings and slices.

//go:wasmimport dosemu self
func _self(gid unsafe.Pointer) int32

//go:wasmimport dosemu computers
func _computers(count, mine unsafe.Pointer) int32

//go:wasmimport dosemu computer_name
func _computer_name(idx int32, buf unsafe.Pointer, bufLen uint32, n unsafe.Pointer) int32

//go:wasmimport dosemu now
func _now(ns unsafe.Pointer) int32

//go:wasmimport dosemu spawn
func _spawn(computer int32, path unsafe.Pointer, pathLen uint32, argv unsafe.Pointer, argvLen uint32, env unsafe.Pointer, envLen uint32, child unsafe.Pointer) int32

//go:wasmimport dosemu wait
func _wait(gid int64, options int32, waited, status unsafe.Pointer) int32

//go:wasmimport dosemu parent
func _parent(gid unsafe.Pointer) int32

//go:wasmimport dosemu fork
func _fork(child unsafe.Pointer) int32

//go:wasmimport dosemu exec
func _exec(path unsafe.Pointer, pathLen uint32, argv unsafe.Pointer, argvLen uint32, env unsafe.Pointer, envLen uint32) int32

//go:wasmimport dosemu kill
func _kill(gid int64, sig int32) int32

//go:wasmimport dosemu signal
func _signal(sig int32, handler uint32) int32

//go:wasmimport dosemu pipe
func _pipe(fds unsafe.Pointer) int32

//go:wasmimport dosemu cloexec
func _cloexec(fd, on int32) int32

//go:wasmimport dosemu migrate
func _migrate(computer, mode int32) int32

//go:wasmimport dosemu socket
func _socket(typ int32, fd unsafe.Pointer) int32

//go:wasmimport dosemu bind
func _bind(fd, computer, port int32) int32

//go:wasmimport dosemu listen
func _listen(fd, backlog int32) int32

//go:wasmimport dosemu connect
func _connect(fd, computer, port int32) int32

//go:wasmimport dosemu accept
func _accept(fd int32, conn, computer, port unsafe.Pointer) int32

//go:wasmimport dosemu sendto
func _sendto(fd int32, buf unsafe.Pointer, n uint32, computer, port int32, sent unsafe.Pointer) int32

//go:wasmimport dosemu recvfrom
func _recvfrom(fd int32, buf unsafe.Pointer, n uint32, got, computer, port unsafe.Pointer) int32

//go:wasmimport dosemu sockname
func _sockname(fd int32, computer, port unsafe.Pointer) int32

//go:wasmimport dosemu name_register
func _name_register(name unsafe.Pointer, nameLen uint32, fd int32) int32

//go:wasmimport dosemu name_lookup
func _name_lookup(name unsafe.Pointer, nameLen uint32, wait int32, computer, port unsafe.Pointer) int32

func sptr(s string) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.StringData(s)), uint32(len(s))
}

func bptr(b []byte) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b))
}

func self(g *int64) int32   { return _self(unsafe.Pointer(g)) }
func parent(g *int64) int32 { return _parent(unsafe.Pointer(g)) }
func computers(count, mine *int32) int32 {
	return _computers(unsafe.Pointer(count), unsafe.Pointer(mine))
}
func computerName(idx int32, buf []byte, n *uint32) int32 {
	p, l := bptr(buf)
	return _computer_name(idx, p, l, unsafe.Pointer(n))
}
func now(ns *int64) int32 { return _now(unsafe.Pointer(ns)) }
func spawn(computer int32, path string, argv, env []byte, child *int64) int32 {
	pp, pl := sptr(path)
	ap, al := bptr(argv)
	ep, el := bptr(env)
	return _spawn(computer, pp, pl, ap, al, ep, el, unsafe.Pointer(child))
}
func wait(gid int64, options int32, waited *int64, status *int32) int32 {
	return _wait(gid, options, unsafe.Pointer(waited), unsafe.Pointer(status))
}
func fork(child *int64) int32 { return _fork(unsafe.Pointer(child)) }
func exec(path string, argv, env []byte) int32 {
	pp, pl := sptr(path)
	ap, al := bptr(argv)
	ep, el := bptr(env)
	return _exec(pp, pl, ap, al, ep, el)
}
func kill(gid int64, sig int32) int32        { return _kill(gid, sig) }
func signal(sig int32, handler uint32) int32 { return _signal(sig, handler) }
func pipe(fds *[2]int32) int32               { return _pipe(unsafe.Pointer(fds)) }
func cloexec(fd, on int32) int32             { return _cloexec(fd, on) }
func migrate(computer, mode int32) int32     { return _migrate(computer, mode) }
func socket(typ int32, fd *int32) int32      { return _socket(typ, unsafe.Pointer(fd)) }
func bind(fd, computer, port int32) int32    { return _bind(fd, computer, port) }
func listen(fd, backlog int32) int32         { return _listen(fd, backlog) }
func connect(fd, computer, port int32) int32 { return _connect(fd, computer, port) }
func accept(fd int32, conn, computer, port *int32) int32 {
	return _accept(fd, unsafe.Pointer(conn), unsafe.Pointer(computer), unsafe.Pointer(port))
}
func sendto(fd int32, buf []byte, computer, port int32, sent *uint32) int32 {
	p, l := bptr(buf)
	return _sendto(fd, p, l, computer, port, unsafe.Pointer(sent))
}
func recvfrom(fd int32, buf []byte, got *uint32, computer, port *int32) int32 {
	p, l := bptr(buf)
	return _recvfrom(fd, p, l, unsafe.Pointer(got), unsafe.Pointer(computer), unsafe.Pointer(port))
}
func sockname(fd int32, computer, port *int32) int32 {
	return _sockname(fd, unsafe.Pointer(computer), unsafe.Pointer(port))
}
func nameRegister(name string, fd int32) int32 {
	p, l := sptr(name)
	return _name_register(p, l, fd)
}
func nameLookup(name string, wait int32, computer, port *int32) int32 {
	p, l := sptr(name)
	return _name_lookup(p, l, wait, unsafe.Pointer(computer), unsafe.Pointer(port))
}
