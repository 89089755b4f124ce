package correlate

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// resolveChildren decides what each child SA negotiation was (a rekey of
// which child SA, a new child SA, an attempt that failed), adds the child
// SAs set up before the capture where a lineage must have begun before it,
// numbers them, and finds when each ended.
func (a *Analysis) resolveChildren(byPair map[*PeerPair][]*IKESA) {
	for _, sa := range a.IKESAs {
		// Exchanges that rekeyed (or tried to rekey) the IKE SA itself
		// made no child SA.
		sa.Children = slices.DeleteFunc(sa.Children, func(c Child) bool { return slices.Contains(sa.ikeRekeys, c.Exchange) })
	}
	for _, pp := range a.Peers {
		a.beforeCapture(pp, byPair[pp])
	}
	id := 0
	a.children = map[int][2]int{}
	for si, sa := range a.IKESAs {
		for i := range sa.Children {
			id++
			sa.Children[i].ID = id
			a.children[id] = [2]int{si, i}
		}
	}
	for _, pp := range a.Peers {
		lineage(byPair[pp])
	}
}

// owned is a child SA with the IKE SA that negotiated it.
type owned struct {
	sa *IKESA
	ch *Child
}

// start is when the child SA's negotiation began (the capture's start for
// one set up before it).
func (o owned) start() time.Time {
	if o.ch.Exchange < 0 {
		return time.Time{}
	}
	return o.sa.Exchanges[o.ch.Exchange].firstTime()
}

// request is the first message of the child SA's negotiation, or nil.
func (o owned) request() *Message {
	if o.ch.Exchange < 0 {
		return nil
	}
	return o.sa.Exchanges[o.ch.Exchange].step(1)
}

// WasUp reports whether the child SA was up at some point.
func (c *Child) WasUp() bool {
	switch c.State {
	case StateEstablished, StateRekeyed, StateDeleted, StateExpired:
		return true
	}
	return false
}

// Rekeyed reports whether the child SA came up as the rekey of another:
// what the tunnel's rekey count counts.
func (c *Child) Rekeyed() bool { return c.Kind == ChildRekey && c.WasUp() }

// beforeCapture adds the child SA that was up before the capture began
// to the pair's first SA set up before it, when the capture shows one:
// ESP before any child SA it saw negotiated, or a child SA negotiation
// in that SA before any other (a rekey of what the capture did not see).
func (a *Analysis) beforeCapture(pp *PeerPair, sas []*IKESA) {
	var host *IKESA
	for _, sa := range sas {
		if sa.BeforeCapture {
			host = sa
			break
		}
	}
	if host == nil {
		return
	}
	var firstUp, firstNeg time.Time
	var firstNegSA *IKESA
	for _, sa := range sas {
		for i := range sa.Children {
			ch := &sa.Children[i]
			t := owned{sa, ch}.start()
			if firstNeg.IsZero() || t.Before(firstNeg) {
				firstNeg, firstNegSA = t, sa
			}
			if ch.WasUp() && (firstUp.IsZero() || ch.Time.Before(firstUp)) {
				firstUp = ch.Time
			}
		}
	}
	// host's negotiations are never its first (that was before the
	// capture): if one comes first in the pair, it most likely rekeys what
	// the capture did not see negotiated.
	need := firstNegSA == host
	for _, fi := range pp.ESP {
		if f := a.ESP[fi]; firstUp.IsZero() || f.First.Before(firstUp) {
			need = true
		}
	}
	if !need {
		return
	}
	b := Child{Exchange: -1, Kind: ChildBeforeCapture, State: StateEstablished, Time: a.FirstTime}
	host.Children = append([]Child{b}, host.Children...)
}

// lineage walks a pair's child SA negotiations in time order, with the
// child SAs up at each moment, and decides for each what it replaced.
func lineage(sas []*IKESA) {
	var all []owned
	byID := map[int]owned{}
	for _, sa := range sas {
		for i := range sa.Children {
			o := owned{sa, &sa.Children[i]}
			all = append(all, o)
			byID[o.ch.ID] = o
		}
	}
	slices.SortStableFunc(all, func(x, y owned) int {
		if c := x.start().Compare(y.start()); c != 0 {
			return c
		}
		return cmp.Compare(x.ch.ID, y.ch.ID)
	})
	var live []owned   // up, not replaced, in the order they came up
	var rekeys []owned // the rekeys so far
	drop := func(id int) {
		live = slices.DeleteFunc(live, func(o owned) bool { return o.ch.ID == id })
	}
	for _, o := range all {
		c := o.ch
		switch c.Kind {
		case ChildBeforeCapture:
		case ChildInitial:
			// A reauthentication or restart: the new IKE SA's first child
			// SA replaces the old IKE SA's child SAs for the same flows.
			if l := o.sa.Link; l != nil && c.WasUp() && (l.Kind == LinkReauth || l.Kind == LinkRestart || l.Kind == LinkRenegotiation) {
				for _, old := range slices.Clone(live) {
					if rekeyLineage(sas, old.sa, o.sa.Replaces) && sameFlows(old.ch, c) {
						replaced(old.ch, c, &Link{Kind: l.Kind, Certain: l.Certain, Frame: c.Frame, Why: "the new IKE SA's child SA takes over: " + l.Why})
						drop(old.ch.ID)
					}
				}
			}
		default:
			target, l := classify(o, live, all)
			if target == nil || l == nil || !l.Certain {
				// Started by the other peer while its rekey was in flight:
				// both rekey the same child SA (a collision).
				if r, ok := inFlight(rekeys, o); ok {
					old := byID[r.ch.Replaces]
					target, l = &old, &Link{Kind: LinkRekey, Frame: l.Frame, Why: "started by the other peer while its rekey of the same child SA was in flight (encrypted)"}
				}
			}
			if target == nil {
				c.Kind = ChildNew
				c.Link = l
				break
			}
			c.Kind, c.Replaces, c.Link = ChildRekey, target.ch.ID, l
			rekeys = append(rekeys, o)
			if !c.WasUp() {
				break // a refused rekey: the old child SA stays
			}
			if r, ok := byID[target.ch.ReplacedBy]; ok && r.ch.By != c.By && r.start().Sub(o.start()).Abs() <= collisionWindow {
				r.ch.Collision, c.Collision = true, true
				break // which one was kept is decided by the deletes (collisions)
			}
			if target.ch.ReplacedBy == 0 {
				replaced(target.ch, c, nil)
				drop(target.ch.ID)
			}
		}
		if c.WasUp() && (c.Kind != ChildRekey || c.Replaces != 0) {
			live = append(live, o)
		}
	}
	ends(sas, all, byID)
}

// inFlight finds a rekey by the other peer that o began while it was in
// flight (before it came up, within collisionWindow).
func inFlight(rekeys []owned, o owned) (owned, bool) {
	for i := len(rekeys) - 1; i >= 0; i-- {
		r := rekeys[i]
		if r.ch.By != o.ch.By && r.ch.Replaces != 0 && r.ch.WasUp() && o.start().Before(r.ch.Time) &&
			r.start().Sub(o.start()).Abs() <= collisionWindow {
			return r, true
		}
	}
	return owned{}, false
}

// replaced records that next replaced old (l: how, when next does not
// already say it).
func replaced(old, next *Child, l *Link) {
	old.ReplacedBy = next.ID
	if l != nil {
		next.Replaces, next.Link = old.ID, l
	}
}

// classify finds the child SA a negotiation rekeys, or nil for a new one,
// and how that is known: with keys, REKEY_SA (IKEv2) or the same protected
// flows (IKEv1 Quick Mode IDs); without, a child SA of the pair up at the
// time is what a further negotiation most likely rekeys.
func classify(o owned, live, all []owned) (*owned, *Link) {
	req := o.request()
	frame := 0
	if req != nil {
		frame = req.Frames[0]
	}
	if req != nil && req.Decrypted {
		if o.sa.Version == 2 {
			if req.RekeySPI == 0 {
				return nil, &Link{Certain: true, Frame: frame, Why: "no REKEY_SA: an additional child SA"}
			}
			for _, x := range all {
				if x.ch != o.ch && (x.ch.SPIIn == req.RekeySPI || x.ch.SPIOut == req.RekeySPI) {
					return &x, &Link{Kind: LinkRekey, Certain: true, Frame: frame, Why: "REKEY_SA names its SPI"}
				}
			}
			if len(live) > 0 {
				return &live[0], &Link{Kind: LinkRekey, Frame: frame, Why: "REKEY_SA names an SPI not seen negotiated: the child SA up before"}
			}
			return nil, &Link{Certain: true, Frame: frame, Why: "REKEY_SA names a child SA the capture did not see"}
		}
		if len(o.ch.TS) > 0 {
			for i := range live {
				if sameFlows(live[i].ch, o.ch) {
					return &live[i], &Link{Kind: LinkRekey, Certain: true, Frame: frame, Why: "a Quick Mode for the same protected flows"}
				}
			}
			return nil, &Link{Certain: true, Frame: frame, Why: "a Quick Mode for other protected flows"}
		}
	}
	for i := range live {
		if live[i].sa.Version == o.sa.Version && live[i].ch.WasUp() && !live[i].ch.Time.After(o.start()) {
			return &live[i], &Link{Kind: LinkRekey, Frame: frame, Why: "a further child SA negotiation while this one was up (encrypted: a rekey or an additional child SA)"}
		}
	}
	return nil, &Link{Frame: frame, Why: "no child SA was up"}
}

// sameFlows reports whether two child SAs protect the same flows, or
// either's are not known.
func sameFlows(x, y *Child) bool {
	if len(x.TS) == 0 || len(y.TS) == 0 {
		return true
	}
	return selectors(x.TS) == selectors(y.TS)
}

// selectors writes protected flows in a form that does not depend on who
// proposed them: the two sides' selectors, each side sorted, the sides in
// order, as people write them (198.19.1.0/24 rather than the range).
func selectors(ts []string) string {
	var left, right []string
	for _, t := range ts {
		name, sel, _ := strings.Cut(t, " ")
		sel = compactFlow(sel)
		switch name {
		case "TSi", "IDci":
			left = append(left, sel)
		default:
			right = append(right, sel)
		}
	}
	slices.Sort(left)
	slices.Sort(right)
	l, r := strings.Join(left, ", "), strings.Join(right, ", ")
	if r < l {
		l, r = r, l
	}
	return l + " ⇄ " + r
}

// ends finds when each child SA of a pair ended, and how: replaced by its
// rekey, deleted (a delete naming its SPIs; without keys, the delete that
// follows a rekey, or the one that ends the IKE SA), or expired (deleted
// after its rekeys were refused). Rekey collisions are settled here: the
// child SA its creator deleted was the redundant one.
func ends(sas []*IKESA, all []owned, byID map[int]owned) {
	bySPI := map[uint32]owned{}
	for _, o := range all {
		for _, spi := range []uint32{o.ch.SPIIn, o.ch.SPIOut} {
			if spi != 0 {
				bySPI[spi] = o
			}
		}
	}
	end := func(c *Child, t time.Time, frame int) {
		if c.WasUp() && (c.End.IsZero() || t.Before(c.End)) {
			c.End, c.EndFrame = t, frame
			if c.State == StateEstablished {
				c.State = StateDeleted
			}
		}
	}
	for _, sa := range sas {
		for _, ex := range sa.Exchanges {
			for _, m := range ex.Messages {
				for _, d := range m.Deletes {
					for _, spi := range d.SPIs {
						if o, ok := bySPI[spi]; ok {
							end(o.ch, m.Times[0], m.Frames[0])
						}
					}
				}
			}
		}
	}
	settleCollisions(all, byID)
	// Without keys: a delete right after a rekey retires the child SA it
	// replaced; an IKEv2 IKE SA that ends with a delete and no rekey takes
	// its child SAs along.
	for _, o := range all {
		c := o.ch
		if c.Kind == ChildRekey && c.WasUp() && c.Replaces != 0 {
			if old, ok := byID[c.Replaces]; ok && old.ch.End.IsZero() {
				if t, f := deleteAfter(o.sa, c.Time); f != 0 {
					end(old.ch, t, f)
				}
			}
		}
	}
	for _, sa := range sas {
		if sa.Version != 2 || sa.End.IsZero() || sa.RekeyedAt >= 0 {
			continue // a rekeyed IKE SA's child SAs live on in the new one
		}
		for _, o := range all {
			if c := o.ch; c.End.IsZero() && c.ReplacedBy == 0 && rekeyLineage(sas, o.sa, sa.ID) {
				end(c, sa.End, sa.EndFrame)
			}
		}
	}
	for _, o := range all {
		c := o.ch
		if c.ReplacedBy != 0 && c.WasUp() {
			c.State = StateRekeyed
			if c.End.IsZero() {
				if next, ok := byID[c.ReplacedBy]; ok {
					c.End, c.EndFrame = next.ch.Time, next.ch.Frame
				}
			}
		}
	}
	for _, o := range all {
		// A child SA whose rekeys were refused and that then ended: its
		// lifetime ran out.
		if c := o.ch; c.Kind == ChildRekey && !c.WasUp() && c.Replaces != 0 {
			if old, ok := byID[c.Replaces]; ok && old.ch.State == StateDeleted && old.ch.ReplacedBy == 0 {
				old.ch.State = StateExpired
			}
		}
	}
}

// deleteAfter finds, without keys, the IKEv2 delete that follows t in an
// SA within rekeyDeleteWindow: an INFORMATIONAL whose first payload is a
// Delete.
func deleteAfter(sa *IKESA, t time.Time) (time.Time, int) {
	for _, ex := range sa.Exchanges {
		req := ex.encryptedDelete()
		if req == nil {
			continue
		}
		if d := req.Times[0].Sub(t); d >= 0 && d <= rekeyDeleteWindow {
			return req.Times[0], req.Frames[0]
		}
	}
	return time.Time{}, 0
}

// rekeyLineage reports whether x is the SA with ID id, or an SA that an
// IKEv2 IKE SA rekey (or a chain of them) turned into it: x's child SAs
// are then id's.
func rekeyLineage(sas []*IKESA, x *IKESA, id int) bool {
	for range len(sas) + 1 { // bounded: a chain cannot be longer than the SAs
		if x.ID == id {
			return true
		}
		if x.ReplacedBy == 0 || x.RekeyedAt < 0 {
			return false
		}
		next := x.ReplacedBy
		x = nil
		for _, s := range sas {
			if s.ID == next {
				x = s
				break
			}
		}
		if x == nil {
			return false
		}
	}
	return false
}

// settleCollisions decides which of two colliding rekeys was kept: the one
// whose SPIs were not deleted (keys); without keys the first one, since the
// deletes are encrypted.
func settleCollisions(all []owned, byID map[int]owned) {
	for _, o := range all {
		c := o.ch
		if !c.Collision || c.Replaces == 0 {
			continue
		}
		old, ok := byID[c.Replaces]
		if !ok {
			continue
		}
		if old.ch.ReplacedBy == 0 {
			old.ch.ReplacedBy = c.ID
		}
		kept, ok := byID[old.ch.ReplacedBy]
		if !ok || kept.ch == c {
			continue
		}
		// Two rekeys of old: kept so far, and c. The redundant one is
		// deleted right away; the one kept lives on (until its own rekey).
		if !kept.ch.End.IsZero() && (c.End.IsZero() || kept.ch.End.Before(c.End)) {
			old.ch.ReplacedBy = c.ID
		}
	}
}

// compactFlow writes a traffic selector as Message.TS holds it ("start-end
// proto P port a-b", "any" where unrestricted) the short way: a range that
// is a prefix as the prefix, "proto any" and "port any" left out.
func compactFlow(sel string) string {
	f := strings.Fields(sel)
	if len(f) == 0 {
		return sel
	}
	if lo, hi, ok := strings.Cut(f[0], "-"); ok {
		if p, ok := rangePrefix(lo, hi); ok {
			f[0] = p
		}
	}
	out := f[:1]
	for i := 1; i+1 < len(f); i += 2 {
		if f[i+1] != "any" {
			out = append(out, f[i], f[i+1])
		}
	}
	return strings.Join(out, " ")
}

// rangePrefix is the prefix that covers exactly the addresses lo to hi.
func rangePrefix(lo, hi string) (string, bool) {
	a, err1 := netip.ParseAddr(lo)
	b, err2 := netip.ParseAddr(hi)
	if err1 != nil || err2 != nil || a.BitLen() != b.BitLen() {
		return "", false
	}
	if a == b {
		return a.String(), true
	}
	for bits := a.BitLen(); bits >= 0; bits-- {
		p := netip.PrefixFrom(a, bits).Masked()
		if p.Addr() != a {
			continue
		}
		last := lastAddr(p)
		if last == b {
			return p.String(), true
		}
		if b.Less(last) {
			return "", false
		}
	}
	return "", false
}

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
