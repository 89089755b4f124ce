package correlate

import (
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// replayWindow is the width of the sequence-number window, as the
// RFC 4303 §3.4.3 receiver keeps it (64 is the minimum a receiver must keep).
const replayWindow = 64

func (c *Correlator) addESP(p *decode.Packet) {
	k := flowKey{p.ESP.SPI, p.Src.Addr(), p.Dst.Addr(), captureOf(p)}
	f := c.recentFlow(k)
	if f == nil {
		if len(c.flows) >= c.cfg.MaxESPFlows {
			c.a.DroppedESPFlows++
			return
		}
		f = &ESPFlow{Capture: k.capture, SPI: p.ESP.SPI, Src: p.Src, Dst: p.Dst, UDPEncapsulated: p.UDPEncapsulated,
			FirstFrame: p.Frame, First: p.Time}
		c.flows[k] = f
		c.flowCache[c.flowCacheNext] = cachedFlow{k, f}
		c.flowCacheNext ^= 1
		pp := c.pair(p.Src.Addr(), p.Dst.Addr())
		pp.ESP = append(pp.ESP, len(c.a.ESP))
		c.a.ESP = append(c.a.ESP, f)
	}
	f.LastFrame, f.Last = p.Frame, p.Time
	f.Packets++
	if len(f.Recent) < recentFrames {
		f.Recent = append(f.Recent, FrameTime{p.Frame, p.Time})
	} else {
		f.Recent[f.next] = FrameTime{p.Frame, p.Time}
		f.next = (f.next + 1) % recentFrames
	}
	f.Bytes += uint64(p.Length)
	if !p.ESP.NoSeq {
		f.sequence(p.ESP.Seq, p.Frame)
		if k.capture != 0 {
			f.noteEarly(p)
		}
	}
}

// cachedFlow is a flow recently looked up: consecutive ESP packets are
// mostly the two directions of one tunnel, and comparing a key is cheaper
// than hashing it for the map.
type cachedFlow struct {
	key  flowKey
	flow *ESPFlow
}

// recentFlow finds a flow through the two-entry cache, then the map.
func (c *Correlator) recentFlow(k flowKey) *ESPFlow {
	for i := range c.flowCache {
		if e := &c.flowCache[i]; e.flow != nil && e.key == k {
			return e.flow
		}
	}
	f := c.flows[k]
	if f != nil {
		c.flowCache[c.flowCacheNext] = cachedFlow{k, f}
		c.flowCacheNext ^= 1
	}
	return f
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
