//go:build linux

package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

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
