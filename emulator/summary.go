package emulator

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"dosemu/emulator/vtime"
	"dosemu/kernel"
)

// Summary is what a run did, per computer and per process, plus what
// sharing compiled programs saved.
type Summary struct {
	End       vtime.Time // virtual time when it was taken
	Computers []ComputerSummary
	Programs  []ProgramSummary
	Failures  []string // one line per abnormal end, in order
}

// ComputerSummary is one computer's totals.
type ComputerSummary struct {
	Name       string
	Cores      int
	Speed      float64
	Busy       vtime.Duration // sum over vCPUs of time running guests
	Switches   int
	Spawned    int
	PeakMemory uint64
	PeakProcs  int
	Processes  []ProcessSummary // in pid order, init excluded
}

// ProcessSummary is one process's totals.
type ProcessSummary struct {
	GID        GID
	Program    string
	State      string // "dead" once reaped, "zombie", or a live state
	CPUTime    vtime.Duration
	Switches   int
	Syscalls   int
	Status     int // wait status (dosemu.h) once ended
	ExitCode   int // -1 if ended by a signal or trap, or still alive
	Error      string
	PeakMemory uint64
	Spawned    vtime.Time
	Ended      vtime.Time
}

// ProgramSummary says what sharing one program's code image saved: with
// Peak processes running it at once, one image instead of Peak copies
// saves (Peak-1)×CodeSize bytes.
type ProgramSummary struct {
	Name     string
	CodeSize int
	Spawned  int // processes that ran it
	Peak     int // most processes running it at the same virtual time
	Saved    int64
}

// Summary returns the run's totals so far. Cost: O(processes log
// processes).
func (c *Cluster) Summary() Summary {
	s := Summary{End: c.loop.Now(), Failures: c.Failures()}
	type span struct {
		t     vtime.Time
		delta int
	}
	spans := map[string][]span{}
	spawned := map[string]int{}
	// A migrated process is in the records of every computer it reached;
	// it is listed once, under the computer it is on (or ended on).
	listed := map[*kernel.Process]bool{}
	for _, k := range c.kernels {
		ks := k.Stats()
		kc := k.Config()
		cs := ComputerSummary{Name: k.Name(), Cores: kc.Cores, Speed: kc.Speed, Busy: ks.Busy,
			Switches: ks.Switches, Spawned: ks.Spawned, PeakMemory: ks.PeakMem, PeakProcs: ks.PeakProcs}
		for _, p := range k.Records() {
			if p.Program() == nil || p.Kernel() != k || listed[p] {
				continue
			}
			listed[p] = true
			st := p.Stats()
			ps := ProcessSummary{GID: p.GID(), Program: p.Name(), State: p.State().String(),
				CPUTime: st.CPUTime, Switches: st.Switches, Syscalls: st.Syscalls,
				Status: p.Status(), ExitCode: p.ExitCode(), PeakMemory: st.PeakMemory,
				Spawned: p.Spawned(), Ended: p.Ended()}
			if p.Err() != nil {
				ps.Error = oneLine(p.Err())
			}
			cs.Processes = append(cs.Processes, ps)
			key := progKey(c, p)
			spawned[key]++
			spans[key] = append(spans[key], span{p.Spawned(), +1})
			if p.State() == kernel.Zombie || p.State() == kernel.Dead {
				spans[key] = append(spans[key], span{p.Ended(), -1})
			}
		}
		s.Computers = append(s.Computers, cs)
	}
	for _, name := range c.programNames() {
		pr := c.programs[name]
		sp := spans[name]
		// Ends sort before starts at the same instant: a process that
		// ended at t no longer holds the image a new one maps at t.
		sort.Slice(sp, func(i, j int) bool {
			if sp[i].t != sp[j].t {
				return sp[i].t < sp[j].t
			}
			return sp[i].delta < sp[j].delta
		})
		cur, peak := 0, 0
		for _, x := range sp {
			cur += x.delta
			peak = max(peak, cur)
		}
		ps := ProgramSummary{Name: name, CodeSize: pr.CodeSize(), Spawned: spawned[name], Peak: peak}
		if peak > 1 {
			ps.Saved = int64(peak-1) * int64(pr.CodeSize())
		}
		s.Programs = append(s.Programs, ps)
	}
	return s
}

// progKey finds the registry name of p's program (the first name it was
// loaded under), so processes spawned by path are counted with it.
func progKey(c *Cluster, p *kernel.Process) string {
	for _, n := range c.order {
		if c.programs[n] == p.Program() {
			return n
		}
	}
	return p.Name()
}

// WriteTable prints the summary as aligned text tables: per computer, per
// process, and the code-sharing savings.
func (s Summary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "virtual time %v\n\n", s.End)
	fmt.Fprintln(tw, "COMPUTER\tCORES\tSPEED\tBUSY\tSWITCHES\tSPAWNED\tPEAK MEM\t")
	for _, c := range s.Computers {
		fmt.Fprintf(tw, "%s\t%d\t%g\t%v\t%d\t%d\t%s\t\n", c.Name, c.Cores, c.Speed, c.Busy, c.Switches, c.Spawned, Size(c.PeakMemory))
	}
	fmt.Fprintln(tw, "\nPROCESS\tPROGRAM\tCPU\tSWITCHES\tSYSCALLS\tMEM\tEXIT\t")
	for _, c := range s.Computers {
		for _, p := range c.Processes {
			fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%d\t%s\t%s\t\n", p.GID, p.Program, p.CPUTime, p.Switches, p.Syscalls, Size(p.PeakMemory), p.exit())
		}
	}
	var saved int64
	for _, p := range s.Programs {
		saved += p.Saved
	}
	if saved > 0 {
		fmt.Fprintln(tw, "\nPROGRAM\tCODE\tPROCESSES\tPEAK\tSHARED CODE SAVED\t")
		for _, p := range s.Programs {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t\n", p.Name, Size(p.CodeSize), p.Spawned, p.Peak, Size(p.Saved))
		}
	}
	if len(s.Failures) > 0 {
		fmt.Fprintf(tw, "\nFAILED\n%s\n", strings.Join(s.Failures, "\n"))
	}
	return tw.Flush()
}

func (p ProcessSummary) exit() string {
	switch {
	case p.State != "zombie" && p.State != "dead":
		return p.State
	case p.Error != "":
		return fmt.Sprintf("signal %d (%s)", p.Status&0x7f, p.Error)
	case p.Status&0x7f != 0:
		return fmt.Sprintf("signal %d", p.Status&0x7f)
	}
	return fmt.Sprint(p.ExitCode)
}
