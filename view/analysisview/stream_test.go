package analysisview

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// The streamed document is byte for byte what json.Encoder writes, for
// empty and full documents, optional fields present or not, and text that
// JSON escapes.
func TestWriteJSONAsEncoder(t *testing.T) {
	full := Document{Schema: 1, Tool: ToolInfo{"ipsecpcap", "x"}, Verdict: "failure",
		Input:    InputDoc{Name: "a<b>&c.pcap", KeyFiles: []string{}},
		Peers:    []PeerDoc{{A: "198.18.1.1", B: "198.18.1.2", IKESAs: []int{1}, ESP: []int{}}},
		IKESAs:   []IKESADoc{{ID: 1, Exchanges: []ExchangeDoc{{Name: "IKE_AUTH", Messages: []MessageDoc{{Frames: []int{3}, Notifies: []NotifyDoc{}}}}}, Children: []ChildDoc{}}},
		ESP:      []ESPDoc{{Index: 0, SPI: "0000abcd"}, {Index: 1, SPI: "dcba0000", Capture: 2}},
		Findings: []diagnose.Finding{{Code: "P2_TS_MISMATCH", Summary: "\"quoted\"\ttab", Frames: []int{7, 8}, Causes: []diagnose.Cause{}, Logs: []string{"x.log:1: é"}}},
		Captures: []CaptureDoc{{Capture: 1, Name: "a"}, {Capture: 2, Name: "b", OffsetSeconds: 2.5}},
	}
	empty := BuildDocument(Input{}, "v", &correlate.Analysis{FirstTime: time.Time{}}, nil)
	for name, d := range map[string]Document{"full": full, "empty": empty, "zero": {}} {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&got, d); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want.Bytes(), got.Bytes()) {
			t.Errorf("%s: streamed document differs:\n%s\nwant:\n%s", name, got.String(), want.String())
		}
	}
}
