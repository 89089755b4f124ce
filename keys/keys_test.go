package keys_test

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

func spi8(t *testing.T, s string) (x isakmp.SPI) {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 8 {
		t.Fatalf("bad SPI %q", s)
	}
	copy(x[:], b)
	return x
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const wiresharkConfig = "../../shared/captures/wireshark/test/config"

// Wireshark's own test tables, as its test suite writes them.
func TestWiresharkTemplates(t *testing.T) {
	if _, err := os.Stat(wiresharkConfig); err != nil {
		t.Skip("shared captures not present")
	}
	dir := t.TempDir()
	for _, n := range []string{"ikev1_decryption_table", "ikev2_decryption_table", "esp_sa"} {
		b, err := os.ReadFile(filepath.Join(wiresharkConfig, n+".tmpl"))
		if err != nil {
			t.Fatal(err)
		}
		write(t, dir, n, string(b))
	}
	s, errs := keys.Load([]string{dir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	v1, v2, esp := s.Counts()
	if v1 != 3 || v2 != 9 || esp != 2 {
		t.Fatalf("counts %d %d %d, want 3 9 2", v1, v2, esp)
	}
	k, ok := s.IKEv1(spi8(t, "fafaeb49382a763c"))
	if !ok || hex.EncodeToString(k) != "735be0cb62f82675c4f7bf8fbab9b56834ba76d6ab4fa240" {
		t.Errorf("ikev1 fafaeb49382a763c: %v", ok)
	}
	for _, c := range []struct {
		spii, spir string
		encr       keys.Cipher
		icv        int
		integ      keys.Integ
		trunc      int
	}{
		{"1234567890123456", "0987654321098765", keys.CipherNull, 0, keys.IntegNone, 0},
		{"19ab98963486359f", "78f13157ccd3b3d8", keys.Cipher3DES, 0, keys.IntegHMACSHA1, 20},
		{"ea684d21597afd36", "d9fe2ab22dac23ac", keys.CipherAESCCM, 12, keys.IntegNone, 0},
		{"a2926ae833c6f138", "5464c57d0dc5e272", keys.CipherAESCTR, 0, keys.IntegAny, 12},
		{"81f24c0acd8fa55c", "192383172724c706", keys.CipherAESCTR, 0, keys.IntegHMACSHA512, 32},
		{"191ccd371a7a1f7b", "bc123d15e4af593f", keys.CipherAESCBC, 0, keys.IntegHMACSHA256, 16},
		{"cd7ae76304b277e2", "74f6080ed799d463", keys.CipherAESCCM, 16, keys.IntegNone, 0},
		{"5d48bfeeb7d574da", "bbb73016c0503640", keys.CipherAESGCM, 8, keys.IntegNone, 0},
		{"0158b8fb90b7623d", "13514610cea16160", keys.CipherAESGCM, 16, keys.IntegNone, 0},
	} {
		k, ok := s.IKEv2(spi8(t, c.spii), spi8(t, c.spir))
		if !ok {
			t.Errorf("%s: missing", c.spii)
			continue
		}
		if k.Encr.Cipher != c.encr || k.Encr.ICVLen != c.icv || k.Integ.Alg != c.integ || k.Integ.TruncLen != c.trunc {
			t.Errorf("%s: %v/%d %v/%d, want %v/%d %v/%d", c.spii, k.Encr.Cipher, k.Encr.ICVLen, k.Integ.Alg, k.Integ.TruncLen, c.encr, c.icv, c.integ, c.trunc)
		}
	}
	e, ok := s.ESP(0x070883c2, netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.0.100"))
	if !ok || e.Encr.Cipher != keys.CipherAESCBC || e.Integ.Alg != keys.IntegHMACSHA1 || e.Integ.TruncLen != 12 || len(e.IntegKey) != 20 {
		t.Errorf("esp 0x070883c2: %+v", e)
	}
	if _, ok := s.ESP(0x070883c2, netip.MustParseAddr("192.168.0.2"), netip.MustParseAddr("192.168.0.100")); ok {
		t.Error("ESP matched another source address")
	}
}

func TestESPWildcardAndAlgorithms(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "esp_sa", `# comment
"IPv4","*","192.1.2.45","0x12345678","TripleDES-CBC [RFC2451]","0x4043434545464649494a4a4c4c4f4f515152525454575758","ANY 96 bit authentication [no checking]",""
"IPv4","*","201.25.64.1","0x87654321","AES-CTR [RFC3686]","0x000102030405060708090a0b0c0d0e0f80818283","HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]","0x101112131415161718191a1b1c1d1e1f"
"IPv6","2001:db8::1","*","0x1","AES-GCM with 12 octet ICV [RFC4106]","0x000102030405060708090a0b0c0d0e0f80818283","NULL",""
"IPv4","10.0.0.0/8","*","0x2","NULL","","HMAC-SHA-512-256 [RFC4868]","0x00"
`)
	s, errs := keys.Load([]string{filepath.Join(dir, "esp_sa")})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	a := netip.MustParseAddr
	k, ok := s.ESP(0x12345678, a("198.51.100.7"), a("192.1.2.45"))
	if !ok || k.Encr.Cipher != keys.Cipher3DES || k.Integ.Alg != keys.IntegAny || k.Integ.TruncLen != 12 {
		t.Errorf("3DES row: %+v", k)
	}
	k, ok = s.ESP(0x87654321, a("201.25.64.2"), a("201.25.64.1"))
	if !ok || k.Encr.Cipher != keys.CipherAESCTR || k.Integ.Alg != keys.IntegHMACSHA256 || k.Integ.TruncLen != 12 {
		t.Errorf("CTR row: %+v", k)
	}
	k, ok = s.ESP(1, a("2001:db8::1"), a("2001:db8::2"))
	if !ok || k.Encr.Cipher != keys.CipherAESGCM || k.Encr.ICVLen != 12 {
		t.Errorf("GCM row: %+v", k)
	}
	if k, ok = s.ESP(2, a("10.1.2.3"), a("1.1.1.1")); !ok || k.Integ.Alg != keys.IntegHMACSHA512 || k.Integ.TruncLen != 32 {
		t.Errorf("prefix row: %+v", k)
	}
	if _, ok = s.ESP(2, a("11.1.2.3"), a("1.1.1.1")); ok {
		t.Error("prefix row matched outside its prefix")
	}
	if _, ok = s.ESP(0x12345678, a("198.51.100.7"), a("192.1.2.46")); ok {
		t.Error("matched another destination")
	}
	if got := s.Sources(); len(got) != 1 || !strings.HasSuffix(got[0], "esp_sa") {
		t.Errorf("sources %v", got)
	}
}

const secretHex = "00112233445566778899aabbccddeeff"

// Malformed lines are reported with file and line, never with key bytes.
func TestErrorsNeverShowKeys(t *testing.T) {
	dir := t.TempDir()
	files := []string{
		write(t, dir, "ikev1_decryption_table", "# c\nfafaeb49382a763c,"+secretHex+"zz\nfafaeb49382a76,"+secretHex+"\n"+secretHex+"\n"),
		write(t, dir, "ikev2_decryption_table", "0001020304050607,c02e7a3031a03188,"+secretHex+"0,"+secretHex+",\"AES-CBC-128 [RFC3602]\","+secretHex+","+secretHex+",\"HMAC_SHA1_96 [RFC2404]\"\n"+
			"0001020304050607,c02e7a3031a03188,"+secretHex+","+secretHex+",\"ROT13 ["+secretHex+"]\","+secretHex+","+secretHex+",\"HMAC_SHA1_96 [RFC2404]\"\n"+
			"\"unterminated,"+secretHex+"\n"),
		write(t, dir, "esp_sa", "\"IPv4\",\"*\",\"1.2.3.4\",\"0x1\",\"AES-CBC [RFC3602]\",\"0x"+secretHex+"q\",\"NULL\",\"\"\n\"IPv4\",\""+secretHex+"\",\"1.2.3.4\",\"0x1\",\"AES-CBC [RFC3602]\",\"0x"+secretHex+"\",\"NULL\",\"\"\n"),
		write(t, dir, "xfrm.txt", "src 1.2.3.4 dst 5.6.7.8\n\tproto esp spi 0x00000001 reqid 1 mode tunnel\n\tenc cbc(aes) 0x"+secretHex+"x\n"),
	}
	s, errs := keys.Load(files)
	if len(errs) < 8 {
		t.Fatalf("want at least 8 errors, got %d: %v", len(errs), errs)
	}
	for _, e := range errs {
		msg := e.Error()
		if strings.Contains(strings.ToLower(msg), secretHex[:12]) {
			t.Errorf("error shows key bytes: %s", msg)
		}
		var ke *keys.Error
		if ke2, ok := e.(*keys.Error); ok {
			ke = ke2
		}
		if ke == nil || ke.Line == 0 || !strings.Contains(msg, fmt.Sprintf(":%d: ", ke.Line)) {
			t.Errorf("error without a line number: %s", msg)
		}
	}
	if v1, v2, esp := s.Counts(); v1+v2+esp != 0 {
		t.Errorf("malformed lines produced keys: %d %d %d", v1, v2, esp)
	}
}

func TestKeyRedacted(t *testing.T) {
	k := keys.Key{0xde, 0xad, 0xbe, 0xef}
	for _, f := range []string{"%v", "%s", "%x", "%X", "%q", "%#v", "%+v", "%d"} {
		if got := fmt.Sprintf(f, k); strings.Contains(got, "de") || strings.Contains(got, "DE") || strings.Contains(got, "222") {
			t.Errorf("%s prints %q", f, got)
		}
	}
	e := &keys.ESPKeys{EncKey: k, IntegKey: k}
	for _, f := range []string{"%v", "%+v", "%#v"} {
		if got := fmt.Sprintf(f, e); strings.Contains(strings.ToLower(got), "deadbeef") || strings.Contains(got, "222") {
			t.Errorf("%s of ESPKeys prints %q", f, got)
		}
	}
	v2 := &keys.IKEv2Keys{SKei: k}
	if got := fmt.Sprintf("%+v", v2); strings.Contains(got, "222") || strings.Contains(got, "de ad") {
		t.Errorf("IKEv2Keys prints %q", got)
	}
}

func TestXfrm(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "xfrm-state.txt", `src 198.18.1.1 dst 198.18.1.2
	proto esp spi 0xc1a2b3c4 reqid 1 mode tunnel
	replay-window 0 flag af-unspec esn
	auth-trunc hmac(sha256) 0x2744d45defb1c1f834a312eea949ca0ce0b1ed16a0de891d07e2dc3d4d4e7162 128
	enc cbc(aes) 0x89085e49b2321b5e04ec042724f56b50
	encap type espinudp sport 4500 dport 4500 addr 0.0.0.0
	anti-replay context: seq 0x0, oseq 0x5, bitmap 0x00000000
src 198.18.1.2 dst 198.18.1.1
	proto esp spi 0x0000abcd reqid 1 mode tunnel
	replay-window 32 flag af-unspec
	aead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 96
src 198.18.1.2 dst 198.18.1.1
	proto ah spi 0x0000beef reqid 1 mode tunnel
	auth-trunc hmac(sha1) 0x0102030405060708090a0b0c0d0e0f1011121314 96
`)
	files := keys.Discover(filepath.Join(dir, "capture.pcap"))
	if len(files) != 1 {
		t.Fatalf("Discover: %v", files)
	}
	s, errs := keys.Load(files)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	a := netip.MustParseAddr
	k, ok := s.ESP(0xc1a2b3c4, a("198.18.1.1"), a("198.18.1.2"))
	if !ok || k.Encr.Cipher != keys.CipherAESCBC || k.Integ.Alg != keys.IntegHMACSHA256 || k.Integ.TruncLen != 16 || !k.ESN || len(k.EncKey) != 16 {
		t.Errorf("cbc: %+v", k)
	}
	k, ok = s.ESP(0xabcd, a("198.18.1.2"), a("198.18.1.1"))
	if !ok || k.Encr.Cipher != keys.CipherAESGCM || k.Encr.ICVLen != 12 || k.ESN {
		t.Errorf("gcm: %+v", k)
	}
	if _, ok := s.ESP(0xbeef, a("198.18.1.2"), a("198.18.1.1")); ok {
		t.Error("an AH SA was taken for ESP")
	}
}

// The lab's directories: Wireshark tables and the charon logs they were
// made from give the same keys.
func TestLabDirectoryAndCharonLog(t *testing.T) {
	dir := "../testdata/pcaps/lab/ikev2-ok"
	files := keys.Discover(filepath.Join(dir, "capture.pcap"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	if strings.Join(names, " ") != "esp_sa ikev1_decryption_table ikev2_decryption_table charon-initiator.log charon-responder.log" {
		t.Errorf("Discover: %v", names)
	}
	tables, errs := keys.Load([]string{filepath.Join(dir, "ikev2_decryption_table"), filepath.Join(dir, "esp_sa")})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	logs, errs := keys.Load([]string{filepath.Join(dir, "charon-initiator.log")})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	i, r := spi8(t, "6deafc80c59bf1fa"), spi8(t, "b03645c838e55b41")
	a, ok1 := tables.IKEv2(i, r)
	b, ok2 := logs.IKEv2(i, r)
	if !ok1 || !ok2 {
		t.Fatalf("IKEv2 SA missing: table %v log %v", ok1, ok2)
	}
	if string(a.SKei) != string(b.SKei) || string(a.SKar) != string(b.SKar) || a.Encr.Cipher != b.Encr.Cipher || a.Integ.Alg != b.Integ.Alg || a.Integ.TruncLen != b.Integ.TruncLen {
		t.Errorf("table and log differ: %v/%v %v/%v", a.Encr.Cipher, b.Encr.Cipher, a.Integ, b.Integ)
	}
	for _, spi := range []uint32{0xa22bc359, 0xe1ef7f2f} {
		var src, dst netip.Addr
		if spi == 0xa22bc359 {
			src, dst = netip.MustParseAddr("198.18.1.1"), netip.MustParseAddr("198.18.1.2")
		} else {
			src, dst = netip.MustParseAddr("198.18.1.2"), netip.MustParseAddr("198.18.1.1")
		}
		x, ok1 := tables.ESP(spi, src, dst)
		y, ok2 := logs.ESP(spi, src, dst)
		if !ok1 || !ok2 || string(x.EncKey) != string(y.EncKey) || string(x.IntegKey) != string(y.IntegKey) {
			t.Errorf("ESP %08x: table %v log %v differ", spi, ok1, ok2)
		}
	}
	all, errs := keys.Load([]string{dir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(all.Sources()) < 2 {
		t.Errorf("sources %v", all.Sources())
	}
	// an IKEv1 log: the Ka and the algorithm hints
	v1, errs := keys.Load([]string{"../testdata/pcaps/lab/ikev1-main-ok/charon-initiator.log"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	k, ok := v1.IKEv1SA(spi8(t, "98f1235aaa01be24"))
	if !ok || hex.EncodeToString(k.EncKey) != "4624e61ee23a03169f7d6c4803131ffe" {
		t.Errorf("IKEv1 from log: %v %+v", ok, k)
	}
}

func TestParseNames(t *testing.T) {
	for _, c := range []struct {
		name  string
		c     keys.Cipher
		icv   int
		valid bool
	}{
		{"AES-CBC-128 [RFC3602]", keys.CipherAESCBC, 0, true},
		{"AES-GCM-256 with 16 octet ICV [RFC5282]", keys.CipherAESGCM, 16, true},
		{"AES-GCM with 8 octet ICV [RFC4106]", keys.CipherAESGCM, 8, true},
		{"AES-CCM-128 with 12 octet ICV [RFC5282]", keys.CipherAESCCM, 12, true},
		{"TripleDES-CBC [RFC2451]", keys.Cipher3DES, 0, true},
		{"3DES [RFC2451]", keys.Cipher3DES, 0, true},
		{"DES-CBC [RFC2405]", keys.CipherDES, 0, true},
		{"NULL", keys.CipherNull, 0, true},
		{"NULL [RFC2410]", keys.CipherNull, 0, true},
		{"AES_GCM_16_256", keys.CipherAESGCM, 16, true},
		{"AES_CTR_128", keys.CipherAESCTR, 0, true},
		{"CHACHA20_POLY1305", keys.CipherChaCha20Poly1305, 16, true},
		{"rfc7539esp(chacha20,poly1305)", keys.CipherChaCha20Poly1305, 16, true},
		{"cbc(des3_ede)", keys.Cipher3DES, 0, true},
		{"BLOWFISH-CBC [RFC2451]", keys.CipherBlowfishCBC, 0, true},
		{"cbc(blowfish)", keys.CipherBlowfishCBC, 0, true},
		{"CAST5-CBC [RFC2144]", keys.CipherCAST5CBC, 0, true},
		{"cbc(cast5)", keys.CipherCAST5CBC, 0, true},
		{"TWOFISH-CBC", keys.CipherTwofishCBC, 0, true},
		{"cbc(twofish)", keys.CipherTwofishCBC, 0, true},
		{"cbc(camellia)", 0, 0, false},
		{"CAMELLIA_CTR_128", 0, 0, false},
		{"cbc(serpent)", 0, 0, false},
	} {
		e, ok := keys.ParseEncryption(c.name)
		if ok != c.valid || ok && (e.Cipher != c.c || e.ICVLen != c.icv) {
			t.Errorf("%q: %v %v/%d", c.name, ok, e.Cipher, e.ICVLen)
		}
	}
	for _, c := range []struct {
		name  string
		bits  int
		alg   keys.Integ
		trunc int
	}{
		{"HMAC_SHA2_256_128 [RFC4868]", 0, keys.IntegHMACSHA256, 16},
		{"HMAC_SHA2_384_192 [RFC4868]", 0, keys.IntegHMACSHA384, 24},
		{"HMAC_SHA2_512_256 [RFC4868]", 0, keys.IntegHMACSHA512, 32},
		{"HMAC-SHA-1-96 [RFC2404]", 0, keys.IntegHMACSHA1, 12},
		{"HMAC_MD5_96 [RFC2403]", 0, keys.IntegHMACMD5, 12},
		{"HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]", 0, keys.IntegHMACSHA256, 12},
		{"ANY 96 bit authentication [no checking]", 0, keys.IntegAny, 12},
		{"ANY 128-bits of Authentication [No Checking]", 0, keys.IntegAny, 16},
		{"NONE [RFC4306]", 0, keys.IntegNone, 0},
		{"AES_XCBC_96", 0, keys.IntegAESXCBC, 12},
		{"hmac(sha256)", 128, keys.IntegHMACSHA256, 16},
		{"hmac(sha1)", 96, keys.IntegHMACSHA1, 12},
		{"MAC-RIPEMD-160-96 [RFC2857]", 0, keys.IntegHMACRIPEMD160, 12},
		{"hmac(rmd160)", 96, keys.IntegHMACRIPEMD160, 12},
		{"hmac(rmd160)", 0, keys.IntegHMACRIPEMD160, 12},
		{"HMAC_MD5_128 [RFC4595]", 0, keys.IntegHMACMD5, 16},
		{"HMAC_SHA1_160 [RFC4595]", 0, keys.IntegHMACSHA1, 20},
		{"ANY 160-bits of Authentication [No Checking]", 0, keys.IntegAny, 20},
	} {
		i, ok := keys.ParseIntegrity(c.name, c.bits)
		if !ok || i.Alg != c.alg || i.TruncLen != c.trunc {
			t.Errorf("%q: %v %v/%d", c.name, ok, i.Alg, i.TruncLen)
		}
	}
}

// TestDiscoverIsConservative: beside a capture only files named for their
// purpose are picked up; an explicit directory is searched by content.
func TestDiscoverIsConservative(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "state.txt", "src 198.18.1.1 dst 198.18.1.2\n\tproto esp spi 0x0000abcd reqid 1 mode tunnel\n\taead rfc4106(gcm(aes)) 0x0102030405060708090a0b0c0d0e0f1011121314 96\n")
	write(t, dir, "syslog.log", "nothing to see\n")
	if files := keys.Discover(filepath.Join(dir, "capture.pcap")); len(files) != 0 {
		t.Errorf("Discover picked up %v", files)
	}
	s, errs := keys.Load([]string{dir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if _, _, esp := s.Counts(); esp != 1 {
		t.Errorf("explicit directory: %d ESP SAs, want 1", esp)
	}
}

// TestRefusal: a name that is not accepted is refused with a message that
// names it, and says why when the algorithm is known but not supported.
func TestRefusal(t *testing.T) {
	for _, c := range []struct{ what, name, want string }{
		{"encryption", "cbc(camellia)", `encryption algorithm "cbc(camellia)" is not supported: Camellia is in neither`},
		{"encryption", "SERPENT-CBC", "Serpent is in neither"},
		{"integrity", "HMAC_TIGER", "Tiger is in neither"},
		{"encryption", "AES-GCM with 4 octet ICV", "the ICV must be 8, 12 or 16 octets"},
		{"authentication", "ANY 12 bit authentication [no checking]", "whole number of bytes"},
		{"encryption", "ROT13", `unknown encryption algorithm "ROT13"`},
	} {
		if _, ok := keys.ParseEncryption(c.name); ok && c.what == "encryption" {
			t.Errorf("%q accepted", c.name)
		}
		if got := keys.Refusal(c.what, c.name); !strings.Contains(got, c.want) {
			t.Errorf("Refusal(%q) = %q, want …%s…", c.name, got, c.want)
		}
	}
	// a key file naming one says so, with the line
	dir := t.TempDir()
	write(t, dir, "esp_sa", `"IPv4","*","*","0x00001234","cbc(camellia)","0x00112233445566778899aabbccddeeff","NULL",""`+"\n")
	_, errs := keys.Load([]string{filepath.Join(dir, "esp_sa")})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "esp_sa:1") || !strings.Contains(errs[0].Error(), "Camellia") {
		t.Errorf("errors %v", errs)
	}
}
