package correlate

import (
	"hash/fnv"
	"net/netip"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Limits that keep memory bounded by what a capture can hold in SAs, not by
// its packets. Reaching one is counted in the Analysis and reported.
const (
	DefaultMaxIKESAs    = 100_000
	DefaultMaxESPFlows  = 200_000
	maxFramesPerMessage = 64
	maxExchangesPerSA   = 256
	maxGapFrames        = 32
	maxEvidencePerSA    = 32
	// maxMessagesPerExchange bounds the distinct messages kept in one
	// exchange: a real one has two to six; a flood of different messages
	// under one SPI (a scan, fuzzing, a broken peer) is counted instead.
	maxMessagesPerExchange = 32
)

// Config sets the caps on tracked state; zero means the defaults.
type Config struct {
	MaxIKESAs   int
	MaxESPFlows int
	// Captures is the number of captures merged into the run (their frame
	// IDs carry it, see decode.FrameID); 0 or 1 for one capture.
	Captures int
}

type saKey struct {
	version int
	spi     isakmp.SPI
}

type pairKey struct{ a, b netip.Addr }

type flowKey struct {
	spi      uint32
	src, dst netip.Addr
	capture  int
}

// Correlator builds the analysis one packet at a time.
type Correlator struct {
	cfg   Config
	a     Analysis
	sas   map[saKey]*IKESA
	pairs map[pairKey]*PeerPair
	// flows finds ESP flows by SPI first: a uint32 key hashes fast, and
	// an SPI rarely has more than one flow (the others are chained through
	// ESPFlow.sameSPI, see flow). An SPI shared by more (a scan, a flood)
	// spills into moreFlows, keyed in full.
	flows     map[uint32]*ESPFlow
	moreFlows map[flowKey]*ESPFlow
	nflows    int
	// v1frags groups IKEv1 fragments into their message (v1frag.go)
	v1frags map[v1FragKey]*v1FragState
}

// New returns an empty correlator.
func New(cfg Config) *Correlator {
	if cfg.MaxIKESAs == 0 {
		cfg.MaxIKESAs = DefaultMaxIKESAs
	}
	if cfg.MaxESPFlows == 0 {
		cfg.MaxESPFlows = DefaultMaxESPFlows
	}
	return &Correlator{
		cfg:       cfg,
		sas:       map[saKey]*IKESA{},
		pairs:     map[pairKey]*PeerPair{},
		flows:     map[uint32]*ESPFlow{},
		moreFlows: map[flowKey]*ESPFlow{},
	}
}

// Add takes one decoded packet. The packet may be reused by the caller
// afterwards: nothing of it is kept but copies.
func (c *Correlator) Add(p *decode.Packet) {
	if c.a.FirstTime.IsZero() || p.Time.Before(c.a.FirstTime) {
		c.a.FirstTime = p.Time
	}
	if p.Time.After(c.a.LastTime) {
		c.a.LastTime = p.Time
	}
	c.notePacket(p)
	switch p.Kind {
	case decode.KindIKE:
		c.a.IKEPackets++
		c.addIKE(p)
	case decode.KindESP:
		c.a.ESPPackets++
		c.addESP(p)
	case decode.KindNATKeepalive:
		c.a.Keepalives++
		c.pair(p.Src.Addr(), p.Dst.Addr()).NATKeepalives++
	case decode.KindICMPError:
		c.a.ICMPErrors++
		c.addICMP(p)
	}
}

// pair returns the peer pair of two addresses, creating it.
func (c *Correlator) pair(x, y netip.Addr) *PeerPair {
	if y.Less(x) {
		x, y = y, x
	}
	k := pairKey{x, y}
	pp := c.pairs[k]
	if pp == nil {
		pp = &PeerPair{A: x, B: y}
		c.pairs[k] = pp
		c.a.Peers = append(c.a.Peers, pp)
	}
	return pp
}

func (c *Correlator) addIKE(p *decode.Packet) {
	m := p.IKE
	if m == nil || (m.MajorVersion() != 1 && m.MajorVersion() != 2) || m.InitiatorSPI.IsZero() {
		return // not an IKE message anyone could have meant
	}
	key := saKey{m.MajorVersion(), m.InitiatorSPI}
	k := captureOf(p)
	sa := c.sas[key]
	if sa == nil {
		if len(c.sas) >= c.cfg.MaxIKESAs {
			c.a.DroppedIKESAs++
			return
		}
		sa = &IKESA{ID: len(c.a.IKESAs) + 1, Version: m.MajorVersion(), InitiatorSPI: m.InitiatorSPI,
			First: p.Time, FirstFrame: p.Frame}
		sa.Initiator, sa.Responder = p.Src, p.Dst
		if sa.Version == 2 && !m.IsInitiator() {
			sa.Initiator, sa.Responder = p.Dst, p.Src
		}
		if c.multi() {
			sa.Points = []SAPoint{{Capture: k, Initiator: sa.Initiator, Responder: sa.Responder, First: p.Time}}
		}
		c.sas[key] = sa
		c.a.IKESAs = append(c.a.IKESAs, sa)
		pp := c.pair(p.Src.Addr(), p.Dst.Addr())
		pp.IKESAs = append(pp.IKESAs, sa.ID)
	}
	// origin: the packet comes from the capture point where the SA was
	// first seen (always, in a single-capture run), whose addresses the SA
	// keeps.
	origin := !c.multi() || sa.Points[0].Capture == k
	if origin {
		sa.Last, sa.LastFrame = p.Time, p.Frame
	}
	sa.Packets++
	if sa.ResponderSPI.IsZero() && !m.ResponderSPI.IsZero() {
		sa.ResponderSPI = m.ResponderSPI
	}
	msg := newMessage(p, FromResponder)
	msg.Dir = c.direction(sa, msg, p, k)
	if origin {
		if msg.Dir == FromInitiator {
			sa.Initiator, sa.Responder = p.Src, p.Dst
		} else {
			sa.Initiator, sa.Responder = p.Dst, p.Src
		}
	}
	if c.multi() {
		msg.Seen = []Sighting{{Capture: k, Frame: p.Frame, Time: p.Time}}
		c.notePoint(sa, msg, p, k)
	}
	if c.v1Fragment(sa, msg, p, k) {
		return // a further fragment of a message already placed
	}
	c.addDecrypted(sa, msg, p)
	if c.place(sa, msg, p) {
		return // seen already at another capture point
	}
	c.phase1Proposals(sa, msg, m)
	c.natDetection(sa, msg, p)
	c.clearDeletes(sa, msg, m)
}

// direction tells who sent a message: IKEv2 says so in its flags; IKEv1
// by addresses, as this capture point sees them.
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
			// elsewhere tells, else the first message of phase 1 does.
			if old := sa.copyOf(msg, 0, false); old != nil {
				return old.Dir
			}
			if p.IKE.ResponderSPI.IsZero() {
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

// notePoint keeps the SA as capture point k sees it.
func (c *Correlator) notePoint(sa *IKESA, msg *Message, p *decode.Packet, k int) {
	pt := sa.point(k)
	if pt == nil {
		sa.Points = append(sa.Points, SAPoint{Capture: k, First: p.Time})
		pt = &sa.Points[len(sa.Points)-1]
		defer c.alias(sa, pt)
	}
	if msg.Dir == FromInitiator {
		pt.Initiator, pt.Responder = p.Src, p.Dst
	} else {
		pt.Initiator, pt.Responder = p.Dst, p.Src
	}
	pt.Last = p.Time
	pt.Packets++
}

// messageByHash finds a message of the SA by its bytes' hash.
func (sa *IKESA) messageByHash(h uint64) *Message {
	for i := len(sa.Exchanges) - 1; i >= 0; i-- {
		for _, m := range sa.Exchanges[i].Messages {
			if m.hash == h {
				return m
			}
		}
	}
	return nil
}

// copyOf finds the message msg is a copy of, as another capture point
// saw it: the same bytes; or, when either copy was cut short by a snaplen,
// the same IKE header, sent the same way (dir; any way when not known).
func (sa *IKESA) copyOf(msg *Message, dir Direction, dirKnown bool) *Message {
	var sameHead *Message
	for i := len(sa.Exchanges) - 1; i >= 0; i-- {
		for _, m := range sa.Exchanges[i].Messages {
			if m.hash == msg.hash {
				return m
			}
			if sameHead == nil && (m.cut || msg.cut) && m.head == msg.head && (!dirKnown || m.Dir == dir) {
				sameHead = m
			}
		}
	}
	return sameHead
}

// ikeHeaderLen is the length of the ISAKMP header (RFC 2408 §3.1, RFC 7296 §3.1).
const ikeHeaderLen = 28

// newMessage copies what the correlation needs out of a packet.
func newMessage(p *decode.Packet, dir Direction) *Message {
	m := p.IKE
	// The header's hash is where the whole message's starts.
	h := fnv.New64a()
	n := min(len(m.Raw), ikeHeaderLen)
	h.Write(m.Raw[:n])
	head := h.Sum64()
	h.Write(m.Raw[n:])
	msg := &Message{
		Frames: []int{p.Frame}, Times: []time.Time{p.Time}, Sent: 1,
		Dir: dir, Src: p.Src, Dst: p.Dst,
		MessageID: m.MessageID, Exchange: m.Exchange, Length: int(m.Length),
		Summary:         m.Summary(),
		IPFragmented:    p.Fragments != nil,
		UDPEncapsulated: p.UDPEncapsulated,
		hash:            h.Sum64(),
		head:            head,
		cut:             len(m.Raw) < int(m.Length),
	}
	if m.MajorVersion() == 2 {
		msg.Response = m.IsResponse()
	}
	if first, _, ok := m.EncryptedBody(); ok {
		msg.Encrypted, msg.FirstInner = true, first
	}
	for _, pl := range m.Payloads {
		switch b := pl.Body.(type) {
		case *isakmp.Notify:
			msg.Notifies = append(msg.Notifies, Notify{Type: b.Type, Name: b.Name(), Error: b.IsError(), Detail: b.Detail(), AcceptedGroup: b.AcceptedGroup})
		case *isakmp.KeyExchange:
			if pl.Type == isakmp.PayloadV2KE {
				msg.KEGroup = b.Group
			}
		case *isakmp.EncryptedFragment:
			msg.IKEFragments = int(b.Total)
		}
	}
	return msg
}

// place puts a message into its exchange: a retransmission joins the
// message it repeats, a response joins its request's exchange. It reports
// whether the message was one already seen at another capture point.
func (c *Correlator) place(sa *IKESA, msg *Message, p *decode.Packet) (elsewhere bool) {
	if c.multi() {
		// Another point's copy may come long after the first point saw
		// later exchanges (its clock is behind, or the path is slow): look
		// for the same bytes in the whole SA, not only the latest exchange.
		if old := sa.copyOf(msg, msg.Dir, true); old != nil && (sa.Version == 1 || old.Dir == msg.Dir) {
			return old.seenAgain(msg, captureOf(p))
		}
	}
	if sa.Version == 1 {
		return c.placeV1(sa, msg, captureOf(p))
	}
	ex := sa.latestExchange(msg.Exchange, msg.MessageID)
	if ex != nil {
		for _, old := range ex.Messages {
			if old.hash == msg.hash && old.Dir == msg.Dir {
				return old.seenAgain(msg, captureOf(p))
			}
		}
		if msg.IKEFragments > 0 {
			// Further fragments of a message already begun.
			for _, old := range ex.Messages {
				if old.Dir == msg.Dir && old.Response == msg.Response && old.IKEFragments > 0 && !isFirstFragment(p) {
					if k := captureOf(p); len(old.Seen) > 0 {
						if len(old.Seen) < maxSightings {
							old.Seen = append(old.Seen, Sighting{Capture: k, Frame: p.Frame, Time: p.Time})
						}
						if k != primaryCapture(old) {
							return true // a fragment as another capture point saw it
						}
					}
					old.Frames = appendCapped(old.Frames, msg.Frames[0])
					old.Times = appendCappedTime(old.Times, msg.Times[0])
					// The fragment that completes the message is the one
					// decryption speaks for.
					old.absorbDecrypted(msg)
					return false
				}
			}
		}
		// A response joins its request; so does a request whose response
		// was seen first. A new request with a message ID already used is
		// a new attempt (a retry after COOKIE or INVALID_KE_PAYLOAD).
		if msg.Response || ex.count(false) == 0 {
			ex.add(msg)
			return false
		}
	}
	attempt := 0
	if ex != nil {
		attempt = ex.Attempt + 1
	}
	sa.addExchange(&Exchange{
		Type: msg.Exchange, MessageID: msg.MessageID, Phase: phaseOf(msg.Exchange),
		Messages: []*Message{msg}, Attempt: attempt,
	})
	return false
}

// addExchange appends an exchange. An SA that lives long (days of DPD and
// rekeys) would grow without end, so beyond maxExchangesPerSA the oldest
// informational exchange (or else the oldest after the first) is folded
// into a count.
func (sa *IKESA) addExchange(e *Exchange) {
	if len(sa.Exchanges) >= maxExchangesPerSA {
		drop := 1
		for i, old := range sa.Exchanges {
			if old.Phase == 0 {
				drop = i
				break
			}
		}
		sa.Exchanges = append(sa.Exchanges[:drop], sa.Exchanges[drop+1:]...)
		sa.FoldedExchanges++
	}
	sa.Exchanges = append(sa.Exchanges, e)
}

func isFirstFragment(p *decode.Packet) bool {
	for _, pl := range p.IKE.Payloads {
		if f, ok := pl.Body.(*isakmp.EncryptedFragment); ok {
			return f.Number == 1
		}
	}
	return false
}

// placeV1 places an IKEv1 message. IKEv1 has no response flag: messages
// of an exchange alternate between the peers, and a retransmission is the
// same bytes again.
func (c *Correlator) placeV1(sa *IKESA, msg *Message, k int) (elsewhere bool) {
	var ex *Exchange
	switch msg.Exchange {
	case isakmp.ExchangeV1Main, isakmp.ExchangeV1Aggressive:
		ex = sa.latestExchange(msg.Exchange, 0)
	default:
		ex = sa.latestExchange(msg.Exchange, msg.MessageID)
	}
	if ex != nil {
		for _, old := range ex.Messages {
			if old.hash == msg.hash {
				return old.seenAgain(msg, k)
			}
		}
		if msg.Exchange != isakmp.ExchangeV1Informational {
			msg.Response = msg.Dir == FromResponder
			ex.add(msg)
			return false
		}
	}
	msg.Response = msg.Dir == FromResponder && msg.Exchange != isakmp.ExchangeV1Informational
	sa.addExchange(&Exchange{
		Type: msg.Exchange, MessageID: msg.MessageID, Phase: phaseOf(msg.Exchange),
		Messages: []*Message{msg},
	})
	return false
}

func (m *Message) retransmitted(again *Message) {
	m.Sent++
	m.Frames = appendCapped(m.Frames, again.Frames[0])
	m.Times = appendCappedTime(m.Times, again.Times[0])
	// A retransmission may take another path (NAT-T float): keep the latest.
	m.Src, m.Dst = again.Src, again.Dst
}

// add puts a further message into the exchange, or counts it beyond
// maxMessagesPerExchange.
func (e *Exchange) add(m *Message) {
	if len(e.Messages) >= maxMessagesPerExchange {
		e.FoldedMessages++
		return
	}
	e.Messages = append(e.Messages, m)
}

// appendEvidence appends a frame to an SA's evidence list, up to
// maxEvidencePerSA.
func appendEvidence(s []int, v int) []int {
	if len(s) >= maxEvidencePerSA {
		return s
	}
	return append(s, v)
}

func appendCapped(s []int, v int) []int {
	if len(s) >= maxFramesPerMessage {
		return s
	}
	return append(s, v)
}

func appendCappedTime(s []time.Time, v time.Time) []time.Time {
	if len(s) >= maxFramesPerMessage {
		return s
	}
	return append(s, v)
}

// latestExchange is the most recent exchange of a type and message ID.
func (sa *IKESA) latestExchange(t isakmp.ExchangeType, mid uint32) *Exchange {
	for i := len(sa.Exchanges) - 1; i >= 0; i-- {
		if e := sa.Exchanges[i]; e.Type == t && e.MessageID == mid {
			return e
		}
	}
	return nil
}

func phaseOf(t isakmp.ExchangeType) int {
	switch t {
	case isakmp.ExchangeV1Main, isakmp.ExchangeV1Aggressive, isakmp.ExchangeV1Base, isakmp.ExchangeV1AuthOnly,
		isakmp.ExchangeIKESAInit, isakmp.ExchangeIKEAuth, isakmp.ExchangeIKEIntermediate, isakmp.ExchangeIKEFollowupKE:
		return 1
	case isakmp.ExchangeV1Quick, isakmp.ExchangeCreateChildSA:
		return 2
	}
	return 0
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
		return
	}
	if len(props) > 0 {
		sa.Phase1Chosen = props[0]
		sa.Phase1ChosenTransforms = sab.Proposals[0].Transforms
	}
	if sa.Version == 1 && len(sab.Proposals) > 0 && len(sab.Proposals[0].Transforms) > 0 {
		for _, a := range sab.Proposals[0].Transforms[0].Attributes {
			if a.Type == 2 { // Hash-Algorithm (RFC 2409 App. A)
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

// clearDeletes notes delete payloads seen in clear (IKEv1 informational
// without encryption).
func (c *Correlator) clearDeletes(sa *IKESA, msg *Message, m *isakmp.Message) {
	for _, pl := range m.Payloads {
		if d, ok := pl.Body.(*isakmp.Delete); ok && d.Protocol == isakmp.ProtocolISAKMP {
			sa.DeleteFrames = appendEvidence(sa.DeleteFrames, msg.Frames[0])
		}
	}
}

func (c *Correlator) addICMP(p *decode.Packet) {
	q := p.ICMP.Quoted
	ev := ICMPEvidence{Frame: p.Frame, From: p.Src.Addr(), Description: p.ICMP.Description()}
	if q.Kind == decode.KindIKE && q.IKE != nil {
		if sa := c.sas[saKey{q.IKE.MajorVersion(), q.IKE.InitiatorSPI}]; sa != nil && len(sa.ICMPErrors) < maxEvidencePerSA {
			sa.ICMPErrors = append(sa.ICMPErrors, ev)
		}
	}
	// ICMP errors quoting ESP are counted in the analysis only.
}
