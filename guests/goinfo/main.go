// Command goinfo is the demo's Go guest (GOOS=wasip1): it asks the dosemu
// host module who and where it is, then does some work (a prime sieve)
// and reports the virtual time it took.
//
// usage: goinfo [limit] (default 200000)
package main

import (
	"fmt"
	"os"
	"strconv"

	"dosemu/guests/sdk/go/dosemu"
)

func main() {
	limit := 200000
	if len(os.Args) > 1 {
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v < 2 {
			fmt.Fprintf(os.Stderr, "goinfo: bad limit %q: want an integer >= 2\n", os.Args[1])
			os.Exit(2)
		}
		limit = v
	}

	me, err := dosemu.Self()
	if err != nil {
		fmt.Fprintf(os.Stderr, "goinfo: dosemu.Self: %v\n", err)
		os.Exit(1)
	}
	count, mine, err := dosemu.Computers()
	if err != nil {
		fmt.Fprintf(os.Stderr, "goinfo: dosemu.Computers: %v\n", err)
		os.Exit(1)
	}
	name, err := dosemu.ComputerName(mine)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goinfo: dosemu.ComputerName(%d): %v\n", mine, err)
		os.Exit(1)
	}
	parent, _ := dosemu.Parent()
	fmt.Printf("goinfo: I am %v on computer %s (%d of %d), parent %v\n", me, name, mine, count, parent)

	start, _ := dosemu.Now()
	primes, last := sieve(limit)
	end, _ := dosemu.Now()
	fmt.Printf("goinfo: %d primes below %d, the largest %d; took %.3f ms of virtual time\n",
		primes, limit, last, float64(end-start)/1e6)
}

// sieve counts the primes below n with the sieve of Eratosthenes.
func sieve(n int) (count, largest int) {
	composite := make([]bool, n)
	for i := 2; i < n; i++ {
		if composite[i] {
			continue
		}
		count++
		largest = i
		for j := i * i; j < n; j += i {
			composite[j] = true
		}
	}
	return count, largest
}
