package report

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// Gateway logs (--log) in a report: the logs read in the chain of custody,
// their lines on each tunnel's timeline (which logs recorded a message;
// after an exchange, the lines stating a cause or a notify) and each
// finding's log lines. Only the texts of the events package gwlog made are
// printed, never anything else of a log file: a charon log at level 4
// holds the keys, and gwlog never turns such a line into an event.

// LogCustody is one gateway log read with --log: what the analysis JSON
// says of it (analysisview.LogDoc).
type LogCustody = analysisview.LogDoc

// logRows are the chain-of-custody lines of the logs.
func logRows(ls []LogCustody) [][2]string {
	var rows [][2]string
	for i, l := range ls {
		p := "Gateway log"
		if len(ls) > 1 {
			p = fmt.Sprintf("Gateway log %d", i+1)
		}
		format := l.Format
		if format == "" {
			format = "format not recognised"
		}
		s := fmt.Sprintf("%s (%s): %d lines, %d events, %d packet lines matched to frames", l.Name, format, l.Lines, l.Events, l.Aligned)
		if l.Aligned > 0 {
			s += fmt.Sprintf(", clock %s against the capture", signedSeconds(l.OffsetSeconds))
		} else {
			s += ", clock offset unknown"
		}
		if l.Skipped > 0 {
			s += fmt.Sprintf(", %d lines not understood", l.Skipped)
		}
		rows = append(rows, [2]string{p, s})
		if l.SHA256 != "" {
			rows = append(rows, [2]string{p + " SHA-256", fmt.Sprintf("%s (%d bytes)", l.SHA256, l.Size)})
		}
	}
	return rows
}

// eventsOf are the log events about messages (their frames and
// sightings), in the analysis's order.
func (r *Report) eventsOf(by correlate.FrameLogs, msgs ...*correlate.Message) []*correlate.LogEvent {
	idx := by.Of(msgs...)
	out := make([]*correlate.LogEvent, len(idx))
	for i, j := range idx {
		out[i] = &r.Analysis.Logs[j]
	}
	return out
}

// logLine is a log line stating a cause or a notify about an exchange.
type logLine struct {
	Side string // "initiator", "responder" or ""
	Ref  string // "charon-responder.log:302"
	Text string
	// Cause is the finding code the line states ("" for a notify), Basis
	// how; Fail: the cause is the IKE SA's failure code.
	Cause, Basis string
	Fail         bool
	text         string // as analysisview.CauseLineText writes it
}

// String is the line as text, as the analyze text has it.
func (l logLine) String() string { return l.text }

// causeLines are, of the log events about an exchange, the lines that
// state a cause or a notify (analysisview.StatesSomething).
func (r *Report) causeLines(sa *correlate.IKESA, evs []*correlate.LogEvent) []logLine {
	var fail []string
	for _, f := range r.Findings {
		if f.IKESA == sa.ID && f.Severity == diagnose.Error {
			fail = append(fail, f.Code)
		}
	}
	var out []logLine
	for _, e := range evs {
		if !analysisview.StatesSomething(e) {
			continue
		}
		out = append(out, logLine{Side: e.Side, Ref: filepath.Base(e.Log) + ":" + strconv.Itoa(e.Line), Text: e.Text,
			Cause: e.Cause, Basis: e.Basis, Fail: e.Cause != "" && slices.Contains(fail, e.Cause),
			text: analysisview.CauseLineText(e)})
	}
	return out
}

// exchangeEnds maps each exchange (index) to the position of its last
// message among the steps, where the log lines about it go.
func exchangeEnds(steps []step) map[int]int {
	end := map[int]int{}
	for i, s := range steps {
		end[s.ExIndex] = i
	}
	return end
}

// stepLogs returns, for each step of an IKE SA, the "logged:" text of its
// message and the cause lines placed after it (the exchange's, after its
// last message). Both are empty without logs.
func (r *Report) stepLogs(sa *correlate.IKESA, steps []step) (logged []string, after [][]logLine) {
	logged, after = make([]string, len(steps)), make([][]logLine, len(steps))
	if len(r.Analysis.Logs) == 0 {
		return logged, after
	}
	by := r.Analysis.FrameLogsOf(sa.ID)
	if len(by) == 0 {
		return logged, after
	}
	end := exchangeEnds(steps)
	for i, s := range steps {
		ex := sa.Exchanges[s.ExIndex]
		logged[i] = analysisview.LoggedText(r.eventsOf(by, ex.Messages[s.N-1]))
		if end[s.ExIndex] == i {
			after[i] = r.causeLines(sa, r.eventsOf(by, ex.Messages...))
		}
	}
	return logged, after
}

// shortText cuts a text to n characters.
func shortText(s string, n int) string {
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n-1]) + "…"
	}
	return s
}
