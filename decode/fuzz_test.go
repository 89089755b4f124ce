package decode_test

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// fuzzLinkTypes are the link types the selector byte's low five bits pick
// (modulo the length); 147 is one the decoder does not support.
var fuzzLinkTypes = []capture.LinkType{
	capture.LinkTypeEthernet, capture.LinkTypeLinuxSLL, capture.LinkTypeLinuxSLL2,
	capture.LinkTypeNull, capture.LinkTypeLoop, capture.LinkTypeRaw,
	capture.LinkTypeIPv4, capture.LinkTypeIPv6, capture.LinkTypeRawAlt1,
	capture.LinkTypeRawAlt2, 147,
}

// Selector bits above the link type.
const (
	selTruncated = 0x80 // every frame is shorter than on the wire
	selSlow      = 0x40 // frames 31 s apart: reassembly timeouts
	selPorts     = 0x20 // IKE on 500 and 1500, NAT-T on 4500 and 14500
)

func fuzzSelector(lt capture.LinkType) byte {
	for i, l := range fuzzLinkTypes {
		if l == lt {
			return byte(i)
		}
	}
	panic("link type not in fuzzLinkTypes")
}

// packFrames encodes frames as the fuzzer's "more" argument: each one a
// 2-byte big-endian length and the bytes.
func packFrames(frames ...[]byte) []byte {
	var b []byte
	for _, f := range frames {
		b = binary.BigEndian.AppendUint16(b, uint16(len(f)))
		b = append(b, f...)
	}
	return b
}

func unpackFrames(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		n = min(n, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// FuzzDecodeFrame decodes a frame, then the frames packed in more, with one
// decoder (so fragments of one datagram can meet). Beyond not panicking,
// each result must be consistent with the frame it came from.
//
// The committed corpus in testdata/fuzz/FuzzDecodeFrame is made from real
// frames of the shared captures by TestWriteFuzzDecodeFrameCorpus.
func FuzzDecodeFrame(f *testing.F) {
	// Hand-made frames for what no real capture has (see decoder_test.go).
	for _, tc := range fragCases() {
		f.Add(fuzzSelector(capture.LinkTypeEthernet), tc.frags[2], packFrames(tc.frags[0], tc.frags[0], tc.frags[1]))
	}
	f.Add(fuzzSelector(capture.LinkTypeRaw), ip4(v4dst, v4src, 1, 1, 0, icmp4(3, 3, ip4(v4src, v4dst, 17, 9, 0, udp(500, 500, ikeV1)))), []byte(nil))
	f.Add(fuzzSelector(capture.LinkTypeRaw), ip6(v6dst, v6src, 58, icmp6(1, 4, ip6(v6src, v6dst, 50, espPayload(7, 7, 20)))), []byte(nil))
	f.Add(fuzzSelector(capture.LinkTypeEthernet), ether(0x0800, ip4(v4src, v4dst, 51, 1, 0, append(ah(50), espPayload(0xe5, 8, 64)...))), []byte(nil))
	f.Add(fuzzSelector(capture.LinkTypeIPv6), ip6(v6src, v6dst, 0, bytes.Join([][]byte{ext6(60, 0), ext6(17, 1), udp(500, 500, ikeV1)}, nil)), []byte(nil))
	f.Add(byte(selTruncated)|fuzzSelector(capture.LinkTypeNull), append([]byte{2, 0, 0, 0}, ip4(v4src, v4dst, 17, 1, 0, udp(4500, 4500, nonESP(bigIKE(2, 300))))[:100]...), []byte(nil))
	// GRE and ERSPAN mirror copies (gre_test.go).
	greIKE := ether(0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(500, 500, ikeV1)))
	greOuter := func(g []byte) []byte { return ether(0x0800, ip4(mirSrc, mirDst, 47, 77, 0, g)) }
	f.Add(fuzzSelector(capture.LinkTypeEthernet), greOuter(gre(0xb000, 0x0800, ip4(v4src, v4dst, 50, 1, 0, espPayload(7, 7, 20)))), []byte(nil))
	f.Add(fuzzSelector(capture.LinkTypeEthernet), greOuter(gre(0x1000, 0x88be, erspan2(greIKE))), []byte(nil))
	f.Add(fuzzSelector(capture.LinkTypeEthernet), greOuter(gre(0x1000, 0x22eb, erspan3(0, true, greIKE))), packFrames(greOuter(gre(0x1000, 0x22eb, erspan3(2, false, ip6(v6src, v6dst, 50, espPayload(7, 8, 20)))))))
	f.Add(fuzzSelector(capture.LinkTypeRaw), ip6(v6src, v6dst, 47, gre(0x2000, 0x6558, ether(0x8100, vlanTag(100, 0x0800, ip4(v4src, v4dst, 17, 1, 0, udp(4500, 4500, nonESP(ikeV1))))))), []byte(nil))

	f.Fuzz(func(t *testing.T, sel byte, frame []byte, more []byte) {
		cfg := decode.Config{}
		if sel&selPorts != 0 {
			cfg = decode.Config{IKEPorts: []uint16{500, 1500}, NATTPorts: []uint16{4500, 14500}}
		}
		lt := fuzzLinkTypes[int(sel&0x1f)%len(fuzzLinkTypes)]
		d := decode.NewDecoder(cfg)
		frames := append([][]byte{frame}, unpackFrames(more)...)
		var want decode.Stats
		for i, data := range frames {
			r := &capture.Record{Frame: i + 1, Time: t0.Add(time.Duration(i) * time.Second), LinkType: lt, Data: data, OrigLen: len(data)}
			if sel&selSlow != 0 {
				r.Time = t0.Add(time.Duration(i) * 31 * time.Second)
			}
			if sel&selTruncated != 0 {
				r.OrigLen += 100
			}
			p, err := d.Decode(r)
			want.Frames++
			checkFuzzPacket(t, r, p, err, &want)
			if n := d.PendingFragments(); n < 0 || n > 1024 {
				t.Fatalf("PendingFragments %d", n)
			}
		}
		got := d.Stats()
		// Fragments, Reassembled and NotIPsec depend on inner details;
		// the rest must match what Decode returned.
		got.Fragments, got.Reassembled, got.NotIPsec = 0, 0, 0
		if got != want {
			t.Fatalf("Stats %+v, want %+v", got, want)
		}
	})
}

func checkFuzzPacket(t *testing.T, r *capture.Record, p *decode.Packet, err error, st *decode.Stats) {
	t.Helper()
	if err != nil {
		st.LinkErrors++
		if p != nil {
			t.Fatalf("frame %d: both a packet and an error (%v)", r.Frame, err)
		}
		return
	}
	if p == nil {
		return
	}
	switch p.Kind {
	case decode.KindIKE:
		st.IKE++
		if p.IKE == nil {
			t.Fatalf("frame %d: IKE packet without a message", r.Frame)
		}
	case decode.KindESP:
		st.ESP++
	case decode.KindNATKeepalive:
		st.NATKeepalives++
	case decode.KindICMPError:
		st.ICMPErrors++
		if p.ICMP == nil || p.ICMP.Quoted == nil {
			t.Fatalf("frame %d: ICMP error without the quoted packet", r.Frame)
		}
	default:
		t.Fatalf("frame %d: Kind %d", r.Frame, p.Kind)
	}
	if p.Frame != r.Frame || !p.Time.Equal(r.Time) {
		t.Fatalf("packet of frame %d at %v, from frame %d at %v", p.Frame, p.Time, r.Frame, r.Time)
	}
	if p.Fragments != nil {
		if p.Fragments[len(p.Fragments)-1] != r.Frame || p.PayloadOffset != -1 {
			t.Fatalf("frame %d: Fragments %v PayloadOffset %d", r.Frame, p.Fragments, p.PayloadOffset)
		}
		if p.Truncated {
			t.Fatalf("frame %d: a reassembled datagram marked Truncated", r.Frame)
		}
	} else {
		if p.PayloadOffset < 0 || p.PayloadOffset > len(r.Data) {
			t.Fatalf("frame %d: PayloadOffset %d outside the %d-byte frame", r.Frame, p.PayloadOffset, len(r.Data))
		}
		// The offset must point at what was decoded.
		rest := r.Data[p.PayloadOffset:]
		switch {
		case p.Kind == decode.KindIKE && !bytes.HasPrefix(rest, p.IKE.Raw):
			t.Fatalf("frame %d: the ISAKMP message is not at PayloadOffset %d", r.Frame, p.PayloadOffset)
		case p.Kind == decode.KindESP && !p.ESP.NoSeq && len(rest) >= 8 && binary.BigEndian.Uint32(rest) != p.ESP.SPI:
			t.Fatalf("frame %d: ESP SPI %#x is not at PayloadOffset %d", r.Frame, p.ESP.SPI, p.PayloadOffset)
		case p.Kind == decode.KindNATKeepalive && (len(rest) < 1 || rest[0] != 0xff):
			t.Fatalf("frame %d: no keepalive at PayloadOffset %d", r.Frame, p.PayloadOffset)
		}
	}
	for _, pr := range p.Problems {
		if pr.InReassembled != (p.Fragments != nil) {
			t.Fatalf("frame %d: problem %+v on a datagram with Fragments %v", r.Frame, pr, p.Fragments)
		}
		if !pr.InReassembled && (pr.Offset < 0 || pr.Offset > len(r.Data)) {
			t.Fatalf("frame %d: problem %+v outside the %d-byte frame", r.Frame, pr, len(r.Data))
		}
	}
}
