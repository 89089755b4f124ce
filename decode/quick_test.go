package decode_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// quickCases are frames QuickESP must take (want true) or leave to Decode.
func quickCases() []struct {
	name string
	lt   capture.LinkType
	data []byte
	want bool
} {
	esp := espPayload(0xc0ffee, 7, 64)
	sll := func(etype uint16, b []byte) []byte {
		h := make([]byte, 16)
		binary.BigEndian.PutUint16(h[14:], etype)
		return append(h, b...)
	}
	sll2 := func(etype uint16, b []byte) []byte {
		h := make([]byte, 20)
		binary.BigEndian.PutUint16(h[0:], etype)
		return append(h, b...)
	}
	padded := append(ether(0x0800, ip4(v4src, v4dst, 50, 1, 0, espPayload(9, 1, 4))), make([]byte, 12)...)
	tso := ether(0x0800, ip4(v4src, v4dst, 50, 1, 0, esp))
	binary.BigEndian.PutUint16(tso[14+2:], 0)
	udpLen0 := udp(4500, 4500, esp)
	binary.BigEndian.PutUint16(udpLen0[4:], 0)
	udpLen3 := udp(4500, 4500, esp)
	binary.BigEndian.PutUint16(udpLen3[4:], 3)
	return []struct {
		name string
		lt   capture.LinkType
		data []byte
		want bool
	}{
		{"raw ESP over Ethernet", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 50, 1, 0, esp)), true},
		{"NAT-T ESP", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(4500, 4500, esp))), true},
		{"NAT-T ESP, one port", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(40000, 4500, esp))), true},
		{"IPv6 ESP", capture.LinkTypeEthernet, ether(0x86dd, ip6(v6src, v6dst, 50, esp)), true},
		{"IPv6 NAT-T ESP", capture.LinkTypeRaw, ip6(v6src, v6dst, 17, udp(4500, 4500, esp)), true},
		{"802.1Q and QinQ tags", capture.LinkTypeEthernet, ether(0x88a8, vlanTag(10, 0x8100, vlanTag(20, 0x0800, ip4(v4src, v4dst, 50, 1, 0, esp)))), true},
		{"Linux SLL", capture.LinkTypeLinuxSLL, sll(0x0800, ip4(v4src, v4dst, 50, 1, 0, esp)), true},
		{"Linux SLL2", capture.LinkTypeLinuxSLL2, sll2(0x86dd, ip6(v6src, v6dst, 50, esp)), true},
		{"raw IPv4", capture.LinkTypeRaw, ip4(v4src, v4dst, 50, 1, 0, esp), true},
		{"Ethernet padding", capture.LinkTypeEthernet, padded, true},
		{"IPv4 length 0 (TSO)", capture.LinkTypeEthernet, tso, true},
		{"UDP length 0", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udpLen0)), true},
		{"UDP length below its header", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udpLen3)), false},
		{"a fragment", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 50, 1, 0x2000, esp)), false},
		{"a later fragment", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 50, 1, 10, esp)), false},
		{"SPI 0", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 50, 1, 0, espPayload(0, 1, 8))), false},
		{"ESP header cut short", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 50, 1, 0, esp[:6])), false},
		{"IKE behind the non-ESP marker", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(4500, 4500, nonESP(ikeV1)))), false},
		{"NAT-T keepalive", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(4500, 4500, []byte{0xff}))), false},
		{"IKE", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1))), false},
		{"other UDP", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(53, 53, esp))), false},
		{"AH before ESP", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 51, 1, 0, append(ah(50), esp...))), false},
		{"IPv6 extension header", capture.LinkTypeRaw, ip6(v6src, v6dst, 60, bytes.Join([][]byte{ext6(50, 0), esp}, nil)), false},
		{"BSD loopback", capture.LinkTypeNull, append([]byte{2, 0, 0, 0}, ip4(v4src, v4dst, 50, 1, 0, esp)...), false},
		{"ARP", capture.LinkTypeEthernet, ether(0x0806, make([]byte, 28)), false},
		{"short Ethernet", capture.LinkTypeEthernet, make([]byte, 10), false},
	}
}

// TestQuickESP: QuickESP takes the plain ESP frames of every link layer it
// knows and leaves anything else to Decode; where it takes one, it reads
// what the general walk reads, and so does Decode, which takes the same
// short path (checkQuick).
func TestQuickESP(t *testing.T) {
	for _, tc := range quickCases() {
		t.Run(tc.name, func(t *testing.T) {
			if got := checkQuick(t, tc.lt, tc.data, len(tc.data), decode.Config{}); got != tc.want {
				t.Errorf("QuickESP took it: %v, want %v", got, tc.want)
			}
			checkQuick(t, tc.lt, tc.data, len(tc.data)+100, decode.Config{}) // cut by the snaplen
		})
	}
}

// checkQuick reads one frame three ways with fresh decoders: QuickESP,
// Decode, and Decode by the general walk alone (WalkOnly, the reference).
// It fails unless Decode gives the walk's packet, error and counts, field
// for field; and QuickESP either left the frame (counting nothing) or read
// what the walk read: an ESP packet without problems or fragments, with the
// same addresses, ports, SPI, sequence number and length, counted alike.
func checkQuick(t *testing.T, lt capture.LinkType, data []byte, origLen int, cfg decode.Config) bool {
	t.Helper()
	quick, fast, walk := decode.NewDecoder(cfg), decode.NewDecoder(cfg), decode.NewDecoder(cfg)
	decode.WalkOnly(walk)
	rec := func() *capture.Record {
		return &capture.Record{Frame: 1, Time: t0, LinkType: lt, Data: data, OrigLen: origLen}
	}
	p, err := walk.Decode(rec())
	fp, ferr := fast.Decode(rec())
	if fmt.Sprint(err) != fmt.Sprint(ferr) || !reflect.DeepEqual(p, fp) {
		t.Fatalf("Decode read %+v, %v; the walk %+v, %v", fp, ferr, p, err)
	}
	if fast.Stats() != walk.Stats() || fast.Fragmented() != walk.Fragmented() {
		t.Fatalf("Decode counted %+v (fragment %v), the walk %+v (%v)", fast.Stats(), fast.Fragmented(), walk.Stats(), walk.Fragmented())
	}
	var e decode.ESPFields
	if !quick.QuickESP(lt, data, &e) {
		if quick.Stats() != (decode.Stats{}) {
			t.Fatalf("QuickESP left the frame but counted %+v", quick.Stats())
		}
		return false
	}
	switch {
	case err != nil || p == nil:
		t.Fatalf("QuickESP took a frame the walk reads as %v, %v", p, err)
	case p.Kind != decode.KindESP || p.Problems != nil || p.Fragments != nil || p.ESP.NoSeq:
		t.Fatalf("QuickESP took a frame the walk reads as %v with problems %v, fragments %v", p.Kind, p.Problems, p.Fragments)
	}
	want := decode.ESPFields{Src: p.Src, Dst: p.Dst, UDPEncapsulated: p.UDPEncapsulated, SPI: p.ESP.SPI, Seq: p.ESP.Seq, Length: p.Length}
	if e != want {
		t.Fatalf("QuickESP read %+v, the walk %+v", e, want)
	}
	if got := walk.Stats(); quick.Stats() != got {
		t.Fatalf("QuickESP counted %+v, the walk %+v", quick.Stats(), got)
	}
	return true
}

// FuzzQuickESP: on any frame, Decode reads what the general walk reads,
// and QuickESP leaves the frame or reads what the walk reads. Its arguments
// are FuzzDecodeFrame's (a frame, and more packed), and so is its committed
// corpus (real frames of the shared captures); its seeds add quickCases.
func FuzzQuickESP(f *testing.F) {
	for i, tc := range quickCases() {
		sel := fuzzSelector(tc.lt)
		if i%3 == 0 {
			sel |= selTruncated
		}
		f.Add(sel, tc.data, []byte(nil))
	}
	for _, tc := range fragCases() {
		f.Add(fuzzSelector(capture.LinkTypeEthernet), tc.frags[0], packFrames(tc.frags[1:]...))
	}
	f.Fuzz(func(t *testing.T, sel byte, frame []byte, more []byte) {
		cfg := decode.Config{}
		if sel&selPorts != 0 {
			cfg = decode.Config{IKEPorts: []uint16{500, 1500}, NATTPorts: []uint16{4500, 14500}}
		}
		for _, data := range append([][]byte{frame}, unpackFrames(more)...) {
			origLen := len(data)
			if sel&selTruncated != 0 {
				origLen += 100
			}
			checkQuick(t, fuzzLinkTypes[int(sel&0x1f)%len(fuzzLinkTypes)], data, origLen, cfg)
		}
	})
}
