package wasm

// ValType is a WebAssembly value type, stored as its binary encoding byte
// so that decoding and encoding it is a copy.
type ValType byte

// The value types of WebAssembly 2.0.
const (
	I32       ValType = 0x7F
	I64       ValType = 0x7E
	F32       ValType = 0x7D
	F64       ValType = 0x7C
	V128      ValType = 0x7B
	FuncRef   ValType = 0x70
	ExternRef ValType = 0x6F
)

// IsRef reports whether t is a reference type (funcref or externref).
func (t ValType) IsRef() bool { return t == FuncRef || t == ExternRef }

// Valid reports whether t is one of the seven WebAssembly 2.0 value types.
func (t ValType) Valid() bool {
	switch t {
	case I32, I64, F32, F64, V128, FuncRef, ExternRef:
		return true
	}
	return false
}

// String returns the text-format name of t, or "valtype(0xNN)" for bytes
// that are not a value type.
func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	case FuncRef:
		return "funcref"
	case ExternRef:
		return "externref"
	}
	return "valtype(0x" + hex2(byte(t)) + ")"
}

func hex2(b byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[b>>4], digits[b&15]})
}

// FuncType is a function signature.
type FuncType struct {
	Params  []ValType
	Results []ValType
}

// Equal reports whether a and b are the same signature. Type identity in
// WebAssembly 2.0 is structural, so call_indirect compares with this.
func (a FuncType) Equal(b FuncType) bool {
	if len(a.Params) != len(b.Params) || len(a.Results) != len(b.Results) {
		return false
	}
	for i := range a.Params {
		if a.Params[i] != b.Params[i] {
			return false
		}
	}
	for i := range a.Results {
		if a.Results[i] != b.Results[i] {
			return false
		}
	}
	return true
}

// Limits bound the size of a table (in elements) or memory (in 64 KiB pages).
type Limits struct {
	Min    uint32
	Max    uint32 // meaningful only when HasMax
	HasMax bool
}

// TableType is the type of a table: its element reference type and limits.
type TableType struct {
	Elem   ValType // FuncRef or ExternRef
	Limits Limits
}

// MemType is the type of a linear memory. Shared (threads) and 64-bit
// memories are outside the supported feature set and are refused by Decode.
type MemType struct {
	Limits Limits
}

// GlobalType is the type of a global variable.
type GlobalType struct {
	Type    ValType
	Mutable bool
}

// ExternKind says what an import or export refers to. The values are the
// binary encoding.
type ExternKind byte

// The four kinds of external values.
const (
	ExternFunc   ExternKind = 0
	ExternTable  ExternKind = 1
	ExternMemory ExternKind = 2
	ExternGlobal ExternKind = 3
)

// String returns "func", "table", "memory" or "global".
func (k ExternKind) String() string {
	switch k {
	case ExternFunc:
		return "func"
	case ExternTable:
		return "table"
	case ExternMemory:
		return "memory"
	case ExternGlobal:
		return "global"
	}
	return "externkind(0x" + hex2(byte(k)) + ")"
}

// Import is one entry of the import section. Only the field selected by
// Kind is meaningful: TypeIdx for functions, Table, Mem or Global otherwise.
type Import struct {
	Module  string
	Name    string
	Kind    ExternKind
	TypeIdx uint32
	Table   TableType
	Mem     MemType
	Global  GlobalType
}

// Export is one entry of the export section. Index is in the index space of
// Kind (imports first, then definitions).
type Export struct {
	Name  string
	Kind  ExternKind
	Index uint32
}

// Global is a defined (non-imported) global. Init is a constant expression
// ending with OpEnd.
type Global struct {
	Type GlobalType
	Init []Instr
}

// SegmentMode is how an element or data segment is used.
type SegmentMode byte

// Segment modes.
const (
	// SegmentActive segments are copied into a table or memory at
	// instantiation, at the offset computed by their Offset expression.
	SegmentActive SegmentMode = iota
	// SegmentPassive segments are only used by table.init / memory.init.
	SegmentPassive
	// SegmentDeclarative element segments only declare functions as
	// referenceable by ref.func; they are dropped at instantiation.
	SegmentDeclarative
)

// Elem is an element segment. Exactly one of Funcs (the encodings that list
// function indices) and Exprs (the encodings that list constant
// expressions, each ending with OpEnd) is used; Exprs != nil selects the
// expression form even when empty.
//
// Form is the flags value (0–7) the segment was decoded from. The encoder
// writes that form when it still fits the other fields (so decode → encode
// → decode is exact) and otherwise the nearest form that can express them;
// code that builds segments may leave it 0.
type Elem struct {
	Mode   SegmentMode
	Table  uint32  // active segments only
	Offset []Instr // active segments only
	Type   ValType // FuncRef or ExternRef
	Funcs  []uint32
	Exprs  [][]Instr
	Form   uint8
}

// Data is a data segment. Form is the flags value (0–2) it was decoded
// from, kept for exact re-encoding like Elem.Form.
type Data struct {
	Mode   SegmentMode // SegmentActive or SegmentPassive
	Memory uint32      // active segments only
	Offset []Instr     // active segments only
	Init   []byte
	Form   uint8
}

// SectionID is the id byte of a section in the binary format.
type SectionID byte

// Section ids. SectionDataCount (12) is written between the element and
// code sections, as the binary format requires.
const (
	SectionCustom    SectionID = 0
	SectionType      SectionID = 1
	SectionImport    SectionID = 2
	SectionFunction  SectionID = 3
	SectionTable     SectionID = 4
	SectionMemory    SectionID = 5
	SectionGlobal    SectionID = 6
	SectionExport    SectionID = 7
	SectionStart     SectionID = 8
	SectionElement   SectionID = 9
	SectionCode      SectionID = 10
	SectionData      SectionID = 11
	SectionDataCount SectionID = 12
)

// sectionHeader marks errors in the module header or in a section's id
// and size, before the section's kind is known to be valid.
const sectionHeader SectionID = 0xFF

var sectionNames = [...]string{"custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount"}

// String returns the section's name as used in error messages.
func (s SectionID) String() string {
	if s == sectionHeader {
		return "module header"
	}
	if int(s) < len(sectionNames) {
		return sectionNames[s]
	}
	return "section(0x" + hex2(byte(s)) + ")"
}

// Custom is a custom section, kept as raw bytes. After is the id of the
// last non-custom section that preceded it in the binary (SectionCustom
// when it came first); the encoder writes it right after that section
// (or where that section would be, if it is now empty), so custom sections
// keep their order relative to the others.
type Custom struct {
	Name  string
	Data  []byte
	After SectionID
}

// Func is a defined function: its signature (an index into Module.Types),
// its declared locals (parameters excluded, run-length encoding expanded),
// and its body. Body ends with the OpEnd that closes the function.
//
// Offset is the byte offset of the function's code entry (its size field)
// in the decoded binary, for error messages; 0 for functions built in
// memory.
//
// Labels holds the targets of the body's br_table instructions, each
// naming its run by position (see Instr): they live here rather than in
// the instructions so that an Instr holds no pointer, which spares the
// garbage collector scanning (and write barriers on copying) every
// instruction of a module.
type Func struct {
	TypeIdx uint32
	Locals  []ValType
	Body    []Instr
	Offset  uint32
	Labels  []uint32
}

// Module is a decoded WebAssembly 2.0 module. Index spaces are the spec's:
// function index i < NumImportedFuncs() names an import, and defined
// function j has index NumImportedFuncs()+j; the same holds for tables,
// memories and globals.
//
// The IR is plain data: passes may edit any field directly; the helpers in
// edit.go keep index spaces consistent for the common edits.
type Module struct {
	Types    []FuncType
	Imports  []Import
	Funcs    []Func
	Tables   []TableType
	Memories []MemType
	Globals  []Global
	Exports  []Export
	// Start is the start function's index when HasStart.
	Start    uint32
	HasStart bool
	Elems    []Elem
	Datas    []Data
	// DataCount is the value of the datacount section when HasDataCount.
	// It must equal len(Datas); memory.init and data.drop need it present.
	DataCount    uint32
	HasDataCount bool
	Customs      []Custom
	// Summary is what Decode noticed in the function bodies, so that a
	// pass looking for rare instructions can skip reading every body.
	// Only Decode sets Known; a pass that adds such instructions to a
	// decoded module must update the summary or clear Known.
	Summary BodySummary
}

// BodySummary records whether function bodies contain instructions of a
// few rare kinds. When Known is false nothing is known and every field is
// false.
type BodySummary struct {
	Known bool
	// TableChanges: some body has table.set, table.grow, table.fill,
	// table.copy or table.init.
	TableChanges bool
	// SegmentDrops: some body has elem.drop or data.drop.
	SegmentDrops bool
	// RefFuncs: some body has ref.func.
	RefFuncs bool
}

// note records in s what body shows (AddFunc keeps a summary exact).
func (s *BodySummary) note(body []Instr) {
	for i := range body {
		switch body[i].Op {
		case OpDataDrop, OpElemDrop:
			s.SegmentDrops = true
		case OpTableSet, OpTableGrow, OpTableFill, OpTableCopy, OpTableInit:
			s.TableChanges = true
		case OpRefFunc:
			s.RefFuncs = true
		}
	}
}

// BlockType is the type immediate of block, loop and if, held as the s33
// value of its binary encoding: BlockEmpty (-64) for no results, a negative
// value-type code for a single result (e.g. -1 for i32), or a non-negative
// index into Module.Types for a multi-value signature.
type BlockType int64

// BlockEmpty is the block type with no parameters and no results.
const BlockEmpty BlockType = -0x40

// BlockOf returns the block type with no parameters and one result t.
func BlockOf(t ValType) BlockType { return BlockType(int64(t) - 0x80) }

// BlockTypeIndex returns the block type whose signature is Module.Types[idx].
func BlockTypeIndex(idx uint32) BlockType { return BlockType(idx) }

// IsIndex reports whether b names a type index rather than an inline type.
func (b BlockType) IsIndex() bool { return b >= 0 }

// Index returns the type index; meaningful only when IsIndex.
func (b BlockType) Index() uint32 { return uint32(b) }

// Result returns the single result type of an inline block type and
// whether there is one (false for BlockEmpty and for type indices).
func (b BlockType) Result() (ValType, bool) {
	if b >= 0 || b == BlockEmpty {
		return 0, false
	}
	return ValType(b + 0x80), true
}

// Instr is one instruction. It is a flat value without pointers (no
// interfaces; br_table targets live in Func.Labels) so that bodies are
// plain slices a rewriter can walk, splice and rebuild cheaply, and that
// the garbage collector never scans. Which immediate fields are
// meaningful depends on Op:
//
//	block, loop, if                      Block
//	br, br_if                            Index = label depth
//	br_table                             Index = default, Index2 = number of targets,
//	                                     Value = position of the first in Func.Labels
//	                                     (BrLabels, SetBrLabels)
//	call, ref.func                       Index = function index
//	call_indirect                        Index = type index, Index2 = table
//	local.*, global.*                    Index = local / global index
//	table.get/set/size/grow/fill         Index = table
//	select (typed, 0x1C)                 Index = the one result ValType
//	ref.null                             Index = the reference ValType
//	loads, stores, SIMD loads/stores     Align (log2), Offset
//	SIMD load/store lane                 Align, Offset, Lane
//	SIMD extract/replace lane            Lane
//	i32.const, i64.const                 Value (sign-extended to 64 bits)
//	f32.const, f64.const                 Value (IEEE bits, f32 in the low 32)
//	v128.const, i8x16.shuffle            Value (bytes 0–7, little endian), ValueHi (bytes 8–15)
//	memory.init, data.drop               Index = data segment
//	table.init                           Index = element segment, Index2 = table
//	elem.drop                            Index = element segment
//	table.copy                           Index = destination table, Index2 = source table
//
// memory.size, memory.grow, memory.copy and memory.fill name memory 0,
// the only one in WebAssembly 2.0; their reserved bytes are not stored.
type Instr struct {
	Op      Opcode
	Index   uint32
	Index2  uint32
	Align   uint32
	Offset  uint32
	Lane    byte
	Block   BlockType
	Value   uint64
	ValueHi uint64
}

// BrLabels returns the targets of a br_table instruction, held in labels
// (the Labels of the function whose body holds in), or false if in names
// a run outside labels. The result aliases labels.
func (in *Instr) BrLabels(labels []uint32) ([]uint32, bool) {
	start, n := in.Value, uint64(in.Index2)
	if start > uint64(len(labels)) || n > uint64(len(labels))-start {
		return nil, false
	}
	return labels[start : start+n : start+n], true
}

// SetBrLabels appends targets to *labels (the Labels of the function that
// will hold in) and makes in, a br_table, name them. Cost: the append.
func (in *Instr) SetBrLabels(labels *[]uint32, targets []uint32) {
	in.Value, in.Index2 = uint64(len(*labels)), uint32(len(targets))
	*labels = append(*labels, targets...)
}

// I32 returns the immediate of i32.const.
func (in *Instr) I32() int32 { return int32(in.Value) }

// I64 returns the immediate of i64.const.
func (in *Instr) I64() int64 { return int64(in.Value) }

// V128Bytes returns the 16 immediate bytes of v128.const or i8x16.shuffle.
func (in *Instr) V128Bytes() [16]byte {
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(in.Value >> (8 * i))
		b[8+i] = byte(in.ValueHi >> (8 * i))
	}
	return b
}

// SetV128Bytes sets the 16 immediate bytes of v128.const or i8x16.shuffle.
func (in *Instr) SetV128Bytes(b [16]byte) {
	in.Value, in.ValueHi = 0, 0
	for i := 0; i < 8; i++ {
		in.Value |= uint64(b[i]) << (8 * i)
		in.ValueHi |= uint64(b[8+i]) << (8 * i)
	}
}
