// Command goecho is a Go client of echod (GOOS=wasip1): it finds the
// server through the name service, connects a stream socket with the Go
// SDK, sends lines and checks that each comes back unchanged.
//
// usage: goecho [lines] (default 3)
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"dosemu/guests/sdk/go/dosemu"
)

func main() {
	lines := 3
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 0 {
			fail("bad line count %q: want a non-negative integer", os.Args[1])
		}
		lines = v
	}
	me, err := dosemu.Self()
	if err != nil {
		fail("self: %v", err)
	}
	c, p, err := lookup("echo", 10*time.Second)
	if err != nil {
		fail("looking up \"echo\": %v", err)
	}
	fd, err := dosemu.Socket(dosemu.SockStream)
	if err != nil {
		fail("socket: %v", err)
	}
	if err := dosemu.Connect(fd, c, p); err != nil {
		fail("connect to c%d:%d: %v", c, p, err)
	}
	ok := 0
	for i := 1; i <= lines; i++ {
		msg := []byte(fmt.Sprintf("%v (Go) says hello #%d\n", me, i))
		if err := writeAll(int(fd), msg); err != nil {
			fail("line %d: write: %v", i, err)
		}
		back := make([]byte, len(msg))
		if err := readFull(int(fd), back); err != nil {
			fail("line %d: read: %v", i, err)
		}
		if bytes.Equal(msg, back) {
			ok++
		}
	}
	syscall.Close(int(fd))
	fmt.Printf("goecho %v: %d/%d lines echoed intact\n", me, ok, lines)
	if ok != lines {
		os.Exit(1)
	}
}

// lookup polls the name service until name is registered or d of virtual
// time has passed, so a goecho booted without echod ends.
func lookup(name string, d time.Duration) (computer, port int32, err error) {
	for waited := time.Duration(0); ; waited += 50 * time.Millisecond {
		computer, port, err = dosemu.NameLookup(name, false)
		if err != dosemu.ENOENT || waited >= d {
			return computer, port, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The socket is used through raw fd_read/fd_write rather than os.File,
// so the Go runtime's poller never sees it.
func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func readFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Read(fd, b)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("connection closed with %d bytes missing", len(b))
		}
		b = b[n:]
	}
	return nil
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "goecho: "+format+"\n", args...)
	os.Exit(1)
}
