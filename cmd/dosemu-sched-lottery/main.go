// Command dosemu-sched-lottery is an example scheduler plugin for dosemu:
// lottery scheduling (Waldspurger and Weihl, 1994) in a separate program.
//
//	go build -o lottery ./cmd/dosemu-sched-lottery
//	dosemu boot --sched ./lottery prog.wasm...
//
// Each slice goes to a ready process drawn with probability proportional
// to its tickets (20 - nice). A plan holds 16 draws over the processes
// ready when it was made, and is stale as soon as the ready set changes
// other than by the plan itself. Draws come from the seeded stream the
// computer gives, so a run is reproducible, and it makes exactly the
// decisions of the built-in "lottery" policy.
package main

import (
	"math/rand/v2"

	"dosemu/emulator/vtime"
	"dosemu/kernel/sched"
	"dosemu/kernel/sched/plugin"
)

const batch = 16

type lottery struct {
	rng     *rand.Rand
	ready   []int       // ready pids in the order they became ready
	tickets map[int]int // pid -> tickets
}

func (l *lottery) Name() string               { return "lottery" }
func (l *lottery) TickPeriod() vtime.Duration { return 0 }

func (l *lottery) Event(e sched.Event) {
	switch e.Kind {
	case sched.Spawn:
		nice := 0
		if e.Info != nil {
			nice = max(-20, min(19, e.Info.Priority))
		}
		l.tickets[e.PID] = 20 - nice
		l.add(e.PID)
	case sched.Ready, sched.Preempt, sched.Yield:
		l.add(e.PID)
	case sched.Run, sched.Block, sched.Stop:
		l.remove(e.PID)
	case sched.Exit:
		l.remove(e.PID)
		delete(l.tickets, e.PID)
	}
}

func (l *lottery) add(pid int) {
	for _, p := range l.ready {
		if p == pid {
			return
		}
	}
	l.ready = append(l.ready, pid)
}

func (l *lottery) remove(pid int) {
	for i, p := range l.ready {
		if p == pid {
			l.ready = append(l.ready[:i], l.ready[i+1:]...)
			return
		}
	}
}

func (l *lottery) Plan(now vtime.Time, cpu int) plugin.Plan {
	total := 0
	for _, pid := range l.ready {
		total += l.tickets[pid]
	}
	plan := plugin.Plan{StaleOn: []sched.Kind{sched.Spawn, sched.Ready, sched.Block, sched.Exit, sched.Stop}}
	for i := 0; total > 0 && i < batch; i++ {
		ticket := l.rng.IntN(total)
		for _, pid := range l.ready {
			if ticket -= l.tickets[pid]; ticket < 0 {
				plan.Slices = append(plan.Slices, sched.Slice{PID: pid})
				break
			}
		}
	}
	return plan
}

func main() {
	plugin.Serve(func(c plugin.Computer) (plugin.Scheduler, error) {
		return &lottery{rng: c.Rand(), tickets: map[int]int{}}, nil
	})
}
