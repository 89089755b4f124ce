package pipeline

import (
	"testing"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

// TestLogsGiveChildSAs: the gateways' logs alone (no keys) name each child
// SA they install with its SPIs and protected flows, so the ESP of a day of
// rekeys is tied to its child SAs exactly by SPI, as with the keys, and the
// tunnel knows its flows.
func TestLogsGiveChildSAs(t *testing.T) {
	for _, sc := range []string{"ikev2-life-rekeys", "ikev1-life-rekeys", "ikev2-rekey-collision"} {
		t.Run(sc, func(t *testing.T) {
			dir := lab + "/" + sc
			res, err := Analyze(dir+"/capture.pcap", Options{Logs: charonLogs(t, dir)})
			if err != nil {
				t.Fatal(err)
			}
			store, _ := keys.Load(keys.Discover(dir + "/capture.pcap"))
			withKeys, err := Analyze(dir+"/capture.pcap", Options{Decrypt: decrypt.New(store).PacketFrame})
			if err != nil {
				t.Fatal(err)
			}
			a, k := res.Analysis, withKeys.Analysis
			if len(a.ESP) == 0 || len(a.ESP) != len(k.ESP) {
				t.Fatalf("%d flows, %d with keys", len(a.ESP), len(k.ESP))
			}
			for i, f := range a.ESP {
				if !f.ExactLink || f.IKESA != k.ESP[i].IKESA {
					t.Errorf("flow %08x: IKE SA #%d exact %v; with keys #%d", f.SPI, f.IKESA, f.ExactLink, k.ESP[i].IKESA)
				}
			}
			if len(a.Tunnels) != 1 || a.Tunnels[0].Selectors != "198.19.1.0/24 ⇄ 198.19.2.0/24" || a.Tunnels[0].State != correlate.TunnelUp {
				t.Errorf("tunnels %+v", a.Tunnels)
			}
		})
	}
	// Without the logs, the same flows are linked by time only.
	res, err := Analyze(lab+"/ikev2-life-rekeys/capture.pcap", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Analysis.ESP {
		if f.ExactLink {
			t.Errorf("flow %08x linked exactly without keys or logs", f.SPI)
		}
	}
}
