package main

import (
	"bytes"
	"io"
	"sync"
)

// maxLine bounds how much of an unterminated line is held back: a guest
// that writes megabytes without a newline is still streamed, in pieces,
// rather than growing a buffer without limit.
const maxLine = 64 << 10

// streamKey names one output stream of one process.
type streamKey struct {
	gid string // "c1:7"
	fd  int    // 1 stdout, 2 stderr
}

// prefixer writes each process's output line by line, each line prefixed
// with where the process runs ("[c1:7 spin] "), so the outputs of many
// processes interleave at line boundaries only. The order of lines is the
// order of Write calls, which the emulator makes from its event loop in
// virtual-time order: the combined output is as deterministic as the run.
//
// Cost: one copy of each byte into a per-stream buffer; a lock per Write.
type prefixer struct {
	mu      sync.Mutex
	out     map[int]io.Writer // by fd
	partial map[streamKey][]byte
	names   map[streamKey]string
	order   []streamKey // first-write order, so Close flushes deterministically
	line    []byte
	err     error
}

func newPrefixer(stdout, stderr io.Writer) *prefixer {
	return &prefixer{
		out:     map[int]io.Writer{1: stdout, 2: stderr},
		partial: map[streamKey][]byte{},
		names:   map[streamKey]string{},
	}
}

// Write takes data written by process gid (running prog) to fd. Output to
// an fd other than 1 or 2 goes to stdout.
func (p *prefixer) Write(gid, prog string, fd int, data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fd != 2 {
		fd = 1
	}
	k := streamKey{gid, fd}
	if _, ok := p.names[k]; !ok {
		p.names[k] = prog
		p.order = append(p.order, k)
	}
	buf := append(p.partial[k], data...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		p.emit(k, buf[:i+1])
		buf = buf[i+1:]
	}
	for len(buf) >= maxLine {
		p.emit(k, append(buf[:maxLine:maxLine], '\n'))
		buf = buf[maxLine:]
	}
	// Keep the tail in a buffer of its own: buf may alias data.
	p.partial[k] = append(p.partial[k][:0:0], buf...)
	if len(buf) == 0 {
		delete(p.partial, k)
	}
}

// CloseProcess ends gid's unterminated lines with a newline; the emulator
// calls it when the process exits so that its last words are not lost or
// glued to another process's output.
func (p *prefixer) CloseProcess(gid string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, fd := range []int{1, 2} {
		k := streamKey{gid, fd}
		if b := p.partial[k]; len(b) > 0 {
			p.emit(k, append(b, '\n'))
		}
		delete(p.partial, k)
	}
}

// Flush ends every unterminated line, in the order the streams first
// wrote, and returns the first write error.
func (p *prefixer) Flush() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, k := range p.order {
		if b := p.partial[k]; len(b) > 0 {
			p.emit(k, append(b, '\n'))
		}
		delete(p.partial, k)
	}
	return p.err
}

func (p *prefixer) emit(k streamKey, line []byte) {
	p.line = append(p.line[:0], '[')
	p.line = append(p.line, k.gid...)
	if n := p.names[k]; n != "" {
		p.line = append(p.line, ' ')
		p.line = append(p.line, n...)
	}
	p.line = append(p.line, "] "...)
	p.line = append(p.line, line...)
	if _, err := p.out[k.fd].Write(p.line); err != nil && p.err == nil {
		p.err = err
	}
}

// passThrough is the output side of a one-program cluster (`run`,
// `restore`): the guest's streams go to ours unprefixed, and the first
// line of its failure, if any, is kept for the closing error message.
type passThrough struct {
	stdout, stderr io.Writer

	mu  sync.Mutex // guards err: Failed may come from a guest goroutine
	err string
}

func (p *passThrough) output(_, _ string, fd int, data []byte) {
	if fd == 2 {
		p.stderr.Write(data)
	} else {
		p.stdout.Write(data)
	}
}

func (p *passThrough) failed(_, _ string, err error) {
	p.mu.Lock()
	p.err = oneLine(err)
	p.mu.Unlock()
}

// failure returns the reported failure, or status when none was reported.
func (p *passThrough) failure(status string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == "" {
		return status
	}
	return p.err
}
