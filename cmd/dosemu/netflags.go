package main

import (
	"flag"
	"fmt"
	"strconv"

	"dosemu/emulator/vtime"
	"dosemu/net"
)

// netFlags are the network flags of `dosemu boot`: a link configuration
// file, a fault plan, and shorthands that set one parameter on every link.
type netFlags struct {
	ConfigFile string // --net FILE (net.ParseConfig)
	FaultsFile string // --faults FILE (net.ParsePlan)
	// The shorthands, nil when not given. They apply after the file, to
	// every link, so they win over its per-link settings.
	Latency, Jitter *string
	Bandwidth       *string
	Loss, Dup       *string
	Reorder         *string
}

const netUsage = `  --net FILE        network configuration: link latency, bandwidth, loss, ...
                    per link or for all, and a fault plan (YAML; see net.ParseConfig)
  --faults FILE     fault plan in virtual time, e.g. "- {at: 2s, cut: [c0, c1]}"
  --latency D       one-way latency of every link (default 100us)
  --bandwidth R     bandwidth of every link: 125000000, 100Mbit/s, 10MB/s, unlimited
                    (default 1Gbit/s)
  --jitter D        random extra delay in [0, D] per packet
  --loss P          probability that a packet is lost (0..1)
  --dup P           probability that a packet is delivered twice
  --reorder P       probability that a packet is held back so later ones pass it
`

// optString records that a flag was given, so that "not given" and "given
// as the default" stay distinct.
type optString struct{ p **string }

func (o optString) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return **o.p
}

func (o optString) Set(s string) error {
	*o.p = &s
	return nil
}

func (n *netFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.ConfigFile, "net", "", "")
	fs.StringVar(&n.FaultsFile, "faults", "", "")
	fs.Var(optString{&n.Latency}, "latency", "")
	fs.Var(optString{&n.Jitter}, "jitter", "")
	fs.Var(optString{&n.Bandwidth}, "bandwidth", "")
	fs.Var(optString{&n.Loss}, "loss", "")
	fs.Var(optString{&n.Dup}, "dup", "")
	fs.Var(optString{&n.Reorder}, "reorder", "")
}

// patch parses the shorthands into a patch for every link; set reports
// whether any was given. Errors name the flag and the value.
func (n *netFlags) patch() (p net.LinkPatch, set bool, err error) {
	dur := func(name string, v *string, dst **vtime.Duration) error {
		if v == nil {
			return nil
		}
		d, err := net.ParseDuration(*v)
		if err != nil {
			return fmt.Errorf("--%s: %v", name, err)
		}
		set = true
		*dst = &d
		return nil
	}
	prob := func(name string, v *string, dst **float64) error {
		if v == nil {
			return nil
		}
		f, err := strconv.ParseFloat(*v, 64)
		if err != nil || !(f >= 0 && f <= 1) {
			return fmt.Errorf("--%s %q: want a probability between 0 and 1", name, *v)
		}
		set = true
		*dst = &f
		return nil
	}
	if err := dur("latency", n.Latency, &p.Latency); err != nil {
		return p, false, err
	}
	if err := dur("jitter", n.Jitter, &p.Jitter); err != nil {
		return p, false, err
	}
	if n.Bandwidth != nil {
		b, err := net.ParseBandwidth(*n.Bandwidth)
		if err != nil {
			return p, false, fmt.Errorf("--bandwidth: %v", err)
		}
		set = true
		p.Bandwidth = &b
	}
	if err := prob("loss", n.Loss, &p.Loss); err != nil {
		return p, false, err
	}
	if err := prob("dup", n.Dup, &p.Dup); err != nil {
		return p, false, err
	}
	if err := prob("reorder", n.Reorder, &p.Reorder); err != nil {
		return p, false, err
	}
	return p, set, nil
}

// check validates the flags without reading files, for parse time.
func (n *netFlags) check() error {
	_, _, err := n.patch()
	return err
}

// config builds the network configuration: the --net file (or the
// default), the shorthands over every link, and the --faults plan added to
// the file's. It returns nil when no network flag was given, which leaves
// the emulator's default.
func (n *netFlags) config() (*net.Config, error) {
	p, set, err := n.patch()
	if err != nil {
		return nil, err
	}
	if n.ConfigFile == "" && n.FaultsFile == "" && !set {
		return nil, nil
	}
	cfg := net.DefaultConfig()
	if n.ConfigFile != "" {
		if cfg, err = net.LoadConfigFile(n.ConfigFile); err != nil {
			return nil, fmt.Errorf("--net: %w", err)
		}
	}
	if set {
		cfg.Link = p.Apply(cfg.Link)
		if err := cfg.Link.Validate(); err != nil {
			return nil, fmt.Errorf("network flags: %w", err)
		}
		// Also after the file's per-link rules, so the flags win there too.
		cfg.Links = append(cfg.Links, net.LinkRule{All: true, Patch: p})
	}
	if n.FaultsFile != "" {
		steps, err := net.LoadPlanFile(n.FaultsFile)
		if err != nil {
			return nil, fmt.Errorf("--faults: %w", err)
		}
		cfg.Faults = append(cfg.Faults, steps...)
	}
	return &cfg, nil
}
