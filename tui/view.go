package tui

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
)

// styles paint plain text; with NO_COLOR every one is the identity.
type styles struct {
	tone                 map[string]func(string) string
	cursor, title, focus func(string) string
	failRow              func(string) string
}

func newStyles(noColor bool) styles {
	id := func(s string) string { return s }
	if noColor {
		return styles{tone: map[string]func(string) string{}, cursor: id, title: id, focus: id, failRow: id}
	}
	r := func(st lipgloss.Style) func(string) string { return func(s string) string { return st.Render(s) } }
	return styles{
		tone: map[string]func(string) string{
			"err":  r(lipgloss.NewStyle().Foreground(lipgloss.Color("9")).Bold(true)),
			"warn": r(lipgloss.NewStyle().Foreground(lipgloss.Color("11"))),
			"ok":   r(lipgloss.NewStyle().Foreground(lipgloss.Color("10"))),
			"dim":  r(lipgloss.NewStyle().Foreground(lipgloss.Color("8"))),
		},
		cursor:  r(lipgloss.NewStyle().Reverse(true)),
		title:   r(lipgloss.NewStyle().Bold(true)),
		focus:   r(lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("14"))),
		failRow: r(lipgloss.NewStyle().Foreground(lipgloss.Color("15")).Background(lipgloss.Color("1")).Bold(true)),
	}
}

func (st styles) paint(tone, s string) string {
	if f, ok := st.tone[tone]; ok {
		return f(s)
	}
	return s
}

// View draws the screen: never wider than the terminal, never taller.
func (m *Model) View() string {
	if m.quitting {
		return ""
	}
	var out []string
	out = append(out, m.header())
	switch {
	case m.help:
		screen := m.wrapped(m.helpLines())
		out = append(out, pad(screen[min(m.helpTop, len(screen)):], m.height-2)...)
	case m.detail != nil:
		lines := m.wrapped([]string{m.titleLine("Detail", true, "esc back")})
		screen := m.detailScreen()
		lines = append(lines, screen[min(m.detailTop, len(screen)):]...)
		out = append(out, pad(lines, m.height-2)...)
	default:
		out = append(out, m.body()...)
	}
	out = append(out, m.footer())
	for i, l := range out {
		if m.opt.ASCII {
			l = asciify(l)
		}
		out[i] = truncate(l, m.width, "")
	}
	return strings.Join(out, "\n")
}

// wrapped is lines as the screen shows them, wrapped at its width:
// scrolling counts these, or the end of a long line could not be reached.
func (m *Model) wrapped(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, strings.Split(wrap(l, m.width), "\n")...)
	}
	return out
}

// detailScreen is the detail's lines as the screen shows them.
func (m *Model) detailScreen() []string {
	lines := make([]string, len(m.detail))
	for i, l := range m.detail {
		lines[i] = " " + l
	}
	return m.wrapped(lines)
}

// pad cuts screen lines to n, or fills them up to n with blank ones.
func pad(lines []string, n int) []string {
	if len(lines) > n {
		return lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}

func (m *Model) header() string {
	res := m.res
	name := filepath.Base(res.Input.Name)
	a := res.Analysis
	failed := 0
	for _, t := range m.all {
		if t.failed {
			failed++
		}
	}
	packets, cut := res.Input.Packets, res.Input.ReadError != nil
	if len(res.Inputs) > 1 {
		name = m.capturesText()
		packets = 0
		for _, in := range res.Inputs {
			packets += in.Packets
			cut = cut || in.ReadError != nil
		}
	}
	s := "ipsecpcap " + name + "  "
	if !res.Done {
		s += m.progress() + "  "
	}
	s += fmt.Sprintf("%d frames", packets)
	if a != nil {
		s += fmt.Sprintf(", %d IKE, %d ESP, %d SA", a.IKEPackets, a.ESPPackets, len(a.IKESAs))
	}
	if failed > 0 {
		s += fmt.Sprintf(", %d failed", failed)
	}
	if a != nil && len(a.LogFiles) > 0 {
		s += fmt.Sprintf(", %d logs", len(a.LogFiles))
	}
	if res.Done && cut {
		s += "  (file cut short)"
	}
	tone := "ok"
	if failed > 0 {
		tone = "err"
	}
	return m.st.title(m.st.paint(tone, truncate(m.s(s), m.width, m.g.ellipsis)))
}

// capturesText names the captures of a run over several and their clocks
// against the first: "2 captures: gw1.pcap + gw2.pcap, clock +2.5s" (with
// three or more: "clock 2: +2.5s, 3: ?"; "?" where no packet seen at both
// gave the offset).
func (m *Model) capturesText() string {
	var names, clocks []string
	for _, in := range m.res.Inputs {
		names = append(names, filepath.Base(in.Name))
	}
	a := m.res.Analysis
	for k := 2; k <= len(m.res.Inputs); k++ {
		c := "?"
		if a != nil && k <= len(a.Captures) && a.Captures[k-1].Samples > 0 {
			c = signedDuration(a.Captures[k-1].Offset)
		}
		if len(m.res.Inputs) > 2 {
			c = fmt.Sprintf("%d: %s", k, c)
		}
		clocks = append(clocks, c)
	}
	return fmt.Sprintf("%d captures: %s, clock %s", len(names), strings.Join(names, " + "), strings.Join(clocks, ", "))
}

// signedDuration writes a clock offset with its sign: "+2.5s", "-1.2ms".
func signedDuration(d time.Duration) string {
	d = d.Round(time.Microsecond)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

// progress is the loading bar: bytes read, percent and rate.
func (m *Model) progress() string {
	if m.opt.Live {
		return fmt.Sprintf("live %s", time.Since(m.start).Round(time.Second))
	}
	read, total := m.run.Progress()
	el := time.Since(m.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(read) / el
	}
	if total <= 0 {
		return fmt.Sprintf("reading %s %s", bytesText(uint64(read)), rateText(rate))
	}
	frac := float64(read) / float64(total)
	const n = 12
	k := clamp(int(frac*n), 0, n)
	return fmt.Sprintf("[%s%s] %.0f%% %s of %s, %s", strings.Repeat(m.g.full, k), strings.Repeat(m.g.empty, n-k),
		frac*100, bytesText(uint64(read)), bytesText(uint64(total)), rateText(rate))
}

func (m *Model) titleLine(name string, focused bool, extra string) string {
	g := m.g
	mark := "  "
	if focused {
		mark = g.cursor + " "
	}
	s := mark + name
	if extra != "" {
		s += "  " + extra
	}
	s += " "
	if n := m.width - displayWidth(s); n > 0 {
		s += strings.Repeat(g.line, n)
	}
	s = truncate(m.s(s), m.width, "")
	if focused {
		return m.st.focus(s)
	}
	return m.st.paint("dim", s)
}

// drawRows draws h rows of a pane from its top, with the gutter.
func (m *Model) drawRows(p *pane, h int, focused bool) []string {
	var out []string
	w := m.innerWidth()
	for i := p.top; i < p.top+h; i++ {
		if i >= len(p.rows) {
			out = append(out, "")
			continue
		}
		r := p.rows[i]
		cur := " "
		if i == p.cur {
			cur = m.g.cursor
		}
		mark := " "
		if r.fail || r.hi {
			mark = m.g.fail
		} else if r.recovered {
			mark = m.g.warn
		}
		text := truncate(r.text, w, m.g.ellipsis)
		var line string
		switch {
		case i == p.cur && focused:
			line = m.st.cursor(cur + mark + text)
		case r.fail || r.hi:
			line = cur + m.st.failRow(mark+text)
		default:
			line = cur + mark + m.st.paint(r.tone, text)
		}
		out = append(out, line)
	}
	return out
}

// headers counts the tunnels among the Tunnels pane's entries.
func headers(ts []tunnel) int {
	n := 0
	for _, t := range ts {
		if t.header {
			n++
		}
	}
	return n
}

func (m *Model) body() []string {
	h := m.layout()
	var out []string
	extra := fmt.Sprintf("%d", headers(m.tunnels))
	if q := m.filter.Value(); q != "" {
		extra = fmt.Sprintf("%d of %d match %q", headers(m.tunnels), headers(m.all), q)
	}
	out = append(out, m.titleLine(paneNames[paneTunnels], m.focus == paneTunnels, extra))
	if len(m.tunnels) == 0 {
		msg := "  (no IKE or ESP traffic yet)"
		if m.filter.Value() != "" {
			msg = "  (no tunnel matches the filter; esc clears it)"
		}
		out = append(out, msg)
		for i := 1; i < h.tun; i++ {
			out = append(out, "")
		}
	} else {
		out = append(out, m.drawRows(&m.tun, h.tun, m.focus == paneTunnels)...)
	}
	t, ok := m.current()
	tlExtra := ""
	if ok && t.sa != nil {
		tlExtra = fmt.Sprintf("IKE SA #%d %s/%s", t.sa.ID, t.sa.InitiatorSPI, t.sa.ResponderSPI)
		if t.sa.Version == 2 {
			tlExtra = fmt.Sprintf("IKE SA #%d %s", t.sa.ID, t.sa.InitiatorSPI)
		}
	}
	out = append(out, m.titleLine(paneNames[paneTimeline], m.focus == paneTimeline, tlExtra))
	if ok {
		out = append(out, m.st.paint("dim", truncate(m.s("  "+m.ladderHeader(t, m.innerWidth())), m.width, "")))
	} else {
		out = append(out, "")
	}
	if m.hasLogs() {
		l := ""
		if ok {
			l = m.logsLine(t)
		}
		out = append(out, m.st.paint("dim", truncate(m.s("  "+l), m.width, m.g.ellipsis)))
	}
	out = append(out, m.drawRows(&m.tl, h.tl, m.focus == paneTimeline)...)
	out = append(out, m.titleLine(paneNames[paneFindings], m.focus == paneFindings, ""))
	out = append(out, m.drawRows(&m.fi, h.fi, m.focus == paneFindings)...)
	return out
}

func (m *Model) footer() string {
	if m.filtering {
		return truncate(m.s("/"+m.filter.Value()+"_  (enter keeps, esc clears)"), m.width, "")
	}
	b := footMain
	if m.detail != nil {
		b = footDetail
		if m.detailRow.msg != nil && len(m.detailRow.msg.Seen) > 1 {
			b = footDetailCaptures
		}
	}
	if m.help {
		b = footHelp
	}
	s := footerHelp(b)
	if q := m.filter.Value(); q != "" && !m.help && m.detail == nil {
		s = fmt.Sprintf("filter %q (esc clears)  ", q) + s
	}
	if m.loadErr != nil {
		s = "error: " + m.loadErr.Error() + "  " + s
	}
	return m.st.paint("dim", truncate(m.s(s), m.width, m.g.ellipsis))
}

func (m *Model) helpLines() []string {
	lines := []string{m.titleLine("Help", true, "keys"), ""}
	for _, b := range bindings.helpBindings(len(m.res.Inputs) > 1) {
		h := b.Help()
		lines = append(lines, m.s(fmt.Sprintf("  %-24s %s", h.Key, h.Desc)))
	}
	g := m.g
	lines = append(lines, "", m.s(fmt.Sprintf("  marks: %s established  %s failed  %s incomplete  %s deleted  %s rekeyed  %s ESP only",
		g.ok, g.fail, g.incomplete, g.deleted, g.rekeyed, g.esp)),
		m.s(fmt.Sprintf("  ladder: %s the failure point  %s an error the peers got past", g.fail, g.warn)))
	if m.hasLogs() {
		lines = append(lines, m.s("  logs: ↳ logged: the gateway logs that recorded the message; log R:302: a line of the responder's"),
			m.s("        log stating a cause or a notify (✗: the tunnel's failure), enter: its details"))
	}
	if len(m.res.Inputs) > 1 {
		lines = append(lines, m.s(fmt.Sprintf("  seen: @1,2 at captures 1 and 2  @1 %s2 at 1, not at 2 (lost between them); frames are capture:frame", g.fail)))
	}
	return lines
}
