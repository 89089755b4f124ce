package diagnose_test

import (
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/gwlog"
	"github.com/ipsecpcap/ipsecpcap/keys"
	"github.com/ipsecpcap/ipsecpcap/lab"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
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
	return runWith(t, path, strict, nil)
}

// runWith runs the pipeline with a decrypter (nil: none).
func runWith(t *testing.T, path string, strict bool, dec *decrypt.Decrypter) (*correlate.Analysis, []diagnose.Finding) {
	t.Helper()
	f, err := capture.Open(path)
	if err != nil {
		if !strict {
			return nil, nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	dcd := decode.NewDecoder(decode.Config{})
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
		if p, _ := dcd.Decode(rec); p != nil {
			if dec != nil {
				dec.PacketFrame(p, rec.Data)
			}
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

// withKeys maps what even decryption cannot tell: in IKEv1 the responder
// never sends its own proposal, so a PFS mismatch and a transform-set
// mismatch are the same NO_PROPOSAL_CHOSEN to the same Quick Mode offer.
// The lab shows it: ikev1-p2-transform-mismatch and
// ikev1-libreswan-pfs-required carry identical decrypted QM1 offers (no
// PFS), as do ikev1-pfs-one-side and ikev1-pfs-group-mismatch (MODP_2048).
// The finding names the PFS offered among its causes instead.
var withKeys = map[string]string{
	diagnose.P2PFSMismatch: diagnose.P2ProposalMismatch,
}

// TestLabGroundTruth checks every lab capture against the ground truth of
// the manifest: the same finding codes, and the failure frame among the
// evidence of the first error; once without keys, once with the keys the
// lab wrote beside each capture.
func TestLabGroundTruth(t *testing.T) {
	t.Run("without keys", func(t *testing.T) { labGroundTruth(t, false) })
	t.Run("with keys", func(t *testing.T) { labGroundTruth(t, true) })
}

// TestLabLogsMakeItCertain gives each failing lab scenario's captures the
// two daemons' logs and no keys: the failure becomes its exact code from
// the logs alone (every phase-2 failure included, which the encrypted wire
// shows only as P2_REJECTED), certain, with the log line as evidence.
func TestLabLogsMakeItCertain(t *testing.T) {
	m, err := lab.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	phase2 := 0
	for _, sc := range m.Scenarios {
		if sc.FailsAt == nil || len(sc.Logs) == 0 {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			var logs []*gwlog.Log
			for _, p := range sc.Logs {
				l, err := gwlog.ParseFile(m.Path(p))
				if err != nil {
					t.Fatal(err)
				}
				logs = append(logs, l)
			}
			paths := []string{m.Path(sc.Capture)}
			for _, c := range sc.Captures {
				paths = append(paths, m.Path(c.Path))
			}
			res, err := pipeline.AnalyzeFiles(paths, pipeline.Options{Logs: logs})
			if err != nil {
				t.Fatal(err)
			}
			var first *diagnose.Finding
			for i, f := range res.Findings {
				if f.Severity == diagnose.Error && f.Code != diagnose.PathLoss || first == nil && f.Severity == diagnose.Warning {
					first = &res.Findings[i]
					if f.Severity == diagnose.Error {
						break
					}
				}
			}
			if first == nil {
				t.Fatalf("no failure finding: %v", res.Findings)
			}
			if !slices.Contains(sc.ExpectedFindings, first.Code) {
				t.Errorf("failure %s (%s), want one of %v: %s", first.Code, first.Certainty, sc.ExpectedFindings, first.Summary)
			}
			for _, c := range sc.ExpectedFindings {
				if strings.HasPrefix(c, "P2_") {
					phase2++
					if first.Code != c || first.Certainty != diagnose.Certain || len(first.Logs) == 0 {
						t.Errorf("phase-2 failure %s: got %s (%s) with log lines %q", c, first.Code, first.Certainty, first.Logs)
					}
				}
			}
		})
	}
	if phase2 < 6 {
		t.Errorf("only %d phase-2 scenarios checked", phase2)
	}
}

func labGroundTruth(t *testing.T, useKeys bool) {
	m, err := lab.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range m.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			path := filepath.Join("../testdata/pcaps", sc.Capture)
			var dec *decrypt.Decrypter
			mapping := withoutKeys
			if useKeys {
				store, errs := keys.Load(keys.Discover(path))
				if len(errs) > 0 {
					t.Fatalf("keys: %v", errs)
				}
				dec, mapping = decrypt.New(store), withKeys
			}
			var fs []diagnose.Finding
			failFrame := 0
			if sc.FailsAt != nil {
				failFrame = sc.FailsAt.Frame
			}
			if len(sc.Captures) > 0 {
				// Captures from several points: analysed together, as
				// `ipsecpcap analyze a.pcap b.pcap` does.
				paths := []string{path}
				for _, c := range sc.Captures {
					paths = append(paths, filepath.Join("../testdata/pcaps", c.Path))
				}
				var opt pipeline.Options
				if dec != nil {
					opt.Decrypt = dec.PacketFrame
				}
				res, err := pipeline.AnalyzeFiles(paths, opt)
				if err != nil {
					t.Fatal(err)
				}
				fs = res.Findings
				failFrame = decode.FrameID(1, failFrame)
			} else {
				_, fs = runWith(t, path, true, dec)
			}
			var want, got []string
			for _, c := range sc.ExpectedFindings {
				if k, ok := mapping[c]; ok && (!useKeys || sc.IKEVersion == 1) {
					c = k
				}
				if !slices.Contains(want, c) {
					want = append(want, c)
				}
			}
			var firstError *diagnose.Finding
			for i, f := range fs {
				// Information beyond the expected (a delete only the keys
				// show) is no failure: errors and warnings must be exact,
				// the expected information present.
				if !slices.Contains(got, f.Code) && (f.Severity != diagnose.Info || slices.Contains(want, f.Code)) {
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
			// With keys the notify inside is read: the failure is certain.
			if useKeys && sc.KeysVerifiedWithTshark && len(sc.NotifySeen) > 0 && firstError.Certainty != diagnose.Certain && firstError.Code != diagnose.DPDPeerDead {
				t.Errorf("%s is %s with keys", firstError.Code, firstError.Certainty)
			}
			if firstError.Code == diagnose.PathLoss {
				// The failure point of a loss between capture points is
				// the lost packets, as the point before the loss saw them.
				if !slices.ContainsFunc(firstError.Frames, func(f int) bool { return lostOnPath(sc, f) }) {
					t.Errorf("PATH_LOSS evidence frames %v are none of the lost packets %+v", firstError.Frames, sc.PathLoss)
				}
				return
			}
			if !slices.Contains(firstError.Frames, failFrame) {
				t.Errorf("%s evidence frames %v do not include the failure frame %s", firstError.Code, firstError.Frames, decode.FrameLabel(failFrame))
			}
		})
	}
}

// lostOnPath reports whether a frame ID is one of the packets the lab lost
// between two capture points.
func lostOnPath(sc lab.Scenario, frame int) bool {
	point := map[string]int{}
	if sc.CapturePoint != nil {
		point[sc.CapturePoint.Point] = 1
	}
	for i, c := range sc.Captures {
		point[c.Point.Point] = i + 2
	}
	for _, pl := range sc.PathLoss {
		for _, f := range pl.Frames {
			if decode.FrameID(point[pl.From], f) == frame {
				return true
			}
		}
	}
	return false
}

// TestMisleadingNotify: strongSwan answers a pre-shared key mismatch in
// Main Mode with PAYLOAD_MALFORMED, while its log says the keys differ:
// MISLEADING_NOTIFY. A notify that agrees with the log (INVALID_ID_INFORMATION
// for traffic selectors that are not mirrored) is not one.
func TestMisleadingNotify(t *testing.T) {
	m, err := lab.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"ikev1-main-psk-mismatch": true, "ikev1-ts-not-mirrored": false, "ikev2-ts-unacceptable": false} {
		sc, ok := m.Scenario(name)
		if !ok {
			t.Fatalf("no scenario %s", name)
		}
		var logs []*gwlog.Log
		for _, p := range sc.Logs {
			l, err := gwlog.ParseFile(m.Path(p))
			if err != nil {
				t.Fatal(err)
			}
			logs = append(logs, l)
		}
		// With keys, so that the notify inside the encrypted message is on
		// the wire too.
		store, _ := keys.Load(keys.Discover(m.Path(sc.Capture)))
		res, err := pipeline.Analyze(m.Path(sc.Capture), pipeline.Options{Logs: logs, Decrypt: decrypt.New(store).PacketFrame})
		if err != nil {
			t.Fatal(err)
		}
		var got *diagnose.Finding
		for i, f := range res.Findings {
			if f.Code == diagnose.MisleadingNotify {
				got = &res.Findings[i]
			}
		}
		switch {
		case want && (got == nil || !strings.Contains(got.Summary, "PAYLOAD_MALFORMED") || len(got.Logs) == 0):
			t.Errorf("%s: %+v, want MISLEADING_NOTIFY naming PAYLOAD_MALFORMED with the log line", name, got)
		case !want && got != nil:
			t.Errorf("%s: MISLEADING_NOTIFY though the notify agrees with the log: %s", name, got.Summary)
		}
	}
}
