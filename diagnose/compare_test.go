package diagnose_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/gwlog"
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
		withLogs bool
		subject  string
		want     []string
	}{
		// With the gateways' logs: the configured side, and where they differ.
		{"ikev1-p1-proposal-mismatch", false, true, "phase-1 proposals", []string{"log (charon-responder.log) configured: ≠ IKE:AES_CBC_256", "matched IKE config 198.18.1.2...198.18.1.1", "offered: ≠ KEY_IKE", "encryption: offered AES_CBC_128, configured AES_CBC_256"}},
		{"ikev2-ts-unacceptable", true, true, "traffic selectors", []string{"proposed: ≠ TSi 198.19.1.0", "configured: local 198.19.2.0/24 | ≠ remote 198.19.3.0/24", "matched peer config lab", "TSi 198.19.1.0/24 is not within the responder's remote selector 198.19.3.0/24"}},
		{"ikev1-ts-not-mirrored", true, true, "traffic selectors", []string{"≠ IDci 198.19.1.0/24", "≠ remote 198.19.3.0/24", "not mirror images"}},
		{"ikev1-pfs-group-mismatch", true, true, "child SA proposals", []string{"≠ ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_3072/NO_EXT_SEQ", "DH group: offered MODP_2048, configured MODP_3072"}},
		{"ikev2-pfs-mismatch-at-rekey", true, true, "child SA proposals", []string{"DH group: offered MODP_2048, configured none"}},
		{"ikev2-child-proposal-mismatch", true, true, "child SA proposals", []string{"encryption: offered AES_CBC_128, configured AES_GCM_16_256"}},
		{"ikev2-libreswan-child-proposal-mismatch", true, true, "child SA proposals", []string{"pluto-responder.log) configured: ≠ 1:ESP=AES_CBC_128", "encryption: offered AES_GCM_16_256, configured AES_CBC_128"}},
		{"ikev2-id-mismatch", true, true, "identities", []string{"sent: ≠ IDi ID_FQDN \"initiator.lab\"", "looked up local responder.lab, remote initiator.lab", "matched no peer config", "≠ connection lab expects remote id branch-office.lab", "the initiator identifies as initiator.lab; the responder's connection lab expects branch-office.lab"}},
		{"ikev2-psk-mismatch", true, true, "identities", []string{"connection lab expects remote id initiator.lab", "the identities agree as far as the log shows", "compare them on both gateways"}},
		{"ikev2-psk-mismatch", false, false, "identities", []string{"the identities are encrypted: the keys (--keys)"}},
		// Without keys, the proposals the responder's log received.
		{"ikev1-p2-transform-mismatch", false, true, "child SA proposals", []string{"proposed, as responder 198.18.1.2's log (charon-responder.log) received them: ≠ ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ", "encryption: offered AES_CBC_128, configured AES_CBC_256; integrity: offered HMAC_SHA2_256_128, configured HMAC_SHA1_96", "the traffic selectors are encrypted"}},
		// A hub with two connections: the identity the initiator sent
		// selected site-a, whose selectors are not the mirror; lab's are.
		{"ikev2-wrong-peer-config", true, true, "traffic selectors", []string{"matched peer config site-a", "≠ remote 198.19.3.0/24", "TSi 198.19.1.0/24 is not within the responder's remote selector 198.19.3.0/24", "its connection lab (remote id initiator.lab) has them mirrored, but the peer was matched to site-a (remote id site-a.lab)"}},
		{"ikev1-id-mismatch", true, true, "identities", []string{"sent: ≠ ID ID_FQDN \"initiator.lab\"", "looked up remote initiator.lab", "matched no peer config", "the initiator identifies as initiator.lab; the responder's connection lab expects branch-office.lab"}},
		{"ikev2-ike-proposal-several", false, true, "phase-1 proposals", []string{"configured: ≠ IKE:AES_CBC_256/HMAC_SHA2_384_192/PRF_HMAC_SHA2_384/ECP_384", "DH group: offered MODP_3072, configured ECP_384"}},
		{"ikev2-ok", true, true, "", nil},
		{"ikev2-ike-proposal-mismatch", false, false, "phase-1 proposals", []string{"offered: ENCR=ENCR_AES_CBC_128", "refused: NO_PROPOSAL_CHOSEN", "its log (--log)"}},
		{"ikev2-ts-unacceptable", true, false, "traffic selectors", []string{"proposed: TSi 198.19.1.0-198.19.1.255", "refused: TS_UNACCEPTABLE"}},
		{"ikev1-ts-not-mirrored", true, false, "traffic selectors", []string{"proposed: IDci 198.19.1.0/24", "refused: INVALID_ID_INFORMATION"}},
		{"ikev1-pfs-group-mismatch", true, false, "child SA proposals", []string{"PFS MODP_2048", "refused: NO_PROPOSAL_CHOSEN"}},
		{"ikev1-p2-transform-mismatch", false, false, "child SA proposals", []string{"refused in an encrypted Informational", "the keys (--keys"}},
		// Without keys, the traffic selectors the responder's log received
		// (IKEv1 logs them in the initiator's order).
		{"ikev2-wrong-peer-config", false, true, "traffic selectors", []string{"received them: ≠ TSi 198.19.1.0/24 | TSr 198.19.2.0/24", "read the proposal as 198.19.2.0/24 === 198.19.1.0/24", "its connection lab (remote id initiator.lab) has them mirrored"}},
		{"ikev1-ts-not-mirrored", false, true, "traffic selectors", []string{"received them: ≠ IDci 198.19.1.0/24 | IDcr 198.19.2.0/24", "read the proposal as 198.19.2.0/24 === 198.19.1.0/24", "IDci 198.19.1.0/24 is not within the responder's remote selector 198.19.3.0/24"}},
		{"ikev2-ok", true, false, "", nil},
	} {
		name := c.scenario
		if c.withLogs {
			name += "/logs"
		}
		t.Run(name, func(t *testing.T) {
			dir := "../testdata/pcaps/lab/" + c.scenario
			path := dir + "/capture.pcap"
			var opt pipeline.Options
			if c.withKeys {
				store, _ := keys.Load(keys.Discover(path))
				opt.Decrypt = decrypt.New(store).PacketFrame
			}
			if c.withLogs {
				names, _ := filepath.Glob(dir + "/*.log")
				for _, n := range names {
					l, err := gwlog.ParseFile(n)
					if err != nil {
						t.Fatal(err)
					}
					opt.Logs = append(opt.Logs, l)
				}
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
			sides := 2
			if c.withLogs {
				sides = 3 // and the refusing gateway's log
			}
			if got == nil || got.Subject != c.subject || len(got.Sides) != sides {
				t.Fatalf("comparison %+v, want %s of %d sides", got, c.subject, sides)
			}
			var text strings.Builder
			for _, s := range got.Sides {
				text.WriteString(s.Who + " " + s.Role + ": " + strings.Join(s.Marked(), " | ") + "\n")
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

// TestLoggedCauseFirst: an authentication failure the responder's log
// blames on the identity lists the identity first; one it blames on the
// key keeps the pre-shared key first.
func TestLoggedCauseFirst(t *testing.T) {
	for _, c := range []struct {
		scenario, first string
	}{
		{"ikev2-id-mismatch", "identity not accepted"},
		{"ikev2-psk-mismatch", "pre-shared key differs"},
	} {
		dir := "../testdata/pcaps/lab/" + c.scenario
		l, err := gwlog.ParseFile(dir + "/charon-responder.log")
		if err != nil {
			t.Fatal(err)
		}
		res, err := pipeline.Analyze(dir+"/capture.pcap", pipeline.Options{Logs: []*gwlog.Log{l}})
		if err != nil {
			t.Fatal(err)
		}
		f := res.Findings[0]
		if f.Code != diagnose.P1AuthFailed || len(f.Causes) == 0 || !strings.HasPrefix(f.Causes[0].Cause, c.first) {
			t.Errorf("%s: %s, first cause %+v, want %q", c.scenario, f.Code, f.Causes, c.first)
		}
	}
}
