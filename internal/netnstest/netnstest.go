//go:build linux

// Package netnstest is what the tests of live capture share to run in a
// network namespace of their own: one lock for the ipl-* namespaces, a
// namespace with a veth pair, and re-running a test inside it. For tests
// only (root).
package netnstest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Lock holds the ipl-* namespaces for the test, waiting up to 5 minutes
// for another test binary (packages' tests run in parallel) to let go.
func Lock(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "ipsecpcap-ipl-netns.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Minute); ; {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			t.Fatalf("locking the ipl-* namespaces: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Cleanup(func() { f.Close() })
}

// Veth makes the network namespace ns (deleting a leftover one of that
// name first) with its loopback and a veth pair a0/a1 up, and deletes it
// when the test ends.
func Veth(t *testing.T, ns, a0, a1 string) {
	t.Helper()
	ip := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	exec.Command("ip", "netns", "del", ns).Run()
	ip("netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ip("-n", ns, "link", "set", "lo", "up")
	ip("-n", ns, "link", "add", a0, "type", "veth", "peer", "name", a1)
	ip("-n", ns, "link", "set", a0, "up")
	ip("-n", ns, "link", "set", a1, "up")
}

// Rerun runs the test named test of this test binary again inside ns
// (behind the argv prefix wrap, e.g. setpriv), with env added, within
// limit, and fails unless it passed; it returns the child's output.
func Rerun(t *testing.T, ns, test string, limit time.Duration, env []string, wrap ...string) string {
	t.Helper()
	args := append([]string{"netns", "exec", ns}, wrap...)
	args = append(args, os.Args[0], "-test.run", "^"+test+"$", "-test.v", "-test.count=1")
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS: "+test)) {
		t.Fatalf("%s in %s: %v\n%s", test, ns, err, out)
	}
	return string(out)
}
