package vfs

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
)

// Errno is a WASI preview1 errno. Every error a file system returns is, or
// maps to, one of these: errnos are plain numbers, so they cross the wire to
// a remote client unchanged and reach the guest exactly as the server saw
// them.
type Errno uint16

// The WASI preview1 errno values, numbered as the specification numbers them.
const (
	ESUCCESS        Errno = 0
	E2BIG           Errno = 1
	EACCES          Errno = 2
	EADDRINUSE      Errno = 3
	EADDRNOTAVAIL   Errno = 4
	EAFNOSUPPORT    Errno = 5
	EAGAIN          Errno = 6
	EALREADY        Errno = 7
	EBADF           Errno = 8
	EBADMSG         Errno = 9
	EBUSY           Errno = 10
	ECANCELED       Errno = 11
	ECHILD          Errno = 12
	ECONNABORTED    Errno = 13
	ECONNREFUSED    Errno = 14
	ECONNRESET      Errno = 15
	EDEADLK         Errno = 16
	EDESTADDRREQ    Errno = 17
	EDOM            Errno = 18
	EDQUOT          Errno = 19
	EEXIST          Errno = 20
	EFAULT          Errno = 21
	EFBIG           Errno = 22
	EHOSTUNREACH    Errno = 23
	EIDRM           Errno = 24
	EILSEQ          Errno = 25
	EINPROGRESS     Errno = 26
	EINTR           Errno = 27
	EINVAL          Errno = 28
	EIO             Errno = 29
	EISCONN         Errno = 30
	EISDIR          Errno = 31
	ELOOP           Errno = 32
	EMFILE          Errno = 33
	EMLINK          Errno = 34
	EMSGSIZE        Errno = 35
	EMULTIHOP       Errno = 36
	ENAMETOOLONG    Errno = 37
	ENETDOWN        Errno = 38
	ENETRESET       Errno = 39
	ENETUNREACH     Errno = 40
	ENFILE          Errno = 41
	ENOBUFS         Errno = 42
	ENODEV          Errno = 43
	ENOENT          Errno = 44
	ENOEXEC         Errno = 45
	ENOLCK          Errno = 46
	ENOLINK         Errno = 47
	ENOMEM          Errno = 48
	ENOMSG          Errno = 49
	ENOPROTOOPT     Errno = 50
	ENOSPC          Errno = 51
	ENOSYS          Errno = 52
	ENOTCONN        Errno = 53
	ENOTDIR         Errno = 54
	ENOTEMPTY       Errno = 55
	ENOTRECOVERABLE Errno = 56
	ENOTSOCK        Errno = 57
	ENOTSUP         Errno = 58
	ENOTTY          Errno = 59
	ENXIO           Errno = 60
	EOVERFLOW       Errno = 61
	EOWNERDEAD      Errno = 62
	EPERM           Errno = 63
	EPIPE           Errno = 64
	EPROTO          Errno = 65
	EPROTONOSUPPORT Errno = 66
	EPROTOTYPE      Errno = 67
	ERANGE          Errno = 68
	EROFS           Errno = 69
	ESPIPE          Errno = 70
	ESRCH           Errno = 71
	ESTALE          Errno = 72
	ETIMEDOUT       Errno = 73
	ETXTBSY         Errno = 74
	EXDEV           Errno = 75
	ENOTCAPABLE     Errno = 76
)

var errnoNames = [...]string{
	"success", "2big", "acces", "addrinuse", "addrnotavail", "afnosupport",
	"again", "already", "badf", "badmsg", "busy", "canceled", "child",
	"connaborted", "connrefused", "connreset", "deadlk", "destaddrreq", "dom",
	"dquot", "exist", "fault", "fbig", "hostunreach", "idrm", "ilseq",
	"inprogress", "intr", "inval", "io", "isconn", "isdir", "loop", "mfile",
	"mlink", "msgsize", "multihop", "nametoolong", "netdown", "netreset",
	"netunreach", "nfile", "nobufs", "nodev", "noent", "noexec", "nolck",
	"nolink", "nomem", "nomsg", "noprotoopt", "nospc", "nosys", "notconn",
	"notdir", "notempty", "notrecoverable", "notsock", "notsup", "notty",
	"nxio", "overflow", "ownerdead", "perm", "pipe", "proto",
	"protonosupport", "prototype", "range", "rofs", "spipe", "srch", "stale",
	"timedout", "txtbsy", "xdev", "notcapable",
}

// Error returns the errno's WASI name, e.g. "noent".
func (e Errno) Error() string {
	if int(e) < len(errnoNames) {
		return errnoNames[e]
	}
	return "errno(" + strconv.Itoa(int(e)) + ")"
}

// ErrnoOf maps any error to the errno a guest should see: nil is ESUCCESS,
// an Errno (possibly wrapped) is itself, a host error is mapped through its
// syscall.Errno or io/fs sentinel, and anything unrecognised is EIO. The
// mapping never loses a failure: only nil maps to ESUCCESS.
func ErrnoOf(err error) Errno {
	if err == nil {
		return ESUCCESS
	}
	var e Errno
	if errors.As(err, &e) {
		if e == ESUCCESS {
			return EIO
		}
		return e
	}
	var se syscall.Errno
	if errors.As(err, &se) {
		if m, ok := hostErrno[se]; ok {
			return m
		}
		return EIO
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ENOENT
	case errors.Is(err, fs.ErrExist):
		return EEXIST
	case errors.Is(err, fs.ErrPermission):
		return EPERM
	case errors.Is(err, fs.ErrInvalid):
		return EINVAL
	case errors.Is(err, fs.ErrClosed):
		return EBADF
	}
	// os.Root reports an escape attempt with an unexported error value;
	// its text is the only stable handle on it.
	if strings.Contains(err.Error(), "path escapes from parent") {
		return ENOTCAPABLE
	}
	return EIO
}

// hostErrno maps the host's errnos (Linux and the BSDs share the names) to
// WASI's.
var hostErrno = map[syscall.Errno]Errno{
	syscall.E2BIG: E2BIG, syscall.EACCES: EACCES, syscall.EAGAIN: EAGAIN,
	syscall.EBADF: EBADF, syscall.EBUSY: EBUSY, syscall.EEXIST: EEXIST,
	syscall.EFAULT: EFAULT, syscall.EFBIG: EFBIG, syscall.EINTR: EINTR,
	syscall.EINVAL: EINVAL, syscall.EIO: EIO, syscall.EISDIR: EISDIR,
	syscall.ELOOP: ELOOP, syscall.EMFILE: EMFILE, syscall.EMLINK: EMLINK,
	syscall.ENAMETOOLONG: ENAMETOOLONG, syscall.ENFILE: ENFILE,
	syscall.ENODEV: ENODEV, syscall.ENOENT: ENOENT, syscall.ENOMEM: ENOMEM,
	syscall.ENOSPC: ENOSPC, syscall.ENOSYS: ENOSYS, syscall.ENOTDIR: ENOTDIR,
	syscall.ENOTEMPTY: ENOTEMPTY, syscall.ENOTSUP: ENOTSUP,
	syscall.ENOTTY: ENOTTY, syscall.ENXIO: ENXIO, syscall.EPERM: EPERM,
	syscall.EPIPE: EPIPE, syscall.ERANGE: ERANGE, syscall.EROFS: EROFS,
	syscall.ESPIPE: ESPIPE, syscall.ETIMEDOUT: ETIMEDOUT,
	syscall.ETXTBSY: ETXTBSY, syscall.EXDEV: EXDEV,
	syscall.EOVERFLOW: EOVERFLOW, syscall.EDQUOT: EDQUOT,
	syscall.ESTALE: ESTALE,
}
