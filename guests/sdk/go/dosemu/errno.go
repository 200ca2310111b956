package dosemu

import "strconv"

// Errno is a WASI preview1 errno, the error every dosemu import returns.
type Errno uint16

// The errnos dosemu's calls document; the values are WASI's.
const (
	E2BIG        Errno = 1
	EACCES       Errno = 2
	EADDRINUSE   Errno = 3
	EAGAIN       Errno = 6
	EBADF        Errno = 8
	ECHILD       Errno = 12
	ECONNREFUSED Errno = 14
	ECONNRESET   Errno = 15
	EEXIST       Errno = 20
	EHOSTUNREACH Errno = 23
	EINTR        Errno = 27
	EINVAL       Errno = 28
	EIO          Errno = 29
	EISCONN      Errno = 30
	EMSGSIZE     Errno = 35
	ENOENT       Errno = 44
	ENOEXEC      Errno = 45
	ENOMEM       Errno = 48
	ENOSYS       Errno = 52
	ENOTCONN     Errno = 53
	ENOTSOCK     Errno = 57
	ENOTSUP      Errno = 58
	EPERM        Errno = 63
	EPIPE        Errno = 64
	ERANGE       Errno = 68
	ESRCH        Errno = 71
	ETIMEDOUT    Errno = 73
)

var errnoNames = map[Errno]string{
	E2BIG: "E2BIG", EACCES: "EACCES", EADDRINUSE: "EADDRINUSE", EAGAIN: "EAGAIN",
	EBADF: "EBADF", ECHILD: "ECHILD", ECONNREFUSED: "ECONNREFUSED",
	ECONNRESET: "ECONNRESET", EEXIST: "EEXIST", EHOSTUNREACH: "EHOSTUNREACH",
	EINTR: "EINTR", EINVAL: "EINVAL", EIO: "EIO", EISCONN: "EISCONN",
	EMSGSIZE: "EMSGSIZE", ENOENT: "ENOENT", ENOEXEC: "ENOEXEC", ENOMEM: "ENOMEM",
	ENOSYS: "ENOSYS", ENOTCONN: "ENOTCONN", ENOTSOCK: "ENOTSOCK",
	ENOTSUP: "ENOTSUP", EPERM: "EPERM", EPIPE: "EPIPE", ERANGE: "ERANGE", ESRCH: "ESRCH",
	ETIMEDOUT: "ETIMEDOUT",
}

// Error names the errno, e.g. "dosemu: ECHILD (errno 12)".
func (e Errno) Error() string {
	if n, ok := errnoNames[e]; ok {
		return "dosemu: " + n + " (errno " + strconv.Itoa(int(e)) + ")"
	}
	return "dosemu: errno " + strconv.Itoa(int(e))
}
