package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// Each report shows each tunnel's lifeline, as analysisview decides it:
// Markdown as a Mermaid gantt of the SA lifetimes, HTML as SVG, text as
// bars of characters.

// lifelines are the report's tunnels' lifelines.
func (r *Report) lifelines() []analysisview.Lifeline {
	return analysisview.Lifelines(r.Analysis, r.Findings)
}

// writeGantt writes a Mermaid gantt of a tunnel's SAs: time in
// milliseconds from the capture's first IPsec packet; a failed
// negotiation is a milestone.
func (r *Report) writeGantt(w io.Writer, l analysisview.Lifeline) {
	t0 := r.Analysis.FirstTime
	ms := func(b analysisview.Bar, end bool) int64 {
		t := b.From
		if end {
			t = b.To
		}
		if b.SinceBefore && !end {
			t = t0
		}
		return t.Sub(t0).Milliseconds()
	}
	fmt.Fprint(w, "gantt\n    dateFormat x\n    axisFormat %M:%S\n")
	fmt.Fprintf(w, "    title %s\n", ganttText(fmt.Sprintf("Tunnel %d %s", l.Tunnel.ID, l.Title)))
	section := ""
	for i, b := range l.Bars {
		s := "IKE SAs"
		if b.Child {
			s = "Child SAs"
		}
		if s != section {
			fmt.Fprintf(w, "    section %s\n", s)
			section = s
		}
		tag := map[analysisview.Outcome]string{analysisview.OutcomeFailed: "crit, milestone, ", analysisview.OutcomeUp: "active, ", analysisview.OutcomeEnded: "done, "}[b.Outcome()]
		from, to := ms(b, false), ms(b, true)
		if to <= from {
			to = from + 1
		}
		fmt.Fprintf(w, "    %s : %sb%d, %d, %d\n", ganttText(b.Label+" "+b.Note), tag, i, from, to)
	}
}

// ganttText makes a gantt task or title safe: the characters that end a
// task name (':'), start a comment ('%', '#') or an entity (';') dropped.
func ganttText(s string) string {
	return strings.NewReplacer("#", "", ":", "", ";", ",", "%", "", "\n", " ").Replace(s)
}

// mdLifelines writes the tunnels' lifelines in Markdown.
func (r *Report) mdLifelines(w io.Writer) {
	ls := r.lifelines()
	if len(ls) == 0 {
		return
	}
	fmt.Fprint(w, "## Tunnel lifelines\n\n")
	for _, l := range ls {
		fmt.Fprintf(w, "### Tunnel #%d %s\n\n%s\n\n", l.Tunnel.ID, mdText(l.Title), mdText(l.Status))
		fmt.Fprint(w, "```mermaid\n")
		r.writeGantt(w, l)
		fmt.Fprint(w, "```\n\n| SA | What | End | Frames |\n|---|---|---|---|\n")
		for _, b := range l.Bars {
			end := b.EndText()
			if b.Failed {
				end = "**" + end + " ✗**"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", b.Label, mdCell(b.Note), end, b.Span())
		}
		fmt.Fprintln(w)
	}
}

// textLifelines writes the tunnels' lifelines in the text report.
func (r *Report) textLifelines(t *textWriter) {
	ls := r.lifelines()
	if len(ls) == 0 {
		return
	}
	t.line("", "TUNNEL LIFELINES")
	for _, l := range ls {
		t.wrap("  ", "    ", fmt.Sprintf("#%d %s: %s", l.Tunnel.ID, l.Title, l.Status))
		for _, b := range l.Bars {
			t.wrap("    ", strings.Repeat(" ", 18), fmt.Sprintf("%-13s|%s| %s; %s, %s", b.Label, l.Track(b, 30), b.Note, b.EndText(), b.Span()))
		}
		t.blank()
	}
}

// svgLifeline is a tunnel's lifeline drawn in SVG.
type svgLifeline struct {
	Title, Status string
	W, H          int
	Bars          []svgBar
	AxisY         int
}

type svgBar struct {
	Label, Note       string
	Y, X, W, TextY    int
	Color             string
	Failed, Milestone bool
	CX                int
}

// svgLifelines lays out the tunnels' lifelines for the HTML report.
func (r *Report) svgLifelines() []svgLifeline {
	const left, width, row = 120, 560, 22
	var out []svgLifeline
	for _, l := range r.lifelines() {
		s := svgLifeline{Title: fmt.Sprintf("Tunnel #%d %s", l.Tunnel.ID, l.Title), Status: l.Status, W: left + width + 320}
		span := l.End.Sub(l.Start)
		x := func(b analysisview.Bar, end bool) int {
			t := b.From
			if end {
				t = b.To
			}
			if span <= 0 {
				return left
			}
			return left + int(float64(t.Sub(l.Start))/float64(span)*float64(width))
		}
		for i, b := range l.Bars {
			sb := svgBar{Label: b.Label, Note: b.Note + "; " + b.Span(), Y: 10 + i*row, TextY: 10 + i*row + 13}
			from, to := x(b, false), x(b, true)
			if b.SinceBefore {
				from = left
			}
			sb.X, sb.W = from, max(to-from, 3)
			switch {
			case b.Outcome() == analysisview.OutcomeFailed || b.End == "incomplete":
				sb.Milestone, sb.Failed, sb.CX = true, b.Outcome() == analysisview.OutcomeFailed, to
			case b.Outcome() == analysisview.OutcomeUp:
				sb.Color = "#2da44e"
			case b.End == "rekeyed":
				sb.Color = "#8c959f"
			default:
				sb.Color = "#bf8700"
			}
			s.Bars = append(s.Bars, sb)
		}
		s.AxisY = 10 + len(l.Bars)*row + 4
		s.H = s.AxisY + 18
		out = append(out, s)
	}
	return out
}
