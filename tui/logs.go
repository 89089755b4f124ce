package tui

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// Gateway logs (--log) on the ladder: under a message, one dim row saying
// which logs recorded it; after an exchange, the log lines that state a
// cause or a notify about it. Without logs nothing here adds a row.

// logWho names the gateway that wrote a log line: its side in the IKE SA,
// else the log's file name.
func logWho(e *correlate.LogEvent) string {
	if e.Side != "" {
		return e.Side
	}
	return filepath.Base(e.Log)
}

// loggedRow is the row under a message naming the log lines that recorded
// it: "↳ logged: sent by initiator :118, received by responder :93".
func (m *Model) loggedRow(by correlate.FrameLogs, msg *correlate.Message) (row, bool) {
	a := m.res.Analysis
	var parts []string
	var ids []int
	for _, i := range by.Of(msg) {
		e := &a.Logs[i]
		if !e.Matched || e.Packet == "" {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s by %s :%d", e.Packet, logWho(e), e.Line))
		ids = append(ids, i)
	}
	if len(parts) == 0 {
		return row{}, false
	}
	text := strings.Repeat(" ", gutter) + "↳ logged: " + strings.Join(parts, ", ")
	return row{text: m.s(text), kind: rowLog, tone: "dim", logs: ids, finding: -1}, true
}

// causeRows are the rows, after an exchange, of the log lines about it
// that state a cause or a notify; a line stating the SA's failure code is
// highlighted like the failure. Long lines wrap under the text.
func (m *Model) causeRows(by correlate.FrameLogs, ex *correlate.Exchange, errs []string, w int) []row {
	a := m.res.Analysis
	var rows []row
	for _, i := range by.Of(ex.Messages...) {
		e := &a.Logs[i]
		if e.Cause == "" && len(e.Notifies) == 0 || e.Matched && e.Cause == "" {
			continue // a packet line: already in the "logged:" row
		}
		// The gutter says "log" and which side's line: "log R:302".
		tag := fmt.Sprintf("%s:%d", logWho(e), e.Line)
		text := e.Text
		if e.Side != "" {
			tag = fmt.Sprintf("%s:%d", strings.ToUpper(e.Side[:1]), e.Line)
		}
		if len(tag) > 7 {
			text, tag = tag+"  "+text, ""
		}
		head := fmt.Sprintf("%8s %-7s ", "log", tag)
		if e.Cause != "" {
			text += fmt.Sprintf("  ⇒ %s (%s)", e.Cause, e.Basis)
		}
		hi := e.Cause != "" && slices.Contains(errs, e.Cause)
		tone := "warn"
		if e.Cause == "" {
			tone = "dim"
		}
		for j, l := range strings.Split(wrap(m.s(text), max(w-gutter-2, 10)), "\n") {
			prefix := head
			if j > 0 {
				prefix = strings.Repeat(" ", gutter+2)
			}
			rows = append(rows, row{text: m.s(prefix) + l, kind: rowLog, tone: tone, hi: hi, logs: []int{i}, finding: -1})
		}
	}
	return rows
}

// logsLine names the logs read, the side each wrote for the tunnel and
// its clock against the capture's: "logs: charon-initiator.log (I,
// -394ms), charon-responder.log (R, -394ms)"; "" without logs.
func (m *Model) logsLine(t tunnel) string {
	a := m.res.Analysis
	if a == nil || len(a.LogFiles) == 0 {
		return ""
	}
	var parts []string
	for _, l := range a.LogFiles {
		var tags []string
		if t.sa != nil {
			for _, i := range a.LogsOf(t.sa.ID) {
				if e := &a.Logs[i]; e.Log == l.Name && e.Side != "" {
					tags = append(tags, strings.ToUpper(e.Side[:1]))
					break
				}
			}
		}
		clock := "clock ?"
		if l.Aligned > 0 {
			clock = logOffset(l.Offset)
		}
		tags = append(tags, clock)
		parts = append(parts, fmt.Sprintf("%s (%s)", filepath.Base(l.Name), strings.Join(tags, ", ")))
	}
	return "logs: " + strings.Join(parts, ", ")
}

// logOffset writes a log's clock offset compactly: "-394ms", "+2.5s",
// "+12µs".
func logOffset(d time.Duration) string {
	switch ad := d.Abs(); {
	case ad >= 10*time.Second:
		d = d.Round(100 * time.Millisecond)
	case ad >= time.Millisecond:
		d = d.Round(time.Millisecond)
	default:
		d = d.Round(time.Microsecond)
	}
	return signedDuration(d)
}

// logDetail describes the log lines of a log row, field by field.
func (m *Model) logDetail(r row) []string {
	a := m.res.Analysis
	t0 := a.FirstTime
	l := []string{"Gateway log lines", ""}
	add := func(k, v string) { l = append(l, fmt.Sprintf("%-16s %s", k, v)) }
	for n, i := range r.logs {
		e := &a.Logs[i]
		if n > 0 {
			l = append(l, "")
		}
		add("Log", fmt.Sprintf("%s:%d", e.Log, e.Line))
		if e.Side != "" {
			add("Written by", e.Side)
		}
		if !e.Time.IsZero() {
			add("Time", fmt.Sprintf("%+.3fs (on the capture's clock)", e.Time.Sub(t0).Seconds()))
		}
		if e.Packet != "" {
			how := "follows"
			if e.Matched {
				how = "describes"
			}
			add("Packet", fmt.Sprintf("%s; the line %s frame %s", e.Packet, how, decode.FrameLabel(e.Frame)))
		} else if e.Frame != 0 {
			add("Frame", fmt.Sprintf("%s (the line follows it)", decode.FrameLabel(e.Frame)))
		}
		if e.Cause != "" {
			add("Cause", fmt.Sprintf("%s (%s)", e.Cause, e.Basis))
			if e.Reason != "" {
				add("Reason", e.Reason)
			}
		}
		if len(e.Notifies) > 0 {
			add("Notifies", strings.Join(e.Notifies, ", "))
		}
		add("Text", e.Text)
	}
	for i := range l {
		l[i] = m.s(l[i])
	}
	return l
}

// hasLogs reports whether gateway logs were read: the Timeline pane then
// has a line naming them.
func (m *Model) hasLogs() bool {
	return m.res != nil && m.res.Analysis != nil && len(m.res.Analysis.LogFiles) > 0
}
