package net

import (
	"fmt"
	"math/rand/v2"

	"dosemu/emulator/trace"
	"dosemu/emulator/vtime"
)

// Network is one cluster's network: the fabric, one Host per computer
// (its sockets and kernel messaging), and the cluster-wide name service.
// Like the loop it runs on, it is single-threaded.
type Network struct {
	fab   *Fabric
	hosts []*Host
	names *Names
	tcp   TCPConfig
}

// New builds a network of n computers on loop. seed is the cluster seed;
// every random choice of the network derives from it (see Fabric). tr may
// be nil.
func New(loop *vtime.Loop, n int, seed uint64, cfg Config, tr *trace.Tracer) (*Network, error) {
	fab, err := NewFabric(loop, n, seed, cfg, tr)
	if err != nil {
		return nil, err
	}
	nw := &Network{fab: fab, hosts: make([]*Host, n), tcp: DefaultTCP}
	nw.names = newNames(loop, tr)
	for i := range nw.hosts {
		h := &Host{nw: nw, fab: fab, id: i,
			dgramPorts:  map[int]*Socket{},
			streamPorts: map[int]*Socket{},
			conns:       map[connKey]*Socket{},
			portRefs:    map[int]int{},
			nextEph:     [2]int{EphemeralFirst, EphemeralFirst},
			iss:         vtime.Rand(seed, "net:"+ComputerName(i)+":iss"),
			handlers:    map[string]Handler{},
			calls:       map[uint64]*call{},
			served:      map[servedKey]*served{},
		}
		nw.hosts[i] = h
		_ = fab.Attach(i, h.receive)
	}
	return nw, nil
}

// Fabric returns the fabric, for faults and statistics.
func (nw *Network) Fabric() *Fabric { return nw.fab }

// Names returns the cluster's name service.
func (nw *Network) Names() *Names { return nw.names }

// Host returns computer i's network endpoint, or nil if there is no such
// computer.
func (nw *Network) Host(i int) *Host {
	if i < 0 || i >= len(nw.hosts) {
		return nil
	}
	return nw.hosts[i]
}

// SetTCP changes the stream protocol's parameters for connections made
// afterwards. It rejects nonsensical values.
func (nw *Network) SetTCP(c TCPConfig) error {
	if err := c.validate(); err != nil {
		return err
	}
	nw.tcp = c
	return nil
}

// Addr is a socket address: a computer index and a port (1..65535).
type Addr struct {
	Computer int
	Port     int
}

func (a Addr) String() string { return fmt.Sprintf("%s:%d", ComputerName(a.Computer), a.Port) }

// Ports.
const (
	MaxPort        = 65535
	EphemeralFirst = 49152 // bind to port 0 picks from EphemeralFirst..MaxPort
)

type connKey struct {
	local  int // local port
	remote Addr
}

// Host is one computer's network endpoint: its bound ports, its
// connections, and its kernel messaging. Get it from Network.Host.
type Host struct {
	nw          *Network
	fab         *Fabric
	id          int
	dgramPorts  map[int]*Socket
	streamPorts map[int]*Socket
	conns       map[connKey]*Socket
	portRefs    map[int]int // connections per local stream port
	nextEph     [2]int      // next ephemeral port to try, per socket type
	iss         *rand.Rand

	handlers map[string]Handler
	calls    map[uint64]*call
	nextCall uint64
	served   map[servedKey]*served
	servedQ  []servedKey
}

// ID returns the computer index.
func (h *Host) ID() int { return h.id }

func (h *Host) now() vtime.Time { return h.fab.loop.Now() }

func (h *Host) receive(p *Packet) {
	switch p.Proto {
	case ProtoKernel:
		h.receiveKernel(p)
	case ProtoDgram:
		h.receiveDgram(p)
	case ProtoStream:
		h.receiveSegment(p)
	default:
		h.fab.Drop(p, DropNoListener)
	}
}

// checkRemote validates a destination address.
func (h *Host) checkRemote(a Addr) Errno {
	if a.Computer < 0 || a.Computer >= h.fab.n {
		return EHOSTUNREACH
	}
	if a.Port < 1 || a.Port > MaxPort {
		return EINVAL
	}
	return 0
}

// pickPort returns a free ephemeral port for the given table, scanning
// deterministically from where the last pick left off.
func (h *Host) pickPort(typ SockType) (int, Errno) {
	tbl := h.dgramPorts
	if typ == Stream {
		tbl = h.streamPorts
	}
	i := int(typ) - 1
	for range MaxPort - EphemeralFirst + 1 {
		p := h.nextEph[i]
		h.nextEph[i]++
		if h.nextEph[i] > MaxPort {
			h.nextEph[i] = EphemeralFirst
		}
		if _, used := tbl[p]; !used && (typ != Stream || !h.portHasConns(p)) {
			return p, 0
		}
	}
	return 0, EADDRINUSE
}

func (h *Host) portHasConns(p int) bool { return h.portRefs[p] > 0 }
