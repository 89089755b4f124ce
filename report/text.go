package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// TextWidth is the widest line of the text report.
const TextWidth = 100

// writeText writes the plain-text report, every line at most TextWidth
// columns.
func (r *Report) writeText(w io.Writer) {
	t := &textWriter{w: w, red: r.red}
	t.line("", "IPSEC CAPTURE REPORT")
	t.line("", strings.Repeat("=", 20))
	if top := r.failing(); top != nil {
		if head, failed := verdictHead(top); failed {
			t.wrap("", "", fmt.Sprintf("%s  %s (%s), frame %s", head, top.Code, top.Certainty, frameRanges(top.Frames)))
		} else {
			t.wrap("", "", fmt.Sprintf("%s  %s: %s", head, top.Code, top.Summary))
		}
	} else {
		t.line("", "No failure found.")
	}
	t.blank()
	t.line("", "FINDINGS")
	if len(r.Findings) == 0 {
		t.line("  ", "none")
	}
	for i, f := range r.Findings {
		r.textFinding(t, i+1, f)
	}
	t.blank()
	r.textLifelines(t)
	t.line("", "TUNNELS")
	for _, sa := range analysisview.IKESAOrder(r.Analysis, r.Findings) {
		r.textTunnel(t, sa)
	}
	if len(r.Analysis.IKESAs) == 0 {
		t.line("  ", "no IKE SA in the capture")
		t.blank()
	}
	if len(r.Analysis.ESP) > 0 {
		t.line("", "ESP FLOWS")
		for _, f := range r.Analysis.ESP {
			sa := "no IKE SA in the capture"
			if f.IKESA != 0 {
				sa = fmt.Sprintf("IKE SA #%d", f.IKESA)
			}
			t.wrap("  ", "      ", fmt.Sprintf("SPI 0x%08x %s → %s, frames %s, %d packets, %d bytes, seq ≤%d, %d lost, %d repeated, %s",
				f.SPI, f.Src, f.Dst, frameSpan(f.FirstFrame, f.LastFrame), f.Packets, f.Bytes, f.MaxSeq, f.Lost, f.Replays, sa))
			t.line("      ", "Wireshark: "+espFilter(f))
		}
		t.blank()
	}
	if ss := r.slices(); len(ss) > 1 || len(ss) == 1 && ss[0].Capture != 0 {
		t.line("", "EVIDENCE SLICES (one per capture, packets and times as that capture has them)")
	} else if len(ss) == 1 {
		t.line("", "EVIDENCE SLICE")
	}
	for _, s := range r.slices() {
		from := ""
		if s.Capture != 0 {
			from = fmt.Sprintf(" (capture %d, %s)", s.Capture, s.Source)
		}
		t.wrap("  ", "  ", fmt.Sprintf("%s%s: %d packets, %d bytes", s.File, from, len(s.Frames), s.Size))
		t.line("  ", "SHA-256 "+s.SHA256)
		t.wrap("  ", "    ", "slice frame → original frame: "+strings.Join(sliceMap(s.Frames), ", "))
		if s.EndMarker != 0 {
			t.wrap("  ", "  ", endMarkerText(s))
		}
		t.blank()
	}
	t.line("", "CHAIN OF CUSTODY")
	for _, row := range r.custodyRows() {
		t.wrap("  ", strings.Repeat(" ", 22), fmt.Sprintf("%-20s %s", row[0]+":", row[1]))
	}
}

func (r *Report) textFinding(t *textWriter, n int, f diagnose.Finding) {
	t.wrap("  ", "     ", fmt.Sprintf("%d. %s  %s, %s, frame %s", n, f.Code, f.Severity, f.Certainty, orDash(frameRanges(f.Frames))))
	t.wrap("     ", "     ", f.Summary)
	if len(f.Causes) > 0 {
		t.line("     ", "Probable causes, most likely first:")
		for i, c := range f.Causes {
			t.wrap("       ", "          ", fmt.Sprintf("%d. %s — %s", i+1, c.Cause, c.Why))
		}
	}
	for _, l := range f.Logs {
		t.wrap("     ", "       ", "Gateway log: "+l)
	}
	for _, l := range analysisview.ComparisonLines(f.Comparison) {
		t.wrap("     ", "         ", l)
	}
	if f.Remedy != "" {
		t.wrap("     ", "       ", "Remedy: "+f.Remedy)
	}
	for _, c := range f.Commands {
		t.wrap("       ", "                     ", fmt.Sprintf("%-13s %s", c.Platform+":", c.Command))
	}
}

func (r *Report) textTunnel(t *textWriter, sa *correlate.IKESA) {
	t.wrap("  ", "    ", saTitle(sa))
	t.line("    ", fmt.Sprintf("SPIs %s / %s", sa.InitiatorSPI, sa.ResponderSPI))
	t.wrap("    ", "      ", "State: "+saState(sa))
	if len(sa.Phase1Chosen) > 0 {
		t.wrap("    ", "      ", "Phase 1 proposal chosen: "+strings.Join(sa.Phase1Chosen, ", "))
	}
	t.line("    ", "Wireshark: "+saFilter(sa))
	t.blank()
	// The ladder: one line per message, with the gateway logs' lines.
	steps := r.steps(sa)
	logged, after := r.stepLogs(sa, steps)
	for i, s := range steps {
		arrow := "I ──────────▶ R"
		if !s.fromInit() {
			arrow = "I ◀────────── R"
		}
		mark := "  "
		if s.Failure || s.Lost {
			mark = "✗ "
		} else if s.Recovered {
			mark = "! "
		}
		head := fmt.Sprintf("    %s%+9.3fs %-6s %s  ", mark, s.Rel, "#"+decode.FrameLabel(s.Message.Frames[0]), arrow)
		label := s.arrow()
		if s.Seen != "" {
			label += " (" + s.Seen + ")"
		}
		t.wrap(head, strings.Repeat(" ", utf8.RuneCountInString(head)+2), label)
		if s.Message.Sent > 1 {
			t.wrap(strings.Repeat(" ", utf8.RuneCountInString(head)), strings.Repeat(" ", utf8.RuneCountInString(head)+2), "frames "+capFrames(s.Message.Frames, 16))
		}
		if logged[i] != "" {
			t.wrap(strings.Repeat(" ", utf8.RuneCountInString(head)), strings.Repeat(" ", utf8.RuneCountInString(head)+2), logged[i])
		}
		for _, l := range after[i] {
			mark := "  "
			if l.Fail {
				mark = "✗ "
			}
			t.wrap("    "+mark+strings.Repeat(" ", 11), strings.Repeat(" ", 19), l.String())
		}
	}
	flows, fromInit := r.saFlows(sa)
	for i, f := range flows {
		arrow := "I ─ ─ ─ ─ ─ ▶ R"
		if !fromInit[i] {
			arrow = "I ◀ ─ ─ ─ ─ ─ R"
		}
		head := fmt.Sprintf("      %10s %-6s %s  ", "", "", arrow)
		t.wrap(head, strings.Repeat(" ", utf8.RuneCountInString(head)+2), flowLabel(f))
	}
	if note := failNote(sa, r.saFinding(sa.ID)); sa.Failure != nil || r.saFinding(sa.ID) != nil {
		t.wrap("    ", "      ", "✗ "+note)
	}
	for _, e := range sa.ICMPErrors {
		t.wrap("    ", "      ", fmt.Sprintf("ICMP %s from %s (frame %s)", e.Description, e.From, decode.FrameLabel(e.Frame)))
	}
	t.blank()
	t.line("    ", "Exchanges (time, frames, Wireshark filter):")
	for _, row := range r.exchangeRows(sa) {
		mark := " "
		if row.Failed {
			mark = "✗"
		}
		t.wrap("    ", "                 ", fmt.Sprintf("%s %10s  %-20s phase %s, MID %s, frames %s", mark, row.Rel, row.Exchange, row.Phase, row.MID, row.Frames))
		t.line("                 ", row.Filter)
	}
	t.blank()
}

// textWriter writes lines wrapped at TextWidth.
type textWriter struct {
	w   io.Writer
	red *redactor
}

func (t *textWriter) blank() { fmt.Fprintln(t.w) }

// line writes one line, cut at TextWidth if it must be.
func (t *textWriter) line(indent, s string) { t.emit(indent, t.redact(s)) }

// redact applies the redaction before the width is measured (placeholders
// are not as long as the addresses they replace).
func (t *textWriter) redact(s string) string {
	if t.red == nil {
		return s
	}
	return string(t.red.apply([]byte(s)))
}

func (t *textWriter) emit(indent, s string) {
	s = indent + s
	if utf8.RuneCountInString(s) > TextWidth {
		rs := []rune(s)
		s = string(rs[:TextWidth-1]) + "…"
	}
	fmt.Fprintln(t.w, strings.TrimRight(s, " "))
}

// wrap writes s word-wrapped: the first line after first, the others after
// rest.
func (t *textWriter) wrap(first, rest, s string) {
	s = t.redact(s)
	// A line's own indent (the sides of a comparison) holds on the lines
	// it wraps to.
	if lead := len(s) - len(strings.TrimLeft(s, " ")); lead > 0 {
		first, rest, s = first+s[:lead], rest+s[:lead], s[lead:]
	}
	if utf8.RuneCountInString(first+s) <= TextWidth {
		t.emit(first, s)
		return
	}
	indent := first
	var cur strings.Builder
	width := func() int { return utf8.RuneCountInString(indent) + utf8.RuneCountInString(cur.String()) }
	for _, word := range strings.Fields(s) {
		if cur.Len() > 0 && width()+1+utf8.RuneCountInString(word) > TextWidth {
			t.emit(indent, cur.String())
			cur.Reset()
			indent = rest
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(word)
	}
	if cur.Len() > 0 {
		t.emit(indent, cur.String())
	}
}
