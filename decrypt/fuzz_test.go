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
	{"ENCR_NULL_AUTH_AES_GMAC", "NONE [RFC4306]", 20}, // ESP only: refused
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
		{"NULL with AES-GMAC [RFC4543]", "NULL"},
		{"TWOFISH-CBC", "MAC-RIPEMD-160-96 [RFC2857]"},
		{"CAST5-CBC [RFC2144]", "HMAC-MD5-96 [RFC2403]"},
		{"BLOWFISH-CBC [RFC2451]", "NULL"},
	} {
		e, _ := keys.ParseEncryption(a.encr)
		in, _ := keys.ParseIntegrity(a.integ, 0)
		klen := map[keys.Cipher]int{keys.CipherAESCBC: 16, keys.CipherAESCTR: 20, keys.CipherAESGCM: 20, keys.Cipher3DES: 24, keys.CipherAESGMAC: 20,
			keys.CipherTwofishCBC: 32, keys.CipherCAST5CBC: 16, keys.CipherBlowfishCBC: 16}[e.Cipher]
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
	f.Add(uint8(9), false, make([]byte, 48))
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
	// AES-GMAC (SPI 8): IV, payload, trailer, ICV; cut short
	f.Add(uint8(7), append(make([]byte, 8+28+2), make([]byte, 16)...))
	f.Add(uint8(7), make([]byte, 23))
	// ESP in ESP in ESP of the NULL/NULL SA (SPI 7), transport mode,
	// then the same cut short
	nested := []byte{0, 0, 0, 7, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 3, 8, 0, 0xf7, 0xff, 0, 0, 0, 0, 1, 2, 2, 1, 2, 2, 50, 1, 2, 2, 50}
	f.Add(uint8(6), nested)
	f.Add(uint8(6), nested[:len(nested)-5])
	f.Add(uint8(6), append([]byte{0x45, 0, 0, 28, 0, 0, 0, 0, 64, 50, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, 0, 0, 0, 7, 0, 0, 0, 1}, 2, 4))
	// IPComp (next header 108) in the NULL/NULL SA: an empty DEFLATE
	// stream, padding 1 2
	f.Add(uint8(6), []byte{4, 0, 0, 2, 0x03, 0x00, 1, 2, 2, 108})
	// the Twofish / RIPEMD-160 SA (SPI 9): one block and an ICV
	f.Add(uint8(8), make([]byte, 16+16+12))
	store := fuzzStore()
	src, dst := netip.MustParseAddrPort("192.0.2.1:0"), netip.MustParseAddrPort("192.0.2.2:0")
	f.Fuzz(func(t *testing.T, sa uint8, body []byte) {
		if len(body) > 4096 {
			return
		}
		d := decrypt.New(store)
		b := make([]byte, 8, 8+len(body))
		binary.BigEndian.PutUint32(b, uint32(sa%11)+1)
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

// FuzzDecryptIKEv1Fragments feeds IKEv1 fragments (payload 132) of one
// IKE SA with a key: numbering, LAST flags, fragment IDs and contents from
// the input. Reassembly must stay bounded and never panic; what is put
// back together is decrypted like any IKEv1 message.
func FuzzDecryptIKEv1Fragments(f *testing.F) {
	// ops: one byte per fragment: number (low 6 bits), LAST (bit 6),
	// fragment ID 1 or 2 (bit 7); data is cut among them
	enc := make([]byte, 28+32)
	copy(enc, fuzzSPIi[:])
	enc[16], enc[17], enc[18], enc[19] = byte(isakmp.PayloadV1Hash), 0x10, byte(isakmp.ExchangeV1Main), 1
	binary.BigEndian.PutUint32(enc[24:], uint32(len(enc)))
	f.Add([]byte{1, 2, 0x43}, enc)
	f.Add([]byte{0x43, 2, 1, 1, 0x42}, enc)
	f.Add([]byte{1, 0x81, 0x42, 0xc2}, append(enc, enc...))
	f.Add([]byte{0, 0x7f, 0x40}, enc[:20])
	f.Add([]byte{0x41}, []byte("not a message"))
	store := fuzzStore()
	src, dst := netip.MustParseAddrPort("192.0.2.1:500"), netip.MustParseAddrPort("192.0.2.2:500")
	f.Fuzz(func(t *testing.T, ops, data []byte) {
		if len(ops) == 0 || len(ops) > 256 || len(data) > 8192 {
			return
		}
		d := decrypt.New(store)
		// the KE payloads first, so that an encrypted message inside has
		// an IV to be decrypted with
		for i := 0; i < 2; i++ {
			msg := make([]byte, 28, 36)
			copy(msg, fuzzSPIi[:])
			msg[16], msg[17], msg[18] = byte(isakmp.PayloadV1KE), 0x10, byte(isakmp.ExchangeV1Main)
			msg = append(msg, 0, 0, 0, 8, byte(i), 1, 2, 3)
			binary.BigEndian.PutUint32(msg[24:], uint32(len(msg)))
			m, _ := isakmp.Decode(msg)
			q := &decode.Packet{Kind: decode.KindIKE, IKE: m, Src: src, Dst: dst}
			if i == 1 {
				q.Src, q.Dst = dst, src
			}
			d.Packet(q)
		}
		step := max(1, len(data)/len(ops))
		for i, op := range ops {
			lo := min(i*step, len(data))
			hi := min(lo+step, len(data))
			if i == len(ops)-1 {
				hi = len(data)
			}
			chunk := data[lo:hi]
			msg := make([]byte, 28, 36+len(chunk))
			copy(msg, fuzzSPIi[:])
			msg[16], msg[17], msg[18] = byte(isakmp.PayloadV1CiscoFrag), 0x10, byte(isakmp.ExchangeV1Main)
			gh := []byte{0, 0, 0, 0, 0, 1 + op>>7, op & 0x3f, (op >> 6) & 1}
			binary.BigEndian.PutUint16(gh[2:], uint16(8+len(chunk)))
			msg = append(append(msg, gh...), chunk...)
			binary.BigEndian.PutUint32(msg[24:], uint32(len(msg)))
			m, err := isakmp.Decode(msg)
			if err != nil {
				t.Fatal(err)
			}
			p := &decode.Packet{Kind: decode.KindIKE, IKE: m, Src: src, Dst: dst, Frame: i + 1}
			d.Packet(p)
			if p.Decrypted != nil && p.Decrypted.OK && len(p.Decrypted.Payloads) == 0 {
				t.Fatal("OK without payloads")
			}
		}
	})
}
