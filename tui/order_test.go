package tui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// allCaptures lists every lab capture and, when present, the public
// captures with one of the extensions: several tunnels in one file, failed
// attempts the peers got past beside real failures.
func allCaptures(t *testing.T, exts ...string) []string {
	t.Helper()
	dirs, err := os.ReadDir(lab)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, d := range dirs {
		if p := filepath.Join(lab, d.Name(), "capture.pcap"); exists(p) {
			paths = append(paths, p)
		}
	}
	for _, root := range []string{"../../shared/captures", "../../shared/captures2"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && slices.Contains(exts, filepath.Ext(p)) {
				paths = append(paths, p)
			}
			return nil
		})
	}
	return paths
}

// TestTunnelOrderIsAnalyzes: on every lab capture the UI's first tunnel is
// the one of the failure analyze names first (a failed attempt the peers
// got past, a warning, does not come before it).
func TestTunnelOrderIsAnalyzes(t *testing.T) {
	paths := allCaptures(t, ".pcap", ".pcapng", ".cap")
	n := 0
	for _, path := range paths {
		r, err := pipeline.Start(path, pipeline.Options{})
		if err != nil {
			continue
		}
		r.RunToEnd()
		m := New(r, Options{NoColor: true})
		m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
		r.Close()
		var top *diagnose.Finding
		for i := range m.res.Findings {
			if f := &m.res.Findings[i]; f.Severity == diagnose.Error && (f.Tunnel != 0 || f.IKESA != 0) {
				top = f
				break
			}
		}
		if top == nil || len(m.all) == 0 {
			continue
		}
		n++
		first := m.all[0].life
		if first == nil {
			t.Errorf("%s: the first row has no tunnel", path)
			continue
		}
		want := top.Tunnel
		if want == 0 {
			if sa := m.res.Analysis.IKESAByID(top.IKESA); sa != nil && len(sa.Tunnels) > 0 {
				want = sa.Tunnels[0]
			}
		}
		if first.ID != want {
			t.Errorf("%s: the UI's first tunnel is #%v, analyze's failure (%s) is in tunnel #%d", path, first.ID, top.Code, want)
		}
	}
	if n < 10 {
		t.Errorf("only %d lab captures with a failure", n)
	}
}

// TestComparisonInFindings: the findings pane shows a failure's
// comparison, both sides, as analyze does (here without keys: the child
// SA's proposals are encrypted, and it says what would show them).
func TestComparisonInFindings(t *testing.T) {
	m := open(t, "ikev2-ts-unacceptable", Options{NoColor: true}, 120, 60)
	var text []string
	for _, r := range m.fi.rows {
		text = append(text, r.text)
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{"Compared, child SA proposals:", "initiator 198.18.1.1 proposed", "responder 198.18.1.2 answered, encrypted", "the keys (--keys"} {
		if !strings.Contains(all, want) {
			t.Errorf("%q not in the findings pane:\n%s", want, all)
		}
	}
}
