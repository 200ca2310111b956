package kernel

import (
	"errors"
	"fmt"

	"dosemu/vfs"
)

// Error is a kernel error carrying the errno (WASI numbering, vfs.Errno)
// that a guest sees for it, and a message for people naming what failed.
type Error struct {
	Errno vfs.Errno
	Msg   string
}

func (e *Error) Error() string { return e.Msg }

// Unwrap lets errors.Is(err, vfs.EAGAIN) work.
func (e *Error) Unwrap() error { return e.Errno }

func errf(no vfs.Errno, format string, args ...any) error {
	return &Error{Errno: no, Msg: fmt.Sprintf(format, args...)}
}

// ErrnoOf maps an error to the errno a guest sees: the wrapped vfs.Errno
// when there is one, EIO otherwise, 0 for nil.
func ErrnoOf(err error) vfs.Errno {
	if err == nil {
		return 0
	}
	var no vfs.Errno
	if errors.As(err, &no) {
		return no
	}
	return vfs.EIO
}
