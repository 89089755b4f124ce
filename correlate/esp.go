package correlate

import (
	"net/netip"

	"github.com/ipsecpcap/ipsecpcap/decode"
)

// replayWindow is the width of the sequence-number window, as the
// RFC 4303 §3.4.3 receiver keeps it (64 is the minimum a receiver must keep).
const replayWindow = 64

func (c *Correlator) addESP(p *decode.Packet) {
	capture := captureOf(p)
	f := c.flow(p.ESP.SPI, p.Src.Addr(), p.Dst.Addr(), capture)
	if f == nil {
		if c.nflows >= c.cfg.MaxESPFlows {
			c.a.DroppedESPFlows++
			return
		}
		f = &ESPFlow{Capture: capture, SPI: p.ESP.SPI, Src: p.Src, Dst: p.Dst, UDPEncapsulated: p.UDPEncapsulated,
			FirstFrame: p.Frame, First: p.Time}
		if c.flowsPerSPI(p.ESP.SPI) < maxFlowsPerSPI {
			f.sameSPI = c.flows[p.ESP.SPI]
			c.flows[p.ESP.SPI] = f
		} else {
			c.moreFlows[flowKey{p.ESP.SPI, p.Src.Addr(), p.Dst.Addr(), capture}] = f
		}
		c.nflows++
		pp := c.pair(p.Src.Addr(), p.Dst.Addr())
		pp.ESP = append(pp.ESP, len(c.a.ESP))
		c.a.ESP = append(c.a.ESP, f)
	}
	f.LastFrame, f.Last = p.Frame, p.Time
	f.Packets++
	f.recent[f.next] = frameNanos{p.Frame, p.Time.UnixNano()}
	f.next = (f.next + 1) % recentFrames
	f.Bytes += uint64(p.Length)
	if !p.ESP.NoSeq {
		f.sequence(p.ESP.Seq, p.Frame)
		if capture != 0 {
			f.noteEarly(p)
		}
	}
}

// maxFlowsPerSPI bounds the flows of one SPI searched one by one.
const maxFlowsPerSPI = 8

// flow finds the flow of an SPI between two addresses as one capture
// point saw it (in a multi-capture run each point has its own flows).
func (c *Correlator) flow(spi uint32, src, dst netip.Addr, capture int) *ESPFlow {
	n := 0
	for f := c.flows[spi]; f != nil; f = f.sameSPI {
		if f.Src.Addr() == src && f.Dst.Addr() == dst && f.Capture == capture {
			return f
		}
		n++
	}
	if n == maxFlowsPerSPI {
		return c.moreFlows[flowKey{spi, src, dst, capture}]
	}
	return nil
}

// flowsPerSPI counts the flows of an SPI in the index (not in moreFlows).
func (c *Correlator) flowsPerSPI(spi uint32) int {
	n := 0
	for f := c.flows[spi]; f != nil; f = f.sameSPI {
		n++
	}
	return n
}

// sequence updates the sequence-number health with one packet's number,
// in constant memory: the highest number seen and a bitmap of the window
// below it.
func (f *ESPFlow) sequence(seq uint32, frame int) {
	w := f.seqState()
	step, gap := w.advance(seq)
	f.seen, f.MaxSeq, f.window = w.seen, w.max, w.window
	switch step {
	case seqAhead:
		if gap > 0 {
			f.Lost += gap
			f.GapEvents++
			if len(f.GapFrames) < maxGapFrames {
				f.GapFrames = append(f.GapFrames, frame)
			}
		}
	case seqReplay:
		f.Replays++
	case seqFill:
		f.OutOfOrder++
		if f.Lost > 0 {
			f.Lost-- // it was counted lost when the gap opened
		}
	}
}

// seqState is the RFC 4303 anti-replay window of a flow: the highest
// sequence number seen and a bitmap of the window below it. The one-pass
// flow (ESPFlow) and a range's summary (ESPRange) move it the same way.
type seqState struct {
	seen   bool
	max    uint32
	window uint64
}

// seqStep is what one sequence number was to the window.
type seqStep uint8

const (
	seqFirst  seqStep = iota // the flow's first number
	seqAhead                 // past the highest; gap numbers were skipped
	seqFill                  // fills a hole of the window (out of order)
	seqReplay                // seen before, or older than any receiver's window: it would be dropped as a replay
)

// advance moves the window by one packet's number.
func (w *seqState) advance(seq uint32) (step seqStep, gap uint64) {
	if !w.seen {
		w.seen, w.max, w.window = true, seq, 1
		return seqFirst, 0
	}
	if seq > w.max {
		diff := uint64(seq - w.max)
		if diff >= replayWindow {
			w.window = 1
		} else {
			w.window = w.window<<diff | 1
		}
		w.max = seq
		return seqAhead, diff - 1
	}
	diff := uint64(w.max - seq)
	if diff >= replayWindow || w.window&(1<<diff) != 0 {
		return seqReplay, 0
	}
	w.window |= 1 << diff
	return seqFill, 0
}
