package correlate

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
)

// A run may merge captures taken at several points of the path (both
// gateways, inside and outside a NAT). The same IKE message then arrives
// once per point that saw it: it is one message with several sightings,
// not a retransmission, and the points that did not see it tell where it
// was lost. This file keeps what that needs.

// Sighting is one capture point's view of a message: where, which frame,
// and when (in a snapshot, on the first capture's clock).
type Sighting struct {
	Capture int // as in decode.FrameID: 1, 2, ... (0 in a single-capture run)
	Frame   int // frame ID
	Time    time.Time
}

// SAPoint is an IKE SA as one capture point saw it: the addresses there
// (inside and outside a NAT they differ) and the span of its packets.
type SAPoint struct {
	Capture     int
	Initiator   netip.AddrPort
	Responder   netip.AddrPort
	First, Last time.Time
	Packets     int
}

// CaptureClock is what the run learned about one capture: its span, and
// its clock against the first capture's, estimated from the messages and
// ESP packets both saw.
type CaptureClock struct {
	Capture     int
	Name        string    // the name the user gave the point, "" if none
	First, Last time.Time // in a snapshot: on the first capture's clock
	Packets     int       // IPsec packets
	// Offset is this capture's clock minus the first capture's (subtract it
	// to put this capture's times on the first one's clock); Samples is
	// how many packets seen by both support it (0: not estimated).
	Offset  time.Duration
	Samples int
	// PathDelay is the one-way delay between the two points, when both
	// directions were seen (the offset is then the mean of the two).
	PathDelay time.Duration
}

// maxSightings bounds the sightings kept per message.
const maxSightings = 64

// multi reports whether the run merges several captures.
func (c *Correlator) multi() bool { return c.cfg.Captures > 1 }

// captureOf is the capture a packet came from.
func captureOf(p *decode.Packet) int {
	k, _ := decode.SplitFrame(p.Frame)
	return k
}

// captureName is the name given to capture k, "" if none.
func (c *Correlator) captureName(k int) string {
	if k >= 1 && k <= len(c.cfg.CaptureNames) {
		return c.cfg.CaptureNames[k-1]
	}
	return ""
}

// PointName is how texts call capture point k: the name the user gave it,
// else "capture k".
func (a *Analysis) PointName(k int) string {
	if k >= 1 && k <= len(a.Captures) && a.Captures[k-1].Name != "" {
		return a.Captures[k-1].Name
	}
	return fmt.Sprintf("capture %d", k)
}

// notePacket keeps each capture's span and count.
func (c *Correlator) notePacket(p *decode.Packet) {
	if !c.multi() {
		return
	}
	k := captureOf(p)
	for len(c.a.Captures) < k {
		c.a.Captures = append(c.a.Captures, CaptureClock{Capture: len(c.a.Captures) + 1, Name: c.captureName(len(c.a.Captures) + 1)})
	}
	if k < 1 {
		return
	}
	cc := &c.a.Captures[k-1]
	if cc.First.IsZero() || p.Time.Before(cc.First) {
		cc.First = p.Time
	}
	if p.Time.After(cc.Last) {
		cc.Last = p.Time
	}
	cc.Packets++
}

// point returns the SA as capture k saw it, nil if it did not.
func (sa *IKESA) point(k int) *SAPoint {
	for i := range sa.Points {
		if sa.Points[i].Capture == k {
			return &sa.Points[i]
		}
	}
	return nil
}

// SeenAt reports whether capture k saw the message.
func (m *Message) SeenAt(k int) bool {
	for _, s := range m.Seen {
		if s.Capture == k {
			return true
		}
	}
	return false
}

// SeenAtPoints splits the capture points of an SA (and any other point
// that saw the message) into those that saw a message and those that did
// not, both in capture order. Both are nil in a single-capture run.
func (sa *IKESA) SeenAtPoints(m *Message) (seen, missed []int) {
	if len(m.Seen) == 0 {
		return nil, nil
	}
	var ks []int
	for _, pt := range sa.Points {
		ks = append(ks, pt.Capture)
	}
	for _, s := range m.Seen {
		if !slices.Contains(ks, s.Capture) {
			ks = append(ks, s.Capture)
		}
	}
	slices.Sort(ks)
	for _, k := range ks {
		if m.SeenAt(k) {
			seen = append(seen, k)
		} else {
			missed = append(missed, k)
		}
	}
	return seen, missed
}

// FirstSeenAt is the message's first sighting at capture k.
func (m *Message) FirstSeenAt(k int) (Sighting, bool) {
	for _, s := range m.Seen {
		if s.Capture == k {
			return s, true
		}
	}
	return Sighting{}, false
}

// seenAgain folds another arrival of the same bytes into m: in one capture
// it is a retransmission; from another capture point it is a sighting of
// the same transmission, unless that point has now seen it more often.
// It reports whether the arrival was a sighting at another point.
func (m *Message) seenAgain(again *Message, k int) (elsewhere bool) {
	if len(m.Seen) == 0 { // a single-capture run
		m.retransmitted(again)
		return false
	}
	elsewhere = !m.SeenAt(k)
	s := Sighting{Capture: k, Frame: again.Frames[0], Time: again.Times[0]}
	if len(m.Seen) < maxSightings {
		m.Seen = append(m.Seen, s)
	}
	n := 0
	for _, o := range m.Seen {
		if o.Capture == k {
			n++
		}
	}
	m.Sent = max(m.Sent, n)
	primary := primaryCapture(m)
	switch {
	case k == primary:
		m.Frames = appendCapped(m.Frames, s.Frame)
		m.Times = appendCappedTime(m.Times, s.Time)
	case k < primary:
		// The frames shown are those of the first capture that saw the
		// message, so that frames of one capture are compared with each
		// other wherever possible.
		m.Frames, m.Times = m.Frames[:0], m.Times[:0]
		for _, o := range m.Seen {
			if o.Capture == k {
				m.Frames, m.Times = append(m.Frames, o.Frame), append(m.Times, o.Time)
			}
		}
		m.Src, m.Dst = again.Src, again.Dst
	}
	return elsewhere
}

// primaryCapture is the capture whose frames a message lists.
func primaryCapture(m *Message) int {
	k, _ := decode.SplitFrame(m.Frames[0])
	return k
}

// alias maps the addresses of a peer pair as another capture point sees
// them (across a NAT) to the pair first seen, so ESP seen there joins it.
func (c *Correlator) alias(sa *IKESA, pt *SAPoint) {
	origin := sa.Points[0]
	if pt.Initiator.Addr() == origin.Initiator.Addr() && pt.Responder.Addr() == origin.Responder.Addr() {
		return
	}
	pp := c.pair(origin.Initiator.Addr(), origin.Responder.Addr())
	x, y := pt.Initiator.Addr(), pt.Responder.Addr()
	if y.Less(x) {
		x, y = y, x
	}
	other, ok := c.pairs[pairKey{x, y}]
	if ok && other == pp {
		return
	}
	c.pairs[pairKey{x, y}] = pp
	pp.Aliases = append(pp.Aliases, [2]netip.Addr{x, y})
	if ok {
		// The other point's ESP came before its IKE (IKE waits in the
		// reorder window): what it gathered joins the pair.
		pp.ESP = append(pp.ESP, other.ESP...)
		slices.Sort(pp.ESP) // in the order the flows began
		pp.IKESAs = append(pp.IKESAs, other.IKESAs...)
		slices.Sort(pp.IKESAs)
		pp.NATKeepalives += other.NATKeepalives
		c.a.Peers = slices.DeleteFunc(c.a.Peers, func(q *PeerPair) bool { return q == other })
	}
}

// earlyPackets is how many first packets per ESP flow are kept to match
// the same packets at another capture point.
const earlyPackets = 32

func (f *ESPFlow) noteEarly(p *decode.Packet) {
	if len(f.early) < earlyPackets {
		f.early = append(f.early, seqTime{p.ESP.Seq, p.Time})
	}
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
