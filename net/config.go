package net

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"dosemu/emulator/vtime"
)

// LinkParams describes one direction of one link (an ordered pair of
// computers). The zero value is a perfect link: no latency, unlimited
// bandwidth, no faults.
type LinkParams struct {
	// Latency is the one-way propagation delay added to every packet.
	Latency vtime.Duration
	// Bandwidth in bytes per second; a packet of s bytes occupies the
	// link for ceil(s·1e9/Bandwidth) ns, and packets queue FIFO behind each
	// other for it. 0 means unlimited (no serialization delay).
	Bandwidth int64
	// Jitter adds a uniform random delay in [0, Jitter] to each packet.
	// Jittered packets can overtake each other (as with netem).
	Jitter vtime.Duration
	// Loss is the probability that a packet is dropped.
	Loss float64
	// Dup is the probability that a packet is delivered twice.
	Dup float64
	// Reorder is the probability that a packet is held back by an extra
	// uniform random delay in [0, ReorderDelay], so later packets overtake it.
	Reorder float64
	// ReorderDelay bounds the extra delay of a reordered packet; 0 means
	// max(Latency, 1ms).
	ReorderDelay vtime.Duration
	// QueueBytes bounds the bytes waiting for the link (not yet serialized);
	// a packet that would exceed it is dropped ("queue overflow"). 0 means
	// unlimited. Only meaningful with a Bandwidth.
	QueueBytes int64
}

// DefaultLink is the link a cluster gets when nothing is configured: a
// switched gigabit LAN with 100 µs one-way latency and no faults.
var DefaultLink = LinkParams{Latency: 100 * time.Microsecond, Bandwidth: 125_000_000}

// Validate reports the first out-of-range field.
func (p LinkParams) Validate() error {
	switch {
	case p.Latency < 0:
		return fmt.Errorf("latency %v is negative", p.Latency)
	case p.Jitter < 0:
		return fmt.Errorf("jitter %v is negative", p.Jitter)
	case p.ReorderDelay < 0:
		return fmt.Errorf("reorder_delay %v is negative", p.ReorderDelay)
	case p.Bandwidth < 0:
		return fmt.Errorf("bandwidth %d is negative", p.Bandwidth)
	case p.QueueBytes < 0:
		return fmt.Errorf("queue %d is negative", p.QueueBytes)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"loss", p.Loss}, {"dup", p.Dup}, {"reorder", p.Reorder}} {
		if !(f.v >= 0 && f.v <= 1) { // also rejects NaN
			return fmt.Errorf("%s %v is not a probability in [0,1]", f.name, f.v)
		}
	}
	return nil
}

// LinkPatch changes some fields of a LinkParams; nil fields are kept.
type LinkPatch struct {
	Latency, Jitter, ReorderDelay *vtime.Duration
	Bandwidth, QueueBytes         *int64
	Loss, Dup, Reorder            *float64
}

// Apply returns p with the patch's set fields replaced.
func (lp LinkPatch) Apply(p LinkParams) LinkParams {
	if lp.Latency != nil {
		p.Latency = *lp.Latency
	}
	if lp.Jitter != nil {
		p.Jitter = *lp.Jitter
	}
	if lp.ReorderDelay != nil {
		p.ReorderDelay = *lp.ReorderDelay
	}
	if lp.Bandwidth != nil {
		p.Bandwidth = *lp.Bandwidth
	}
	if lp.QueueBytes != nil {
		p.QueueBytes = *lp.QueueBytes
	}
	if lp.Loss != nil {
		p.Loss = *lp.Loss
	}
	if lp.Dup != nil {
		p.Dup = *lp.Dup
	}
	if lp.Reorder != nil {
		p.Reorder = *lp.Reorder
	}
	return p
}

// LinkRule applies a patch to a set of links: every link when All, else
// From→To, and also To→From when Both.
type LinkRule struct {
	All      bool
	From, To int
	Both     bool
	Patch    LinkPatch
}

// Step is one entry of a fault plan: at virtual time At, apply each of its
// changes in the order the fields are listed here.
type Step struct {
	At vtime.Duration
	// HealAll heals every cut link (applied first, so a step can heal
	// everything and then cut anew).
	HealAll bool
	// Heal and Cut restore or sever links between pairs, in both directions.
	Heal, Cut [][2]int
	// Partition cuts every link between computers in different groups
	// (both ways). Computers in no group keep their links.
	Partition [][]int
	// Set changes link parameters.
	Set []LinkRule
	// Down fails computers (everything to or from them is dropped); Up
	// brings them back.
	Down, Up []int
}

// Config is the network's configuration at start.
type Config struct {
	// Computers, when non-zero, is the cluster size the file was written
	// for; NewFabric rejects a mismatch.
	Computers int
	// Link is every link's starting parameters.
	Link LinkParams
	// Links overrides Link for some links, in order.
	Links []LinkRule
	// Faults is the fault plan, in any order (stable-sorted by At).
	Faults []Step
}

// DefaultConfig returns a Config with DefaultLink everywhere and no faults.
func DefaultConfig() Config { return Config{Link: DefaultLink} }

// ComputerName returns the name of computer i: "c0", "c1", ...
func ComputerName(i int) string { return "c" + strconv.Itoa(i) }

// ParseComputer parses a computer name "cN" (or a bare index "N") into N.
func ParseComputer(s string) (int, error) {
	t := strings.TrimPrefix(s, "c")
	n, err := strconv.Atoi(t)
	if err != nil || n < 0 || t == "" || t[0] == '+' || t[0] == '-' || (len(t) > 1 && t[0] == '0') {
		return 0, fmt.Errorf("bad computer name %q (want c0, c1, ...)", s)
	}
	if n > 1<<20 {
		return 0, fmt.Errorf("computer %q out of range", s)
	}
	return n, nil
}

// ParseBandwidth parses a rate into bytes per second: a plain number of
// bytes/s, or a number with a unit — B, KB, MB, GB (powers of 1000), KiB,
// MiB, GiB (powers of 1024), bit, Kbit, Mbit, Gbit — optionally followed by
// "/s". "0" and "unlimited" mean no limit (0).
func ParseBandwidth(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "unlimited" {
		return 0, nil
	}
	t = strings.TrimSuffix(t, "/s")
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("bad bandwidth %q: want e.g. 125000000, 100Mbit/s, 10MB/s", s)
	}
	mult := map[string]float64{
		"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30,
		"bit": 1.0 / 8, "Kbit": 1e3 / 8, "Mbit": 1e6 / 8, "Gbit": 1e9 / 8,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("bad bandwidth %q: unknown unit %q", s, unit)
	}
	r := v * mult
	if r >= math.MaxInt64/2 || math.IsNaN(r) {
		return 0, fmt.Errorf("bad bandwidth %q: too large", s)
	}
	if r > 0 && r < 1 {
		return 0, fmt.Errorf("bad bandwidth %q: below 1 byte/s", s)
	}
	return int64(r), nil
}

// ParseSize parses a byte count: a plain number or one with a unit B, KB,
// MB, GB, KiB, MiB, GiB.
func ParseSize(s string) (int64, error) {
	if strings.Contains(s, "bit") || strings.HasSuffix(s, "/s") {
		return 0, fmt.Errorf("bad size %q: want bytes, e.g. 64KiB", s)
	}
	v, err := ParseBandwidth(s)
	if err != nil || s == "unlimited" {
		return 0, fmt.Errorf("bad size %q: want e.g. 65536, 64KiB, 1MB", s)
	}
	return v, nil
}

// ParseDuration parses a virtual duration: a Go duration ("5ms", "1.5s",
// "250us") or "0".
func ParseDuration(s string) (vtime.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("bad duration %q: want e.g. 5ms, 2s, 250us", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("bad duration %q: negative", s)
	}
	return d, nil
}
