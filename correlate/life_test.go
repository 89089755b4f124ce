package correlate

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	b "github.com/ipsecpcap/ipsecpcap/internal/ikebuild"
)

// seq is a built sequence, analysed as a capture would be.
type seq struct{ b.Seq }

func (s *seq) analysis() *Analysis {
	c := New(Config{})
	for _, p := range s.Pkts {
		c.Add(p)
	}
	return c.Snapshot()
}

// TestLifeChildRekeys: without keys, a CREATE_CHILD_SA while the child SA
// is up and a delete right after is its rekey; the new SPIs' ESP belongs
// to the successor; the tunnel stays up across it.
func TestLifeChildRekeys(t *testing.T) {
	var s seq
	s.Up(0, 1, 2, false, 0, 0)
	s.ESP(1, 5, 0xa1, 0xb1)
	s.Msg(10, 1, 2, isakmp.ExchangeCreateChildSA, b.FI, 2, []b.Payload{b.SK(isakmp.PayloadV2Notify, 300, 5)})
	s.Msg(10.01, 1, 2, isakmp.ExchangeCreateChildSA, b.FR, 2, []b.Payload{b.SK(isakmp.PayloadV2SA, 250, 6)})
	s.Msg(10.02, 1, 2, isakmp.ExchangeInformational, b.FI, 3, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 7)})
	s.Msg(10.03, 1, 2, isakmp.ExchangeInformational, b.FR, 3, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 8)})
	s.ESP(10.5, 5, 0xa2, 0xb2)
	a := s.analysis()
	if len(a.IKESAs) != 1 || len(a.Tunnels) != 1 {
		t.Fatalf("%d IKE SAs, %d tunnels", len(a.IKESAs), len(a.Tunnels))
	}
	sa := a.IKESAs[0]
	if sa.State != StateEstablished || !sa.End.IsZero() {
		t.Errorf("IKE SA %s, ended %v: a child SA's delete is not the IKE SA's", sa.State, sa.End)
	}
	if len(sa.Children) != 2 {
		t.Fatalf("%d child SAs", len(sa.Children))
	}
	old, next := sa.Children[0], sa.Children[1]
	if old.Kind != ChildInitial || old.State != StateRekeyed || old.ReplacedBy != next.ID || old.EndFrame != 17 {
		t.Errorf("old child %+v", old)
	}
	if next.Kind != ChildRekey || next.Replaces != old.ID || next.Link == nil || next.Link.Certain {
		t.Errorf("rekey %+v: want an inferred rekey of the first", next)
	}
	for _, i := range old.ESP {
		if f := a.ESP[i]; f.SPI != 0xa1 && f.SPI != 0xb1 {
			t.Errorf("old child carries SPI %x", f.SPI)
		}
	}
	if len(next.ESP) != 2 {
		t.Errorf("the successor carries %d flows, want the 2 new SPIs", len(next.ESP))
	}
	tu := a.Tunnels[0]
	if tu.State != TunnelUp || len(tu.Up) != 1 || !tu.Up[0].UntilEnd {
		t.Errorf("tunnel %s %+v: want up throughout", tu.State, tu.Up)
	}
}

// TestLifeIKESARekey: a CREATE_CHILD_SA carrying an IKE proposal (keys)
// rekeys the IKE SA: the SA with the new SPIs, which begins without
// IKE_SA_INIT at message ID 0, is its successor, not an SA set up before
// the capture, and it carries no phantom child SA. Without keys the same
// is inferred from the order of events.
func TestLifeIKESARekey(t *testing.T) {
	for _, keys := range []bool{true, false} {
		var s seq
		s.Up(0, 1, 2, false, 0, 0)
		s.ESP(1, 3, 0xa1, 0xb1)
		var req, resp []isakmp.Payload
		if keys {
			req, resp = []isakmp.Payload{b.DIKESA(0x11)}, []isakmp.Payload{b.DIKESA(0x22)}
		}
		s.Msg(10, 1, 2, isakmp.ExchangeCreateChildSA, b.FI, 2, []b.Payload{b.SK(isakmp.PayloadV2SA, 200, 5)}, req...)
		s.Msg(10.01, 1, 2, isakmp.ExchangeCreateChildSA, b.FR, 2, []b.Payload{b.SK(isakmp.PayloadV2SA, 200, 6)}, resp...)
		s.Msg(10.02, 1, 2, isakmp.ExchangeInformational, b.FI, 3, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 7)})
		s.Msg(10.03, 1, 2, isakmp.ExchangeInformational, b.FR, 3, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 8)})
		s.ESP(11, 3, 0xa1, 0xb1)
		// DPD on the new IKE SA, message ID 0.
		s.Msg(20, 0x11, 0x22, isakmp.ExchangeInformational, b.FI, 0, []b.Payload{b.SK(isakmp.PayloadNone, 40, 9)})
		s.Msg(20.01, 0x11, 0x22, isakmp.ExchangeInformational, b.FR, 0, []b.Payload{b.SK(isakmp.PayloadNone, 40, 10)})
		a := s.analysis()
		if len(a.IKESAs) != 2 {
			t.Fatalf("keys %v: %d IKE SAs", keys, len(a.IKESAs))
		}
		old, next := a.IKESAs[0], a.IKESAs[1]
		if old.ReplacedBy != 2 || old.State != StateRekeyed || old.RekeyedAt != 2 || len(old.Children) != 1 {
			t.Errorf("keys %v: old IKE SA %s replaced by %d at exchange %d, %d child SAs", keys, old.State, old.ReplacedBy, old.RekeyedAt, len(old.Children))
		}
		if next.Replaces != 1 || next.Link == nil || next.Link.Kind != LinkRekey || next.Link.Certain != keys || next.BeforeCapture {
			t.Errorf("keys %v: successor %+v link %+v", keys, next, next.Link)
		}
		if next.State != StateEstablished || len(next.Children) != 0 {
			t.Errorf("keys %v: successor %s with %d child SAs: want established, the child SA inherited", keys, next.State, len(next.Children))
		}
		if len(a.Tunnels) != 1 || len(a.Tunnels[0].IKESAs) != 2 || a.Tunnels[0].State != TunnelUp {
			t.Errorf("keys %v: tunnels %+v", keys, a.Tunnels)
		}
	}
}

// TestLifeMidSession: a capture that starts long after the tunnel came up:
// the IKE SA is established before the capture, its ESP is the traffic of a
// child SA the capture did not see made, and its next CREATE_CHILD_SA
// rekeys that child SA.
func TestLifeMidSession(t *testing.T) {
	var s seq
	s.ESP(0, 5, 0xa1, 0xb1)
	s.Msg(5, 1, 2, isakmp.ExchangeCreateChildSA, 0, 7, []b.Payload{b.SK(isakmp.PayloadV2Notify, 300, 5)}) // by the responder
	s.Msg(5.01, 1, 2, isakmp.ExchangeCreateChildSA, b.FIR, 7, []b.Payload{b.SK(isakmp.PayloadV2SA, 250, 6)})
	s.ESP(6, 5, 0xa2, 0xb2)
	a := s.analysis()
	sa := a.IKESAs[0]
	if sa.State != StateEstablished || !sa.BeforeCapture || sa.Initiator != b.I {
		t.Fatalf("IKE SA %s before capture %v initiator %s", sa.State, sa.BeforeCapture, sa.Initiator)
	}
	if len(sa.Children) != 2 || sa.Children[0].Kind != ChildBeforeCapture || sa.Children[1].Kind != ChildRekey ||
		sa.Children[1].Replaces != sa.Children[0].ID || sa.Children[1].By != FromResponder {
		t.Fatalf("children %+v", sa.Children)
	}
	if len(sa.Children[0].ESP) != 2 || len(sa.Children[1].ESP) != 2 {
		t.Errorf("ESP %v / %v: the old SPIs belong to the child SA before the capture", sa.Children[0].ESP, sa.Children[1].ESP)
	}
	if tu := a.Tunnels[0]; !tu.Up[0].SinceBefore || !tu.Up[0].UntilEnd {
		t.Errorf("tunnel up %+v: want since before the capture, until its end", tu.Up)
	}
}

// TestLifeRetryNewSPI: an IKE_SA_INIT refused with INVALID_KE_PAYLOAD,
// then a new one under a new SPI from the same initiator: the retry, even
// in a file whose records are out of time order.
func TestLifeRetryNewSPI(t *testing.T) {
	var s seq
	s.Msg(0, 1, 0, isakmp.ExchangeIKESAInit, b.FI, 0, []b.Payload{b.Nonce(1)})
	s.Msg(0.01, 1, 9, isakmp.ExchangeIKESAInit, b.FR, 0, []b.Payload{b.Notify(17, []byte{0, 19})})
	s.Up(0.05, 3, 4, false, 0, 0)
	// The retry first in the file, its records 40 s apart.
	s.Pkts = append(s.Pkts[2:], s.Pkts[:2]...)
	a := s.analysis()
	var old, next *IKESA
	for _, sa := range a.IKESAs {
		if sa.InitiatorSPI[7] == 1 {
			old = sa
		} else {
			next = sa
		}
	}
	if old.State != StateFailed || next.Replaces != old.ID || next.Link.Kind != LinkRetry || old.ContinuedBy != next.ID || next.Continues != old.ID {
		t.Errorf("old %s → %d, next replaces %d (%+v), continued %d/%d", old.State, old.ReplacedBy, next.Replaces, next.Link, old.ContinuedBy, next.Continues)
	}
}

// TestLifeReauthAndRestart: a new IKE SA while the old one is up is a
// reauthentication when the old one is then deleted, a restart when its
// authentication says INITIAL_CONTACT; the new IKE SA's child SA replaces
// the old one's.
func TestLifeReauthAndRestart(t *testing.T) {
	for _, tt := range []struct {
		name    string
		contact bool
		delete  bool
		want    LinkKind
		certain bool
	}{
		{"make-before-break", false, true, LinkReauth, true},
		{"restart", true, false, LinkRestart, true},
		{"no delete", false, false, LinkRestart, false},
	} {
		var s seq
		s.Up(0, 1, 2, false, 0, 0)
		s.ESP(1, 3, 0xa1, 0xb1)
		s.Msg(10, 3, 0, isakmp.ExchangeIKESAInit, b.FI, 0, []b.Payload{b.Nonce(11)})
		s.Msg(10.01, 3, 4, isakmp.ExchangeIKESAInit, b.FR, 0, []b.Payload{b.Nonce(12)})
		var auth []isakmp.Payload
		if tt.contact {
			auth = []isakmp.Payload{b.DNotify(isakmp.NotifyV2InitialContact, nil)}
		}
		s.Msg(10.02, 3, 4, isakmp.ExchangeIKEAuth, b.FI, 1, []b.Payload{b.SK(isakmp.PayloadV2IDi, 300, 13)}, auth...)
		s.Msg(10.03, 3, 4, isakmp.ExchangeIKEAuth, b.FR, 1, []b.Payload{b.SK(isakmp.PayloadV2IDr, 250, 14)})
		if tt.delete {
			s.Msg(10.1, 1, 2, isakmp.ExchangeInformational, b.FI, 2, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 15)}, b.DDelete())
			s.Msg(10.11, 1, 2, isakmp.ExchangeInformational, b.FR, 2, []b.Payload{b.SK(isakmp.PayloadNone, 40, 16)})
		}
		s.ESP(11, 3, 0xa2, 0xb2)
		a := s.analysis()
		old, next := a.IKESAs[0], a.IKESAs[1]
		if next.Link == nil || next.Link.Kind != tt.want || next.Link.Certain != tt.certain || old.ReplacedBy != next.ID {
			t.Errorf("%s: link %+v, old replaced by %d", tt.name, next.Link, old.ReplacedBy)
			continue
		}
		if oc, nc := old.Children[0], next.Children[0]; oc.ReplacedBy != nc.ID || nc.Replaces != oc.ID || nc.Kind != ChildInitial {
			t.Errorf("%s: old child %+v, new child %+v", tt.name, oc, nc)
		}
		if len(a.Tunnels) != 1 || a.Tunnels[0].State != TunnelUp {
			t.Errorf("%s: %d tunnels", tt.name, len(a.Tunnels))
		}
	}
}

// TestLifeRekeyCollision: both peers rekey the same child SA at once; the
// one whose SPIs its creator then deletes was the redundant one (keys).
func TestLifeRekeyCollision(t *testing.T) {
	var s seq
	s.Up(0, 1, 2, true, 0xb1, 0xa1)
	s.ESP(1, 3, 0xa1, 0xb1)
	rekey := func(spi uint32) isakmp.Payload { return b.DNotify(isakmp.NotifyV2RekeySA, b.SPI4(spi)) }
	// The responder's request goes first: the one kept is not always the
	// first seen.
	s.Msg(10.001, 1, 2, isakmp.ExchangeCreateChildSA, b.FI, 2, []b.Payload{b.SK(isakmp.PayloadV2Notify, 300, 5)}, rekey(0xb1), b.DChildSA(0xb2, 0, b.AES))
	s.Msg(10, 1, 2, isakmp.ExchangeCreateChildSA, 0, 2, []b.Payload{b.SK(isakmp.PayloadV2Notify, 300, 6)}, rekey(0xa1), b.DChildSA(0xa3, 0, b.AES))
	s.Msg(10.01, 1, 2, isakmp.ExchangeCreateChildSA, b.FR, 2, []b.Payload{b.SK(isakmp.PayloadV2SA, 250, 7)}, b.DChildSA(0xa2, 0, b.AES))
	s.Msg(10.011, 1, 2, isakmp.ExchangeCreateChildSA, b.FIR, 2, []b.Payload{b.SK(isakmp.PayloadV2SA, 250, 8)}, b.DChildSA(0xb3, 0, b.AES))
	// The responder's rekey had the lowest nonce: it deletes its own.
	s.Msg(10.1, 1, 2, isakmp.ExchangeInformational, 0, 3, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 9)}, b.DDelete(0xa3))
	s.Msg(10.11, 1, 2, isakmp.ExchangeInformational, b.FIR, 3, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 10)}, b.DDelete(0xb3))
	s.ESP(11, 3, 0xa2, 0xb2)
	// The kept one is rekeyed in its turn, its SPIs deleted after.
	s.Msg(20, 1, 2, isakmp.ExchangeCreateChildSA, b.FI, 4, []b.Payload{b.SK(isakmp.PayloadV2Notify, 300, 11)}, rekey(0xb2), b.DChildSA(0xb4, 0, b.AES))
	s.Msg(20.01, 1, 2, isakmp.ExchangeCreateChildSA, b.FR, 4, []b.Payload{b.SK(isakmp.PayloadV2SA, 250, 12)}, b.DChildSA(0xa4, 0, b.AES))
	s.Msg(20.1, 1, 2, isakmp.ExchangeInformational, b.FI, 5, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 13)}, b.DDelete(0xb2))
	s.Msg(20.11, 1, 2, isakmp.ExchangeInformational, b.FR, 5, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 14)}, b.DDelete(0xa2))
	a := s.analysis()
	sa := a.IKESAs[0]
	if len(sa.Children) != 4 {
		t.Fatalf("%d children", len(sa.Children))
	}
	first, byI, byR := sa.Children[0], sa.Children[1], sa.Children[2]
	if byI.By != FromInitiator {
		byI, byR = byR, byI
	}
	if !byI.Collision || !byR.Collision || byI.Replaces != first.ID || byR.Replaces != first.ID {
		t.Errorf("collision not found: %+v / %+v", byI, byR)
	}
	if first.ReplacedBy != byI.ID || byR.State != StateDeleted || byI.State != StateRekeyed || byI.ReplacedBy != sa.Children[3].ID {
		t.Errorf("kept %d (want the initiator's #%d, rekeyed in its turn: %s); the responder's is %s", first.ReplacedBy, byI.ID, byI.State, byR.State)
	}
}

// TestLifeRefusedRekey: a CREATE_CHILD_SA refused while the child SA is up
// is a failed rekey of it; the child SA stays until deleted, then expired.
func TestLifeRefusedRekey(t *testing.T) {
	var s seq
	s.Up(0, 1, 2, true, 0xb1, 0xa1)
	s.ESP(1, 3, 0xa1, 0xb1)
	s.Msg(10, 1, 2, isakmp.ExchangeCreateChildSA, b.FI, 2, []b.Payload{b.SK(isakmp.PayloadV2Notify, 500, 5)},
		b.DNotify(isakmp.NotifyV2RekeySA, b.SPI4(0xb1)), b.DChildSA(0xb2, 14, b.AES))
	s.Msg(10.01, 1, 2, isakmp.ExchangeCreateChildSA, b.FR, 2, []b.Payload{b.SK(isakmp.PayloadV2Notify, 40, 6)},
		b.DNotify(14, nil))
	s.ESP(11, 3, 0xa1, 0xb1)
	s.Msg(20, 1, 2, isakmp.ExchangeInformational, b.FI, 3, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 7)}, b.DDelete(0xb1))
	s.Msg(20.01, 1, 2, isakmp.ExchangeInformational, b.FR, 3, []b.Payload{b.SK(isakmp.PayloadV2Delete, 60, 8)}, b.DDelete(0xa1))
	a := s.analysis()
	sa := a.IKESAs[0]
	old, rekey := sa.Children[0], sa.Children[1]
	if rekey.Kind != ChildRekey || rekey.State != StateFailed || rekey.Replaces != old.ID || !rekey.Link.Certain || rekey.Failure == nil || rekey.PFS != 14 {
		t.Errorf("refused rekey %+v", rekey)
	}
	if old.ReplacedBy != 0 || old.State != StateExpired || old.EndFrame == 0 {
		t.Errorf("old child %+v: want expired at its delete", old)
	}
	if tu := a.Tunnels[0]; tu.State != TunnelDown {
		t.Errorf("tunnel %s, want down after the child SA expired", tu.State)
	}
}

// TestIKEv1RolesFromHeader: a lone Main Mode message with the responder's
// cookie and an SA payload is MM2 (the responder's), not "MM1 never
// answered", and the same bytes sent back the other way are not its
// retransmission.
func TestIKEv1RolesFromHeader(t *testing.T) {
	mm2 := b.Msg{Frame: 1, Src: b.R, Dst: b.I, Version: 1, SPIi: 1, SPIr: 2, Exchange: isakmp.ExchangeV1Main,
		Payloads: []b.Payload{{Type: isakmp.PayloadV1SA, Body: make([]byte, 8)}}}
	echo := mm2
	echo.Frame, echo.At, echo.Src, echo.Dst = 2, time.Second, b.I, b.R
	c := New(Config{})
	c.Add(mm2.Packet())
	c.Add(echo.Packet())
	sa := c.Snapshot().IKESAs[0]
	if sa.Initiator.Addr() != b.I.Addr() {
		t.Errorf("initiator %s, want the receiver of MM2", sa.Initiator)
	}
	ex := sa.Exchanges[0]
	if m := ex.Messages[0]; m.Step != 2 || m.Dir != FromResponder || m.Sent != 1 {
		t.Errorf("MM2 step %d dir %s sent %d", m.Step, m.Dir, m.Sent)
	}
	if len(ex.Messages) != 2 {
		t.Errorf("%d messages: the copy the other way is another message", len(ex.Messages))
	}
	if sa.Failure != nil && sa.Failure.Message == 1 {
		t.Errorf("failure %+v at MM1", sa.Failure)
	}
}

// TestQuickModeNotAccepted: a responder that keeps resending QM2 after
// QM3 never accepted QM3: the child SA failed.
func TestQuickModeNotAccepted(t *testing.T) {
	var pkts []*decode.Packet
	frame := 0
	add := func(at float64, from netip.AddrPort, ex isakmp.ExchangeType, mid uint32, flags isakmp.Flags, content byte) {
		frame++
		to := b.R
		if from == b.R {
			to = b.I
		}
		var spiR uint64 = 2
		if frame == 1 {
			spiR = 0
		}
		pl := []b.Payload{{Type: isakmp.PayloadV1Nonce, Body: []byte{content, content, content, content}}}
		if flags&isakmp.FlagEncryption != 0 {
			pl = []b.Payload{{Type: isakmp.PayloadV1Hash, Body: []byte{content, content, content, content}}}
		}
		pkts = append(pkts, b.Msg{Frame: frame, At: b.Sec(at), Src: from, Dst: to, Version: 1, SPIi: 1, SPIr: spiR, Exchange: ex, MID: mid, Flags: flags, Payloads: pl}.Packet())
	}
	for i := range 6 {
		from, flags := b.I, isakmp.Flags(0)
		if i%2 == 1 {
			from = b.R
		}
		if i >= 4 {
			flags = isakmp.FlagEncryption
		}
		add(float64(i)*0.01, from, isakmp.ExchangeV1Main, 0, flags, byte(i))
	}
	qm := isakmp.ExchangeV1Quick
	add(1, b.I, qm, 77, isakmp.FlagEncryption, 10)    // QM1
	add(1.01, b.R, qm, 77, isakmp.FlagEncryption, 11) // QM2
	add(1.02, b.I, qm, 77, isakmp.FlagEncryption, 12) // QM3
	add(11, b.R, qm, 77, isakmp.FlagEncryption, 11)   // QM2 again
	add(11.01, b.I, qm, 77, isakmp.FlagEncryption, 12)
	add(21, b.R, qm, 77, isakmp.FlagEncryption, 11)
	c := New(Config{})
	for _, p := range pkts {
		c.Add(p)
	}
	sa := c.Snapshot().IKESAs[0]
	if sa.State != StateEstablished || len(sa.Children) != 1 {
		t.Fatalf("IKE SA %s, %d children", sa.State, len(sa.Children))
	}
	ch := sa.Children[0]
	if ch.State != StateFailed || ch.Failure == nil || ch.Failure.Kind != FailNotAccepted || sa.Failure != ch.Failure {
		t.Errorf("child %+v failure %+v", ch, ch.Failure)
	}
}

// TestLifeRedirect: an IKE_SA_INIT answered with REDIRECT, then the
// initiator's IKE SA with the gateway it named.
func TestLifeRedirect(t *testing.T) {
	gw := netip.MustParseAddrPort("198.18.1.3:500")
	pkts := []*decode.Packet{
		b.Msg{Frame: 1, Src: b.I, Dst: b.R, SPIi: 1, Exchange: isakmp.ExchangeIKESAInit, Flags: b.FI, Payloads: []b.Payload{b.Nonce(1)}}.Packet(),
		b.Msg{Frame: 2, At: b.Sec(0.01), Src: b.R, Dst: b.I, SPIi: 1, Exchange: isakmp.ExchangeIKESAInit, Flags: b.FR,
			Payloads: []b.Payload{b.Notify(isakmp.NotifyV2Redirect, b.Redirect(gw.Addr()))}}.Packet(),
		b.Msg{Frame: 3, At: b.Sec(0.1), Src: b.I, Dst: gw, SPIi: 3, Exchange: isakmp.ExchangeIKESAInit, Flags: b.FI,
			Payloads: []b.Payload{b.Notify(isakmp.NotifyV2RedirectedFrom, b.Redirect(b.R.Addr()))}}.Packet(),
		b.Msg{Frame: 4, At: b.Sec(0.11), Src: gw, Dst: b.I, SPIi: 3, SPIr: 4, Exchange: isakmp.ExchangeIKESAInit, Flags: b.FR, Payloads: []b.Payload{b.Nonce(4)}}.Packet(),
	}
	c := New(Config{})
	for _, p := range pkts {
		c.Add(p)
	}
	a := c.Snapshot()
	if len(a.IKESAs) != 2 || len(a.Peers) != 2 {
		t.Fatalf("%d SAs, %d peer pairs", len(a.IKESAs), len(a.Peers))
	}
	if next := a.IKESAs[1]; next.Replaces != 1 || next.Link == nil || next.Link.Kind != LinkRedirect || !next.Link.Certain {
		t.Errorf("redirected SA link %+v", next.Link)
	}
	if m := a.IKESAs[0].Exchanges[0].Messages[1]; !m.Redirected || m.Redirect != gw.Addr().String() {
		t.Errorf("REDIRECT not read: %+v", m)
	}
}

// TestReorderWindow: records out of time order in a file are correlated in
// capture time: a response before its request, a retransmission before
// the original.
func TestReorderWindow(t *testing.T) {
	var s seq
	s.Up(0, 1, 2, false, 0, 0)
	p := s.Pkts
	c := New(Config{})
	for _, i := range []int{1, 0, 3, 2} { // each response before its request
		c.Add(p[i])
	}
	sa := c.Snapshot().IKESAs[0]
	if sa.Initiator != b.I || sa.State != StateEstablished || len(sa.Exchanges) != 2 || sa.FirstFrame != 1 {
		t.Errorf("initiator %s, %s, %d exchanges, first frame %d", sa.Initiator, sa.State, len(sa.Exchanges), sa.FirstFrame)
	}
	for _, ex := range sa.Exchanges {
		if ex.Messages[0].Response {
			t.Errorf("%s: the response was placed first", ex.Name())
		}
	}
}

// TestLifeESPOnly: a capture of ESP alone (its SAs negotiated before the
// capture, or keyed by hand) is a tunnel that was up all along, not one
// that failed.
func TestLifeESPOnly(t *testing.T) {
	var s seq
	s.ESP(0, 5, 0xa1, 0xb1)
	a := s.analysis()
	if len(a.Tunnels) != 1 || len(a.IKESAs) != 0 {
		t.Fatalf("%d tunnels, %d IKE SAs", len(a.Tunnels), len(a.IKESAs))
	}
	tu := a.Tunnels[0]
	if tu.State != TunnelUp || len(tu.Up) != 1 || !tu.Up[0].SinceBefore || !tu.Up[0].UntilEnd || len(tu.ESP) == 0 {
		t.Errorf("tunnel %s up %+v ESP %v: want up since before the capture", tu.State, tu.Up, tu.ESP)
	}
}
