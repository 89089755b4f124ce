package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const pskMismatch = "../../testdata/pcaps/lab/ikev1-main-psk-mismatch/capture.pcap"

func TestWantTUINotATerminal(t *testing.T) {
	var buf bytes.Buffer
	if wantTUI([]string{pskMismatch}, &buf) {
		t.Error("wantTUI on a buffer")
	}
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if wantTUI([]string{pskMismatch}, f) {
		t.Error("wantTUI on a regular file")
	}
}

// The UI-only flags are accepted when the text summary is printed.
func TestNoTUIPrintsSummary(t *testing.T) {
	for _, args := range [][]string{{"--no-tui", pskMismatch}, {pskMismatch, "--ascii"}} {
		var out, errb bytes.Buffer
		code := run(args, &out, &errb)
		if code != 1 || !strings.Contains(out.String(), "FAILURE  P1_AUTH_FAILED") {
			t.Errorf("%v: exit %d, stderr %q, stdout:\n%s", args, code, errb.String(), out.String())
		}
	}
}

// TestTUIInTmux runs the binary in a real terminal, reads the screen and
// navigates to the evidence.
func TestTUIInTmux(t *testing.T) {
	capture, _ := filepath.Abs(pskMismatch)
	keys, screen := startTUI(t, "ipsecpcap-tui-", capture)
	s := screen("P1_AUTH_FAILED")
	for _, want := range []string{"failed at MM5 (frame 6)", "pre-shared key differs", "MM5 mid=0", "×4"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q not on the first screen:\n%s", want, s)
		}
	}
	// Findings pane, enter: the evidence, enter: its details. The lab left
	// its keys beside the capture, so the evidence is the decrypted
	// PAYLOAD_MALFORMED answer to MM5.
	keys("Tab")
	keys("Enter")
	time.Sleep(200 * time.Millisecond)
	keys("Enter")
	s = screen("PLD_MAL")
	if !strings.Contains(s, "PAYLOAD_MALFORMED") || !strings.Contains(s, "[ HASH N(PLD_MAL) ]") || !strings.Contains(s, "decrypted") {
		t.Errorf("detail of the decrypted answer to MM5 not shown:\n%s", s)
	}
	if !strings.Contains(s, "(decrypted with the keys given)") || strings.Contains(s, "(not decrypted") {
		t.Errorf("the detail of a decrypted message says it was not:\n%s", s)
	}
	keys("q")
	s = screen("EXIT=")
	if !strings.Contains(s, "EXIT=1") {
		t.Errorf("exit status not 1 (a failure found):\n%s", s)
	}
}

// TestTUITwoCapturesInTmux: a bare `ipsecpcap a.pcap b.pcap` on a terminal
// opens one UI over the merged run, not the text of analyze.
func TestTUITwoCapturesInTmux(t *testing.T) {
	a, _ := filepath.Abs(labCapture("ikev2-ok"))
	b, _ := filepath.Abs(secondPoint)
	keys, screen := startTUI(t, "ipsecpcap-tui2-", fmt.Sprintf("%s %s", a, b))
	s := screen("PATH_LOSS")
	for _, want := range []string{"2 captures: capture.pcap + responder.pcap, clock +2.5s", "@1 ✗2", "#1:4"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q not on the first screen:\n%s", want, s)
		}
	}
	keys("q")
	if s = screen("EXIT="); !strings.Contains(s, "EXIT=1") {
		t.Errorf("exit status not 1 (a failure found):\n%s", s)
	}
}

// TestTUIWithLogsInTmux: a bare `ipsecpcap --log A --log B FILE` on a
// terminal opens the UI with the gateway logs on the ladder.
func TestTUIWithLogsInTmux(t *testing.T) {
	lab, _ := filepath.Abs("../../testdata/pcaps/lab/ikev1-ts-not-mirrored")
	keys, screen := startTUI(t, "ipsecpcap-tui-logs-", fmt.Sprintf("--no-keys --log %s/charon-initiator.log --log %s/charon-responder.log %s/capture.pcap", lab, lab, lab))
	s := screen("P2_TS_MISMATCH")
	for _, want := range []string{"2 logs", "logs: charon-initiator.log (I, ", "↳ logged: received by initiator :318", "log R:302"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q not on the first screen:\n%s", want, s)
		}
	}
	keys("q")
	s = screen("EXIT=")
	if !strings.Contains(s, "EXIT=1") {
		t.Errorf("exit status not 1 (a failure found):\n%s", s)
	}
}

// startTUI builds the binary and runs it with args (a shell fragment after
// the binary's path) in a detached 100×30 tmux session named after name,
// followed by "echo EXIT=$?". keys sends keys to the session; screen waits
// up to 5 s for want on the screen and returns the screen. Without tmux, or
// with -short, the test is skipped.
func startTUI(t *testing.T, name, args string) (keys func(keys ...string), screen func(want string) string) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	if testing.Short() {
		t.Skip("short")
	}
	bin := filepath.Join(t.TempDir(), "ipsecpcap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	session := fmt.Sprintf("%s%d", name, os.Getpid())
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", append([]string{"-L", session}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	shell := fmt.Sprintf("%s %s; echo EXIT=$?; sleep 30", bin, args)
	tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", "env", "TERM=xterm-256color", "sh", "-c", shell)
	t.Cleanup(func() { exec.Command("tmux", "-L", session, "kill-server").Run() })
	keys = func(keys ...string) { tmux(append([]string{"send-keys", "-t", session}, keys...)...) }
	screen = func(want string) string {
		var s string
		for range 50 {
			s = tmux("capture-pane", "-p", "-t", session)
			if strings.Contains(s, want) {
				return s
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%q not on screen:\n%s", want, s)
		return s
	}
	return keys, screen
}

// TestTUIStdinInTmux: `ipsecpcap - < capture` on a terminal opens the UI,
// the keys read from the terminal, and the detail of a frame comes from
// the run's frame store (standard input cannot be read again).
func TestTUIStdinInTmux(t *testing.T) {
	capture, _ := filepath.Abs(pskMismatch)
	keys, screen := startTUI(t, "ipsecpcap-tui-stdin-", fmt.Sprintf("--keys %s - < %s", filepath.Dir(capture), capture))
	s := screen("P1_AUTH_FAILED")
	if !strings.Contains(s, "failed at MM5 (frame 6)") {
		t.Errorf("the failure is not on the first screen:\n%s", s)
	}
	keys("Tab")
	keys("Enter")
	time.Sleep(200 * time.Millisecond)
	keys("Enter")
	s = screen("PLD_MAL")
	if !strings.Contains(s, "[ HASH N(PLD_MAL) ]") || !strings.Contains(s, "decrypted") {
		t.Errorf("detail of the decrypted answer to MM5 not shown:\n%s", s)
	}
	keys("q")
	if s = screen("EXIT="); !strings.Contains(s, "EXIT=1") {
		t.Errorf("exit status not 1 (a failure found):\n%s", s)
	}
}

// TestTUIPointInPiecesInTmux: a capture point named with --point and given
// as the pieces of a rotated capture opens one UI over one timeline.
func TestTUIPointInPiecesInTmux(t *testing.T) {
	dir := t.TempDir()
	splitInto(t, pskMismatch, dir, "cap", 3)
	keys, screen := startTUI(t, "ipsecpcap-tui-pieces-", fmt.Sprintf("--no-keys --point 'gw-a=%s/cap_*.pcap'", dir))
	s := screen("P1_AUTH_FAILED")
	if !strings.Contains(s, "ipsecpcap gw-a") || !strings.Contains(s, "12 frames") {
		t.Errorf("the header does not name the point and its frames:\n%s", s)
	}
	keys("q")
	if s = screen("EXIT="); !strings.Contains(s, "EXIT=1") {
		t.Errorf("exit status not 1 (a failure found):\n%s", s)
	}
}

// TestTUIComparisonInTmux: with the keys and both gateways' logs, the
// findings pane sets the traffic selectors each side proposed and was
// configured with next to each other and marks the difference.
func TestTUIComparisonInTmux(t *testing.T) {
	lab, _ := filepath.Abs("../../testdata/pcaps/lab/ikev2-ts-unacceptable")
	keys, screen := startTUI(t, "ipsecpcap-tui-compare-", fmt.Sprintf("--keys %s --log %s/charon-initiator.log --log %s/charon-responder.log %s/capture.pcap", lab, lab, lab, lab))
	screen("P2_TS_MISMATCH")
	keys("Tab") // from the Timeline to the Findings pane
	// Down its rows until the comparison's last side is on the screen.
	var s string
	for range 16 {
		keys("j")
		time.Sleep(150 * time.Millisecond)
		if s = screen("Findings"); strings.Contains(s, "matched peer config lab") {
			break
		}
	}
	s = strings.Join(strings.Fields(s), " ") // the pane wraps
	for _, want := range []string{"proposed: ≠ TSi 198.19.1.0-198.19.1.255", "refused: TS_UNACCEPTABLE", "configured: local 198.19.2.0/24 | ≠ remote"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q not in the findings pane:\n%s", want, s)
		}
	}
	keys("q")
	if s = screen("EXIT="); !strings.Contains(s, "EXIT=1") {
		t.Errorf("exit status not 1 (a failure found):\n%s", s)
	}
}
