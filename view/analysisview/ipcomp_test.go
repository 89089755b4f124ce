package analysisview

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
)

// A child SA with IPComp shows its CPIs beside its SPIs, in JSON and in
// the lifeline's note; one without shows neither.
func TestChildIPComp(t *testing.T) {
	with := &correlate.Child{ID: 1, Exchange: 0, SPIIn: 0xc1000001, SPIOut: 0xc2000002, CPIIn: 0x5678, CPIOut: 0x9abc, IPComp: "DEFLATE"}
	without := &correlate.Child{ID: 2, Exchange: 0, SPIIn: 0xc3000003, SPIOut: 0xc4000004}
	sa := &correlate.IKESA{ID: 1, Children: []correlate.Child{*with, *without}}
	b, err := json.Marshal(ikeSADoc(sa, time.Time{}).Children)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, `"inbound_spi":"c1000001","outbound_spi":"c2000002","ipcomp":"DEFLATE","inbound_cpi":"5678","outbound_cpi":"9abc"`) ||
		strings.Count(s, "ipcomp") != 1 {
		t.Errorf("JSON %s", s)
	}
	if got, want := IPCompText(with), "IPComp DEFLATE CPIs 0x5678/0x9abc with ESP SPIs 0xc1000001/0xc2000002"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}
