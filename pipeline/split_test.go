package pipeline

import (
	"fmt"
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/keys"
	labm "github.com/ipsecpcap/ipsecpcap/lab"
)

// TestHealthyCapturesSplit cuts every healthy lab capture at several points
// and analyses each part: one that starts in the middle of the tunnel's life
// (its SAs set up before it, its ESP on SPIs it never saw negotiated) and
// one that stops in the middle of an exchange. Neither may raise an error
// or a warning beyond policy (WEAK_CRYPTO), with keys or without: a capture
// taken at the wrong moment of a healthy gateway is still healthy.
func TestHealthyCapturesSplit(t *testing.T) {
	m, err := labm.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sc := range m.Scenarios {
		if sc.FailsAt != nil || !onlyInfo(sc.ExpectedFindings) {
			continue
		}
		n++
		t.Run(sc.Name, func(t *testing.T) {
			path := m.Path(sc.Capture)
			recs := readRecords(t, path)
			lt := linkType(t, path)
			store, _ := keys.Load(keys.Discover(path))
			for _, frac := range []float64{0.15, 0.3, 0.45, 0.6, 0.75, 0.9} {
				k := int(frac * float64(len(recs)))
				for i, part := range [][]rec{recs[k:], recs[:k]} {
					name := fmt.Sprintf("from frame %d", k+1)
					if i == 1 {
						name = fmt.Sprintf("up to frame %d", k)
					}
					p := writePcap(t, lt, part)
					for _, withKeys := range []bool{false, true} {
						var opt Options
						if withKeys {
							opt.Decrypt = decrypt.New(store).PacketFrame
						}
						res, err := Analyze(p, opt)
						if err != nil {
							t.Fatal(err)
						}
						for _, f := range res.Findings {
							if f.Severity != diagnose.Info && f.Code != diagnose.WeakCrypto {
								t.Errorf("%s (keys %v): %s %s: %s", name, withKeys, f.Severity, f.Code, f.Summary)
							}
						}
					}
				}
			}
		})
	}
	if n < 5 {
		t.Errorf("only %d healthy lab captures", n)
	}
}

// onlyInfo reports whether a scenario's expected findings are all
// informational: a healthy tunnel.
func onlyInfo(codes []string) bool {
	for _, c := range codes {
		switch c {
		case diagnose.SARekeyed, diagnose.SADeleted, diagnose.NATDetected, diagnose.RekeyCollision, diagnose.CookieChallenge, diagnose.IKERedirected:
		default:
			return false
		}
	}
	return true
}

// linkType is a capture's link type, for writing its parts.
func linkType(t *testing.T, path string) layers.LinkType {
	t.Helper()
	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := f.Next()
	if err != nil {
		t.Fatal(err)
	}
	return layers.LinkType(r.LinkType)
}
