package decrypt_test

import (
	"encoding/hex"
	"net/netip"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ESP with ENCR_NULL_AUTH_AES_GMAC (RFC 4543). The ICVs were computed
// with an independent implementation, OpenSSL 3.0's GMAC
// (`openssl mac -cipher AES-128-GCM -macopt hexkey:K -macopt hexiv:SALT|IV
// -in AAD GMAC`), over the AAD of RFC 4543 §3.3: SPI, sequence number
// (with ESN: SPI, high half 0, low half), IV, payload, padding, pad
// length, next header. Wireshark 4.0 has no AES-GMAC entry in esp_sa to
// check them against; the Linux kernel here lacks rfc4543(gcm(aes)).
var gmacVectors = []struct {
	name     string
	encr     string // as a key file names it
	key      string // cipher key | 4-byte salt
	esn      bool
	packet   string // SPI | seq | IV | payload | padding | pad length | next header
	icv      string
	src, dst string // of the inner packet
	proto    uint8
}{
	{"AES-128 tunnel ICMP", "NULL with AES-GMAC [RFC4543]", "000102030405060708090a0b0c0d0e0fcafebabe", false,
		"000045430000000101020304050607084500001c0001000040010000c6336401cb0071090800f7fe0001000001020204",
		"0f1cc1ff9ee3fee7c0d60e5c26f3533a", "198.51.100.1", "203.0.113.9", 1},
	{"AES-256 transport UDP, ESN", "rfc4543(gcm(aes))", "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2fdeadbeef", true,
		"00010203000000070a0b0c0d0e0f101130390035000d000068656c6c6f010111",
		"edc23cc3c068e2c7b366e9614e5b28d9", "192.0.2.1", "192.0.2.2", 17},
}

func TestESPGMAC(t *testing.T) {
	src, dst := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	for _, v := range gmacVectors {
		t.Run(v.name, func(t *testing.T) {
			e, ok := keys.ParseEncryption(v.encr)
			if !ok || e.Cipher != keys.CipherAESGMAC || e.ICVLen != 16 {
				t.Fatalf("ParseEncryption(%q) = %+v, %v", v.encr, e, ok)
			}
			in, _ := keys.ParseIntegrity("NULL", 0)
			b := append(unhex(t, v.packet), unhex(t, v.icv)...)
			run := func(k *keys.ESPKeys, pkt []byte) *decode.Decrypted {
				store := keys.NewStore()
				store.AddESP(k)
				p := &decode.Packet{Kind: decode.KindESP, Src: netip.AddrPortFrom(src, 0), Dst: netip.AddrPortFrom(dst, 0),
					PayloadOffset: 0, Length: len(pkt)}
				decrypt.New(store).PacketFrame(p, pkt)
				return p.Decrypted
			}
			spi := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			for _, esnFlag := range []bool{v.esn, false} { // an ESN SA is found without its flag too
				k := &keys.ESPKeys{SPI: spi, Encr: e, EncKey: unhex(t, v.key), Integ: in, ESN: esnFlag}
				d := run(k, b)
				if d == nil || !d.OK || d.Inner == nil {
					t.Fatalf("esn=%v: %+v", esnFlag, d)
				}
				if d.Inner.Src != netip.MustParseAddr(v.src) || d.Inner.Dst != netip.MustParseAddr(v.dst) || d.Inner.Protocol != v.proto {
					t.Errorf("inner %+v", d.Inner)
				}
			}
			k := &keys.ESPKeys{SPI: spi, Encr: e, EncKey: unhex(t, v.key), Integ: in, ESN: v.esn}
			// any bit changed anywhere (header, IV, payload, trailer,
			// ICV) fails the check: the payload is authenticated
			for i := 0; i < len(b); i++ {
				c := append([]byte(nil), b...)
				c[i] ^= 0x20
				if i < 4 {
					continue // another SPI: no key
				}
				if d := run(k, c); d == nil || d.OK || d.Reason != decrypt.ReasonIntegrity {
					t.Fatalf("byte %d changed: %+v", i, d)
				}
			}
			// the wrong key
			bad := unhex(t, v.key)
			bad[0] ^= 1
			if d := run(&keys.ESPKeys{SPI: spi, Encr: e, EncKey: bad, Integ: in, ESN: v.esn}, b); d == nil || d.OK || d.Reason != decrypt.ReasonIntegrity {
				t.Errorf("wrong key: %+v", d)
			}
			// the wrong salt
			bad = unhex(t, v.key)
			bad[len(bad)-1] ^= 1
			if d := run(&keys.ESPKeys{SPI: spi, Encr: e, EncKey: bad, Integ: in, ESN: v.esn}, b); d == nil || d.OK {
				t.Errorf("wrong salt: %+v", d)
			}
			// a key without its salt, truncated packets
			if d := run(&keys.ESPKeys{SPI: spi, Encr: e, EncKey: unhex(t, v.key)[:3], Integ: in}, b); d == nil || d.OK {
				t.Errorf("short key: %+v", d)
			}
			for _, n := range []int{8, 9, 16, 8 + 8 + 15, 8 + 8 + 16, len(b) - 1} {
				if d := run(k, b[:n]); d != nil && d.OK {
					t.Errorf("cut to %d bytes: %+v", n, d)
				}
			}
		})
	}
}

func TestGMACNames(t *testing.T) {
	for _, n := range []string{"NULL_AES_GMAC_128", "ENCR_NULL_AUTH_AES_GMAC", "rfc4543(gcm(aes))", "NULL with AES-GMAC [RFC4543]", "aes256gmac"} {
		if e, ok := keys.ParseEncryption(n); !ok || e.Cipher != keys.CipherAESGMAC || e.ICVLen != 16 || e.Cipher.SaltLen() != 4 {
			t.Errorf("%q: %+v %v", n, e, ok)
		}
	}
}
