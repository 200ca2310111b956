// Command gowork is a Go (GOOS=wasip1) benchmark workload: it generates
// n pseudo-random records, sorts them, builds a map index, and hashes the
// result with SHA-256, so it exercises the Go runtime (allocation, GC,
// maps, interfaces) as well as plain arithmetic.
//
// usage: gowork [n] (default 200000); prints a checksum.
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strconv"
)

type record struct {
	key  uint64
	name string
}

func main() {
	n := 200000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 0 {
			fmt.Fprintf(os.Stderr, "gowork: bad size %q: want a non-negative integer\n", os.Args[1])
			os.Exit(2)
		}
		n = v
	}

	// A fixed xorshift stream rather than math/rand, so the output does not
	// depend on the runtime's seeding.
	x := uint64(0x9E3779B97F4A7C15)
	recs := make([]record, n)
	for i := range recs {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		recs[i] = record{key: x % 1000003, name: strconv.FormatUint(x, 36)}
	}
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].key != recs[j].key {
			return recs[i].key < recs[j].key
		}
		return recs[i].name < recs[j].name
	})

	index := make(map[uint64]int, n)
	for _, r := range recs {
		index[r.key]++
	}

	h := sha256.New()
	var buf [8]byte
	for _, r := range recs {
		binary.LittleEndian.PutUint64(buf[:], r.key)
		h.Write(buf[:])
		h.Write([]byte(r.name))
	}
	fmt.Printf("gowork %d: %d distinct keys, sha256 %x\n", n, len(index), h.Sum(nil))
}
