package diagnose_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/lab"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// TestLabCapturePoints merges the captures of every lab scenario recorded
// at several points and checks them against what the lab knows: the clock
// shift applied to a capture is found, every IKE message both points saw
// is one message with two sightings, the NAT's two address views are one
// SA, and the packets the manifest says were lost between two points are
// the ones the analysis names in PATH_LOSS.
func TestLabCapturePoints(t *testing.T) {
	m, err := lab.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sc := range m.Scenarios {
		if len(sc.Captures) == 0 {
			continue
		}
		n++
		t.Run(sc.Name, func(t *testing.T) {
			paths := []string{m.Path(sc.Capture)}
			point := map[string]int{sc.CapturePoint.Point: 1}
			for i, c := range sc.Captures {
				paths = append(paths, m.Path(c.Path))
				point[c.Point.Point] = i + 2
			}
			res, err := pipeline.AnalyzeFiles(paths, pipeline.Options{})
			if err != nil {
				t.Fatal(err)
			}
			a := res.Analysis
			for i, c := range sc.Captures {
				cc := a.Captures[i+1]
				if got := cc.Offset.Seconds(); cc.Samples == 0 || math.Abs(got-c.TimeShiftSeconds) > 0.005 {
					t.Errorf("capture %d (%s): clock offset %v from %d samples, the lab shifted it by %vs", i+2, c.Point.Point, cc.Offset, cc.Samples, c.TimeShiftSeconds)
				}
			}
			alone, err := pipeline.Analyze(paths[0], pipeline.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(a.IKESAs) != len(alone.Analysis.IKESAs) {
				t.Fatalf("%d IKE SAs, the primary capture alone has %d: each SA is one, seen at every point", len(a.IKESAs), len(alone.Analysis.IKESAs))
			}
			lost := map[int]bool{} // frame IDs lost on the way
			for _, pl := range sc.PathLoss {
				for _, f := range pl.Frames {
					lost[decode.FrameID(point[pl.From], f)] = true
				}
			}
			for _, sa := range a.IKESAs {
				if len(sa.Points) != len(paths) {
					t.Errorf("IKE SA #%d seen at %d points, want %d", sa.ID, len(sa.Points), len(paths))
				}
				seenEverywhere(t, sa, lost, len(paths))
			}
			var pathLoss []diagnose.Finding
			for _, f := range res.Findings {
				if f.Code == diagnose.PathLoss {
					pathLoss = append(pathLoss, f)
				}
			}
			if len(sc.PathLoss) != len(pathLoss) {
				t.Fatalf("%d PATH_LOSS findings, the lab lost packets %d times: %v", len(pathLoss), len(sc.PathLoss), pathLoss)
			}
			for i, pl := range sc.PathLoss {
				f := pathLoss[i]
				want := []string{fmt.Sprintf("capture %d", point[pl.From]), fmt.Sprintf("capture %d", point[pl.To])}
				for _, w := range want {
					if !strings.Contains(f.Summary, w) {
						t.Errorf("PATH_LOSS %q does not name %s", f.Summary, w)
					}
				}
				if !lost[f.Frames[0]] {
					t.Errorf("PATH_LOSS evidence %v is not among the lost frames %v", f.Frames, pl.Frames)
				}
			}
		})
	}
	if n < 5 {
		t.Errorf("only %d lab scenarios with several capture points", n)
	}
}

// seenEverywhere checks that every message of an SA not lost on the way
// was seen at each of the points, and each transmission once at each.
func seenEverywhere(t *testing.T, sa *correlate.IKESA, lost map[int]bool, points int) {
	t.Helper()
	for _, ex := range sa.Exchanges {
		for _, msg := range ex.Messages {
			wantAll := !slices.ContainsFunc(msg.Seen, func(s correlate.Sighting) bool { return lost[s.Frame] })
			for k := 1; k <= points; k++ {
				if wantAll && !msg.SeenAt(k) {
					t.Errorf("%s message (frame %s) not seen at capture %d", ex.Name(), decode.FrameLabel(msg.Frames[0]), k)
				}
			}
			if msg.Sent > 1 && wantAll && len(msg.Seen) != msg.Sent*points {
				t.Errorf("%s message sent %d× has %d sightings at %d points", ex.Name(), msg.Sent, len(msg.Seen), points)
			}
		}
	}
}
