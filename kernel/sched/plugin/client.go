package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"dosemu/emulator/vtime"
	"dosemu/kernel/sched"
	"dosemu/kernel/sched/plugin/internal/pb"
)

// DefaultDeadline bounds each request to a plugin, in host time. It is
// generous because only a hung plugin should ever reach it: a missed
// deadline makes the run fall back to round-robin, and so makes its trace
// depend on the host.
const DefaultDeadline = 5 * time.Second

// Options tune a plugin client.
type Options struct {
	// Deadline bounds each request (0: DefaultDeadline).
	Deadline time.Duration
	// Args are extra command-line arguments for the plugin.
	Args []string
	// Env is extra "KEY=VALUE" environment for the plugin.
	Env []string
}

// Client is a running plugin process. Close kills it; a Client's methods
// are called from the event loop only.
type Client struct {
	path     string
	gp       *goplugin.Client
	conn     *grpc.ClientConn
	deadline time.Duration
	stderr   *tail
}

// Start launches the plugin executable at path, performs the handshake
// (protocol version and cookie) and connects over gRPC. Errors name the
// path and say what failed; the process is killed on any error.
func Start(path string, o Options) (*Client, error) {
	if o.Deadline <= 0 {
		o.Deadline = DefaultDeadline
	}
	cmd := exec.Command(path, o.Args...)
	cmd.Env = append(cmd.Environ(), o.Env...)
	c := &Client{path: path, deadline: o.Deadline, stderr: &tail{}}
	c.gp = goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  Handshake,
		Plugins:          goplugin.PluginSet{schedulerPlugin: &grpcPlugin{}, balancerPlugin: &grpcPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Managed:          true,
		StartTimeout:     max(o.Deadline, 10*time.Second),
		Stderr:           c.stderr,
		Logger:           hclog.New(&hclog.LoggerOptions{Level: hclog.Off, Output: io.Discard}),
	})
	rpc, err := c.gp.Client()
	if err != nil {
		c.gp.Kill()
		return nil, fmt.Errorf("plugin %s: start: %s", path, c.describe(err))
	}
	// Either name gives the same connection; what the plugin serves shows
	// on the first call.
	raw, err := rpc.Dispense(schedulerPlugin)
	if err != nil {
		c.gp.Kill()
		return nil, fmt.Errorf("plugin %s: connect: %s", path, c.describe(err))
	}
	c.conn = raw.(*grpc.ClientConn)
	return c, nil
}

// Path is the plugin executable's path.
func (c *Client) Path() string { return c.path }

// Pid is the plugin process's id (0 once it is gone).
func (c *Client) Pid() int {
	if rc := c.gp.ReattachConfig(); rc != nil && !c.gp.Exited() {
		return rc.Pid
	}
	return 0
}

// Exited reports whether the plugin process has ended.
func (c *Client) Exited() bool { return c.gp.Exited() }

// Close kills the plugin process (gracefully first, as go-plugin does)
// and waits for it. It is idempotent.
func (c *Client) Close() { c.gp.Kill() }

func (c *Client) call(what string, f func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.deadline)
	defer cancel()
	err := f(ctx)
	if err == nil {
		return nil
	}
	return fmt.Errorf("plugin %s: %s: %s", c.path, what, c.describe(err))
}

// describe turns a transport error into one line a user can act on.
func (c *Client) describe(err error) string {
	msg := ""
	switch st, _ := status.FromError(err); {
	case errors.Is(err, context.DeadlineExceeded) || st.Code() == codes.DeadlineExceeded:
		msg = fmt.Sprintf("no answer within the %v deadline", c.deadline)
	case st.Code() == codes.Unimplemented:
		msg = "the plugin does not serve this (is it a scheduler or a balancer?)"
	case c.gp.Exited() || st.Code() == codes.Unavailable:
		msg = "the plugin process exited"
	case st != nil && st.Code() != codes.Unknown:
		msg = st.Message()
	default:
		msg = err.Error()
	}
	if last := c.stderr.last(); last != "" {
		msg += fmt.Sprintf(" (its last words: %q)", last)
	}
	return strings.Join(strings.Fields(msg), " ")
}

// Scheduler opens a scheduler instance for one computer. The result is a
// sched.Remote; wrap it in sched.Guarded to get the fallback.
func (c *Client) Scheduler(comp Computer) (*RemoteScheduler, error) {
	cl := pb.NewSchedulerClient(c.conn)
	var rep *pb.OpenReply
	err := c.call("open scheduler for "+comp.Name, func(ctx context.Context) (err error) {
		rep, err = cl.Open(ctx, &pb.OpenRequest{Computer: comp.Name, Index: int32(comp.Index), Cores: int32(comp.Cores), Speed: comp.Speed, Quantum: int64(comp.Quantum), Seed: comp.Seed})
		return err
	})
	if err != nil {
		return nil, err
	}
	if rep.TickPeriod < 0 {
		return nil, fmt.Errorf("plugin %s: scheduler %q: negative tick period %v", c.path, rep.Name, vtime.Duration(rep.TickPeriod))
	}
	name := rep.Name
	if name == "" {
		name = c.path
	}
	return &RemoteScheduler{c: c, cl: cl, inst: rep.Instance, name: name, tick: vtime.Duration(rep.TickPeriod)}, nil
}

// RemoteScheduler is one computer's policy in a plugin; it implements
// sched.Remote. Events are queued and sent with the next Plan request.
type RemoteScheduler struct {
	c       *Client
	cl      pb.SchedulerClient
	inst    uint64
	name    string
	tick    vtime.Duration
	pending []*pb.Event
	staleOn uint32 // of the latest plan: a stale event drops every CPU's plan
	trips   int
}

// Name implements sched.Remote: the name the plugin gave.
func (r *RemoteScheduler) Name() string { return r.name }

// TickPeriod implements sched.Remote.
func (r *RemoteScheduler) TickPeriod() vtime.Duration { return r.tick }

// RoundTrips is how many Plan requests were made, for benchmarks.
func (r *RemoteScheduler) RoundTrips() int { return r.trips }

// Event implements sched.Remote: it queues e and reports whether the
// latest plan declared events of this kind to make it stale. Cost: one
// small allocation.
func (r *RemoteScheduler) Event(e sched.Event) bool {
	r.pending = append(r.pending, eventToPB(e))
	return e.Kind < 32 && r.staleOn&(1<<e.Kind) != 0
}

// Plan implements sched.Remote: one round trip carrying the queued
// events. A malformed answer (quanta not matching pids) is an error.
func (r *RemoteScheduler) Plan(now vtime.Time, cpu int) ([]sched.Slice, error) {
	req := &pb.PlanRequest{Instance: r.inst, Events: r.pending, Now: int64(now), Cpu: int32(cpu)}
	r.pending = nil
	r.trips++
	var rep *pb.PlanReply
	err := r.c.call("plan", func(ctx context.Context) (err error) {
		rep, err = r.cl.Plan(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(rep.Quanta) != 0 && len(rep.Quanta) != len(rep.Pids) {
		return nil, fmt.Errorf("plugin %s: impossible plan: %d quanta for %d slices", r.c.path, len(rep.Quanta), len(rep.Pids))
	}
	r.staleOn = rep.StaleOn
	plan := make([]sched.Slice, len(rep.Pids))
	for i, pid := range rep.Pids {
		plan[i].PID = int(pid)
		if rep.Quanta != nil {
			plan[i].Quantum = vtime.Duration(rep.Quanta[i])
		}
	}
	return plan, nil
}

// Balancer connects to the plugin's balancer. The result is a
// sched.RemoteBalancer; wrap it in sched.NewGuardedBalancer.
func (c *Client) Balancer() (*RemoteBalancer, error) {
	cl := pb.NewBalancerClient(c.conn)
	var rep *pb.BalancerInfo
	if err := c.call("balancer info", func(ctx context.Context) (err error) {
		rep, err = cl.Info(ctx, &pb.Empty{})
		return err
	}); err != nil {
		return nil, err
	}
	if rep.Period < 0 {
		return nil, fmt.Errorf("plugin %s: balancer %q: negative period %v", c.path, rep.Name, vtime.Duration(rep.Period))
	}
	name := rep.Name
	if name == "" {
		name = c.path
	}
	return &RemoteBalancer{c: c, cl: cl, name: name, period: vtime.Duration(rep.Period)}, nil
}

// RemoteBalancer is a balancer in a plugin; it implements
// sched.RemoteBalancer with one round trip per call.
type RemoteBalancer struct {
	c      *Client
	cl     pb.BalancerClient
	name   string
	period vtime.Duration
}

// Name implements sched.RemoteBalancer.
func (b *RemoteBalancer) Name() string { return b.name }

// Period implements sched.RemoteBalancer.
func (b *RemoteBalancer) Period() vtime.Duration { return b.period }

// Place implements sched.RemoteBalancer.
func (b *RemoteBalancer) Place(now vtime.Time, prog string, loads []sched.Load) (int, error) {
	var rep *pb.PlaceReply
	err := b.c.call("place", func(ctx context.Context) (err error) {
		rep, err = b.cl.Place(ctx, &pb.PlaceRequest{Now: int64(now), Program: prog, Loads: loadsToPB(loads)})
		return err
	})
	if err != nil {
		return 0, err
	}
	return int(rep.Computer), nil
}

// Balance implements sched.RemoteBalancer.
func (b *RemoteBalancer) Balance(now vtime.Time, loads []sched.Load) ([]sched.Move, error) {
	var rep *pb.BalanceReply
	err := b.c.call("balance", func(ctx context.Context) (err error) {
		rep, err = b.cl.Balance(ctx, &pb.BalanceRequest{Now: int64(now), Loads: loadsToPB(loads)})
		return err
	})
	if err != nil {
		return nil, err
	}
	moves := make([]sched.Move, len(rep.Moves))
	for i, m := range rep.Moves {
		moves[i] = sched.Move{PID: int(m.Pid), From: int(m.From), To: int(m.To)}
	}
	return moves, nil
}

// tail keeps the last line a plugin wrote to stderr, to explain a crash.
type tail struct {
	mu   sync.Mutex
	buf  []byte
	line string
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	for {
		i := strings.IndexByte(string(t.buf), '\n')
		if i < 0 {
			break
		}
		if l := strings.TrimSpace(string(t.buf[:i])); l != "" {
			t.line = l
		}
		t.buf = t.buf[i+1:]
	}
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

func (t *tail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l := strings.TrimSpace(string(t.buf)); l != "" {
		return l
	}
	if len(t.line) > 200 {
		return t.line[:200] + "..."
	}
	return t.line
}

// Cleanup kills every plugin process started by Start that is still
// running. Commands call it on their way out (including after Ctrl-C),
// so a plugin never outlives dosemu even if a Close was skipped.
func Cleanup() { goplugin.CleanupClients() }
