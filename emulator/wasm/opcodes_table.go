package wasm

// Opcode constants. Single-byte opcodes are their byte; prefixed opcodes
// are prefix<<16 | sub-opcode (0xFC for saturating truncation, bulk memory
// and table operations, 0xFD for SIMD).
const (
	OpUnreachable               Opcode = 0x0
	OpNop                       Opcode = 0x1
	OpBlock                     Opcode = 0x2
	OpLoop                      Opcode = 0x3
	OpIf                        Opcode = 0x4
	OpElse                      Opcode = 0x5
	OpEnd                       Opcode = 0xB
	OpBr                        Opcode = 0xC
	OpBrIf                      Opcode = 0xD
	OpBrTable                   Opcode = 0xE
	OpReturn                    Opcode = 0xF
	OpCall                      Opcode = 0x10
	OpCallIndirect              Opcode = 0x11
	OpDrop                      Opcode = 0x1A
	OpSelect                    Opcode = 0x1B
	OpSelectT                   Opcode = 0x1C
	OpLocalGet                  Opcode = 0x20
	OpLocalSet                  Opcode = 0x21
	OpLocalTee                  Opcode = 0x22
	OpGlobalGet                 Opcode = 0x23
	OpGlobalSet                 Opcode = 0x24
	OpTableGet                  Opcode = 0x25
	OpTableSet                  Opcode = 0x26
	OpI32Load                   Opcode = 0x28
	OpI64Load                   Opcode = 0x29
	OpF32Load                   Opcode = 0x2A
	OpF64Load                   Opcode = 0x2B
	OpI32Load8S                 Opcode = 0x2C
	OpI32Load8U                 Opcode = 0x2D
	OpI32Load16S                Opcode = 0x2E
	OpI32Load16U                Opcode = 0x2F
	OpI64Load8S                 Opcode = 0x30
	OpI64Load8U                 Opcode = 0x31
	OpI64Load16S                Opcode = 0x32
	OpI64Load16U                Opcode = 0x33
	OpI64Load32S                Opcode = 0x34
	OpI64Load32U                Opcode = 0x35
	OpI32Store                  Opcode = 0x36
	OpI64Store                  Opcode = 0x37
	OpF32Store                  Opcode = 0x38
	OpF64Store                  Opcode = 0x39
	OpI32Store8                 Opcode = 0x3A
	OpI32Store16                Opcode = 0x3B
	OpI64Store8                 Opcode = 0x3C
	OpI64Store16                Opcode = 0x3D
	OpI64Store32                Opcode = 0x3E
	OpMemorySize                Opcode = 0x3F
	OpMemoryGrow                Opcode = 0x40
	OpI32Const                  Opcode = 0x41
	OpI64Const                  Opcode = 0x42
	OpF32Const                  Opcode = 0x43
	OpF64Const                  Opcode = 0x44
	OpI32Eqz                    Opcode = 0x45
	OpI32Eq                     Opcode = 0x46
	OpI32Ne                     Opcode = 0x47
	OpI32LtS                    Opcode = 0x48
	OpI32LtU                    Opcode = 0x49
	OpI32GtS                    Opcode = 0x4A
	OpI32GtU                    Opcode = 0x4B
	OpI32LeS                    Opcode = 0x4C
	OpI32LeU                    Opcode = 0x4D
	OpI32GeS                    Opcode = 0x4E
	OpI32GeU                    Opcode = 0x4F
	OpI64Eqz                    Opcode = 0x50
	OpI64Eq                     Opcode = 0x51
	OpI64Ne                     Opcode = 0x52
	OpI64LtS                    Opcode = 0x53
	OpI64LtU                    Opcode = 0x54
	OpI64GtS                    Opcode = 0x55
	OpI64GtU                    Opcode = 0x56
	OpI64LeS                    Opcode = 0x57
	OpI64LeU                    Opcode = 0x58
	OpI64GeS                    Opcode = 0x59
	OpI64GeU                    Opcode = 0x5A
	OpF32Eq                     Opcode = 0x5B
	OpF32Ne                     Opcode = 0x5C
	OpF32Lt                     Opcode = 0x5D
	OpF32Gt                     Opcode = 0x5E
	OpF32Le                     Opcode = 0x5F
	OpF32Ge                     Opcode = 0x60
	OpF64Eq                     Opcode = 0x61
	OpF64Ne                     Opcode = 0x62
	OpF64Lt                     Opcode = 0x63
	OpF64Gt                     Opcode = 0x64
	OpF64Le                     Opcode = 0x65
	OpF64Ge                     Opcode = 0x66
	OpI32Clz                    Opcode = 0x67
	OpI32Ctz                    Opcode = 0x68
	OpI32Popcnt                 Opcode = 0x69
	OpI32Add                    Opcode = 0x6A
	OpI32Sub                    Opcode = 0x6B
	OpI32Mul                    Opcode = 0x6C
	OpI32DivS                   Opcode = 0x6D
	OpI32DivU                   Opcode = 0x6E
	OpI32RemS                   Opcode = 0x6F
	OpI32RemU                   Opcode = 0x70
	OpI32And                    Opcode = 0x71
	OpI32Or                     Opcode = 0x72
	OpI32Xor                    Opcode = 0x73
	OpI32Shl                    Opcode = 0x74
	OpI32ShrS                   Opcode = 0x75
	OpI32ShrU                   Opcode = 0x76
	OpI32Rotl                   Opcode = 0x77
	OpI32Rotr                   Opcode = 0x78
	OpI64Clz                    Opcode = 0x79
	OpI64Ctz                    Opcode = 0x7A
	OpI64Popcnt                 Opcode = 0x7B
	OpI64Add                    Opcode = 0x7C
	OpI64Sub                    Opcode = 0x7D
	OpI64Mul                    Opcode = 0x7E
	OpI64DivS                   Opcode = 0x7F
	OpI64DivU                   Opcode = 0x80
	OpI64RemS                   Opcode = 0x81
	OpI64RemU                   Opcode = 0x82
	OpI64And                    Opcode = 0x83
	OpI64Or                     Opcode = 0x84
	OpI64Xor                    Opcode = 0x85
	OpI64Shl                    Opcode = 0x86
	OpI64ShrS                   Opcode = 0x87
	OpI64ShrU                   Opcode = 0x88
	OpI64Rotl                   Opcode = 0x89
	OpI64Rotr                   Opcode = 0x8A
	OpF32Abs                    Opcode = 0x8B
	OpF32Neg                    Opcode = 0x8C
	OpF32Ceil                   Opcode = 0x8D
	OpF32Floor                  Opcode = 0x8E
	OpF32Trunc                  Opcode = 0x8F
	OpF32Nearest                Opcode = 0x90
	OpF32Sqrt                   Opcode = 0x91
	OpF32Add                    Opcode = 0x92
	OpF32Sub                    Opcode = 0x93
	OpF32Mul                    Opcode = 0x94
	OpF32Div                    Opcode = 0x95
	OpF32Min                    Opcode = 0x96
	OpF32Max                    Opcode = 0x97
	OpF32Copysign               Opcode = 0x98
	OpF64Abs                    Opcode = 0x99
	OpF64Neg                    Opcode = 0x9A
	OpF64Ceil                   Opcode = 0x9B
	OpF64Floor                  Opcode = 0x9C
	OpF64Trunc                  Opcode = 0x9D
	OpF64Nearest                Opcode = 0x9E
	OpF64Sqrt                   Opcode = 0x9F
	OpF64Add                    Opcode = 0xA0
	OpF64Sub                    Opcode = 0xA1
	OpF64Mul                    Opcode = 0xA2
	OpF64Div                    Opcode = 0xA3
	OpF64Min                    Opcode = 0xA4
	OpF64Max                    Opcode = 0xA5
	OpF64Copysign               Opcode = 0xA6
	OpI32WrapI64                Opcode = 0xA7
	OpI32TruncF32S              Opcode = 0xA8
	OpI32TruncF32U              Opcode = 0xA9
	OpI32TruncF64S              Opcode = 0xAA
	OpI32TruncF64U              Opcode = 0xAB
	OpI64ExtendI32S             Opcode = 0xAC
	OpI64ExtendI32U             Opcode = 0xAD
	OpI64TruncF32S              Opcode = 0xAE
	OpI64TruncF32U              Opcode = 0xAF
	OpI64TruncF64S              Opcode = 0xB0
	OpI64TruncF64U              Opcode = 0xB1
	OpF32ConvertI32S            Opcode = 0xB2
	OpF32ConvertI32U            Opcode = 0xB3
	OpF32ConvertI64S            Opcode = 0xB4
	OpF32ConvertI64U            Opcode = 0xB5
	OpF32DemoteF64              Opcode = 0xB6
	OpF64ConvertI32S            Opcode = 0xB7
	OpF64ConvertI32U            Opcode = 0xB8
	OpF64ConvertI64S            Opcode = 0xB9
	OpF64ConvertI64U            Opcode = 0xBA
	OpF64PromoteF32             Opcode = 0xBB
	OpI32ReinterpretF32         Opcode = 0xBC
	OpI64ReinterpretF64         Opcode = 0xBD
	OpF32ReinterpretI32         Opcode = 0xBE
	OpF64ReinterpretI64         Opcode = 0xBF
	OpI32Extend8S               Opcode = 0xC0
	OpI32Extend16S              Opcode = 0xC1
	OpI64Extend8S               Opcode = 0xC2
	OpI64Extend16S              Opcode = 0xC3
	OpI64Extend32S              Opcode = 0xC4
	OpRefNull                   Opcode = 0xD0
	OpRefIsNull                 Opcode = 0xD1
	OpRefFunc                   Opcode = 0xD2
	OpI32TruncSatF32S           Opcode = 0xFC0000
	OpI32TruncSatF32U           Opcode = 0xFC0001
	OpI32TruncSatF64S           Opcode = 0xFC0002
	OpI32TruncSatF64U           Opcode = 0xFC0003
	OpI64TruncSatF32S           Opcode = 0xFC0004
	OpI64TruncSatF32U           Opcode = 0xFC0005
	OpI64TruncSatF64S           Opcode = 0xFC0006
	OpI64TruncSatF64U           Opcode = 0xFC0007
	OpMemoryInit                Opcode = 0xFC0008
	OpDataDrop                  Opcode = 0xFC0009
	OpMemoryCopy                Opcode = 0xFC000A
	OpMemoryFill                Opcode = 0xFC000B
	OpTableInit                 Opcode = 0xFC000C
	OpElemDrop                  Opcode = 0xFC000D
	OpTableCopy                 Opcode = 0xFC000E
	OpTableGrow                 Opcode = 0xFC000F
	OpTableSize                 Opcode = 0xFC0010
	OpTableFill                 Opcode = 0xFC0011
	OpV128Load                  Opcode = 0xFD0000
	OpV128Load8x8S              Opcode = 0xFD0001
	OpV128Load8x8U              Opcode = 0xFD0002
	OpV128Load16x4S             Opcode = 0xFD0003
	OpV128Load16x4U             Opcode = 0xFD0004
	OpV128Load32x2S             Opcode = 0xFD0005
	OpV128Load32x2U             Opcode = 0xFD0006
	OpV128Load8Splat            Opcode = 0xFD0007
	OpV128Load16Splat           Opcode = 0xFD0008
	OpV128Load32Splat           Opcode = 0xFD0009
	OpV128Load64Splat           Opcode = 0xFD000A
	OpV128Store                 Opcode = 0xFD000B
	OpV128Const                 Opcode = 0xFD000C
	OpI8x16Shuffle              Opcode = 0xFD000D
	OpI8x16Swizzle              Opcode = 0xFD000E
	OpI8x16Splat                Opcode = 0xFD000F
	OpI16x8Splat                Opcode = 0xFD0010
	OpI32x4Splat                Opcode = 0xFD0011
	OpI64x2Splat                Opcode = 0xFD0012
	OpF32x4Splat                Opcode = 0xFD0013
	OpF64x2Splat                Opcode = 0xFD0014
	OpI8x16ExtractLaneS         Opcode = 0xFD0015
	OpI8x16ExtractLaneU         Opcode = 0xFD0016
	OpI8x16ReplaceLane          Opcode = 0xFD0017
	OpI16x8ExtractLaneS         Opcode = 0xFD0018
	OpI16x8ExtractLaneU         Opcode = 0xFD0019
	OpI16x8ReplaceLane          Opcode = 0xFD001A
	OpI32x4ExtractLane          Opcode = 0xFD001B
	OpI32x4ReplaceLane          Opcode = 0xFD001C
	OpI64x2ExtractLane          Opcode = 0xFD001D
	OpI64x2ReplaceLane          Opcode = 0xFD001E
	OpF32x4ExtractLane          Opcode = 0xFD001F
	OpF32x4ReplaceLane          Opcode = 0xFD0020
	OpF64x2ExtractLane          Opcode = 0xFD0021
	OpF64x2ReplaceLane          Opcode = 0xFD0022
	OpI8x16Eq                   Opcode = 0xFD0023
	OpI8x16Ne                   Opcode = 0xFD0024
	OpI8x16LtS                  Opcode = 0xFD0025
	OpI8x16LtU                  Opcode = 0xFD0026
	OpI8x16GtS                  Opcode = 0xFD0027
	OpI8x16GtU                  Opcode = 0xFD0028
	OpI8x16LeS                  Opcode = 0xFD0029
	OpI8x16LeU                  Opcode = 0xFD002A
	OpI8x16GeS                  Opcode = 0xFD002B
	OpI8x16GeU                  Opcode = 0xFD002C
	OpI16x8Eq                   Opcode = 0xFD002D
	OpI16x8Ne                   Opcode = 0xFD002E
	OpI16x8LtS                  Opcode = 0xFD002F
	OpI16x8LtU                  Opcode = 0xFD0030
	OpI16x8GtS                  Opcode = 0xFD0031
	OpI16x8GtU                  Opcode = 0xFD0032
	OpI16x8LeS                  Opcode = 0xFD0033
	OpI16x8LeU                  Opcode = 0xFD0034
	OpI16x8GeS                  Opcode = 0xFD0035
	OpI16x8GeU                  Opcode = 0xFD0036
	OpI32x4Eq                   Opcode = 0xFD0037
	OpI32x4Ne                   Opcode = 0xFD0038
	OpI32x4LtS                  Opcode = 0xFD0039
	OpI32x4LtU                  Opcode = 0xFD003A
	OpI32x4GtS                  Opcode = 0xFD003B
	OpI32x4GtU                  Opcode = 0xFD003C
	OpI32x4LeS                  Opcode = 0xFD003D
	OpI32x4LeU                  Opcode = 0xFD003E
	OpI32x4GeS                  Opcode = 0xFD003F
	OpI32x4GeU                  Opcode = 0xFD0040
	OpF32x4Eq                   Opcode = 0xFD0041
	OpF32x4Ne                   Opcode = 0xFD0042
	OpF32x4Lt                   Opcode = 0xFD0043
	OpF32x4Gt                   Opcode = 0xFD0044
	OpF32x4Le                   Opcode = 0xFD0045
	OpF32x4Ge                   Opcode = 0xFD0046
	OpF64x2Eq                   Opcode = 0xFD0047
	OpF64x2Ne                   Opcode = 0xFD0048
	OpF64x2Lt                   Opcode = 0xFD0049
	OpF64x2Gt                   Opcode = 0xFD004A
	OpF64x2Le                   Opcode = 0xFD004B
	OpF64x2Ge                   Opcode = 0xFD004C
	OpV128Not                   Opcode = 0xFD004D
	OpV128And                   Opcode = 0xFD004E
	OpV128Andnot                Opcode = 0xFD004F
	OpV128Or                    Opcode = 0xFD0050
	OpV128Xor                   Opcode = 0xFD0051
	OpV128Bitselect             Opcode = 0xFD0052
	OpV128AnyTrue               Opcode = 0xFD0053
	OpV128Load8Lane             Opcode = 0xFD0054
	OpV128Load16Lane            Opcode = 0xFD0055
	OpV128Load32Lane            Opcode = 0xFD0056
	OpV128Load64Lane            Opcode = 0xFD0057
	OpV128Store8Lane            Opcode = 0xFD0058
	OpV128Store16Lane           Opcode = 0xFD0059
	OpV128Store32Lane           Opcode = 0xFD005A
	OpV128Store64Lane           Opcode = 0xFD005B
	OpV128Load32Zero            Opcode = 0xFD005C
	OpV128Load64Zero            Opcode = 0xFD005D
	OpF32x4DemoteF64x2Zero      Opcode = 0xFD005E
	OpF64x2PromoteLowF32x4      Opcode = 0xFD005F
	OpI8x16Abs                  Opcode = 0xFD0060
	OpI8x16Neg                  Opcode = 0xFD0061
	OpI8x16Popcnt               Opcode = 0xFD0062
	OpI8x16AllTrue              Opcode = 0xFD0063
	OpI8x16Bitmask              Opcode = 0xFD0064
	OpI8x16NarrowI16x8S         Opcode = 0xFD0065
	OpI8x16NarrowI16x8U         Opcode = 0xFD0066
	OpF32x4Ceil                 Opcode = 0xFD0067
	OpF32x4Floor                Opcode = 0xFD0068
	OpF32x4Trunc                Opcode = 0xFD0069
	OpF32x4Nearest              Opcode = 0xFD006A
	OpI8x16Shl                  Opcode = 0xFD006B
	OpI8x16ShrS                 Opcode = 0xFD006C
	OpI8x16ShrU                 Opcode = 0xFD006D
	OpI8x16Add                  Opcode = 0xFD006E
	OpI8x16AddSatS              Opcode = 0xFD006F
	OpI8x16AddSatU              Opcode = 0xFD0070
	OpI8x16Sub                  Opcode = 0xFD0071
	OpI8x16SubSatS              Opcode = 0xFD0072
	OpI8x16SubSatU              Opcode = 0xFD0073
	OpF64x2Ceil                 Opcode = 0xFD0074
	OpF64x2Floor                Opcode = 0xFD0075
	OpI8x16MinS                 Opcode = 0xFD0076
	OpI8x16MinU                 Opcode = 0xFD0077
	OpI8x16MaxS                 Opcode = 0xFD0078
	OpI8x16MaxU                 Opcode = 0xFD0079
	OpF64x2Trunc                Opcode = 0xFD007A
	OpI8x16AvgrU                Opcode = 0xFD007B
	OpI16x8ExtaddPairwiseI8x16S Opcode = 0xFD007C
	OpI16x8ExtaddPairwiseI8x16U Opcode = 0xFD007D
	OpI32x4ExtaddPairwiseI16x8S Opcode = 0xFD007E
	OpI32x4ExtaddPairwiseI16x8U Opcode = 0xFD007F
	OpI16x8Abs                  Opcode = 0xFD0080
	OpI16x8Neg                  Opcode = 0xFD0081
	OpI16x8Q15mulrSatS          Opcode = 0xFD0082
	OpI16x8AllTrue              Opcode = 0xFD0083
	OpI16x8Bitmask              Opcode = 0xFD0084
	OpI16x8NarrowI32x4S         Opcode = 0xFD0085
	OpI16x8NarrowI32x4U         Opcode = 0xFD0086
	OpI16x8ExtendLowI8x16S      Opcode = 0xFD0087
	OpI16x8ExtendHighI8x16S     Opcode = 0xFD0088
	OpI16x8ExtendLowI8x16U      Opcode = 0xFD0089
	OpI16x8ExtendHighI8x16U     Opcode = 0xFD008A
	OpI16x8Shl                  Opcode = 0xFD008B
	OpI16x8ShrS                 Opcode = 0xFD008C
	OpI16x8ShrU                 Opcode = 0xFD008D
	OpI16x8Add                  Opcode = 0xFD008E
	OpI16x8AddSatS              Opcode = 0xFD008F
	OpI16x8AddSatU              Opcode = 0xFD0090
	OpI16x8Sub                  Opcode = 0xFD0091
	OpI16x8SubSatS              Opcode = 0xFD0092
	OpI16x8SubSatU              Opcode = 0xFD0093
	OpF64x2Nearest              Opcode = 0xFD0094
	OpI16x8Mul                  Opcode = 0xFD0095
	OpI16x8MinS                 Opcode = 0xFD0096
	OpI16x8MinU                 Opcode = 0xFD0097
	OpI16x8MaxS                 Opcode = 0xFD0098
	OpI16x8MaxU                 Opcode = 0xFD0099
	OpI16x8AvgrU                Opcode = 0xFD009B
	OpI16x8ExtmulLowI8x16S      Opcode = 0xFD009C
	OpI16x8ExtmulHighI8x16S     Opcode = 0xFD009D
	OpI16x8ExtmulLowI8x16U      Opcode = 0xFD009E
	OpI16x8ExtmulHighI8x16U     Opcode = 0xFD009F
	OpI32x4Abs                  Opcode = 0xFD00A0
	OpI32x4Neg                  Opcode = 0xFD00A1
	OpI32x4AllTrue              Opcode = 0xFD00A3
	OpI32x4Bitmask              Opcode = 0xFD00A4
	OpI32x4ExtendLowI16x8S      Opcode = 0xFD00A7
	OpI32x4ExtendHighI16x8S     Opcode = 0xFD00A8
	OpI32x4ExtendLowI16x8U      Opcode = 0xFD00A9
	OpI32x4ExtendHighI16x8U     Opcode = 0xFD00AA
	OpI32x4Shl                  Opcode = 0xFD00AB
	OpI32x4ShrS                 Opcode = 0xFD00AC
	OpI32x4ShrU                 Opcode = 0xFD00AD
	OpI32x4Add                  Opcode = 0xFD00AE
	OpI32x4Sub                  Opcode = 0xFD00B1
	OpI32x4Mul                  Opcode = 0xFD00B5
	OpI32x4MinS                 Opcode = 0xFD00B6
	OpI32x4MinU                 Opcode = 0xFD00B7
	OpI32x4MaxS                 Opcode = 0xFD00B8
	OpI32x4MaxU                 Opcode = 0xFD00B9
	OpI32x4DotI16x8S            Opcode = 0xFD00BA
	OpI32x4ExtmulLowI16x8S      Opcode = 0xFD00BC
	OpI32x4ExtmulHighI16x8S     Opcode = 0xFD00BD
	OpI32x4ExtmulLowI16x8U      Opcode = 0xFD00BE
	OpI32x4ExtmulHighI16x8U     Opcode = 0xFD00BF
	OpI64x2Abs                  Opcode = 0xFD00C0
	OpI64x2Neg                  Opcode = 0xFD00C1
	OpI64x2AllTrue              Opcode = 0xFD00C3
	OpI64x2Bitmask              Opcode = 0xFD00C4
	OpI64x2ExtendLowI32x4S      Opcode = 0xFD00C7
	OpI64x2ExtendHighI32x4S     Opcode = 0xFD00C8
	OpI64x2ExtendLowI32x4U      Opcode = 0xFD00C9
	OpI64x2ExtendHighI32x4U     Opcode = 0xFD00CA
	OpI64x2Shl                  Opcode = 0xFD00CB
	OpI64x2ShrS                 Opcode = 0xFD00CC
	OpI64x2ShrU                 Opcode = 0xFD00CD
	OpI64x2Add                  Opcode = 0xFD00CE
	OpI64x2Sub                  Opcode = 0xFD00D1
	OpI64x2Mul                  Opcode = 0xFD00D5
	OpI64x2Eq                   Opcode = 0xFD00D6
	OpI64x2Ne                   Opcode = 0xFD00D7
	OpI64x2LtS                  Opcode = 0xFD00D8
	OpI64x2GtS                  Opcode = 0xFD00D9
	OpI64x2LeS                  Opcode = 0xFD00DA
	OpI64x2GeS                  Opcode = 0xFD00DB
	OpI64x2ExtmulLowI32x4S      Opcode = 0xFD00DC
	OpI64x2ExtmulHighI32x4S     Opcode = 0xFD00DD
	OpI64x2ExtmulLowI32x4U      Opcode = 0xFD00DE
	OpI64x2ExtmulHighI32x4U     Opcode = 0xFD00DF
	OpF32x4Abs                  Opcode = 0xFD00E0
	OpF32x4Neg                  Opcode = 0xFD00E1
	OpF32x4Sqrt                 Opcode = 0xFD00E3
	OpF32x4Add                  Opcode = 0xFD00E4
	OpF32x4Sub                  Opcode = 0xFD00E5
	OpF32x4Mul                  Opcode = 0xFD00E6
	OpF32x4Div                  Opcode = 0xFD00E7
	OpF32x4Min                  Opcode = 0xFD00E8
	OpF32x4Max                  Opcode = 0xFD00E9
	OpF32x4Pmin                 Opcode = 0xFD00EA
	OpF32x4Pmax                 Opcode = 0xFD00EB
	OpF64x2Abs                  Opcode = 0xFD00EC
	OpF64x2Neg                  Opcode = 0xFD00ED
	OpF64x2Sqrt                 Opcode = 0xFD00EF
	OpF64x2Add                  Opcode = 0xFD00F0
	OpF64x2Sub                  Opcode = 0xFD00F1
	OpF64x2Mul                  Opcode = 0xFD00F2
	OpF64x2Div                  Opcode = 0xFD00F3
	OpF64x2Min                  Opcode = 0xFD00F4
	OpF64x2Max                  Opcode = 0xFD00F5
	OpF64x2Pmin                 Opcode = 0xFD00F6
	OpF64x2Pmax                 Opcode = 0xFD00F7
	OpI32x4TruncSatF32x4S       Opcode = 0xFD00F8
	OpI32x4TruncSatF32x4U       Opcode = 0xFD00F9
	OpF32x4ConvertI32x4S        Opcode = 0xFD00FA
	OpF32x4ConvertI32x4U        Opcode = 0xFD00FB
	OpI32x4TruncSatF64x2SZero   Opcode = 0xFD00FC
	OpI32x4TruncSatF64x2UZero   Opcode = 0xFD00FD
	OpF64x2ConvertLowI32x4S     Opcode = 0xFD00FE
	OpF64x2ConvertLowI32x4U     Opcode = 0xFD00FF
)

var opsPlain = [256]opInfo{
	0x00: {name: "unreachable", imm: immNone, special: true},
	0x01: {name: "nop", imm: immNone, in: nil, out: nil},
	0x02: {name: "block", imm: immBlock, special: true},
	0x03: {name: "loop", imm: immBlock, special: true},
	0x04: {name: "if", imm: immBlock, special: true},
	0x05: {name: "else", imm: immNone, special: true},
	0x0B: {name: "end", imm: immNone, special: true},
	0x0C: {name: "br", imm: immLabel, special: true},
	0x0D: {name: "br_if", imm: immLabel, special: true},
	0x0E: {name: "br_table", imm: immBrTable, special: true},
	0x0F: {name: "return", imm: immNone, special: true},
	0x10: {name: "call", imm: immFunc, special: true},
	0x11: {name: "call_indirect", imm: immCallIndirect, special: true},
	0x1A: {name: "drop", imm: immNone, special: true},
	0x1B: {name: "select", imm: immNone, special: true},
	0x1C: {name: "select", imm: immSelectT, special: true},
	0x20: {name: "local.get", imm: immLocal, special: true},
	0x21: {name: "local.set", imm: immLocal, special: true},
	0x22: {name: "local.tee", imm: immLocal, special: true},
	0x23: {name: "global.get", imm: immGlobal, special: true},
	0x24: {name: "global.set", imm: immGlobal, special: true},
	0x25: {name: "table.get", imm: immTable, special: true},
	0x26: {name: "table.set", imm: immTable, special: true},
	0x28: {name: "i32.load", imm: immMemArg, in: []ValType{I32}, out: []ValType{I32}, align: 2},
	0x29: {name: "i64.load", imm: immMemArg, in: []ValType{I32}, out: []ValType{I64}, align: 3},
	0x2A: {name: "f32.load", imm: immMemArg, in: []ValType{I32}, out: []ValType{F32}, align: 2},
	0x2B: {name: "f64.load", imm: immMemArg, in: []ValType{I32}, out: []ValType{F64}, align: 3},
	0x2C: {name: "i32.load8_s", imm: immMemArg, in: []ValType{I32}, out: []ValType{I32}, align: 0},
	0x2D: {name: "i32.load8_u", imm: immMemArg, in: []ValType{I32}, out: []ValType{I32}, align: 0},
	0x2E: {name: "i32.load16_s", imm: immMemArg, in: []ValType{I32}, out: []ValType{I32}, align: 1},
	0x2F: {name: "i32.load16_u", imm: immMemArg, in: []ValType{I32}, out: []ValType{I32}, align: 1},
	0x30: {name: "i64.load8_s", imm: immMemArg, in: []ValType{I32}, out: []ValType{I64}, align: 0},
	0x31: {name: "i64.load8_u", imm: immMemArg, in: []ValType{I32}, out: []ValType{I64}, align: 0},
	0x32: {name: "i64.load16_s", imm: immMemArg, in: []ValType{I32}, out: []ValType{I64}, align: 1},
	0x33: {name: "i64.load16_u", imm: immMemArg, in: []ValType{I32}, out: []ValType{I64}, align: 1},
	0x34: {name: "i64.load32_s", imm: immMemArg, in: []ValType{I32}, out: []ValType{I64}, align: 2},
	0x35: {name: "i64.load32_u", imm: immMemArg, in: []ValType{I32}, out: []ValType{I64}, align: 2},
	0x36: {name: "i32.store", imm: immMemArg, in: []ValType{I32, I32}, out: nil, align: 2},
	0x37: {name: "i64.store", imm: immMemArg, in: []ValType{I32, I64}, out: nil, align: 3},
	0x38: {name: "f32.store", imm: immMemArg, in: []ValType{I32, F32}, out: nil, align: 2},
	0x39: {name: "f64.store", imm: immMemArg, in: []ValType{I32, F64}, out: nil, align: 3},
	0x3A: {name: "i32.store8", imm: immMemArg, in: []ValType{I32, I32}, out: nil, align: 0},
	0x3B: {name: "i32.store16", imm: immMemArg, in: []ValType{I32, I32}, out: nil, align: 1},
	0x3C: {name: "i64.store8", imm: immMemArg, in: []ValType{I32, I64}, out: nil, align: 0},
	0x3D: {name: "i64.store16", imm: immMemArg, in: []ValType{I32, I64}, out: nil, align: 1},
	0x3E: {name: "i64.store32", imm: immMemArg, in: []ValType{I32, I64}, out: nil, align: 2},
	0x3F: {name: "memory.size", imm: immMemZero, in: nil, out: []ValType{I32}},
	0x40: {name: "memory.grow", imm: immMemZero, in: []ValType{I32}, out: []ValType{I32}},
	0x41: {name: "i32.const", imm: immI32, in: nil, out: []ValType{I32}},
	0x42: {name: "i64.const", imm: immI64, in: nil, out: []ValType{I64}},
	0x43: {name: "f32.const", imm: immF32, in: nil, out: []ValType{F32}},
	0x44: {name: "f64.const", imm: immF64, in: nil, out: []ValType{F64}},
	0x45: {name: "i32.eqz", imm: immNone, in: []ValType{I32}, out: []ValType{I32}},
	0x46: {name: "i32.eq", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x47: {name: "i32.ne", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x48: {name: "i32.lt_s", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x49: {name: "i32.lt_u", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x4A: {name: "i32.gt_s", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x4B: {name: "i32.gt_u", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x4C: {name: "i32.le_s", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x4D: {name: "i32.le_u", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x4E: {name: "i32.ge_s", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x4F: {name: "i32.ge_u", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x50: {name: "i64.eqz", imm: immNone, in: []ValType{I64}, out: []ValType{I32}},
	0x51: {name: "i64.eq", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I32}},
	0x52: {name: "i64.ne", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I32}},
	0x53: {name: "i64.lt_s", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I32}},
	0x54: {name: "i64.lt_u", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I32}},
	0x55: {name: "i64.gt_s", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I32}},
	0x56: {name: "i64.gt_u", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I32}},
	0x57: {name: "i64.le_s", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I32}},
	0x58: {name: "i64.le_u", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I32}},
	0x59: {name: "i64.ge_s", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I32}},
	0x5A: {name: "i64.ge_u", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I32}},
	0x5B: {name: "f32.eq", imm: immNone, in: []ValType{F32, F32}, out: []ValType{I32}},
	0x5C: {name: "f32.ne", imm: immNone, in: []ValType{F32, F32}, out: []ValType{I32}},
	0x5D: {name: "f32.lt", imm: immNone, in: []ValType{F32, F32}, out: []ValType{I32}},
	0x5E: {name: "f32.gt", imm: immNone, in: []ValType{F32, F32}, out: []ValType{I32}},
	0x5F: {name: "f32.le", imm: immNone, in: []ValType{F32, F32}, out: []ValType{I32}},
	0x60: {name: "f32.ge", imm: immNone, in: []ValType{F32, F32}, out: []ValType{I32}},
	0x61: {name: "f64.eq", imm: immNone, in: []ValType{F64, F64}, out: []ValType{I32}},
	0x62: {name: "f64.ne", imm: immNone, in: []ValType{F64, F64}, out: []ValType{I32}},
	0x63: {name: "f64.lt", imm: immNone, in: []ValType{F64, F64}, out: []ValType{I32}},
	0x64: {name: "f64.gt", imm: immNone, in: []ValType{F64, F64}, out: []ValType{I32}},
	0x65: {name: "f64.le", imm: immNone, in: []ValType{F64, F64}, out: []ValType{I32}},
	0x66: {name: "f64.ge", imm: immNone, in: []ValType{F64, F64}, out: []ValType{I32}},
	0x67: {name: "i32.clz", imm: immNone, in: []ValType{I32}, out: []ValType{I32}},
	0x68: {name: "i32.ctz", imm: immNone, in: []ValType{I32}, out: []ValType{I32}},
	0x69: {name: "i32.popcnt", imm: immNone, in: []ValType{I32}, out: []ValType{I32}},
	0x6A: {name: "i32.add", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x6B: {name: "i32.sub", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x6C: {name: "i32.mul", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x6D: {name: "i32.div_s", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x6E: {name: "i32.div_u", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x6F: {name: "i32.rem_s", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x70: {name: "i32.rem_u", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x71: {name: "i32.and", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x72: {name: "i32.or", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x73: {name: "i32.xor", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x74: {name: "i32.shl", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x75: {name: "i32.shr_s", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x76: {name: "i32.shr_u", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x77: {name: "i32.rotl", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x78: {name: "i32.rotr", imm: immNone, in: []ValType{I32, I32}, out: []ValType{I32}},
	0x79: {name: "i64.clz", imm: immNone, in: []ValType{I64}, out: []ValType{I64}},
	0x7A: {name: "i64.ctz", imm: immNone, in: []ValType{I64}, out: []ValType{I64}},
	0x7B: {name: "i64.popcnt", imm: immNone, in: []ValType{I64}, out: []ValType{I64}},
	0x7C: {name: "i64.add", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x7D: {name: "i64.sub", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x7E: {name: "i64.mul", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x7F: {name: "i64.div_s", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x80: {name: "i64.div_u", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x81: {name: "i64.rem_s", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x82: {name: "i64.rem_u", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x83: {name: "i64.and", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x84: {name: "i64.or", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x85: {name: "i64.xor", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x86: {name: "i64.shl", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x87: {name: "i64.shr_s", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x88: {name: "i64.shr_u", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x89: {name: "i64.rotl", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x8A: {name: "i64.rotr", imm: immNone, in: []ValType{I64, I64}, out: []ValType{I64}},
	0x8B: {name: "f32.abs", imm: immNone, in: []ValType{F32}, out: []ValType{F32}},
	0x8C: {name: "f32.neg", imm: immNone, in: []ValType{F32}, out: []ValType{F32}},
	0x8D: {name: "f32.ceil", imm: immNone, in: []ValType{F32}, out: []ValType{F32}},
	0x8E: {name: "f32.floor", imm: immNone, in: []ValType{F32}, out: []ValType{F32}},
	0x8F: {name: "f32.trunc", imm: immNone, in: []ValType{F32}, out: []ValType{F32}},
	0x90: {name: "f32.nearest", imm: immNone, in: []ValType{F32}, out: []ValType{F32}},
	0x91: {name: "f32.sqrt", imm: immNone, in: []ValType{F32}, out: []ValType{F32}},
	0x92: {name: "f32.add", imm: immNone, in: []ValType{F32, F32}, out: []ValType{F32}},
	0x93: {name: "f32.sub", imm: immNone, in: []ValType{F32, F32}, out: []ValType{F32}},
	0x94: {name: "f32.mul", imm: immNone, in: []ValType{F32, F32}, out: []ValType{F32}},
	0x95: {name: "f32.div", imm: immNone, in: []ValType{F32, F32}, out: []ValType{F32}},
	0x96: {name: "f32.min", imm: immNone, in: []ValType{F32, F32}, out: []ValType{F32}},
	0x97: {name: "f32.max", imm: immNone, in: []ValType{F32, F32}, out: []ValType{F32}},
	0x98: {name: "f32.copysign", imm: immNone, in: []ValType{F32, F32}, out: []ValType{F32}},
	0x99: {name: "f64.abs", imm: immNone, in: []ValType{F64}, out: []ValType{F64}},
	0x9A: {name: "f64.neg", imm: immNone, in: []ValType{F64}, out: []ValType{F64}},
	0x9B: {name: "f64.ceil", imm: immNone, in: []ValType{F64}, out: []ValType{F64}},
	0x9C: {name: "f64.floor", imm: immNone, in: []ValType{F64}, out: []ValType{F64}},
	0x9D: {name: "f64.trunc", imm: immNone, in: []ValType{F64}, out: []ValType{F64}},
	0x9E: {name: "f64.nearest", imm: immNone, in: []ValType{F64}, out: []ValType{F64}},
	0x9F: {name: "f64.sqrt", imm: immNone, in: []ValType{F64}, out: []ValType{F64}},
	0xA0: {name: "f64.add", imm: immNone, in: []ValType{F64, F64}, out: []ValType{F64}},
	0xA1: {name: "f64.sub", imm: immNone, in: []ValType{F64, F64}, out: []ValType{F64}},
	0xA2: {name: "f64.mul", imm: immNone, in: []ValType{F64, F64}, out: []ValType{F64}},
	0xA3: {name: "f64.div", imm: immNone, in: []ValType{F64, F64}, out: []ValType{F64}},
	0xA4: {name: "f64.min", imm: immNone, in: []ValType{F64, F64}, out: []ValType{F64}},
	0xA5: {name: "f64.max", imm: immNone, in: []ValType{F64, F64}, out: []ValType{F64}},
	0xA6: {name: "f64.copysign", imm: immNone, in: []ValType{F64, F64}, out: []ValType{F64}},
	0xA7: {name: "i32.wrap_i64", imm: immNone, in: []ValType{I64}, out: []ValType{I32}},
	0xA8: {name: "i32.trunc_f32_s", imm: immNone, in: []ValType{F32}, out: []ValType{I32}},
	0xA9: {name: "i32.trunc_f32_u", imm: immNone, in: []ValType{F32}, out: []ValType{I32}},
	0xAA: {name: "i32.trunc_f64_s", imm: immNone, in: []ValType{F64}, out: []ValType{I32}},
	0xAB: {name: "i32.trunc_f64_u", imm: immNone, in: []ValType{F64}, out: []ValType{I32}},
	0xAC: {name: "i64.extend_i32_s", imm: immNone, in: []ValType{I32}, out: []ValType{I64}},
	0xAD: {name: "i64.extend_i32_u", imm: immNone, in: []ValType{I32}, out: []ValType{I64}},
	0xAE: {name: "i64.trunc_f32_s", imm: immNone, in: []ValType{F32}, out: []ValType{I64}},
	0xAF: {name: "i64.trunc_f32_u", imm: immNone, in: []ValType{F32}, out: []ValType{I64}},
	0xB0: {name: "i64.trunc_f64_s", imm: immNone, in: []ValType{F64}, out: []ValType{I64}},
	0xB1: {name: "i64.trunc_f64_u", imm: immNone, in: []ValType{F64}, out: []ValType{I64}},
	0xB2: {name: "f32.convert_i32_s", imm: immNone, in: []ValType{I32}, out: []ValType{F32}},
	0xB3: {name: "f32.convert_i32_u", imm: immNone, in: []ValType{I32}, out: []ValType{F32}},
	0xB4: {name: "f32.convert_i64_s", imm: immNone, in: []ValType{I64}, out: []ValType{F32}},
	0xB5: {name: "f32.convert_i64_u", imm: immNone, in: []ValType{I64}, out: []ValType{F32}},
	0xB6: {name: "f32.demote_f64", imm: immNone, in: []ValType{F64}, out: []ValType{F32}},
	0xB7: {name: "f64.convert_i32_s", imm: immNone, in: []ValType{I32}, out: []ValType{F64}},
	0xB8: {name: "f64.convert_i32_u", imm: immNone, in: []ValType{I32}, out: []ValType{F64}},
	0xB9: {name: "f64.convert_i64_s", imm: immNone, in: []ValType{I64}, out: []ValType{F64}},
	0xBA: {name: "f64.convert_i64_u", imm: immNone, in: []ValType{I64}, out: []ValType{F64}},
	0xBB: {name: "f64.promote_f32", imm: immNone, in: []ValType{F32}, out: []ValType{F64}},
	0xBC: {name: "i32.reinterpret_f32", imm: immNone, in: []ValType{F32}, out: []ValType{I32}},
	0xBD: {name: "i64.reinterpret_f64", imm: immNone, in: []ValType{F64}, out: []ValType{I64}},
	0xBE: {name: "f32.reinterpret_i32", imm: immNone, in: []ValType{I32}, out: []ValType{F32}},
	0xBF: {name: "f64.reinterpret_i64", imm: immNone, in: []ValType{I64}, out: []ValType{F64}},
	0xC0: {name: "i32.extend8_s", imm: immNone, in: []ValType{I32}, out: []ValType{I32}},
	0xC1: {name: "i32.extend16_s", imm: immNone, in: []ValType{I32}, out: []ValType{I32}},
	0xC2: {name: "i64.extend8_s", imm: immNone, in: []ValType{I64}, out: []ValType{I64}},
	0xC3: {name: "i64.extend16_s", imm: immNone, in: []ValType{I64}, out: []ValType{I64}},
	0xC4: {name: "i64.extend32_s", imm: immNone, in: []ValType{I64}, out: []ValType{I64}},
	0xD0: {name: "ref.null", imm: immRefType, special: true},
	0xD1: {name: "ref.is_null", imm: immNone, special: true},
	0xD2: {name: "ref.func", imm: immFunc, special: true},
}

var opsFC = [256]opInfo{
	0x00: {name: "i32.trunc_sat_f32_s", imm: immNone, in: []ValType{F32}, out: []ValType{I32}},
	0x01: {name: "i32.trunc_sat_f32_u", imm: immNone, in: []ValType{F32}, out: []ValType{I32}},
	0x02: {name: "i32.trunc_sat_f64_s", imm: immNone, in: []ValType{F64}, out: []ValType{I32}},
	0x03: {name: "i32.trunc_sat_f64_u", imm: immNone, in: []ValType{F64}, out: []ValType{I32}},
	0x04: {name: "i64.trunc_sat_f32_s", imm: immNone, in: []ValType{F32}, out: []ValType{I64}},
	0x05: {name: "i64.trunc_sat_f32_u", imm: immNone, in: []ValType{F32}, out: []ValType{I64}},
	0x06: {name: "i64.trunc_sat_f64_s", imm: immNone, in: []ValType{F64}, out: []ValType{I64}},
	0x07: {name: "i64.trunc_sat_f64_u", imm: immNone, in: []ValType{F64}, out: []ValType{I64}},
	0x08: {name: "memory.init", imm: immMemInit, in: []ValType{I32, I32, I32}, out: nil},
	0x09: {name: "data.drop", imm: immData, in: nil, out: nil},
	0x0A: {name: "memory.copy", imm: immMemCopy, in: []ValType{I32, I32, I32}, out: nil},
	0x0B: {name: "memory.fill", imm: immMemZero, in: []ValType{I32, I32, I32}, out: nil},
	0x0C: {name: "table.init", imm: immTableInit, in: []ValType{I32, I32, I32}, out: nil},
	0x0D: {name: "elem.drop", imm: immElem, in: nil, out: nil},
	0x0E: {name: "table.copy", imm: immTableCopy, in: []ValType{I32, I32, I32}, out: nil},
	0x0F: {name: "table.grow", imm: immTable, special: true},
	0x10: {name: "table.size", imm: immTable, in: nil, out: []ValType{I32}},
	0x11: {name: "table.fill", imm: immTable, special: true},
}

var opsFD = [256]opInfo{
	0x00: {name: "v128.load", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 4},
	0x01: {name: "v128.load8x8_s", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 3},
	0x02: {name: "v128.load8x8_u", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 3},
	0x03: {name: "v128.load16x4_s", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 3},
	0x04: {name: "v128.load16x4_u", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 3},
	0x05: {name: "v128.load32x2_s", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 3},
	0x06: {name: "v128.load32x2_u", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 3},
	0x07: {name: "v128.load8_splat", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 0},
	0x08: {name: "v128.load16_splat", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 1},
	0x09: {name: "v128.load32_splat", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 2},
	0x0A: {name: "v128.load64_splat", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 3},
	0x0B: {name: "v128.store", imm: immMemArg, in: []ValType{I32, V128}, out: nil, align: 4},
	0x0C: {name: "v128.const", imm: immV128, in: nil, out: []ValType{V128}},
	0x0D: {name: "i8x16.shuffle", imm: immShuffle, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x0E: {name: "i8x16.swizzle", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x0F: {name: "i8x16.splat", imm: immNone, in: []ValType{I32}, out: []ValType{V128}},
	0x10: {name: "i16x8.splat", imm: immNone, in: []ValType{I32}, out: []ValType{V128}},
	0x11: {name: "i32x4.splat", imm: immNone, in: []ValType{I32}, out: []ValType{V128}},
	0x12: {name: "i64x2.splat", imm: immNone, in: []ValType{I64}, out: []ValType{V128}},
	0x13: {name: "f32x4.splat", imm: immNone, in: []ValType{F32}, out: []ValType{V128}},
	0x14: {name: "f64x2.splat", imm: immNone, in: []ValType{F64}, out: []ValType{V128}},
	0x15: {name: "i8x16.extract_lane_s", imm: immLane, in: []ValType{V128}, out: []ValType{I32}, lanes: 16},
	0x16: {name: "i8x16.extract_lane_u", imm: immLane, in: []ValType{V128}, out: []ValType{I32}, lanes: 16},
	0x17: {name: "i8x16.replace_lane", imm: immLane, in: []ValType{V128, I32}, out: []ValType{V128}, lanes: 16},
	0x18: {name: "i16x8.extract_lane_s", imm: immLane, in: []ValType{V128}, out: []ValType{I32}, lanes: 8},
	0x19: {name: "i16x8.extract_lane_u", imm: immLane, in: []ValType{V128}, out: []ValType{I32}, lanes: 8},
	0x1A: {name: "i16x8.replace_lane", imm: immLane, in: []ValType{V128, I32}, out: []ValType{V128}, lanes: 8},
	0x1B: {name: "i32x4.extract_lane", imm: immLane, in: []ValType{V128}, out: []ValType{I32}, lanes: 4},
	0x1C: {name: "i32x4.replace_lane", imm: immLane, in: []ValType{V128, I32}, out: []ValType{V128}, lanes: 4},
	0x1D: {name: "i64x2.extract_lane", imm: immLane, in: []ValType{V128}, out: []ValType{I64}, lanes: 2},
	0x1E: {name: "i64x2.replace_lane", imm: immLane, in: []ValType{V128, I64}, out: []ValType{V128}, lanes: 2},
	0x1F: {name: "f32x4.extract_lane", imm: immLane, in: []ValType{V128}, out: []ValType{F32}, lanes: 4},
	0x20: {name: "f32x4.replace_lane", imm: immLane, in: []ValType{V128, F32}, out: []ValType{V128}, lanes: 4},
	0x21: {name: "f64x2.extract_lane", imm: immLane, in: []ValType{V128}, out: []ValType{F64}, lanes: 2},
	0x22: {name: "f64x2.replace_lane", imm: immLane, in: []ValType{V128, F64}, out: []ValType{V128}, lanes: 2},
	0x23: {name: "i8x16.eq", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x24: {name: "i8x16.ne", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x25: {name: "i8x16.lt_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x26: {name: "i8x16.lt_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x27: {name: "i8x16.gt_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x28: {name: "i8x16.gt_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x29: {name: "i8x16.le_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x2A: {name: "i8x16.le_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x2B: {name: "i8x16.ge_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x2C: {name: "i8x16.ge_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x2D: {name: "i16x8.eq", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x2E: {name: "i16x8.ne", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x2F: {name: "i16x8.lt_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x30: {name: "i16x8.lt_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x31: {name: "i16x8.gt_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x32: {name: "i16x8.gt_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x33: {name: "i16x8.le_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x34: {name: "i16x8.le_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x35: {name: "i16x8.ge_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x36: {name: "i16x8.ge_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x37: {name: "i32x4.eq", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x38: {name: "i32x4.ne", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x39: {name: "i32x4.lt_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x3A: {name: "i32x4.lt_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x3B: {name: "i32x4.gt_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x3C: {name: "i32x4.gt_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x3D: {name: "i32x4.le_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x3E: {name: "i32x4.le_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x3F: {name: "i32x4.ge_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x40: {name: "i32x4.ge_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x41: {name: "f32x4.eq", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x42: {name: "f32x4.ne", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x43: {name: "f32x4.lt", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x44: {name: "f32x4.gt", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x45: {name: "f32x4.le", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x46: {name: "f32x4.ge", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x47: {name: "f64x2.eq", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x48: {name: "f64x2.ne", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x49: {name: "f64x2.lt", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x4A: {name: "f64x2.gt", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x4B: {name: "f64x2.le", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x4C: {name: "f64x2.ge", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x4D: {name: "v128.not", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x4E: {name: "v128.and", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x4F: {name: "v128.andnot", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x50: {name: "v128.or", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x51: {name: "v128.xor", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x52: {name: "v128.bitselect", imm: immNone, in: []ValType{V128, V128, V128}, out: []ValType{V128}},
	0x53: {name: "v128.any_true", imm: immNone, in: []ValType{V128}, out: []ValType{I32}},
	0x54: {name: "v128.load8_lane", imm: immMemLane, in: []ValType{I32, V128}, out: []ValType{V128}, align: 0, lanes: 16},
	0x55: {name: "v128.load16_lane", imm: immMemLane, in: []ValType{I32, V128}, out: []ValType{V128}, align: 1, lanes: 8},
	0x56: {name: "v128.load32_lane", imm: immMemLane, in: []ValType{I32, V128}, out: []ValType{V128}, align: 2, lanes: 4},
	0x57: {name: "v128.load64_lane", imm: immMemLane, in: []ValType{I32, V128}, out: []ValType{V128}, align: 3, lanes: 2},
	0x58: {name: "v128.store8_lane", imm: immMemLane, in: []ValType{I32, V128}, out: nil, align: 0, lanes: 16},
	0x59: {name: "v128.store16_lane", imm: immMemLane, in: []ValType{I32, V128}, out: nil, align: 1, lanes: 8},
	0x5A: {name: "v128.store32_lane", imm: immMemLane, in: []ValType{I32, V128}, out: nil, align: 2, lanes: 4},
	0x5B: {name: "v128.store64_lane", imm: immMemLane, in: []ValType{I32, V128}, out: nil, align: 3, lanes: 2},
	0x5C: {name: "v128.load32_zero", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 2},
	0x5D: {name: "v128.load64_zero", imm: immMemArg, in: []ValType{I32}, out: []ValType{V128}, align: 3},
	0x5E: {name: "f32x4.demote_f64x2_zero", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x5F: {name: "f64x2.promote_low_f32x4", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x60: {name: "i8x16.abs", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x61: {name: "i8x16.neg", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x62: {name: "i8x16.popcnt", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x63: {name: "i8x16.all_true", imm: immNone, in: []ValType{V128}, out: []ValType{I32}},
	0x64: {name: "i8x16.bitmask", imm: immNone, in: []ValType{V128}, out: []ValType{I32}},
	0x65: {name: "i8x16.narrow_i16x8_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x66: {name: "i8x16.narrow_i16x8_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x67: {name: "f32x4.ceil", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x68: {name: "f32x4.floor", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x69: {name: "f32x4.trunc", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x6A: {name: "f32x4.nearest", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x6B: {name: "i8x16.shl", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0x6C: {name: "i8x16.shr_s", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0x6D: {name: "i8x16.shr_u", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0x6E: {name: "i8x16.add", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x6F: {name: "i8x16.add_sat_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x70: {name: "i8x16.add_sat_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x71: {name: "i8x16.sub", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x72: {name: "i8x16.sub_sat_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x73: {name: "i8x16.sub_sat_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x74: {name: "f64x2.ceil", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x75: {name: "f64x2.floor", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x76: {name: "i8x16.min_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x77: {name: "i8x16.min_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x78: {name: "i8x16.max_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x79: {name: "i8x16.max_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x7A: {name: "f64x2.trunc", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x7B: {name: "i8x16.avgr_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x7C: {name: "i16x8.extadd_pairwise_i8x16_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x7D: {name: "i16x8.extadd_pairwise_i8x16_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x7E: {name: "i32x4.extadd_pairwise_i16x8_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x7F: {name: "i32x4.extadd_pairwise_i16x8_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x80: {name: "i16x8.abs", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x81: {name: "i16x8.neg", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x82: {name: "i16x8.q15mulr_sat_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x83: {name: "i16x8.all_true", imm: immNone, in: []ValType{V128}, out: []ValType{I32}},
	0x84: {name: "i16x8.bitmask", imm: immNone, in: []ValType{V128}, out: []ValType{I32}},
	0x85: {name: "i16x8.narrow_i32x4_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x86: {name: "i16x8.narrow_i32x4_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x87: {name: "i16x8.extend_low_i8x16_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x88: {name: "i16x8.extend_high_i8x16_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x89: {name: "i16x8.extend_low_i8x16_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x8A: {name: "i16x8.extend_high_i8x16_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x8B: {name: "i16x8.shl", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0x8C: {name: "i16x8.shr_s", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0x8D: {name: "i16x8.shr_u", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0x8E: {name: "i16x8.add", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x8F: {name: "i16x8.add_sat_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x90: {name: "i16x8.add_sat_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x91: {name: "i16x8.sub", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x92: {name: "i16x8.sub_sat_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x93: {name: "i16x8.sub_sat_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x94: {name: "f64x2.nearest", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0x95: {name: "i16x8.mul", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x96: {name: "i16x8.min_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x97: {name: "i16x8.min_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x98: {name: "i16x8.max_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x99: {name: "i16x8.max_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x9B: {name: "i16x8.avgr_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x9C: {name: "i16x8.extmul_low_i8x16_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x9D: {name: "i16x8.extmul_high_i8x16_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x9E: {name: "i16x8.extmul_low_i8x16_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0x9F: {name: "i16x8.extmul_high_i8x16_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xA0: {name: "i32x4.abs", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xA1: {name: "i32x4.neg", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xA3: {name: "i32x4.all_true", imm: immNone, in: []ValType{V128}, out: []ValType{I32}},
	0xA4: {name: "i32x4.bitmask", imm: immNone, in: []ValType{V128}, out: []ValType{I32}},
	0xA7: {name: "i32x4.extend_low_i16x8_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xA8: {name: "i32x4.extend_high_i16x8_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xA9: {name: "i32x4.extend_low_i16x8_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xAA: {name: "i32x4.extend_high_i16x8_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xAB: {name: "i32x4.shl", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0xAC: {name: "i32x4.shr_s", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0xAD: {name: "i32x4.shr_u", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0xAE: {name: "i32x4.add", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xB1: {name: "i32x4.sub", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xB5: {name: "i32x4.mul", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xB6: {name: "i32x4.min_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xB7: {name: "i32x4.min_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xB8: {name: "i32x4.max_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xB9: {name: "i32x4.max_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xBA: {name: "i32x4.dot_i16x8_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xBC: {name: "i32x4.extmul_low_i16x8_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xBD: {name: "i32x4.extmul_high_i16x8_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xBE: {name: "i32x4.extmul_low_i16x8_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xBF: {name: "i32x4.extmul_high_i16x8_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xC0: {name: "i64x2.abs", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xC1: {name: "i64x2.neg", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xC3: {name: "i64x2.all_true", imm: immNone, in: []ValType{V128}, out: []ValType{I32}},
	0xC4: {name: "i64x2.bitmask", imm: immNone, in: []ValType{V128}, out: []ValType{I32}},
	0xC7: {name: "i64x2.extend_low_i32x4_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xC8: {name: "i64x2.extend_high_i32x4_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xC9: {name: "i64x2.extend_low_i32x4_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xCA: {name: "i64x2.extend_high_i32x4_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xCB: {name: "i64x2.shl", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0xCC: {name: "i64x2.shr_s", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0xCD: {name: "i64x2.shr_u", imm: immNone, in: []ValType{V128, I32}, out: []ValType{V128}},
	0xCE: {name: "i64x2.add", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xD1: {name: "i64x2.sub", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xD5: {name: "i64x2.mul", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xD6: {name: "i64x2.eq", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xD7: {name: "i64x2.ne", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xD8: {name: "i64x2.lt_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xD9: {name: "i64x2.gt_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xDA: {name: "i64x2.le_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xDB: {name: "i64x2.ge_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xDC: {name: "i64x2.extmul_low_i32x4_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xDD: {name: "i64x2.extmul_high_i32x4_s", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xDE: {name: "i64x2.extmul_low_i32x4_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xDF: {name: "i64x2.extmul_high_i32x4_u", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xE0: {name: "f32x4.abs", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xE1: {name: "f32x4.neg", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xE3: {name: "f32x4.sqrt", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xE4: {name: "f32x4.add", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xE5: {name: "f32x4.sub", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xE6: {name: "f32x4.mul", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xE7: {name: "f32x4.div", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xE8: {name: "f32x4.min", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xE9: {name: "f32x4.max", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xEA: {name: "f32x4.pmin", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xEB: {name: "f32x4.pmax", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xEC: {name: "f64x2.abs", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xED: {name: "f64x2.neg", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xEF: {name: "f64x2.sqrt", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xF0: {name: "f64x2.add", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xF1: {name: "f64x2.sub", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xF2: {name: "f64x2.mul", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xF3: {name: "f64x2.div", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xF4: {name: "f64x2.min", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xF5: {name: "f64x2.max", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xF6: {name: "f64x2.pmin", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xF7: {name: "f64x2.pmax", imm: immNone, in: []ValType{V128, V128}, out: []ValType{V128}},
	0xF8: {name: "i32x4.trunc_sat_f32x4_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xF9: {name: "i32x4.trunc_sat_f32x4_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xFA: {name: "f32x4.convert_i32x4_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xFB: {name: "f32x4.convert_i32x4_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xFC: {name: "i32x4.trunc_sat_f64x2_s_zero", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xFD: {name: "i32x4.trunc_sat_f64x2_u_zero", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xFE: {name: "f64x2.convert_low_i32x4_s", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
	0xFF: {name: "f64x2.convert_low_i32x4_u", imm: immNone, in: []ValType{V128}, out: []ValType{V128}},
}
