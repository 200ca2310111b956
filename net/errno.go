package net

import "strconv"

// Errno is an error number with the values of WASI preview1's
// __WASI_ERRNO_* constants, so the kernel can hand it to a guest unchanged.
// The zero value means success. Errno implements error for the non-zero
// values; code that wants an error should call Err, which maps 0 to nil.
type Errno uint16

// The errnos this package returns (a subset of WASI's; numbers are WASI's).
const (
	ESUCCESS      Errno = 0
	EADDRINUSE    Errno = 3
	EADDRNOTAVAIL Errno = 4
	EAGAIN        Errno = 6
	EALREADY      Errno = 7
	EBADF         Errno = 8
	EBUSY         Errno = 10
	ECONNABORTED  Errno = 13
	ECONNREFUSED  Errno = 14
	ECONNRESET    Errno = 15
	EDESTADDRREQ  Errno = 17
	EEXIST        Errno = 20
	EHOSTUNREACH  Errno = 23
	EINPROGRESS   Errno = 26
	EINVAL        Errno = 28
	EIO           Errno = 29
	EISCONN       Errno = 30
	EMSGSIZE      Errno = 35
	ENAMETOOLONG  Errno = 37
	ENETUNREACH   Errno = 40
	ENOBUFS       Errno = 42
	ENOENT        Errno = 44
	ENOTCONN      Errno = 53
	ENOTSUP       Errno = 58
	EPIPE         Errno = 64
	EPROTOTYPE    Errno = 67
	ETIMEDOUT     Errno = 73
)

var errnoNames = map[Errno]string{
	ESUCCESS:      "success",
	EADDRINUSE:    "address in use",
	EADDRNOTAVAIL: "address not available",
	EAGAIN:        "resource temporarily unavailable",
	EALREADY:      "operation already in progress",
	EBADF:         "bad file descriptor (socket closed)",
	EBUSY:         "busy",
	ECONNABORTED:  "connection aborted",
	ECONNREFUSED:  "connection refused",
	ECONNRESET:    "connection reset",
	EDESTADDRREQ:  "destination address required",
	EEXIST:        "already exists",
	EHOSTUNREACH:  "host unreachable",
	EINPROGRESS:   "operation in progress",
	EINVAL:        "invalid argument",
	EIO:           "i/o error",
	EISCONN:       "socket is connected",
	EMSGSIZE:      "message too large",
	ENAMETOOLONG:  "name too long",
	ENETUNREACH:   "network unreachable",
	ENOBUFS:       "no buffer space",
	ENOENT:        "no such name",
	ENOTCONN:      "socket is not connected",
	ENOTSUP:       "not supported",
	EPIPE:         "broken pipe",
	EPROTOTYPE:    "wrong socket type",
	ETIMEDOUT:     "timed out",
}

// Error returns a short description and the WASI number.
func (e Errno) Error() string {
	if s, ok := errnoNames[e]; ok {
		return s + " (errno " + strconv.Itoa(int(e)) + ")"
	}
	return "errno " + strconv.Itoa(int(e))
}

// Err returns nil for ESUCCESS and e otherwise.
func (e Errno) Err() error {
	if e == 0 {
		return nil
	}
	return e
}
