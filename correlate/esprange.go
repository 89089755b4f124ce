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
	// What finding the flow and every packet after the head read and
	// update, together: one or two cache lines, and the ring.
	spi         uint32
	src, dst    netip.Addr
	seq         seqTail
	tailPackets uint64
	tailBytes   uint64
	lastFrame   int
	next        int
	last        time.Time // of the last packet, head or tail
	recent      [recentFrames]frameNanos

	// SameSPI chains the ranges of the flows of one SPI, for the
	// caller's index (as the correlator's flows).
	SameSPI         *ESPRange
	srcPort         netip.AddrPort // the first packet's
	dstPort         netip.AddrPort
	udpEncapsulated bool
	first           time.Time
	headLen         int
	packets         uint64 // head included
	head            []espHeadPacket
	atHead          seqState // the sequence state the head left, from nothing
}

// espHeadPacket is a packet of a range's head, without pointers.
type espHeadPacket struct {
	frame  int
	nanos  int64
	seq    uint32
	length uint32 // the top bit: no sequence number
}

const headNoSeq = 1 << 31

func (f *ESPFlow) seqState() seqState { return seqState{f.seen, f.MaxSeq, f.window} }

// seqTail is ESPFlow.sequence's state and what the steps after a point did
// to the counters: lost as max(v+lostAdd, lostMin) of the v it was.
type seqTail struct {
	seqState
	lostAdd    int64
	lostMin    uint64
	gapEvents  int
	replays    uint64
	outOfOrder uint64
	gapFrames  []int
}

// step is ESPFlow.sequence, with lost kept as a function of the lost
// before (an out-of-order fill decrements it only while positive).
func (t *seqTail) step(seq uint32, frame int) {
	step, gap := t.advance(seq)
	switch step {
	case seqAhead:
		if gap > 0 {
			t.lostAdd += int64(gap)
			t.lostMin += gap
			t.gapEvents++
			if len(t.gapFrames) < maxGapFrames {
				t.gapFrames = append(t.gapFrames, frame)
			}
		}
	case seqReplay:
		t.replays++
	case seqFill:
		t.outOfOrder++
		t.lostAdd--
		if t.lostMin > 0 {
			t.lostMin--
		}
	}
}

// ESPRangeHead is the head length NewESPRange is given in practice: twice
// the replay window, so that an in-order flow's window after its head is
// full whatever came before.
const ESPRangeHead = 2 * replayWindow

// NewESPRange starts the range summary of the flow of ESP packet p (whose
// Add follows), keeping the first head packets as they are (at least 1).
func NewESPRange(p *decode.Packet, head int) *ESPRange {
	return &ESPRange{spi: p.ESP.SPI, src: p.Src.Addr(), dst: p.Dst.Addr(), srcPort: p.Src, dstPort: p.Dst,
		udpEncapsulated: p.UDPEncapsulated, headLen: max(head, 1), first: p.Time}
}

// Is reports whether the range is of the flow of SPI spi from src to dst.
func (r *ESPRange) Is(spi uint32, src, dst netip.Addr) bool {
	return r.spi == spi && r.src == src && r.dst == dst
}

// Add takes the flow's next ESP packet in the range.
func (r *ESPRange) Add(p *decode.Packet) {
	r.last = p.Time
	if len(r.head) < r.headLen {
		r.packets++
		l := uint32(p.Length)
		if p.ESP.NoSeq {
			l |= headNoSeq
		} else {
			r.seq.step(p.ESP.Seq, p.Frame)
		}
		r.head = append(r.head, espHeadPacket{p.Frame, p.Time.UnixNano(), p.ESP.Seq, l})
		if len(r.head) == r.headLen {
			// From here on the steps are the tail's.
			r.atHead = r.seq.seqState
			r.seq = seqTail{seqState: r.seq.seqState}
		}
		return
	}
	r.tailPackets++
	r.tailBytes += uint64(p.Length)
	r.lastFrame = p.Frame
	r.recent[r.next] = frameNanos{p.Frame, p.Time.UnixNano()}
	r.next = (r.next + 1) % recentFrames
	if !p.ESP.NoSeq {
		r.seq.step(p.ESP.Seq, p.Frame)
	}
}

// Packets is the number of the flow's packets in the range.
func (r *ESPRange) Packets() uint64 { return r.packets + r.tailPackets }

// AddESPRange applies a range's summary of a flow as adding its packets one
// by one would, frames numbered after the frames records before the range.
// It returns false when it cannot: the flow's anti-replay window after the
// head is not the one the range computed (reordering across the ranges'
// boundary); the flow is then left with the head applied, and the
// correlator must be discarded.
func (c *Correlator) AddESPRange(r *ESPRange, frames int) bool {
	packets := r.packets + r.tailPackets
	c.a.ESPPackets += int(packets)
	f := c.flow(r.spi, r.src, r.dst, 0)
	if f == nil {
		if c.nflows >= c.cfg.MaxESPFlows {
			// Every packet of a flow not tracked is counted.
			c.a.DroppedESPFlows += int(packets)
			return true
		}
		f = &ESPFlow{SPI: r.spi, Src: r.srcPort, Dst: r.dstPort, UDPEncapsulated: r.udpEncapsulated, FirstFrame: r.head[0].frame + frames, First: r.first}
		if c.flowsPerSPI(r.spi) < maxFlowsPerSPI {
			f.sameSPI = c.flows[r.spi]
			c.flows[r.spi] = f
		} else {
			c.moreFlows[flowKey{r.spi, r.src, r.dst, 0}] = f
		}
		c.nflows++
		pp := c.pair(r.src, r.dst)
		pp.ESP = append(pp.ESP, len(c.a.ESP))
		c.a.ESP = append(c.a.ESP, f)
	}
	for _, h := range r.head {
		fr := h.frame + frames
		f.LastFrame = fr
		f.Packets++
		f.recent[f.next] = frameNanos{fr, h.nanos}
		f.next = (f.next + 1) % recentFrames
		f.Bytes += uint64(h.length &^ headNoSeq)
		if h.length&headNoSeq == 0 {
			f.sequence(h.seq, fr)
		}
	}
	f.Last = r.last
	if r.tailPackets == 0 {
		return true
	}
	if f.seqState() != r.atHead {
		return false
	}
	f.Packets += r.tailPackets
	f.Bytes += r.tailBytes
	f.LastFrame = r.lastFrame + frames
	n, from := int(min(r.tailPackets, recentFrames)), 0
	if r.tailPackets >= recentFrames {
		from = r.next
	}
	// The ring turns once per packet: the tail's packets before its last
	// n were written and overwritten.
	f.next = int((uint64(f.next) + r.tailPackets - uint64(n)) % recentFrames)
	for i := range n {
		e := r.recent[(from+i)%recentFrames]
		e.frame += frames
		f.recent[f.next] = e
		f.next = (f.next + 1) % recentFrames
	}
	t := &r.seq
	f.seen, f.MaxSeq, f.window = t.seen, t.max, t.window
	f.Lost = uint64(max(int64(f.Lost)+t.lostAdd, int64(t.lostMin)))
	f.GapEvents += t.gapEvents
	f.Replays += t.replays
	f.OutOfOrder += t.outOfOrder
	for _, g := range t.gapFrames {
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

// HeadLen is how many of the flow's first packets in the range the head
// kept: when AddESPRange returns false, the range's packets of the flow
// after these are to be added again with AddESPTail.
func (r *ESPRange) HeadLen() int { return len(r.head) }

// AddESPTail adds one ESP packet of a flow whose range AddESPRange could
// not apply, one of the packets after the head, read again: as Add would,
// but for the counts and times of the analysis, which AddESPRange and
// SeeTimes took.
func (c *Correlator) AddESPTail(p *decode.Packet) { c.addESP(p) }
