package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"
)

// procRow is one process in the closing summary.
type procRow struct {
	GID      string        // "c1:7"
	Program  string        // program name
	Status   string        // "exit 0", "exit 3", "trap: ...", "killed", "running"
	Failed   bool          // counts towards a non-zero exit of dosemu
	Code     int           // exit code when it exited; -1 if it trapped, was killed or still runs
	CPU      time.Duration // virtual CPU time
	Switches int64         // context switches
	Syscalls int64         // system calls
	Memory   int64         // peak linear memory, bytes
}

// computerRow is one computer's totals in the closing summary.
type computerRow struct {
	Name       string
	Cores      int
	Procs      int
	CPU        time.Duration // sum of its processes' virtual CPU time
	Switches   int64
	Syscalls   int64
	Memory     int64 // sum of its processes' peak memory
	CodeShared int64 // bytes of compiled code shared between processes
	CodeSaved  int64 // bytes not duplicated thanks to sharing
}

// summary is what dosemu prints when a cluster stops.
type summary struct {
	Elapsed   time.Duration // virtual time from boot to the last event
	Computers []computerRow
	Procs     []procRow
}

// writeSummary prints the per-computer and per-process tables. Every value
// is virtual, so the text is as deterministic as the run.
func writeSummary(w io.Writer, s summary) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "\n=== summary after %s of virtual time\n", fmtDuration(s.Elapsed))
	fmt.Fprintln(tw, "COMPUTER\tCORES\tPROCS\tCPU TIME\tSWITCHES\tSYSCALLS\tMEMORY\tSHARED CODE\tSAVED")
	for _, c := range s.Computers {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%s\t%s\t%s\n",
			c.Name, c.Cores, c.Procs, fmtDuration(c.CPU), c.Switches, c.Syscalls,
			fmtBytes(c.Memory), fmtBytes(c.CodeShared), fmtBytes(c.CodeSaved))
	}
	if len(s.Procs) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "PROCESS\tPROGRAM\tSTATUS\tCPU TIME\tSWITCHES\tSYSCALLS\tMEMORY")
		for _, p := range s.Procs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n",
				p.GID, p.Program, p.Status, fmtDuration(p.CPU), p.Switches, p.Syscalls, fmtBytes(p.Memory))
		}
	}
	return tw.Flush()
}

// fmtDuration prints virtual time with a unit chosen for reading, exact to
// the nanosecond below a microsecond and to 3 significant decimals above.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/1e3, 'f', 3, 64) + "us"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) + "ms"
	default:
		return strconv.FormatFloat(float64(d)/1e9, 'f', 3, 64) + "s"
	}
}

// fmtBytes prints a size in binary units.
func fmtBytes(n int64) string {
	const k = 1024
	switch {
	case n < k:
		return strconv.FormatInt(n, 10) + " B"
	case n < k*k:
		return strconv.FormatFloat(float64(n)/k, 'f', 1, 64) + " KiB"
	case n < k*k*k:
		return strconv.FormatFloat(float64(n)/(k*k), 'f', 1, 64) + " MiB"
	default:
		return strconv.FormatFloat(float64(n)/(k*k*k), 'f', 1, 64) + " GiB"
	}
}
