package gwlog

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// loggable are the codes a gateway's log can state (the cause tables').
var loggable = map[string]bool{
	CodeP1NoResponse: true, CodeP1ProposalMismatch: true, CodeP1DHGroupMismatch: true,
	CodeP1AuthFailed: true, CodeP1NATTBlocked: true, CodeP2ProposalMismatch: true,
	CodeP2PFSMismatch: true, CodeP2TSMismatch: true, CodeP2NoResponse: true,
	CodeESPInvalidSPI: true, CodeDPDPeerDead: true,
}

// notCauses are expected findings that are not a failure's cause.
var notCauses = map[string]bool{"NAT_DETECTED": true, "SA_REKEYED": true, "SA_DELETED": true, "REKEY_COLLISION": true}

// TestLabCauses checks, for every lab scenario, that the strongest cause its
// gateways' logs state is the scenario's expected finding code, stated by a
// gateway whose role the alignment got right; and that healthy tunnels'
// logs state no cause.
func TestLabCauses(t *testing.T) {
	for _, sc := range labScenarios(t) {
		want := ""
		for _, f := range sc.ExpectedFindings {
			if !notCauses[f] {
				want = f
				break
			}
		}
		res, err := analyzeCapture(filepath.Join(labDir, sc.Capture))
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		var best Aligned
		var bestLog string
		found := false
		for _, lp := range sc.Logs {
			log, err := ParseFile(filepath.Join(labDir, lp))
			if err != nil {
				t.Fatal(err)
			}
			c, ok := Align(log, res.Analysis).Cause(0)
			if ok && (!found || c.Event.Basis < best.Event.Basis) {
				best, bestLog, found = c, lp, true
			}
		}
		switch {
		case want == "" || want == "ESP_ONE_WAY":
			// Healthy, or a failure no daemon sees (a filter drops ESP).
			if found {
				t.Errorf("%s: logs state %s (%s line %d), want no cause", sc.Name, best.Event.Cause, bestLog, best.Event.Line)
			}
			continue
		case !found && !loggable[want]:
			t.Logf("%s: %s is not a cause a gateway logs", sc.Name, want)
			continue
		case !found:
			t.Errorf("%s: no log states a cause, want %s", sc.Name, want)
			continue
		}
		t.Logf("%-30s %-22s %-9s %-11s %-20s line %3d: %s", sc.Name, best.Event.Cause, best.Side, best.Event.Basis, filepath.Base(bestLog), best.Event.Line, best.Event.Text)
		if best.Event.Basis == BasisTimeout && best.Event.Cause != want {
			// A timeout says what happened, not why; the wire may know
			// better (UDP 4500 blocked after NAT detection).
			t.Logf("%s: the logs state only a timeout (%s), the capture says %s", sc.Name, best.Event.Cause, want)
			continue
		}
		if best.Event.Cause != want {
			t.Errorf("%s: %s line %d says %s (%q), want %s", sc.Name, bestLog, best.Event.Line, best.Event.Cause, best.Event.Text, want)
		}
		if best.IKESA == 0 && best.Event.Cause != CodeESPInvalidSPI {
			t.Errorf("%s: the cause is attributed to no IKE SA", sc.Name)
		}
		if s := logSide(bestLog); best.Side.String() != s {
			t.Errorf("%s: the cause's side is %v, the log is the %s's", sc.Name, best.Side, s)
		}
		// A phase-2 cause belongs to a child SA negotiation: Quick Mode,
		// IKE_AUTH, or a CREATE_CHILD_SA later in the tunnel's life (a
		// refused rekey, an additional child SA).
		if (want == CodeP2PFSMismatch || want == CodeP2ProposalMismatch || want == CodeP2TSMismatch) && best.Exchange != isakmp.ExchangeV1Quick &&
			best.Exchange != isakmp.ExchangeIKEAuth && best.Exchange != isakmp.ExchangeCreateChildSA {
			t.Errorf("%s: the phase-2 cause is attributed to %v", sc.Name, best.Exchange)
		}
	}
}

// TestLabPhase2FromResponder pins the distinctions only the responder's
// log makes: an IKEv1 Quick Mode refused for PFS, for the transforms or for
// the selectors all reach the initiator as the same encrypted notify. With
// them, libreswan's phrases for proposals refused in either phase (the
// phase is in the line: "remote proposals 1:IKE:..." or "1:ESP:...").
func TestLabPhase2FromResponder(t *testing.T) {
	cases := map[string]string{
		"ikev1-p2-transform-mismatch":   CodeP2ProposalMismatch,
		"ikev1-pfs-one-side":            CodeP2PFSMismatch,
		"ikev1-pfs-group-mismatch":      CodeP2PFSMismatch,
		"ikev1-ts-not-mirrored":         CodeP2TSMismatch,
		"ikev2-ts-unacceptable":         CodeP2TSMismatch,
		"ikev2-child-proposal-mismatch": CodeP2ProposalMismatch,
		"ikev1-libreswan-pfs-required":  CodeP2PFSMismatch,
		// libreswan's phrases for proposals refused, in both phases
		"ikev2-libreswan-child-proposal-mismatch": CodeP2ProposalMismatch,
		"ikev1-libreswan-p1-proposal-mismatch":    CodeP1ProposalMismatch,
		"ikev2-libreswan-ike-proposal-mismatch":   CodeP1ProposalMismatch,
	}
	for name, want := range cases {
		path := filepath.Join(labDir, "lab", name, "charon-responder.log")
		if strings.Contains(name, "libreswan") {
			path = filepath.Join(labDir, "lab", name, "pluto-responder.log")
		}
		log, err := ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range log.Events {
			if e.Cause != "" {
				got = append(got, e.Cause)
				if e.Cause != want {
					t.Errorf("%s: line %d %q gives %s, want %s", name, e.Line, e.Text, e.Cause, want)
				}
			}
		}
		if len(got) == 0 {
			t.Errorf("%s: the responder's log states no cause, want %s", name, want)
		}
	}
}
