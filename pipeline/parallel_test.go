package pipeline_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// document is analyze --json's document of a run in ranges (0:
// sequential), with the problems reported.
func document(t *testing.T, path string, ranges int, opt pipeline.Options) (doc, problems, how string) {
	t.Helper()
	var probs []string
	opt.Problem = func(s string) { probs = append(probs, s) }
	res, how, err := pipeline.AnalyzeIn(path, opt, ranges)
	if err != nil {
		t.Fatalf("%s, %d ranges: %v", path, ranges, err)
	}
	var b bytes.Buffer
	if err := analysisview.WriteJSON(&b, analysisview.BuildDocument(analysisview.InputOf(res), "test", res.Analysis, res.Findings)); err != nil {
		t.Fatal(err)
	}
	return b.String(), strings.Join(probs, "\n"), how
}

var rangeCounts = []int{1, 2, 3, 7, 64}

// sameInRanges checks that reading path in every count of ranges gives
// the sequential run's document and problems, byte for byte; it returns
// how the runs read.
func sameInRanges(t *testing.T, path string, opt pipeline.Options) []string {
	t.Helper()
	want, wantProbs, _ := document(t, path, 0, opt)
	var hows []string
	for _, n := range rangeCounts {
		got, probs, how := document(t, path, n, opt)
		hows = append(hows, how)
		if got != want {
			t.Errorf("%s, %d ranges (%s): the JSON document differs from the sequential one", path, n, how)
			diffLines(t, want, got)
		}
		if probs != wantProbs {
			t.Errorf("%s, %d ranges (%s): problems\n%s\nwant\n%s", path, n, how, probs, wantProbs)
		}
	}
	return hows
}

func diffLines(t *testing.T, want, got string) {
	t.Helper()
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			t.Logf("line %d:\n  want %s\n  got  %s", i+1, a, b)
			shown++
		}
	}
}

func TestRangesLabCaptures(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/pcaps/lab/*/capture.pcap")
	if len(paths) == 0 {
		t.Fatal("no lab captures")
	}
	parallel := 0
	for _, p := range paths {
		for _, how := range sameInRanges(t, p, pipeline.Options{}) {
			if strings.HasPrefix(how, "parallel") {
				parallel++
			} else {
				t.Logf("%s: %s", p, how)
			}
		}
	}
	t.Logf("%d of %d runs read in ranges", parallel, len(paths)*len(rangeCounts))
}

// benchCapture generates a bench capture of n packets in format.
func benchCapture(t *testing.T, n, format string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bench."+format)
	cmd := exec.Command("go", "run", "../bench/gen", "-q", "-packets", n, "-format", format, "-o", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bench/gen: %v\n%s", err, b)
	}
	return out
}

func TestRangesBenchCapture(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a capture")
	}
	for _, format := range []string{"pcap", "pcapng"} {
		path := benchCapture(t, "200000", format)
		for i, how := range sameInRanges(t, path, pipeline.Options{}) {
			if !strings.HasPrefix(how, "parallel") {
				t.Errorf("%s, %d ranges: %s", format, rangeCounts[i], how)
			}
		}
		// A head of one packet: the anti-replay windows differ at some
		// boundary, and the run reads sequentially, to the same result.
		restore := pipeline.SetESPHead(1)
		t.Logf("%s, head 1: %q", format, sameInRanges(t, path, pipeline.Options{}))
		restore()
		os.Remove(path)
	}
}
