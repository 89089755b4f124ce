package diagnose_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

const sharedCaptures = "../../shared/captures"

// TestSharedCorpusNotable: the public captures run through the whole
// pipeline, and what they are known for is found.
func TestSharedCorpusNotable(t *testing.T) {
	if _, err := os.Stat(sharedCaptures); err != nil {
		t.Skip("shared captures not present")
	}
	tests := []struct {
		file, code string
		sev        diagnose.Severity
		frame      int
		summary    string
	}{
		// strongSwan 4.3.6: the initiator refuses MM2's choice, MM goes on.
		{"zeek-spicy-ipsec/tests/traces/ipsec.cap", diagnose.P1ProposalMismatch, diagnose.Warning, 3, "NO_PROPOSAL_CHOSEN"},
		// INVALID_KE_PAYLOAD asking for group 19, then a retry.
		{"zeek-plugin-ikev2/tests/Traces/ikev2.pcap", diagnose.P1DHGroupMismatch, diagnose.Warning, 2, "ECP_256"},
		// scapy's REDIRECT capture ends in NO_PROPOSAL_CHOSEN.
		{"scapy/test/pcaps/ikev2_notify_redirect.pcap", diagnose.P1ProposalMismatch, diagnose.Error, 4, "NO_PROPOSAL_CHOSEN"},
		// Windows client: IKE_AUTH in IP fragments, retransmitted, unanswered.
		{"zeek-spicy-ipsec/tests/traces/ipsec_client.pcap", diagnose.P1Fragmentation, diagnose.Error, 5, "IP-fragmented"},
		// Cisco main mode with 3DES/SHA-1/MODP-1024.
		{"suricata-verify/tests/ikev1-rules/ikev1-isakmp-main-mode.pcap", diagnose.WeakCrypto, diagnose.Warning, 1, "MODP_1024"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, fs := analyze(t, filepath.Join(sharedCaptures, tt.file))
			for _, f := range fs {
				if f.Code == tt.code && f.Severity == tt.sev && len(f.Frames) > 0 && f.Frames[0] == tt.frame && strings.Contains(f.Summary, tt.summary) {
					return
				}
			}
			t.Errorf("no %s %s at frame %d mentioning %q in %+v", tt.sev, tt.code, tt.frame, tt.summary, fs)
		})
	}
}

// TestSharedCorpusRuns: every public capture goes through without a panic,
// and every finding is well-formed.
func TestSharedCorpusRuns(t *testing.T) {
	if _, err := os.Stat(sharedCaptures); err != nil {
		t.Skip("shared captures not present")
	}
	n := 0
	filepath.WalkDir(sharedCaptures, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".pcap") || strings.HasSuffix(path, ".pcapng") || strings.HasSuffix(path, ".cap")) {
			return nil
		}
		n++
		_, fs := analyzeTolerant(t, path)
		for _, f := range fs {
			if f.Code == "" || f.Summary == "" || f.Remedy == "" || f.Severity == "" || f.Certainty == "" {
				t.Errorf("%s: malformed finding %+v", path, f)
			}
		}
		return nil
	})
	if n < 100 {
		t.Errorf("only %d captures found", n)
	}
}
