package decrypt_test

import (
	"crypto/x509"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

const sharedCaptures = "../../shared/captures"

type publicCase struct {
	name    string
	capture string // relative to sharedCaptures
	keys    string // directory under testdata
	check   func(t *testing.T, r *result)
}

func frame(t *testing.T, r *result, n int) *decode.Decrypted {
	t.Helper()
	d := r.decrypted[n]
	if d == nil {
		t.Fatalf("frame %d: not decrypted", n)
	}
	return d
}

func payloadTypes(d *decode.Decrypted) []string {
	var out []string
	for _, p := range d.Payloads {
		out = append(out, p.Type.Abbrev())
	}
	return out
}

func innerICMP(src, dst string) func(t *testing.T, r *result) {
	return func(t *testing.T, r *result) {
		t.Helper()
		if r.okESP == 0 {
			t.Fatalf("no ESP packet decrypted of %d; %v", r.esp, r.failures)
		}
		if len(r.failures) > 0 {
			t.Errorf("failures: %v", r.failures)
		}
		for _, in := range r.inner {
			if in.Protocol != 1 {
				t.Errorf("inner packet %+v is not ICMP", in)
			}
			if src != "" && (in.Src != netip.MustParseAddr(src) || in.Dst != netip.MustParseAddr(dst)) {
				t.Errorf("inner packet %v → %v, want %s → %s", in.Src, in.Dst, src, dst)
			}
		}
	}
}

var publicCases = []publicCase{
	{"packetgen esp4-cbc", "packetgen-plugin-ipsec/spec/esp4-cbc.pcapng", "esp4-cbc", innerICMP("", "")},
	{"packetgen esp4-ctr-hmac", "packetgen-plugin-ipsec/spec/esp4-ctr-hmac.pcapng", "esp4-ctr-hmac", innerICMP("", "")},
	{"packetgen esp4-gcm", "packetgen-plugin-ipsec/spec/esp4-gcm.pcapng", "esp4-gcm", innerICMP("", "")},
	{"packetgen esp-tfc", "packetgen-plugin-ipsec/spec/esp-tfc.pcapng", "esp-tfc", func(t *testing.T, r *result) {
		if r.okESP == 0 || len(r.failures) > 0 {
			t.Errorf("ESP %d/%d decrypted, failures %v", r.okESP, r.esp, r.failures)
		}
	}},
	{"packetgen esp-transport-esn", "packetgen-plugin-ipsec/spec/esp-transport-esn.pcapng", "esp-transport-esn", func(t *testing.T, r *result) {
		if r.okESP == 0 || len(r.failures) > 0 {
			t.Errorf("ESP %d/%d decrypted, failures %v", r.okESP, r.esp, r.failures)
		}
	}},
	{"tcpdump 02-sunrise-sunset-esp", "tcpdump/tests/02-sunrise-sunset-esp.pcap", "sunrise-3des", innerICMP("192.0.2.1", "192.0.1.1")},
	{"tcpdump espudp1", "tcpdump/tests/espudp1.pcap", "sunrise-3des", innerICMP("", "")},
	{"tcpdump ikev2pI2", "tcpdump/tests/ikev2pI2.pcap", "ikev2pI2", func(t *testing.T, r *result) {
		// Wireshark too reports this capture's ICV as wrong.
		if len(r.decrypted) == 0 {
			t.Fatal("nothing attempted")
		}
		for f, d := range r.decrypted {
			if d.OK || d.Reason != "integrity check failed: wrong keys or corrupted packet" {
				t.Errorf("frame %d: OK=%v reason %q, want the integrity failure", f, d.OK, d.Reason)
			}
		}
	}},
	{"tcpdump ikev2pI2 no checking", "tcpdump/tests/ikev2pI2.pcap", "ikev2pI2-nocheck", func(t *testing.T, r *result) {
		if r.okIKE == 0 {
			t.Fatalf("nothing decrypted: %v", r.failures)
		}
		found := false
		for _, d := range r.decrypted {
			for _, p := range d.Payloads {
				if id, ok := p.Body.(*isakmp.Identification); ok && p.Type == isakmp.PayloadV2IDi && id.Text == "west" {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("no IDi FQDN west in the decrypted payloads")
		}
	}},
	{"packetgen ikev2_cbc_hmac", "packetgen-plugin-ipsec/spec/ikev2_cbc_hmac.pcapng", "ikev2_cbc_hmac", func(t *testing.T, r *result) {
		// packetgen's spec expects 11 payloads: its count keeps the SK
		// payload next to the 10 decrypted ones.
		d := frame(t, r, 3)
		if !d.OK || len(d.Payloads) != 10 || len(d.Errors) > 0 {
			t.Errorf("frame 3: OK=%v %q payloads %v errors %v, want 10 inner payloads", d.OK, d.Reason, payloadTypes(d), d.Errors)
		}
	}},
	{"packetgen ikev2 AES-GCM-256-16", "packetgen-plugin-ipsec/spec/ikev2.pcapng", "ikev2-gcm", func(t *testing.T, r *result) {
		// packetgen's 12 payloads are the SK payload and 11 inner ones.
		d := frame(t, r, 3)
		if !d.OK || len(d.Payloads) != 11 || len(d.Errors) > 0 {
			t.Errorf("frame 3: OK=%v %q payloads %v errors %v, want 11 inner payloads", d.OK, d.Reason, payloadTypes(d), d.Errors)
		}
		id, ok := d.Payloads[0].Body.(*isakmp.Identification)
		if !ok || id.Text != "ike_c1.netkit-conf.org" {
			t.Errorf("first payload %v, want IDi ike_c1.netkit-conf.org", d.Payloads[0].Body)
		}
	}},
	{"derived AES-CCM-128-12", "wireshark/derived/ikev2-decrypt-aes128ccm12.4frames-from-scapy-uts.pcap", "ikev2-ccm", func(t *testing.T, r *result) {
		d := frame(t, r, 3)
		if !d.OK || len(d.Payloads) == 0 || d.Payloads[0].Type != isakmp.PayloadV2Delete {
			t.Errorf("frame 3: OK=%v %q payloads %v, want a Delete payload", d.OK, d.Reason, payloadTypes(d))
		}
	}},
	{"openswan lp12 parentI2", "openswan/tests/unit/libpluto/lp12-parentR2/parentI2.pcap", "openswan-lp12", func(t *testing.T, r *result) {
		if r.okIKE == 0 {
			t.Fatalf("nothing decrypted: %v", r.failures)
		}
		for _, d := range r.decrypted {
			if id, ok := d.Payloads[0].Body.(*isakmp.Identification); ok && id.Text == "parker01.emmjay.credil.org" {
				return
			}
		}
		t.Errorf("no IDi parker01.emmjay.credil.org")
	}},
	{"zeek-spicy-ipsec ikev1-certs", "zeek-spicy-ipsec/tests/traces/ikev1-certs.pcap", "ikev1-certs", func(t *testing.T, r *result) {
		if r.okIKE == 0 {
			t.Fatalf("nothing decrypted: %v", r.failures)
		}
		if len(r.failures) > 0 {
			t.Errorf("failures: %v", r.failures)
		}
		// Wireshark's test_ikev1_certs greps for this subject.
		found := false
		for _, d := range r.decrypted {
			for _, p := range d.Payloads {
				if c, ok := p.Body.(*isakmp.Certificate); ok {
					if x, err := x509.ParseCertificate(c.Data); err == nil && strings.Contains(x.Subject.String(), "OU=Lab,O=Juniper") && strings.Contains(x.Subject.String(), "OpenSwan") {
						found = true
					}
				}
			}
		}
		if !found {
			t.Errorf("no certificate with subject ...OpenSwan...Lab,Juniper... in the decrypted payloads")
		}
	}},
}

func TestPublicCaptures(t *testing.T) {
	for _, c := range publicCases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(sharedCaptures, c.capture)
			if !exists(path) {
				t.Skipf("%s not present", path)
			}
			store, errs := keys.Load([]string{filepath.Join("testdata", c.keys)})
			if len(errs) > 0 {
				t.Fatalf("keys: %v", errs)
			}
			r := runCapture(t, path, store)
			t.Logf("IKE %d/%d, ESP %d/%d, failures %v", r.okIKE, r.encIKE, r.okESP, r.esp, r.failures)
			for f, d := range r.decrypted {
				if len(d.Payloads) > 0 {
					t.Logf("frame %d: %v %q", f, payloadTypes(d), d.Reason)
				}
			}
			c.check(t, r)
		})
	}
}

// A changed byte in an IKEv2 message must fail the integrity check (HMAC,
// GCM and CCM), never decrypt to something else.
func TestPublicTampered(t *testing.T) {
	for _, c := range []struct{ capture, keys string }{
		{"packetgen-plugin-ipsec/spec/ikev2_cbc_hmac.pcapng", "ikev2_cbc_hmac"},
		{"packetgen-plugin-ipsec/spec/ikev2.pcapng", "ikev2-gcm"},
		{"wireshark/derived/ikev2-decrypt-aes128ccm12.4frames-from-scapy-uts.pcap", "ikev2-ccm"},
	} {
		t.Run(c.keys, func(t *testing.T) {
			path := filepath.Join(sharedCaptures, c.capture)
			if !exists(path) {
				t.Skipf("%s not present", path)
			}
			store, _ := keys.Load([]string{filepath.Join("testdata", c.keys)})
			r := runCapture(t, path, store)
			var p *decode.Packet
			for _, q := range r.packets {
				if q.Frame == 3 {
					p = q
				}
			}
			if p == nil || p.Decrypted == nil || !p.Decrypted.OK {
				t.Fatal("frame 3 did not decrypt")
			}
			for _, off := range []int{1, 20, 40} {
				m := *p.IKE
				m.Raw = append([]byte(nil), p.IKE.Raw...)
				m.Raw[len(m.Raw)-off] ^= 0x40
				q := *p
				q.IKE, q.Decrypted = &m, nil
				decrypt.New(store).Packet(&q)
				if q.Decrypted == nil || q.Decrypted.OK || q.Decrypted.Reason != decrypt.ReasonIntegrity {
					t.Errorf("byte -%d changed: %+v", off, q.Decrypted)
				}
			}
		})
	}
}

// TestReassembledESP: an ESP packet that arrived in IP fragments lies in no
// single frame; it is read from the datagram the decoder reassembled.
func TestReassembledESP(t *testing.T) {
	path := filepath.Join(sharedCaptures, "packetgen-plugin-ipsec/spec/esp4-cbc.pcapng")
	if !exists(path) {
		t.Skipf("%s not present", path)
	}
	store, errs := keys.Load([]string{filepath.Join("testdata", "esp4-cbc")})
	if len(errs) > 0 {
		t.Fatalf("keys: %v", errs)
	}
	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := decode.NewDecoder(decode.Config{})
	checked := 0
	for {
		rec, err := f.Next()
		if err != nil {
			break
		}
		p, _ := dec.Decode(rec)
		if p == nil || p.Kind != decode.KindESP {
			continue
		}
		whole := *p
		decrypt.New(store).PacketFrame(&whole, rec.Data)
		// The same packet as if reassembled: no frame offset, the datagram
		// kept with the packet.
		frag := *p
		frag.PayloadOffset, frag.Fragments = -1, []int{rec.Frame - 1, rec.Frame}
		frag.Reassembled = append([]byte(nil), rec.Data[p.PayloadOffset:]...)
		decrypt.New(store).PacketFrame(&frag, nil)
		if whole.Decrypted == nil || !whole.Decrypted.OK || frag.Decrypted == nil || !frag.Decrypted.OK ||
			*frag.Decrypted.Inner != *whole.Decrypted.Inner {
			t.Fatalf("frame %d: whole %+v, reassembled %+v", rec.Frame, whole.Decrypted, frag.Decrypted)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no ESP packet checked")
	}
}

// sharedCaptures2 is the second public corpus, with Wireshark key tables
// for its captures in uat-keys/ (one folder per capture).
const sharedCaptures2 = "../../shared/captures2"

// TestPublicCaptures2: every ESP frame of the FreeS/WAN–libreswan KLIPS
// and ipdecap captures decrypts with its published keys (3DES, AES, DES,
// NULL, Twofish; MD5, SHA-1, none), to the ICMP, UDP or TCP inside; the IPComp
// capture's to the inflated ICMP (1024 bytes, CPI 0x5678, as tshark shows
// it). The KLIPS test's truncated ESP has nothing to decrypt.
func TestPublicCaptures2(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(sharedCaptures2, "uat-keys", "*"))
	if len(dirs) == 0 {
		t.Skipf("%s not present", sharedCaptures2)
	}
	for _, dir := range dirs {
		rel := strings.ReplaceAll(filepath.Base(dir), "__", "/")
		path := filepath.Join(sharedCaptures2, rel)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || !exists(path) {
			continue
		}
		t.Run(rel, func(t *testing.T) {
			store, errs := keys.Load([]string{dir})
			if len(errs) > 0 {
				t.Fatalf("keys: %v", errs)
			}
			r := runCapture(t, path, store)
			if strings.HasSuffix(rel, "esp-short.pcap") {
				if r.okESP != 0 || len(r.failures) != r.esp {
					t.Errorf("ESP %d/%d decrypted: %v", r.okESP, r.esp, r.failures)
				}
				return
			}
			if r.esp == 0 || r.okESP != r.esp {
				t.Fatalf("ESP %d/%d decrypted: %v", r.okESP, r.esp, r.failures)
			}
			for _, in := range r.inner {
				if in.Protocol != 1 && in.Protocol != 17 && in.Protocol != 6 {
					t.Errorf("inner %+v is not ICMP, UDP or TCP", in)
				}
				ipc := in.IPComp
				if strings.Contains(rel, "ipcomp") != (ipc != nil) {
					t.Errorf("inner %+v: IPComp %+v", in, ipc)
				}
				if ipc != nil && (ipc.CPI != 0x5678 || !ipc.Inflated || ipc.Algorithm != "DEFLATE" || in.Length != 1024) {
					t.Errorf("IPComp %+v, inner length %d; want CPI 0x5678 inflated to 1024 bytes", ipc, in.Length)
				}
			}
		})
	}
}
