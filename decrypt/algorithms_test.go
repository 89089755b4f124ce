package decrypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/keys"
)

// Every name of Wireshark 4.x's ESP SA table (esp_sa) and IKEv2 decryption
// table (ikev2_decryption_table), as its dialogs write them. Wireshark's
// IKEv1 table names no algorithm (it takes them from the SA payload); the
// IKEv1 algorithms are checked in TestIKEv1Algorithms.
var (
	wiresharkESPEncr = []string{
		"NULL", "TripleDES-CBC [RFC2451]", "AES-CBC [RFC3602]", "AES-CTR [RFC3686]", "DES-CBC [RFC2405]",
		"CAST5-CBC [RFC2144]", "BLOWFISH-CBC [RFC2451]", "TWOFISH-CBC", "AES-GCM [RFC4106]",
		"AES-GCM with 8 octet ICV [RFC4106]", "AES-GCM with 12 octet ICV [RFC4106]", "AES-GCM with 16 octet ICV [RFC4106]",
	}
	wiresharkESPAuth = []string{
		"NULL", "HMAC-SHA-1-96 [RFC2404]", "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]",
		"HMAC-SHA-256-128 [RFC4868]", "HMAC-SHA-384-192 [RFC4868]", "HMAC-SHA-512-256 [RFC4868]",
		"HMAC-MD5-96 [RFC2403]", "MAC-RIPEMD-160-96 [RFC2857]",
		"ANY 64 bit authentication [no checking]", "ANY 96 bit authentication [no checking]",
		"ANY 128 bit authentication [no checking]", "ANY 192 bit authentication [no checking]",
		"ANY 256 bit authentication [no checking]",
	}
	wiresharkIKEv2Encr = []string{
		"3DES [RFC2451]", "AES-CBC-128 [RFC3602]", "AES-CBC-192 [RFC3602]", "AES-CBC-256 [RFC3602]", "NULL [RFC2410]",
		"AES-CTR-128 [RFC5930]", "AES-CTR-192 [RFC5930]", "AES-CTR-256 [RFC5930]",
		"AES-GCM-128 with 16 octet ICV [RFC5282]", "AES-GCM-192 with 16 octet ICV [RFC5282]", "AES-GCM-256 with 16 octet ICV [RFC5282]",
		"AES-GCM-128 with 8 octet ICV [RFC5282]", "AES-GCM-192 with 8 octet ICV [RFC5282]", "AES-GCM-256 with 8 octet ICV [RFC5282]",
		"AES-GCM-128 with 12 octet ICV [RFC5282]", "AES-GCM-192 with 12 octet ICV [RFC5282]", "AES-GCM-256 with 12 octet ICV [RFC5282]",
		"AES-CCM-128 with 16 octet ICV [RFC5282]", "AES-CCM-192 with 16 octet ICV [RFC5282]", "AES-CCM-256 with 16 octet ICV [RFC5282]",
		"AES-CCM-128 with 8 octet ICV [RFC5282]", "AES-CCM-192 with 8 octet ICV [RFC5282]", "AES-CCM-256 with 8 octet ICV [RFC5282]",
		"AES-CCM-128 with 12 octet ICV [RFC5282]", "AES-CCM-192 with 12 octet ICV [RFC5282]", "AES-CCM-256 with 12 octet ICV [RFC5282]",
	}
	wiresharkIKEv2Integ = []string{
		"HMAC_MD5_96 [RFC2403]", "HMAC_SHA1_96 [RFC2404]", "HMAC_MD5_128 [RFC4595]", "HMAC_SHA1_160 [RFC4595]",
		"HMAC_SHA2_256_96 [draft-ietf-ipsec-ciph-sha-256-00]", "HMAC_SHA2_256_128 [RFC4868]",
		"HMAC_SHA2_384_192 [RFC4868]", "HMAC_SHA2_512_256 [RFC4868]", "NONE [RFC4306]",
		"ANY 64-bits of Authentication [No Checking]", "ANY 96-bits of Authentication [No Checking]",
		"ANY 128-bits of Authentication [No Checking]", "ANY 160-bits of Authentication [No Checking]",
		"ANY 192-bits of Authentication [No Checking]", "ANY 256-bits of Authentication [No Checking]",
	}
)

// encKeyLen is the key length (salt included) a test uses for an
// encryption name: the size the name states, else the family's usual one.
func encKeyLen(e keys.Encryption) int {
	n := 16
	for _, s := range []string{"-192", "-256"} {
		if strings.Contains(e.Name, s) {
			n = map[string]int{"-192": 24, "-256": 32}[s]
		}
	}
	switch e.Cipher {
	case keys.CipherNull:
		return 0
	case keys.CipherDES:
		return 8
	case keys.Cipher3DES:
		return 24
	}
	return n + e.Cipher.SaltLen()
}

func testKey(n int, seed byte) []byte {
	k := make([]byte, n)
	for i := range k {
		k[i] = seed + byte(i*13)
	}
	return k
}

// sealPlain encrypts pt (trailer included, a whole number of blocks for
// CBC) as the sender would and returns IV | ciphertext | AEAD tag; aad is
// what an AEAD authenticates.
func sealPlain(t *testing.T, e keys.Encryption, key, pt, aad []byte) []byte {
	t.Helper()
	c := e.Cipher
	switch c {
	case keys.CipherNull:
		return append([]byte(nil), pt...)
	case keys.CipherAESGCM, keys.CipherAESCCM:
		k, salt := splitSalt(key, c.SaltLen())
		iv := testKey(8, 0x51)
		nonce := append(append([]byte(nil), salt...), iv...)
		b, _ := aes.NewCipher(k)
		if c == keys.CipherAESCCM {
			return append(append(append([]byte(nil), iv...), ccmCTR(b, nonce, pt)...), ccmTag(b, nonce, pt, aad, e.ICVLen)...)
		}
		g, _ := cipher.NewGCM(b)
		sealed := g.Seal(nil, nonce, pt, aad)
		return append(append([]byte(nil), iv...), sealed[:len(pt)+e.ICVLen]...) // a GCM tag truncates to its prefix
	case keys.CipherAESCTR:
		k, salt := splitSalt(key, 4)
		b, _ := aes.NewCipher(k)
		iv := testKey(8, 0x52)
		return append(append([]byte(nil), iv...), ctrDecrypt(b, salt, iv, pt)...)
	}
	b, err := blockCipher(c, key)
	if err != nil {
		t.Fatalf("%s: %v", e.Name, err)
	}
	iv := testKey(b.BlockSize(), 0x53)
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(ct, pt)
	return append(append([]byte(nil), iv...), ct...)
}

// icvOf is the ICV an integrity algorithm puts after data (random-looking
// bytes for "ANY ... no checking").
func icvOf(t *testing.T, in keys.Integrity, key, data []byte) []byte {
	t.Helper()
	switch in.Alg {
	case keys.IntegNone:
		return nil
	case keys.IntegAny:
		return testKey(in.TruncLen, 0x99)
	}
	full, err := computeICV(in.Alg, key, data)
	if err != nil {
		t.Fatalf("%s: %v", in.Name, err)
	}
	return full[:in.TruncLen]
}

// sealESP builds a tunnel-mode ESP packet carrying inner (RFC 4303): SPI,
// sequence, IV, the encrypted payload with its 1, 2, 3 ... padding, pad
// length and next header, and the ICV.
func sealESP(t *testing.T, k *keys.ESPKeys, inner []byte, nh byte) []byte {
	t.Helper()
	hdr := []byte{0, 0, 0x12, 0x34, 0, 0, 0, 7}
	align := 4
	if c := k.Encr.Cipher; c != keys.CipherNull && !c.AEAD() && c != keys.CipherAESCTR {
		align = c.BlockSize()
	}
	pad := (align - (len(inner)+2)%align) % align
	pt := append([]byte(nil), inner...)
	for i := range pad {
		pt = append(pt, byte(i+1))
	}
	pt = append(pt, byte(pad), nh)
	b := append(append([]byte(nil), hdr...), sealPlain(t, k.Encr, k.EncKey, pt, hdr)...)
	if !k.Encr.Cipher.AEAD() {
		b = append(b, icvOf(t, k.Integ, k.IntegKey, b)...)
	}
	return b
}

// ipv4ICMP is an IPv4 echo request from 198.18.1.1 to 198.18.2.1.
func ipv4ICMP(payload int) []byte {
	b := make([]byte, 20+8+payload)
	b[0], b[8], b[9] = 0x45, 64, 1
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	copy(b[12:], []byte{198, 18, 1, 1, 198, 18, 2, 1})
	b[20] = 8
	for i := 28; i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

// TestWiresharkESPNames: every encryption and authentication name of
// Wireshark's ESP table is accepted and decrypts a packet sealed with it;
// a changed ciphertext byte fails where there is an ICV to check.
func TestWiresharkESPNames(t *testing.T) {
	src, dst := netip.MustParseAddr("198.18.0.1"), netip.MustParseAddr("198.18.0.2")
	try := func(encr, auth string) {
		t.Run(encr+"/"+auth, func(t *testing.T) {
			e, ok := keys.ParseEncryption(encr)
			if !ok {
				t.Fatalf("refused: %s", keys.Refusal("encryption", encr))
			}
			in, ok := keys.ParseIntegrity(auth, 0)
			if !ok {
				t.Fatalf("refused: %s", keys.Refusal("authentication", auth))
			}
			if e.Cipher.AEAD() {
				in, _ = keys.ParseIntegrity("NULL", 0)
			}
			k := &keys.ESPKeys{SPI: 0x1234, Encr: e, EncKey: testKey(encKeyLen(e), 1), Integ: in, IntegKey: testKey(32, 2)}
			inner := ipv4ICMP(37)
			pkt := sealESP(t, k, inner, 4)
			d := (&Decrypter{}).openESP(k, pkt, src, dst, 1)
			if !d.OK || d.Inner.Protocol != 1 || d.Inner.Length != len(inner) || d.Inner.Src != netip.MustParseAddr("198.18.1.1") {
				t.Fatalf("%+v %+v", d, d.Inner)
			}
			if in.Alg == keys.IntegAny || in.Alg == keys.IntegNone && !e.Cipher.AEAD() {
				return // nothing checks the packet's integrity
			}
			pkt[12] ^= 0x20
			if d := (&Decrypter{}).openESP(k, pkt, src, dst, 1); d.OK || d.Reason != ReasonIntegrity {
				t.Errorf("a changed byte: %+v", d)
			}
		})
	}
	for _, encr := range wiresharkESPEncr {
		try(encr, "HMAC-SHA-1-96 [RFC2404]")
	}
	for _, auth := range wiresharkESPAuth {
		try("AES-CBC [RFC3602]", auth)
	}
}

// TestWiresharkIKEv2Names: every name of Wireshark's IKEv2 table is
// accepted and opens an SK payload sealed with it (RFC 7296 §3.14).
func TestWiresharkIKEv2Names(t *testing.T) {
	try := func(encr, integ string) {
		t.Run(encr+"/"+integ, func(t *testing.T) {
			e, ok := keys.ParseEncryption(encr)
			if !ok {
				t.Fatalf("refused: %s", keys.Refusal("encryption", encr))
			}
			in, ok := keys.ParseIntegrity(integ, 0)
			if !ok {
				t.Fatalf("refused: %s", keys.Refusal("integrity", integ))
			}
			if e.Cipher.AEAD() {
				in, _ = keys.ParseIntegrity("NONE [RFC4306]", 0)
			}
			k := &keys.IKEv2Keys{Encr: e, Integ: in}
			ek, ak := testKey(encKeyLen(e), 3), testKey(64, 4)
			inner := []byte("IDi and AUTH payloads, whatever their bytes")
			bs := 4
			if c := e.Cipher; c != keys.CipherNull && !c.AEAD() && c != keys.CipherAESCTR {
				bs = c.BlockSize()
			}
			pad := (bs - (len(inner)+1)%bs) % bs
			pt := append(append(append([]byte(nil), inner...), make([]byte, pad)...), byte(pad))
			aad := testKey(32, 5) // the IKE header and the SK payload header
			body := sealPlain(t, e, ek, pt, aad)
			whole := append(append([]byte(nil), aad...), body...)
			icv := icvOf(t, in, ak, whole)
			body, whole = append(body, icv...), append(whole, icv...)
			got, reason := openSK(k, ek, ak, aad, body, whole)
			if reason != "" || !bytes.Equal(got, inner) {
				t.Fatalf("%q %q", got, reason)
			}
		})
	}
	for _, encr := range wiresharkIKEv2Encr {
		try(encr, "HMAC_SHA2_256_128 [RFC4868]")
	}
	for _, integ := range wiresharkIKEv2Integ {
		try("AES-CBC-128 [RFC3602]", integ)
	}
}

// Known answers for the ciphers and MAC added for KLIPS-era ESP: the
// Twofish paper's first 128-bit ECB vector, Eric Young's Blowfish set,
// RFC 2144 App. B.1 (CAST-128) and RFC 2286 §2 test case 1
// (HMAC-RIPEMD-160).
func TestLegacyCipherVectors(t *testing.T) {
	for _, c := range []struct {
		c           keys.Cipher
		key, pt, ct string
	}{
		{keys.CipherTwofishCBC, "00000000000000000000000000000000", "00000000000000000000000000000000", "9f589f5cf6122c32b6bfec2f2ae8c35a"},
		{keys.CipherBlowfishCBC, "0000000000000000", "0000000000000000", "4ef997456198dd78"},
		{keys.CipherCAST5CBC, "0123456712345678234567893456789a", "0123456789abcdef", "238b4fe5847e44b2"},
	} {
		b, err := blockCipher(c.c, unhex(t, c.key))
		if err != nil {
			t.Fatalf("%s: %v", c.c, err)
		}
		out := make([]byte, b.BlockSize())
		b.Encrypt(out, unhex(t, c.pt))
		if hex.EncodeToString(out) != c.ct {
			t.Errorf("%s: %x, want %s", c.c, out, c.ct)
		}
		if got, _ := cbcDecrypt(b, make([]byte, b.BlockSize()), out); hex.EncodeToString(got) != c.pt {
			t.Errorf("%s CBC with a zero IV: %x", c.c, got)
		}
	}
	mac, err := computeICV(keys.IntegHMACRIPEMD160, bytes.Repeat([]byte{0x0b}, 20), []byte("Hi There"))
	if err != nil || hex.EncodeToString(mac) != "24cb4bd67d20fc1a5d2ed7732dcc39377f0a5668" {
		t.Errorf("HMAC-RIPEMD-160: %x %v", mac, err)
	}
	// key lengths the ciphers cannot take are refused with a reason
	for _, c := range []struct {
		c   keys.Cipher
		key int
	}{{keys.CipherTwofishCBC, 20}, {keys.CipherBlowfishCBC, 4}, {keys.CipherCAST5CBC, 10}, {keys.CipherCAST5CBC, 17}} {
		if _, err := blockCipher(c.c, make([]byte, c.key)); err == nil || !strings.Contains(err.Error(), "byte") {
			t.Errorf("%s with a %d-byte key: %v", c.c, c.key, err)
		}
	}
}

// TestIKEv1Algorithms: the phase-1 encryption and hash attributes of RFC
// 2409 App. A that Go has are used; the others are refused by name.
func TestIKEv1Algorithms(t *testing.T) {
	for _, c := range []struct {
		encr, bits, hash uint64
		cipher           keys.Cipher
		klen             int
		refused          string
	}{
		{encr: encrBlowfish, hash: hashSHA1, cipher: keys.CipherBlowfishCBC, klen: 16},
		{encr: encrBlowfish, bits: 256, hash: hashSHA1, cipher: keys.CipherBlowfishCBC, klen: 32},
		{encr: encrCAST, hash: hashMD5, cipher: keys.CipherCAST5CBC, klen: 16},
		{encr: encrAES, bits: 256, hash: hashSHA256, cipher: keys.CipherAESCBC, klen: 32},
		{encr: encrCamellia, hash: hashSHA1, refused: "Camellia-CBC"},
		{encr: encrIDEA, hash: hashSHA1, refused: "IDEA-CBC"},
		{encr: encrRC5, hash: hashSHA1, refused: "RC5"},
		{encr: encr3DES, hash: hashTiger, refused: "Tiger"},
	} {
		s := &v1SA{encr: c.encr, keyBits: c.bits, hash: c.hash}
		ci, klen, h, err := s.algorithms(&keys.IKEv1Keys{EncKey: make([]byte, 32)})
		switch {
		case c.refused != "":
			if err == nil || !strings.Contains(err.Error(), c.refused) || !strings.Contains(err.Error(), "not supported") {
				t.Errorf("encr %d hash %d: %v, want a refusal naming %s", c.encr, c.hash, err, c.refused)
			}
		case err != nil || ci != c.cipher || klen != c.klen || h == nil:
			t.Errorf("encr %d/%d: %v %d %v", c.encr, c.bits, ci, klen, err)
		}
	}
}
