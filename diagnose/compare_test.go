package diagnose_test

import (
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/keys"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// TestComparisons: the failure of the lab's proposal, PFS and traffic
// selector mismatches sets both sides' values next to each other, with
// keys (what was proposed, what was refused) and without (what is missing
// and what would show it); healthy captures have no comparison.
func TestComparisons(t *testing.T) {
	for _, c := range []struct {
		scenario string
		withKeys bool
		subject  string
		want     []string
	}{
		{"ikev2-ike-proposal-mismatch", false, "phase-1 proposals", []string{"offered: ENCR=ENCR_AES_CBC_128", "refused: NO_PROPOSAL_CHOSEN", "its log (--log)"}},
		{"ikev2-ts-unacceptable", true, "traffic selectors", []string{"proposed: TSi 198.19.1.0-198.19.1.255", "refused: TS_UNACCEPTABLE"}},
		{"ikev1-ts-not-mirrored", true, "traffic selectors", []string{"proposed: IDci 198.19.1.0/24", "refused: INVALID_ID_INFORMATION"}},
		{"ikev1-pfs-group-mismatch", true, "child SA proposals", []string{"PFS MODP_2048", "refused: NO_PROPOSAL_CHOSEN"}},
		{"ikev1-p2-transform-mismatch", false, "child SA proposals", []string{"refused in an encrypted Informational", "the keys (--keys"}},
		{"ikev2-ok", true, "", nil},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			path := "../testdata/pcaps/lab/" + c.scenario + "/capture.pcap"
			var opt pipeline.Options
			if c.withKeys {
				store, _ := keys.Load(keys.Discover(path))
				opt.Decrypt = decrypt.New(store).PacketFrame
			}
			res, err := pipeline.Analyze(path, opt)
			if err != nil {
				t.Fatal(err)
			}
			var got *diagnose.Comparison
			for _, f := range res.Findings {
				if f.Severity == diagnose.Error && f.Comparison != nil {
					got = f.Comparison
					break
				}
			}
			if c.subject == "" {
				if got != nil {
					t.Fatalf("a healthy capture has a comparison: %+v", got)
				}
				return
			}
			if got == nil || got.Subject != c.subject || len(got.Sides) != 2 {
				t.Fatalf("comparison %+v, want %s of two sides", got, c.subject)
			}
			var text strings.Builder
			for _, s := range got.Sides {
				text.WriteString(s.Who + " " + s.Role + ": " + strings.Join(s.Values, " | ") + "\n")
			}
			text.WriteString(got.Differs + "\n" + got.Needs)
			for _, w := range c.want {
				if !strings.Contains(text.String(), w) {
					t.Errorf("%q not in:\n%s", w, text.String())
				}
			}
		})
	}
}
