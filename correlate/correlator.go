package correlate

import (
	"net/netip"

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
	// CaptureNames are the names the user gave the capture points
	// (--point), capture k's at k-1; "" or absent: unnamed.
	CaptureNames []string
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
	// pending are the IKE messages and ICMP errors waiting in the reorder
	// window, in time order (reorder.go).
	pending []*decode.Packet
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

// Add takes one decoded packet. An ESP or NAT-keepalive packet may be
// reused by the caller afterwards: nothing of it is kept but copies. IKE
// messages and ICMP errors are kept for a moment (reorder.go): the decoder
// gives each its own packet.
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
		c.hold(p)
	case decode.KindESP:
		c.a.ESPPackets++
		c.addESP(p)
	case decode.KindNATKeepalive:
		c.a.Keepalives++
		c.pair(p.Src.Addr(), p.Dst.Addr()).NATKeepalives++
	case decode.KindICMPError:
		c.a.ICMPErrors++
		c.hold(p)
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
