package decrypt_test

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/keys"
	"github.com/ipsecpcap/ipsecpcap/lab"
)

// result summarises the decryption of one capture.
type result struct {
	packets   []*decode.Packet
	encIKE    int // IKE messages with encrypted content
	okIKE     int
	esp       int
	okESP     int
	failures  []string
	notifies  map[string]bool // from decrypted payloads
	inner     []*decode.InnerPacket
	decrypted map[int]*decode.Decrypted // by frame
}

func encryptedIKE(p *decode.Packet) bool {
	if p.Kind != decode.KindIKE || p.IKE == nil {
		return false
	}
	if p.IKE.Encrypted != nil {
		return true
	}
	for _, pl := range p.IKE.Payloads {
		switch pl.Body.(type) {
		case *isakmp.Encrypted, *isakmp.EncryptedFragment:
			return true
		}
	}
	return false
}

func runCapture(t *testing.T, path string, store *keys.Store) *result {
	t.Helper()
	return runCaptureOpt(t, path, store, nil, nil)
}

// runCaptureOpt decodes and decrypts a capture in order; skip drops
// packets before the decrypter sees them, dup feeds a packet twice (a
// retransmission with the same bytes).
func runCaptureOpt(t *testing.T, path string, store *keys.Store, skip, dup func(*decode.Packet) bool) *result {
	t.Helper()
	f, err := capture.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	dec := decode.NewDecoder(decode.Config{})
	d := decrypt.New(store)
	r := &result{notifies: map[string]bool{}, decrypted: map[int]*decode.Decrypted{}}
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		p, err := dec.Decode(rec)
		if err != nil || p == nil {
			continue
		}
		if skip != nil && skip(p) {
			continue
		}
		if dup != nil && dup(p) {
			q := *p
			d.PacketFrame(&q, rec.Data)
			if q.Decrypted == nil || !q.Decrypted.OK {
				t.Errorf("frame %d, first copy: %+v", p.Frame, q.Decrypted)
			}
		}
		d.PacketFrame(p, rec.Data)
		r.packets = append(r.packets, p)
		if p.Decrypted != nil {
			r.decrypted[p.Frame] = p.Decrypted
		}
		switch {
		case encryptedIKE(p):
			r.encIKE++
			if p.Decrypted != nil && p.Decrypted.OK {
				r.okIKE++
				for _, pl := range p.Decrypted.Payloads {
					if n, ok := pl.Body.(*isakmp.Notify); ok {
						r.notifies[n.Name()] = true
					}
				}
			} else {
				reason := "no key"
				if p.Decrypted != nil {
					reason = p.Decrypted.Reason
				}
				r.failures = append(r.failures, fmt.Sprintf("frame %d (%s mid %d): %s", p.Frame, p.IKE.Exchange, p.IKE.MessageID, reason))
			}
		case p.Kind == decode.KindESP:
			r.esp++
			if p.Decrypted != nil && p.Decrypted.OK {
				r.okESP++
				r.inner = append(r.inner, p.Decrypted.Inner)
			} else if p.Decrypted != nil {
				r.failures = append(r.failures, fmt.Sprintf("frame %d ESP: %s", p.Frame, p.Decrypted.Reason))
			}
		}
	}
	return r
}

// mustDecrypt names notifies that are only ever sent encrypted in these
// scenarios: finding them proves the decryption.
var mustDecrypt = map[string]string{
	"ikev1-ts-not-mirrored":         "INVALID_ID_INFORMATION",
	"ikev1-p2-transform-mismatch":   "NO_PROPOSAL_CHOSEN",
	"ikev1-pfs-group-mismatch":      "NO_PROPOSAL_CHOSEN",
	"ikev1-main-psk-mismatch":       "PAYLOAD_MALFORMED",
	"ikev1-dpd-peer-dead":           "R_U_THERE",
	"ikev2-psk-mismatch":            "AUTHENTICATION_FAILED",
	"ikev2-id-mismatch":             "AUTHENTICATION_FAILED",
	"ikev2-ts-unacceptable":         "TS_UNACCEPTABLE",
	"ikev2-child-proposal-mismatch": "NO_PROPOSAL_CHOSEN",
}

var labNets = netip.MustParsePrefix("198.19.0.0/16")

func TestLabScenarios(t *testing.T) {
	m, err := lab.Load("../testdata/pcaps/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range m.Scenarios {
		if !sc.KeysVerifiedWithTshark {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			capPath := m.Path(sc.Capture)
			files := keys.Discover(capPath)
			store, errs := keys.Load(files)
			for _, e := range errs {
				t.Errorf("keys: %v", e)
			}
			r := runCapture(t, capPath, store)
			if r.encIKE == 0 && r.esp == 0 {
				t.Fatalf("nothing encrypted in the capture")
			}
			if r.okIKE != r.encIKE {
				t.Errorf("%d of %d encrypted IKE messages decrypted; failures: %v", r.okIKE, r.encIKE, r.failures)
			}
			if want := mustDecrypt[sc.Name]; want != "" && !r.notifies[want] {
				t.Errorf("%s not found in the decrypted messages", want)
			}
			for _, n := range sc.NotifySeen {
				if !r.notifies[n] && !clearNotify(r, n) {
					t.Errorf("notify %s neither in a decrypted nor in a clear message (decrypted notifies: %v)", n, r.notifies)
				}
			}
			for _, in := range r.inner {
				if in == nil || !labNets.Contains(in.Src) || !labNets.Contains(in.Dst) || in.Protocol != 1 {
					t.Errorf("ESP inner packet %+v is not ICMP between the protected subnets", in)
				}
			}
			if r.okESP != r.esp {
				t.Errorf("%d of %d ESP packets decrypted: %v", r.okESP, r.esp, r.failures)
			}
			t.Logf("IKE %d/%d, ESP %d/%d decrypted, notifies %v, sources %d", r.okIKE, r.encIKE, r.okESP, r.esp, keysOf(r.notifies), len(store.Sources()))
		})
	}
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// clearNotify reports whether the notify was sent in clear (then it is no
// test of decryption).
func clearNotify(r *result, name string) bool {
	for _, p := range r.packets {
		if p.IKE == nil {
			continue
		}
		for _, pl := range p.IKE.Payloads {
			if n, ok := pl.Body.(*isakmp.Notify); ok && n.Name() == name {
				return true
			}
		}
	}
	return false
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func hasKE(p *decode.Packet) bool {
	if p.IKE == nil {
		return false
	}
	for _, pl := range p.IKE.Payloads {
		if _, ok := pl.Body.(*isakmp.KeyExchange); ok {
			return true
		}
	}
	return false
}

// Without the KE payloads the phase-1 IV cannot be derived: the message
// says so rather than decrypting to garbage.
func TestIKEv1WithoutKE(t *testing.T) {
	path := "../testdata/pcaps/lab/ikev1-main-ok/capture.pcap"
	store, errs := keys.Load(keys.Discover(path))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	r := runCaptureOpt(t, path, store, hasKE, nil)
	if r.encIKE == 0 || r.okIKE != 0 {
		t.Fatalf("%d of %d decrypted without KE payloads", r.okIKE, r.encIKE)
	}
	for _, d := range r.decrypted {
		if d.Reason != decrypt.ReasonNoKE && d.Inner == nil {
			t.Errorf("reason %q, want %q", d.Reason, decrypt.ReasonNoKE)
		}
	}
}

// A retransmitted encrypted message (the same bytes twice) decrypts both
// times and does not break the IV chain of the messages after it.
func TestIKEv1Retransmission(t *testing.T) {
	for _, name := range []string{"ikev1-main-ok", "ikev1-aggr-ok", "ikev1-dpd-peer-dead"} {
		path := "../testdata/pcaps/lab/" + name + "/capture.pcap"
		store, errs := keys.Load(keys.Discover(path))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		r := runCaptureOpt(t, path, store, nil, func(p *decode.Packet) bool { return p.IKE != nil && p.IKE.Encrypted != nil })
		if r.encIKE == 0 || r.okIKE != r.encIKE {
			t.Errorf("%s: %d of %d decrypted with every message retransmitted: %v", name, r.okIKE, r.encIKE, r.failures)
		}
	}
}

// Without keys nothing is filled in.
func TestNoKeys(t *testing.T) {
	r := runCapture(t, "../testdata/pcaps/lab/ikev2-ok/capture.pcap", keys.NewStore())
	if len(r.decrypted) != 0 {
		t.Errorf("%d packets got Decrypted without keys", len(r.decrypted))
	}
	r = runCapture(t, "../testdata/pcaps/lab/ikev1-main-ok/capture.pcap", nil)
	if len(r.decrypted) != 0 {
		t.Errorf("%d packets got Decrypted with a nil store", len(r.decrypted))
	}
}

// Wrong keys are reported, never taken for a decryption.
func TestWrongKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(dir+"/"+name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// ikev2-ok's SAs with the keys changed
	write("esp_sa", `"IPv4","198.18.1.1","198.18.1.2","0xa22bc359","AES-CBC [RFC3602]","0x89085e49b2321b5e04ec042724f56b51","HMAC-SHA-256-128 [RFC4868]","0x2744d45defb1c1f834a312eea949ca0ce0b1ed16a0de891d07e2dc3d4d4e7162"
"IPv4","198.18.1.2","198.18.1.1","0xe1ef7f2f","AES-CBC [RFC3602]","0xf35b1361f38585f940a9f47167f4f86d","ANY 128 bit authentication [no checking]",""
`)
	write("ikev2_decryption_table", `6deafc80c59bf1fa,b03645c838e55b41,eec74e2e1c4e130c47eb4d88b8972052,8d203b50360b00a8ba571718dcec3dc2,"AES-CBC-128 [RFC3602]",f74f7c9aaab7447418aed529c6c4699bd6216c57af80b146533e401beb402f15,1f3073baabbce43424842ae7748266a4bf7e958a765184bae7df2042e3298240,"HMAC_SHA2_256_128 [RFC4868]"
`)
	write("ikev1_decryption_table", "98f1235aaa01be24,4624e61ee23a03169f7d6c4803131fff\n")
	store, errs := keys.Load([]string{dir})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	r := runCapture(t, "../testdata/pcaps/lab/ikev2-ok/capture.pcap", store)
	reasons := map[string]int{}
	for _, p := range r.packets {
		if p.Decrypted == nil {
			continue
		}
		if p.Decrypted.OK {
			// the responder's IKE messages (SK_ar unchanged) decrypt
			if p.Kind == decode.KindIKE && !p.IKE.IsInitiator() {
				continue
			}
			t.Errorf("frame %d decrypted with a wrong key", p.Frame)
		}
		reasons[p.Decrypted.Reason]++
	}
	if reasons[decrypt.ReasonIntegrity] == 0 {
		t.Errorf("no integrity failure reported: %v", reasons)
	}
	if len(reasons) < 2 {
		t.Errorf("want an integrity failure and a wrong-key failure for the unchecked SA: %v", reasons)
	}
	r = runCapture(t, "../testdata/pcaps/lab/ikev1-main-ok/capture.pcap", store)
	if r.okIKE != 0 || r.encIKE == 0 {
		t.Errorf("IKEv1 with a wrong key: %d of %d decrypted", r.okIKE, r.encIKE)
	}
	t.Logf("reasons: %v; IKEv1: %v", reasons, r.failures)
}
