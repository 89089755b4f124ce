package decrypt_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

// tcpdump's 08-sunrise-sunset-esp2.pcap: ESP (SPI 0x12345678) carrying,
// in tunnel mode, ESP (SPI 0xabcdabcd) carrying ICMP; tcpdump's esp2.out
// shows both layers decrypted.
func TestNestedESP(t *testing.T) {
	path := filepath.Join(sharedCaptures, "tcpdump/tests/08-sunrise-sunset-esp2.pcap")
	if !exists(path) {
		t.Skipf("%s not present", path)
	}
	for _, tc := range []struct {
		keys string
		want func(seq int) string
	}{
		{"sunrise-esp2", func(seq int) string {
			return fmt.Sprintf("carries ESP SPI=0xabcdabcd seq=%d, decrypted: 192.0.2.1 → 192.0.1.1 protocol 1", seq)
		}},
		{"sunrise-esp2-outer", func(seq int) string {
			return fmt.Sprintf("carries ESP SPI=0xabcdabcd seq=%d (no key for it)", seq)
		}},
	} {
		t.Run(tc.keys, func(t *testing.T) {
			store, errs := keys.Load([]string{filepath.Join("testdata", tc.keys)})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			r := runCapture(t, path, store)
			if r.esp != 8 || r.okESP != 8 {
				t.Fatalf("%d of %d ESP packets decrypted: %v", r.okESP, r.esp, r.failures)
			}
			seq := 0
			for _, p := range r.packets {
				if p.Kind != decode.KindESP {
					continue
				}
				seq++
				d := p.Decrypted
				in := d.Inner
				if in.Protocol != 50 || in.Src != netip.MustParseAddr("192.1.2.23") || in.Dst != netip.MustParseAddr("192.0.1.1") {
					t.Errorf("frame %d: inner %+v", p.Frame, in)
				}
				if d.Reason != tc.want(seq) {
					t.Errorf("frame %d: %q, want %q", p.Frame, d.Reason, tc.want(seq))
				}
			}
		})
	}
}

// nullESP wraps payload in a transport-mode ESP packet of an SA with NULL
// encryption and no integrity (RFC 2410).
func nullESP(spi, seq uint32, payload []byte, nh byte) []byte {
	b := make([]byte, 8, 8+len(payload)+4)
	binary.BigEndian.PutUint32(b, spi)
	binary.BigEndian.PutUint32(b[4:], seq)
	b = append(b, payload...)
	pad := (4 - (len(payload)+2)%4) % 4
	for i := range pad {
		b = append(b, byte(i+1))
	}
	return append(b, byte(pad), nh)
}

// ESP in ESP in ESP ... with keys for every layer: decrypted down to
// maxNestedESP layers, no deeper, whatever the nesting.
func TestNestedESPDepth(t *testing.T) {
	e, _ := keys.ParseEncryption("NULL")
	in, _ := keys.ParseIntegrity("NULL", 0)
	store := keys.NewStore()
	store.AddESP(&keys.ESPKeys{SPI: 0x77, Encr: e, Integ: in})
	icmp := []byte{8, 0, 0xf7, 0xff, 0, 0, 0, 0}
	for _, layers := range []int{1, 2, 4, 5, 50, 1000} {
		b := nullESP(0x77, uint32(layers), icmp, 1)
		for i := 1; i < layers; i++ {
			b = nullESP(0x77, uint32(layers-i), b, 50)
		}
		p := &decode.Packet{Kind: decode.KindESP, Src: netip.MustParseAddrPort("192.0.2.1:0"), Dst: netip.MustParseAddrPort("192.0.2.2:0"),
			Length: len(b)}
		decryptFrame(store, p, b)
		d := p.Decrypted
		if d == nil || !d.OK {
			t.Fatalf("%d layers: %+v", layers, d)
		}
		n := strings.Count(d.Reason, "carries ESP")
		switch {
		case layers == 1:
			if d.Inner.Protocol != 1 || d.Reason != "" {
				t.Errorf("1 layer: %+v", d)
			}
		case layers <= 4:
			if n != layers-1 || !strings.HasSuffix(d.Reason, "protocol 1") {
				t.Errorf("%d layers: %q", layers, d.Reason)
			}
		default:
			if n != 4 || !strings.HasSuffix(d.Reason, "(not decrypted: more than 4 nested ESP layers)") {
				t.Errorf("%d layers: %q", layers, d.Reason)
			}
		}
	}
}

func decryptFrame(store *keys.Store, p *decode.Packet, b []byte) {
	decrypt.New(store).PacketFrame(p, b)
}
