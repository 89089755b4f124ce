package diagnose

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// TestESPCounterRules: ESP_SEQ_GAP and ESP_REPLAY from a flow's counters,
// raised when sequence numbers were skipped or repeated, not otherwise.
func TestESPCounterRules(t *testing.T) {
	flow := func(lost, replays uint64) *correlate.Analysis {
		return &correlate.Analysis{ESP: []*correlate.ESPFlow{{SPI: 0xc0ffee01, Src: netip.MustParseAddrPort("198.18.0.1:0"),
			Dst: netip.MustParseAddrPort("198.18.0.2:0"), Packets: 100, MaxSeq: 100 + uint32(lost), Lost: lost, GapEvents: int(min(lost, 1)), Replays: replays}}}
	}
	has := func(a *correlate.Analysis, code string) bool {
		for _, f := range espFindings(a) {
			if f.Code == code {
				return true
			}
		}
		return false
	}
	if !has(flow(7, 0), ESPSeqGap) || has(flow(0, 0), ESPSeqGap) {
		t.Error("ESP_SEQ_GAP: raised without a gap, or not with one")
	}
	if !has(flow(0, 3), ESPReplay) || has(flow(7, 0), ESPReplay) {
		t.Error("ESP_REPLAY: raised without a repeat, or not with one")
	}
}

// TestFlappingRule: SA_FLAPPING for a pair that set up four IKE SAs with
// no ESP between them; not with ESP, not with three.
func TestFlappingRule(t *testing.T) {
	pair := func(sas int, esp bool) *correlate.Analysis {
		a := &correlate.Analysis{}
		pp := &correlate.PeerPair{A: netip.MustParseAddr("198.18.0.1"), B: netip.MustParseAddr("198.18.0.2")}
		for i := 1; i <= sas; i++ {
			a.IKESAs = append(a.IKESAs, &correlate.IKESA{ID: i, FirstFrame: i * 10})
			pp.IKESAs = append(pp.IKESAs, i)
		}
		if esp {
			pp.ESP = []int{0}
		}
		a.Peers = []*correlate.PeerPair{pp}
		return a
	}
	if fs := flapping(pair(4, false)); len(fs) != 1 || fs[0].Code != SAFlapping || len(fs[0].Frames) != 4 {
		t.Errorf("4 SAs, no ESP: %+v", fs)
	}
	if fs := flapping(pair(4, true)); len(fs) != 0 {
		t.Errorf("4 SAs with ESP: %+v", fs)
	}
	if fs := flapping(pair(3, false)); len(fs) != 0 {
		t.Errorf("3 SAs: %+v", fs)
	}
}

// TestNotifyCodes: a phase-1 error notify with no code of its own is
// P1_REJECTED, a phase-2 one P2_REJECTED; NO_PROPOSAL_CHOSEN in phase 1 is
// not P1_REJECTED.
func TestNotifyCodes(t *testing.T) {
	p1 := &correlate.Exchange{Phase: 1, Type: isakmp.ExchangeIKESAInit}
	p2 := &correlate.Exchange{Phase: 2, Type: isakmp.ExchangeCreateChildSA}
	for _, c := range []struct {
		ex   *correlate.Exchange
		n    correlate.Notify
		want string
	}{
		{p1, correlate.Notify{Type: 9, Name: "INVALID_COOKIE"}, P1Rejected},
		{p1, correlate.Notify{Type: 14, Name: "NO_PROPOSAL_CHOSEN"}, P1ProposalMismatch},
		{p2, correlate.Notify{Type: 43, Name: "TEMPORARY_FAILURE"}, P2Rejected},
	} {
		if got, _ := notifyCode(2, c.ex, &c.n); got != c.want {
			t.Errorf("%s in phase %d: %s, want %s", c.n.Name, c.ex.Phase, got, c.want)
		}
	}
}

// TestNoResponseCodes: a phase-2 request never answered is P2_NO_RESPONSE;
// the first phase-1 message never answered is P1_NO_RESPONSE, not
// P2_NO_RESPONSE.
func TestNoResponseCodes(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	msg := &correlate.Message{Frames: []int{7, 9}, Sent: 2, Times: []time.Time{t0, t0.Add(2 * time.Second)}}
	qm := &correlate.Exchange{Phase: 2, Type: isakmp.ExchangeV1Quick, Messages: []*correlate.Message{msg}}
	sa := &correlate.IKESA{ID: 1, Version: 1, Exchanges: []*correlate.Exchange{qm}}
	if f := noResponse(sa, qm, msg, "QM1", saBase(sa)); f.Code != P2NoResponse || f.Severity != Error {
		t.Errorf("unanswered QM1: %s %s", f.Severity, f.Code)
	}
	mm := &correlate.Exchange{Phase: 1, Type: isakmp.ExchangeV1Main, Messages: []*correlate.Message{msg}}
	sa.Exchanges = []*correlate.Exchange{mm}
	if f := noResponse(sa, mm, msg, "MM1", saBase(sa)); f.Code != P1NoResponse {
		t.Errorf("unanswered MM1: %s", f.Code)
	}
	// An IKE_AUTH request after an answered IKE_SA_INIT: IP-fragmented and
	// never answered, P1_FRAGMENTATION; the same request whole, not (the
	// first encrypted message dropped: P1_AUTH_FAILED).
	initReq := &correlate.Message{Frames: []int{1}, Sent: 1, Times: []time.Time{t0}}
	initResp := &correlate.Message{Frames: []int{2}, Sent: 1, Times: []time.Time{t0}, Response: true, Dir: correlate.FromResponder}
	sainit := &correlate.Exchange{Phase: 1, Type: isakmp.ExchangeIKESAInit, Messages: []*correlate.Message{initReq, initResp}}
	big := &correlate.Message{Frames: []int{3, 5, 7}, Sent: 3, Times: []time.Time{t0, t0.Add(time.Second), t0.Add(3 * time.Second)},
		Encrypted: true, Length: 2400, IPFragmented: true}
	auth := &correlate.Exchange{Phase: 1, Type: isakmp.ExchangeIKEAuth, MessageID: 1, Messages: []*correlate.Message{big}}
	v2 := &correlate.IKESA{ID: 2, Version: 2, Exchanges: []*correlate.Exchange{sainit, auth}}
	if f := noResponse(v2, auth, big, "IKE_AUTH request", saBase(v2)); f.Code != P1Fragmentation || f.Severity != Error {
		t.Errorf("unanswered IP-fragmented IKE_AUTH: %s %s, want P1_FRAGMENTATION", f.Severity, f.Code)
	}
	big.IPFragmented, big.Length = false, 400
	if f := noResponse(v2, auth, big, "IKE_AUTH request", saBase(v2)); f.Code == P1Fragmentation {
		t.Errorf("an unanswered IKE_AUTH in one packet is P1_FRAGMENTATION")
	}
}
