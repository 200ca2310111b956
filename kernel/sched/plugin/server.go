package plugin

import (
	"context"
	"os"
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

// Serve runs a scheduler plugin until dosemu ends it: open is called once
// per computer, with that computer's description. It does not return.
// Started by hand rather than by dosemu, it prints a short message and
// exits with status 1.
func Serve(open func(c Computer) (Scheduler, error)) {
	serve(goplugin.PluginSet{schedulerPlugin: &grpcPlugin{sched: &schedServer{open: open, inst: map[uint64]*instance{}}}})
}

// ServeBalancer runs a balancer plugin until dosemu ends it. Calls on b
// never overlap. It does not return.
func ServeBalancer(b sched.Balancer) {
	serve(goplugin.PluginSet{balancerPlugin: &grpcPlugin{bal: &balServer{b: b}}})
}

func serve(set goplugin.PluginSet) {
	go watchParent(os.Getppid())
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         set,
		GRPCServer:      goplugin.DefaultGRPCServer,
		Logger:          hclog.New(&hclog.LoggerOptions{Level: hclog.Error, Output: os.Stderr}),
	})
	os.Exit(0)
}

// watchParent ends the plugin when dosemu is gone, even if dosemu was
// killed too hard to kill its plugins: a plugin must never outlive it.
// Polling once a second costs nothing measurable.
func watchParent(ppid int) {
	for {
		time.Sleep(time.Second)
		if os.Getppid() != ppid {
			os.Exit(3)
		}
	}
}

// grpcPlugin binds the services to go-plugin; one value serves the plugin
// side (sched or bal set) and, empty, the dosemu side.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	sched *schedServer
	bal   *balServer
}

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if p.sched != nil {
		pb.RegisterSchedulerServer(s, p.sched)
	}
	if p.bal != nil {
		pb.RegisterBalancerServer(s, p.bal)
	}
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return c, nil
}

type instance struct {
	s    Scheduler
	comp Computer
}

type schedServer struct {
	pb.UnimplementedSchedulerServer
	mu   sync.Mutex // requests for different computers may overlap
	open func(Computer) (Scheduler, error)
	inst map[uint64]*instance
	next uint64
}

func (s *schedServer) Open(_ context.Context, r *pb.OpenRequest) (*pb.OpenReply, error) {
	c := Computer{Name: r.Computer, Index: int(r.Index), Cores: int(r.Cores), Speed: r.Speed, Quantum: vtime.Duration(r.Quantum), Seed: r.Seed}
	impl, err := s.open(c)
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "open scheduler for %s: %v", c.Name, err)
	}
	if impl == nil {
		return nil, status.Errorf(codes.FailedPrecondition, "open scheduler for %s: constructor returned no scheduler", c.Name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	s.inst[s.next] = &instance{s: impl, comp: c}
	return &pb.OpenReply{Instance: s.next, Name: impl.Name(), TickPeriod: int64(impl.TickPeriod())}, nil
}

func (s *schedServer) Plan(_ context.Context, r *pb.PlanRequest) (rep *pb.PlanReply, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.inst[r.Instance]
	if in == nil {
		return nil, status.Errorf(codes.NotFound, "no scheduler instance %d", r.Instance)
	}
	// A panicking policy must surface as one clear error, not a dead
	// plugin with a stack trace on dosemu's terminal.
	defer func() {
		if v := recover(); v != nil {
			rep, err = nil, status.Errorf(codes.Internal, "scheduler %s panicked: %v", in.s.Name(), v)
		}
	}()
	for _, e := range r.Events {
		in.s.Event(eventFromPB(e))
	}
	p := in.s.Plan(vtime.Time(r.Now), int(r.Cpu))
	rep = &pb.PlanReply{Pids: make([]int32, len(p.Slices)), StaleOn: kindMask(p.StaleOn)}
	for i, sl := range p.Slices {
		rep.Pids[i] = int32(sl.PID)
		if sl.Quantum != 0 && rep.Quanta == nil {
			rep.Quanta = make([]int64, len(p.Slices))
		}
	}
	if rep.Quanta != nil {
		for i, sl := range p.Slices {
			rep.Quanta[i] = int64(sl.Quantum)
		}
	}
	return rep, nil
}

func eventFromPB(e *pb.Event) sched.Event {
	ev := sched.Event{T: vtime.Time(e.T), Kind: sched.Kind(e.Kind), PID: int(e.Pid), CPU: int(e.Cpu), Used: vtime.Duration(e.Used)}
	if e.Info != nil {
		ev.Info = &sched.Info{PID: int(e.Pid), Parent: int(e.Info.Parent), Program: e.Info.Program, User: e.Info.User, Group: e.Info.Group, Priority: int(e.Info.Priority)}
	}
	return ev
}

func eventToPB(e sched.Event) *pb.Event {
	out := &pb.Event{T: int64(e.T), Kind: uint32(e.Kind), Pid: int32(e.PID), Cpu: int32(e.CPU), Used: int64(e.Used)}
	if e.Info != nil {
		out.Info = &pb.ProcInfo{Parent: int32(e.Info.Parent), Program: e.Info.Program, User: e.Info.User, Group: e.Info.Group, Priority: int32(e.Info.Priority)}
	}
	return out
}

type balServer struct {
	pb.UnimplementedBalancerServer
	mu sync.Mutex
	b  sched.Balancer
}

func (s *balServer) guard(err *error) {
	if v := recover(); v != nil {
		*err = status.Errorf(codes.Internal, "balancer %s panicked: %v", s.b.Name(), v)
	}
}

func (s *balServer) Info(context.Context, *pb.Empty) (rep *pb.BalancerInfo, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.guard(&err)
	return &pb.BalancerInfo{Name: s.b.Name(), Period: int64(s.b.Period())}, nil
}

func (s *balServer) Place(_ context.Context, r *pb.PlaceRequest) (rep *pb.PlaceReply, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.guard(&err)
	return &pb.PlaceReply{Computer: int32(s.b.Place(vtime.Time(r.Now), r.Program, loadsFromPB(r.Loads)))}, nil
}

func (s *balServer) Balance(_ context.Context, r *pb.BalanceRequest) (rep *pb.BalanceReply, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.guard(&err)
	moves := s.b.Balance(vtime.Time(r.Now), loadsFromPB(r.Loads))
	rep = &pb.BalanceReply{}
	for _, m := range moves {
		rep.Moves = append(rep.Moves, &pb.Move{Pid: int32(m.PID), From: int32(m.From), To: int32(m.To)})
	}
	return rep, nil
}

func loadsFromPB(in []*pb.Load) []sched.Load {
	out := make([]sched.Load, len(in))
	for i, l := range in {
		out[i] = sched.Load{Computer: int(l.Computer), Name: l.Name, Cores: int(l.Cores), Speed: l.Speed, Live: int(l.Live), Ready: int(l.Ready)}
		for _, p := range l.Procs {
			out[i].Procs = append(out[i].Procs, sched.Proc{PID: int(p.Pid), Program: p.Program, CPUTime: vtime.Duration(p.CpuTime), Memory: p.Memory, Spawned: vtime.Time(p.Spawned)})
		}
	}
	return out
}

func loadsToPB(in []sched.Load) []*pb.Load {
	out := make([]*pb.Load, len(in))
	for i, l := range in {
		out[i] = &pb.Load{Computer: int32(l.Computer), Name: l.Name, Cores: int32(l.Cores), Speed: l.Speed, Live: int32(l.Live), Ready: int32(l.Ready)}
		for _, p := range l.Procs {
			out[i].Procs = append(out[i].Procs, &pb.Proc{Pid: int32(p.PID), Program: p.Program, CpuTime: int64(p.CPUTime), Memory: p.Memory, Spawned: int64(p.Spawned)})
		}
	}
	return out
}
