package guesttest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// runWith runs a WASI-only guest with the given stdin and file-system
// root, returning stdout.
func runWith(t *testing.T, rt wazero.Runtime, file string, args []string, stdin []byte, root string) string {
	t.Helper()
	ctx := context.Background()
	bin, err := os.ReadFile(Path(file))
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	cfg := wazero.NewModuleConfig().WithName("").
		WithStdin(bytes.NewReader(stdin)).WithStdout(&out).WithStderr(&errOut).
		WithArgs(append([]string{strings.TrimSuffix(filepath.Base(file), ".wasm")}, args...)...)
	cfg = (&fakeClock{}).config(cfg)
	if root != "" {
		cfg = cfg.WithFSConfig(wazero.NewFSConfig().WithDirMount(root, "/"))
	}
	mod, err := rt.InstantiateWithConfig(ctx, bin, cfg)
	if err != nil {
		t.Fatalf("%s %v: %v; stderr %q", file, args, err, errOut.String())
	}
	mod.Close(ctx)
	return out.String()
}

// TestPipelineStages runs producer | filter | consumer by hand (the
// pipeline guest itself needs fork and pipes, so it runs under dosemu).
func TestPipelineStages(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(ctx)
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)

	p := runWith(t, rt, "proc/producer.wasm", []string{"20"}, nil, "")
	if !strings.HasPrefix(p, "item 1\nitem 2\n") || strings.Count(p, "\n") != 20 {
		t.Fatalf("producer printed %q", p)
	}
	f := runWith(t, rt, "proc/filter.wasm", nil, []byte(p), "")
	if !strings.HasPrefix(f, "item 2 4\nitem 4 16\n") || strings.Count(f, "\n") != 10 {
		t.Fatalf("filter printed %q", f)
	}
	// 2² + 4² + ... + 20² = 4 (1² + ... + 10²) = 1540
	if c := runWith(t, rt, "proc/consumer.wasm", nil, []byte(f), ""); c != "consumer: 10 items, sum of squares 1540\n" {
		t.Errorf("consumer printed %q", c)
	}
}

// TestWriterReader runs the file pair on one file system (under dosemu
// the reader goes through /net/<computer>/...).
func TestWriterReader(t *testing.T) {
	ctx := context.Background()
	rt := newRuntime(ctx)
	defer rt.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	root := t.TempDir()

	w := runWith(t, rt, "files/writer.wasm", []string{"/shared/note.txt", "3"}, nil, root)
	if !strings.HasPrefix(w, "writer: wrote 3 lines to /shared/note.txt") || !strings.Contains(w, "sum of squares 14") {
		t.Errorf("writer printed %q", w)
	}
	want := "line 1 of 3: the square of 1 is 1\nline 2 of 3: the square of 2 is 4\nline 3 of 3: the square of 3 is 9\nEND\n"
	got, err := os.ReadFile(filepath.Join(root, "shared", "note.txt"))
	if err != nil || string(got) != want {
		t.Fatalf("file holds %q (%v), want %q", got, err, want)
	}
	r := runWith(t, rt, "files/reader.wasm", []string{"/shared/note.txt"}, nil, root)
	if !strings.HasPrefix(r, "reader: /shared/note.txt has 4 lines (") || !strings.HasSuffix(r, ":\n"+want) {
		t.Errorf("reader printed %q", r)
	}
}
