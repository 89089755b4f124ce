package decrypt

import (
	"bytes"
	"compress/flate"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/keys"
)

// deflate compresses b as RFC 2394 sends it: raw DEFLATE, no zlib header.
func deflate(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	w, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// ipcompPacket is an IPComp header (next header, flags, CPI) and payload.
func ipcompPacket(nh byte, cpi uint16, payload []byte) []byte {
	return append([]byte{nh, 0, byte(cpi >> 8), byte(cpi)}, payload...)
}

// TestIPComp: ESP whose next header is IPComp (108) is opened to the
// packet inside: DEFLATE inflated, whether its CPI is the well-known 2 or
// one negotiated in IKE; LZS and LZJH named and left compressed; a
// DEFLATE payload that does not inflate, or inflates past an IP packet,
// refused.
func TestIPComp(t *testing.T) {
	src, dst := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")
	e, _ := keys.ParseEncryption("AES-CBC [RFC3602]")
	in, _ := keys.ParseIntegrity("HMAC-SHA-256-128 [RFC4868]", 0)
	k := &keys.ESPKeys{SPI: 0x1234, Encr: e, EncKey: testKey(16, 1), Integ: in, IntegKey: testKey(32, 2)}
	icmp := ipv4ICMP(1000)
	bomb := deflate(t, make([]byte, 200000))
	for _, c := range []struct {
		name    string
		ipcomp  []byte
		ok      bool
		alg     string
		length  int    // the inner packet's
		inflate bool   // inflated
		reason  string // part of Reason
	}{
		{"DEFLATE, well-known CPI", ipcompPacket(4, 2, deflate(t, icmp)), true, "DEFLATE", len(icmp), true, ""},
		{"DEFLATE, negotiated CPI", ipcompPacket(4, 0x5678, deflate(t, icmp)), true, "DEFLATE", len(icmp), true, ""},
		{"LZS", ipcompPacket(4, 3, []byte("lzs-compressed bytes")), true, "LZS", 20, false, "left compressed (LZS)"},
		{"negotiated CPI, not DEFLATE", ipcompPacket(1, 0x4321, []byte{0xff, 0xff, 0xff, 0xff, 0xff}), true, "", 5, false, "CPI 0x4321, not DEFLATE"},
		{"DEFLATE that does not inflate", ipcompPacket(4, 2, []byte{0xff, 0xff, 0xff, 0xff, 0xff}), false, "", 0, false, "does not inflate"},
		{"DEFLATE past 64 KiB", ipcompPacket(4, 2, bomb), false, "", 0, false, "inflates past 65535 bytes"},
		{"inflated, not an IP packet", ipcompPacket(4, 2, deflate(t, []byte("no IPv4 header here, just text"))), false, "", 0, false, "does not match the inflated data"},
		{"header cut short", []byte{4, 0, 0}, false, "", 0, false, "IPComp header cut short"},
		{"not a protocol", ipcompPacket(200, 0x4321, []byte{1, 2, 3}), false, "", 0, false, "IPComp next header 200"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := (&Decrypter{}).openESP(k, sealESP(t, k, c.ipcomp, protoIPComp), src, dst, 1)
			if d.OK != c.ok || !strings.Contains(d.Reason, c.reason) {
				t.Fatalf("OK=%v reason %q, want %v …%s…", d.OK, d.Reason, c.ok, c.reason)
			}
			if !c.ok {
				return
			}
			ipc := d.Inner.IPComp
			if ipc == nil || ipc.Algorithm != c.alg || ipc.Inflated != c.inflate || ipc.Compressed != len(c.ipcomp)-4 ||
				d.Inner.Length != c.length || d.Inner.NextHeader != protoIPComp {
				t.Fatalf("inner %+v ipcomp %+v", d.Inner, ipc)
			}
			if c.inflate && (d.Inner.Protocol != 1 || d.Inner.Src != netip.MustParseAddr("198.18.1.1")) {
				t.Errorf("inflated inner %+v", d.Inner)
			}
		})
	}
}

// FuzzIPComp: any IPComp packet opens or is refused, never panics, and
// never inflates past an IP packet.
func FuzzIPComp(f *testing.F) {
	f.Add(ipcompPacket(4, 2, deflate(f, ipv4ICMP(100))))
	f.Add(ipcompPacket(4, 0x5678, deflate(f, ipv4ICMP(1400))))
	f.Add(ipcompPacket(4, 3, []byte{1, 2, 3}))
	f.Add([]byte{108})
	f.Add(ipcompPacket(41, 2, deflate(f, make([]byte, 70000))))
	src, dst := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")
	f.Fuzz(func(t *testing.T, b []byte) {
		d := compressedInner(b, src, dst)
		if d.OK && d.Inner.IPComp.Inflated && d.Inner.Length > maxInflated {
			t.Fatalf("inflated to %d bytes", d.Inner.Length)
		}
	})
}
