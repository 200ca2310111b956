// Package dosemu is the Go binding of the "dosemu" host module, the part
// of dosemu's system interface that WASI preview1 lacks: global process
// ids, the cluster's computers, spawn/fork/exec/wait, signals, pipes,
// migration, sockets addressed by (computer, port), and the name service.
//
// It mirrors guests/sdk/c/dosemu.h, which is the ABI's source of truth:
// every import returns a WASI errno and passes results through pointers.
// This package turns those into Go results and errors of type Errno.
//
// Build guests with GOOS=wasip1 GOARCH=wasm. On other platforms the
// package compiles (so tools like go vet work on the whole module) but
// every call returns ENOSYS.
//
// Cost: each call is one host call (tens of nanoseconds of host time) plus
// whatever the kernel charges in virtual time for the system call. Byte
// slices and strings are passed by address without copying; the kernel
// reads them during the call only.
package dosemu

import (
	"bytes"
	"fmt"
	"strings"
)

// GID is a global process id: the computer index in the high 32 bits and
// the pid on that computer in the low 32, printed "c<computer>:<pid>".
type GID int64

// MakeGID builds the global id of pid on computer.
func MakeGID(computer, pid int32) GID { return GID(int64(computer)<<32 | int64(uint32(pid))) }

// Computer is the index of the computer the process is on.
func (g GID) Computer() int32 { return int32(g >> 32) }

// PID is the process id on its computer.
func (g GID) PID() int32 { return int32(uint32(g)) }

// String formats the id as dosemu prints it, e.g. "c1:7".
func (g GID) String() string { return fmt.Sprintf("c%d:%d", g.Computer(), g.PID()) }

// Here, as a computer index, means "the computer I am on".
const Here int32 = -1

// AnyChild, passed to Wait, waits for whichever child ends first.
const AnyChild GID = -1

// Wait options (waitpid's): WNOHANG does not block; WUNTRACED also
// reports a child that stopped, WCONTINUED one that was continued (each
// once; such a child is not reaped).
const (
	WNOHANG    = 1
	WUNTRACED  = 2
	WCONTINUED = 8
)

// Signals.
const (
	SIGINT  = 2
	SIGKILL = 9
	SIGTERM = 15
	SIGCHLD = 17
	SIGCONT = 18
	SIGSTOP = 19
)

// Signal actions that are not handlers (see Signal).
const (
	SigDefault uint32 = 0
	SigIgnore  uint32 = 0xffffffff
)

// Migration modes.
const (
	MigrateStopCopy = 0
	MigratePreCopy  = 1
	MigratePostCopy = 2
)

// Socket types.
const (
	SockDgram  = 1
	SockStream = 2
)

// Status is a wait status, encoded as on Linux: the exit code in bits
// 8..15, or the terminating signal in the low 7 bits, or for a stop
// report 0x7f with the stop signal in bits 8..15, or 0xffff for a
// continue report.
type Status int32

// Exited reports whether the process ended by exiting.
func (s Status) Exited() bool { return s&0x7f == 0 }

// ExitCode is the exit code of a process that exited.
func (s Status) ExitCode() int { return int(s>>8) & 0xff }

// Signaled reports whether a signal ended the process.
func (s Status) Signaled() bool { return s&0x7f != 0 && s&0x7f != 0x7f }

// Signal is the signal that ended the process.
func (s Status) Signal() int { return int(s & 0x7f) }

// Stopped reports whether the status reports a stop (WUNTRACED).
func (s Status) Stopped() bool { return s&0xff == 0x7f }

// StopSignal is the signal that stopped the process.
func (s Status) StopSignal() int { return int(s>>8) & 0xff }

// Continued reports whether the status reports a continue (WCONTINUED).
func (s Status) Continued() bool { return s == 0xffff }

// String describes the status as "exit 3", "signal 9", "stopped by
// signal 19" or "continued".
func (s Status) String() string {
	switch {
	case s.Continued():
		return "continued"
	case s.Stopped():
		return fmt.Sprintf("stopped by signal %d", s.StopSignal())
	case s.Signaled():
		return fmt.Sprintf("signal %d", s.Signal())
	}
	return fmt.Sprintf("exit %d", s.ExitCode())
}

// pack encodes a string list as the ABI wants: each item followed by NUL.
// It fails on an item containing NUL, which could not be decoded.
func pack(what string, items []string) ([]byte, error) {
	var b bytes.Buffer
	for _, s := range items {
		if strings.IndexByte(s, 0) >= 0 {
			return nil, fmt.Errorf("dosemu: %s item %q contains a NUL byte", what, s)
		}
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.Bytes(), nil
}

func errnoErr(e int32) error {
	if e == 0 {
		return nil
	}
	return Errno(e)
}

// Self returns my global id.
func Self() (GID, error) {
	var g int64
	e := self(&g)
	return GID(g), errnoErr(e)
}

// Parent returns my parent's global id (0 for init).
func Parent() (GID, error) {
	var g int64
	e := parent(&g)
	return GID(g), errnoErr(e)
}

// Computers returns the number of computers in the cluster and the index
// of mine.
func Computers() (count, mine int32, err error) {
	e := computers(&count, &mine)
	return count, mine, errnoErr(e)
}

// ComputerName returns the name of computer idx ("c0", ...).
func ComputerName(idx int32) (string, error) {
	buf := make([]byte, 32)
	for try := 0; ; try++ {
		var n uint32
		e := computerName(idx, buf, &n)
		// ERANGE: the buffer was too small and n is the length needed.
		if Errno(e) == ERANGE && int(n) > len(buf) && n <= 1<<16 && try == 0 {
			buf = make([]byte, n)
			continue
		}
		if e != 0 {
			return "", Errno(e)
		}
		if int(n) > len(buf) {
			return "", fmt.Errorf("dosemu: computer %d: name length %d exceeds the %d-byte buffer", idx, n, len(buf))
		}
		return string(buf[:n]), nil
	}
}

// Now returns virtual nanoseconds since boot.
func Now() (int64, error) {
	var ns int64
	e := now(&ns)
	return ns, errnoErr(e)
}

// Spawn starts program path (a path in my file system, or the name of a
// program given to `dosemu boot`) as my child on computer (Here for mine),
// with argv (argv[0] included) and env ("K=V" items).
func Spawn(computer int32, path string, argv, env []string) (GID, error) {
	a, err := pack("argv", argv)
	if err != nil {
		return 0, err
	}
	v, err := pack("env", env)
	if err != nil {
		return 0, err
	}
	var child int64
	e := spawn(computer, path, a, v, &child)
	return GID(child), errnoErr(e)
}

// Wait waits for child gid (AnyChild for any) to end (or, with
// WUNTRACED or WCONTINUED, to stop or continue) and returns which child
// and its status. With WNOHANG it returns gid 0 when none has
// ended yet. ECHILD means there is no such child.
func Wait(gid GID, options int32) (GID, Status, error) {
	var waited int64
	var status int32
	e := wait(int64(gid), options, &waited, &status)
	return GID(waited), Status(status), errnoErr(e)
}

// Fork duplicates the calling process. It returns the child's gid in the
// parent and 0 in the child.
func Fork() (GID, error) {
	var child int64
	e := fork(&child)
	return GID(child), errnoErr(e)
}

// Exec replaces my program image with path, keeping my pid and the open
// fds that are not close-on-exec. It returns only on failure.
func Exec(path string, argv, env []string) error {
	a, err := pack("argv", argv)
	if err != nil {
		return err
	}
	v, err := pack("env", env)
	if err != nil {
		return err
	}
	return errnoErr(exec(path, a, v))
}

// Kill sends signal sig to process gid.
func Kill(gid GID, sig int32) error { return errnoErr(kill(int64(gid), sig)) }

// Signal sets the action for sig: SigDefault, SigIgnore, or a handler's
// index in the guest's function table. Go cannot name a table index for a
// Go function, so Go guests use the first two.
func Signal(sig int32, action uint32) error { return errnoErr(signal(sig, action)) }

// Pipe returns a pipe's read and write fds.
func Pipe() (r, w int32, err error) {
	var fds [2]int32
	e := pipe(&fds)
	return fds[0], fds[1], errnoErr(e)
}

// CloseOnExec marks fd close-on-exec (on) or not.
func CloseOnExec(fd int32, on bool) error {
	v := int32(0)
	if on {
		v = 1
	}
	return errnoErr(cloexec(fd, v))
}

// Migrate moves me to computer with one of the Migrate* modes.
func Migrate(computer, mode int32) error { return errnoErr(migrate(computer, mode)) }

// Socket creates a socket of type SockDgram or SockStream and returns its
// fd. Sockets are file descriptors: os.NewFile(uintptr(fd), name) gives
// an *os.File whose Read and Write work on a connected socket.
func Socket(typ int32) (int32, error) {
	var fd int32
	e := socket(typ, &fd)
	return fd, errnoErr(e)
}

// Bind binds fd to (computer, port); port 0 picks a free port.
func Bind(fd, computer, port int32) error { return errnoErr(bind(fd, computer, port)) }

// Listen makes stream socket fd accept connections.
func Listen(fd, backlog int32) error { return errnoErr(listen(fd, backlog)) }

// Connect connects fd to (computer, port).
func Connect(fd, computer, port int32) error { return errnoErr(connect(fd, computer, port)) }

// Accept waits for a connection on listening socket fd and returns its fd
// and the peer's address.
func Accept(fd int32) (conn, computer, port int32, err error) {
	e := accept(fd, &conn, &computer, &port)
	return conn, computer, port, errnoErr(e)
}

// SendTo sends buf on fd to (computer, port) and returns the bytes sent.
func SendTo(fd int32, buf []byte, computer, port int32) (int, error) {
	var sent uint32
	e := sendto(fd, buf, computer, port, &sent)
	return int(sent), errnoErr(e)
}

// RecvFrom receives into buf from fd and returns the byte count and the
// sender's address.
func RecvFrom(fd int32, buf []byte) (n int, computer, port int32, err error) {
	var got uint32
	e := recvfrom(fd, buf, &got, &computer, &port)
	return int(got), computer, port, errnoErr(e)
}

// SockName returns the address fd is bound to.
func SockName(fd int32) (computer, port int32, err error) {
	e := sockname(fd, &computer, &port)
	return computer, port, errnoErr(e)
}

// NameRegister registers name, cluster-wide, for socket fd's address.
// EEXIST means the name is taken.
func NameRegister(name string, fd int32) error { return errnoErr(nameRegister(name, fd)) }

// NameLookup looks name up: ENOENT if it is not registered, or, with
// wait, it blocks until it is.
func NameLookup(name string, wait bool) (computer, port int32, err error) {
	w := int32(0)
	if wait {
		w = 1
	}
	e := nameLookup(name, w, &computer, &port)
	return computer, port, errnoErr(e)
}
