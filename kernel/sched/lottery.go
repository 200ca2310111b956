package sched

import (
	"math/rand/v2"

	"dosemu/emulator/vtime"
)

// DefaultLotteryBatch is how many draws a lottery plan holds. A longer
// plan means fewer round trips for a remote policy; it costs nothing in
// fairness because the plan is discarded as soon as the ready set changes.
const DefaultLotteryBatch = 16

// LotteryStaleOn are the event kinds that change the ready set in a way a
// lottery plan did not foresee, and so invalidate it.
var LotteryStaleOn = []Kind{Spawn, Ready, Block, Exit, Stop}

// Tickets is a process's lottery tickets for a nice value: 20-nice, so
// nice -20 holds 40 tickets, 0 holds 20 and 19 holds 1.
func Tickets(nice int) int { return 20 - clampNice(nice) }

// Lottery is proportional-share scheduling by lottery (Waldspurger and
// Weihl, 1994): each slice goes to a ready process drawn at random with
// probability proportional to its tickets (see Tickets). The draws come
// from one seeded stream, so a run is reproducible. A plan holds Batch
// draws over the processes ready when it was made; it becomes stale on
// any of LotteryStaleOn. Cost: O(ready) per plan entry.
type Lottery struct {
	Batch   int
	rng     *rand.Rand
	ready   *queue
	tickets map[int]int // pid -> tickets; membership only, never iterated
}

// NewLottery returns a lottery policy drawing from rng (use vtime.Rand for
// a seeded stream) with plans of batch draws (0: DefaultLotteryBatch).
func NewLottery(rng *rand.Rand, batch int) *Lottery {
	if batch <= 0 {
		batch = DefaultLotteryBatch
	}
	return &Lottery{Batch: batch, rng: rng, ready: newQueue(), tickets: map[int]int{}}
}

// Name implements Policy.
func (l *Lottery) Name() string { return "lottery" }

// TickPeriod implements Policy.
func (l *Lottery) TickPeriod() vtime.Duration { return 0 }

// Event implements Policy.
func (l *Lottery) Event(e Event) bool {
	switch e.Kind {
	case Spawn:
		nice := 0
		if e.Info != nil {
			nice = e.Info.Priority
		}
		l.tickets[e.PID] = Tickets(nice)
		l.ready.Push(e.PID)
		return true
	case Ready:
		l.ready.Push(e.PID)
		return true
	case Preempt, Yield:
		l.ready.Push(e.PID)
	case Run:
		l.ready.Remove(e.PID)
	case Block, Stop:
		l.ready.Remove(e.PID)
		return true
	case Exit:
		l.ready.Remove(e.PID)
		delete(l.tickets, e.PID)
		return true
	}
	return false
}

// Plan implements Policy.
func (l *Lottery) Plan(now vtime.Time, cpu int) []Slice {
	total := 0
	l.ready.Each(func(pid int) bool { total += l.tickets[pid]; return true })
	if total == 0 {
		return nil
	}
	plan := make([]Slice, 0, l.Batch)
	for range l.Batch {
		ticket := l.rng.IntN(total)
		l.ready.Each(func(pid int) bool {
			ticket -= l.tickets[pid]
			if ticket < 0 {
				plan = append(plan, Slice{PID: pid})
				return false
			}
			return true
		})
	}
	return plan
}
