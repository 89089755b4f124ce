package correlate

import (
	"slices"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
)

// Clocks of capture points differ: two gateways' captures are rarely in
// sync to the millisecond, often not to the second. The offset is
// estimated from what both points saw (the same IKE message, the same ESP
// sequence number of the same SPI), like NTP does: the time difference in
// one direction is offset + path delay, in the other offset − delay, so
// their mean is the offset when both directions were seen.

// clockSample is one packet seen at two points: its time at the other
// point minus its time at the reference point, and which way it went.
type clockSample struct {
	delta   time.Duration
	forward bool // from the lower to the higher address of its pair, as the reference point saw it
}

// maxClockFlowsPerSPI bounds the flows of one SPI compared for the clock
// estimate: a real SPI has one flow per capture point and direction.
const maxClockFlowsPerSPI = 8

// estimateClocks fills in each capture's offset against capture 1.
func (a *Analysis) estimateClocks() {
	if len(a.Captures) < 2 {
		return
	}
	samples := make(map[int][]clockSample) // by capture
	for _, sa := range a.IKESAs {
		for _, ex := range sa.Exchanges {
			for _, m := range ex.Messages {
				ref, ok := m.FirstSeenAt(1)
				if !ok {
					continue
				}
				fwd := m.Src.Addr().Less(m.Dst.Addr())
				for k := 2; k <= len(a.Captures); k++ {
					if s, ok := m.FirstSeenAt(k); ok {
						samples[k] = append(samples[k], clockSample{s.Time.Sub(ref.Time), fwd})
					}
				}
			}
		}
	}
	// ESP: the same SPI and sequence number at two points.
	bySPI := map[uint32][]*ESPFlow{}
	for _, f := range a.ESP {
		bySPI[f.SPI] = append(bySPI[f.SPI], f)
	}
	for _, flows := range bySPI {
		if len(flows) > maxClockFlowsPerSPI {
			continue // an SPI shared by many flows says nothing reliable about clocks
		}
		for _, ref := range flows {
			if ref.Capture != 1 {
				continue
			}
			fwd := ref.Src.Addr().Less(ref.Dst.Addr())
			for _, o := range flows {
				if o.Capture < 2 {
					continue
				}
				for _, r := range ref.early {
					for _, x := range o.early {
						if x.seq == r.seq {
							samples[o.Capture] = append(samples[o.Capture], clockSample{x.t.Sub(r.t), fwd})
							break
						}
					}
				}
			}
		}
	}
	for k, ss := range samples {
		cc := &a.Captures[k-1]
		cc.Offset, cc.PathDelay = offsetOf(ss)
		cc.Samples = len(ss)
	}
}

// offsetOf is the offset (and one-way delay) the samples support: the
// mean of the medians of both directions, or the one direction's median.
func offsetOf(ss []clockSample) (offset, delay time.Duration) {
	var fwd, back []time.Duration
	for _, s := range ss {
		if s.forward {
			fwd = append(fwd, s.delta)
		} else {
			back = append(back, s.delta)
		}
	}
	switch {
	case len(fwd) > 0 && len(back) > 0:
		f, b := median(fwd), median(back)
		d := (f - b) / 2
		if d < 0 {
			d = -d
		}
		return (f + b) / 2, d
	case len(fwd) > 0:
		return median(fwd), 0
	default:
		return median(back), 0
	}
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// firstClock returns the function that puts a time of capture k on the
// first capture's clock, and moves the analysis' span onto it.
func (a *Analysis) firstClock() func(k int, t time.Time) time.Time {
	clock := func(k int, t time.Time) time.Time {
		if k < 2 || k > len(a.Captures) || t.IsZero() {
			return t
		}
		return t.Add(-a.Captures[k-1].Offset)
	}
	if len(a.Captures) < 2 {
		return clock
	}
	var first, last time.Time
	for i := range a.Captures {
		cc := &a.Captures[i]
		cc.First, cc.Last = clock(cc.Capture, cc.First), clock(cc.Capture, cc.Last)
		if !cc.First.IsZero() && (first.IsZero() || cc.First.Before(first)) {
			first = cc.First
		}
		if cc.Last.After(last) {
			last = cc.Last
		}
	}
	a.FirstTime, a.LastTime = first, last
	return clock
}

// onFirstClock moves a cloned SA's times onto the first capture's clock.
func (sa *IKESA) onFirstClock(clock func(int, time.Time) time.Time) {
	if len(sa.Points) == 0 {
		return
	}
	origin := sa.Points[0].Capture
	sa.First, sa.Last = clock(origin, sa.First), clock(origin, sa.Last)
	for i := range sa.Points {
		pt := &sa.Points[i]
		pt.First, pt.Last = clock(pt.Capture, pt.First), clock(pt.Capture, pt.Last)
	}
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			k, _ := decode.SplitFrame(m.Frames[0])
			for i := range m.Times {
				m.Times[i] = clock(k, m.Times[i])
			}
			for i := range m.Seen {
				m.Seen[i].Time = clock(m.Seen[i].Capture, m.Seen[i].Time)
			}
		}
	}
}
