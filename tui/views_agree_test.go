package tui

import (
	"bytes"
	"fmt"
	"html"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/report"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// TestViewsAgree renders every lab capture (and the public captures, when
// present) in every view: analyze's text and JSON, the terminal UI, and
// the Markdown, HTML and text reports. All of them must name the same
// failure (its code, and the IKE SA's failure point labelled the same) and
// list the tunnels in the same order.
func TestViewsAgree(t *testing.T) {
	paths := allCaptures(t, ".pcap", ".pcapng")
	failures, ordered := 0, 0
	for _, path := range paths {
		r, err := pipeline.Start(path, pipeline.Options{})
		if err != nil {
			continue
		}
		if err := r.RunToEnd(); err != nil || r.Snapshot().Analysis == nil {
			r.Close()
			continue
		}
		res := r.Snapshot()
		a, fs := res.Analysis, res.Findings
		order := analysisview.TunnelOrder(a, fs)
		top := analysisview.VerdictFinding(a, fs)
		views := map[string]string{}

		var b bytes.Buffer
		analysisview.WriteText(&b, analysisview.InputOf(res), a, fs)
		views["analyze"] = b.String()
		rep, err := report.New(res, report.Options{})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, format := range []string{report.FormatMarkdown, report.FormatHTML, report.FormatText} {
			var b bytes.Buffer
			if err := rep.Write(&b, format); err != nil {
				t.Fatalf("%s: %s: %v", path, format, err)
			}
			views["report "+format] = html.UnescapeString(b.String())
		}
		doc := analysisview.BuildDocument(analysisview.InputOf(res), "test", a, fs)

		m := New(r, Options{NoColor: true})
		m.Update(tea.WindowSizeMsg{Width: 200, Height: 60})
		r.Close()

		// The same tunnel order: the UI's tunnel entries, and the lifelines
		// of the text and the reports, which name each tunnel "#N title".
		var ui []int
		for _, e := range m.all {
			if e.header {
				ui = append(ui, e.life.ID)
			}
		}
		want := make([]int, len(order))
		for i, tn := range order {
			want[i] = tn.ID
		}
		if fmt.Sprint(ui) != fmt.Sprint(want) {
			t.Errorf("%s: the UI lists tunnels %v, the view model %v", path, ui, want)
		}
		if len(order) > 1 {
			ordered++
			for name, text := range views {
				at := -1
				for _, tn := range order {
					i := strings.Index(text, fmt.Sprintf("#%d %s", tn.ID, analysisview.TunnelTitle(tn)))
					if i < 0 {
						t.Errorf("%s: %s does not list tunnel #%d", path, name, tn.ID)
						continue
					}
					if i < at {
						t.Errorf("%s: %s lists tunnel #%d out of the order %v", path, name, tn.ID, want)
					}
					at = i
				}
			}
		}

		// The same failure.
		if top == nil || top.Severity != diagnose.Error {
			continue
		}
		failures++
		var first string
		for _, f := range doc.Findings {
			if f.Severity == diagnose.Error {
				first = f.Code
				break
			}
		}
		if first != top.Code {
			t.Errorf("%s: the JSON's first error is %s, the verdict's %s", path, first, top.Code)
		}
		for name, text := range views {
			if !strings.Contains(text, top.Code) {
				t.Errorf("%s: %s does not name %s", path, name, top.Code)
			}
		}
		if !strings.Contains(views["analyze"], "FAILURE  "+top.Code) {
			t.Errorf("%s: analyze's failure block does not name %s", path, top.Code)
		}
		sa := a.IKESAByID(top.IKESA)
		if sa == nil {
			continue
		}
		if len(order) > 0 && len(sa.Tunnels) > 0 && order[0].ID != sa.Tunnels[0] && top.Tunnel == 0 {
			t.Errorf("%s: the first tunnel is #%d, the failure's is #%d", path, order[0].ID, sa.Tunnels[0])
		}
		if sa.Failure == nil {
			continue
		}
		point := analysisview.FailurePoint(sa)
		if !strings.Contains(views["analyze"], "failed at "+point) {
			t.Errorf("%s: analyze does not say the SA failed at %s", path, point)
		}
		if !uiSays(m, sa, "failed at "+point) {
			t.Errorf("%s: the UI does not say the SA failed at %s", path, point)
		}
		// The ladder's step holding the failure frame, marked, and labelled
		// as the ladder labels it in every report.
		var label string
		for _, st := range analysisview.Ladder(a, sa, fs) {
			if containsFrame(st.Message, sa.Failure.Frame) {
				label = st.Label
				if !st.Failure {
					t.Errorf("%s: the ladder does not mark its failure point %s", path, point)
				}
			}
		}
		for _, name := range []string{"report md", "report html", "report text"} {
			if label != "" && !strings.Contains(views[name], label+" · MID") {
				t.Errorf("%s: %s does not label the failure step %q", path, name, label)
			}
		}
	}
	if failures < 25 {
		t.Errorf("only %d captures with a failure checked", failures)
	}
	t.Logf("%d captures, %d with a failure, %d with several tunnels", len(paths), failures, ordered)
}

func containsFrame(m *correlate.Message, frame int) bool {
	for _, f := range m.Frames {
		if f == frame {
			return true
		}
	}
	return false
}

// uiSays reports whether the UI's row of an IKE SA holds a text.
func uiSays(m *Model, sa *correlate.IKESA, s string) bool {
	for _, e := range m.all {
		if e.sa != nil && e.sa.ID == sa.ID && e.child == nil && !e.header {
			return strings.Contains(m.tunnelRow(e).text, s)
		}
	}
	return false
}
