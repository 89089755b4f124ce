package decode_test

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// The mirror's outer addresses (a switch sending ERSPAN to the analyser).
var (
	mirSrc = netip.MustParseAddr("198.18.9.1")
	mirDst = netip.MustParseAddr("198.18.9.2")
)

// greHdr is a GRE header: flags (C, K, S bits), protocol, and the optional
// fields those flags ask for.
func greHdr(flags, proto uint16) []byte {
	b := binary.BigEndian.AppendUint16(nil, flags)
	b = binary.BigEndian.AppendUint16(b, proto)
	if flags&0x8000 != 0 {
		b = append(b, 0, 0, 0, 0) // checksum, reserved1
	}
	if flags&0x2000 != 0 {
		b = append(b, 0, 0, 0, 42) // key
	}
	if flags&0x1000 != 0 {
		b = append(b, 0, 0, 0, 7) // sequence
	}
	return b
}

func gre(flags, proto uint16, inner []byte) []byte {
	return append(greHdr(flags, proto), inner...)
}

// erspan2 is an ERSPAN type II header (version 1, VLAN 100, session 5).
func erspan2(inner []byte) []byte {
	b := []byte{0x10, 0x64, 0x00, 0x05, 0, 0, 0, 1}
	return append(b, inner...)
}

// erspan3 is an ERSPAN type III header (version 2); ft is the frame type
// (0 Ethernet, 2 IP), plat adds the 8-byte platform subheader.
func erspan3(ft byte, plat bool, inner []byte) []byte {
	b := []byte{0x20, 0x64, 0x00, 0x05, 0x11, 0x22, 0x33, 0x44, 0xab, 0xcd, ft << 2, 0}
	if plat {
		b[11] |= 1
		b = append(b, 0x08, 0, 0, 0, 0, 0, 0, 0)
	}
	return append(b, inner...)
}

func vlanTag(id uint16, etype uint16, payload []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, id)
	b = binary.BigEndian.AppendUint16(b, etype)
	return append(b, payload...)
}

func TestGRE(t *testing.T) {
	ike4 := ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1))
	esp4 := ip4(v4src, v4dst, 50, 1, 0, espPayload(0xc0ffee01, 9, 48))
	natt6 := ip6(v6src, v6dst, 17, udp(4500, 4500, espPayload(0xc0ffee02, 3, 48)))
	eIKE := ether(0x0800, ike4)
	eTagged := ether(0x8100, vlanTag(100, 0x0800, esp4))
	outer := func(g []byte) []byte { return ether(0x0800, ip4(mirSrc, mirDst, 47, 77, 0, g)) }
	outer6 := func(g []byte) []byte { return ether(0x86dd, ip6(v6dst, v6src, 47, g)) }
	const o4 = 14 + 20 // GRE header offset in an IPv4 frame
	tests := []struct {
		name   string
		frame  []byte
		kind   decode.Kind
		src    netip.Addr
		offset int // PayloadOffset
		err    string
	}{
		{"GRE IPv4 carrying IKE", outer(gre(0, 0x0800, ike4)), decode.KindIKE, v4src, o4 + 4 + 28, ""},
		{"GRE IPv6 carrying NAT-T ESP", outer(gre(0, 0x86dd, natt6)), decode.KindESP, v6src, o4 + 4 + 48, ""},
		{"GRE with checksum, key and sequence", outer(gre(0xb000, 0x0800, esp4)), decode.KindESP, v4src, o4 + 16 + 20, ""},
		{"GRE over IPv6 with key", outer6(gre(0x2000, 0x0800, ike4)), decode.KindIKE, v4src, 14 + 40 + 8 + 28, ""},
		{"transparent Ethernet bridging", outer(gre(0, 0x6558, eIKE)), decode.KindIKE, v4src, o4 + 4 + 14 + 28, ""},
		{"TEB with a VLAN tag", outer(gre(0x2000, 0x6558, eTagged)), decode.KindESP, v4src, o4 + 8 + 18 + 20, ""},
		{"ERSPAN type I", outer(gre(0, 0x88be, eIKE)), decode.KindIKE, v4src, o4 + 4 + 14 + 28, ""},
		{"ERSPAN type II", outer(gre(0x1000, 0x88be, erspan2(eIKE))), decode.KindIKE, v4src, o4 + 8 + 8 + 14 + 28, ""},
		{"ERSPAN type II, mirrored frame tagged", outer(gre(0x1000, 0x88be, erspan2(eTagged))), decode.KindESP, v4src, o4 + 8 + 8 + 18 + 20, ""},
		{"ERSPAN type III", outer(gre(0x1000, 0x22eb, erspan3(0, false, eIKE))), decode.KindIKE, v4src, o4 + 8 + 12 + 14 + 28, ""},
		{"ERSPAN type III with platform subheader", outer(gre(0x1000, 0x22eb, erspan3(0, true, eTagged))), decode.KindESP, v4src, o4 + 8 + 20 + 18 + 20, ""},
		{"ERSPAN type III carrying IP", outer(gre(0x1000, 0x22eb, erspan3(2, false, esp4))), decode.KindESP, v4src, o4 + 8 + 12 + 20, ""},
		{"GRE in GRE", outer(gre(0, 0x0800, ip4(mirSrc, mirDst, 47, 78, 0, gre(0, 0x0800, ike4)))), decode.KindIKE, v4src, o4 + 4 + 20 + 4 + 28, ""},
		{"GRE carrying something else", outer(gre(0, 0x0806, make([]byte, 28))), 0, netip.Addr{}, 0, ""},
		{"GRE carrying non-IPsec IP", outer(gre(0, 0x0800, ip4(v4src, v4dst, 6, 1, 0, make([]byte, 20)))), 0, netip.Addr{}, 0, ""},
		{"enhanced GRE (PPTP) skipped", outer(gre(0x3001, 0x880b, ike4)), 0, netip.Addr{}, 0, ""},
		{"GRE header cut short", outer([]byte{0, 0}), 0, netip.Addr{}, 0, "GRE header needs 4 bytes"},
		{"GRE optional fields cut short", outer([]byte{0xb0, 0, 0x08, 0, 0, 0}), 0, netip.Addr{}, 0, "GRE header of 16 bytes"},
		{"ERSPAN II header cut short", outer(gre(0x1000, 0x88be, []byte{0x10, 0})), 0, netip.Addr{}, 0, "ERSPAN type II header needs 8 bytes"},
		{"ERSPAN III platform subheader cut short", outer(gre(0x1000, 0x22eb, erspan3(0, true, nil)[:14])), 0, netip.Addr{}, 0, "platform subheader"},
		{"mirrored Ethernet cut short", outer(gre(0, 0x6558, eIKE[:10])), 0, netip.Addr{}, 0, "mirrored Ethernet header needs 14 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decode.NewDecoder(decode.Config{})
			p, err := d.Decode(&capture.Record{Frame: 1, Time: t0, LinkType: capture.LinkTypeEthernet, Data: tc.frame, OrigLen: len(tc.frame)})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.kind == 0 {
				if p != nil {
					t.Fatalf("got a %v packet, want none", p.Kind)
				}
				if st := d.Stats(); st.NotIPsec != 1 {
					t.Fatalf("stats %+v", st)
				}
				return
			}
			if p == nil {
				t.Fatal("no packet")
			}
			if p.Kind != tc.kind || p.Src.Addr() != tc.src || p.PayloadOffset != tc.offset {
				t.Fatalf("got kind %v src %v offset %d, want %v %v %d", p.Kind, p.Src, p.PayloadOffset, tc.kind, tc.src, tc.offset)
			}
		})
	}
}

func TestGRENestingBounded(t *testing.T) {
	inner := ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1))
	for range 6 {
		inner = ip4(mirSrc, mirDst, 47, 1, 0, gre(0, 0x0800, inner))
	}
	d := decode.NewDecoder(decode.Config{})
	frame := ether(0x0800, inner)
	_, err := d.Decode(&capture.Record{Frame: 1, Time: t0, LinkType: capture.LinkTypeEthernet, Data: frame, OrigLen: len(frame)})
	if err == nil || !strings.Contains(err.Error(), "nested GRE") {
		t.Fatalf("err %v, want the nesting bound", err)
	}
	// The bound is per frame: the next frame decodes.
	frame = ether(0x0800, ip4(mirSrc, mirDst, 47, 1, 0, gre(0, 0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1)))))
	p, err := d.Decode(&capture.Record{Frame: 2, Time: t0, LinkType: capture.LinkTypeEthernet, Data: frame, OrigLen: len(frame)})
	if err != nil || p == nil || p.Kind != decode.KindIKE {
		t.Fatalf("next frame: %v %v", p, err)
	}
}
