package correlate

import (
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"slices"
)

// addIKE takes one IKE message through the stages of correlation, once
// each, in this order:
//
//  1. identify: the IKE SA it belongs to, who sent it (from the header:
//     IKEv2's I flag, IKEv1's responder cookie and payloads, never from
//     its position alone) and where it was seen;
//  2. reassemble: IKE fragments (IKEv1 and IKEv2) become one message;
//  3. fold copies and retransmissions: the same message seen again, at
//     this capture point (a retransmission) or another (a sighting);
//  4. absorb what decryption revealed, into the message kept;
//  5. place it in its exchange;
//  6. learn what its payloads in clear tell about the SA (proposals, NAT
//     detection).
//
// What the placed exchanges mean for the tunnel's life (child SAs, rekeys,
// successors) is read from them at each snapshot (life.go).
func (c *Correlator) addIKE(p *decode.Packet) {
	sa, k := c.identify(p)
	if sa == nil {
		return
	}
	msg := newMessage(p)
	msg.Dir = c.direction(sa, msg, p, k)
	c.track(sa, msg, p, k)
	clear, done := c.reassemble(sa, msg, p, k)
	if done {
		return // a further fragment of a message already placed
	}
	quickMode := clear.MajorVersion() == 1 && clear.Exchange == isakmp.ExchangeV1Quick
	ex := sa.exchangeOf(msg)
	if old := c.fold(sa, msg, ex, k); old != nil {
		// a copy that decrypted where the first did not lends it what it revealed
		old.absorb(p.Decrypted, quickMode)
		return
	}
	msg.absorb(p.Decrypted, quickMode)
	sa.place(msg, ex)
	c.learn(sa, msg, clear, p)
}

// identify finds the IKE SA of a message by its version and initiator SPI,
// creating it (within the caps) when it is new, and returns the capture
// point the message was seen at.
func (c *Correlator) identify(p *decode.Packet) (*IKESA, int) {
	m := p.IKE
	if m == nil || (m.MajorVersion() != 1 && m.MajorVersion() != 2) || m.InitiatorSPI.IsZero() {
		return nil, 0 // not an IKE message anyone could have meant
	}
	key := saKey{m.MajorVersion(), m.InitiatorSPI}
	k := captureOf(p)
	if sa := c.sas[key]; sa != nil {
		return sa, k
	}
	if len(c.sas) >= c.cfg.MaxIKESAs {
		c.a.DroppedIKESAs++
		return nil, 0
	}
	sa := &IKESA{ID: len(c.a.IKESAs) + 1, Version: m.MajorVersion(), InitiatorSPI: m.InitiatorSPI,
		First: p.Time, FirstFrame: p.Frame, Last: p.Time, LastFrame: p.Frame, RekeyedAt: -1}
	sa.Initiator, sa.Responder = p.Src, p.Dst
	if !sentByInitiator(m) {
		sa.Initiator, sa.Responder = p.Dst, p.Src
	}
	if c.multi() {
		sa.Points = []SAPoint{{Capture: k, Initiator: sa.Initiator, Responder: sa.Responder, First: p.Time}}
	}
	c.sas[key] = sa
	c.a.IKESAs = append(c.a.IKESAs, sa)
	pp := c.pair(p.Src.Addr(), p.Dst.Addr())
	pp.IKESAs = append(pp.IKESAs, sa.ID)
	return sa, k
}

// sentByInitiator tells from the first message seen of an SA whether its
// sender is the SA's initiator. IKEv2 says so in the I flag. IKEv1 has no
// such flag: a message without the responder's cookie can only be the
// initiator's first; a Main or Aggressive Mode message that carries the
// responder's cookie and an SA payload in clear is the responder's answer
// (MM2, AM2). Any other first message (a capture that starts mid-life) is
// taken as the initiator's, which only matters for the words "initiator"
// and "responder".
func sentByInitiator(m *isakmp.Message) bool {
	if m.MajorVersion() == 2 {
		return m.IsInitiator()
	}
	if m.ResponderSPI.IsZero() {
		return true
	}
	if (m.Exchange == isakmp.ExchangeV1Main || m.Exchange == isakmp.ExchangeV1Aggressive) && m.Encrypted == nil {
		if _, ok := m.Find(isakmp.PayloadV1SA).(*isakmp.SA); ok {
			return false
		}
	}
	return true
}

// direction tells who sent a message: IKEv2 says so in its flags; IKEv1
// by addresses, as this capture point sees the SA's initiator.
func (c *Correlator) direction(sa *IKESA, msg *Message, p *decode.Packet, k int) Direction {
	if sa.Version == 2 {
		if p.IKE.IsInitiator() {
			return FromInitiator
		}
		return FromResponder
	}
	initiator := sa.Initiator.Addr()
	if c.multi() {
		pt := sa.point(k)
		if pt == nil {
			// A point that has not seen this SA yet: the same message seen
			// elsewhere tells, else its header does.
			if old := sa.copyOf(msg, 0, false); old != nil {
				return old.Dir
			}
			if sentByInitiator(p.IKE) {
				return FromInitiator
			}
			return FromResponder
		}
		initiator = pt.Initiator.Addr()
	}
	if p.Src.Addr() == initiator {
		return FromInitiator
	}
	return FromResponder
}

// track keeps the SA's span, packet count, responder SPI, latest addresses
// (they float to UDP 4500 with NAT-T) and, in a multi-capture run, how each
// capture point sees it.
func (c *Correlator) track(sa *IKESA, msg *Message, p *decode.Packet, k int) {
	// origin: the packet comes from the capture point where the SA was
	// first seen (always, in a single-capture run), whose addresses the SA
	// keeps.
	origin := !c.multi() || sa.Points[0].Capture == k
	if origin {
		if p.Time.Before(sa.First) {
			sa.First, sa.FirstFrame = p.Time, p.Frame
		}
		if !p.Time.Before(sa.Last) {
			sa.Last, sa.LastFrame = p.Time, p.Frame
		}
		if msg.Dir == FromInitiator {
			sa.Initiator, sa.Responder = p.Src, p.Dst
		} else {
			sa.Initiator, sa.Responder = p.Dst, p.Src
		}
	}
	sa.Packets++
	if sa.ResponderSPI.IsZero() && !p.IKE.ResponderSPI.IsZero() {
		sa.ResponderSPI = p.IKE.ResponderSPI
	}
	if c.multi() {
		msg.Seen = []Sighting{{Capture: k, Frame: p.Frame, Time: p.Time}}
		c.notePoint(sa, msg, p, k)
	}
}

// learn takes what a placed message's payloads in clear tell about its SA:
// the phase-1 proposals offered and chosen, and NAT detection. (Its other
// facts, deletes and notifies among them, are on the message itself.)
func (c *Correlator) learn(sa *IKESA, msg *Message, clear *isakmp.Message, p *decode.Packet) {
	c.phase1Proposals(sa, msg, clear)
	q := p
	if clear != p.IKE {
		cp := *p
		cp.IKE = clear
		q = &cp
	}
	c.natDetection(sa, msg, q)
}

// phase1Proposals keeps the phase-1 proposals offered and chosen, in clear
// in MM1/MM2, AM1/AM2 and IKE_SA_INIT.
func (c *Correlator) phase1Proposals(sa *IKESA, msg *Message, m *isakmp.Message) {
	if phaseOf(msg.Exchange) != 1 || msg.Encrypted {
		return
	}
	sab, ok := m.Find(saPayload(sa.Version)).(*isakmp.SA)
	if !ok {
		return
	}
	var props [][]string
	for _, pr := range sab.Proposals {
		var ts []string
		for i := range pr.Transforms {
			ts = append(ts, pr.Transforms[i].String())
		}
		props = append(props, ts)
	}
	if msg.Dir == FromInitiator {
		sa.Phase1Proposals = props
		sa.Phase1OfferedTransforms = sa.Phase1OfferedTransforms[:0]
		for _, pr := range sab.Proposals {
			sa.Phase1OfferedTransforms = append(sa.Phase1OfferedTransforms, slices.Clone(pr.Transforms))
		}
		return
	}
	if len(props) > 0 {
		sa.Phase1Chosen = props[0]
		sa.Phase1ChosenTransforms = sab.Proposals[0].Transforms
	}
	if sa.Version == 1 && len(sab.Proposals) > 0 && len(sab.Proposals[0].Transforms) > 0 {
		for _, a := range sab.Proposals[0].Transforms[0].Attributes {
			if a.Type == isakmp.AttrV1Hash {
				sa.v1Hash = a.Value
			}
		}
	}
}

func saPayload(version int) isakmp.PayloadType {
	if version == 2 {
		return isakmp.PayloadV2SA
	}
	return isakmp.PayloadV1SA
}
