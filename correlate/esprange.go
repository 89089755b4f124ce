package correlate

import (
	"net/netip"
	"time"
	"unsafe"

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
// addresses). Frames are the range's own numbers, below 2^31; AddESPRange
// adds the records before the range.
type ESPRange struct {
	// What every packet reads and writes: the first cache line (the
	// object's size is a multiple of 64 bytes, and ESPRanges places it at
	// such an address: TestESPRangeLayout), then the ring. A range holds a
	// thousand flows or more, packets of one rarely follow each other, and
	// each line more a packet touches was a miss more.
	seq       seqState
	packets   uint64 // head included
	bytes     uint64 // after the head
	lastFrame int
	last      int64 // nanoseconds of the last packet
	lostAdd   int64 // lost, after the head: max(v+lostAdd, lostMin) of the v before
	lostMin   uint64
	recent    [recentFrames]frameNanos // the last packets, at packets % recentFrames

	// What the steps after the head did but for lost, rarely.
	gapEvents  int
	replays    uint64
	outOfOrder uint64
	gapFrames  []int

	spi             uint32
	udpEncapsulated bool
	src, dst        netip.Addr
	srcPort         netip.AddrPort // the first packet's
	dstPort         netip.AddrPort
	first           time.Time
	head            []espHeadPacket // the first packets, up to cap(head)
	headBytes       uint64
	atHead          seqState // the sequence state the head left, from nothing
	_               [espRangePad]byte
}

// espHeadPacket is a packet of a range's head: its frame (the top bit: it
// had no sequence number) and sequence number. Its time and length are not
// kept: the ring holds the times of the last packets, which are all that
// is kept of times, and lengths are summed.
type espHeadPacket struct {
	frame uint32
	seq   uint32
}

const headNoSeq = 1 << 31

// espRangePad rounds ESPRange up to a multiple of a cache line.
const espRangePad = 16

func (f *ESPFlow) seqState() seqState { return seqState{f.seen, f.MaxSeq, f.window} }

// step is ESPFlow.sequence, with lost kept as a function of the lost
// before (an out-of-order fill decrements it only while positive).
func (r *ESPRange) step(seq uint32, frame int) {
	step, gap := r.seq.advance(seq)
	switch step {
	case seqAhead:
		if gap > 0 {
			r.lostAdd += int64(gap)
			r.lostMin += gap
			r.gapEvents++
			if len(r.gapFrames) < maxGapFrames {
				r.gapFrames = append(r.gapFrames, frame)
			}
		}
	case seqReplay:
		r.replays++
	case seqFill:
		r.outOfOrder++
		r.lostAdd--
		if r.lostMin > 0 {
			r.lostMin--
		}
	}
}

// ESPRangeHead is the head length ranges are given in practice: twice the
// replay window, so that an in-order flow's window after its head is full
// whatever came before.
const ESPRangeHead = 2 * replayWindow

// ESPRanges makes one range's ESPRanges: the summaries and their heads are
// carved from blocks, so that a range's thousands of flows cost a few
// allocations, and memory no flow wrote is never touched (on a virtual
// machine a page first touched costs as much as reading a megabyte).
type ESPRanges struct {
	head   int
	ranges []ESPRange
	heads  []espHeadPacket
}

// ESPRangeCost is the memory one ESPRange with a head of head packets
// takes: its summary and its head, set aside at once.
func ESPRangeCost(head int) int {
	return int(unsafe.Sizeof(ESPRange{})) + max(head, 1)*int(unsafe.Sizeof(espHeadPacket{}))
}

// NewESPRanges makes ESPRanges whose heads keep head packets (at least 1).
func NewESPRanges(head int) *ESPRanges { return &ESPRanges{head: max(head, 1)} }

// Blocks carved: above the runtime's 32 KiB of small objects, so that
// they come page-aligned, and zeroed by the system rather than cleared.
const (
	espRangeBlock = 64
	espHeadBlock  = 8192
)

// New starts the range summary of the flow of a packet read by
// decode.QuickESP at time t (whose AddPacket follows).
func (a *ESPRanges) New(e *decode.ESPFields, t time.Time) *ESPRange {
	if len(a.ranges) == 0 {
		a.ranges = make([]ESPRange, espRangeBlock)
	}
	if len(a.heads) < a.head {
		a.heads = make([]espHeadPacket, max(a.head, espHeadBlock))
	}
	r := &a.ranges[0]
	a.ranges = a.ranges[1:]
	*r = ESPRange{spi: e.SPI, src: e.Src.Addr(), dst: e.Dst.Addr(), srcPort: e.Src, dstPort: e.Dst,
		udpEncapsulated: e.UDPEncapsulated, first: t, head: a.heads[:0:a.head]}
	a.heads = a.heads[a.head:]
	return r
}

// NewPacket is New for a packet Decode read (whose Add follows).
func (a *ESPRanges) NewPacket(p *decode.Packet) *ESPRange {
	return a.New(&decode.ESPFields{Src: p.Src, Dst: p.Dst, UDPEncapsulated: p.UDPEncapsulated, SPI: p.ESP.SPI}, p.Time)
}

// Is reports whether the range is of the flow of SPI spi from src to dst.
func (r *ESPRange) Is(spi uint32, src, dst netip.Addr) bool {
	return r.spi == spi && r.src == src && r.dst == dst
}

// Add takes the flow's next ESP packet in the range.
func (r *ESPRange) Add(p *decode.Packet) {
	r.AddPacket(p.Frame, p.Time.UnixNano(), p.ESP.Seq, p.ESP.NoSeq, p.Length)
}

// AddPacket is Add for the packet of the frame (below 2^31) at nanos (Unix
// time) with sequence number seq (none when noSeq) and length on the wire.
func (r *ESPRange) AddPacket(frame int, nanos int64, seq uint32, noSeq bool, length int) {
	r.recent[r.packets%recentFrames] = frameNanos{frame, nanos}
	r.packets++
	r.last, r.lastFrame = nanos, frame
	if r.bytes == 0 && r.inHead(frame, seq, noSeq, length) {
		return
	}
	r.bytes += uint64(length)
	if !noSeq {
		r.step(seq, frame)
	}
}

// inHead keeps the packet in the head, if it has room, and tells whether
// it did. The head is full for most of a flow's packets: only bytes (0
// until then, ESP has a header) tells its caller to look.
func (r *ESPRange) inHead(frame int, seq uint32, noSeq bool, length int) bool {
	if len(r.head) == cap(r.head) {
		return false
	}
	h := espHeadPacket{uint32(frame), seq}
	if noSeq {
		h.frame |= headNoSeq
	} else {
		r.step(seq, frame)
	}
	r.head = append(r.head, h)
	r.headBytes += uint64(length)
	if len(r.head) == cap(r.head) {
		// From here on the steps are the tail's.
		r.atHead = r.seq
		r.lostAdd, r.lostMin, r.gapEvents, r.replays, r.outOfOrder, r.gapFrames = 0, 0, 0, 0, 0, nil
	}
	return true
}

// Packets is the number of the flow's packets in the range.
func (r *ESPRange) Packets() uint64 { return r.packets }

// tail is the number of the flow's packets after the head.
func (r *ESPRange) tail() uint64 { return r.packets - uint64(len(r.head)) }

// AddESPRange applies a range's summary of a flow as adding its packets one
// by one would, frames numbered after the frames records before the range.
// It returns false when it cannot: the flow's anti-replay window after the
// head would not be the one the range computed (reordering across the
// ranges' boundary). The flow then exists, but none of the range's packets
// were applied to it: they are to be added again, all, with AddESPAgain.
func (c *Correlator) AddESPRange(r *ESPRange, frames int) bool {
	c.a.ESPPackets += int(r.packets)
	f := c.flow(r.spi, r.src, r.dst, 0)
	if f == nil {
		if c.nflows >= c.cfg.MaxESPFlows {
			// Every packet of a flow not tracked is counted.
			c.a.DroppedESPFlows += int(r.packets)
			return true
		}
		f = &ESPFlow{SPI: r.spi, Src: r.srcPort, Dst: r.dstPort, UDPEncapsulated: r.udpEncapsulated,
			FirstFrame: int(r.head[0].frame&^headNoSeq) + frames, First: r.first}
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
	tail := r.tail()
	if tail > 0 {
		w := f.seqState()
		for _, h := range r.head {
			if h.frame&headNoSeq == 0 {
				w.advance(h.seq)
			}
		}
		if w != r.atHead {
			return false
		}
	}
	for _, h := range r.head {
		f.Packets++
		if h.frame&headNoSeq == 0 {
			f.sequence(h.seq, int(h.frame)+frames)
		}
	}
	f.Bytes += r.headBytes
	// In the first packet's location, as a packet's time would be.
	f.Last = time.Unix(0, r.last).In(r.first.Location())
	f.LastFrame = r.lastFrame + frames
	n := int(min(r.packets, recentFrames))
	// The ring turns once per packet: the range's packets before its last
	// n were written and overwritten.
	f.next = int((uint64(f.next) + r.packets - uint64(n)) % recentFrames)
	for i := range n {
		e := r.recent[(r.packets-uint64(n)+uint64(i))%recentFrames]
		e.frame += frames
		f.recent[f.next] = e
		f.next = (f.next + 1) % recentFrames
	}
	if tail == 0 {
		return true
	}
	f.Packets += tail
	f.Bytes += r.bytes
	f.seen, f.MaxSeq, f.window = r.seq.seen, r.seq.max, r.seq.window
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

// AddESPAgain adds one ESP packet of a flow whose range AddESPRange could
// not apply, read again: as Add would, but for the counts and times of the
// analysis, which AddESPRange and SeeTimes took.
func (c *Correlator) AddESPAgain(p *decode.Packet) { c.addESP(p) }

// SPI is the flow's SPI.
func (r *ESPRange) SPI() uint32 { return r.spi }
