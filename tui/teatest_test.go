package tui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// Golden frames of the UI run as a bubbletea program by teatest.
//
// The frames are deterministic: the model is built on a run read to its
// end (no progress bar, no rate, no background ticks), drawn without
// colour at a fixed terminal size, and without keys (pipeline.Options{KeepFrames: true}),
// so nothing depends on the wall clock or on key files. Keys go through
// the program's message queue in order and the program is then told to
// quit, so the final model has seen every key; where a key starts a
// command (decoding a frame for the detail view), the test waits for its
// result on the terminal output before quitting. The frame is the final
// model's View. Update with: go test ./tui/ -run TestTeatest -update

const teaTimeout = 10 * time.Second

// teaKey is the message for a key as a user types it: "j", "tab", ...
func teaKey(k string) tea.KeyMsg {
	switch k {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// teaStart runs the UI on a lab capture, read to its end, in a w×h
// terminal.
func teaStart(t *testing.T, name string, w, h int) *teatest.TestModel {
	t.Helper()
	r, err := pipeline.Start(capturePath(name), pipeline.Options{KeepFrames: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	if err := r.RunToEnd(); err != nil {
		t.Fatal(err)
	}
	return teatest.NewTestModel(t, New(r, Options{NoColor: true}), teatest.WithInitialTermSize(w, h))
}

func teaPress(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(teaKey(k))
	}
}

// teaWaitFor waits until the terminal shows s.
func teaWaitFor(t *testing.T, tm *teatest.TestModel, s string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte(s))
	}, teatest.WithDuration(teaTimeout), teatest.WithCheckInterval(10*time.Millisecond))
}

// teaFrame quits the program and compares the final screen, w×h, with
// the golden file of the test.
func teaFrame(t *testing.T, tm *teatest.TestModel, w, h int) string {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	m, ok := tm.FinalModel(t, teatest.WithFinalTimeout(teaTimeout)).(*Model)
	if !ok {
		t.Fatal("final model is not a *Model")
	}
	v := m.View()
	if n := len(strings.Split(v, "\n")); n != h {
		t.Errorf("frame has %d lines, want %d", n, h)
	}
	checkFits(t, "frame", v, w, h)
	if strings.Contains(v, "\x1b") {
		t.Error("ANSI escape in a NO_COLOR frame")
	}
	golden.RequireEqual(t, []byte(v+"\n"))
	return v
}

func wantIn(t *testing.T, v string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(v, w) {
			t.Errorf("frame lacks %q:\n%s", w, v)
		}
	}
}

// Opening a failing capture shows the failure, its evidence and its first
// cause on the first screen, without a key.
func TestTeatestOpenFailing(t *testing.T) {
	tm := teaStart(t, "ikev1-main-psk-mismatch", 80, 24)
	// Drawn by the program on the terminal, not only by View.
	teaWaitFor(t, tm, "pre-shared key differs")
	v := teaFrame(t, tm, 80, 24)
	wantIn(t, v, "✗ #1", "failed at MM5 (frame 6)", "▸✗", "×4", "P1_AUTH_FAILED", "pre-shared key differs")
}

func TestTeatestNavigation(t *testing.T) {
	t.Run("timeline_k_k_k_j", func(t *testing.T) {
		// The cursor starts on the failure (frame 6): up past the
		// Informational header and MM5 to MM4, then down to MM5.
		tm := teaStart(t, "ikev1-main-psk-mismatch", 80, 24)
		teaPress(tm, "k", "k", "k", "j")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "▸✗  +0.012s #5")
	})
	t.Run("tab_findings", func(t *testing.T) {
		tm := teaStart(t, "ikev1-main-psk-mismatch", 80, 24)
		teaPress(tm, "tab")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "▸ Findings")
	})
	t.Run("tunnels_j_enter", func(t *testing.T) {
		// tab tab: the tunnels; j: the second tunnel; enter: its timeline.
		tm := teaStart(t, "ikev2-stale-spi", 80, 24)
		teaPress(tm, "tab", "tab", "j", "enter")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "▸   ✓ #2", "▸ Timeline  IKE SA #2")
	})
	t.Run("tunnels_n", func(t *testing.T) {
		// From the second tunnel (no failure), n wraps round to the
		// failure of the first.
		tm := teaStart(t, "ikev2-stale-spi", 80, 24)
		teaPress(tm, "tab", "tab", "j", "enter", "n")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "▸   ! #1", "▸ Timeline  IKE SA #1", "▸✗  +1.121s #6")
	})
	t.Run("failure_n_N", func(t *testing.T) {
		// From the top, n goes to the first failure, n to the next, N back.
		tm := teaStart(t, "ikev1-main-psk-mismatch", 80, 24)
		teaPress(tm, "g", "n", "n", "N")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "▸✗  +0.012s #5")
	})
}

func TestTeatestFilter(t *testing.T) {
	t.Run("typing", func(t *testing.T) {
		tm := teaStart(t, "ikev2-stale-spi", 80, 24)
		teaPress(tm, "/")
		tm.Type("esp_inv")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "/esp_inv")
	})
	t.Run("enter", func(t *testing.T) {
		tm := teaStart(t, "ikev2-stale-spi", 80, 24)
		teaPress(tm, "/")
		tm.Type("esp_invalid")
		teaPress(tm, "enter")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "filter", "Tunnels  1", "ESP_INVALID_SPI")
		if strings.Contains(v, "#2  IKEv2") {
			t.Errorf("tunnel #2 not filtered out:\n%s", v)
		}
	})
	t.Run("no_match", func(t *testing.T) {
		tm := teaStart(t, "ikev2-stale-spi", 80, 24)
		teaPress(tm, "/")
		tm.Type("no-such-thing")
		teaPress(tm, "enter")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "no tunnel matches")
	})
}

func TestTeatestHelp(t *testing.T) {
	tm := teaStart(t, "ikev1-main-psk-mismatch", 80, 24)
	teaPress(tm, "?")
	v := teaFrame(t, tm, 80, 24)
	for _, b := range bindings.helpBindings(false) {
		wantIn(t, v, b.Help().Key)
	}
}

// enter on a message opens its detail; the frame is decoded in the
// background and appended.
func TestTeatestDetail(t *testing.T) {
	tm := teaStart(t, "ikev1-main-psk-mismatch", 80, 24)
	// g: the phase 1 header; j: MM1 (frame 1).
	teaPress(tm, "g", "j", "enter")
	teaWaitFor(t, tm, "Decoded: 1 ")
	v := teaFrame(t, tm, 80, 24)
	wantIn(t, v, "▸ Detail", "MM1 — Main Mode, message 1", "Decoded: 1 ")
	if strings.Contains(v, "Decoding frame") {
		t.Errorf("decoding not finished:\n%s", v)
	}
}

// The same capture at 100×30, and after a resize to 80×24.
func TestTeatestResize(t *testing.T) {
	t.Run("100x30", func(t *testing.T) {
		tm := teaStart(t, "ikev2-stale-spi", 100, 30)
		teaFrame(t, tm, 100, 30)
	})
	t.Run("to_80x24", func(t *testing.T) {
		tm := teaStart(t, "ikev2-stale-spi", 100, 30)
		teaWaitFor(t, tm, "ESP_INVALID_SPI")
		tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "ESP_INVALID_SPI", "✓ #2")
	})
}
