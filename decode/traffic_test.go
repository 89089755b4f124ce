package decode

import (
	"encoding/binary"
	"reflect"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// TestTrafficTally: frames without IPsec are counted by what they carried,
// IPsec frames are not, and the tally stays bounded.
func TestTrafficTally(t *testing.T) {
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[0:], 51000)
	binary.BigEndian.PutUint16(tcp[2:], 443)
	arp := make([]byte, 42)
	arp[12], arp[13] = 0x08, 0x06
	esp := make([]byte, 16)
	binary.BigEndian.PutUint32(esp, 0xc0ffee01)
	binary.BigEndian.PutUint32(esp[4:], 1)
	ah := make([]byte, 12+8) // AH (length 12 bytes) protecting OSPF
	ah[0], ah[1] = 89, 1
	frames := [][]byte{
		ethIPv4(51, ah), // IPsec, though neither IKE nor ESP: counted as AH
		ethIPv4UDP(40000, 53, []byte("dns")), ethIPv4UDP(53, 40001, []byte("dns")),
		ethIPv4(6, tcp), ethIPv4(6, tcp), ethIPv4(6, tcp),
		arp,
		ethIPv4(1, []byte{8, 0, 0, 0, 0, 1, 0, 1}), // echo request
		ethIPv4(50, esp),            // IPsec: not tallied
		ethIPv4UDP(4500, 4500, esp), // ESP in UDP: not tallied
	}
	d := NewDecoder(Config{})
	for i, f := range frames {
		d.Decode(&capture.Record{Frame: i + 1, Time: time.Unix(int64(i), 0), LinkType: capture.LinkTypeEthernet, Data: f, OrigLen: len(f)})
	}
	want := []Traffic{{"tcp", 443, 3}, {"udp", 53, 2}, {"ethertype", 0x0806, 1}, {"ip", 1, 1}, {"ip", 51, 1}}
	if got := d.Traffic(); !reflect.DeepEqual(got, want) {
		t.Errorf("tally %v, want %v", got, want)
	}
	if s := want[2].String(); s != "EtherType 0x0806" {
		t.Errorf("%q", s)
	}
	if !HasAH(want) || HasAH(want[:4]) {
		t.Error("HasAH")
	}
	if got := MergeTraffic(want, []Traffic{{"udp", 53, 5}}); !reflect.DeepEqual(got[0], Traffic{"udp", 53, 7}) {
		t.Errorf("merged %v", got)
	}

	// Many kinds: bounded, the rest counted as other.
	d = NewDecoder(Config{})
	for p := range 1000 {
		f := ethIPv4UDP(60000, uint16(1000+p), nil)
		d.Decode(&capture.Record{Frame: p + 1, LinkType: capture.LinkTypeEthernet, Data: f, OrigLen: len(f)})
	}
	got := d.Traffic()
	if len(got) != maxTrafficKinds+1 || got[0] != (Traffic{"other", 0, 1000 - maxTrafficKinds}) {
		t.Errorf("%d kinds, first %v", len(got), got[0])
	}
}
