package correlate

import (
	"net/netip"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
)

// A capture read in byte ranges on several cores (package pipeline) gives
// the correlator each range's ESP as one ESPRange per flow: what the range's
// packets of the flow would do to it, applied at once (AddESPRange) where
// the flow's first packet in the range lies among the IKE messages. It is
// exact, not an estimate: the anti-replay window is a function of the
// sequence numbers seen, so once the first packets of a range (its head,
// kept as they were) are replayed against the flow as the ranges before
// left it, the window is the one the range computed from its head alone, or
// the range cannot be applied (AddESPRange says so) and must be read again.
// From there on every step of the sequence-number state is the range's
// own, but for "lost", which an out-of-order fill decrements only while it
// is positive: the tail's effect on it is max(v+a, b) for the v it starts
// from, and two such functions compose into another.

// ESPRange is what one range of a capture did to one ESP flow (SPI and
// addresses). Frames are the range's own numbers; AddESPRange adds the
// records before the range.
type ESPRange struct {
	spi             uint32
	src, dst        netip.AddrPort // the first packet's
	udpEncapsulated bool
	headLen         int
	packets         uint64 // head included
	head            []espHeadPacket

	// shadow is the flow as if the range were the whole capture: its
	// sequence-number state after the head is atHead.
	shadow ESPFlow
	atHead seqState

	// The tail: the packets after the head.
	tailPackets uint64
	tailBytes   uint64
	lastFrame   int
	last        time.Time
	recent      [recentFrames]frameNanos
	next        int
	lostAdd     int64  // a of max(v+a, b)
	lostMin     uint64 // b
	gapEvents   int
	replays     uint64
	outOfOrder  uint64
	gapFrames   []int
}

type espHeadPacket struct {
	frame  int
	time   time.Time
	seq    uint32
	noSeq  bool
	length int
}

type seqState struct {
	seen   bool
	max    uint32
	window uint64
}

func (f *ESPFlow) seqState() seqState { return seqState{f.seen, f.MaxSeq, f.window} }

// ESPRangeHead is the head length NewESPRange is given in practice: twice
// the replay window, so that an in-order flow's window after its head is
// full whatever came before.
const ESPRangeHead = 2 * replayWindow

// NewESPRange starts the range summary of the flow of ESP packet p (whose
// Add follows), keeping the first head packets as they are (at least 1).
func NewESPRange(p *decode.Packet, head int) *ESPRange {
	return &ESPRange{spi: p.ESP.SPI, src: p.Src, dst: p.Dst, udpEncapsulated: p.UDPEncapsulated, headLen: max(head, 1)}
}

// Add takes the flow's next ESP packet in the range.
func (r *ESPRange) Add(p *decode.Packet) {
	r.packets++
	if len(r.head) < r.headLen {
		r.head = append(r.head, espHeadPacket{p.Frame, p.Time, p.ESP.Seq, p.ESP.NoSeq, p.Length})
		if !p.ESP.NoSeq {
			r.shadow.sequence(p.ESP.Seq, p.Frame)
		}
		if len(r.head) == r.headLen {
			r.atHead = r.shadow.seqState()
		}
		return
	}
	r.tailPackets++
	r.tailBytes += uint64(p.Length)
	r.lastFrame, r.last = p.Frame, p.Time
	r.recent[r.next] = frameNanos{p.Frame, p.Time.UnixNano()}
	r.next = (r.next + 1) % recentFrames
	if p.ESP.NoSeq {
		return
	}
	s := &r.shadow
	lost, gaps, replays, ooo := s.Lost, s.GapEvents, s.Replays, s.OutOfOrder
	s.sequence(p.ESP.Seq, p.Frame)
	switch {
	case s.OutOfOrder > ooo:
		// A fill: lost-1 while positive, whatever the shadow's lost is.
		r.outOfOrder++
		r.lostAdd--
		if r.lostMin > 0 {
			r.lostMin--
		}
	case s.GapEvents > gaps:
		d := s.Lost - lost
		r.lostAdd += int64(d)
		r.lostMin += d
		r.gapEvents++
		if len(r.gapFrames) < maxGapFrames {
			r.gapFrames = append(r.gapFrames, p.Frame)
		}
	case s.Replays > replays:
		r.replays++
	}
	s.GapFrames = s.GapFrames[:0] // the shadow's are not needed
}

// Packets is the number of the flow's packets in the range.
func (r *ESPRange) Packets() uint64 { return r.packets }

// AddESPRange applies a range's summary of a flow as adding its packets one
// by one would, frames numbered after the frames records before the range.
// It returns false when it cannot: the flow's anti-replay window after the
// head is not the one the range computed (reordering across the ranges'
// boundary); the flow is then left with the head applied, and the
// correlator must be discarded.
func (c *Correlator) AddESPRange(r *ESPRange, frames int) bool {
	c.a.ESPPackets += int(r.packets)
	f := c.flow(r.spi, r.src.Addr(), r.dst.Addr(), 0)
	if f == nil {
		if c.nflows >= c.cfg.MaxESPFlows {
			// Every packet of a flow not tracked is counted.
			c.a.DroppedESPFlows += int(r.packets)
			return true
		}
		h := r.head[0]
		f = &ESPFlow{SPI: r.spi, Src: r.src, Dst: r.dst, UDPEncapsulated: r.udpEncapsulated, FirstFrame: h.frame + frames, First: h.time}
		if c.flowsPerSPI(r.spi) < maxFlowsPerSPI {
			f.sameSPI = c.flows[r.spi]
			c.flows[r.spi] = f
		} else {
			c.moreFlows[flowKey{r.spi, r.src.Addr(), r.dst.Addr(), 0}] = f
		}
		c.nflows++
		pp := c.pair(r.src.Addr(), r.dst.Addr())
		pp.ESP = append(pp.ESP, len(c.a.ESP))
		c.a.ESP = append(c.a.ESP, f)
	}
	for _, h := range r.head {
		fr := h.frame + frames
		f.LastFrame, f.Last = fr, h.time
		f.Packets++
		f.recent[f.next] = frameNanos{fr, h.time.UnixNano()}
		f.next = (f.next + 1) % recentFrames
		f.Bytes += uint64(h.length)
		if !h.noSeq {
			f.sequence(h.seq, fr)
		}
	}
	if r.tailPackets == 0 {
		return true
	}
	if f.seqState() != r.atHead {
		return false
	}
	f.Packets += r.tailPackets
	f.Bytes += r.tailBytes
	f.LastFrame, f.Last = r.lastFrame+frames, r.last
	n, from := int(min(r.tailPackets, recentFrames)), 0
	if r.tailPackets >= recentFrames {
		from = r.next
	}
	for i := range n {
		e := r.recent[(from+i)%recentFrames]
		e.frame += frames
		f.recent[f.next] = e
		f.next = (f.next + 1) % recentFrames
	}
	s := r.shadow.seqState()
	f.seen, f.MaxSeq, f.window = s.seen, s.max, s.window
	f.Lost = uint64(max(int64(f.Lost)+r.lostAdd, int64(r.lostMin)))
	f.GapEvents += r.gapEvents
	f.Replays += r.replays
	f.OutOfOrder += r.outOfOrder
	for _, g := range r.gapFrames {
		if len(f.GapFrames) >= maxGapFrames {
			break
		}
		f.GapFrames = append(f.GapFrames, g+frames)
	}
	return true
}

// AddAfter is Add for a packet of a capture read in ranges (IKE, ICMP
// errors, NAT keepalives; ESP comes as ESPRanges): last is the latest
// capture time of the packets before it and of itself, which the reorder
// window of IKE messages counts from.
func (c *Correlator) AddAfter(p *decode.Packet, last time.Time) {
	c.SeeTimes(time.Time{}, last)
	c.Add(p)
}

// SeeTimes widens the analysis' capture times to first and last (zero:
// unchanged) as adding packets of those times would.
func (c *Correlator) SeeTimes(first, last time.Time) {
	if !first.IsZero() && (c.a.FirstTime.IsZero() || first.Before(c.a.FirstTime)) {
		c.a.FirstTime = first
	}
	if last.After(c.a.LastTime) {
		c.a.LastTime = last
	}
}
