package pipeline

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	labm "github.com/ipsecpcap/ipsecpcap/lab"
)

// verdicts is what findings conclude, without the frame numbers a
// reordered file changes: code, severity, certainty and IKE SA.
func verdicts(res *Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, fmt.Sprintf("%s %s %s SA#%d", f.Code, f.Severity, f.Certainty, f.IKESA))
	}
	slices.Sort(out)
	return out
}

// TestShuffledRecords writes every lab capture with its records shuffled
// within four seconds (as a merged capture or a multi-queue card
// writes them) and expects the findings of the capture in time order: the
// reader puts them back in order before anything looks at them.
func TestShuffledRecords(t *testing.T) {
	m, err := labm.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(3))
	for _, sc := range m.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			path := m.Path(sc.Capture)
			sorted, err := Analyze(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			recs := readRecords(t, path)
			key := make([]time.Duration, len(recs))
			for i, r := range recs {
				key[i] = r.ci.Timestamp.Sub(recs[0].ci.Timestamp) + time.Duration(rng.Int63n(int64(4*time.Second)))
			}
			idx := make([]int, len(recs))
			for i := range idx {
				idx[i] = i
			}
			sort.SliceStable(idx, func(a, b int) bool { return key[idx[a]] < key[idx[b]] })
			shuffled := make([]rec, len(recs))
			moved := 0
			for i, j := range idx {
				shuffled[i] = recs[j]
				if i != j {
					moved++
				}
			}
			var problems []string
			res, err := Analyze(writePcap(t, linkType(t, path), shuffled), Options{Problem: func(s string) { problems = append(problems, s) }})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := verdicts(res), verdicts(sorted); !slices.Equal(got, want) {
				t.Errorf("%d of %d records moved: findings %v, in time order %v", moved, len(recs), got, want)
			}
			if len(problems) > 0 {
				t.Errorf("records within the window reported: %v", problems)
			}
		})
	}
}

// TestRecordBeyondTheWindow: a record further back in time than the
// reorder window is reported with its file and frame, and still analysed.
func TestRecordBeyondTheWindow(t *testing.T) {
	path := "../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap"
	recs := readRecords(t, path)
	k := len(recs) / 2
	back := recs[k]
	back.ci.Timestamp = recs[k-1].ci.Timestamp.Add(-8 * time.Second)
	moved := append(append(append([]rec(nil), recs[:k]...), back), recs[k+1:]...)
	var problems []string
	res, err := Analyze(writePcap(t, linkType(t, path), moved), Options{Problem: func(s string) { problems = append(problems, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], fmt.Sprintf("frame %d, 8s earlier than a frame before it: beyond the 5s reorder window, analysed out of time order", k+1)) {
		t.Errorf("problems %q, want frame %d reported beyond the window", problems, k+1)
	}
	if res.Stats.Frames != len(recs) {
		t.Errorf("%d frames analysed, want all %d", res.Stats.Frames, len(recs))
	}
}
