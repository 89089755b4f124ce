package correlate

import (
	"slices"
	"time"
)

// Snapshot returns an independent copy of the analysis so far, with the
// state of every SA evaluated and ESP flows linked to the IKE SAs that most
// probably negotiated them. The correlator goes on unaffected, so a view
// can call it at any moment while packets are still being added.
//
// In a run over several captures, every time in the snapshot is on the
// first capture's clock (see CaptureClock).
func (c *Correlator) Snapshot() *Analysis { return c.snapshot(true) }

// Final returns the analysis as Snapshot does, but made of the
// correlator's own state instead of a copy of it: once a run is over
// nobody needs the copy, and on a large capture it is megabytes of
// allocation (and, on some virtual machines, thousands of costly page
// faults). The correlator must not be used after Final.
func (c *Correlator) Final() *Analysis { return c.snapshot(false) }

func (c *Correlator) snapshot(copied bool) *Analysis {
	a := c.a // counters and times
	a.Captures = slices.Clone(c.a.Captures)
	a.estimateClocks() // from the correlator's own state, read only
	clock := a.firstClock()
	if copied {
		a.IKESAs = make([]*IKESA, len(c.a.IKESAs))
	}
	for i, sa := range c.a.IKESAs {
		if copied {
			sa = sa.clone()
			a.IKESAs[i] = sa
		}
		sa.onFirstClock(clock)
		sa.evaluate(a.LastTime)
	}
	if copied {
		a.ESP = make([]*ESPFlow, len(c.a.ESP))
	}
	for i, f := range c.a.ESP {
		cp := f
		if copied {
			cp = new(ESPFlow)
			*cp = *f
			cp.GapFrames = slices.Clone(f.GapFrames)
			a.ESP[i] = cp
		}
		cp.early, cp.sameSPI = nil, nil
		cp.clockShift = clock(f.Capture, f.Last).Sub(f.Last)
		cp.First, cp.Last = clock(f.Capture, f.First), clock(f.Capture, f.Last)
	}
	if copied {
		a.Peers = make([]*PeerPair, len(c.a.Peers))
		for i, pp := range c.a.Peers {
			cp := *pp
			cp.IKESAs, cp.ESP, cp.Aliases = slices.Clone(pp.IKESAs), slices.Clone(pp.ESP), slices.Clone(pp.Aliases)
			a.Peers[i] = &cp
		}
	}
	if !copied {
		// As the copies are: empty, not nil (the JSON says [] either way).
		if a.IKESAs == nil {
			a.IKESAs = []*IKESA{}
		}
		if a.ESP == nil {
			a.ESP = []*ESPFlow{}
		}
		if a.Peers == nil {
			a.Peers = []*PeerPair{}
		}
	}
	a.linkESP()
	a.linkRestarts()
	return &a
}

// restartWindow is how soon after a refused IKE_SA_INIT a new one from the
// same initiator counts as its retry.
const restartWindow = 30 * time.Second

// linkRestarts ties an IKEv2 SA refused with INVALID_KE_PAYLOAD to the new
// SA (new SPI) the initiator started right after: most daemons keep the
// SPI for the retry, some do not.
func (a *Analysis) linkRestarts() {
	for _, pp := range a.Peers {
		for i, id := range pp.IKESAs {
			old := a.IKESAByID(id)
			if old.Version != 2 || old.Failure == nil || old.Failure.Notify == nil || old.Failure.Notify.Type != 17 {
				continue
			}
			for _, nid := range pp.IKESAs[i+1:] {
				next := a.IKESAByID(nid)
				if next.Version == 2 && next.Continues == 0 && next.Initiator.Addr() == old.Initiator.Addr() &&
					next.First.Sub(old.Last) >= 0 && next.First.Sub(old.Last) < restartWindow {
					old.ContinuedBy, next.Continues = next.ID, old.ID
					break
				}
			}
		}
	}
}

func (sa *IKESA) clone() *IKESA {
	cp := *sa
	cp.Exchanges = make([]*Exchange, len(sa.Exchanges))
	for i, ex := range sa.Exchanges {
		e := *ex
		e.Messages = make([]*Message, len(ex.Messages))
		for j, m := range ex.Messages {
			mc := *m
			mc.Frames, mc.Times, mc.Notifies = slices.Clone(m.Frames), slices.Clone(m.Times), slices.Clone(m.Notifies)
			mc.IDs, mc.TS, mc.ChildSPIs = slices.Clone(m.IDs), slices.Clone(m.TS), slices.Clone(m.ChildSPIs)
			mc.Proposals, mc.Seen = slices.Clone(m.Proposals), slices.Clone(m.Seen)
			e.Messages[j] = &mc
		}
		cp.Exchanges[i] = &e
	}
	cp.Phase1Proposals = slices.Clone(sa.Phase1Proposals)
	cp.Phase1Chosen = slices.Clone(sa.Phase1Chosen)
	cp.Phase1ChosenTransforms = slices.Clone(sa.Phase1ChosenTransforms)
	cp.ICMPErrors = slices.Clone(sa.ICMPErrors)
	cp.DeleteFrames = slices.Clone(sa.DeleteFrames)
	cp.NATD.Frames = slices.Clone(sa.NATD.Frames)
	cp.Points = slices.Clone(sa.Points)
	return &cp
}

// linkESP ties each ESP flow to the child SA of its peer pair that was
// completed last before the flow's first packet. SPIs travel encrypted, so
// without keys this is the best evidence: peer pair and time.
func (a *Analysis) linkESP() {
	for _, pp := range a.Peers {
		// With keys the SPIs are known: link exactly by SPI.
		bySPI := map[uint32]*Child{}
		saOf := map[*Child]int{}
		for _, id := range pp.IKESAs {
			sa := a.IKESAByID(id)
			for ci := range sa.Children {
				ch := &sa.Children[ci]
				for _, m := range sa.Exchanges[ch.Exchange].Messages {
					for _, spi := range m.ChildSPIs {
						bySPI[spi], saOf[ch] = ch, id
					}
				}
			}
		}
		for _, fi := range pp.ESP {
			f := a.ESP[fi]
			if ch, ok := bySPI[f.SPI]; ok {
				f.IKESA, f.ExactLink = saOf[ch], true
				ch.ESP = append(ch.ESP, fi)
				continue
			}
			var best *Child
			bestSA := 0
			for _, id := range pp.IKESAs {
				sa := a.IKESAByID(id)
				for ci := range sa.Children {
					ch := &sa.Children[ci]
					if ch.State == StateEstablished && ch.Frame < f.FirstFrame && (best == nil || ch.Frame > best.Frame) {
						best, bestSA = ch, id
					}
				}
			}
			if best != nil {
				f.IKESA = bestSA
				best.ESP = append(best.ESP, fi)
			}
		}
	}
}
