package net

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// ParseConfig parses a network configuration file. The format (all keys
// optional):
//
//	computers: 3            # the cluster size it was written for
//	link:                   # every link's parameters (over DefaultLink)
//	  latency: 1ms
//	  bandwidth: 100Mbit/s  # or bytes/s, 10MB/s, 1GiB, unlimited
//	  jitter: 200us
//	  loss: 0.01            # probabilities in [0,1]
//	  dup: 0
//	  reorder: 0
//	  reorder_delay: 2ms
//	  queue: 1MiB           # bytes waiting for the link; 0 = unlimited
//	links:                  # overrides, applied in order
//	  - between: [c0, c1]   # both directions; or from: c0 / to: c1
//	    latency: 20ms
//	faults:                 # a fault plan, see ParsePlan
//	  - at: 2s
//	    cut: [c0, c1]
//
// Unknown keys and out-of-range values are errors naming the line.
func ParseConfig(data []byte) (Config, error) {
	cfg := DefaultConfig()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return cfg, fmt.Errorf("network config: %w", err)
	}
	if root.Kind == 0 { // empty document
		return cfg, nil
	}
	if err := noAliases(&root, 0); err != nil {
		return cfg, fmt.Errorf("network config: %w", err)
	}
	doc := root.Content[0]
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return cfg, nil
	}
	if doc.Kind != yaml.MappingNode {
		return cfg, nodeErr(doc, "network config must be a mapping (computers, link, links, faults)")
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		var err error
		switch k.Value {
		case "computers":
			var n int
			n, err = intScalar(v)
			if err == nil && (n < 0 || n > 1<<20) {
				err = nodeErr(v, "computers %d out of range", n)
			}
			cfg.Computers = n
		case "link":
			var p LinkPatch
			p, err = parsePatch(v, nil)
			cfg.Link = p.Apply(cfg.Link)
			if err == nil {
				if verr := cfg.Link.Validate(); verr != nil {
					err = nodeErr(v, "link: %v", verr)
				}
			}
		case "links":
			cfg.Links, err = parseRules(v, false)
		case "faults":
			cfg.Faults, err = parseSteps(v)
		default:
			err = nodeErr(k, "unknown key %q (want computers, link, links, faults)", k.Value)
		}
		if err != nil {
			return cfg, fmt.Errorf("network config: %w", err)
		}
	}
	return cfg, nil
}

// ParsePlan parses a fault plan: a list of steps, each with a virtual time
// and one or more changes.
//
//   - at: 2s
//     cut: [c0, c1]               # one link, both ways; or a list of pairs
//   - at: 3s
//     partition: [[c0], [c1, c2]] # cut every link between the groups
//   - at: 4s
//     set: {between: [c0, c1], loss: 0.2, latency: 5ms}  # no selector = all links
//   - at: 5s
//     heal: [c0, c1]              # or: heal: all
//   - at: 6s
//     down: c2                    # a computer fails; up: c2 brings it back
//
// A document that is a mapping with a "faults" key is accepted too. Steps
// come back sorted by At (stably).
func ParsePlan(data []byte) ([]Step, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("fault plan: %w", err)
	}
	if root.Kind == 0 {
		return nil, nil
	}
	if err := noAliases(&root, 0); err != nil {
		return nil, fmt.Errorf("fault plan: %w", err)
	}
	doc := root.Content[0]
	if doc.Kind == yaml.MappingNode {
		if len(doc.Content) != 2 || doc.Content[0].Value != "faults" {
			return nil, fmt.Errorf("fault plan: %w", nodeErr(doc, "want a list of steps (or a mapping with only \"faults\")"))
		}
		doc = doc.Content[1]
	}
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return nil, nil
	}
	steps, err := parseSteps(doc)
	if err != nil {
		return nil, fmt.Errorf("fault plan: %w", err)
	}
	return steps, nil
}

// noAliases rejects anchors' aliases anywhere in the tree: configs are
// small, and refusing them rules out exponential alias expansion.
func noAliases(n *yaml.Node, depth int) error {
	if n.Kind == yaml.AliasNode {
		return nodeErr(n, "aliases are not supported")
	}
	if depth > 64 {
		return nodeErr(n, "nested too deeply")
	}
	for _, c := range n.Content {
		if err := noAliases(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func nodeErr(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
}

func scalar(n *yaml.Node) (string, error) {
	if n.Kind == yaml.AliasNode {
		return "", nodeErr(n, "aliases are not supported")
	}
	if n.Kind != yaml.ScalarNode {
		return "", nodeErr(n, "want a single value")
	}
	return n.Value, nil
}

func intScalar(n *yaml.Node) (int, error) {
	s, err := scalar(n)
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, nodeErr(n, "%q is not an integer", s)
	}
	return v, nil
}

func computerNode(n *yaml.Node) (int, error) {
	s, err := scalar(n)
	if err != nil {
		return 0, err
	}
	c, err := ParseComputer(s)
	if err != nil {
		return 0, nodeErr(n, "%v", err)
	}
	return c, nil
}

func computerList(n *yaml.Node) ([]int, error) {
	if n.Kind == yaml.ScalarNode {
		c, err := computerNode(n)
		return []int{c}, err
	}
	if n.Kind != yaml.SequenceNode {
		return nil, nodeErr(n, "want a computer or a list of computers")
	}
	out := make([]int, 0, len(n.Content))
	for _, e := range n.Content {
		c, err := computerNode(e)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// pairList accepts [a, b] or [[a, b], [c, d], ...].
func pairList(n *yaml.Node) ([][2]int, error) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil, nodeErr(n, "want a pair [c0, c1] or a list of pairs")
	}
	if n.Content[0].Kind == yaml.ScalarNode {
		p, err := pairOf(n)
		return [][2]int{p}, err
	}
	var out [][2]int
	for _, e := range n.Content {
		p, err := pairOf(e)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func pairOf(n *yaml.Node) ([2]int, error) {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		return [2]int{}, nodeErr(n, "want a pair of computers like [c0, c1]")
	}
	a, err := computerNode(n.Content[0])
	if err != nil {
		return [2]int{}, err
	}
	b, err := computerNode(n.Content[1])
	if err != nil {
		return [2]int{}, err
	}
	if a == b {
		return [2]int{}, nodeErr(n, "a link needs two different computers, got %s twice", ComputerName(a))
	}
	return [2]int{a, b}, nil
}

// parsePatch reads link-parameter keys from a mapping; keys in extra are
// handed back to the caller through the callback instead.
func parsePatch(n *yaml.Node, extra func(k, v *yaml.Node) (bool, error)) (LinkPatch, error) {
	var p LinkPatch
	if n.Kind != yaml.MappingNode {
		return p, nodeErr(n, "want a mapping of link parameters")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if extra != nil {
			used, err := extra(k, v)
			if err != nil {
				return p, err
			}
			if used {
				continue
			}
		}
		s, err := scalar(v)
		if err != nil {
			return p, err
		}
		switch k.Value {
		case "latency", "jitter", "reorder_delay":
			d, err := ParseDuration(s)
			if err != nil {
				return p, nodeErr(v, "%s: %v", k.Value, err)
			}
			switch k.Value {
			case "latency":
				p.Latency = &d
			case "jitter":
				p.Jitter = &d
			default:
				p.ReorderDelay = &d
			}
		case "bandwidth":
			b, err := ParseBandwidth(s)
			if err != nil {
				return p, nodeErr(v, "%v", err)
			}
			p.Bandwidth = &b
		case "queue":
			b, err := ParseSize(s)
			if err != nil {
				return p, nodeErr(v, "queue: %v", err)
			}
			p.QueueBytes = &b
		case "loss", "dup", "reorder":
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || !(f >= 0 && f <= 1) {
				return p, nodeErr(v, "%s %q is not a probability in [0,1]", k.Value, s)
			}
			switch k.Value {
			case "loss":
				p.Loss = &f
			case "dup":
				p.Dup = &f
			default:
				p.Reorder = &f
			}
		default:
			return p, nodeErr(k, "unknown link parameter %q (want latency, bandwidth, jitter, loss, dup, reorder, reorder_delay, queue)", k.Value)
		}
	}
	return p, nil
}

// parseRule reads one link rule; with needSel false an absent selector
// means every link.
func parseRule(n *yaml.Node, needSel bool) (LinkRule, error) {
	r := LinkRule{From: -1, To: -1}
	var between bool
	p, err := parsePatch(n, func(k, v *yaml.Node) (bool, error) {
		var err error
		switch k.Value {
		case "between":
			var pr [2]int
			pr, err = pairOf(v)
			r.From, r.To, r.Both, between = pr[0], pr[1], true, true
		case "from":
			r.From, err = computerNode(v)
		case "to":
			r.To, err = computerNode(v)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return r, err
	}
	r.Patch = p
	switch {
	case between && (r.From < 0 || r.To < 0):
		return r, nodeErr(n, "between needs two computers")
	case r.From < 0 && r.To < 0:
		if needSel {
			return r, nodeErr(n, "a link override needs between: [a, b] or from/to")
		}
		r.All = true
	case r.From < 0 || r.To < 0:
		return r, nodeErr(n, "from and to must be given together")
	case r.From == r.To:
		return r, nodeErr(n, "from and to are both %s", ComputerName(r.From))
	}
	if err := p.Apply(LinkParams{}).Validate(); err != nil {
		return r, nodeErr(n, "%v", err)
	}
	return r, nil
}

func parseRules(n *yaml.Node, all bool) ([]LinkRule, error) {
	if n.Kind == yaml.MappingNode {
		r, err := parseRule(n, !all)
		return []LinkRule{r}, err
	}
	if n.Kind != yaml.SequenceNode {
		return nil, nodeErr(n, "want a list of link rules")
	}
	var out []LinkRule
	for _, e := range n.Content {
		r, err := parseRule(e, !all)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func parseSteps(n *yaml.Node) ([]Step, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, nodeErr(n, "want a list of steps like - at: 2s")
	}
	steps := make([]Step, 0, len(n.Content))
	for _, e := range n.Content {
		s, err := parseStep(e)
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].At < steps[j].At })
	return steps, nil
}

func parseStep(n *yaml.Node) (Step, error) {
	var s Step
	if n.Kind != yaml.MappingNode {
		return s, nodeErr(n, "a step must be a mapping with at: and a change")
	}
	var haveAt, haveChange bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "at":
			var str string
			if str, err = scalar(v); err == nil {
				s.At, err = ParseDuration(str)
				if err != nil {
					err = nodeErr(v, "at: %v", err)
				}
			}
			haveAt = true
		case "cut":
			var ps [][2]int
			ps, err = pairList(v)
			s.Cut = append(s.Cut, ps...)
		case "heal":
			if v.Kind == yaml.ScalarNode && v.Value == "all" {
				s.HealAll = true
			} else {
				var ps [][2]int
				ps, err = pairList(v)
				s.Heal = append(s.Heal, ps...)
			}
		case "partition":
			s.Partition, err = parseGroups(v)
		case "set":
			var rs []LinkRule
			rs, err = parseRules(v, true)
			s.Set = append(s.Set, rs...)
		case "down":
			var cs []int
			cs, err = computerList(v)
			s.Down = append(s.Down, cs...)
		case "up":
			var cs []int
			cs, err = computerList(v)
			s.Up = append(s.Up, cs...)
		default:
			err = nodeErr(k, "unknown step key %q (want at, cut, heal, partition, set, down, up)", k.Value)
		}
		if err != nil {
			return s, err
		}
		if k.Value != "at" {
			haveChange = true
		}
	}
	if !haveAt {
		return s, nodeErr(n, "step has no at: time")
	}
	if !haveChange {
		return s, nodeErr(n, "step at %v changes nothing", s.At)
	}
	return s, nil
}

func parseGroups(n *yaml.Node) ([][]int, error) {
	if n.Kind != yaml.SequenceNode || len(n.Content) < 2 {
		return nil, nodeErr(n, "partition wants at least two groups, e.g. [[c0], [c1, c2]]")
	}
	seen := map[int]bool{}
	var out [][]int
	for _, g := range n.Content {
		cs, err := computerList(g)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if seen[c] {
				return nil, nodeErr(g, "%s is in two partition groups", ComputerName(c))
			}
			seen[c] = true
		}
		out = append(out, cs)
	}
	return out, nil
}

var errNoComputers = errors.New("network needs at least one computer")

// maxConfigFile bounds a configuration or plan file's size: they are
// hand-written, and the bound keeps a wrong path (a disk image, say) from
// being read whole.
const maxConfigFile = 4 << 20

// LoadConfigFile reads and parses a network configuration file (see
// ParseConfig); errors name the file.
func LoadConfigFile(path string) (Config, error) {
	data, err := readSmall(path)
	if err != nil {
		return DefaultConfig(), err
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// LoadPlanFile reads and parses a fault plan file (the --faults flag; see
// ParsePlan); errors name the file.
func LoadPlanFile(path string) ([]Step, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	steps, err := ParsePlan(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return steps, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxConfigFile {
		return nil, fmt.Errorf("%s: larger than %d bytes; not a network config", path, maxConfigFile)
	}
	return data, nil
}
