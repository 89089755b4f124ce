package correlate

import (
	"cmp"
	"slices"
	"time"
)

// attributeESP ties each ESP flow to the child SA that carried it: exactly
// by SPI where the keys showed the SPIs; otherwise, since SPIs travel
// encrypted, the child SA of its peer pair that came up last before the
// flow's first packet (across rekeys the successor's SPIs begin as it
// comes up). A flow that began before any child SA the capture saw
// negotiated belongs to the one set up before the capture, when the pair
// has one.
func (a *Analysis) attributeESP() {
	for _, f := range a.ESP {
		f.IKESA, f.ExactLink = 0, false
	}
	for _, sa := range a.IKESAs {
		for i := range sa.Children {
			sa.Children[i].ESP = nil
		}
	}
	for _, pp := range a.Peers {
		var kids []owned
		bySPI := map[uint32]owned{}
		for _, id := range pp.IKESAs {
			sa := a.IKESAByID(id)
			if sa == nil {
				continue
			}
			for i := range sa.Children {
				o := owned{sa, &sa.Children[i]}
				if !o.ch.WasUp() {
					continue
				}
				kids = append(kids, o)
				for _, spi := range []uint32{o.ch.SPIIn, o.ch.SPIOut} {
					if spi != 0 {
						bySPI[spi] = o
					}
				}
			}
		}
		for _, fi := range pp.ESP {
			f := a.ESP[fi]
			if o, ok := bySPI[f.SPI]; ok {
				f.IKESA, f.ExactLink = o.sa.ID, true
				o.ch.ESP = append(o.ch.ESP, fi)
				continue
			}
			var best *owned
			for i := range kids {
				o := &kids[i]
				if o.ch.SPIIn != 0 || o.ch.SPIOut != 0 || o.ch.Time.After(f.First) {
					continue // known SPIs that are not this flow's, or up after it began
				}
				if best == nil || o.ch.Time.After(best.ch.Time) {
					best = o
				}
			}
			if best != nil {
				f.IKESA = best.sa.ID
				best.ch.ESP = append(best.ch.ESP, fi)
			}
		}
	}
}

// buildTunnels groups each peer pair's child SAs into tunnels: a child SA
// that replaced another is in its tunnel; a lineage's first child SA joins
// the tunnel of the same protected flows (when the keys show them; all of
// a pair's lineages are one tunnel without keys). IKE SAs that negotiated
// no child SA and ESP flows that no child SA accounts for join the pair's
// tunnel. It then finds the intervals each tunnel was up.
func (a *Analysis) buildTunnels() {
	a.Tunnels = nil
	for _, sa := range a.IKESAs {
		sa.Tunnels = nil
		for i := range sa.Children {
			sa.Children[i].Tunnel = 0
		}
	}
	for _, pp := range a.Peers {
		var kids []owned
		var sas []*IKESA
		for _, id := range pp.IKESAs {
			sa := a.IKESAByID(id)
			if sa == nil {
				continue
			}
			sas = append(sas, sa)
			for i := range sa.Children {
				kids = append(kids, owned{sa, &sa.Children[i]})
			}
		}
		slices.SortStableFunc(kids, func(x, y owned) int {
			if c := x.start().Compare(y.start()); c != 0 {
				return c
			}
			return cmp.Compare(x.ch.ID, y.ch.ID)
		})
		var pairTunnels []*Tunnel
		byKey := map[string]*Tunnel{}
		byChild := map[int]*Tunnel{}
		newTunnel := func(sel string) *Tunnel {
			t := &Tunnel{ID: len(a.Tunnels) + 1, A: pp.A, B: pp.B, Selectors: sel}
			a.Tunnels = append(a.Tunnels, t)
			pairTunnels = append(pairTunnels, t)
			if _, ok := byKey[sel]; !ok {
				byKey[sel] = t
			}
			return t
		}
		pairTunnel := func() *Tunnel {
			if t := byKey[""]; t != nil {
				return t
			}
			if len(pairTunnels) > 0 {
				return pairTunnels[0]
			}
			return newTunnel("")
		}
		for _, o := range kids {
			c := o.ch
			t := byChild[c.Replaces]
			if t == nil {
				key := ""
				if len(c.TS) > 0 {
					key = selectors(c.TS)
				}
				if t = byKey[key]; t == nil {
					t = newTunnel(key)
				}
			}
			if t.Selectors == "" && len(c.TS) > 0 {
				t.Selectors = selectors(c.TS)
				if byKey[t.Selectors] == nil {
					byKey[t.Selectors] = t
				}
			}
			byChild[c.ID] = t
			c.Tunnel = t.ID
			t.Children = append(t.Children, c.ID)
			t.ESP = append(t.ESP, c.ESP...)
			t.addSA(o.sa)
		}
		for _, sa := range sas {
			if len(sa.Tunnels) > 0 {
				continue
			}
			t := (*Tunnel)(nil)
			if prev := a.IKESAByID(sa.Replaces); prev != nil && len(prev.Tunnels) > 0 {
				t = a.TunnelByID(prev.Tunnels[0])
			}
			if t == nil {
				t = pairTunnel()
			}
			t.addSA(sa)
		}
		for _, fi := range pp.ESP {
			if a.ESP[fi].IKESA == 0 {
				t := pairTunnel()
				t.ESP = append(t.ESP, fi)
			}
		}
	}
	for _, t := range a.Tunnels {
		slices.Sort(t.ESP)
		a.upIntervals(t)
	}
}

// addSA puts an IKE SA in the tunnel, once.
func (t *Tunnel) addSA(sa *IKESA) {
	if !slices.Contains(t.IKESAs, sa.ID) {
		t.IKESAs = append(t.IKESAs, sa.ID)
	}
	if !slices.Contains(sa.Tunnels, t.ID) {
		sa.Tunnels = append(sa.Tunnels, t.ID)
	}
}

// upIntervals finds when the tunnel was up (some child SA of it up; an
// IKE SA up when no child SA is known, a capture that shows the IKE SA
// alone) and where it stands at the end.
func (a *Analysis) upIntervals(t *Tunnel) {
	var spans []Interval
	span := func(from, to time.Time, fromFrame, toFrame int, before bool) {
		iv := Interval{From: from, To: to, FromFrame: fromFrame, ToFrame: toFrame, SinceBefore: before}
		if to.IsZero() {
			iv.To, iv.ToFrame, iv.UntilEnd = a.LastTime, 0, true
		}
		if before {
			iv.From, iv.FromFrame = a.FirstTime, 0
		}
		spans = append(spans, iv)
	}
	failed, negotiating := false, false
	for _, id := range t.Children {
		_, c := a.ChildByID(id)
		switch {
		case c == nil:
		case c.WasUp():
			span(c.Time, c.End, c.Frame, c.EndFrame, c.Kind == ChildBeforeCapture)
		case c.State == StateFailed:
			failed = true
		case c.State == StateIncomplete:
			negotiating = true
		}
	}
	if len(t.Children) == 0 {
		for _, id := range t.IKESAs {
			sa := a.IKESAByID(id)
			switch {
			case sa.WasUp():
				from, frame := a.UpSince(sa)
				span(from, sa.End, frame, sa.EndFrame, sa.BeforeCapture)
			case sa.State == StateFailed:
				failed = true
			default:
				negotiating = true
			}
		}
	}
	if len(t.Children) == 0 && len(t.IKESAs) == 0 && len(t.ESP) > 0 {
		// ESP alone (its SAs negotiated before the capture or set by
		// hand): the tunnel carried traffic, so it was up all along.
		span(a.FirstTime, time.Time{}, 0, 0, true)
	}
	for _, id := range t.IKESAs {
		if sa := a.IKESAByID(id); sa.State == StateFailed {
			failed = true
		}
	}
	slices.SortFunc(spans, func(x, y Interval) int { return x.From.Compare(y.From) })
	for _, iv := range spans {
		if n := len(t.Up); n > 0 && !iv.From.After(t.Up[n-1].To) {
			last := &t.Up[n-1]
			if iv.To.After(last.To) || iv.UntilEnd {
				last.To, last.ToFrame, last.UntilEnd = iv.To, iv.ToFrame, last.UntilEnd || iv.UntilEnd
			}
			continue
		}
		t.Up = append(t.Up, iv)
	}
	switch {
	case len(t.Up) > 0 && t.Up[len(t.Up)-1].UntilEnd:
		t.State = TunnelUp
	case len(t.Up) > 0:
		t.State = TunnelDown
	case negotiating && !failed:
		t.State = TunnelNegotiating
	default:
		t.State = TunnelFailed
	}
}

// timeOf is the time of one of the SA's frames (its first transmission).
func (sa *IKESA) timeOf(frame int) time.Time {
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			for i, f := range m.Frames {
				if f == frame && i < len(m.Times) {
					return m.Times[i]
				}
			}
		}
	}
	return sa.First
}
