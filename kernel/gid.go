package kernel

import (
	"fmt"
	"strconv"
	"strings"
)

// GID is a process's global id: (computer index, pid). Guests see it as
// the int64 computer<<32 | pid (guests/sdk/c/dosemu.h); people see "c1:7".
// A GID never changes for the life of a process, including across
// migration, so it is the only name other computers may hold.
type GID int64

// MakeGID combines a computer index and a pid.
func MakeGID(computer, pid int) GID { return GID(int64(computer)<<32 | int64(uint32(pid))) }

// Computer is the index of the computer that assigned the pid.
func (g GID) Computer() int { return int(int32(g >> 32)) }

// PID is the process id on its computer.
func (g GID) PID() int { return int(int32(uint32(g))) }

// String prints "c<computer>:<pid>".
func (g GID) String() string { return "c" + strconv.Itoa(g.Computer()) + ":" + strconv.Itoa(g.PID()) }

// ParseGID reads "c1:7" (also "1:7").
func ParseGID(s string) (GID, error) {
	c, p, ok := strings.Cut(strings.TrimPrefix(s, "c"), ":")
	if !ok {
		return 0, fmt.Errorf("kernel: process id %q: want c<computer>:<pid>", s)
	}
	ci, err1 := strconv.ParseUint(c, 10, 31)
	pi, err2 := strconv.ParseUint(p, 10, 31)
	if err1 != nil || err2 != nil || pi == 0 {
		return 0, fmt.Errorf("kernel: process id %q: want c<computer>:<pid> with small non-negative numbers and pid ≥ 1", s)
	}
	return MakeGID(int(ci), int(pi)), nil
}
