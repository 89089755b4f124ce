package analysisview

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
)

// writePoints lists the captures of a multi-capture run with their
// clocks, so that "frame 2:14" and "seen at 1, NOT at 2" can be read.
func writePoints(w io.Writer, in Input, a *correlate.Analysis) {
	if len(in.Points) < 2 {
		return
	}
	fmt.Fprintln(w, "captures (frames are written capture:frame):")
	for i, p := range in.Points {
		name := p.Name
		if p.Point != "" && len(p.Files) == 0 {
			name = fmt.Sprintf("%s (%s)", p.Point, p.Name)
		}
		fmt.Fprintf(w, "  %d  %s: %d frames", i+1, name, p.Packets)
		if i > 0 && i < len(a.Captures) {
			cc := a.Captures[i]
			if cc.Samples > 0 {
				fmt.Fprintf(w, ", clock %s against %s (from %d packets seen at both", signed(cc.Offset), a.PointName(1), cc.Samples)
				if cc.PathDelay > 0 {
					fmt.Fprintf(w, "; one-way delay %s", cc.PathDelay.Round(time.Microsecond))
				}
				fmt.Fprint(w, ")")
			} else {
				fmt.Fprint(w, ", clock offset unknown (no packet seen at both)")
			}
		}
		if p.ReadError != "" {
			fmt.Fprintf(w, "; warning: %s", p.ReadError)
		}
		fmt.Fprintln(w)
		if len(p.Files) == 0 && p.Grouping != "" {
			fmt.Fprintf(w, "     %s\n", p.Grouping)
		}
		writeFiles(w, p, "     ")
	}
}

// writeFiles lists the files of a capture point read from several, with
// their frames as the point numbers them, and why they are one point.
func writeFiles(w io.Writer, in Input, indent string) {
	if len(in.Files) == 0 {
		return
	}
	fmt.Fprintf(w, "%s%s\n", indent, in.Grouping)
	for _, f := range in.Files {
		frames := "no frame"
		if f.Packets > 0 {
			frames = fmt.Sprintf("frames %d–%d", f.FirstFrame, f.LastFrame)
		}
		if f.ReadError != "" {
			frames += "; warning: " + f.ReadError
		}
		fmt.Fprintf(w, "%s  %s: %s\n", indent, f.Name, frames)
	}
}

func signed(d time.Duration) string {
	if d >= 0 {
		return "+" + d.Round(time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

// SeenText says at which of the SA's capture points a message was seen,
// and at which it was not: "seen at 1, 2" or "seen at 1, NOT at 2"; "" in
// a single-capture run.
func SeenText(sa *correlate.IKESA, m *correlate.Message) string {
	seen, missed := sa.SeenAtPoints(m)
	if seen == nil && missed == nil {
		return ""
	}
	s := "seen at " + joinInts(seen)
	if len(missed) > 0 {
		s += ", NOT at " + joinInts(missed)
	}
	return s
}

func joinInts(v []int) string {
	parts := make([]string, len(v))
	for i, n := range v {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

// writeSAPoints shows an SA's addresses as each capture point saw them
// when they differ (a NAT between the points): one peer pair, mapped.
func writeSAPoints(w io.Writer, a *correlate.Analysis, sa *correlate.IKESA) {
	differ := false
	for _, pt := range sa.Points {
		if pt.Initiator != sa.Initiator || pt.Responder != sa.Responder {
			differ = true
		}
	}
	if !differ {
		return
	}
	pts := slices.Clone(sa.Points)
	slices.SortFunc(pts, func(a, b correlate.SAPoint) int { return a.Capture - b.Capture })
	for _, pt := range pts {
		fmt.Fprintf(w, "    at %s: initiator %s, responder %s\n", a.PointName(pt.Capture), pt.Initiator, pt.Responder)
	}
}
