package tui

import (
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/ipsecpcap/ipsecpcap/gwlog"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// logsScenario is a lab capture with both gateways' charon logs, read
// without keys: the cause comes from the responder's log.
const logsScenario = "ikev1-ts-not-mirrored"

// labLogs parses the two charon logs of a lab scenario.
func labLogs(t *testing.T, name string) []*gwlog.Log {
	t.Helper()
	var logs []*gwlog.Log
	for _, f := range []string{"charon-initiator.log", "charon-responder.log"} {
		l, err := gwlog.ParseFile(filepath.Join(lab, name, f))
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l)
	}
	return logs
}

// startWithLogs reads a lab capture with its logs to the end.
func startWithLogs(t *testing.T, name string) *pipeline.Run {
	t.Helper()
	r, err := pipeline.Start(capturePath(name), pipeline.Options{Logs: labLogs(t, name), KeepFrames: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	if err := r.RunToEnd(); err != nil {
		t.Fatal(err)
	}
	return r
}

func openWithLogs(t *testing.T, name string, opt Options, w, h int) *Model {
	t.Helper()
	m := New(startWithLogs(t, name), opt)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// teaStartLogs runs the UI on a lab capture with both gateways' logs.
func teaStartLogs(t *testing.T, name string, opt Options, w, h int) *teatest.TestModel {
	t.Helper()
	return teatest.NewTestModel(t, New(startWithLogs(t, name), opt), teatest.WithInitialTermSize(w, h))
}

// The gateway logs on the ladder: the logs read under the ladder header,
// under each message the logs that recorded it, after the exchange the
// lines stating a cause (the SA's failure code: highlighted); in the
// findings, the log line the diagnosis rests on.
func TestTeatestLogs(t *testing.T) {
	t.Run("open", func(t *testing.T) {
		tm := teaStartLogs(t, logsScenario, Options{NoColor: true}, 80, 24)
		teaWaitFor(t, tm, "logs: charon-initiator.log")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, ", 2 logs", "logs: charon-initiator.log (I, ", "charon-responder.log (R, ",
			"↳ logged: received by initiator :318, sent by responder :312", "▸✗  +0.013s #8")
	})
	t.Run("timeline_log_row", func(t *testing.T) {
		// From the failure (frame 8): up past the Informational header
		// to the responder's line stating the cause.
		tm := teaStartLogs(t, logsScenario, Options{NoColor: true}, 80, 24)
		teaPress(tm, "k", "k", "k")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "▸✗     log R:302   no matching CHILD_SA config found", "⇒ P2_TS_MISMATCH (local check)")
	})
	t.Run("log_detail", func(t *testing.T) {
		tm := teaStartLogs(t, logsScenario, Options{NoColor: true}, 80, 24)
		teaPress(tm, "k", "k", "k", "enter")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "▸ Detail", "Gateway log lines", "charon-responder.log:302", "Written by       responder",
			"Cause            P2_TS_MISMATCH (local check)")
	})
	t.Run("findings_log_line", func(t *testing.T) {
		// tab: the findings; down to the log line under the causes.
		tm := teaStartLogs(t, logsScenario, Options{NoColor: true}, 80, 24)
		teaPress(tm, "tab")
		for range 13 {
			teaPress(tm, "j")
		}
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "▸ Findings", "Gateway log: charon-responder.log:302 (responder): no matching CHILD_SA")
	})
	t.Run("ascii", func(t *testing.T) {
		tm := teaStartLogs(t, logsScenario, Options{NoColor: true, ASCII: true}, 80, 24)
		teaPress(tm, "k", "k", "k")
		v := teaFrame(t, tm, 80, 24)
		wantIn(t, v, "`- logged: sent by initiator :317", "=> P2_TS_MISMATCH")
		for _, l := range strings.Split(v, "\n") {
			for _, r := range l {
				if r > 126 {
					t.Fatalf("non-ASCII %q in %q", r, l)
				}
			}
		}
	})
}

// Without logs the Timeline pane has no logs line and no log rows.
func TestLogsAbsent(t *testing.T) {
	m := open(t, logsScenario, Options{NoColor: true}, 80, 24)
	for _, r := range m.tl.rows {
		if r.kind == rowLog {
			t.Fatalf("log row without logs: %q", r.text)
		}
	}
	if v := m.View(); strings.Contains(v, "logs") || strings.Contains(v, "logged") {
		t.Errorf("logs mentioned without logs:\n%s", v)
	}
}
