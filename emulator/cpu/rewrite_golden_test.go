package cpu

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"dosemu/emulator/wasm"
)

// The rewrite's output is pinned by hash so that work on the rewriter's
// speed cannot silently change what it produces. A deliberate change to the
// generated code regenerates the list:
//
//	go test ./emulator/cpu -run TestRewriteGolden -update-rewrite-golden
var updateRewriteGolden = flag.Bool("update-rewrite-golden", false, "rewrite testdata/rewrite_golden.txt from the current rewriter")

const rewriteGoldenFile = "testdata/rewrite_golden.txt"

// goldenInputs lists the modules whose rewrite is pinned: every guest in
// the repository, the package's test modules and every eighth module of the
// spec suite (when present), keyed by a stable name.
func goldenInputs(t *testing.T) map[string]string {
	t.Helper()
	in := map[string]string{}
	for _, pat := range []string{"../../guests/*.wasm", "../../guests/*/*.wasm", "testdata/*.wasm"} {
		files, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			in[strings.TrimPrefix(filepath.ToSlash(f), "../../")] = f
		}
	}
	if dir := specDir(); dir != "" {
		files, err := filepath.Glob(filepath.Join(dir, "*.wasm"))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(files)
		for i := 0; i < len(files); i += 8 {
			in["spec/"+filepath.Base(files[i])] = files[i]
		}
	}
	return in
}

// rewriteDigest hashes everything the rewrite hands on: the encoded module,
// the frame layouts, the captured globals and the counters. A module the
// pipeline refuses hashes its error text, so refusals are pinned too.
func rewriteDigest(bin []byte) string {
	h := sha256.New()
	m, err := wasm.Decode(bin)
	if err == nil {
		err = wasm.Validate(m)
	}
	var rw *Rewrite
	if err == nil {
		rw, err = Instrument(m)
	}
	var out []byte
	if err == nil {
		out, err = wasm.Encode(rw.Module)
	}
	if err != nil {
		fmt.Fprintf(h, "error: %v", err)
		return "err:" + hex.EncodeToString(h.Sum(nil))[:32]
	}
	h.Write(out)
	idx := make([]uint32, 0, len(rw.Frames))
	for f := range rw.Frames {
		idx = append(idx, f)
	}
	slices.Sort(idx)
	for _, f := range idx {
		fmt.Fprintf(h, "|f%d:%v", f, rw.Frames[f])
	}
	fmt.Fprintf(h, "|g%v|s%v|m%v|%d/%d/%d", rw.Globals, rw.HasStart, rw.HasMemory, rw.Sites, rw.Instrumented, rw.Leaves)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// TestRewriteGolden checks that the rewrite of every pinned module is
// byte-for-byte what the golden list records.
func TestRewriteGolden(t *testing.T) {
	inputs := goldenInputs(t)
	got := map[string]string{}
	for name, path := range inputs {
		bin, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got[name] = rewriteDigest(bin)
	}
	if *updateRewriteGolden {
		names := make([]string, 0, len(got))
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		var b strings.Builder
		b.WriteString("# module digest (see rewrite_golden_test.go; regenerate with -update-rewrite-golden)\n")
		for _, n := range names {
			fmt.Fprintf(&b, "%s %s\n", n, got[n])
		}
		if err := os.WriteFile(rewriteGoldenFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(rewriteGoldenFile)
	if err != nil {
		t.Fatalf("golden list: %v (regenerate with -update-rewrite-golden)", err)
	}
	defer f.Close()
	checked := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, want, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("golden list: malformed line %q", line)
		}
		g, present := got[name]
		if !present {
			// A guest not built here or a spec suite not in the module
			// cache: nothing to compare.
			continue
		}
		checked++
		if g != want {
			t.Errorf("%s: rewrite digest %s, golden %s (if the generated code changed on purpose, regenerate with -update-rewrite-golden)", name, g, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no pinned module was found to compare")
	}
}
