package diagnose_test

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	b "github.com/ipsecpcap/ipsecpcap/internal/ikebuild"
)

// diagnoseBuilt correlates built packets and diagnoses them.
func diagnoseBuilt(pkts []*decode.Packet) []diagnose.Finding {
	c := correlate.New(correlate.Config{})
	for _, p := range pkts {
		c.Add(p)
	}
	return diagnose.Diagnose(c.Snapshot())
}

func find(fs []diagnose.Finding, code string) *diagnose.Finding {
	for i := range fs {
		if fs[i].Code == code {
			return &fs[i]
		}
	}
	return nil
}

// problems are the error and warning findings.
func problems(fs []diagnose.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severity != diagnose.Info {
			out = append(out, f.Code+": "+f.Summary)
		}
	}
	return out
}

// rekey adds a child SA rekey by the initiator at time at (message ID mid),
// with its delete, as strongSwan does it.
func rekey(s *b.Seq, at float64, mid uint32) {
	s.Msg(at, 1, 2, isakmp.ExchangeCreateChildSA, b.FI, mid, []b.Payload{b.SK(isakmp.PayloadV2Notify, 300, byte(mid))})
	s.Msg(at+0.01, 1, 2, isakmp.ExchangeCreateChildSA, b.FR, mid, []b.Payload{b.SK(isakmp.PayloadV2SA, 250, byte(mid)+100)})
	s.Msg(at+0.02, 1, 2, isakmp.ExchangeInformational, b.FI, mid+1, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, byte(mid)+50)})
	s.Msg(at+0.03, 1, 2, isakmp.ExchangeInformational, b.FR, mid+1, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, byte(mid)+150)})
}

// TestHealthyLifeNoProblem: a tunnel rekeyed again and again, its traffic
// moving to each new pair of SPIs, is healthy: SA_REKEYED and nothing else
// (the alarm the old model raised on it was ESP_INVALID_SPI / ESP_ONE_WAY).
func TestHealthyLifeNoProblem(t *testing.T) {
	var s b.Seq
	s.Up(0, 1, 2, false, 0, 0)
	s.ESP(1, 8, 0xa1, 0xb1)
	rekey(&s, 9, 2)
	s.ESP(9.5, 8, 0xa2, 0xb2)
	rekey(&s, 18, 4)
	s.ESP(18.5, 8, 0xa3, 0xb3)
	fs := diagnoseBuilt(s.Pkts)
	if p := problems(fs); len(p) > 0 {
		t.Errorf("healthy rekeys: %q", p)
	}
	f := find(fs, diagnose.SARekeyed)
	if f == nil || !strings.Contains(f.Summary, "2 child SA rekeys") || f.During != diagnose.DuringRekey || f.Tunnel != 1 {
		t.Errorf("SA_REKEYED %+v", f)
	}
	if find(fs, diagnose.RekeyCollision) != nil || find(fs, diagnose.SADeleted) != nil {
		t.Errorf("a plain rekey is no collision and its delete no SA_DELETED: %+v", fs)
	}
}

// TestRekeyCollisionFinding: both peers rekey at once.
func TestRekeyCollisionFinding(t *testing.T) {
	var s b.Seq
	s.Up(0, 1, 2, false, 0, 0)
	s.ESP(1, 3, 0xa1, 0xb1)
	s.Msg(10, 1, 2, isakmp.ExchangeCreateChildSA, b.FI, 2, []b.Payload{b.SK(isakmp.PayloadV2Notify, 300, 5)})
	s.Msg(10.001, 1, 2, isakmp.ExchangeCreateChildSA, 0, 2, []b.Payload{b.SK(isakmp.PayloadV2Notify, 300, 6)})
	s.Msg(10.01, 1, 2, isakmp.ExchangeCreateChildSA, b.FR, 2, []b.Payload{b.SK(isakmp.PayloadV2SA, 250, 7)})
	s.Msg(10.011, 1, 2, isakmp.ExchangeCreateChildSA, b.FIR, 2, []b.Payload{b.SK(isakmp.PayloadV2SA, 250, 8)})
	s.ESP(11, 3, 0xa2, 0xb2)
	fs := diagnoseBuilt(s.Pkts)
	f := find(fs, diagnose.RekeyCollision)
	if f == nil || f.Severity != diagnose.Info || !strings.Contains(f.Summary, "kept") {
		t.Fatalf("REKEY_COLLISION %+v in %+v", f, fs)
	}
	if p := problems(fs); len(p) > 0 {
		t.Errorf("a collision is resolved by the protocol: %q", p)
	}
}

// TestCookieChallenge: IKE_SA_INIT answered with a COOKIE, retried with it.
func TestCookieChallenge(t *testing.T) {
	for _, cookie := range []bool{true, false} {
		var s b.Seq
		if cookie {
			s.Msg(0, 1, 0, isakmp.ExchangeIKESAInit, b.FI, 0, []b.Payload{b.Nonce(9)})
			s.Msg(0.001, 1, 0, isakmp.ExchangeIKESAInit, b.FR, 0, []b.Payload{b.Notify(isakmp.NotifyV2Cookie, []byte{1, 2, 3, 4})})
		}
		s.Up(0.01, 1, 2, false, 0, 0)
		s.ESP(1, 3, 0xa1, 0xb1)
		fs := diagnoseBuilt(s.Pkts)
		f := find(fs, diagnose.CookieChallenge)
		if cookie != (f != nil) {
			t.Errorf("cookie %v: COOKIE_CHALLENGE %+v", cookie, f)
		}
		if p := problems(fs); len(p) > 0 {
			t.Errorf("cookie %v: %q", cookie, p)
		}
	}
}

// TestRedirected: a REDIRECT is named with the gateway; without one, nothing.
func TestRedirected(t *testing.T) {
	gw := netip.MustParseAddr("198.18.1.3")
	for _, redirect := range []bool{true, false} {
		pls := []b.Payload{b.Nonce(2)}
		if redirect {
			pls = []b.Payload{b.Notify(isakmp.NotifyV2Redirect, b.Redirect(gw))}
		}
		pkts := []*decode.Packet{
			b.Msg{Frame: 1, Src: b.I, Dst: b.R, SPIi: 1, Exchange: isakmp.ExchangeIKESAInit, Flags: b.FI, Payloads: []b.Payload{b.Nonce(1)}}.Packet(),
			b.Msg{Frame: 2, At: b.Sec(0.01), Src: b.R, Dst: b.I, SPIi: 1, SPIr: 2, Exchange: isakmp.ExchangeIKESAInit, Flags: b.FR, Payloads: pls}.Packet(),
		}
		fs := diagnoseBuilt(pkts)
		f := find(fs, diagnose.IKERedirected)
		if redirect != (f != nil) || f != nil && !strings.Contains(f.Summary, gw.String()) {
			t.Errorf("redirect %v: IKE_REDIRECTED %+v", redirect, f)
		}
	}
}

// refusedRekey builds a tunnel whose first rekey (with PFS) is refused,
// after which the child SA expires; keys: whether decryption shows the
// payloads.
func refusedRekey(keys bool, retryOK bool) []*decode.Packet {
	var s b.Seq
	s.Up(0, 1, 2, keys, 0xb1, 0xa1)
	if keys {
		// IKE_AUTH's response: the suite the responder accepted.
		s.Pkts[3].Decrypted.Payloads = []isakmp.Payload{b.DChildSA(0xa1, 0, b.AES)}
	}
	s.ESP(1, 8, 0xa1, 0xb1)
	var req, resp []isakmp.Payload
	if keys {
		req = []isakmp.Payload{b.DNotify(isakmp.NotifyV2RekeySA, b.SPI4(0xb1)), b.DChildSA(0xb2, 14, b.AES)}
		resp = []isakmp.Payload{b.DNotify(14, nil)}
	}
	s.Msg(9, 1, 2, isakmp.ExchangeCreateChildSA, b.FI, 2, []b.Payload{b.SK(isakmp.PayloadV2Notify, 500, 5)}, req...)
	s.Msg(9.01, 1, 2, isakmp.ExchangeCreateChildSA, b.FR, 2, []b.Payload{b.SK(isakmp.PayloadV2Notify, 40, 6)}, resp...)
	if retryOK {
		rekey(&s, 12, 3)
		s.ESP(13, 8, 0xa2, 0xb2)
		return s.Pkts
	}
	s.ESP(10, 8, 0xa1, 0xb1)
	var del []isakmp.Payload
	if keys {
		del = []isakmp.Payload{b.DDelete(0xb1)}
	}
	s.Msg(20, 1, 2, isakmp.ExchangeInformational, b.FI, 3, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 7)}, del...)
	s.Msg(20.01, 1, 2, isakmp.ExchangeInformational, b.FR, 3, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 8)})
	return s.Pkts
}

// TestRefusedRekey: a rekey refused after phase 1 gets its phase-2 code at
// "rekey". With keys, a rekey that offers the transforms IKE_AUTH accepted
// plus a PFS group is refused for the PFS group; without keys it is
// P2_REJECTED with the PFS mismatch ranked first. A refused rekey the peers
// then got past is a warning.
func TestRefusedRekey(t *testing.T) {
	for _, tt := range []struct {
		keys, retryOK bool
		code          string
		sev           diagnose.Severity
	}{
		{true, false, diagnose.P2PFSMismatch, diagnose.Error},
		{false, false, diagnose.P2Rejected, diagnose.Error},
		{false, true, diagnose.P2Rejected, diagnose.Warning},
	} {
		fs := diagnoseBuilt(refusedRekey(tt.keys, tt.retryOK))
		f := find(fs, tt.code)
		if f == nil || f.Severity != tt.sev || f.During != diagnose.DuringRekey || f.Child == 0 {
			t.Errorf("keys %v retry %v: %s %+v in %q", tt.keys, tt.retryOK, tt.code, f, problems(fs))
			continue
		}
		if !tt.keys && !tt.retryOK && f.Causes[0].Cause != "PFS mismatch" {
			t.Errorf("without keys the first cause is %q, want the PFS mismatch of a first rekey", f.Causes[0].Cause)
		}
		if tt.keys && !strings.Contains(f.Summary, "ended at frame") {
			t.Errorf("with keys: %q does not say the child SA then ended", f.Summary)
		}
		if find(fs, diagnose.ESPNone) != nil || find(fs, diagnose.ESPOneWay) != nil {
			t.Errorf("keys %v retry %v: ESP rules fired: %q", tt.keys, tt.retryOK, problems(fs))
		}
	}
}

// TestNoESPNoneAfterOrderlyDelete: a tunnel the peers closed with a delete
// owes no traffic; one left up without any does (a warning), and only an
// information when the capture holds no ESP at all (a filter may have left
// it out).
func TestNoESPNoneAfterOrderlyDelete(t *testing.T) {
	for _, tt := range []struct {
		name         string
		del, espElse bool
		want         diagnose.Severity // "" for none
	}{
		{"deleted", true, true, ""},
		{"left up", false, true, diagnose.Warning},
		{"left up, no ESP in the capture", false, false, diagnose.Info},
	} {
		var s b.Seq
		s.Up(0, 1, 2, false, 0, 0)
		if tt.del {
			s.Msg(0.5, 1, 2, isakmp.ExchangeInformational, b.FI, 2, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 7)})
			s.Msg(0.51, 1, 2, isakmp.ExchangeInformational, b.FR, 2, []b.Payload{b.SK(isakmp.PayloadNone, 40, 8)})
		}
		if tt.espElse {
			// Another pair's ESP: the capture sees ESP.
			s.Pkts = append(s.Pkts, b.ESP(90, b.Sec(5), netip.MustParseAddrPort("198.18.2.1:0"), netip.MustParseAddrPort("198.18.2.2:0"), 7, 1))
		}
		s.Pkts = append(s.Pkts, b.Msg{Frame: 99, At: b.Sec(10), Src: netip.MustParseAddrPort("198.18.3.1:500"), Dst: netip.MustParseAddrPort("198.18.3.2:500"),
			SPIi: 9, Exchange: isakmp.ExchangeIKESAInit, Flags: b.FI, Payloads: []b.Payload{b.Nonce(1)}}.Packet())
		fs := diagnoseBuilt(s.Pkts)
		f := find(fs, diagnose.ESPNone)
		switch {
		case tt.want == "" && f != nil:
			t.Errorf("%s: ESP_NONE %s", tt.name, f.Summary)
		case tt.want != "" && (f == nil || f.Severity != tt.want):
			t.Errorf("%s: ESP_NONE %+v, want %s", tt.name, f, tt.want)
		}
	}
}

// TestDPDOnSABeforeCapture: DPD unanswered on an IKEv2 SA negotiated before
// the capture began is DPD_PEER_DEAD too; answered, it is nothing.
func TestDPDOnSABeforeCapture(t *testing.T) {
	for _, answered := range []bool{false, true} {
		var s b.Seq
		s.ESP(0, 3, 0xa1, 0xb1)
		for i := range 4 {
			at := 10 + float64(i)*5
			s.Msg(at, 1, 2, isakmp.ExchangeInformational, b.FI, uint32(5+i), []b.Payload{b.SK(isakmp.PayloadNone, 40, byte(i))})
			if answered {
				s.Msg(at+0.01, 1, 2, isakmp.ExchangeInformational, b.FR, uint32(5+i), []b.Payload{b.SK(isakmp.PayloadNone, 40, byte(i)+50)})
			}
		}
		fs := diagnoseBuilt(s.Pkts)
		f := find(fs, diagnose.DPDPeerDead)
		if answered != (f == nil) {
			t.Errorf("answered %v: DPD_PEER_DEAD %+v", answered, f)
		}
		if f != nil && f.During != diagnose.DuringTraffic {
			t.Errorf("during %q", f.During)
		}
	}
}

// TestSupersededAttempt: a Main Mode never answered, then the other peer's
// own phase 1 that comes up: the first attempt is a warning, not the
// failure point. Without the second, it is the failure.
func TestSupersededAttempt(t *testing.T) {
	mm := func(frame int, at float64, from, to netip.AddrPort, spiI, spiR uint64, flags isakmp.Flags, c byte) *decode.Packet {
		pl := []b.Payload{{Type: isakmp.PayloadV1Nonce, Body: []byte{c, c, c, c}}}
		if spiR != 0 && frame%6 == 2 {
			pl = []b.Payload{{Type: isakmp.PayloadV1SA, Body: []byte{c, c, c, c}}}
		}
		return b.Msg{Frame: frame, At: b.Sec(at), Src: from, Dst: to, Version: 1, SPIi: spiI, SPIr: spiR, Exchange: isakmp.ExchangeV1Main, Flags: flags, Payloads: pl}.Packet()
	}
	for _, later := range []bool{true, false} {
		pkts := []*decode.Packet{mm(1, 0, b.I, b.R, 1, 0, 0, 1)}
		if later {
			for i := range 6 {
				from, to, rspi, flags := b.R, b.I, uint64(8), isakmp.Flags(0)
				if i%2 == 1 {
					from, to = b.I, b.R
				}
				if i == 0 {
					rspi = 0
				}
				if i >= 4 {
					flags = isakmp.FlagEncryption
				}
				pkts = append(pkts, mm(i+2, 25+float64(i)*0.01, from, to, 7, rspi, flags, byte(10+i)))
			}
		} else {
			pkts = append(pkts, b.ESP(9, b.Sec(30), netip.MustParseAddrPort("198.18.2.1:0"), netip.MustParseAddrPort("198.18.2.2:0"), 7, 1))
		}
		fs := diagnoseBuilt(pkts)
		f := find(fs, diagnose.P1NoResponse)
		want := diagnose.Error
		if later {
			want = diagnose.Warning
		}
		if f == nil || f.Severity != want || later != strings.Contains(f.Summary, "superseded by IKE SA #2") {
			t.Errorf("later %v: P1_NO_RESPONSE %+v", later, f)
		}
	}
}

// TestFailedReauth: a reauthentication refused while the tunnel is up (the
// pre-shared key changed on one side) is P1_AUTH_FAILED during reauth, and
// says the old IKE SA stays up.
func TestFailedReauth(t *testing.T) {
	var s b.Seq
	s.Up(0, 1, 2, false, 0, 0)
	s.ESP(1, 10, 0xa1, 0xb1)
	s.Msg(10, 3, 0, isakmp.ExchangeIKESAInit, b.FI, 0, []b.Payload{b.Nonce(11)})
	s.Msg(10.01, 3, 4, isakmp.ExchangeIKESAInit, b.FR, 0, []b.Payload{b.Nonce(12)})
	s.Msg(10.02, 3, 4, isakmp.ExchangeIKEAuth, b.FI, 1, []b.Payload{b.SK(isakmp.PayloadV2IDi, 300, 13)})
	s.Msg(10.03, 3, 4, isakmp.ExchangeIKEAuth, b.FR, 1, []b.Payload{b.SK(isakmp.PayloadV2Notify, 40, 14)})
	fs := diagnoseBuilt(s.Pkts)
	f := find(fs, diagnose.P1AuthFailed)
	if f == nil || f.Severity != diagnose.Error || f.During != diagnose.DuringReauth || !strings.Contains(f.Summary, "stays up") {
		t.Fatalf("P1_AUTH_FAILED %+v in %q", f, problems(fs))
	}
	if slices.ContainsFunc(fs, func(f diagnose.Finding) bool { return f.Code == diagnose.ESPNone || f.Code == diagnose.ESPOneWay }) {
		t.Errorf("the tunnel kept its traffic: %q", problems(fs))
	}
}
