package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// writeMarkdown writes the Markdown report: verdict and findings first, then
// per tunnel a Mermaid sequence diagram and the timeline table, then the ESP
// flows, the evidence slice and the chain of custody.
func (r *Report) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "# IPsec capture report: %s\n\n", mdText(r.title()))
	if top := r.failing(); top != nil {
		if head, failed := verdictHead(top); failed {
			fmt.Fprintf(w, "**Verdict: %s — `%s` (%s), frame %s.** %s\n\n", head, top.Code, top.Certainty, frameRanges(top.Frames), mdText(top.Summary))
		} else {
			fmt.Fprintf(w, "**Verdict: %s — `%s`.** %s\n\n", head, top.Code, mdText(top.Summary))
		}
	} else {
		fmt.Fprint(w, "**Verdict: no failure found.**\n\n")
	}
	fmt.Fprint(w, "## Findings\n\n")
	if len(r.Findings) == 0 {
		fmt.Fprint(w, "None.\n\n")
	}
	for i, f := range r.Findings {
		r.mdFinding(w, i+1, f)
	}
	r.mdLifelines(w)
	fmt.Fprint(w, "## Tunnels\n\n")
	if len(r.Analysis.IKESAs) == 0 {
		fmt.Fprint(w, "No IKE SA in the capture.\n\n")
	}
	for _, sa := range analysisview.IKESAOrder(r.Analysis, r.Findings) {
		r.mdTunnel(w, sa)
	}
	r.mdESP(w, r.Analysis.ESP, "## ESP flows")
	if ss := r.slices(); len(ss) > 1 || len(ss) == 1 && ss[0].Capture != 0 {
		fmt.Fprint(w, "## Evidence slices\n\nOne per capture, each with the packets and times as that capture has them.\n\n")
	} else if len(ss) == 1 {
		fmt.Fprint(w, "## Evidence slice\n\n")
	}
	for _, s := range r.slices() {
		from := ""
		if s.Capture != 0 {
			from = fmt.Sprintf(" (capture %d, %s)", s.Capture, mdText(filepath.Base(s.Source)))
		}
		fmt.Fprintf(w, "`%s`%s: %d packets, %d bytes, SHA-256 `%s`. Slice frame → original frame:\n\n", mdText(filepath.Base(s.File)), from, len(s.Frames), s.Size, s.SHA256)
		for _, m := range sliceMap(s.Frames) {
			fmt.Fprintf(w, "- %s\n", m)
		}
		fmt.Fprintln(w)
		if s.EndMarker != 0 {
			fmt.Fprintf(w, "%s\n\n", mdText(endMarkerText(s)))
		}
	}
	fmt.Fprint(w, "## Chain of custody\n\n| | |\n|---|---|\n")
	for _, row := range r.custodyRows() {
		fmt.Fprintf(w, "| %s | %s |\n", row[0], mdCell(row[1]))
	}
}

func (r *Report) mdFinding(w io.Writer, n int, f diagnose.Finding) {
	fmt.Fprintf(w, "### %d. `%s` — %s, %s, frame %s\n\n", n, f.Code, f.Severity, f.Certainty, orDash(frameRanges(f.Frames)))
	if f.IKESA != 0 {
		fmt.Fprintf(w, "IKE SA #%d. ", f.IKESA)
	}
	fmt.Fprintf(w, "%s\n\n", mdText(f.Summary))
	if len(f.Causes) > 0 {
		fmt.Fprint(w, "Probable causes, most likely first:\n\n")
		for i, c := range f.Causes {
			fmt.Fprintf(w, "%d. **%s** — %s\n", i+1, mdText(c.Cause), mdText(c.Why))
		}
		fmt.Fprintln(w)
	}
	for _, l := range f.Logs {
		fmt.Fprintf(w, "**Gateway log:** %s\n\n", mdText(l))
	}
	if c := f.Comparison; c != nil {
		fmt.Fprintf(w, "**Compared, %s:**\n\n| side | | values |\n|---|---|---|\n", mdText(c.Subject))
		for _, sd := range c.Sides {
			fmt.Fprintf(w, "| %s | %s | %s |\n", mdText(sd.Who), mdText(sd.Role), mdText(strings.Join(sd.Marked(), "; ")))
		}
		fmt.Fprintln(w)
		if c.Differs != "" {
			fmt.Fprintf(w, "Differs: %s\n\n", mdText(c.Differs))
		}
		if c.Needs != "" {
			fmt.Fprintf(w, "Needs: %s\n\n", mdText(c.Needs))
		}
	}
	if f.Remedy != "" {
		fmt.Fprintf(w, "**Remedy:** %s\n\n", mdText(f.Remedy))
	}
	if len(f.Commands) > 0 {
		fmt.Fprint(w, "| Platform | Command |\n|---|---|\n")
		for _, c := range f.Commands {
			fmt.Fprintf(w, "| %s | `%s` |\n", mdCell(c.Platform), mdCode(c.Command))
		}
		fmt.Fprintln(w)
	}
}

func (r *Report) mdTunnel(w io.Writer, sa *correlate.IKESA) {
	fmt.Fprintf(w, "### %s\n\n", mdText(saTitle(sa)))
	fmt.Fprintf(w, "- SPIs: `%s` / `%s`\n", sa.InitiatorSPI, sa.ResponderSPI)
	fmt.Fprintf(w, "- State: %s\n", mdText(saState(sa)))
	if len(sa.Phase1Chosen) > 0 {
		fmt.Fprintf(w, "- Phase 1 proposal chosen: `%s`\n", mdCode(strings.Join(sa.Phase1Chosen, ", ")))
	}
	fmt.Fprintf(w, "- Frames %s; Wireshark: `%s`\n\n", frameSpan(sa.FirstFrame, sa.LastFrame), saFilter(sa))
	fmt.Fprint(w, "```mermaid\n")
	r.writeMermaid(w, sa)
	fmt.Fprint(w, "```\n\n")
	fmt.Fprint(w, "| Time | Frames | Phase | Exchange | MID | Messages | Wireshark filter |\n|---:|---|---|---|---:|---|---|\n")
	for _, row := range r.exchangeRows(sa) {
		ex := mdCell(row.Exchange)
		if row.Failed {
			ex = "**" + ex + " ✗**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | `%s` | `%s` |\n", row.Rel, row.Frames, row.Phase, ex, row.MID, mdCode(row.Messages), row.Filter)
	}
	fmt.Fprintln(w)
	for _, e := range sa.ICMPErrors {
		fmt.Fprintf(w, "- ICMP %s from %s (frame %s)\n", mdText(e.Description), e.From, decode.FrameLabel(e.Frame))
	}
	if len(sa.ICMPErrors) > 0 {
		fmt.Fprintln(w)
	}
}

// writeMermaid writes a sequenceDiagram of an IKE SA's messages.
func (r *Report) writeMermaid(w io.Writer, sa *correlate.IKESA) {
	fmt.Fprint(w, "sequenceDiagram\n")
	fmt.Fprintf(w, "    participant I as %s initiator\n", mermaidText(sa.Initiator.Addr().String()))
	fmt.Fprintf(w, "    participant R as %s responder\n", mermaidText(sa.Responder.Addr().String()))
	top := r.saFinding(sa.ID)
	noted := false
	steps := r.steps(sa)
	_, after := r.stepLogs(sa, steps)
	for i, s := range steps {
		from, to := "I", "R"
		if !s.fromInit() {
			from, to = "R", "I"
		}
		label := s.arrow() + fmt.Sprintf(" (frame %s, %+.3fs)", capFrames(s.Message.Frames, 8), s.Rel)
		if s.Seen != "" {
			label = strings.TrimSuffix(label, ")") + ", " + s.Seen + ")"
		}
		arrow := "->>"
		if s.Failure {
			fmt.Fprint(w, "    rect rgb(255, 215, 215)\n")
			// A cross for a message that never arrived: unanswered, or
			// lost between two capture points.
			if s.Lost || sa.Failure != nil && sa.Failure.Kind == correlate.FailNoResponse {
				arrow = "-x"
			}
		} else if s.Lost {
			// Lost between two capture points: a cross, in red.
			fmt.Fprint(w, "    rect rgb(255, 215, 215)\n")
			arrow = "-x"
		}
		fmt.Fprintf(w, "    %s%s%s: %s\n", from, arrow, to, mermaidText(label))
		if s.Failure {
			if !noted {
				fmt.Fprintf(w, "    Note over I,R: %s\n", mermaidText(failNote(sa, top)))
			}
			fmt.Fprint(w, "    end\n")
			noted = true
		} else if s.Lost {
			fmt.Fprint(w, "    end\n")
		}
		for _, l := range after[i] {
			mermaidLogNote(w, l)
		}
	}
	flows, fromInit := r.saFlows(sa)
	for i, f := range flows {
		from, to := "I", "R"
		if !fromInit[i] {
			from, to = "R", "I"
		}
		fmt.Fprintf(w, "    %s-->>%s: %s\n", from, to, mermaidText(flowLabel(f)))
	}
	if !noted && (sa.Failure != nil || top != nil) {
		fmt.Fprintf(w, "    Note over I,R: %s\n", mermaidText(failNote(sa, top)))
	}
}

// mermaidLogNote writes a log line stating a cause or a notify as a note
// over the gateway that logged it; red when it states the failure.
func mermaidLogNote(w io.Writer, l logLine) {
	over := "I,R"
	switch l.Side {
	case "initiator":
		over = "I"
	case "responder":
		over = "R"
	}
	text := fmt.Sprintf("log %s: %s", l.Ref, shortText(l.Text, 100))
	if l.Cause != "" {
		text += fmt.Sprintf(" ⇒ %s (%s)", l.Cause, l.Basis)
	}
	if l.Fail {
		fmt.Fprint(w, "    rect rgb(255, 215, 215)\n")
	}
	fmt.Fprintf(w, "    Note over %s: %s\n", over, mermaidText(text))
	if l.Fail {
		fmt.Fprint(w, "    end\n")
	}
}

// failNote is the failure's one-line note in a diagram.
func failNote(sa *correlate.IKESA, f *diagnose.Finding) string {
	var parts []string
	if f != nil {
		parts = append(parts, fmt.Sprintf("FAILURE %s (%s), frame %s", f.Code, f.Certainty, capFrames(f.Frames, 6)))
	}
	if t := failureText(sa); t != "" {
		parts = append(parts, t)
	}
	return strings.Join(parts, ": ")
}

func (r *Report) mdESP(w io.Writer, flows []*correlate.ESPFlow, title string) {
	if len(flows) == 0 {
		return
	}
	fmt.Fprintf(w, "%s\n\n", title)
	fmt.Fprint(w, "| SPI | From → to | Frames | Packets | Bytes | Max seq | Lost | Repeated | IKE SA | Wireshark filter |\n|---|---|---|---:|---:|---:|---:|---:|---|---|\n")
	for _, f := range flows {
		sa := "-"
		if f.IKESA != 0 {
			sa = fmt.Sprintf("#%d", f.IKESA)
		}
		encap := ""
		if f.UDPEncapsulated {
			encap = " (UDP)"
		}
		fmt.Fprintf(w, "| `%08x` | %s → %s%s | %s | %d | %d | %d | %d | %d | %s | `%s` |\n", f.SPI, f.Src.Addr(), f.Dst.Addr(), encap,
			frameSpan(f.FirstFrame, f.LastFrame), f.Packets, f.Bytes, f.MaxSeq, f.Lost, f.Replays, sa, espFilter(f))
	}
	fmt.Fprintln(w)
}

// mdText escapes the characters Markdown would interpret in running text.
func mdText(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch c {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '#':
			b.WriteByte('\\')
		}
		if c == '\n' {
			c = ' '
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mdCell escapes text for a table cell.
func mdCell(s string) string { return mdText(s) }

// mdCode prepares text for a code span inside a table: no backticks, no pipes.
func mdCode(s string) string {
	s = strings.ReplaceAll(s, "`", "'")
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

// mermaidText escapes what Mermaid would read as syntax in a message or
// note: statement separators, entity codes, HTML and line breaks.
func mermaidText(s string) string {
	r := strings.NewReplacer("#", "#35;", ";", "#59;", "<", "#60;", ">", "#62;", "\n", " ", "%", "#37;", "{", "#123;", "}", "#125;")
	return r.Replace(s)
}

// endMarkerText explains the end-of-capture packet in a slice.
func endMarkerText(s *Slice) string {
	return fmt.Sprintf("Original frame %s is the capture's last IPsec packet, kept so that the slice ends when the capture did (unanswered requests are recognised by the time that follows them).", decode.FrameLabel(s.EndMarker))
}
