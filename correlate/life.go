package correlate

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// The life pass reads the life of the tunnels from the evaluated SAs, at
// each snapshot, in four steps:
//
//  1. links between IKE SAs (linkIKESAs): which SA replaced which, how
//     (rekey, reauthentication, restart, retry, redirect) and how surely;
//  2. child SAs (resolveChildren): which negotiation was a rekey of which
//     child SA, a new child SA or a refused attempt, the child SAs set up
//     before the capture, when each ended and how;
//  3. ESP flows to child SAs (attributeESP): exactly by SPI where the keys
//     showed the SPIs, else by peer pair and time;
//  4. tunnels (buildTunnels): a peer pair and its protected flows, the
//     lineage of its child SAs, and the intervals it was up.
//
// Everything here reads the placed exchanges and the flows' spans, so it
// does not depend on the order packets were added in.
func (a *Analysis) life() {
	byPair := a.pairSAs()
	a.linkIKESAs(byPair)
	a.resolveChildren(byPair)
	a.attributeESP()
	a.buildTunnels()
}

// Windows of time that tie events together when only timing tells.
const (
	// breakWindow: a reauthentication that deletes the old IKE SA first
	// (break-before-make) starts the new one within this time.
	breakWindow = 10 * time.Second
	// redirectWindow: how soon after a REDIRECT the initiator turns to
	// the new gateway.
	redirectWindow = 30 * time.Second
	// collisionWindow: two rekeys of one child SA started this close
	// together by the two peers collided.
	collisionWindow = 3 * time.Second
	// rekeyDeleteWindow: a delete this soon after a rekey retires the
	// SA the rekey replaced.
	rekeyDeleteWindow = 5 * time.Second
)

// pairSAs lists each peer pair's IKE SAs in the order they began.
func (a *Analysis) pairSAs() map[*PeerPair][]*IKESA {
	out := make(map[*PeerPair][]*IKESA, len(a.Peers))
	for _, pp := range a.Peers {
		sas := make([]*IKESA, 0, len(pp.IKESAs))
		for _, id := range pp.IKESAs {
			if sa := a.IKESAByID(id); sa != nil {
				sas = append(sas, sa)
			}
		}
		slices.SortStableFunc(sas, func(x, y *IKESA) int {
			if c := x.First.Compare(y.First); c != 0 {
				return c
			}
			return cmp.Compare(x.ID, y.ID)
		})
		out[pp] = sas
	}
	return out
}

// firstExchangeTime is when an exchange's first message was sent.
func (e *Exchange) firstTime() time.Time {
	t := e.Messages[0].Times[0]
	for _, m := range e.Messages[1:] {
		if m.Times[0].Before(t) {
			t = m.Times[0]
		}
	}
	return t
}

// UpSince is when an IKE SA came up, as far as the capture shows: its
// establishment, the rekey exchange that made it (an IKEv2 IKE SA rekey's
// successor begins before its first message), else its first message.
func (a *Analysis) UpSince(sa *IKESA) (time.Time, int) {
	if sa.EstablishedFrame != 0 {
		return sa.timeOf(sa.EstablishedFrame), sa.EstablishedFrame
	}
	if prev := a.IKESAByID(sa.Replaces); prev != nil && sa.Link != nil && sa.Link.Kind == LinkRekey && prev.RekeyedAt >= 0 {
		m := prev.Exchanges[prev.RekeyedAt].last()
		return m.Times[0], m.Frames[0]
	}
	return sa.First, sa.FirstFrame
}

// WasUp reports whether the SA was up at some point of the capture.
func (sa *IKESA) WasUp() bool {
	switch sa.State {
	case StateEstablished, StateDeleted, StateRekeyed:
		return true
	}
	return false
}

// Renewed reports whether the SA came up renewing the one it replaces:
// an IKE SA rekey, a reauthentication or an IKEv1 renegotiation (not a
// restart, retry or redirect). It is what the tunnel's rekey count counts.
func (sa *IKESA) Renewed() bool {
	if sa.Link == nil || !sa.WasUp() {
		return false
	}
	switch sa.Link.Kind {
	case LinkRekey, LinkReauth, LinkRenegotiation:
		return true
	}
	return false
}

// ikeDelete is when the SA was deleted: a delete of the IKE SA in clear or
// decrypted (certain); without keys, an IKEv2 INFORMATIONAL whose first
// payload is a Delete and after which the SA carries nothing more
// (inferred). Zero when neither.
func (sa *IKESA) ikeDelete() (t time.Time, frame int, certain bool) {
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			for _, d := range m.Deletes {
				if d.IKE() {
					return m.Times[0], m.Frames[0], true
				}
			}
		}
	}
	if sa.Version != 2 || len(sa.Exchanges) == 0 {
		return time.Time{}, 0, false
	}
	n := len(sa.Exchanges) - 1
	req := sa.Exchanges[n].encryptedDelete()
	if req == nil {
		return time.Time{}, 0, false
	}
	// Right after a CREATE_CHILD_SA it retires what that replaced: the
	// IKE SA only if that rekeyed the IKE SA.
	for i := n - 1; i >= 0; i-- {
		prev := sa.Exchanges[i]
		if prev.Type != isakmp.ExchangeCreateChildSA {
			continue
		}
		if resp := prev.step(2); resp != nil && req.Times[0].Sub(resp.Times[0]) <= rekeyDeleteWindow && i != sa.RekeyedAt {
			return time.Time{}, 0, false
		}
		break
	}
	return req.Times[0], req.Frames[0], false
}

// encryptedDelete is the request of an IKEv2 INFORMATIONAL whose first
// payload is a Delete, when it was not decrypted (what it deletes is not
// known), else nil.
func (ex *Exchange) encryptedDelete() *Message {
	req := ex.step(1)
	if ex.Type != isakmp.ExchangeInformational || req == nil || req.Decrypted || req.FirstInner != isakmp.PayloadV2Delete {
		return nil
	}
	return req
}

// linkIKESAs finds each IKE SA's predecessor.
func (a *Analysis) linkIKESAs(byPair map[*PeerPair][]*IKESA) {
	// An IKEv2 IKE SA rekey names the new SPIs in its proposal (keys).
	bySPI := map[isakmp.SPI]*IKESA{}
	for _, sa := range a.IKESAs {
		if sa.Version == 2 {
			bySPI[sa.InitiatorSPI] = sa
		}
	}
	for _, sa := range a.IKESAs {
		if sa.Version != 2 {
			continue
		}
		for i, ex := range sa.Exchanges {
			if ex.Type != isakmp.ExchangeCreateChildSA {
				continue
			}
			req := ex.step(1)
			if req == nil || req.NewIKESPI.IsZero() {
				continue
			}
			sa.ikeRekeys = append(sa.ikeRekeys, i)
			if ch := sa.childOf(i); ch == nil || !ch.WasUp() {
				if ch != nil && ch.Failure != nil && sa.RekeyFailure == nil {
					sa.RekeyFailure = ch.Failure
				}
				continue
			}
			sa.RekeyedAt = i
			if next := bySPI[req.NewIKESPI]; next != nil && next != sa && next.Replaces == 0 && !next.First.Before(sa.First) {
				link(sa, next, &Link{Kind: LinkRekey, Certain: true, Frame: req.Frames[0],
					Why: "the CREATE_CHILD_SA's proposal is for the IKE SA, with the new SPIs"})
			}
		}
	}
	for _, pp := range a.Peers {
		sas := byPair[pp]
		// IKE SA rekeys first: what ended an SA tells whether a fresh
		// negotiation replaced it.
		for _, s := range sas {
			if s.Replaces != 0 || !s.BeforeCapture {
				continue
			}
			if p, i := rekeyedInto(sas, s); p != nil {
				p.RekeyedAt = i
				p.ikeRekeys = append(p.ikeRekeys, i)
				req := p.Exchanges[i].step(1)
				link(p, s, &Link{Kind: LinkRekey, Frame: req.Frames[0],
					Why: "new SPIs begin without IKE_SA_INIT after this CREATE_CHILD_SA, and the old IKE SA carries nothing after it but a delete"})
			}
		}
		// In time order, so that the SA a fresh one follows is found by
		// looking back from it, not through every SA of the pair (an IKE
		// flood is thousands).
		// Only a failed attempt or an SA that came up can be followed: the
		// half-open SAs of a flood are skipped without a look.
		byFirst := slices.Clone(sas)
		slices.SortStableFunc(byFirst, func(p, q *IKESA) int { return p.First.Compare(q.First) })
		fw := newFollowable(byFirst)
		for i, s := range byFirst {
			if s.Replaces == 0 && !s.BeforeCapture {
				a.linkFresh(byFirst, fw, i)
			}
		}
	}
	a.linkRedirects()
	for _, sa := range a.IKESAs {
		sa.ended(a.IKESAByID(sa.ReplacedBy))
	}
}

// followable finds, among a peer pair's SAs in time order, the ones a
// fresh negotiation may follow: a failed attempt or an SA that came up,
// not yet replaced nor rekeyed. An SA replaced stays replaced, so it is
// skipped for good (path compression, as in union-find): the thousands of
// half-open or chained attempts of a flood cost each negotiation a step or
// two, not a look at every SA before it.
type followable struct {
	sas  []*IKESA
	next []int // next[j+1]: where to look below j (itself when j may do)
}

func newFollowable(sas []*IKESA) *followable {
	fw := &followable{sas: sas, next: make([]int, len(sas)+1)}
	for j := range fw.next {
		fw.next[j] = j
	}
	return fw
}

// below is the index of the latest SA before i that may be followed, -1
// when none.
func (fw *followable) below(i int) int {
	j := i // fw.next is 1-based: next[j] is about sas[j-1]
	for j > 0 {
		if r := fw.next[j]; r != j {
			fw.next[j] = fw.next[r] // compress
			j = r
			continue
		}
		p := fw.sas[j-1]
		if (p.State == StateFailed || p.WasUp()) && p.ReplacedBy == 0 && p.RekeyedAt < 0 {
			return j - 1
		}
		fw.next[j] = j - 1 // never again: what was replaced stays replaced
		j--
	}
	return -1
}

// childOf is the child SA negotiation of exchange i, or nil.
func (sa *IKESA) childOf(i int) *Child {
	for j := range sa.Children {
		if sa.Children[j].Exchange == i {
			return &sa.Children[j]
		}
	}
	return nil
}

// link records that next replaced prev. An attempt that failed is linked
// to the SA it tried to replace, which it does not replace; a failed
// attempt is replaced by the next one, failed or not.
func link(prev, next *IKESA, l *Link) {
	if prev.Replaces == next.ID {
		return // never a cycle (a rekey naming its predecessor's SPIs)
	}
	next.Replaces, next.Link = prev.ID, l
	if prev.ReplacedBy == 0 && (next.WasUp() || !prev.WasUp()) {
		prev.ReplacedBy = next.ID
	}
	if l.Kind == LinkRekey {
		next.BeforeCapture = false
	}
}

// rekeyedInto finds the IKEv2 SA of the pair that was rekeyed into s, an
// SA that begins without IKE_SA_INIT: the latest successful
// CREATE_CHILD_SA before s begins, in an SA that carries nothing after it
// but informational exchanges (its delete), not known to be a child SA.
func rekeyedInto(sas []*IKESA, s *IKESA) (*IKESA, int) {
	var best *IKESA
	bestAt, bestTime := -1, time.Time{}
	for _, p := range sas {
		if p == s || p.Version != 2 || p.ReplacedBy != 0 || p.RekeyedAt >= 0 || !p.First.Before(s.First) {
			continue
		}
		for i := len(p.Exchanges) - 1; i >= 0; i-- {
			ex := p.Exchanges[i]
			if ex.Type == isakmp.ExchangeInformational { // a delete may follow the rekey
				continue
			}
			if ex.Type != isakmp.ExchangeCreateChildSA {
				break
			}
			req, resp := ex.step(1), ex.step(2)
			if req == nil || resp == nil || resp.ErrorNotify() != nil || errorOnly(resp) ||
				req.RekeySPI != 0 || len(req.ChildSPIs) > 0 || ex.firstTime().After(s.First) {
				break
			}
			if best == nil || ex.firstTime().After(bestTime) {
				best, bestAt, bestTime = p, i, ex.firstTime()
			}
			break
		}
	}
	return best, bestAt
}

// linkFresh finds what a new negotiation (IKE_SA_INIT, Main or Aggressive
// Mode) between the same peers replaced or retried: the failed attempt
// just before it, or the SA that was up when it began. sas are the peer
// pair's SAs in time order, s = sas[at].
func (a *Analysis) linkFresh(sas []*IKESA, fw *followable, at int) {
	s := sas[at]
	var prev *IKESA
	for j := fw.below(at); j >= 0 && prev == nil; j = fw.below(j) { // the latest before s
		p := sas[j]
		if p.Version != s.Version || !p.First.Before(s.First) {
			continue
		}
		if p.State == StateFailed || p.WasUp() && p.aliveAt(s.First) {
			prev = p
		}
	}
	if prev == nil || prev.WasUp() && !s.WasUp() && s.State != StateFailed {
		// A negotiation the capture saw no end of (abandoned, or cut off)
		// replaced nothing yet.
		return
	}
	first := s.firstOf()
	if prev.State == StateFailed {
		why := "a new attempt between the same peers after the failed one"
		if prev.Failure != nil && prev.Failure.Notify != nil {
			why = "a new attempt after " + prev.Failure.Notify.Name
		}
		if s.Initiator.Addr() != prev.Initiator.Addr() {
			why += ", from the other peer"
		}
		link(prev, s, &Link{Kind: LinkRetry, Frame: first, Why: why})
		// A failed reauthentication retried with success replaces, in the
		// end, the SA the first attempt tried to replace.
		for q, n := prev, 0; s.WasUp() && q.Replaces != 0 && q.State == StateFailed && n < len(sas); n++ {
			up := a.IKESAByID(q.Replaces)
			if up == nil || up.ReplacedBy != 0 {
				break
			}
			if up.WasUp() {
				up.ReplacedBy = s.ID
				break
			}
			q = up
		}
		return
	}
	kind, certain, why := LinkReauth, false, "a new IKE_SA_INIT between the same peers while the IKE SA was up"
	if s.Version == 1 {
		kind, why = LinkRenegotiation, "a new phase 1 between the same peers while the ISAKMP SA was up"
	}
	del, _, delCertain := prev.ikeDelete()
	switch {
	case !del.IsZero() && del.Before(s.First):
		// The old SA deleted first (break-before-make): its replacement
		// says INITIAL_CONTACT, having no SA left with the peer.
		certain, why = delCertain, "the IKE SA deleted, then a new IKE_SA_INIT between the same peers at once (break-before-make)"
		if s.Version == 1 {
			why = "the ISAKMP SA deleted, then a new phase 1 between the same peers at once"
		}
	case s.initialContact():
		kind, certain, why = LinkRestart, true, "INITIAL_CONTACT: the peer kept no SA from before"
	case s.State == StateFailed:
		why = "an attempt to " + map[LinkKind]string{LinkReauth: "reauthenticate", LinkRenegotiation: "negotiate phase 1 again"}[kind] + " while the SA was up"
	case del.IsZero() && s.Version == 2:
		kind, why = LinkRestart, "a new IKE SA, and no delete of the one that was up"
	case !del.IsZero():
		certain = delCertain
		why += ", then deleted"
	}
	link(prev, s, &Link{Kind: kind, Certain: certain, Frame: first, Why: why})
}

// aliveAt reports whether an established SA was still up at t: not
// deleted or silent for good well before it.
func (sa *IKESA) aliveAt(t time.Time) bool {
	if del, _, _ := sa.ikeDelete(); !del.IsZero() {
		return !del.Before(t.Add(-breakWindow))
	}
	return true
}

// initialContact reports whether the SA's authentication carried
// INITIAL_CONTACT (decrypted).
func (sa *IKESA) initialContact() bool {
	for _, ex := range sa.Exchanges {
		if ex.Phase != 1 {
			continue
		}
		for _, m := range ex.Messages {
			if m.InitialContact {
				return true
			}
		}
	}
	return false
}

// firstOf is the first frame of the SA's first exchange.
func (sa *IKESA) firstOf() int {
	if len(sa.Exchanges) == 0 {
		return sa.FirstFrame
	}
	return sa.Exchanges[0].First()
}

// linkRedirects ties an IKEv2 SA that a REDIRECT sent elsewhere to the
// initiator's next SA with the gateway it named (another peer pair).
func (a *Analysis) linkRedirects() {
	for _, p := range a.IKESAs {
		gw, frame, ok := p.redirect()
		if !ok || p.ReplacedBy != 0 {
			continue
		}
		for _, s := range a.IKESAs {
			if s == p || s.Version != 2 || s.Replaces != 0 || s.Initiator.Addr() != p.Initiator.Addr() ||
				!s.First.After(p.First) || s.First.Sub(p.Last) > redirectWindow || !s.redirectedFrom() {
				continue
			}
			if addr, err := netip.ParseAddr(gw); err == nil && addr != s.Responder.Addr() {
				continue // an FQDN may resolve to any address
			}
			link(p, s, &Link{Kind: LinkRedirect, Certain: true, Frame: frame, Why: "REDIRECT to " + orUnknown(gw)})
			break
		}
	}
}

// redirect is the gateway a REDIRECT from the responder named, and its frame.
func (sa *IKESA) redirect() (gw string, frame int, ok bool) {
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			if m.Redirected && m.Dir == FromResponder {
				return m.Redirect, m.Frames[0], true
			}
		}
	}
	return "", 0, false
}

// redirectedFrom reports whether the SA's IKE_SA_INIT says it follows a
// redirect (REDIRECTED_FROM).
func (sa *IKESA) redirectedFrom() bool {
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			if m.Redirected && m.Dir == FromInitiator {
				return true
			}
		}
	}
	return false
}

func orUnknown(s string) string {
	if s == "" {
		return "a gateway not named in clear"
	}
	return s
}

// ended sets when an SA ended and its final state: replaced (rekeyed; not
// after a restart, where it was lost rather than replaced), deleted, or
// up. next is its successor, or nil.
func (sa *IKESA) ended(next *IKESA) {
	del, frame, _ := sa.ikeDelete()
	if !del.IsZero() {
		sa.End, sa.EndFrame = del, frame
	}
	if sa.ReplacedBy == 0 && sa.RekeyedAt < 0 {
		return
	}
	if sa.WasUp() && (next == nil || next.Link == nil || next.Link.Kind != LinkRestart) {
		sa.State = StateRekeyed
	}
	switch {
	case !sa.End.IsZero():
	case sa.RekeyedAt >= 0:
		// Without its delete: it ended with the rekey that replaced it.
		m := sa.Exchanges[sa.RekeyedAt].last()
		sa.End, sa.EndFrame = m.Times[0], m.Frames[0]
	case next != nil:
		// Replaced without a delete (a restart): it lived until its
		// successor's negotiation began.
		sa.End, sa.EndFrame = next.First, next.FirstFrame
	}
}
