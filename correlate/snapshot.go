package correlate

import (
	"slices"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Snapshot returns an independent copy of the analysis so far, with the
// state of every SA evaluated and ESP flows linked to the IKE SAs that most
// probably negotiated them. The correlator goes on unaffected, so a view
// can call it at any moment while packets are still being added.
//
// In a run over several captures, every time in the snapshot is on the
// first capture's clock (see CaptureClock).
//
// The IKE messages waiting in the reorder window are taken first (see
// reorder.go): a snapshot shows everything added so far.
func (c *Correlator) Snapshot() *Analysis { return c.snapshot(true) }

// Final returns the analysis as Snapshot does, but made of the
// correlator's own state instead of a copy of it: once a run is over
// nobody needs the copy, and on a large capture it is megabytes of
// allocation (and, on some virtual machines, thousands of costly page
// faults). The correlator must not be used after Final.
func (c *Correlator) Final() *Analysis { return c.snapshot(false) }

func (c *Correlator) snapshot(copied bool) *Analysis {
	c.flush()
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
	a.life()
	a.retries()
	return &a
}

// retries sets Continues and ContinuedBy, the links of an IKEv2 SA refused
// with INVALID_KE_PAYLOAD to the retry under a new SPI (most daemons keep
// the SPI for the retry, some do not): the retry links of the life pass,
// as the documents have named them since before it.
func (a *Analysis) retries() {
	for _, next := range a.IKESAs {
		next.Continues, next.ContinuedBy = 0, 0
	}
	for _, next := range a.IKESAs {
		old := a.IKESAByID(next.Replaces)
		if old == nil || next.Link == nil || next.Link.Kind != LinkRetry || old.Version != 2 ||
			old.Failure == nil || old.Failure.Notify == nil || old.Failure.Notify.Type != isakmp.NotifyV2InvalidKEPayload {
			continue
		}
		old.ContinuedBy, next.Continues = next.ID, old.ID
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
			mc.Suites, mc.Deletes = slices.Clone(m.Suites), slices.Clone(m.Deletes)
			e.Messages[j] = &mc
		}
		cp.Exchanges[i] = &e
	}
	cp.Phase1Proposals = slices.Clone(sa.Phase1Proposals)
	cp.Phase1Chosen = slices.Clone(sa.Phase1Chosen)
	cp.Phase1ChosenTransforms = slices.Clone(sa.Phase1ChosenTransforms)
	cp.Phase1OfferedTransforms = slices.Clone(sa.Phase1OfferedTransforms)
	cp.ICMPErrors = slices.Clone(sa.ICMPErrors)
	cp.DeleteFrames = slices.Clone(sa.DeleteFrames)
	cp.NATD.Frames = slices.Clone(sa.NATD.Frames)
	cp.Points = slices.Clone(sa.Points)
	return &cp
}
