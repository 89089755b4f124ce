package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// secondPoint is ikev2-ok as a second capture point saw it: its clock 2.5 s
// ahead, and without frame 4, the IKE_AUTH response, lost between the two
// points. Made with: editcap -F pcap -t 2.5 ikev2-ok/capture.pcap
// testdata/two-points/responder.pcap 4
const secondPoint = "testdata/two-points/responder.pcap"

func twoPoints() []string { return []string{labPcap("ikev2-ok"), secondPoint} }

func analyzeFiles(t *testing.T, names []string) *pipeline.Result {
	t.Helper()
	res, err := pipeline.AnalyzeFiles(names, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestGoldenTwoCaptures: a report over two captures of one tunnel. Every
// format names both captures with their digests and the clock offset,
// writes frames as capture:frame and says where each message was seen;
// the message lost between the points is marked.
func TestGoldenTwoCaptures(t *testing.T) {
	res := analyzeFiles(t, twoPoints())
	r, err := New(res, Options{Version: "test", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Custody.Captures) != 2 {
		t.Fatalf("custody lists %d captures, want 2", len(r.Custody.Captures))
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			got := render(t, r, format)
			golden(t, filepath.Join("testdata", "ikev2-ok-two-points."+formatExt[format]), got)
			checkFormat(t, r, format, got)
			s := string(got)
			wants := []string{"PATH_LOSS", secondPoint}
			switch format {
			case FormatJSON:
				wants = append(wants, `"captures"`, `"offset_seconds": 2.5`, `"seen"`)
			default:
				wants = append(wants, "1:4", "2:3", "2.5s against capture 1", "seen at 1, NOT at 2", "seen at 1, 2", "Capture 2 SHA-256")
			}
			for _, w := range wants {
				if !strings.Contains(s, w) {
					t.Errorf("%s lacks %q", format, w)
				}
			}
		})
	}
	var b strings.Builder
	r.writeMermaid(&b, r.Analysis.IKESAs[0])
	if !strings.Contains(b.String(), "R-xI: IKE_AUTH response · MID 1") {
		t.Errorf("the message lost between the points is not drawn lost:\n%s", b.String())
	}
}

// A single-capture report has no capture list: its output is as before
// (the golden files of TestGolden say so byte for byte).
func TestSingleCaptureNoCaptures(t *testing.T) {
	r := build(t, goldenCases[0])
	if r.Custody.Captures != nil || r.multi() {
		t.Errorf("single capture: custody captures %v", r.Custody.Captures)
	}
}

// TestSliceTwoCaptures: --slice over two captures writes one slice per
// capture, with its own frames and clock; the two slices analysed together
// tell the same story.
func TestSliceTwoCaptures(t *testing.T) {
	names := twoPoints()
	res := analyzeFiles(t, names)
	r, err := New(res, Options{Tunnel: "1", Version: "test", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "evidence.pcap")
	var points []pipeline.Point
	for _, n := range names {
		points = append(points, pipeline.Point{Files: []string{n}})
	}
	empty, err := r.WriteSlices(points, decode.Config{}, out)
	if err != nil || len(empty) != 0 {
		t.Fatalf("WriteSlices: %v, empty %v", err, empty)
	}
	if len(r.Slices) != 2 || r.Slice != nil {
		t.Fatalf("%d slices (and single %v), want 2", len(r.Slices), r.Slice)
	}
	var sliced []string
	for i, s := range r.Slices {
		k := i + 1
		if s.Capture != k || s.Source != names[i] || s.File != SliceName(out, k) {
			t.Errorf("slice %d: %+v", k, s)
		}
		if filepath.Base(s.File) != fmt.Sprintf("evidence-%d.pcap", k) {
			t.Errorf("slice %d named %s", k, s.File)
		}
		for _, f := range s.Frames {
			if c, _ := decode.SplitFrame(f); c != k {
				t.Errorf("slice %d holds frame %s", k, decode.FrameLabel(f))
			}
		}
		one, err := pipeline.Analyze(s.File, pipeline.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if one.Input.Packets != len(s.Frames) {
			t.Errorf("slice %d has %d packets, want %d", k, one.Input.Packets, len(s.Frames))
		}
		sliced = append(sliced, s.File)
	}
	// Every frame of capture 1 is in the tunnel: its slice is all of it.
	if n := len(r.Slices[0].Frames); n != 20 {
		t.Errorf("slice of capture 1 has %d frames, want 20", n)
	}
	// The slices merged: the same loss, at the same frames once mapped back.
	sres := analyzeFiles(t, sliced)
	codes := func(fs []diagnose.Finding) (out []string) {
		for _, f := range fs {
			var orig []string
			for _, fr := range f.Frames {
				k, n := decode.SplitFrame(fr)
				orig = append(orig, decode.FrameLabel(r.Slices[k-1].Frames[n-1]))
			}
			out = append(out, f.Code+strings.Join(orig, ","))
		}
		return out
	}
	var want []string
	for _, f := range r.Findings {
		var fr []string
		for _, x := range f.Frames {
			fr = append(fr, decode.FrameLabel(x))
		}
		want = append(want, f.Code+strings.Join(fr, ","))
	}
	if got := codes(sres.Findings); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("slices' findings\n got %v\nwant %v", got, want)
	}
	for _, format := range Formats {
		s := string(render(t, r, format))
		for _, w := range []string{"evidence-1.pcap", "evidence-2.pcap"} {
			if !strings.Contains(s, w) {
				t.Errorf("%s: slice %s not listed", format, w)
			}
		}
		if format != FormatJSON && !strings.Contains(s, "1–19 → 2:1–2:19") {
			t.Errorf("%s: slice map of capture 2 not in capture:frame", format)
		}
	}
	var doc struct {
		Slices []Slice `json:"slices"`
	}
	if err := json.Unmarshal(render(t, r, FormatJSON), &doc); err != nil || len(doc.Slices) != 2 || doc.Slices[1].Capture != 2 {
		t.Errorf("json slices: %v %+v", err, doc.Slices)
	}
}

// labTwoPoints lists the lab scenarios recorded at two points.
func labTwoPoints(t *testing.T) [][]string {
	t.Helper()
	var out [][]string
	for _, name := range labCaptures(t) {
		for _, other := range []string{"capture-responder.pcap", "capture-inside.pcap"} {
			p := filepath.Join(filepath.Dir(labPcap(name)), other)
			if _, err := os.Stat(p); err == nil {
				out = append(out, []string{labPcap(name), p})
			}
		}
	}
	return out
}

// Every lab scenario recorded at two points, in every format, whole and
// per tunnel, redacted or not: what each format must satisfy.
func TestLabTwoPoints(t *testing.T) {
	cases := labTwoPoints(t)
	if len(cases) == 0 {
		t.Skip("no lab scenario recorded at two points")
	}
	for _, names := range cases {
		res := analyzeFiles(t, names)
		sels := []string{""}
		for _, sa := range res.Analysis.IKESAs {
			sels = append(sels, fmt.Sprint(sa.ID))
		}
		for _, sel := range sels {
			for _, redact := range []bool{false, true} {
				r, err := New(res, Options{Tunnel: sel, Redact: redact, Version: "test", Now: testNow})
				if err != nil {
					t.Fatalf("%v %q: %v", names, sel, err)
				}
				for _, format := range Formats {
					got := render(t, r, format)
					checkFormat(t, r, format, got)
					if format != FormatJSON && len(r.Analysis.IKESAs) > 0 && !strings.Contains(string(got), "seen at 1") {
						t.Errorf("%v %s: no sightings", names, format)
					}
				}
			}
		}
	}
}
