package wasm

import "fmt"

// Error is the error returned by Decode, Validate and the typing walker.
// It locates the problem as precisely as is known: Section always; Func
// (function index space, imports included) and Instr (index into the
// function's Body) when inside a function, else -1; Offset is the byte
// offset in the binary when decoding, else the function's code offset or
// -1.
type Error struct {
	Section SectionID
	Func    int
	Instr   int
	Offset  int
	Msg     string
	Err     error // underlying cause, if any (e.g. a LEB128 error)
}

func (e *Error) Error() string {
	s := "wasm: " + e.Section.String()
	if e.Section != sectionHeader {
		s += " section"
	}
	if e.Func >= 0 {
		s += fmt.Sprintf(", func %d", e.Func)
	}
	if e.Instr >= 0 {
		s += fmt.Sprintf(", instr %d", e.Instr)
	}
	if e.Offset >= 0 {
		s += fmt.Sprintf(", offset 0x%x", e.Offset)
	}
	s += ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
