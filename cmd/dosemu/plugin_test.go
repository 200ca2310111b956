package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildLottery builds the example plugin into dir.
func buildLottery(t *testing.T, dir string) string {
	t.Helper()
	exe := filepath.Join(dir, "lottery")
	if b, err := exec.Command("go", "build", "-o", exe, "../dosemu-sched-lottery").CombinedOutput(); err != nil {
		t.Fatalf("building the lottery plugin: %v\n%s", err, b)
	}
	return exe
}

// children lists the pids whose parent is pid (from /proc).
func children(pid int) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		c, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The parent is the 2nd field after the parenthesised command.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			out = append(out, c)
		}
	}
	return out
}

func TestBootSchedPlugin(t *testing.T) {
	exe := buildLottery(t, t.TempDir())
	args := []string{"boot", "--computers", "2", "--seed", "3", guest("spin"), guest("spin"), guest("primes")}
	code, plugOut, errs := dosemu(t, append([]string{"boot", "--sched", exe}, args[1:]...)...)
	if code != 0 || errs != "" {
		t.Fatalf("boot --sched %s: exit %d: %s", exe, code, errs)
	}
	_, builtinOut, _ := dosemu(t, append([]string{"boot", "--sched", "lottery"}, args[1:]...)...)
	if plugOut != builtinOut {
		t.Errorf("the plugin's run differs from the built-in lottery's:\n%s\n---\n%s", plugOut, builtinOut)
	}
	if code, _, errs := dosemu(t, "boot", "--sched", "./nosuch/plugin", guest("hello")); code != exitUsage || !strings.Contains(errs, "nosuch/plugin") {
		t.Errorf("missing plugin: exit %d: %s", code, errs)
	}
	if code, _, errs := dosemu(t, "boot", "--balancer", "nosuch", guest("hello")); code != exitUsage || !strings.Contains(errs, "least-loaded") {
		t.Errorf("unknown balancer: exit %d: %s", code, errs)
	}
	if code, out, errs := dosemu(t, "boot", "--computers", "3", "--balancer", "least-loaded", guest("hello"), guest("hello")); code != 0 || !strings.Contains(out, "c1:2") || errs != "" {
		t.Errorf("least-loaded placement: exit %d:\n%s%s", code, out, errs)
	}
}

// Ctrl-C while a plugin runs leaves no plugin process behind.
func TestBootSchedPluginCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds dosemu and a plugin")
	}
	dir := t.TempDir()
	exe := buildLottery(t, dir)
	cmd := exec.Command(binary(t), "boot", "--sched", exe, guest("spin"), guest("spin"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var plugins []int
	for i := 0; i < 200 && len(plugins) == 0; i++ {
		time.Sleep(20 * time.Millisecond)
		plugins = children(cmd.Process.Pid)
	}
	if len(plugins) == 0 {
		_ = cmd.Process.Kill()
		t.Fatal("no plugin process appeared")
	}
	_ = cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
		t.Errorf("after Ctrl-C: %v, want exit %d\n%s", err, exitInterrupted, out.String())
	}
	for _, pid := range plugins {
		if syscall.Kill(pid, 0) == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Errorf("plugin pid %d outlived dosemu", pid)
		}
	}
}
