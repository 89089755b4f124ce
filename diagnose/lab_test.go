package diagnose_test

import (
	"errors"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/lab"
)

// analyze runs the whole pipeline on a capture file.
func analyze(t *testing.T, path string) (*correlate.Analysis, []diagnose.Finding) {
	t.Helper()
	return run(t, path, true)
}

// analyzeTolerant analyses what can be read of a broken capture.
func analyzeTolerant(t *testing.T, path string) (*correlate.Analysis, []diagnose.Finding) {
	t.Helper()
	return run(t, path, false)
}

func run(t *testing.T, path string, strict bool) (*correlate.Analysis, []diagnose.Finding) {
	t.Helper()
	f, err := capture.Open(path)
	if err != nil {
		if !strict {
			return nil, nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	dec := decode.NewDecoder(decode.Config{})
	c := correlate.New(correlate.Config{})
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !strict {
				break
			}
			t.Fatal(err)
		}
		if p, _ := dec.Decode(rec); p != nil {
			c.Add(p)
		}
	}
	a := c.Snapshot()
	return a, diagnose.Diagnose(a)
}

// withoutKeys maps the phase-2 codes that only the decrypted notify can
// tell apart to what the encrypted wire shows: a rejected child SA.
var withoutKeys = map[string]string{
	diagnose.P2ProposalMismatch: diagnose.P2Rejected,
	diagnose.P2PFSMismatch:      diagnose.P2Rejected,
	diagnose.P2TSMismatch:       diagnose.P2Rejected,
}

// TestLabGroundTruth checks every lab capture against the ground truth of
// the manifest: the same finding codes, and the failure frame among the
// evidence of the first error.
func TestLabGroundTruth(t *testing.T) {
	m, err := lab.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range m.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			_, fs := analyze(t, filepath.Join("../testdata/pcaps", sc.Capture))
			var want, got []string
			for _, c := range sc.ExpectedFindings {
				if k, ok := withoutKeys[c]; ok {
					c = k
				}
				if !slices.Contains(want, c) {
					want = append(want, c)
				}
			}
			var firstError *diagnose.Finding
			for i, f := range fs {
				if !slices.Contains(got, f.Code) {
					got = append(got, f.Code)
				}
				// The failure point: the first error, or the first warning
				// when the peers recovered (an INVALID_KE_PAYLOAD retry).
				if firstError == nil && f.Severity != diagnose.Info || firstError != nil && firstError.Severity != diagnose.Error && f.Severity == diagnose.Error {
					firstError = &fs[i]
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Errorf("findings %v, want %v", got, want)
			}
			if sc.FailsAt == nil || sc.FailsAt.Frame == 0 {
				if firstError != nil && len(sc.ExpectedFindings) > 0 && !slices.Contains(sc.ExpectedFindings, firstError.Code) {
					t.Errorf("unexpected error finding %s: %s", firstError.Code, firstError.Summary)
				}
				return
			}
			if firstError == nil {
				t.Fatalf("no error or warning finding; the failure is at frame %d", sc.FailsAt.Frame)
			}
			if !slices.Contains(firstError.Frames, sc.FailsAt.Frame) {
				t.Errorf("%s evidence frames %v do not include the failure frame %d", firstError.Code, firstError.Frames, sc.FailsAt.Frame)
			}
		})
	}
}
