package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

const lab = "../testdata/pcaps/lab"

func capturePath(name string) string { return filepath.Join(lab, name, "capture.pcap") }

// open reads a lab capture to its end and opens the UI at w×h.
func open(t *testing.T, name string, opt Options, w, h int) *Model {
	t.Helper()
	r, err := pipeline.Start(capturePath(name), pipeline.Options{KeepFrames: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	if err := r.RunToEnd(); err != nil {
		t.Fatal(err)
	}
	m := New(r, opt)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// press sends keys as a user types them: "j", "tab", "enter", "/", ...
func press(m *Model, keys ...string) tea.Cmd {
	var cmd tea.Cmd
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "tab":
			msg = tea.KeyMsg{Type: tea.KeyTab}
		case "shift+tab":
			msg = tea.KeyMsg{Type: tea.KeyShiftTab}
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		_, cmd = m.Update(msg)
	}
	return cmd
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// cursorLine is the screen line of the focused pane's cursor (reverse
// video is off without colour; the cursor glyph marks it).
func cursorRow(m *Model) row { return m.tl.rows[m.tl.cur] }

func checkFits(t *testing.T, what string, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("%s: %d lines, taller than %d", what, len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("%s: line %d is %d wide, more than %d: %q", what, i+1, n, w, l)
		}
	}
}

func TestOpenFailingCaptureShowsFailureFirst(t *testing.T) {
	m := open(t, "ikev1-main-psk-mismatch", Options{NoColor: true}, 80, 24)
	v := m.View()
	lines := strings.Split(v, "\n")
	if len(lines) != 24 {
		t.Fatalf("view has %d lines, want 24:\n%s", len(lines), v)
	}
	// The failed tunnel first, with its failure and when; its failed SA
	// beneath, selected.
	if !strings.Contains(lines[2], "✗ Tunnel #1") || !strings.Contains(lines[2], "P1_AUTH_FAILED during establish") {
		t.Errorf("first tunnel line %q: want the failed tunnel", lines[2])
	}
	if !strings.Contains(lines[3], "✗ #1") || !strings.Contains(lines[3], "failed at MM5 (frame 6)") || !m.tunnels[m.tun.cur].failed {
		t.Errorf("second line %q: want the failed SA, selected", lines[3])
	}
	// The failure evidence is on screen, highlighted, under the cursor.
	var failLines []string
	for _, l := range lines {
		if strings.HasPrefix(l, "▸✗") || strings.HasPrefix(l, " ✗") {
			failLines = append(failLines, l)
		}
	}
	if len(failLines) < 2 || !strings.Contains(strings.Join(failLines, "\n"), "MM5") || !strings.HasPrefix(failLines[len(failLines)-1], "▸✗") || !strings.Contains(failLines[len(failLines)-1], "#6") {
		t.Errorf("want MM5 and the answer in frame 6 marked failed, cursor on frame 6:\n%s", v)
	}
	if !strings.Contains(v, "×4") {
		t.Errorf("retransmissions of MM5 not folded as ×4:\n%s", v)
	}
	if !strings.Contains(v, "P1_AUTH_FAILED") || !strings.Contains(v, "pre-shared key differs") {
		t.Errorf("finding and its first cause not on the first screen:\n%s", v)
	}
	if !strings.Contains(v, "phase 1 · Main Mode") {
		t.Errorf("phase boundary missing:\n%s", v)
	}
	checkFits(t, "open", v, 80, 24)
}

func TestNavigation(t *testing.T) {
	m := open(t, "ikev1-main-psk-mismatch", Options{NoColor: true}, 80, 24)
	if m.focus != paneTimeline {
		t.Fatalf("focus %d, want the timeline", m.focus)
	}
	start := m.tl.cur
	press(m, "k")
	if m.tl.cur != start-1 {
		t.Errorf("k: cursor %d, want %d", m.tl.cur, start-1)
	}
	press(m, "j", "j")
	if m.tl.cur != start+1 {
		t.Errorf("j j: cursor %d, want %d", m.tl.cur, start+1)
	}
	press(m, "g")
	if m.tl.cur != 0 {
		t.Errorf("g: cursor %d", m.tl.cur)
	}
	press(m, "G")
	if m.tl.cur != len(m.tl.rows)-1 {
		t.Errorf("G: cursor %d of %d", m.tl.cur, len(m.tl.rows))
	}
	press(m, "up", "down")
	if m.tl.cur != len(m.tl.rows)-1 {
		t.Errorf("up down: cursor %d", m.tl.cur)
	}
	m.Update(tea.MouseMsg{Action: tea.MouseActionPress, Button: tea.MouseButtonWheelUp})
	if m.tl.cur != len(m.tl.rows)-4 {
		t.Errorf("wheel up: cursor %d", m.tl.cur)
	}
	press(m, "tab")
	if m.focus != paneFindings || !strings.Contains(m.View(), "▸ Findings") {
		t.Errorf("tab: focus %d", m.focus)
	}
	press(m, "tab")
	if m.focus != paneTunnels {
		t.Errorf("tab tab: focus %d", m.focus)
	}
	press(m, "shift+tab")
	if m.focus != paneFindings {
		t.Errorf("shift+tab: focus %d", m.focus)
	}
	press(m, "tab")
	if m.focus != paneTunnels {
		t.Errorf("shift+tab: focus %d", m.focus)
	}
	// enter on the tunnel opens its timeline.
	press(m, "enter")
	if m.focus != paneTimeline {
		t.Errorf("enter on a tunnel: focus %d", m.focus)
	}
	checkFits(t, "navigation", m.View(), 80, 24)
}

func TestDetailAndEvidence(t *testing.T) {
	m := open(t, "ikev1-main-psk-mismatch", Options{NoColor: true}, 80, 24)
	// Go to MM5 (frame 5) and open it.
	press(m, "g")
	for cursorRow(m).msg == nil || cursorRow(m).msg.Frames[0] != 5 {
		press(m, "j")
		if m.tl.cur == len(m.tl.rows)-1 {
			t.Fatal("no row for frame 5")
		}
	}
	cmd := press(m, "enter")
	if cmd == nil {
		t.Fatal("enter on a message: no frame decoding")
	}
	m.Update(cmd())
	v := strings.Join(m.detail, "\n")
	for _, want := range []string{"Decoded: 5 ", "Bytes (IKE message", "  002e  5d 8f 4e 28 c5 37 c1 3a"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
	checkFits(t, "detail", m.View(), 80, 24)
	press(m, "G")
	checkFits(t, "detail end", m.View(), 80, 24)
	// Lines wrap at 80 columns: G still reaches the last hex row.
	if last := m.detail[len(m.detail)-1]; !strings.Contains(m.View(), strings.TrimSpace(last)[:20]) {
		t.Errorf("G: the detail's last line %q is not on the screen:\n%s", last, m.View())
	}
	press(m, "g")
	v = m.View()
	for _, want := range []string{"MM5", "Message ID", "5,7,9,11", "3 retransmissions", "Evidence for", "P1_AUTH_FAILED", "failure point"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
	checkFits(t, "detail", v, 80, 24)
	press(m, "esc")
	if m.detail != nil {
		t.Fatal("esc did not close the detail")
	}
	// From the findings, enter jumps to the evidence: MM5, frame 5.
	press(m, "G", "tab")
	if m.focus != paneFindings {
		t.Fatalf("focus %d", m.focus)
	}
	press(m, "enter")
	if m.focus != paneTimeline || cursorRow(m).msg == nil || cursorRow(m).msg.Frames[0] != 5 {
		t.Errorf("enter on the finding: focus %d, row %q", m.focus, cursorRow(m).text)
	}
	if !strings.Contains(m.View(), "▸✗") {
		t.Errorf("evidence row not under the cursor on screen:\n%s", m.View())
	}
}

// saEntries counts the IKE SA entries of the Tunnels pane.
func saEntries(m *Model) int {
	n := 0
	for _, t := range m.tunnels {
		if t.sa != nil && t.child == nil {
			n++
		}
	}
	return n
}

func TestFilter(t *testing.T) {
	m := open(t, "ikev2-stale-spi", Options{NoColor: true}, 80, 24)
	// One tunnel, its two IKE SAs (the restart replaced the first) and the
	// child SA up at the end.
	if len(m.tunnels) != 4 || headers(m.tunnels) != 1 || saEntries(m) != 2 {
		t.Fatalf("%d entries, %d tunnels, %d IKE SAs; want 4, 1, 2", len(m.tunnels), headers(m.tunnels), saEntries(m))
	}
	press(m, "/")
	typeText(m, "no-such-thing")
	v := m.View()
	if len(m.tunnels) != 0 || !strings.Contains(v, "no tunnel matches") || !strings.Contains(v, "/no-such-thing") {
		t.Errorf("filter with no match:\n%s", v)
	}
	checkFits(t, "filter", v, 80, 24)
	press(m, "esc")
	if len(m.tunnels) != 4 || m.filtering {
		t.Errorf("esc: %d entries, filtering %v", len(m.tunnels), m.filtering)
	}
	// By finding code, by SPI, by exchange, by address: the IKE SAs that
	// match, under their tunnel.
	for q, want := range map[string]int{"esp_invalid": 1, m.res.Analysis.IKESAs[1].InitiatorSPI.String(): 1, "IKE_AUTH": 2, "198.18.1.2": 2} {
		press(m, "/")
		typeText(m, q)
		press(m, "enter")
		if saEntries(m) != want || headers(m.tunnels) != 1 {
			t.Errorf("filter %q: %d IKE SAs in %d tunnels, want %d in 1", q, saEntries(m), headers(m.tunnels), want)
		}
		if !strings.Contains(m.View(), "filter") {
			t.Errorf("filter %q not shown", q)
		}
		press(m, "esc")
	}
	// ESP SPI.
	press(m, "/")
	typeText(m, "0x84569eeb")
	press(m, "enter")
	if len(m.tunnels) == 0 {
		t.Error("filter by ESP SPI matched nothing")
	}
	// q while typing is text, not quit.
	press(m, "esc", "/")
	if cmd := press(m, "q"); cmd != nil {
		t.Error("q in the filter quits")
	}
	if m.filter.Value() != "q" {
		t.Errorf("filter %q", m.filter.Value())
	}
}

func TestNextPreviousFailure(t *testing.T) {
	m := open(t, "ikev1-main-psk-mismatch", Options{NoColor: true}, 80, 24)
	var fails []int
	for i, r := range m.tl.rows {
		if r.fail {
			fails = append(fails, i)
		}
	}
	if len(fails) < 2 {
		t.Fatalf("failure rows %v", fails)
	}
	press(m, "g", "n")
	if m.tl.cur != fails[0] {
		t.Errorf("n from the top: row %d, want %d", m.tl.cur, fails[0])
	}
	press(m, "n")
	if m.tl.cur != fails[1] {
		t.Errorf("n n: row %d, want %d", m.tl.cur, fails[1])
	}
	press(m, "N")
	if m.tl.cur != fails[0] {
		t.Errorf("N: row %d, want %d", m.tl.cur, fails[0])
	}
	press(m, "N")
	if m.tl.cur != fails[len(fails)-1] {
		t.Errorf("N wraps: row %d, want %d", m.tl.cur, fails[len(fails)-1])
	}
}

func TestHelpAndQuit(t *testing.T) {
	m := open(t, "ikev1-main-psk-mismatch", Options{NoColor: true}, 80, 24)
	press(m, "?")
	v := m.View()
	for _, b := range bindings.helpBindings(false) {
		if !strings.Contains(v, b.Help().Key) {
			t.Errorf("help lacks %q:\n%s", b.Help().Key, v)
		}
	}
	checkFits(t, "help", v, 80, 24)
	// j/k and G scroll a help longer than the screen; its last line can
	// be reached; another key closes it.
	press(m, "G")
	lines := m.wrapped(m.helpLines())
	if v := m.View(); !m.help || !strings.Contains(v, strings.TrimSpace(lines[len(lines)-1])) {
		t.Errorf("G: the help's last line is not on the screen:\n%s", v)
	}
	press(m, "esc")
	if m.help {
		t.Error("esc did not close the help")
	}
	cmd := press(m, "q")
	if cmd == nil {
		t.Fatal("q: no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q does not quit")
	}
}

func TestEveryCaptureFitsAndModes(t *testing.T) {
	dirs, err := os.ReadDir(lab)
	if err != nil {
		t.Fatal(err)
	}
	sizes := [][2]int{{80, 24}, {100, 30}, {200, 50}, {80, 24}}
	for _, d := range dirs {
		if _, err := os.Stat(capturePath(d.Name())); err != nil {
			continue
		}
		for _, opt := range []Options{{NoColor: true}, {NoColor: true, ASCII: true}, {}} {
			m := open(t, d.Name(), opt, 80, 24)
			for _, sz := range sizes {
				m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
				for _, keys := range [][]string{nil, {"?"}, {"esc", "enter"}, {"esc", "tab", "tab", "j"}, {"tab", "n", "enter"}} {
					press(m, keys...)
					v := m.View()
					what := d.Name() + " " + strings.Join(keys, ",")
					checkFits(t, what, v, sz[0], sz[1])
					if opt.NoColor && strings.Contains(v, "\x1b") {
						t.Errorf("%s: ANSI escape with NO_COLOR", what)
					}
					if opt.ASCII {
						for i, r := range v {
							if r >= utf8.RuneSelf {
								t.Errorf("%s: non-ASCII %q at %d", what, r, i)
								break
							}
						}
					}
				}
				press(m, "esc")
			}
		}
	}
}

func TestFillsInWhileLoading(t *testing.T) {
	r, err := pipeline.Start(capturePath("ikev1-main-psk-mismatch"), pipeline.Options{KeepFrames: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := New(r, Options{NoColor: true})
	if m.Init() == nil {
		t.Fatal("no background reader started")
	}
	v := m.View()
	if !strings.Contains(v, "[") || !strings.Contains(v, "%") {
		t.Errorf("no progress bar while loading:\n%s", v)
	}
	checkFits(t, "loading", v, 80, 24)
	r.Step(3)
	m.Update(tickMsg{})
	if m.res.Done {
		t.Fatal("done after three records")
	}
	r.RunToEnd()
	m.Update(doneMsg{})
	v = m.View()
	if !m.res.Done || !strings.Contains(v, "failed at MM5") || strings.Contains(v, "%") {
		t.Errorf("after loading:\n%s", v)
	}
}

// With colour, ASCII mode keeps its escapes and still draws no non-ASCII.
func TestASCIIWithColour(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	m := open(t, "ikev1-main-psk-mismatch", Options{ASCII: true}, 80, 24)
	v := m.View()
	if !strings.Contains(v, "\x1b[") {
		t.Fatalf("no colour:\n%q", v)
	}
	for _, r := range v {
		if r >= utf8.RuneSelf {
			t.Fatalf("non-ASCII %q:\n%s", r, v)
		}
	}
	if !strings.Contains(v, "X #1") || !strings.Contains(v, "|<-") {
		t.Errorf("ASCII marks missing:\n%s", v)
	}
	checkFits(t, "ascii colour", v, 80, 24)
}

// TestTunnelLifeline: the tunnel's own row opens its lifeline: each SA over
// the capture, what replaced what, and where it stands.
func TestTunnelLifeline(t *testing.T) {
	m := open(t, "ikev2-stale-spi", Options{NoColor: true}, 110, 30)
	press(m, "tab", "tab", "k")
	if cur, ok := m.current(); !ok || !cur.header {
		t.Fatalf("k from the first IKE SA: want the tunnel's row, have %+v", cur)
	}
	v := m.View()
	for _, want := range []string{"Tunnel #1", "IKE SA #1     |=", "IKE SA #2     |", "restart of #1", "child SA #2", "lost", "up since +0.012s", "ESP_INVALID_SPI"} {
		if !strings.Contains(v, want) {
			t.Errorf("lifeline lacks %q:\n%s", want, v)
		}
	}
	checkFits(t, "lifeline", v, 110, 30)
}
