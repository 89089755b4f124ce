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

// loggedAs says which gateway logs recorded a message.
func loggedAs(a *correlate.Analysis, sa *correlate.IKESA, m *correlate.Message) string {
	var evs []*correlate.LogEvent
	for _, i := range a.LogsOf(sa.ID) {
		if e := &a.Logs[i]; slices.Contains(m.Frames, e.Frame) {
			evs = append(evs, e)
		}
	}
	return LoggedText(evs)
}

// LoggedText says which of the events record a packet, and where:
// "logged: sent by initiator (charon-initiator.log:45), received by
// responder (charon-responder.log:80)"; "" when none does.
func LoggedText(evs []*correlate.LogEvent) string {
	var parts []string
	for _, e := range evs {
		if !e.Matched || e.Packet == "" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s by %s (%s:%d)", e.Packet, LogWho(e), filepath.Base(e.Log), e.Line))
	}
	if len(parts) == 0 {
		return ""
	}
	return "logged: " + strings.Join(parts, ", ")
}

// LogWho is the gateway that wrote a line: its side, else "gateway".
func LogWho(e *correlate.LogEvent) string {
	if e.Side != "" {
		return e.Side
	}
	return "gateway"
}

// causeLines are the log lines of an SA that state a cause or a notify,
// placed after the exchange whose frames they follow.
func causeLines(a *correlate.Analysis, sa *correlate.IKESA, ex *correlate.Exchange) []string {
	var out []string
	for _, i := range a.LogsOf(sa.ID) {
		e := &a.Logs[i]
		if !StatesSomething(e) || !inExchange(ex, e.Frame) {
			continue
		}
		out = append(out, CauseLineText(e))
	}
	return out
}

// StatesSomething reports whether a log line states a cause or a notify
// (a packet line that only records a message is in LoggedText instead).
func StatesSomething(e *correlate.LogEvent) bool {
	return e.Cause != "" || len(e.Notifies) > 0 && !e.Matched
}

// CauseLineText is a line that states a cause or a notify: "log responder
// charon-responder.log:302  no matching CHILD_SA config found …  ⇒
// P2_TS_MISMATCH (local check)".
func CauseLineText(e *correlate.LogEvent) string {
	s := fmt.Sprintf("log %s %s:%d  %s", LogWho(e), filepath.Base(e.Log), e.Line, e.Text)
	if e.Cause != "" {
		s += fmt.Sprintf("  ⇒ %s (%s)", e.Cause, e.Basis)
	}
	return s
}

func inExchange(ex *correlate.Exchange, frame int) bool {
	for _, m := range ex.Messages {
		if slices.Contains(m.Frames, frame) {
			return true
		}
	}
	return false
}
