package decrypt_test

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

var (
	fuzzSPIi = isakmp.SPI{1, 2, 3, 4, 5, 6, 7, 8}
	fuzzKey  = func(n int) keys.Key {
		k := make(keys.Key, n)
		for i := range k {
			k[i] = byte(i * 7)
		}
		return k
	}
)

// fuzzIKEv2Algs are the algorithm pairs the IKEv2 fuzz target cycles
// through, one IKE SA (responder SPI = index+1) each.
var fuzzIKEv2Algs = []struct {
	encr, integ string
	klen        int
}{
	{"AES-CBC-128 [RFC3602]", "HMAC_SHA2_256_128 [RFC4868]", 16},
	{"AES-CBC-256 [RFC3602]", "ANY 96-bits of Authentication [No Checking]", 32},
	{"3DES [RFC2451]", "HMAC_SHA1_96 [RFC2404]", 24},
	{"AES-CTR-128 [RFC5930]", "HMAC_MD5_96 [RFC2403]", 20},
	{"AES-GCM-256 with 8 octet ICV [RFC5282]", "NONE [RFC4306]", 36},
	{"AES-CCM-128 with 12 octet ICV [RFC5282]", "NONE [RFC4306]", 19},
	{"CHACHA20_POLY1305", "NONE [RFC4306]", 36},
	{"NULL [RFC2410]", "AES_XCBC_96", 0},
	{"AES-CBC-128 [RFC3602]", "AES_CMAC_96", 16},
}

func fuzzStore() *keys.Store {
	s := keys.NewStore()
	for i, a := range fuzzIKEv2Algs {
		e, _ := keys.ParseEncryption(a.encr)
		in, _ := keys.ParseIntegrity(a.integ, 0)
		k := &keys.IKEv2Keys{SPIi: fuzzSPIi, Encr: e, Integ: in,
			SKei: fuzzKey(a.klen), SKer: fuzzKey(a.klen), SKai: fuzzKey(16), SKar: fuzzKey(16)}
		k.SPIr[7] = byte(i + 1)
		s.AddIKEv2(k)
	}
	for i, a := range []struct{ encr, integ string }{
		{"AES-CBC [RFC3602]", "HMAC-SHA-1-96 [RFC2404]"},
		{"AES-CTR [RFC3686]", "HMAC-SHA-256-128 [RFC4868]"},
		{"AES-GCM with 16 octet ICV [RFC4106]", "NULL"},
		{"AES-GCM with 8 octet ICV [RFC4106]", "NULL"},
		{"TripleDES-CBC [RFC2451]", "ANY 96 bit authentication [no checking]"},
		{"NULL", "HMAC-SHA-512-256 [RFC4868]"},
		{"NULL", "NULL"},
	} {
		e, _ := keys.ParseEncryption(a.encr)
		in, _ := keys.ParseIntegrity(a.integ, 0)
		klen := map[keys.Cipher]int{keys.CipherAESCBC: 16, keys.CipherAESCTR: 20, keys.CipherAESGCM: 20, keys.Cipher3DES: 24}[e.Cipher]
		s.AddESP(&keys.ESPKeys{SPI: uint32(i + 1), Encr: e, EncKey: fuzzKey(klen), Integ: in, IntegKey: fuzzKey(20), ESN: i == 1})
	}
	s.AddIKEv1(&keys.IKEv1Keys{ICookie: fuzzSPIi, EncKey: fuzzKey(32)})
	return s
}

// FuzzDecryptIKEv2 feeds random SK / SKF bodies to the decrypter with
// fixed keys: wrong keys, truncated ciphertext and garbage must never panic.
func FuzzDecryptIKEv2(f *testing.F) {
	f.Add(uint8(0), false, []byte("0123456789abcdef0123456789abcdef0123456789abcdef"))
	f.Add(uint8(4), true, make([]byte, 40))
	f.Add(uint8(6), false, []byte{})
	f.Add(uint8(5), true, []byte{1})
	store := fuzzStore()
	f.Fuzz(func(t *testing.T, alg uint8, frag bool, body []byte) {
		if len(body) > 4096 {
			return
		}
		d := decrypt.New(store)
		for _, init := range []bool{true, false} {
			msg := make([]byte, 28, 28+8+len(body))
			copy(msg, fuzzSPIi[:])
			msg[15] = alg%uint8(len(fuzzIKEv2Algs)) + 1
			msg[17] = 0x20
			msg[18] = byte(isakmp.ExchangeIKEAuth)
			if init {
				msg[19] = 0x08
			}
			pt := isakmp.PayloadV2SK
			gh := []byte{byte(isakmp.PayloadV2IDi), 0, 0, 0}
			if frag {
				pt = isakmp.PayloadV2SKF
				n := byte(1)
				if len(body) > 0 {
					n = body[0]%3 + 1
				}
				gh = append(gh, 0, n, 0, 2)
			}
			msg[16] = byte(pt)
			binary.BigEndian.PutUint16(gh[2:], uint16(len(gh)+len(body)))
			msg = append(append(msg, gh...), body...)
			binary.BigEndian.PutUint32(msg[24:], uint32(len(msg)))
			m, err := isakmp.Decode(msg)
			if err != nil {
				t.Fatal(err)
			}
			p := &decode.Packet{Kind: decode.KindIKE, IKE: m}
			d.Packet(p)
		}
	})
}

// FuzzDecryptESP feeds random ESP packets (SPI chosen among the fixed SAs)
// and random IKEv1 messages to the decrypter: no panics.
func FuzzDecryptESP(f *testing.F) {
	f.Add(uint8(0), []byte("0123456789abcdef0123456789abcdef0123456789abcdef"))
	f.Add(uint8(2), make([]byte, 64))
	f.Add(uint8(6), []byte{0, 4})
	store := fuzzStore()
	src, dst := netip.MustParseAddrPort("192.0.2.1:0"), netip.MustParseAddrPort("192.0.2.2:0")
	f.Fuzz(func(t *testing.T, sa uint8, body []byte) {
		if len(body) > 4096 {
			return
		}
		d := decrypt.New(store)
		b := make([]byte, 8, 8+len(body))
		binary.BigEndian.PutUint32(b, uint32(sa%8)+1)
		b[7] = 1
		b = append(b, body...)
		p := &decode.Packet{Kind: decode.KindESP, Src: src, Dst: dst, PayloadOffset: 0, Length: len(b)}
		d.PacketFrame(p, b)
		if p.Decrypted != nil && p.Decrypted.OK && p.Decrypted.Inner == nil {
			t.Fatal("OK without an inner packet")
		}
		// the same bytes as IKEv1 messages of one SA: KE payloads, then
		// an encrypted body
		for i, exch := range []isakmp.ExchangeType{isakmp.ExchangeV1Main, isakmp.ExchangeV1Main, isakmp.ExchangeV1Quick, isakmp.ExchangeV1Informational} {
			msg := make([]byte, 28, 28+len(body)+4)
			copy(msg, fuzzSPIi[:])
			msg[15] = 9
			msg[17] = 0x10
			msg[18] = byte(exch)
			if i < 2 {
				msg[16] = byte(isakmp.PayloadV1KE)
				gh := []byte{0, 0, 0, 0}
				binary.BigEndian.PutUint16(gh[2:], uint16(4+len(body)))
				msg = append(append(msg, gh...), body...)
			} else {
				msg[16] = byte(isakmp.PayloadV1Hash)
				msg[19] = 1 // E flag
				binary.BigEndian.PutUint32(msg[20:], uint32(i)*uint32(sa))
				msg = append(msg, body...)
			}
			binary.BigEndian.PutUint32(msg[24:], uint32(len(msg)))
			m, err := isakmp.Decode(msg)
			if err != nil {
				t.Fatal(err)
			}
			q := &decode.Packet{Kind: decode.KindIKE, IKE: m, Src: src, Dst: dst}
			if i == 1 {
				q.Src, q.Dst = dst, src
			}
			d.Packet(q)
		}
	})
}
