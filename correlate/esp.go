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
	if !f.seen {
		f.seen, f.MaxSeq, f.window = true, seq, 1
		return
	}
	if seq > f.MaxSeq {
		diff := uint64(seq - f.MaxSeq)
		if diff > 1 {
			f.Lost += diff - 1
			f.GapEvents++
			if len(f.GapFrames) < maxGapFrames {
				f.GapFrames = append(f.GapFrames, frame)
			}
		}
		if diff >= replayWindow {
			f.window = 1
		} else {
			f.window = f.window<<diff | 1
		}
		f.MaxSeq = seq
		return
	}
	diff := uint64(f.MaxSeq - seq)
	switch {
	case diff >= replayWindow:
		// Older than any receiver's window: it would be dropped as a
		// replay; whether it is one cannot be told any more.
		f.Replays++
	case f.window&(1<<diff) != 0:
		f.Replays++
	default:
		f.window |= 1 << diff
		f.OutOfOrder++
		if f.Lost > 0 {
			f.Lost-- // it was counted lost when the gap opened
		}
	}
}
