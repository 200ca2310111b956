// Command testplugin is a plugin for dosemu's tests. What it does depends
// on the name it is run under (tests link it under several names):
//
//	lottery     the built-in lottery policy, served over the SDK
//	rr          the built-in round-robin
//	badpid      plans a pid that does not exist
//	negative    plans a negative quantum
//	crash       exits, with a message on stderr, at its 4th plan
//	hang        stops answering at its 4th plan
//	panic       panics in its 4th plan
//	mosix       the built-in MOSIX balancer
//	badplace    a balancer that places on a computer that does not exist
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"dosemu/emulator/vtime"
	"dosemu/kernel/sched"
	"dosemu/kernel/sched/plugin"
)

type faulty struct {
	plugin.Scheduler
	mode  string
	plans int
}

func (f *faulty) Plan(now vtime.Time, cpu int) plugin.Plan {
	f.plans++
	p := f.Scheduler.Plan(now, cpu)
	switch {
	case f.mode == "badpid":
		p.Slices = append([]sched.Slice{{PID: 9999}}, p.Slices...)
	case f.mode == "negative" && len(p.Slices) > 0:
		p.Slices[0].Quantum = -5
	case f.plans < 4:
	case f.mode == "crash":
		fmt.Fprintln(os.Stderr, "testplugin: crashing on purpose")
		os.Exit(2)
	case f.mode == "hang":
		time.Sleep(time.Hour)
	case f.mode == "panic":
		panic("on purpose")
	}
	return p
}

type badPlace struct{ sched.LeastLoaded }

func (badPlace) Place(vtime.Time, string, []sched.Load) int { return 99 }

func main() {
	mode := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	switch mode {
	case "mosix":
		plugin.ServeBalancer(sched.NewMOSIX(0, 0))
	case "badplace":
		plugin.ServeBalancer(badPlace{})
	}
	plugin.Serve(func(c plugin.Computer) (plugin.Scheduler, error) {
		if mode == "lottery" {
			return plugin.FromPolicy(sched.NewLottery(c.Rand(), 0), sched.LotteryStaleOn...), nil
		}
		return &faulty{Scheduler: plugin.FromPolicy(sched.NewRoundRobin()), mode: mode}, nil
	})
}
