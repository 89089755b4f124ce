//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// vethNamespace makes the network namespace ns (deleting a leftover one of
// that name first) with its loopback and a veth pair a0/a1 up, and deletes
// it when the test ends.
func vethNamespace(t *testing.T, ns, a0, a1 string) {
	t.Helper()
	ipc := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	exec.Command("ip", "netns", "del", ns).Run()
	ipc("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ipc("-n", ns, "link", "set", "lo", "up")
	ipc("-n", ns, "link", "add", a0, "type", "veth", "peer", "name", a1)
	ipc("-n", ns, "link", "set", a0, "up")
	ipc("-n", ns, "link", "set", a1, "up")
}

// rerunInNamespace runs the test named test of this test binary again
// inside ns, with env added, within limit, and fails unless it passed.
func rerunInNamespace(t *testing.T, ns, test string, limit time.Duration, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns, os.Args[0], "-test.run", "^"+test+"$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+test)) {
		t.Fatalf("in %s: %v\n%s", ns, err, out)
	}
	t.Logf("%s", out)
}

// buildIpsecpcap builds the command into dir with the live capture backend
// of this test binary (the libpcap tag when it has it), and returns its
// path.
func buildIpsecpcap(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "ipsecpcap")
	build := []string{"build", "-o", bin}
	if capture.LiveBackend == "libpcap" {
		build = append(build, "-tags", "libpcap") // test what this build captures with
	}
	if out, err := exec.Command("go", append(build, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
