package analysisview

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
)

// writeLogFiles lists the gateway logs read and how each lined up with the
// capture, so a reader can judge the log lines on the timeline.
func writeLogFiles(w io.Writer, a *correlate.Analysis) {
	for _, l := range a.LogFiles {
		fmt.Fprintf(w, "log: %s (%s): %d lines, %d events, %d packet lines matched to frames", l.Name, orUnknown(l.Format), l.Lines, l.Events, l.Aligned)
		if l.Aligned > 0 {
			fmt.Fprintf(w, ", clock %s against the capture", signed(l.Offset))
		}
		if l.Skipped > 0 {
			fmt.Fprintf(w, ", %d lines not understood", l.Skipped)
		}
		fmt.Fprintln(w)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "format not recognised"
	}
	return s
}

// loggedAs says which gateway logs recorded a message: "logged: sent by
// initiator (charon-initiator.log:45), received by responder (…:80)".
func loggedAs(a *correlate.Analysis, sa *correlate.IKESA, m *correlate.Message) string {
	var parts []string
	for i := range a.Logs {
		e := &a.Logs[i]
		if e.IKESA != sa.ID || !e.Matched || e.Packet == "" || !slices.Contains(m.Frames, e.Frame) {
			continue
		}
		who := e.Side
		if who == "" {
			who = "gateway"
		}
		parts = append(parts, fmt.Sprintf("%s by %s (%s:%d)", e.Packet, who, filepath.Base(e.Log), e.Line))
	}
	if len(parts) == 0 {
		return ""
	}
	return "logged: " + strings.Join(parts, ", ")
}

// causeLines are the log lines of an SA that state a cause or a notify,
// placed after the exchange whose frames they follow.
func causeLines(a *correlate.Analysis, sa *correlate.IKESA, ex *correlate.Exchange) []string {
	var out []string
	for i := range a.Logs {
		e := &a.Logs[i]
		if e.IKESA != sa.ID || e.Cause == "" && len(e.Notifies) == 0 || !inExchange(ex, e.Frame) {
			continue
		}
		if e.Matched && e.Cause == "" {
			continue // a packet line: already shown as "logged:"
		}
		who := e.Side
		if who == "" {
			who = "gateway"
		}
		s := fmt.Sprintf("log %s %s:%d  %s", who, filepath.Base(e.Log), e.Line, e.Text)
		if e.Cause != "" {
			s += fmt.Sprintf("  ⇒ %s (%s)", e.Cause, e.Basis)
		}
		out = append(out, s)
	}
	return out
}

func inExchange(ex *correlate.Exchange, frame int) bool {
	for _, m := range ex.Messages {
		if slices.Contains(m.Frames, frame) {
			return true
		}
	}
	return false
}
