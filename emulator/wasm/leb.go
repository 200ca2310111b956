package wasm

// LEB128 reading and writing. Readers accept non-minimal (padded)
// encodings, which real toolchains emit, but enforce the spec's limits: at
// most ceil(N/7) bytes for an N-bit integer, and the unused bits of the
// last byte must be zero (unsigned) or copies of the sign bit (signed).

import "errors"

var (
	errUnexpectedEnd = errors.New("unexpected end of input")
	errLEBTooLong    = errors.New("integer representation too long")
	errLEBTooLarge   = errors.New("integer too large")
)

// readU32 decodes an unsigned 32-bit LEB128 at p[0:], returning the value
// and the number of bytes used.
func readU32(p []byte) (uint32, int, error) {
	if len(p) > 0 && p[0] < 0x80 {
		return uint32(p[0]), 1, nil
	}
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(p) {
			return 0, i, errUnexpectedEnd
		}
		b := p[i]
		if i == 4 {
			if b&0x80 != 0 {
				return 0, i + 1, errLEBTooLong
			}
			if b > 0x0F {
				return 0, i + 1, errLEBTooLarge
			}
		}
		v |= uint32(b&0x7F) << (7 * i)
		if b < 0x80 {
			return v, i + 1, nil
		}
	}
	return 0, 5, errLEBTooLong // unreachable: the loop returns at i == 4
}

// readSigned decodes a signed LEB128 of at most bits bits (32, 33 or 64).
func readSigned(p []byte, bits int) (int64, int, error) {
	maxBytes := (bits + 6) / 7
	var v int64
	shift := 0
	for i := 0; i < maxBytes; i++ {
		if i >= len(p) {
			return 0, i, errUnexpectedEnd
		}
		b := p[i]
		if i == maxBytes-1 {
			if b&0x80 != 0 {
				return 0, i + 1, errLEBTooLong
			}
			used := bits - shift // value bits carried by this byte, 1..7
			top := b >> (used - 1)
			if top != 0 && top != 0x7F>>(used-1) {
				return 0, i + 1, errLEBTooLarge
			}
		}
		v |= int64(b&0x7F) << shift
		shift += 7
		if b < 0x80 {
			if shift < 64 && b&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1, nil
		}
	}
	return 0, maxBytes, errLEBTooLong // unreachable
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7F)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// sizeU32 is the length of the minimal LEB128 encoding of v.
func sizeU32(v uint32) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
