package analysisview

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// A tunnel's lifeline is its SAs over time: when each came up, what it
// replaced, when it was rekeyed, deleted or refused, and where the tunnel
// failed. It is decided here, once, and every view draws it: the text of
// analyze, the reports (a Mermaid gantt in Markdown, SVG in HTML, bars in
// text) and the terminal UI.

// Lifeline is one tunnel's life.
type Lifeline struct {
	Tunnel *correlate.Tunnel
	// Title names the tunnel: its peers and protected flows.
	Title string
	// Status reads at a glance: "up since +0.012s (frame 4), 2 rekeys",
	// "down since …", "failed: P2_PFS_MISMATCH at the rekey, frame 40".
	Status string
	Bars   []Bar
	// Start and End are the capture's span, which the bars are drawn in.
	Start, End time.Time
}

// Bar is one SA on a lifeline.
type Bar struct {
	Label string // "IKE SA #1", "child SA #3"
	Child bool
	// From and To are when the SA lived in the capture (From = To for a
	// negotiation that failed or was cut off: a point).
	From, To           time.Time
	FromFrame, ToFrame int
	// SinceBefore: up before the capture began; UntilEnd: up at its end.
	SinceBefore, UntilEnd bool
	// End is how it ended: "rekeyed", "deleted", "expired", "lost" (its
	// peer restarted), "failed", "incomplete", or "" while up.
	End string
	// Failed marks the failure point of the tunnel's life.
	Failed bool
	// Note says what it is: "rekey of #1, replaced by #3".
	Note string
}

// Lifelines are the tunnels' lifelines, in the order every view lists
// tunnels (TunnelOrder).
func Lifelines(a *correlate.Analysis, fs []diagnose.Finding) []Lifeline {
	var out []Lifeline
	for _, t := range TunnelOrder(a, fs) {
		out = append(out, LifelineOf(a, t, fs))
	}
	return out
}

// TunnelTitle names a tunnel: "198.18.1.1 ↔ 198.18.1.2 (198.19.1.0/24 ⇄ 198.19.2.0/24)".
func TunnelTitle(t *correlate.Tunnel) string {
	s := fmt.Sprintf("%s ↔ %s", t.A, t.B)
	if t.Selectors != "" {
		s += " (" + t.Selectors + ")"
	}
	return s
}

// LifelineOf is one tunnel's lifeline.
func LifelineOf(a *correlate.Analysis, t *correlate.Tunnel, fs []diagnose.Finding) Lifeline {
	l := Lifeline{Tunnel: t, Title: TunnelTitle(t), Start: a.FirstTime, End: a.LastTime}
	l.Status = TunnelStatus(a, t, fs)
	// The SAs and child SAs an error finding is about are failure points.
	failedSA, failedChild := map[int]bool{}, map[int]bool{}
	for _, f := range fs {
		if f.Severity == diagnose.Error && f.Tunnel == t.ID {
			if f.Child != 0 {
				failedChild[f.Child] = true
			} else {
				failedSA[f.IKESA] = true
			}
		}
	}
	for _, id := range t.IKESAs {
		sa := a.IKESAByID(id)
		if sa == nil {
			continue
		}
		b := Bar{Label: fmt.Sprintf("IKE SA #%d", sa.ID), To: sa.Last, ToFrame: sa.LastFrame, SinceBefore: sa.BeforeCapture}
		b.From, b.FromFrame = a.UpSince(sa)
		if sa.State == correlate.StateFailed || !sa.WasUp() {
			b.From, b.FromFrame = sa.First, sa.FirstFrame
		}
		notes := []string{saKind(sa)}
		switch {
		case sa.State == correlate.StateFailed:
			b.End, b.To = "failed", b.From
			if sa.Failure != nil {
				b.ToFrame = sa.Failure.Frame
				b.Failed = failedSA[sa.ID]
			}
		case !sa.End.IsZero():
			b.To, b.ToFrame, b.End = sa.End, sa.EndFrame, "deleted"
			if next := a.IKESAByID(sa.ReplacedBy); next != nil {
				b.End = "rekeyed"
				if next.Link != nil && next.Link.Kind == correlate.LinkRestart {
					b.End = "lost"
				}
				notes = append(notes, fmt.Sprintf("replaced by #%d", sa.ReplacedBy))
			}
		case sa.WasUp():
			b.To, b.ToFrame, b.UntilEnd = a.LastTime, 0, true
		default:
			b.End = string(sa.State)
		}
		b.Note = strings.Join(notes, ", ")
		l.Bars = append(l.Bars, b)
	}
	for _, id := range t.Children {
		csa, c := a.ChildByID(id)
		if c == nil {
			continue
		}
		b := Bar{Label: fmt.Sprintf("child SA #%d", c.ID), Child: true, From: c.Time, To: c.End, FromFrame: c.Frame, ToFrame: c.EndFrame,
			SinceBefore: c.Kind == correlate.ChildBeforeCapture}
		var notes []string
		switch c.Kind {
		case correlate.ChildRekey:
			notes = append(notes, fmt.Sprintf("rekey of #%d", c.Replaces))
		case correlate.ChildBeforeCapture:
			notes = append(notes, "up before the capture")
		default:
			notes = append(notes, string(c.Kind))
		}
		switch {
		case !c.WasUp():
			b.End, b.To, b.ToFrame = string(c.State), c.Time, c.Frame
			b.Failed = failedChild[c.ID] || c.Failure != nil && c.Failure == csa.Failure && failedSA[csa.ID]
		case c.End.IsZero():
			b.To, b.ToFrame, b.UntilEnd = a.LastTime, 0, true
		default:
			b.End = string(c.State)
			if _, next := a.ChildByID(c.ReplacedBy); next != nil && next.Link != nil && next.Link.Kind == correlate.LinkRestart {
				b.End = "lost"
			}
		}
		if c.ReplacedBy != 0 {
			notes = append(notes, fmt.Sprintf("replaced by #%d", c.ReplacedBy))
		}
		if c.Collision {
			notes = append(notes, "rekey collision")
		}
		if c.IPComp != "" {
			notes = append(notes, IPCompText(c))
		}
		b.Note = strings.Join(notes, ", ")
		l.Bars = append(l.Bars, b)
	}
	return l
}

// IPCompText says which IPComp CPIs a child SA agreed, beside the ESP
// SPIs they pair with, both as the IKE SA's initiator receives / sends.
func IPCompText(c *correlate.Child) string {
	s := fmt.Sprintf("IPComp %s CPIs 0x%04x/0x%04x", c.IPComp, c.CPIIn, c.CPIOut)
	if c.SPIIn != 0 || c.SPIOut != 0 {
		s += fmt.Sprintf(" with ESP SPIs 0x%08x/0x%08x", c.SPIIn, c.SPIOut)
	}
	return s
}

// saKind says how an IKE SA came to be, as a lifeline notes it.
func saKind(sa *correlate.IKESA) string {
	switch {
	case sa.Link != nil:
		return fmt.Sprintf("%s of #%d", sa.Link.Kind, sa.Replaces)
	case sa.BeforeCapture:
		return "up before the capture"
	}
	return "initial"
}

// TunnelStatus says where a tunnel stands and how it got there: "up since
// +0.012s (frame 4), 2 rekeys"; with the failure when one of its findings
// is an error.
func TunnelStatus(a *correlate.Analysis, t *correlate.Tunnel, fs []diagnose.Finding) string {
	t0 := a.FirstTime
	at := func(tm time.Time, frame int) string {
		s := fmt.Sprintf("%+.3fs", tm.Sub(t0).Seconds())
		if frame != 0 {
			s += " (frame " + decode.FrameLabel(frame) + ")"
		}
		return s
	}
	var s string
	switch t.State {
	case correlate.TunnelUp:
		iv := t.Up[len(t.Up)-1]
		if iv.SinceBefore {
			s = "up since before the capture"
		} else {
			s = "up since " + at(iv.From, iv.FromFrame)
		}
	case correlate.TunnelDown:
		iv := t.Up[len(t.Up)-1]
		s = "down since " + at(iv.To, iv.ToFrame)
	default:
		s = string(t.State)
	}
	if n := Rekeys(a, t); n == 1 {
		s += ", 1 rekey"
	} else if n > 1 {
		s += fmt.Sprintf(", %d rekeys", n)
	}
	for _, f := range fs {
		if f.Severity == diagnose.Error && f.Tunnel == t.ID {
			s += "; " + f.Code
			if f.During != "" {
				s += " during " + f.During
			}
			if len(f.Frames) > 0 {
				s += " at frame " + decode.FrameLabel(f.Frame)
			}
			break
		}
	}
	return s
}

// Track draws a bar in width columns over the capture's span: '=' while
// the SA lived, then how it ended: '>' replaced, 'x' deleted, expired or
// lost (its peer restarted),
// 'X' the failure point, '!' a negotiation that failed, '?' one cut off
// by the capture's end; '<' in the first column for an SA up before the
// capture.
func (l Lifeline) Track(b Bar, width int) string {
	cells := []rune(strings.Repeat(" ", width))
	col := func(t time.Time) int {
		span := l.End.Sub(l.Start)
		if span <= 0 {
			return 0
		}
		c := int(float64(t.Sub(l.Start)) / float64(span) * float64(width-1))
		return min(max(c, 0), width-1)
	}
	from, to := col(b.From), col(b.To)
	if b.SinceBefore {
		from = 0
	}
	for i := from; i <= to; i++ {
		cells[i] = '='
	}
	switch {
	case b.Failed:
		cells[to] = 'X'
	case b.End == "failed":
		cells[to] = '!'
	case b.End == "incomplete":
		cells[to] = '?'
	case b.End == "rekeyed":
		cells[to] = '>'
	case b.End == "deleted" || b.End == "expired" || b.End == "lost":
		cells[to] = 'x'
	}
	if b.SinceBefore {
		cells[0] = '<'
	}
	return string(cells)
}

// Outcome is what a bar comes to, which every view draws in its own way
// (a colour, a gantt tag).
type Outcome int

// Outcomes of a bar.
const (
	OutcomeEnded  Outcome = iota // deleted, rekeyed, expired, lost, incomplete
	OutcomeUp                    // up at the end of the capture
	OutcomeFailed                // a failed negotiation
)

// Outcome says what the bar comes to.
func (b Bar) Outcome() Outcome {
	switch {
	case b.Failed || b.End == "failed":
		return OutcomeFailed
	case b.UntilEnd:
		return OutcomeUp
	}
	return OutcomeEnded
}

// EndText says how the SA ended: "rekeyed", "failed", "up at the end".
func (b Bar) EndText() string {
	if b.UntilEnd {
		return "up at the end"
	}
	return b.End
}

// Span writes a bar's frames: "frames 4–17", "frame 32 on", "frame 9".
func (b Bar) Span() string {
	from, to := decode.FrameLabel(b.FromFrame), decode.FrameLabel(b.ToFrame)
	switch {
	case b.FromFrame == 0 && b.ToFrame == 0:
		return "the whole capture"
	case b.FromFrame == 0:
		return "until frame " + to
	case b.UntilEnd || b.ToFrame == 0:
		return "frame " + from + " on"
	case b.FromFrame == b.ToFrame:
		return "frame " + from
	}
	return "frames " + from + "–" + to
}

// lifelineWidth is the width of the bars in the text views.
const lifelineWidth = 40

// writeLifelines writes the tunnels' lifelines as text.
func writeLifelines(w io.Writer, ls []Lifeline) {
	if len(ls) == 0 {
		return
	}
	fmt.Fprintln(w, "Tunnels")
	for _, l := range ls {
		WriteLifeline(w, l, "  ")
	}
	fmt.Fprintln(w)
}

// WriteLifeline writes one tunnel's lifeline as text, each line indented.
func WriteLifeline(w io.Writer, l Lifeline, indent string) {
	fmt.Fprintf(w, "%s#%d %s: %s\n", indent, l.Tunnel.ID, l.Title, l.Status)
	for _, b := range l.Bars {
		fmt.Fprintf(w, "%s  %-13s |%s| %s; %s, %s\n", indent, b.Label, l.Track(b, lifelineWidth), b.Note, b.EndText(), b.Span())
	}
}
