package keys

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Cipher is an encryption algorithm family.
type Cipher uint8

// Ciphers known to the decrypter.
const (
	CipherUnknown Cipher = iota
	CipherNull
	CipherDES
	Cipher3DES
	CipherAESCBC
	CipherAESCTR
	CipherAESGCM
	CipherAESCCM
	CipherChaCha20Poly1305
	// CipherAESGMAC is ENCR_NULL_AUTH_AES_GMAC (RFC 4543, IKEv2 transform
	// 21): ESP authenticated with AES-GMAC and not encrypted. Its key
	// ends in a 4-byte salt, its ICV is 16 bytes.
	CipherAESGMAC
	// The CBC ciphers of FreeS/WAN, KLIPS and old Linux and BSD stacks
	// that Wireshark's ESP table still offers (RFC 2144, 2451).
	CipherCAST5CBC
	CipherBlowfishCBC
	CipherTwofishCBC
)

var cipherNames = [...]string{"unknown", "NULL", "DES-CBC", "3DES-CBC", "AES-CBC", "AES-CTR", "AES-GCM", "AES-CCM", "ChaCha20-Poly1305", "NULL/AES-GMAC", "CAST5-CBC", "Blowfish-CBC", "Twofish-CBC"}

func (c Cipher) String() string {
	if int(c) < len(cipherNames) {
		return cipherNames[c]
	}
	return "unknown"
}

// AEAD reports whether the cipher authenticates itself (no separate
// integrity). AES-GMAC authenticates but does not encrypt: it is a
// combined mode too, though not an AEAD in the sense of RFC 5116.
func (c Cipher) AEAD() bool {
	return c == CipherAESGCM || c == CipherAESCCM || c == CipherChaCha20Poly1305 || c == CipherAESGMAC
}

// BlockSize is the cipher's block size in bytes: the CBC IV's length.
func (c Cipher) BlockSize() int {
	switch c {
	case CipherDES, Cipher3DES, CipherCAST5CBC, CipherBlowfishCBC:
		return 8
	}
	return 16
}

// SaltLen is the number of bytes at the end of the configured key that are
// the salt / nonce rather than the cipher key (RFC 3686, 4106, 4309, 5282,
// 5930, 7634).
func (c Cipher) SaltLen() int {
	switch c {
	case CipherAESCTR, CipherAESGCM, CipherChaCha20Poly1305, CipherAESGMAC:
		return 4
	case CipherAESCCM:
		return 3
	}
	return 0
}

// Encryption is an encryption algorithm as named in a key file.
type Encryption struct {
	Cipher Cipher
	// ICVLen is the AEAD tag length in bytes (0 for non-AEAD ciphers).
	ICVLen int
	// Name is the name as written in the key file.
	Name string
}

// Integ is an integrity algorithm family.
type Integ uint8

// Integrity algorithms.
const (
	IntegUnknown Integ = iota
	IntegNone          // no integrity (AEAD cipher, or NULL)
	IntegAny           // an ICV of TruncLen bytes that is not checked
	IntegHMACMD5
	IntegHMACSHA1
	IntegHMACSHA256
	IntegHMACSHA384
	IntegHMACSHA512
	IntegAESXCBC
	IntegAESCMAC
	IntegHMACRIPEMD160 // RFC 2857
)

var integNames = [...]string{"unknown", "none", "any (not checked)", "HMAC-MD5", "HMAC-SHA1", "HMAC-SHA2-256", "HMAC-SHA2-384", "HMAC-SHA2-512", "AES-XCBC", "AES-CMAC", "HMAC-RIPEMD-160"}

func (i Integ) String() string {
	if int(i) < len(integNames) {
		return integNames[i]
	}
	return "unknown"
}

// Integrity is an integrity algorithm as named in a key file.
type Integrity struct {
	Alg Integ
	// TruncLen is the length of the ICV in bytes.
	TruncLen int
	Name     string
}

var reNum = regexp.MustCompile(`\d+`)

// stripRef removes a trailing "[RFC...]" reference from a Wireshark name.
func stripRef(s string) string {
	if i := strings.Index(s, "["); i >= 0 {
		s = s[:i]
	}
	return strings.ToUpper(strings.TrimSpace(s))
}

func nums(s string) []int {
	var out []int
	for _, m := range reNum.FindAllString(s, -1) {
		n, _ := strconv.Atoi(m)
		out = append(out, n)
	}
	return out
}

// ParseEncryption reads an encryption algorithm name in any of the
// spellings of Wireshark's UAT tables ("AES-CBC-128 [RFC3602]",
// "AES-GCM with 16 octet ICV [RFC4106]", "TripleDES-CBC [RFC2451]"),
// strongSwan's logs ("AES_GCM_16_256", "3DES_CBC") or the Linux kernel's
// ("cbc(aes)", "rfc4106(gcm(aes))"). ok is false for an unknown name.
func ParseEncryption(name string) (Encryption, bool) {
	e := Encryption{Name: name}
	n := stripRef(name)
	switch {
	case strings.Contains(n, "GMAC") || strings.Contains(n, "RFC4543"):
		// ENCR_NULL_AUTH_AES_GMAC: strongSwan's "NULL_AES_GMAC_128",
		// Linux's "rfc4543(gcm(aes))", "NULL with AES-GMAC [RFC4543]"
		e.Cipher, e.ICVLen = CipherAESGMAC, 16
	case n == "" || n == "NULL" || strings.HasPrefix(n, "NULL ") || strings.Contains(n, "CIPHER_NULL") || n == "ENCR_NULL":
		e.Cipher = CipherNull
	case strings.Contains(n, "CHACHA"):
		e.Cipher, e.ICVLen = CipherChaCha20Poly1305, 16
	case strings.Contains(n, "GCM"), strings.Contains(n, "CCM"):
		e.Cipher = CipherAESGCM
		if strings.Contains(n, "CCM") {
			e.Cipher = CipherAESCCM
		}
		e.ICVLen = 16
		if m := regexp.MustCompile(`(\d+) OCTET`).FindStringSubmatch(n); m != nil {
			e.ICVLen, _ = strconv.Atoi(m[1])
		} else if m := regexp.MustCompile(`(?:GCM|CCM)_(8|12|16)\b`).FindStringSubmatch(n); m != nil {
			e.ICVLen, _ = strconv.Atoi(m[1])
		}
		if e.ICVLen != 8 && e.ICVLen != 12 && e.ICVLen != 16 {
			return e, false
		}
	case strings.Contains(n, "CTR"):
		e.Cipher = CipherAESCTR
		if !strings.Contains(n, "AES") {
			return e, false
		}
	case strings.Contains(n, "TWOFISH"):
		e.Cipher = CipherTwofishCBC
	case strings.Contains(n, "BLOWFISH"):
		e.Cipher = CipherBlowfishCBC
	case strings.Contains(n, "CAST"):
		// "CAST5-CBC [RFC2144]", "cbc(cast5)", strongSwan's "CAST_CBC"
		e.Cipher = CipherCAST5CBC
	case strings.Contains(n, "3DES") || strings.Contains(n, "TRIPLEDES") || strings.Contains(n, "DES3") || strings.Contains(n, "DES_EDE"):
		e.Cipher = Cipher3DES
	case strings.Contains(n, "AES") && (strings.Contains(n, "CBC") || n == "AES" || strings.HasPrefix(n, "AES128") || strings.HasPrefix(n, "AES256") || strings.HasPrefix(n, "AES192")):
		e.Cipher = CipherAESCBC
	case strings.Contains(n, "DES"):
		e.Cipher = CipherDES
	default:
		return e, false
	}
	return e, true
}

// ParseIntegrity reads an integrity algorithm name in the spellings of
// Wireshark ("HMAC_SHA2_256_128 [RFC4868]", "HMAC-SHA-1-96 [RFC2404]",
// "ANY 96 bit authentication [no checking]", "NONE [RFC4306]", "NULL"),
// strongSwan ("HMAC_SHA2_256_128", "AES_XCBC_96") or Linux ("hmac(sha256)"
// with the truncation in bits given separately as truncBits, 0 if unknown).
func ParseIntegrity(name string, truncBits int) (Integrity, bool) {
	i := Integrity{Name: name}
	n := stripRef(name)
	ns := nums(n)
	last := 0
	if len(ns) > 0 {
		last = ns[len(ns)-1]
	}
	switch {
	case n == "" || n == "NULL" || n == "NONE" || strings.HasPrefix(n, "NONE ") || strings.HasPrefix(n, "NULL "):
		i.Alg = IntegNone
		return i, true
	case strings.HasPrefix(n, "ANY"):
		i.Alg = IntegAny
		if last == 0 || last%8 != 0 {
			return i, false
		}
		i.TruncLen = last / 8
		return i, true
	case strings.Contains(n, "XCBC"):
		i.Alg, i.TruncLen = IntegAESXCBC, 12
		return i, true
	case strings.Contains(n, "CMAC"):
		i.Alg, i.TruncLen = IntegAESCMAC, 12
		return i, true
	case strings.Contains(n, "RIPEMD") || strings.Contains(n, "RMD160"):
		// "MAC-RIPEMD-160-96 [RFC2857]", Linux's "hmac(rmd160)"; a name
		// that states no truncation gets RFC 2857's 96 bits.
		i.Alg = IntegHMACRIPEMD160
		if truncBits == 0 {
			i.TruncLen = 12
			return i, true
		}
	case strings.Contains(n, "MD5"):
		i.Alg = IntegHMACMD5
	case strings.Contains(n, "SHA"):
		i.Alg = IntegHMACSHA1
		for _, x := range ns[:max(0, len(ns)-1)] {
			switch x {
			case 256:
				i.Alg = IntegHMACSHA256
			case 384:
				i.Alg = IntegHMACSHA384
			case 512:
				i.Alg = IntegHMACSHA512
			}
		}
		// "hmac(sha256)", "HMAC_SHA256": the only number is the hash size.
		if len(ns) == 1 {
			switch ns[0] {
			case 256:
				i.Alg = IntegHMACSHA256
			case 384:
				i.Alg = IntegHMACSHA384
			case 512:
				i.Alg = IntegHMACSHA512
			}
		}
	default:
		return i, false
	}
	switch {
	case truncBits > 0:
		i.TruncLen = truncBits / 8
	case last >= 64 && last%8 == 0 && last != 256 || (last == 256 && i.Alg == IntegHMACSHA512):
		i.TruncLen = last / 8
	default:
		// a bare name: the RFC 2404/4868 truncation
		i.TruncLen = map[Integ]int{IntegHMACMD5: 12, IntegHMACSHA1: 12, IntegHMACSHA256: 16, IntegHMACSHA384: 24, IntegHMACSHA512: 32}[i.Alg]
	}
	return i, true
}

// unsupported are algorithms that gateways negotiate but that ipsecpcap
// cannot run: neither Go's standard library nor golang.org/x/crypto
// implements them. A key file naming one gets this reason, not "unknown".
var unsupported = []struct{ match, name string }{
	{"CAMELLIA", "Camellia"},
	{"SERPENT", "Serpent"},
	{"IDEA", "IDEA"},
	{"RC5", "RC5"},
	{"SM4", "SM4"},
	{"KUZNYECHIK", "Kuznyechik"},
	{"MAGMA", "Magma"},
	{"KASUMI", "KASUMI"},
	{"SEED", "SEED"},
	{"TIGER", "Tiger"},
	{"SM3", "SM3"},
	{"STREEBOG", "Streebog"},
	{"GOST", "GOST"},
}

// Refusal explains why ParseEncryption or ParseIntegrity did not accept
// name, naming it: an algorithm known and not supported, and why, or an
// unknown name. what is "encryption", "integrity" or "authentication".
func Refusal(what, name string) string {
	n := stripRef(name)
	for _, u := range unsupported {
		if strings.Contains(n, u.match) {
			return fmt.Sprintf("%s algorithm %s is not supported: %s is in neither Go's standard library nor golang.org/x/crypto", what, safe(name), u.name)
		}
	}
	switch {
	case strings.Contains(n, "GCM") || strings.Contains(n, "CCM"):
		return fmt.Sprintf("%s algorithm %s is not supported: the ICV must be 8, 12 or 16 octets (RFC 4106, 4309, 5282)", what, safe(name))
	case strings.HasPrefix(n, "ANY"):
		return fmt.Sprintf("%s algorithm %s is not supported: the ICV length must be a whole number of bytes", what, safe(name))
	case strings.Contains(n, "CTR"):
		return fmt.Sprintf("%s algorithm %s is not supported: counter mode is supported with AES only (RFC 3686, 5930)", what, safe(name))
	}
	return fmt.Sprintf("unknown %s algorithm %s", what, safe(name))
}
