package decode_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// ---- messages ----

var (
	v4src = netip.MustParseAddr("192.0.2.1")
	v4dst = netip.MustParseAddr("198.51.100.2")
	v6src = netip.MustParseAddr("2001:db8::1")
	v6dst = netip.MustParseAddr("2001:db8:ffff::2")
	t0    = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
)

// ikeV1 is a hand-made IKEv1 Informational message with no payloads.
var ikeV1 = func() []byte {
	b := make([]byte, 28)
	copy(b[0:8], []byte{0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18})
	b[16], b[17], b[18], b[19] = 0, 0x10, 5, 0
	binary.BigEndian.PutUint32(b[20:24], 0xdeadbeef)
	binary.BigEndian.PutUint32(b[24:28], 28)
	return b
}()

var ikeV1SPI = isakmp.SPI{0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18}

// bigIKE is an ISAKMP message of total bytes: the header and one Vendor ID
// payload filled with a counting pattern (IKEv1 type 13, IKEv2 type 43).
func bigIKE(version, total int) []byte {
	b := make([]byte, total)
	copy(b[0:8], []byte{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8})
	if version == 1 {
		b[16], b[17], b[18], b[19] = 13, 0x10, 2, 0
	} else {
		b[16], b[17], b[18], b[19] = 43, 0x20, 34, 0x08
	}
	binary.BigEndian.PutUint32(b[20:24], 0)
	binary.BigEndian.PutUint32(b[24:28], uint32(total))
	binary.BigEndian.PutUint16(b[30:32], uint16(total-28))
	for i := 32; i < total; i++ {
		b[i] = byte(i * 13)
	}
	return b
}

var bigSPI = isakmp.SPI{0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8}

// realIKEv2 is rusticata's IKE_SA_INIT request (UDP payload), if present.
func realIKEv2(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../shared/captures/rusticata-ipsec-parser/assets/ike-sa-init-req.bin")
	if err != nil {
		b, err = os.ReadFile("/work/shared/captures/rusticata-ipsec-parser/assets/ike-sa-init-req.bin")
	}
	if err != nil {
		t.Skip("rusticata ike-sa-init-req.bin not available:", err)
	}
	return b
}

var realIKEv2SPI = isakmp.SPI{0x54, 0xc1, 0x84, 0x96, 0x1b, 0xc3, 0xfd, 0x77}

// espPayload is an ESP header (SPI, sequence) and n bytes of "ciphertext".
func espPayload(spi, seq uint32, n int) []byte {
	b := make([]byte, 8+n)
	binary.BigEndian.PutUint32(b[0:4], spi)
	binary.BigEndian.PutUint32(b[4:8], seq)
	for i := 8; i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

func nonESP(b []byte) []byte { return append([]byte{0, 0, 0, 0}, b...) }

// ---- frames by hand ----

func csum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

// ip4 is an IPv4 header (no options) and payload; flagsOff is the 16-bit
// flags and fragment offset field.
func ip4(src, dst netip.Addr, proto uint8, id, flagsOff uint16, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	h[0] = 0x45
	binary.BigEndian.PutUint16(h[2:4], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(h[4:6], id)
	binary.BigEndian.PutUint16(h[6:8], flagsOff)
	h[8], h[9] = 64, proto
	s, d := src.As4(), dst.As4()
	copy(h[12:16], s[:])
	copy(h[16:20], d[:])
	binary.BigEndian.PutUint16(h[10:12], csum(h))
	return append(h, payload...)
}

// ip6 is an IPv6 header and payload (extension headers included).
func ip6(src, dst netip.Addr, next uint8, payload []byte) []byte {
	h := make([]byte, 40, 40+len(payload))
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:6], uint16(len(payload)))
	h[6], h[7] = next, 64
	s, d := src.As16(), dst.As16()
	copy(h[8:24], s[:])
	copy(h[24:40], d[:])
	return append(h, payload...)
}

func udp(sport, dport uint16, payload []byte) []byte {
	h := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(h[0:2], sport)
	binary.BigEndian.PutUint16(h[2:4], dport)
	binary.BigEndian.PutUint16(h[4:6], uint16(8+len(payload)))
	return append(h, payload...)
}

func ether(etype uint16, payload []byte) []byte {
	h := []byte{0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0, 0}
	binary.BigEndian.PutUint16(h[12:14], etype)
	return append(h, payload...)
}

// ipUDP is an IPv4 or IPv6 packet carrying UDP, serialized by gopacket.
func ipUDP(t *testing.T, v6 bool, sport, dport uint16, payload []byte) []byte {
	t.Helper()
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	var ip gopacket.SerializableLayer
	if v6 {
		l := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: net.IP(v6src.AsSlice()), DstIP: net.IP(v6dst.AsSlice())}
		u.SetNetworkLayerForChecksum(l)
		ip = l
	} else {
		l := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP(v4src.AsSlice()), DstIP: net.IP(v4dst.AsSlice())}
		u.SetNetworkLayerForChecksum(l)
		ip = l
	}
	return serialize(t, ip, u, gopacket.Payload(payload))
}

// ipProto is an IPv4 or IPv6 packet of the given protocol, by gopacket.
func ipProto(t *testing.T, v6 bool, proto layers.IPProtocol, payload []byte) []byte {
	t.Helper()
	if v6 {
		return serialize(t, &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: proto, SrcIP: net.IP(v6src.AsSlice()), DstIP: net.IP(v6dst.AsSlice())}, gopacket.Payload(payload))
	}
	return serialize(t, &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: proto, SrcIP: net.IP(v4src.AsSlice()), DstIP: net.IP(v4dst.AsSlice())}, gopacket.Payload(payload))
}

func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

// link wraps an IP packet in a link-layer header.
type link struct {
	name   string
	lt     capture.LinkType
	v4, v6 bool // which IP versions it carries
	wrap   func(t *testing.T, v6 bool, ip []byte) []byte
}

func etherTypeOf(v6 bool) layers.EthernetType {
	if v6 {
		return layers.EthernetTypeIPv6
	}
	return layers.EthernetTypeIPv4
}

var (
	macA = net.HardwareAddr{0x02, 0, 0, 0, 0, 1}
	macB = net.HardwareAddr{0x02, 0, 0, 0, 0, 2}
)

func nullHeader(order binary.AppendByteOrder, family uint32) func(*testing.T, bool, []byte) []byte {
	return func(_ *testing.T, _ bool, ip []byte) []byte {
		return append(order.AppendUint32(nil, family), ip...)
	}
}

var links = []link{
	{"Ethernet", capture.LinkTypeEthernet, true, true, func(t *testing.T, v6 bool, ip []byte) []byte {
		return serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: etherTypeOf(v6)}, gopacket.Payload(ip))
	}},
	{"Ethernet+802.1Q", capture.LinkTypeEthernet, true, true, func(t *testing.T, v6 bool, ip []byte) []byte {
		return serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 100, Type: etherTypeOf(v6)}, gopacket.Payload(ip))
	}},
	{"QinQ 88a8+8100", capture.LinkTypeEthernet, true, true, func(t *testing.T, v6 bool, ip []byte) []byte {
		return serialize(t, &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeQinQ},
			&layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeDot1Q},
			&layers.Dot1Q{VLANIdentifier: 200, Type: etherTypeOf(v6)}, gopacket.Payload(ip))
	}},
	{"Linux SLL", capture.LinkTypeLinuxSLL, true, true, func(_ *testing.T, v6 bool, ip []byte) []byte {
		h := []byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0}
		binary.BigEndian.PutUint16(h[14:16], uint16(etherTypeOf(v6)))
		return append(h, ip...)
	}},
	{"Linux SLL2", capture.LinkTypeLinuxSLL2, true, true, func(_ *testing.T, v6 bool, ip []byte) []byte {
		h := []byte{0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0}
		binary.BigEndian.PutUint16(h[0:2], uint16(etherTypeOf(v6)))
		return append(h, ip...)
	}},
	{"raw 101", capture.LinkTypeRaw, true, true, func(_ *testing.T, _ bool, ip []byte) []byte { return ip }},
	{"raw 12", capture.LinkTypeRawAlt1, true, true, func(_ *testing.T, _ bool, ip []byte) []byte { return ip }},
	{"raw IPv4 228", capture.LinkTypeIPv4, true, false, func(_ *testing.T, _ bool, ip []byte) []byte { return ip }},
	{"raw IPv6 229", capture.LinkTypeIPv6, false, true, func(_ *testing.T, _ bool, ip []byte) []byte { return ip }},
	{"null LE 2", capture.LinkTypeNull, true, false, nullHeader(binary.LittleEndian, 2)},
	{"null BE 2", capture.LinkTypeNull, true, false, nullHeader(binary.BigEndian, 2)},
	{"null LE 24", capture.LinkTypeNull, false, true, nullHeader(binary.LittleEndian, 24)},
	{"null BE 24", capture.LinkTypeNull, false, true, nullHeader(binary.BigEndian, 24)},
	{"null LE 28", capture.LinkTypeNull, false, true, nullHeader(binary.LittleEndian, 28)},
	{"null BE 28", capture.LinkTypeNull, false, true, nullHeader(binary.BigEndian, 28)},
	{"null LE 30", capture.LinkTypeNull, false, true, nullHeader(binary.LittleEndian, 30)},
	{"null BE 30", capture.LinkTypeNull, false, true, nullHeader(binary.BigEndian, 30)},
	{"loop 108 (BE) 2", capture.LinkTypeLoop, true, false, nullHeader(binary.BigEndian, 2)},
	{"loop 108 (BE) 24", capture.LinkTypeLoop, false, true, nullHeader(binary.BigEndian, 24)},
}

func rec(frame int, lt capture.LinkType, data []byte) *capture.Record {
	return &capture.Record{Frame: frame, Time: t0.Add(time.Duration(frame) * time.Millisecond), LinkType: lt, Data: data, OrigLen: len(data)}
}

// ---- expectations ----

type expect struct {
	kind     decode.Kind
	src, dst netip.AddrPort
	encap    bool
	ispi     isakmp.SPI
	exchange isakmp.ExchangeType
	mid      uint32
	ikeLen   uint32
	espSPI   uint32
	espSeq   uint32
	espLen   int
	offset   int // PayloadOffset
	length   int // Packet.Length
}

func check(t *testing.T, p *decode.Packet, err error, r *capture.Record, w expect) {
	t.Helper()
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if p == nil {
		t.Fatal("Decode returned no packet")
	}
	if p.Kind != w.kind {
		t.Errorf("Kind %v, want %v", p.Kind, w.kind)
	}
	if p.Frame != r.Frame || !p.Time.Equal(r.Time) {
		t.Errorf("Frame %d Time %v, want %d %v", p.Frame, p.Time, r.Frame, r.Time)
	}
	if p.Src != w.src || p.Dst != w.dst {
		t.Errorf("%v -> %v, want %v -> %v", p.Src, p.Dst, w.src, w.dst)
	}
	if p.UDPEncapsulated != w.encap {
		t.Errorf("UDPEncapsulated %v, want %v", p.UDPEncapsulated, w.encap)
	}
	if p.PayloadOffset != w.offset {
		t.Errorf("PayloadOffset %d, want %d", p.PayloadOffset, w.offset)
	}
	if w.length != 0 && p.Length != w.length {
		t.Errorf("Length %d, want %d", p.Length, w.length)
	}
	if p.Truncated {
		t.Error("Truncated set on a whole frame")
	}
	if len(p.Problems) != 0 {
		t.Errorf("Problems %+v, want none", p.Problems)
	}
	if p.Fragments != nil {
		t.Errorf("Fragments %v on an unfragmented datagram", p.Fragments)
	}
	switch w.kind {
	case decode.KindIKE:
		if p.IKE == nil {
			t.Fatal("no IKE message")
		}
		if p.IKE.InitiatorSPI != w.ispi || p.IKE.MessageID != w.mid || p.IKE.Exchange != w.exchange || p.IKE.Length != w.ikeLen {
			t.Errorf("IKE ISPI %v MID %#x exchange %d length %d, want %v %#x %d %d",
				p.IKE.InitiatorSPI, p.IKE.MessageID, p.IKE.Exchange, p.IKE.Length, w.ispi, w.mid, w.exchange, w.ikeLen)
		}
		if len(p.IKE.Errors) != 0 {
			t.Errorf("IKE errors %v", p.IKE.Errors)
		}
		if w.offset >= 0 && !bytes.HasPrefix(r.Data[w.offset:], p.IKE.Raw[:28]) {
			t.Errorf("PayloadOffset %d does not point at the ISAKMP header", w.offset)
		}
	case decode.KindESP:
		if p.ESP.SPI != w.espSPI || p.ESP.Seq != w.espSeq || p.ESP.PayloadLen != w.espLen {
			t.Errorf("ESP %+v, want SPI %#x seq %d payload %d", p.ESP, w.espSPI, w.espSeq, w.espLen)
		}
	}
}

func ap(a netip.Addr, port uint16) netip.AddrPort { return netip.AddrPortFrom(a, port) }

func addrs(v6 bool) (netip.Addr, netip.Addr) {
	if v6 {
		return v6src, v6dst
	}
	return v4src, v4dst
}

func ipHdrLen(v6 bool) int {
	if v6 {
		return 40
	}
	return 20
}

// TestLinkTypes decodes IKE, NAT-T IKE, ESP-in-UDP, raw ESP and keepalives
// behind every link layer, over IPv4 and IPv6.
func TestLinkTypes(t *testing.T) {
	type payload struct {
		name string
		// build returns the IP packet, its expectation with offsets
		// relative to the IP header, and whether it needs the real IKEv2
		// message.
		build func(t *testing.T, v6 bool) ([]byte, expect)
	}
	payloads := []payload{
		{"IKEv1 on 500", func(t *testing.T, v6 bool) ([]byte, expect) {
			s, d := addrs(v6)
			h := ipHdrLen(v6)
			return ipUDP(t, v6, 500, 500, ikeV1), expect{kind: decode.KindIKE, src: ap(s, 500), dst: ap(d, 500),
				ispi: ikeV1SPI, exchange: 5, mid: 0xdeadbeef, ikeLen: 28, offset: h + 8, length: 8 + 28}
		}},
		{"IKEv2 SA_INIT on 500", func(t *testing.T, v6 bool) ([]byte, expect) {
			m := realIKEv2(t)
			s, d := addrs(v6)
			h := ipHdrLen(v6)
			return ipUDP(t, v6, 500, 500, m), expect{kind: decode.KindIKE, src: ap(s, 500), dst: ap(d, 500),
				ispi: realIKEv2SPI, exchange: 34, mid: 0, ikeLen: uint32(len(m)), offset: h + 8, length: 8 + len(m)}
		}},
		{"IKEv1 on 4500 behind the non-ESP marker", func(t *testing.T, v6 bool) ([]byte, expect) {
			s, d := addrs(v6)
			h := ipHdrLen(v6)
			return ipUDP(t, v6, 4500, 4500, nonESP(ikeV1)), expect{kind: decode.KindIKE, src: ap(s, 4500), dst: ap(d, 4500), encap: true,
				ispi: ikeV1SPI, exchange: 5, mid: 0xdeadbeef, ikeLen: 28, offset: h + 8 + 4, length: 8 + 4 + 28}
		}},
		{"IKEv2 on 4500 behind the non-ESP marker", func(t *testing.T, v6 bool) ([]byte, expect) {
			m := realIKEv2(t)
			s, d := addrs(v6)
			h := ipHdrLen(v6)
			return ipUDP(t, v6, 61000, 4500, nonESP(m)), expect{kind: decode.KindIKE, src: ap(s, 61000), dst: ap(d, 4500), encap: true,
				ispi: realIKEv2SPI, exchange: 34, mid: 0, ikeLen: uint32(len(m)), offset: h + 8 + 4, length: 8 + 4 + len(m)}
		}},
		{"ESP in UDP 4500", func(t *testing.T, v6 bool) ([]byte, expect) {
			s, d := addrs(v6)
			h := ipHdrLen(v6)
			return ipUDP(t, v6, 4500, 1025, espPayload(0xc0ffee01, 77, 52)), expect{kind: decode.KindESP, src: ap(s, 4500), dst: ap(d, 1025), encap: true,
				espSPI: 0xc0ffee01, espSeq: 77, espLen: 52, offset: h + 8, length: 8 + 60}
		}},
		{"raw ESP (protocol 50)", func(t *testing.T, v6 bool) ([]byte, expect) {
			s, d := addrs(v6)
			h := ipHdrLen(v6)
			return ipProto(t, v6, layers.IPProtocolESP, espPayload(0x00000101, 1, 100)), expect{kind: decode.KindESP, src: ap(s, 0), dst: ap(d, 0),
				espSPI: 0x101, espSeq: 1, espLen: 100, offset: h, length: 108}
		}},
		{"NAT keepalive", func(t *testing.T, v6 bool) ([]byte, expect) {
			s, d := addrs(v6)
			h := ipHdrLen(v6)
			return ipUDP(t, v6, 4500, 4500, []byte{0xff}), expect{kind: decode.KindNATKeepalive, src: ap(s, 4500), dst: ap(d, 4500), encap: true,
				offset: h + 8, length: 9}
		}},
	}
	for _, l := range links {
		for _, v6 := range []bool{false, true} {
			if (v6 && !l.v6) || (!v6 && !l.v4) {
				continue
			}
			for _, pl := range payloads {
				t.Run(fmt.Sprintf("%s/IPv%d/%s", l.name, map[bool]int{false: 4, true: 6}[v6], pl.name), func(t *testing.T) {
					ip, w := pl.build(t, v6)
					frame := l.wrap(t, v6, ip)
					// gopacket pads short Ethernet frames to 60 bytes:
					// measure the header on a packet long enough.
					hdr := len(l.wrap(t, v6, make([]byte, 100))) - 100
					w.offset += hdr
					d := decode.NewDecoder(decode.Config{})
					r := rec(3, l.lt, frame)
					p, err := d.Decode(r)
					check(t, p, err, r, w)
					st := d.Stats()
					if st.Frames != 1 || st.LinkErrors != 0 || st.NotIPsec != 0 {
						t.Errorf("Stats %+v", st)
					}
				})
			}
		}
	}
}

// TestLinkHeaderLengths pins the header length of each link type, which
// PayloadOffset depends on.
func TestLinkHeaderLengths(t *testing.T) {
	want := map[string]int{
		"Ethernet": 14, "Ethernet+802.1Q": 18, "QinQ 88a8+8100": 22, "Linux SLL": 16, "Linux SLL2": 20,
		"raw 101": 0, "raw 12": 0, "raw IPv4 228": 0, "raw IPv6 229": 0,
	}
	for _, l := range links {
		n, ok := want[l.name]
		if !ok {
			n = 4 // null and loop
		}
		v6 := !l.v4
		if got := len(l.wrap(t, v6, make([]byte, 100))) - 100; got != n {
			t.Errorf("%s: header of %d bytes, want %d", l.name, got, n)
		}
	}
}

// TestNATT covers the demultiplexing of UDP 4500 (RFC 3948 §2).
func TestNATT(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		kind    decode.Kind // 0: not IPsec
		spi     uint32
	}{
		{"keepalive", []byte{0xff}, decode.KindNATKeepalive, 0},
		{"non-ESP marker and IKE", nonESP(ikeV1), decode.KindIKE, 0},
		{"ESP", espPayload(0x12345678, 9, 16), decode.KindESP, 0x12345678},
		{"ESP header only", espPayload(0x12345678, 9, 0), decode.KindESP, 0x12345678},
		{"0xff and more is ESP, not a keepalive", append([]byte{0xff}, espPayload(0x1, 1, 4)[1:]...), decode.KindESP, 0xff000001},
		{"two bytes", []byte{0xff, 0xff}, 0, 0},
		{"empty", nil, 0, 0},
	}
	for _, tc := range tests {
		for _, ports := range [][2]uint16{{4500, 4500}, {4500, 33000}, {33000, 4500}} {
			t.Run(fmt.Sprintf("%s/%d->%d", tc.name, ports[0], ports[1]), func(t *testing.T) {
				d := decode.NewDecoder(decode.Config{})
				frame := ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(ports[0], ports[1], tc.payload)))
				p, err := d.Decode(rec(1, capture.LinkTypeEthernet, frame))
				if err != nil {
					t.Fatal(err)
				}
				if tc.kind == 0 {
					if p != nil {
						t.Fatalf("got a %v packet, want none", p.Kind)
					}
					if d.Stats().NotIPsec != 1 {
						t.Errorf("NotIPsec %d, want 1", d.Stats().NotIPsec)
					}
					return
				}
				if p == nil {
					t.Fatal("no packet")
				}
				if p.Kind != tc.kind || !p.UDPEncapsulated {
					t.Errorf("Kind %v UDPEncapsulated %v, want %v true", p.Kind, p.UDPEncapsulated, tc.kind)
				}
				if p.Src != ap(v4src, ports[0]) || p.Dst != ap(v4dst, ports[1]) {
					t.Errorf("%v -> %v", p.Src, p.Dst)
				}
				switch tc.kind {
				case decode.KindIKE:
					if p.IKE == nil || p.IKE.InitiatorSPI != ikeV1SPI || p.PayloadOffset != 14+20+8+4 {
						t.Errorf("IKE %+v at %d", p.IKE, p.PayloadOffset)
					}
				case decode.KindESP:
					if p.ESP.SPI != tc.spi || p.PayloadOffset != 14+20+8 {
						t.Errorf("ESP SPI %#x at %d, want %#x at %d", p.ESP.SPI, p.PayloadOffset, tc.spi, 14+20+8)
					}
				case decode.KindNATKeepalive:
					if p.PayloadOffset != 14+20+8 || p.Length != 9 {
						t.Errorf("keepalive at %d length %d", p.PayloadOffset, p.Length)
					}
				}
			})
		}
	}
	// Malformations are problems at the offset of the bad header.
	problems := []struct {
		name   string
		frame  []byte
		kind   decode.Kind
		offset int
	}{
		{"non-ESP marker and 3 bytes", ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(4500, 4500, []byte{0, 0, 0, 0, 1, 2, 3}))), decode.KindIKE, 14 + 20 + 8 + 4},
		{"ESP in UDP shorter than its header", ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(4500, 4500, []byte{1, 2, 3, 4, 5}))), decode.KindESP, 14 + 20 + 8},
		{"raw ESP with SPI 0", ether(0x0800, ip4(v4src, v4dst, 50, 1, 0, espPayload(0, 1, 16))), decode.KindESP, 14 + 20},
		{"raw ESP of 4 bytes", ether(0x0800, ip4(v4src, v4dst, 50, 1, 0, []byte{1, 2, 3, 4})), decode.KindESP, 14 + 20},
		{"IKE on 500 shorter than its header", ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1[:20]))), decode.KindIKE, 14 + 20 + 8},
	}
	for _, tc := range problems {
		t.Run(tc.name, func(t *testing.T) {
			d := decode.NewDecoder(decode.Config{})
			p, err := d.Decode(rec(1, capture.LinkTypeEthernet, tc.frame))
			if err != nil || p == nil || p.Kind != tc.kind {
				t.Fatalf("packet %+v error %v, want %v", p, err, tc.kind)
			}
			if len(p.Problems) != 1 || p.Problems[0].Offset != tc.offset || p.Truncated {
				t.Errorf("Problems %+v Truncated %v, want one problem at %d", p.Problems, p.Truncated, tc.offset)
			}
		})
	}
}

// TestPorts: Config replaces the default ports.
func TestPorts(t *testing.T) {
	tests := []struct {
		name         string
		cfg          decode.Config
		sport, dport uint16
		payload      []byte
		want         decode.Kind
	}{
		{"default 500", decode.Config{}, 500, 500, ikeV1, decode.KindIKE},
		{"default: 1500 is not IKE", decode.Config{}, 1500, 1500, ikeV1, 0},
		{"custom 1500", decode.Config{IKEPorts: []uint16{1500}}, 1500, 1500, ikeV1, decode.KindIKE},
		{"custom 1500, source only", decode.Config{IKEPorts: []uint16{1500}}, 1500, 40000, ikeV1, decode.KindIKE},
		{"custom 1500, destination only", decode.Config{IKEPorts: []uint16{1500}}, 40000, 1500, ikeV1, decode.KindIKE},
		{"custom 1500 replaces 500", decode.Config{IKEPorts: []uint16{1500}}, 500, 500, ikeV1, 0},
		{"custom 1500 keeps NAT-T 4500", decode.Config{IKEPorts: []uint16{1500}}, 4500, 4500, []byte{0xff}, decode.KindNATKeepalive},
		{"two IKE ports", decode.Config{IKEPorts: []uint16{500, 1500}}, 500, 500, ikeV1, decode.KindIKE},
		{"custom NAT-T 14500", decode.Config{NATTPorts: []uint16{14500}}, 14500, 14500, espPayload(5, 5, 8), decode.KindESP},
		{"custom NAT-T replaces 4500", decode.Config{NATTPorts: []uint16{14500}}, 4500, 4500, []byte{0xff}, 0},
		{"custom NAT-T keeps IKE 500", decode.Config{NATTPorts: []uint16{14500}}, 500, 500, ikeV1, decode.KindIKE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decode.NewDecoder(tc.cfg)
			frame := ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(tc.sport, tc.dport, tc.payload)))
			p, err := d.Decode(rec(1, capture.LinkTypeEthernet, frame))
			if err != nil {
				t.Fatal(err)
			}
			var got decode.Kind
			if p != nil {
				got = p.Kind
			}
			if got != tc.want {
				t.Errorf("kind %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNotIPsec: frames without IKE or ESP are nil, counted as NotIPsec.
func TestNotIPsec(t *testing.T) {
	dns := []byte{0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1}
	tcp := make([]byte, 20)
	binary.BigEndian.PutUint16(tcp[0:2], 500) // TCP port 500 is not IKE
	binary.BigEndian.PutUint16(tcp[2:4], 500)
	tcp[12] = 5 << 4
	echo := []byte{8, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'}
	tests := []struct {
		name  string
		lt    capture.LinkType
		frame []byte
	}{
		{"UDP/53 over IPv4", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(5353, 53, dns)))},
		{"UDP/53 over IPv6", capture.LinkTypeEthernet, ether(0x86dd, ip6(v6src, v6dst, 17, udp(5353, 53, dns)))},
		{"TCP/500", capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 6, 1, 0, tcp))},
		{"ICMP echo", capture.LinkTypeRaw, ip4(v4src, v4dst, 1, 1, 0, echo)},
		{"ARP", capture.LinkTypeEthernet, ether(0x0806, make([]byte, 28))},
		{"LLDP", capture.LinkTypeEthernet, ether(0x88cc, make([]byte, 30))},
		{"null family 7", capture.LinkTypeNull, nullHeader(binary.LittleEndian, 7)(t, false, make([]byte, 40))},
		{"ICMP port unreachable quoting DNS", capture.LinkTypeRaw, ip4(v4dst, v4src, 1, 2, 0,
			icmp4(3, 3, ip4(v4src, v4dst, 17, 1, 0, udp(5353, 53, dns))))},
	}
	d := decode.NewDecoder(decode.Config{})
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := d.Decode(rec(i+1, tc.lt, tc.frame))
			if err != nil || p != nil {
				t.Fatalf("packet %+v error %v, want nil, nil", p, err)
			}
			if st := d.Stats(); st.NotIPsec != i+1 || st.Frames != i+1 || st.LinkErrors != 0 {
				t.Errorf("Stats %+v, want %d frames, all NotIPsec", st, i+1)
			}
		})
	}
}

// TestStats counts a mix of frames.
func TestStats(t *testing.T) {
	d := decode.NewDecoder(decode.Config{})
	frames := [][]byte{
		ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1))),
		ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(4500, 4500, nonESP(ikeV1)))),
		ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(4500, 4500, espPayload(1, 1, 8)))),
		ether(0x0800, ip4(v4src, v4dst, 50, 1, 0, espPayload(1, 2, 8))),
		ether(0x0800, ip4(v4src, v4dst, 50, 1, 0, espPayload(1, 3, 8))),
		ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(4500, 4500, []byte{0xff}))),
		ether(0x0800, ip4(v4dst, v4src, 1, 1, 0, icmp4(3, 3, ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1))))),
		ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(53, 53, []byte{1, 2, 3}))),
		{1, 2, 3, 4, 5},
	}
	for i, f := range frames {
		d.Decode(rec(i+1, capture.LinkTypeEthernet, f))
	}
	want := decode.Stats{Frames: 9, IKE: 2, ESP: 3, NATKeepalives: 1, ICMPErrors: 1, NotIPsec: 1, LinkErrors: 1}
	if got := d.Stats(); got != want {
		t.Errorf("Stats %+v\nwant  %+v", got, want)
	}
}

// ---- fragments ----

// frag4 splits an IPv4 payload into fragments of at most size bytes
// (a multiple of 8) and returns each as an Ethernet frame.
func frag4(proto uint8, id uint16, payload []byte, size int) [][]byte {
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		fo := uint16(off / 8)
		if end < len(payload) {
			fo |= 0x2000 // MF
		}
		out = append(out, ether(0x0800, ip4(v4src, v4dst, proto, id, fo, payload[off:end])))
	}
	return out
}

// frag6 does the same with an IPv6 Fragment header.
func frag6(next uint8, id uint32, payload []byte, size int) [][]byte {
	var out [][]byte
	for off := 0; off < len(payload); off += size {
		end := min(off+size, len(payload))
		fh := make([]byte, 8)
		fh[0] = next
		offMF := uint16(off)
		if end < len(payload) {
			offMF |= 1
		}
		binary.BigEndian.PutUint16(fh[2:4], offMF)
		binary.BigEndian.PutUint32(fh[4:8], id)
		out = append(out, ether(0x86dd, ip6(v6src, v6dst, 44, append(fh, payload[off:end]...))))
	}
	return out
}

type fragCase struct {
	name  string
	v6    bool
	frags [][]byte
	whole []byte // the reassembled IP payload (UDP header and message)
	msg   []byte // the ISAKMP message, or nil for ESP
}

func fragCases() []fragCase {
	m1 := bigIKE(1, 3000)
	m2 := bigIKE(2, 3200)
	u1 := udp(500, 500, m1)
	u2 := udp(4500, 4500, nonESP(m2))
	esp := espPayload(0xfeed0001, 42, 2990)
	return []fragCase{
		{"IPv4 IKEv1", false, frag4(17, 0x1234, u1, 1480), u1, m1},
		{"IPv4 IKEv2 NAT-T", false, frag4(17, 0x1235, u2, 1200), u2, m2},
		{"IPv4 ESP", false, frag4(50, 0x1236, esp, 1480), esp, nil},
		{"IPv6 IKEv1", true, frag6(17, 0xabcdef01, u1, 1448), u1, m1},
		{"IPv6 IKEv2 NAT-T", true, frag6(17, 0xabcdef02, u2, 1232), u2, m2},
		{"IPv6 ESP", true, frag6(50, 0xabcdef03, esp, 1448), esp, nil},
	}
}

func checkReassembled(t *testing.T, tc fragCase, p *decode.Packet, frame int, frames []int) {
	t.Helper()
	if p == nil {
		t.Fatal("no packet on the last fragment")
	}
	if p.Frame != frame {
		t.Errorf("packet on frame %d, want %d", p.Frame, frame)
	}
	if !slices.Equal(p.Fragments, frames) {
		t.Errorf("Fragments %v, want %v", p.Fragments, frames)
	}
	if p.PayloadOffset != -1 {
		t.Errorf("PayloadOffset %d, want -1 for a reassembled datagram", p.PayloadOffset)
	}
	if p.Length != len(tc.whole) {
		t.Errorf("Length %d, want %d", p.Length, len(tc.whole))
	}
	if len(p.Problems) != 0 || p.Truncated {
		t.Errorf("Problems %+v Truncated %v", p.Problems, p.Truncated)
	}
	if tc.msg == nil {
		if p.Kind != decode.KindESP || p.ESP.SPI != 0xfeed0001 || p.ESP.Seq != 42 || p.ESP.PayloadLen != 2990 {
			t.Errorf("Kind %v ESP %+v", p.Kind, p.ESP)
		}
		return
	}
	if p.Kind != decode.KindIKE || p.IKE == nil {
		t.Fatalf("Kind %v IKE %v", p.Kind, p.IKE)
	}
	if p.IKE.InitiatorSPI != bigSPI || int(p.IKE.Length) != len(tc.msg) || p.IKE.Truncated || len(p.IKE.Errors) != 0 {
		t.Errorf("IKE %v length %d truncated %v errors %v", p.IKE.InitiatorSPI, p.IKE.Length, p.IKE.Truncated, p.IKE.Errors)
	}
	if !bytes.Equal(p.IKE.Raw, tc.msg) {
		t.Error("reassembled message differs from the one sent")
	}
	if len(p.IKE.Payloads) != 1 {
		t.Fatalf("%d payloads, want 1 Vendor ID", len(p.IKE.Payloads))
	}
	vid, ok := p.IKE.Payloads[0].Body.(*isakmp.VendorID)
	if !ok || !bytes.Equal(vid.Data, tc.msg[32:]) {
		t.Errorf("payload %T, want the whole Vendor ID", p.IKE.Payloads[0].Body)
	}
}

func TestReassembly(t *testing.T) {
	orders := []struct {
		name  string
		order []int // indexes into the fragments (3 of them)
	}{
		{"in order", []int{0, 1, 2}},
		{"reversed", []int{2, 1, 0}},
		{"last first", []int{2, 0, 1}},
		{"middle first", []int{1, 2, 0}},
		{"duplicate first", []int{0, 0, 1, 2}},
		{"duplicate middle", []int{0, 1, 1, 2}},
		{"duplicate of a later one first", []int{1, 0, 1, 2}},
	}
	for _, tc := range fragCases() {
		if len(tc.frags) != 3 {
			t.Fatalf("%s: %d fragments, want 3", tc.name, len(tc.frags))
		}
		for _, o := range orders {
			t.Run(tc.name+"/"+o.name, func(t *testing.T) {
				d := decode.NewDecoder(decode.Config{})
				var frames []int
				for i, fi := range o.order {
					frame := 10 + i
					frames = append(frames, frame)
					p, err := d.Decode(rec(frame, capture.LinkTypeEthernet, tc.frags[fi]))
					if err != nil {
						t.Fatalf("fragment %d: %v", fi, err)
					}
					if i < len(o.order)-1 {
						if p != nil {
							t.Fatalf("packet on fragment %d of %d", i+1, len(o.order))
						}
						continue
					}
					checkReassembled(t, tc, p, frame, frames)
				}
				st := d.Stats()
				if st.Fragments != len(o.order) || st.Reassembled != 1 || st.LinkErrors != 0 {
					t.Errorf("Stats %+v: want %d fragments, 1 reassembled", st, len(o.order))
				}
				if n := d.PendingFragments(); n != 0 {
					t.Errorf("PendingFragments %d after completion", n)
				}
			})
		}
	}
	// A capture that saw every packet twice (suricata's detect-bypass-udp
	// does): the datagram is decoded once per copy, never corrupted.
	for _, tc := range fragCases() {
		t.Run(tc.name+"/every fragment twice", func(t *testing.T) {
			d := decode.NewDecoder(decode.Config{})
			var got []*decode.Packet
			frame := 0
			for _, f := range tc.frags {
				for range 2 {
					frame++
					p, err := d.Decode(rec(frame, capture.LinkTypeEthernet, f))
					if err != nil {
						t.Fatal(err)
					}
					if p != nil {
						got = append(got, p)
					}
				}
			}
			if len(got) != 1 {
				t.Fatalf("%d packets, want 1", len(got))
			}
			checkReassembled(t, tc, got[0], 5, []int{1, 2, 3, 4, 5})
		})
		t.Run(tc.name+"/whole datagram twice", func(t *testing.T) {
			d := decode.NewDecoder(decode.Config{})
			var got []*decode.Packet
			frame := 0
			for range 2 {
				for _, f := range tc.frags {
					frame++
					p, err := d.Decode(rec(frame, capture.LinkTypeEthernet, f))
					if err != nil {
						t.Fatal(err)
					}
					if p != nil {
						got = append(got, p)
					}
				}
			}
			if len(got) != 2 {
				t.Fatalf("%d packets, want 2", len(got))
			}
			checkReassembled(t, tc, got[0], 3, []int{1, 2, 3})
			checkReassembled(t, tc, got[1], 6, []int{4, 5, 6})
		})
	}
	// Two datagrams interleaved, with the same ID from different sources.
	t.Run("interleaved datagrams", func(t *testing.T) {
		cs := fragCases()
		a, b := cs[0], cs[3]
		d := decode.NewDecoder(decode.Config{})
		seq := []struct {
			f    []byte
			done *fragCase
		}{{a.frags[0], nil}, {b.frags[1], nil}, {a.frags[2], nil}, {b.frags[0], nil}, {a.frags[1], &a}, {b.frags[2], &b}}
		for i, s := range seq {
			p, err := d.Decode(rec(i+1, capture.LinkTypeEthernet, s.f))
			if err != nil {
				t.Fatal(err)
			}
			if (p != nil) != (s.done != nil) {
				t.Fatalf("frame %d: packet %v", i+1, p != nil)
			}
		}
	})
}

// TestPendingFragments: incomplete datagrams are counted and bounded.
func TestPendingFragments(t *testing.T) {
	first := func(v6 bool, id int) []byte {
		p := udp(500, 500, bigIKE(1, 3000))[:1480]
		if v6 {
			fh := []byte{17, 0, 0, 1, 0, 0, 0, 0}
			binary.BigEndian.PutUint32(fh[4:8], uint32(id))
			return ether(0x86dd, ip6(v6src, v6dst, 44, append(fh, p...)))
		}
		return ether(0x0800, ip4(v4src, v4dst, 17, uint16(id), 0x2000, p))
	}
	for _, n := range []int{1, 10, 1023, 1024, 1025, 1100, 3000} {
		for _, v6 := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/v6=%v", n, v6), func(t *testing.T) {
				d := decode.NewDecoder(decode.Config{})
				for i := range n {
					r := rec(i+1, capture.LinkTypeEthernet, first(v6, i))
					r.Time = t0 // all within the reassembly timeout
					if p, err := d.Decode(r); p != nil || err != nil {
						t.Fatalf("fragment %d: %v %v", i, p, err)
					}
				}
				if got, want := d.PendingFragments(), min(n, 1024); got != want {
					t.Errorf("PendingFragments %d, want %d", got, want)
				}
				if st := d.Stats(); st.Fragments != n || st.NotIPsec != 0 {
					t.Errorf("Stats %+v", st)
				}
			})
		}
	}
	// The oldest datagram is the one given up: the newest still completes.
	t.Run("eviction keeps the newest", func(t *testing.T) {
		d := decode.NewDecoder(decode.Config{})
		cs := fragCases()[0]
		for i := range 1100 {
			r := rec(i+1, capture.LinkTypeEthernet, first(false, 0x8000+i))
			r.Time = t0
			d.Decode(r)
		}
		// cs uses ID 0x1234, not among 0x8000..; send its first fragment,
		// 1100 more first fragments would evict it, 1000 do not.
		r := rec(5000, capture.LinkTypeEthernet, cs.frags[0])
		r.Time = t0
		d.Decode(r)
		for i := range 1000 {
			r := rec(6000+i, capture.LinkTypeEthernet, first(false, 0x9000+i))
			r.Time = t0
			d.Decode(r)
		}
		var p *decode.Packet
		for i, f := range cs.frags[1:] {
			r := rec(8000+i, capture.LinkTypeEthernet, f)
			r.Time = t0
			p, _ = d.Decode(r)
		}
		if p == nil || p.Kind != decode.KindIKE {
			t.Fatal("a datagram newer than 1000 others was evicted")
		}
	})
	// A datagram with no new fragment for longer than the timeout (30 s of
	// capture time) is given up.
	t.Run("timeout", func(t *testing.T) {
		d := decode.NewDecoder(decode.Config{})
		cs := fragCases()[0]
		r := rec(1, capture.LinkTypeEthernet, cs.frags[0])
		r.Time = t0
		d.Decode(r)
		r = rec(2, capture.LinkTypeEthernet, cs.frags[1])
		r.Time = t0.Add(20 * time.Second)
		d.Decode(r)
		if d.PendingFragments() != 1 {
			t.Fatalf("PendingFragments %d, want 1", d.PendingFragments())
		}
		r = rec(3, capture.LinkTypeEthernet, cs.frags[2])
		r.Time = t0.Add(20*time.Second + 31*time.Second)
		p, _ := d.Decode(r)
		if p != nil {
			t.Error("a datagram completed from fragments 31 s apart")
		}
		if d.PendingFragments() != 1 {
			t.Errorf("PendingFragments %d, want 1 (the new, lone last fragment)", d.PendingFragments())
		}
	})
}

// TestOverlappingFragments: where fragments overlap, the bytes that
// arrived first win.
func TestOverlappingFragments(t *testing.T) {
	m := bigIKE(1, 3000)
	u := udp(500, 500, m)
	mk := func(off, end int, mf bool, junk [2]int) []byte {
		p := append([]byte(nil), u[off:end]...)
		for i := junk[0]; i < junk[1]; i++ {
			p[i-off] = 0xee
		}
		fo := uint16(off / 8)
		if mf {
			fo |= 0x2000
		}
		return ether(0x0800, ip4(v4src, v4dst, 17, 77, fo, p))
	}
	good1 := mk(0, 1480, true, [2]int{})
	bad2 := mk(1472, 2960, true, [2]int{1472, 1480}) // overlaps good1 by 8 junk bytes
	good2 := mk(1480, 2960, true, [2]int{})
	last := mk(2960, len(u), false, [2]int{})
	bad1 := mk(0, 1480, true, [2]int{1000, 1480}) // junk where good2 does not reach

	tests := []struct {
		name   string
		frames [][]byte
		junk   [2]int // range of u that must be 0xee in the result, else none
	}{
		{"good first, overlap after", [][]byte{good1, bad2, last}, [2]int{}},
		{"overlap first, good after", [][]byte{bad2, good1, last}, [2]int{1472, 1480}},
		{"good, then a junk copy of the same range", [][]byte{good1, bad1, good2, last}, [2]int{}},
		{"junk copy first", [][]byte{bad1, good1, good2, last}, [2]int{1000, 1480}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decode.NewDecoder(decode.Config{})
			var p *decode.Packet
			for i, f := range tc.frames {
				var err error
				p, err = d.Decode(rec(i+1, capture.LinkTypeEthernet, f))
				if err != nil {
					t.Fatal(err)
				}
				if p != nil && i != len(tc.frames)-1 {
					t.Fatalf("packet on frame %d", i+1)
				}
			}
			if p == nil || p.IKE == nil {
				t.Fatal("not reassembled")
			}
			want := append([]byte(nil), m...)
			for i := tc.junk[0]; i < tc.junk[1]; i++ {
				want[i-8] = 0xee
			}
			if !bytes.Equal(p.IKE.Raw, want) {
				for i := range want {
					if i < len(p.IKE.Raw) && p.IKE.Raw[i] != want[i] {
						t.Fatalf("message byte %d (IP payload byte %d) is %#x, want %#x", i, i+8, p.IKE.Raw[i], want[i])
					}
				}
				t.Fatalf("message of %d bytes, want %d", len(p.IKE.Raw), len(want))
			}
		})
	}
}

// TestBadFragments: fragments that cannot be reassembled are errors or
// ignored, never a wrong datagram.
func TestBadFragments(t *testing.T) {
	u := udp(500, 500, bigIKE(1, 3000))
	tests := []struct {
		name   string
		frames [][]byte
	}{
		{"non-final fragment not a multiple of 8", [][]byte{
			ether(0x0800, ip4(v4src, v4dst, 17, 5, 0x2000, u[:1001])),
		}},
		{"beyond 65535 bytes", [][]byte{
			ether(0x0800, ip4(v4src, v4dst, 17, 5, 0x2000|8190, u[:1480])),
		}},
		{"two last fragments disagree", [][]byte{
			ether(0x0800, ip4(v4src, v4dst, 17, 5, 1480/8, u[1480:2000])),
			ether(0x0800, ip4(v4src, v4dst, 17, 5, 1480/8, u[1480:2960])),
			ether(0x0800, ip4(v4src, v4dst, 17, 5, 0x2000, u[:1480])),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decode.NewDecoder(decode.Config{})
			for i, f := range tc.frames {
				p, err := d.Decode(rec(i+1, capture.LinkTypeEthernet, f))
				if p != nil {
					t.Fatalf("frame %d: a packet (%v, %d bytes) from bad fragments", i+1, p.Kind, p.Length)
				}
				_ = err
			}
		})
	}
}

// ---- ICMP ----

func icmp4(typ, code uint8, quoted []byte) []byte {
	b := append([]byte{typ, code, 0, 0, 0, 0, 0, 0}, quoted...)
	binary.BigEndian.PutUint16(b[2:4], csum(b))
	return b
}

func icmp6(typ, code uint8, quoted []byte) []byte {
	return append([]byte{typ, code, 0, 0, 0, 0, 0, 0}, quoted...)
}

func TestICMPErrors(t *testing.T) {
	ike4 := ip4(v4src, v4dst, 17, 9, 0, udp(500, 500, ikeV1))
	ike6 := ip6(v6src, v6dst, 17, udp(500, 500, ikeV1))
	natt4 := ip4(v4src, v4dst, 17, 9, 0, udp(4500, 4500, nonESP(ikeV1)))
	esp4 := ip4(v4src, v4dst, 50, 9, 0, espPayload(0xabad1dea, 3, 40))
	esp6 := ip6(v6src, v6dst, 50, espPayload(0xabad1dea, 3, 40))
	uesp4 := ip4(v4src, v4dst, 17, 9, 0, udp(4500, 4500, espPayload(0xabad1dea, 3, 40)))
	tests := []struct {
		name      string
		frame     []byte // raw IP
		v6        bool
		typ, code uint8
		desc      string
		kind      decode.Kind
		src, dst  netip.AddrPort
		encap     bool
		truncated bool
	}{
		{"IPv4 port unreachable quoting IKE", ip4(v4dst, v4src, 1, 1, 0, icmp4(3, 3, ike4)), false, 3, 3, "port unreachable",
			decode.KindIKE, ap(v4src, 500), ap(v4dst, 500), false, false},
		{"IPv4 host unreachable quoting NAT-T IKE", ip4(v4dst, v4src, 1, 1, 0, icmp4(3, 1, natt4)), false, 3, 1, "host unreachable",
			decode.KindIKE, ap(v4src, 4500), ap(v4dst, 4500), true, false},
		{"IPv4 time exceeded quoting ESP", ip4(v4dst, v4src, 1, 1, 0, icmp4(11, 0, esp4)), false, 11, 0, "time exceeded",
			decode.KindESP, ap(v4src, 0), ap(v4dst, 0), false, false},
		{"IPv4 fragmentation needed quoting ESP in UDP", ip4(v4dst, v4src, 1, 1, 0, icmp4(3, 4, uesp4)), false, 3, 4, "fragmentation needed",
			decode.KindESP, ap(v4src, 4500), ap(v4dst, 4500), true, false},
		{"IPv4 quoting only the UDP header (RFC 792)", ip4(v4dst, v4src, 1, 1, 0, icmp4(3, 3, ike4[:28])), false, 3, 3, "port unreachable",
			decode.KindIKE, ap(v4src, 500), ap(v4dst, 500), false, true},
		{"ICMPv6 port unreachable quoting IKE", ip6(v6dst, v6src, 58, icmp6(1, 4, ike6)), true, 1, 4, "port unreachable",
			decode.KindIKE, ap(v6src, 500), ap(v6dst, 500), false, false},
		{"ICMPv6 packet too big quoting ESP", ip6(v6dst, v6src, 58, icmp6(2, 0, esp6)), true, 2, 0, "packet too big",
			decode.KindESP, ap(v6src, 0), ap(v6dst, 0), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decode.NewDecoder(decode.Config{})
			frame := ether(map[bool]uint16{false: 0x0800, true: 0x86dd}[tc.v6], tc.frame)
			r := rec(4, capture.LinkTypeEthernet, frame)
			p, err := d.Decode(r)
			if err != nil || p == nil {
				t.Fatalf("packet %v error %v", p, err)
			}
			if p.Kind != decode.KindICMPError || p.ICMP == nil {
				t.Fatalf("Kind %v ICMP %v", p.Kind, p.ICMP)
			}
			s, dd := addrs(tc.v6)
			if p.Src != ap(dd, 0) || p.Dst != ap(s, 0) {
				t.Errorf("ICMP %v -> %v", p.Src, p.Dst)
			}
			if p.ICMP.V6 != tc.v6 || p.ICMP.Type != tc.typ || p.ICMP.Code != tc.code || p.ICMP.Description() != tc.desc {
				t.Errorf("ICMP v6=%v type %d code %d %q", p.ICMP.V6, p.ICMP.Type, p.ICMP.Code, p.ICMP.Description())
			}
			if p.PayloadOffset != 14+ipHdrLen(tc.v6) {
				t.Errorf("PayloadOffset %d, want %d (the ICMP header)", p.PayloadOffset, 14+ipHdrLen(tc.v6))
			}
			q := p.ICMP.Quoted
			if q == nil {
				t.Fatal("no quoted packet")
			}
			if q.Kind != tc.kind || q.Src != tc.src || q.Dst != tc.dst || q.UDPEncapsulated != tc.encap || q.Truncated != tc.truncated {
				t.Errorf("quoted %v %v -> %v encap %v truncated %v, want %v %v -> %v %v %v",
					q.Kind, q.Src, q.Dst, q.UDPEncapsulated, q.Truncated, tc.kind, tc.src, tc.dst, tc.encap, tc.truncated)
			}
			switch {
			case tc.kind == decode.KindIKE && !tc.truncated:
				if q.IKE == nil || q.IKE.InitiatorSPI != ikeV1SPI || q.IKE.MessageID != 0xdeadbeef {
					t.Errorf("quoted IKE %+v", q.IKE)
				}
			case tc.kind == decode.KindESP:
				if q.ESP.SPI != 0xabad1dea || q.ESP.Seq != 3 {
					t.Errorf("quoted ESP %+v", q.ESP)
				}
			}
			if st := d.Stats(); st.ICMPErrors != 1 || st.IKE != 0 || st.ESP != 0 {
				t.Errorf("Stats %+v", st)
			}
		})
	}
	t.Run("IPv4 quoting the real IKEv2 request", func(t *testing.T) {
		m := realIKEv2(t)
		q := ip4(v4src, v4dst, 17, 9, 0, udp(500, 500, m))
		d := decode.NewDecoder(decode.Config{})
		p, err := d.Decode(rec(1, capture.LinkTypeRaw, ip4(v4dst, v4src, 1, 1, 0, icmp4(3, 3, q))))
		if err != nil || p == nil || p.ICMP == nil || p.ICMP.Quoted == nil || p.ICMP.Quoted.IKE == nil {
			t.Fatalf("packet %+v error %v", p, err)
		}
		if got := p.ICMP.Quoted.IKE.InitiatorSPI; got != realIKEv2SPI {
			t.Errorf("quoted ISPI %v", got)
		}
	})
	t.Run("quoting a non-first fragment is not IPsec", func(t *testing.T) {
		q := ip4(v4src, v4dst, 17, 9, 185, udp(500, 500, ikeV1))
		d := decode.NewDecoder(decode.Config{})
		p, err := d.Decode(rec(1, capture.LinkTypeRaw, ip4(v4dst, v4src, 1, 1, 0, icmp4(3, 3, q))))
		if err != nil || p != nil {
			t.Errorf("packet %+v error %v, want nil", p, err)
		}
	})
}

// ---- AH and IPv6 extension headers ----

// ah is an AH header (12 bytes and a 12-byte ICV) in front of next.
func ah(next uint8) []byte {
	b := make([]byte, 24)
	b[0] = next
	b[1] = 24/4 - 2
	binary.BigEndian.PutUint32(b[4:8], 0xaaaa0001)
	binary.BigEndian.PutUint32(b[8:12], 5)
	return b
}

func TestAH(t *testing.T) {
	tests := []struct {
		name   string
		frame  []byte
		kind   decode.Kind
		offset int
	}{
		{"IPv4 AH then ESP", ether(0x0800, ip4(v4src, v4dst, 51, 1, 0, append(ah(50), espPayload(0xe5e5e5e5, 8, 64)...))), decode.KindESP, 14 + 20 + 24},
		{"IPv6 AH then ESP", ether(0x86dd, ip6(v6src, v6dst, 51, append(ah(50), espPayload(0xe5e5e5e5, 8, 64)...))), decode.KindESP, 14 + 40 + 24},
		{"IPv4 AH then UDP IKE", ether(0x0800, ip4(v4src, v4dst, 51, 1, 0, append(ah(17), udp(500, 500, ikeV1)...))), decode.KindIKE, 14 + 20 + 24 + 8},
		{"IPv4 AH, AH, ESP", ether(0x0800, ip4(v4src, v4dst, 51, 1, 0, append(append(ah(51), ah(50)...), espPayload(0xe5e5e5e5, 8, 64)...))), decode.KindESP, 14 + 20 + 48},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decode.NewDecoder(decode.Config{})
			p, err := d.Decode(rec(1, capture.LinkTypeEthernet, tc.frame))
			if err != nil || p == nil {
				t.Fatalf("packet %v error %v", p, err)
			}
			if p.Kind != tc.kind || p.PayloadOffset != tc.offset {
				t.Errorf("Kind %v at %d, want %v at %d", p.Kind, p.PayloadOffset, tc.kind, tc.offset)
			}
			if tc.kind == decode.KindESP && (p.ESP.SPI != 0xe5e5e5e5 || p.ESP.Seq != 8 || p.ESP.PayloadLen != 64) {
				t.Errorf("ESP %+v", p.ESP)
			}
			if tc.kind == decode.KindIKE && (p.IKE == nil || p.IKE.InitiatorSPI != ikeV1SPI) {
				t.Errorf("IKE %+v", p.IKE)
			}
			if len(p.Problems) != 0 {
				t.Errorf("Problems %+v", p.Problems)
			}
		})
	}
	t.Run("AH of length 0 is an error", func(t *testing.T) {
		bad := ah(50)
		bad[1] = 0 // (0+2)*4 = 8 bytes, shorter than AH's fixed 12
		d := decode.NewDecoder(decode.Config{})
		p, err := d.Decode(rec(1, capture.LinkTypeEthernet, ether(0x0800, ip4(v4src, v4dst, 51, 1, 0, append(bad, espPayload(1, 1, 8)...)))))
		if err == nil || p != nil {
			t.Errorf("packet %v error %v, want an error", p, err)
		}
	})
}

// ext6 is an IPv6 extension header of 8*(1+units) bytes.
func ext6(next uint8, units int) []byte {
	b := make([]byte, 8*(1+units))
	b[0], b[1] = next, byte(units)
	b[2] = 1 // PadN
	b[3] = byte(len(b) - 4)
	return b
}

func TestIPv6ExtensionHeaders(t *testing.T) {
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	tests := []struct {
		name   string
		first  uint8
		body   []byte
		kind   decode.Kind
		offset int // after the IPv6 header
	}{
		{"hop-by-hop, destination options, UDP IKE", 0, cat(ext6(60, 0), ext6(17, 1), udp(500, 500, ikeV1)), decode.KindIKE, 8 + 16 + 8},
		{"hop-by-hop, routing, destination options, ESP", 0, cat(ext6(43, 0), ext6(60, 2), ext6(50, 0), espPayload(0x77, 1, 20)), decode.KindESP, 8 + 24 + 8},
		{"destination options, AH, ESP", 60, cat(ext6(51, 0), ah(50), espPayload(0x77, 1, 20)), decode.KindESP, 8 + 24},
		{"atomic fragment, UDP IKE", 44, cat([]byte{17, 0, 0, 0, 0, 0, 0, 9}, udp(500, 500, ikeV1)), decode.KindIKE, 8 + 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decode.NewDecoder(decode.Config{})
			frame := ether(0x86dd, ip6(v6src, v6dst, tc.first, tc.body))
			p, err := d.Decode(rec(1, capture.LinkTypeEthernet, frame))
			if err != nil || p == nil {
				t.Fatalf("packet %v error %v", p, err)
			}
			if p.Kind != tc.kind || p.PayloadOffset != 14+40+tc.offset {
				t.Errorf("Kind %v at %d, want %v at %d", p.Kind, p.PayloadOffset, tc.kind, 14+40+tc.offset)
			}
			if tc.kind == decode.KindIKE && (p.IKE == nil || p.IKE.InitiatorSPI != ikeV1SPI || p.Src != ap(v6src, 500)) {
				t.Errorf("IKE %+v from %v", p.IKE, p.Src)
			}
			if tc.kind == decode.KindESP && p.ESP.SPI != 0x77 {
				t.Errorf("ESP %+v", p.ESP)
			}
			if len(p.Problems) != 0 {
				t.Errorf("Problems %+v", p.Problems)
			}
		})
	}
	t.Run("17 extension headers is an error", func(t *testing.T) {
		var body []byte
		for range 17 {
			body = append(body, ext6(60, 0)...)
		}
		body = append(body, udp(500, 500, ikeV1)...)
		d := decode.NewDecoder(decode.Config{})
		p, err := d.Decode(rec(1, capture.LinkTypeEthernet, ether(0x86dd, ip6(v6src, v6dst, 60, body))))
		if err == nil || p != nil {
			t.Errorf("packet %v error %v, want an error", p, err)
		}
	})
	for _, first := range []uint8{0, 43, 60} {
		t.Run(fmt.Sprintf("extension header %d past the packet is an error", first), func(t *testing.T) {
			body := append(ext6(60, 0), ext6(17, 0)...)
			body[9] = 9 // the second header claims 80 bytes
			d := decode.NewDecoder(decode.Config{})
			p, err := d.Decode(rec(1, capture.LinkTypeEthernet, ether(0x86dd, ip6(v6src, v6dst, first, body))))
			if err == nil || p != nil {
				t.Fatalf("packet %v error %v, want an error", p, err)
			}
			// The second extension header is at 14+40+8.
			if !strings.Contains(err.Error(), "byte offset 62") {
				t.Errorf("error %q does not name byte offset 62", err)
			}
		})
	}
}

// ---- truncation ----

func TestTruncation(t *testing.T) {
	type msg struct {
		name string
		get  func(t *testing.T) []byte
	}
	msgs := []msg{
		{"IKEv1 with a Vendor ID", func(*testing.T) []byte { return bigIKE(1, 300) }},
		{"IKEv2 with a Vendor ID", func(*testing.T) []byte { return bigIKE(2, 300) }},
		{"real IKEv2 SA_INIT", realIKEv2},
	}
	for _, m := range msgs {
		for _, natt := range []bool{false, true} {
			for _, cutInMsg := range []int{29, 60, 100, 201} {
				name := fmt.Sprintf("%s/natt=%v/cut %d bytes into the message", m.name, natt, cutInMsg)
				t.Run(name, func(t *testing.T) {
					b := m.get(t)
					off := 14 + 20 + 8
					pl := b
					port := uint16(500)
					if natt {
						off += 4
						pl = nonESP(b)
						port = 4500
					}
					whole := ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(port, port, pl)))
					cut := off + cutInMsg

					// The snaplen cut it: OrigLen says so.
					d := decode.NewDecoder(decode.Config{})
					r := rec(1, capture.LinkTypeEthernet, whole[:cut])
					r.OrigLen = len(whole)
					p, err := d.Decode(r)
					if err != nil || p == nil || p.Kind != decode.KindIKE {
						t.Fatalf("packet %+v error %v", p, err)
					}
					if !p.Truncated {
						t.Error("Truncated not set")
					}
					if len(p.Problems) != 0 {
						t.Errorf("Problems on a frame cut by the snaplen: %+v", p.Problems)
					}
					if p.PayloadOffset != off || p.IKE == nil || p.IKE.InitiatorSPI != isakmp.SPI(b[0:8]) {
						t.Errorf("offset %d IKE %+v", p.PayloadOffset, p.IKE)
					}

					// The same bytes with OrigLen == len(Data): the ISAKMP
					// length lies. Once with the IP and UDP lengths
					// matching the short message, once unchanged.
					short := ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(port, port, pl[:len(pl)-len(b)+cutInMsg])))
					for _, frame := range [][]byte{short, whole[:cut]} {
						d := decode.NewDecoder(decode.Config{})
						p, err := d.Decode(rec(1, capture.LinkTypeEthernet, frame))
						if err != nil || p == nil || p.Kind != decode.KindIKE {
							t.Fatalf("packet %+v error %v", p, err)
						}
						if p.Truncated {
							t.Error("Truncated set on a whole frame")
						}
						found := false
						for _, pr := range p.Problems {
							if pr.Offset == off+24 && !pr.InReassembled {
								found = true
							}
						}
						if !found {
							t.Errorf("no problem at the ISAKMP length field (offset %d): %+v", off+24, p.Problems)
						}
					}
				})
			}
		}
	}
	t.Run("ESP header cut by the snaplen", func(t *testing.T) {
		whole := ether(0x0800, ip4(v4src, v4dst, 50, 1, 0, espPayload(0x1234, 1, 100)))
		for _, cut := range []int{14 + 20 + 2, 14 + 20 + 6, 14 + 20 + 8, 14 + 20 + 50} {
			d := decode.NewDecoder(decode.Config{})
			r := rec(1, capture.LinkTypeEthernet, whole[:cut])
			r.OrigLen = len(whole)
			p, err := d.Decode(r)
			if err != nil || p == nil || p.Kind != decode.KindESP {
				t.Fatalf("cut %d: packet %+v error %v", cut, p, err)
			}
			if !p.Truncated || len(p.Problems) != 0 {
				t.Errorf("cut %d: Truncated %v Problems %+v", cut, p.Truncated, p.Problems)
			}
			if p.Length != 108 {
				t.Errorf("cut %d: Length %d, want the wire length 108", cut, p.Length)
			}
			if cut >= 14+20+8 && p.ESP.SPI != 0x1234 {
				t.Errorf("cut %d: SPI %#x", cut, p.ESP.SPI)
			}
		}
	})
	t.Run("trailing bytes after the ISAKMP message", func(t *testing.T) {
		d := decode.NewDecoder(decode.Config{})
		frame := ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, append(append([]byte(nil), ikeV1...), 0, 0, 0, 0))))
		p, err := d.Decode(rec(1, capture.LinkTypeEthernet, frame))
		if err != nil || p == nil {
			t.Fatal(err)
		}
		if len(p.Problems) != 1 || p.Problems[0].Offset != 14+20+8+28 {
			t.Errorf("Problems %+v, want one at %d", p.Problems, 14+20+8+28)
		}
	})
}

// ---- malformed link and IP layers ----

func TestMalformed(t *testing.T) {
	ihl3 := ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1))
	ihl3[0] = 0x43
	ihl15 := ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1))[:40]
	ihl15[0] = 0x4f
	tooManyTags := ether(0x8100, nil)
	for range 9 {
		tooManyTags = append(tooManyTags, 0, 1, 0x81, 0x00)
	}
	tooManyTags = append(tooManyTags, ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1))...)
	tests := []struct {
		name   string
		lt     capture.LinkType
		frame  []byte
		offset string // expected "byte offset N" in the error
	}{
		{"Ethernet of 5 bytes", capture.LinkTypeEthernet, []byte{1, 2, 3, 4, 5}, "byte offset 0"},
		{"empty Ethernet", capture.LinkTypeEthernet, nil, "byte offset 0"},
		{"IPv4 with IHL 3", capture.LinkTypeEthernet, ether(0x0800, ihl3), "byte offset 14"},
		{"IPv4 with IHL 15 in 40 bytes", capture.LinkTypeEthernet, ether(0x0800, ihl15), "byte offset 14"},
		{"IPv4 of 10 bytes", capture.LinkTypeEthernet, ether(0x0800, ihl3[:10]), "byte offset 14"},
		{"IPv6 of 20 bytes", capture.LinkTypeEthernet, ether(0x86dd, ip6(v6src, v6dst, 17, nil)[:20]), "byte offset 14"},
		{"802.1Q tag cut", capture.LinkTypeEthernet, ether(0x8100, []byte{0, 1}), "byte offset 14"},
		{"9 VLAN tags", capture.LinkTypeEthernet, tooManyTags, ""},
		{"SLL of 10 bytes", capture.LinkTypeLinuxSLL, make([]byte, 10), "byte offset 0"},
		{"SLL2 of 19 bytes", capture.LinkTypeLinuxSLL2, make([]byte, 19), "byte offset 0"},
		{"null of 2 bytes", capture.LinkTypeNull, []byte{2, 0}, "byte offset 0"},
		{"null family beyond 255", capture.LinkTypeNull, []byte{2, 1, 0, 0, 0x45}, "byte offset 0"},
		{"raw empty", capture.LinkTypeRaw, nil, "byte offset 0"},
		{"raw IP version 5", capture.LinkTypeRaw, []byte{0x50, 0, 0, 20}, "byte offset 0"},
		{"raw IPv4 of 19 bytes", capture.LinkTypeIPv4, ihl3[:19], "byte offset 0"},
		{"IPv4 behind null, IHL 3", capture.LinkTypeNull, append([]byte{2, 0, 0, 0}, ihl3...), "byte offset 4"},
		{"unknown link type 147", capture.LinkType(147), ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1))), "byte offset 0"},
		{"UDP header cut", capture.LinkTypeRaw, ip4(v4src, v4dst, 17, 1, 0, []byte{1, 244, 1, 244}), "byte offset 20"},
	}
	d := decode.NewDecoder(decode.Config{})
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p *decode.Packet
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic: %v", r)
					}
				}()
				p, err = d.Decode(rec(i+1, tc.lt, tc.frame))
			}()
			if err == nil || p != nil {
				t.Fatalf("packet %+v error %v, want an error", p, err)
			}
			if !strings.Contains(err.Error(), tc.offset) {
				t.Errorf("error %q does not name %q", err, tc.offset)
			}
			if st := d.Stats(); st.LinkErrors != i+1 || st.Frames != i+1 || st.NotIPsec != 0 {
				t.Errorf("Stats %+v, want %d link errors", st, i+1)
			}
		})
	}
}
