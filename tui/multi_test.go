package tui

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// secondPoint writes a copy of a lab capture as a second capture point
// would have taken it: its clock shift ahead, and without the frames drop
// (lost between the two points). The file is named name in a new
// directory, so that no key file lies beside it.
func secondPoint(t *testing.T, lab, name string, shift time.Duration, drop ...int) string {
	t.Helper()
	src, err := capture.Open(capturePath(lab))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out := filepath.Join(t.TempDir(), name)
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriterNanos(f)
	header := false
	for {
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !header {
			if err := w.WriteFileHeader(262144, layers.LinkType(rec.LinkType)); err != nil {
				t.Fatal(err)
			}
			header = true
		}
		if slices.Contains(drop, rec.Frame) {
			continue
		}
		ci := gopacket.CaptureInfo{Timestamp: rec.Time.Add(shift), CaptureLength: len(rec.Data), Length: max(rec.OrigLen, len(rec.Data))}
		if err := w.WritePacket(ci, rec.Data); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// twoPoints runs ikev2-ok with a second capture point 2.5 s ahead that
// never saw frame 4 (the IKE_AUTH response): PATH_LOSS.
func twoPoints(t *testing.T) *pipeline.Run {
	t.Helper()
	second := secondPoint(t, "ikev2-ok", "responder.pcap", 2500*time.Millisecond, 4)
	r, err := pipeline.StartFiles([]string{capturePath("ikev2-ok"), second}, pipeline.Options{KeepFrames: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	if err := r.RunToEnd(); err != nil {
		t.Fatal(err)
	}
	return r
}

// Two captures of one tunnel: the header names both with the clock
// offset, frames are capture:frame, each message says where it was seen,
// and the message lost between the points is the failure.
func TestMultiCaptureLadder(t *testing.T) {
	r := twoPoints(t)
	m := New(r, Options{NoColor: true})
	m.Update(teaSize(100, 30))
	v := m.View()
	checkFits(t, "two captures", v, 100, 30)
	wantIn(t, v, "2 captures: capture.pcap + responder.pcap, clock +2.5s", "#1:1", "@1,2", "@1 ✗2", "PATH_LOSS", "@2")
	// The failure is the IKE_AUTH response, seen at 1 only.
	if c := cursorRow(m); !c.fail || c.msg == nil || !strings.Contains(c.text, "@1 ✗2") {
		t.Errorf("cursor not on the lost message: %+v", c)
	}
	ma := New(r, Options{NoColor: true, ASCII: true})
	ma.Update(teaSize(100, 30))
	va := ma.View()
	wantIn(t, va, "@1 X2", "@1,2")
	for _, r := range va {
		if r > 126 && r != '\n' {
			t.Fatalf("non-ASCII %q in ASCII mode:\n%s", r, va)
		}
	}
}

// A user opens the two-capture run, goes to the top of the timeline, opens
// IKE_SA_INIT's request, and with tab looks at the copy capture 2 saw.
func TestTeatestTwoCaptures(t *testing.T) {
	r := twoPoints(t)
	tm := teatest.NewTestModel(t, New(r, Options{NoColor: true}), teatest.WithInitialTermSize(100, 30))
	teaWaitFor(t, tm, "PATH_LOSS")
	// g: the phase 1 header; j: SA_INIT req; enter: its detail (capture
	// 1); tab: the same message at capture 2, frame 2:1.
	teaPress(tm, "g", "j", "enter")
	teaWaitFor(t, tm, "Decoded: 1:1 ")
	teaPress(tm, "tab")
	teaWaitFor(t, tm, "Decoded: 2:1 ")
	v := teaFrame(t, tm, 100, 30)
	wantIn(t, v, "▸ Detail", "SA_INIT req", "Seen", "1 capture.pcap: frame 1:1", "2 responder.pcap: frame 2:1",
		"Capture 2: ", "responder.pcap, frame 1", "Decoded: 2:1 ", "IKE_SA_INIT", "tab next capture")
	if strings.Contains(v, "Decoding frame") {
		t.Errorf("decoding not finished:\n%s", v)
	}
}

// The ESP flows of capture 2 open capture 2's file.
func TestMultiCaptureDetailESP(t *testing.T) {
	r := twoPoints(t)
	m := New(r, Options{NoColor: true})
	m.Update(teaSize(100, 30))
	press(m, "G")
	row := cursorRow(m)
	if row.esp == nil || row.esp.Capture != 2 {
		t.Fatalf("last row is not an ESP flow of capture 2: %q", row.text)
	}
	cmd := press(m, "enter")
	if cmd == nil {
		t.Fatal("enter on an ESP flow loads no frame")
	}
	m.Update(cmd())
	d := strings.Join(m.detail, "\n")
	wantIn(t, d, "Capture          2 (", "responder.pcap", "Frames           2:", "Decoded: 2:", "ESP SPI=0x")
}

func teaSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

// The lab scenarios recorded at two points: every screen fits, in Unicode
// and ASCII, and every message row says where it was seen.
func TestLabTwoPointsTUI(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(lab, "*", "capture.pcap"))
	n := 0
	for _, first := range dirs {
		for _, o := range []string{"capture-responder.pcap", "capture-inside.pcap"} {
			second := filepath.Join(filepath.Dir(first), o)
			if _, err := os.Stat(second); err != nil {
				continue
			}
			n++
			r, err := pipeline.StartFiles([]string{first, second}, pipeline.Options{KeepFrames: true})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if err := r.RunToEnd(); err != nil {
				t.Fatal(err)
			}
			for _, opt := range []Options{{NoColor: true}, {NoColor: true, ASCII: true}} {
				m := New(r, opt)
				for _, sz := range [][2]int{{80, 24}, {120, 40}} {
					m.Update(teaSize(sz[0], sz[1]))
					v := m.View()
					checkFits(t, first, v, sz[0], sz[1])
					wantIn(t, v, "2 captures: capture.pcap + "+o)
					for _, row := range m.tl.rows {
						if row.msg != nil && !strings.Contains(row.text, "@") {
							t.Errorf("%s: message row without sightings: %q", first, row.text)
						}
					}
				}
			}
		}
	}
	if n == 0 {
		t.Skip("no lab scenario recorded at two points")
	}
}
