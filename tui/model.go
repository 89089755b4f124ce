// Package tui is the terminal UI of ipsecpcap: the tunnels of a capture with
// their state, a ladder diagram of the selected IKE SA with the failure point
// highlighted, and the findings with their causes and remedy.
//
// It owns presentation and keys only: the analysis comes from a
// pipeline.Run, stepped in the background while the UI shows snapshots, so
// a large capture opens at once and fills in.
package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// Options configure the UI.
type Options struct {
	// ASCII draws with plain ASCII only: no box drawing, arrows or marks.
	ASCII bool
	// NoColor draws without any ANSI attributes (NO_COLOR).
	NoColor bool
	// Live marks a run reading a network interface: no end, no size.
	Live bool
}

// Panes.
const (
	paneTunnels = iota
	paneTimeline
	paneFindings
	numPanes
)

var paneNames = [numPanes]string{"Tunnels", "Timeline", "Findings"}

// glyphs are the characters the UI draws with.
type glyphs struct {
	ok, fail, incomplete, deleted, rekeyed, esp, warn, info string
	bar, line, right, left, thin, thick, ellipsis, cursor   string
	full, empty                                             string
}

var unicodeGlyphs = glyphs{
	ok: "✓", fail: "✗", incomplete: "…", deleted: "⊘", rekeyed: "↻", esp: "◇", warn: "!", info: "·",
	bar: "│", line: "─", right: "▶", left: "◀", thin: "┄", thick: "━", ellipsis: "…", cursor: "▸",
	full: "█", empty: "░",
}

var asciiGlyphs = glyphs{
	ok: "+", fail: "X", incomplete: "?", deleted: "-", rekeyed: "R", esp: "E", warn: "!", info: ".",
	bar: "|", line: "-", right: ">", left: "<", thin: ".", thick: "=", ellipsis: "~", cursor: ">",
	full: "#", empty: ".",
}

// pane is a scrolling list of rows with a cursor.
type pane struct {
	rows     []row
	cur, top int
}

func (p *pane) move(d int) {
	p.cur = clamp(p.cur+d, 0, len(p.rows)-1)
}

// fit scrolls so that the cursor is among the h visible rows.
func (p *pane) fit(h int) {
	if h < 1 {
		h = 1
	}
	if p.cur < p.top {
		p.top = p.cur
	}
	if p.cur >= p.top+h {
		p.top = p.cur - h + 1
	}
	p.top = clamp(p.top, 0, max(len(p.rows)-h, 0))
}

// center scrolls so that the cursor is in the middle of h rows.
func (p *pane) center(h int) {
	p.top = clamp(p.cur-h/2, 0, max(len(p.rows)-h, 0))
}

// snapshotMsg carries a new picture of the run.
type snapshotMsg struct{ res *pipeline.Result }

// tickMsg asks for a snapshot.
type tickMsg time.Time

// doneMsg says the background reader reached the end.
type doneMsg struct{ err error }

// Model is the bubbletea model of the UI.
type Model struct {
	run   *pipeline.Run
	opt   Options
	g     glyphs
	st    styles
	res   *pipeline.Result
	start time.Time

	width, height int
	focus         int
	tunnels       []tunnel // after the filter
	all           []tunnel
	tun           pane // rows of tunnels
	tl, fi        pane
	tlW           int // inner width the timeline rows were built for

	touched   bool // the user moved: stop following the failure
	selKey    string
	help      bool
	detail    []string
	detailTop int // the first screen line of the detail shown (lines wrap)
	helpTop   int // the same for the help
	detailFrm int // the frame whose tree is loading into the detail
	detailRow row // the timeline row the detail describes
	filtering bool
	filter    lineInput
	loadErr   error
	quitting  bool
}

// New makes the UI for a run. It takes a first snapshot at once; Init
// starts reading the rest in the background.
func New(run *pipeline.Run, opt Options) *Model {
	m := &Model{run: run, opt: opt, g: unicodeGlyphs, width: 80, height: 24, focus: paneTimeline, start: time.Now()}
	if opt.ASCII {
		m.g = asciiGlyphs
	}
	m.st = newStyles(opt.NoColor)
	m.setResult(run.Snapshot())
	return m
}

// Result is the latest snapshot.
func (m *Model) Result() *pipeline.Result { return m.res }

// Init starts the background reader and the snapshot ticks.
func (m *Model) Init() tea.Cmd {
	if m.res.Done {
		return nil
	}
	run := m.run
	return tea.Batch(func() tea.Msg {
		for {
			done, err := run.Step(1024)
			if done || err != nil {
				return doneMsg{err}
			}
		}
	}, tick(firstRefresh))
}

// The screen follows the loading with a snapshot every refresh; the first
// comes sooner, because the first exchanges of a large capture are read in
// milliseconds, and a failure among them should not wait for the regular
// cadence (snapshots cost a copy of the analysis, so not all are that quick).
const (
	firstRefresh = 40 * time.Millisecond
	refresh      = 200 * time.Millisecond
)

func tick(d time.Duration) tea.Cmd {
	return tea.Tick(d, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// setResult installs a snapshot, keeping the user's place.
func (m *Model) setResult(res *pipeline.Result) {
	m.res = res
	m.all = buildTunnels(res.Analysis, res.Findings)
	m.applyFilter(false)
}

// applyFilter recomputes the visible tunnels and the panes.
func (m *Model) applyFilter(reset bool) {
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.tunnels = m.tunnels[:0]
	for _, t := range m.all {
		if q == "" || strings.Contains(t.search, q) {
			m.tunnels = append(m.tunnels, t)
		}
	}
	m.tun.rows = m.tun.rows[:0]
	sel := -1
	for i, t := range m.tunnels {
		m.tun.rows = append(m.tun.rows, m.tunnelRow(t))
		if t.key() == m.selKey {
			sel = i
		}
	}
	if sel < 0 || reset || !m.touched {
		// The first IKE SA (the failed one, they come first) rather than
		// its tunnel's row: its ladder shows the failure point.
		sel = 0
		for i, t := range m.tunnels {
			if !t.header {
				sel = i
				break
			}
		}
	}
	m.tun.cur = clamp(sel, 0, len(m.tun.rows)-1)
	m.selectTunnel(!m.touched || reset || m.selKey == "" || (len(m.tunnels) > 0 && m.tunnels[m.tun.cur].key() != m.selKey))
}

// current is the selected tunnel, if any.
func (m *Model) current() (tunnel, bool) {
	if m.tun.cur < 0 || m.tun.cur >= len(m.tunnels) {
		return tunnel{}, false
	}
	return m.tunnels[m.tun.cur], true
}

// selectTunnel builds the timeline and findings of the selected tunnel;
// toFailure puts the timeline's cursor on the failure point.
func (m *Model) selectTunnel(toFailure bool) {
	t, ok := m.current()
	if !ok {
		m.tl, m.fi, m.selKey = pane{}, pane{}, ""
		return
	}
	w := m.innerWidth()
	m.tlW = w
	oldTL, oldFI := m.tl, m.fi
	m.tl.rows = m.timelineRows(t, w)
	m.fi.rows = m.findingRows(t, w)
	if toFailure || t.key() != m.selKey {
		m.tl.cur, m.tl.top, m.fi.cur, m.fi.top = 0, 0, 0, 0
		if i := m.failureRow(t); i >= 0 {
			m.tl.cur = i
		} else {
			for i, r := range m.tl.rows {
				if r.kind == rowMsg || r.kind == rowESP {
					m.tl.cur = i
					break
				}
			}
		}
		m.selKey = t.key()
		h := m.layout().tl
		m.tl.center(h)
	} else {
		m.tl.cur, m.tl.top = clamp(oldTL.cur, 0, len(m.tl.rows)-1), oldTL.top
		m.fi.cur, m.fi.top = clamp(oldFI.cur, 0, len(m.fi.rows)-1), oldFI.top
	}
	m.fitAll()
}

// failureRow is the timeline row of the failure evidence, else the first
// failing row, else -1.
func (m *Model) failureRow(t tunnel) int {
	if c := t.child; c != nil && c.Exchange >= 0 {
		// A child SA entry: its negotiation, the failing row first.
		ex, at := t.sa.Exchanges[c.Exchange], -1
		for i, r := range m.tl.rows {
			if r.ex == ex && (r.fail || at < 0) {
				at = i
				if r.fail {
					break
				}
			}
		}
		return at
	}
	first := -1
	for i, r := range m.tl.rows {
		if !r.fail {
			continue
		}
		if t.sa != nil && t.sa.Failure != nil && r.msg != nil {
			for _, f := range r.msg.Frames {
				if f == t.sa.Failure.Frame {
					return i
				}
			}
		}
		if first < 0 {
			first = i
		}
	}
	return first
}

// innerWidth is the width of a row after the two-column gutter.
func (m *Model) innerWidth() int { return max(m.width-2, 20) }

// heights of the panes' row areas.
type heights struct{ tun, tl, fi int }

// layout divides the screen: header, Tunnels, Timeline (with its ladder
// header), Findings, footer; each pane has a title line.
func (m *Model) layout() heights {
	body := max(m.height-2, 6) // header and footer
	tun := clamp(len(m.tun.rows), 1, max(body/5, 2))
	avail := body - 4 - tun // three titles, one ladder header
	if m.hasLogs() {
		avail-- // the logs line under the ladder header
	}
	fiMin := clamp(len(m.fi.rows), 1, max(avail/3, 3))
	tl := max(min(len(m.tl.rows), avail-fiMin), 2)
	fi := max(avail-tl, 1)
	return heights{tun, tl, fi}
}

func (m *Model) fitAll() {
	h := m.layout()
	m.tun.fit(h.tun)
	m.tl.fit(h.tl)
	m.fi.fit(h.fi)
}

func (m *Model) focused() *pane {
	switch m.focus {
	case paneTunnels:
		return &m.tun
	case paneFindings:
		return &m.fi
	}
	return &m.tl
}

// Update handles keys, mouse, resizes and snapshots.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 20), max(msg.Height, 8)
		m.rebuild()
		return m, nil
	case tickMsg:
		if m.res.Done {
			return m, nil
		}
		m.setResult(m.run.Snapshot())
		return m, tick(refresh)
	case doneMsg:
		m.loadErr = msg.err
		m.setResult(m.run.Snapshot())
		return m, nil
	case frameMsg:
		if m.detail != nil && msg.frame == m.detailFrm {
			m.detail = append(m.detail[:len(m.detail)-1], msg.lines...)
			for i := range m.detail {
				m.detail[i] = m.s(m.detail[i])
			}
		}
		return m, nil
	case snapshotMsg:
		m.setResult(msg.res)
		return m, nil
	case tea.MouseMsg:
		if msg.Action != tea.MouseActionPress {
			return m, nil
		}
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			m.moveBy(-3)
		case tea.MouseButtonWheelDown:
			m.moveBy(3)
		}
		return m, nil
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

// rebuild redraws the panes for a new size, keeping the place.
func (m *Model) rebuild() {
	tl, fi := m.tl, m.fi
	m.selectTunnel(false)
	m.tl.cur, m.fi.cur = clamp(tl.cur, 0, len(m.tl.rows)-1), clamp(fi.cur, 0, len(m.fi.rows)-1)
	m.fitAll()
}

func (m *Model) moveBy(d int) {
	if m.detail != nil {
		m.detailTop = clamp(m.detailTop+d, 0, max(len(m.detailScreen())-(m.height-3), 0))
		return
	}
	m.touched = true
	p := m.focused()
	p.move(d)
	if m.focus == paneTunnels {
		m.selectTunnel(false)
	}
	m.fitAll()
}

func (m *Model) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if k.String() == "ctrl+c" {
		m.quitting = true
		return m, tea.Quit
	}
	switch {
	case m.filtering:
		return m.filterKey(k)
	case m.help:
		return m.helpKey(k)
	case m.detail != nil:
		return m.detailKey(k)
	}
	page := max(m.paneHeight()-1, 1)
	switch {
	case key.Matches(k, bindings.Quit):
		m.quitting = true
		return m, tea.Quit
	case key.Matches(k, bindings.Help):
		m.help = true
	case key.Matches(k, bindings.NextPane):
		m.focus = (m.focus + 1) % numPanes
	case key.Matches(k, bindings.PrevPane):
		m.focus = (m.focus + numPanes - 1) % numPanes
	case key.Matches(k, bindings.Down):
		m.moveBy(1)
	case key.Matches(k, bindings.Up):
		m.moveBy(-1)
	case key.Matches(k, bindings.PageDown):
		m.moveBy(page)
	case key.Matches(k, bindings.PageUp):
		m.moveBy(-page)
	case key.Matches(k, bindings.Top):
		m.moveBy(-len(m.focused().rows))
	case key.Matches(k, bindings.Bottom):
		m.moveBy(len(m.focused().rows))
	case key.Matches(k, bindings.Filter):
		m.filtering = true
	case key.Matches(k, bindings.Back):
		if m.filter.Value() != "" {
			m.filter.SetValue("")
			m.applyFilter(true)
		}
	case key.Matches(k, bindings.NextFailure):
		m.jumpFailure(1)
	case key.Matches(k, bindings.PrevFailure):
		m.jumpFailure(-1)
	case key.Matches(k, bindings.Open):
		return m, m.enter()
	}
	return m, nil
}

// filterKey edits the filter: enter keeps it, esc clears it.
func (m *Model) filterKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(k, bindings.FilterKeep):
		m.filtering = false
	case key.Matches(k, bindings.FilterClear):
		m.filtering = false
		m.filter.SetValue("")
		m.applyFilter(true)
	default:
		if m.filter.update(k) {
			m.touched = true
			m.applyFilter(true)
		}
	}
	return m, nil
}

// helpKey scrolls a help longer than the screen; any other key closes it.
func (m *Model) helpKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	last := max(len(m.wrapped(m.helpLines()))-(m.height-2), 0)
	switch {
	case key.Matches(k, bindings.Quit):
		m.quitting = true
		return m, tea.Quit
	case key.Matches(k, bindings.Down):
		m.helpTop = clamp(m.helpTop+1, 0, last)
	case key.Matches(k, bindings.Up):
		m.helpTop = clamp(m.helpTop-1, 0, last)
	case key.Matches(k, bindings.Bottom, bindings.PageDown):
		m.helpTop = last
	case key.Matches(k, bindings.Top, bindings.PageUp):
		m.helpTop = 0
	default:
		m.help, m.helpTop = false, 0
	}
	return m, nil
}

// detailKey scrolls a message's details and steps through its sightings.
func (m *Model) detailKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch {
	case key.Matches(k, bindings.Quit):
		m.quitting = true
		return m, tea.Quit
	case key.Matches(k, bindings.Close):
		m.detail = nil
	case key.Matches(k, bindings.Down):
		m.moveBy(1)
	case key.Matches(k, bindings.Up):
		m.moveBy(-1)
	case key.Matches(k, bindings.Top):
		m.detailTop = 0
	case key.Matches(k, bindings.Bottom):
		m.moveBy(len(m.detail))
	case key.Matches(k, bindings.NextCapture):
		return m, m.nextSighting(1)
	case key.Matches(k, bindings.PrevCapture):
		return m, m.nextSighting(-1)
	case key.Matches(k, bindings.Help):
		m.help = true
	}
	return m, nil
}

func (m *Model) paneHeight() int {
	h := m.layout()
	switch m.focus {
	case paneTunnels:
		return h.tun
	case paneFindings:
		return h.fi
	}
	return h.tl
}

// enter opens what is under the cursor.
func (m *Model) enter() tea.Cmd {
	m.touched = true
	switch m.focus {
	case paneTunnels:
		m.focus = paneTimeline
	case paneTimeline:
		if m.tl.cur < len(m.tl.rows) {
			r := m.tl.rows[m.tl.cur]
			frame := 0
			switch {
			case r.msg != nil:
				frame = r.msg.Frames[0]
			case r.esp != nil:
				frame = r.esp.FirstFrame
			case len(r.logs) > 0:
				m.detail, m.detailTop, m.detailFrm, m.detailRow = m.logDetail(r), 0, 0, r
				return nil
			default:
				return nil
			}
			return m.openDetail(r, frame)
		}
	case paneFindings:
		if m.fi.cur < len(m.fi.rows) {
			if i := m.fi.rows[m.fi.cur].finding; i >= 0 {
				m.jumpToEvidence(i)
			}
		}
	}
	return nil
}

// openDetail shows a timeline row's detail and decodes one of its frames
// (a frame ID), read again through the run's frame store.
func (m *Model) openDetail(r row, frame int) tea.Cmd {
	m.detail, m.detailTop, m.detailFrm, m.detailRow = m.detailLines(r), 0, frame, r
	m.detail = append(m.detail, "", m.s(fmt.Sprintf("Decoding frame %s…", decode.FrameLabel(frame))))
	return loadFrame(m.run, frame)
}

// nextSighting opens, in the detail of a message seen at several capture
// points, its copy at the next capture (tab) or the previous (shift+tab).
func (m *Model) nextSighting(dir int) tea.Cmd {
	msg := m.detailRow.msg
	if msg == nil || len(msg.Seen) == 0 {
		return nil
	}
	var ks []int
	for _, s := range msg.Seen {
		if !slices.Contains(ks, s.Capture) {
			ks = append(ks, s.Capture)
		}
	}
	if len(ks) < 2 {
		return nil
	}
	slices.Sort(ks)
	cur, _ := decode.SplitFrame(m.detailFrm)
	i := slices.Index(ks, cur)
	k := ks[(i+dir+len(ks))%len(ks)]
	s, _ := msg.FirstSeenAt(k)
	return m.openDetail(m.detailRow, s.Frame)
}

// captureName is the file of capture k (0 or 1: the first).
func (m *Model) captureName(k int) string {
	names := m.run.Names()
	if k >= 1 && k <= len(names) {
		return names[k-1]
	}
	return names[0]
}

// jumpToEvidence selects the finding's IKE SA and puts the timeline's
// cursor on its first evidence frame.
func (m *Model) jumpToEvidence(i int) {
	f := m.res.Findings[i]
	if f.IKESA != 0 {
		for ti, t := range m.tunnels {
			if t.sa != nil && t.sa.ID == f.IKESA && ti != m.tun.cur {
				m.tun.cur = ti
				m.selectTunnel(false)
				break
			}
		}
	}
	for _, fr := range f.Frames {
		for ri, r := range m.tl.rows {
			if (r.msg != nil && (slices.Contains(r.msg.Frames, fr) || seenFrame(r.msg, fr))) || (r.esp != nil && fr >= r.esp.FirstFrame && fr <= r.esp.LastFrame) {
				m.tl.cur = ri
				m.focus = paneTimeline
				m.tl.center(m.layout().tl)
				m.fitAll()
				return
			}
		}
	}
	m.focus = paneTimeline
}

// jumpFailure moves to the next (dir 1) or previous (-1) failing row,
// across tunnels, wrapping around.
func (m *Model) jumpFailure(dir int) {
	type loc struct{ t, r int }
	var locs []loc
	w := m.innerWidth()
	// a child SA entry's ladder is its IKE SA's: build each once
	ladders := map[*correlate.IKESA][]row{}
	for ti, t := range m.tunnels {
		rows := m.tl.rows
		if ti != m.tun.cur {
			var ok bool
			if rows, ok = ladders[t.sa]; !ok || t.header {
				rows = m.timelineRows(t, w)
				if !t.header {
					ladders[t.sa] = rows
				}
			}
		}
		for ri, r := range rows {
			if r.fail {
				locs = append(locs, loc{ti, ri})
			}
		}
	}
	if len(locs) == 0 {
		return
	}
	cur := loc{m.tun.cur, m.tl.cur}
	less := func(a, b loc) bool { return a.t < b.t || a.t == b.t && a.r < b.r }
	pick := -1
	if dir > 0 {
		for i, l := range locs {
			if less(cur, l) {
				pick = i
				break
			}
		}
		if pick < 0 {
			pick = 0
		}
	} else {
		for i := len(locs) - 1; i >= 0; i-- {
			if less(locs[i], cur) {
				pick = i
				break
			}
		}
		if pick < 0 {
			pick = len(locs) - 1
		}
	}
	l := locs[pick]
	m.touched = true
	if l.t != m.tun.cur {
		m.tun.cur = l.t
		m.selectTunnel(false)
	}
	m.tl.cur = l.r
	m.focus = paneTimeline
	m.tl.center(m.layout().tl)
	m.fitAll()
}

// s adapts text to the mode: ASCII replacements in ASCII mode.
func (m *Model) s(str string) string {
	if !m.opt.ASCII {
		return str
	}
	return asciify(str)
}

var asciiReplacer = strings.NewReplacer(
	"…", "...", "→", "->", "←", "<-", "↔", "<->", "×", "x", "—", "-", "–", "-", "≤", "<=", "≥", ">=",
	"·", ".", "✓", "+", "✗", "X", "│", "|", "─", "-", "▶", ">", "◀", "<", "“", "\"", "”", "\"", "’", "'",
	"↳", "`-", "⇒", "=>", "≠", "!=",
)

func asciify(s string) string {
	s = asciiReplacer.Replace(s)
	for _, r := range s {
		if r > 126 {
			b := []rune(s)
			for i, r := range b {
				if r > 126 {
					b[i] = '?'
				}
			}
			return string(b)
		}
	}
	return s
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return min(max(v, lo), hi)
}

func displayWidth(s string) int { return ansi.StringWidth(s) }

func truncate(s string, w int, tail string) string {
	if w <= 0 {
		return ""
	}
	if displayWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, tail)
}

func wrap(s string, w int) string {
	if w < 10 {
		w = 10
	}
	return ansi.Wrap(s, w, "")
}

func rateText(bps float64) string {
	return bytesText(uint64(bps)) + "/s"
}

// lineInput is the one-line editor of the filter.
type lineInput struct{ r []rune }

func (l *lineInput) Value() string     { return string(l.r) }
func (l *lineInput) SetValue(s string) { l.r = []rune(s) }

// update edits the line; it reports whether the value changed.
func (l *lineInput) update(k tea.KeyMsg) bool {
	switch k.Type {
	case tea.KeyBackspace:
		if len(l.r) > 0 {
			l.r = l.r[:len(l.r)-1]
			return true
		}
	case tea.KeyCtrlU:
		l.r = nil
		return true
	case tea.KeyRunes, tea.KeySpace:
		if len(l.r) < 80 {
			l.r = append(l.r, k.Runes...)
			if k.Type == tea.KeySpace {
				l.r = append(l.r, ' ')
			}
			return true
		}
	}
	return false
}
