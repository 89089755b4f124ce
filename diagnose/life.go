package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// The rules of a tunnel's life: what failed after phase 1 (a refused
// rekey, a new child SA refused, a reauthentication that did not go
// through), when in the tunnel's life each failure happened, which failed
// attempts the peers then replaced with a working SA, and the events of a
// healthy life worth knowing (rekeys, deletes, collisions, redirects,
// cookies).

// duringOfSA says when in its tunnel's life an IKE SA's own negotiation
// happened: at the tunnel's establishment, or while an SA it was to
// replace was up (a rekey or reauthentication). A retry inherits what it
// retried.
func (s *saChains) duringOfSA(a *correlate.Analysis, sa *correlate.IKESA) string {
	// A retry fails during what the attempt it retries was for: the
	// answer of the chain's first attempt, remembered for the thousands of
	// retries of a flood.
	var retries []int
	during := DuringEstablish
	for range len(a.IKESAs) { // bounded by the chain's length
		if d, ok := s.during[sa.ID]; ok {
			during = d
			break
		}
		if sa.Link == nil {
			break
		}
		prev := a.IKESAByID(sa.Replaces)
		if prev == nil {
			break
		}
		if sa.Link.Kind == correlate.LinkRetry {
			retries = append(retries, sa.ID)
			sa = prev
			continue
		}
		switch {
		case sa.Link.Kind == correlate.LinkReauth && upAt(prev, sa):
			during = DuringReauth
		case (sa.Link.Kind == correlate.LinkRenegotiation || sa.Link.Kind == correlate.LinkRekey) && upAt(prev, sa):
			during = DuringRekey
		}
		break
	}
	s.during[sa.ID] = during
	for _, id := range retries {
		s.during[id] = during
	}
	return during
}

// upAt reports whether prev was up when sa began.
func upAt(prev, sa *correlate.IKESA) bool {
	return prev.WasUp() && (prev.End.IsZero() || !prev.End.Before(sa.First))
}

// saChains indexes, once per diagnosis, the SA that first names each SA
// as the one it replaces (ReplacedBy may name a later one: the SA a failed
// attempt's retry brought up), and remembers where each chain of failed
// retries ended: an IKE flood is thousands of failed SAs in one chain, and
// walking it from each of them is quadratic.
type saChains struct {
	next map[int]*correlate.IKESA
	// ended is the answer for a chain followed from an SA, by the
	// exchange a no-response failure stopped at ("" for other failures).
	ended map[chainKey]*correlate.IKESA
	// during is duringOfSA's answer by SA.
	during map[int]string
}

type chainKey struct {
	from   int
	notAns isakmp.ExchangeType // the exchange left unanswered, 0 when none
}

func newSAChains(a *correlate.Analysis) *saChains {
	s := &saChains{next: map[int]*correlate.IKESA{}, ended: map[chainKey]*correlate.IKESA{}, during: map[int]string{}}
	for _, sa := range a.IKESAs {
		if _, ok := s.next[sa.Replaces]; !ok && sa.Replaces != 0 {
			s.next[sa.Replaces] = sa
		}
	}
	return s
}

// supersededBy is the SA with which the peers got past a failed IKE SA's
// failure (following retries that failed too): one that came up, or a
// retry answered where this one was not. nil when none did.
func (s *saChains) supersededBy(sa *correlate.IKESA) *correlate.IKESA {
	key := chainKey{}
	if fl := sa.Failure; fl != nil && fl.Kind == correlate.FailNoResponse {
		key.notAns = sa.Exchanges[fl.Exchange].Type
	}
	var path []int
	var found *correlate.IKESA
	for cur := sa; ; {
		key.from = cur.ID
		if r, ok := s.ended[key]; ok {
			found = r
			break
		}
		path = append(path, cur.ID)
		next := s.next[cur.ID]
		if next == nil || len(path) > len(s.next) {
			break
		}
		if next.WasUp() || next.State != correlate.StateFailed && gotFurther(next, key.notAns) {
			found = next
			break
		}
		cur = next
	}
	for _, id := range path {
		key.from = id
		s.ended[key] = found
	}
	return found
}

// gotFurther reports whether a retry was answered where a failed SA's
// request, of exchange want, was not (an IKE_SA_INIT or Main Mode answered
// this time); false for a failure that was not a request left unanswered
// (want 0).
func gotFurther(next *correlate.IKESA, want isakmp.ExchangeType) bool {
	if want == 0 {
		return false
	}
	for _, ex := range next.Exchanges {
		if ex.Type != want {
			continue
		}
		for _, m := range ex.Messages {
			if m.Response && m.ErrorNotify() == nil {
				return true
			}
		}
	}
	return false
}

// afterFailure says what came of an IKE SA's failure: superseded by a
// working SA of the same peers (a warning then, not the failure point), or
// at a rekey or reauthentication, what happened to the SA that stayed up.
func afterFailure(a *correlate.Analysis, chains *saChains, sa *correlate.IKESA, f *Finding) {
	if next := chains.supersededBy(sa); next != nil {
		f.Severity = Warning
		if next.WasUp() {
			f.Summary += fmt.Sprintf("; superseded by IKE SA #%d, up at frame %s", next.ID, decode.FrameLabel(max(next.EstablishedFrame, next.FirstFrame)))
		} else {
			f.Summary += fmt.Sprintf("; the peers went on with IKE SA #%d (frame %s), which was answered", next.ID, decode.FrameLabel(next.FirstFrame))
		}
		return
	}
	if f.During != DuringRekey && f.During != DuringReauth {
		return
	}
	prev := a.IKESAByID(sa.Replaces)
	for n := 0; prev != nil && prev.State == correlate.StateFailed && n < len(a.IKESAs); n++ { // a retry of the attempt
		prev = a.IKESAByID(prev.Replaces)
	}
	if prev == nil {
		return
	}
	what := map[string]string{DuringRekey: "phase 1 negotiated again", DuringReauth: "the reauthentication"}[f.During]
	if prev.End.IsZero() {
		f.Summary += fmt.Sprintf("; this was %s of a tunnel up on IKE SA #%d, which stays up until its lifetime ends", what, prev.ID)
	} else {
		f.Summary += fmt.Sprintf("; this was %s of a tunnel up on IKE SA #%d, which ended at frame %s", what, prev.ID, decode.FrameLabel(prev.EndFrame))
	}
}

// childFailures reports the child SA negotiations that failed after phase
// 1: a refused rekey, a refused additional child SA, a Quick Mode never
// completed, and a refused rekey of the IKE SA itself. The failure of the
// IKE SA's first child SA is its own failure (ikeSA).
func childFailures(a *correlate.Analysis, sa *correlate.IKESA, base baseFunc) []Finding {
	var fs []Finding
	for i := range sa.Children {
		c := &sa.Children[i]
		if c.Failure == nil || c.Failure == sa.Failure {
			continue
		}
		f := failure(sa, c.Failure, base)
		f.Child, f.Tunnel = c.ID, c.Tunnel
		f.During = DuringEstablish
		if c.Kind == correlate.ChildRekey {
			f.During = DuringRekey
			rekeyFailure(a, sa, c, &f)
		} else {
			f.Summary = strings.Replace(f.Summary, ": ", ": "+newChildText(a, c)+": ", 1)
			pfsOnly(a, sa, c, &f)
		}
		if next := laterChild(a, c); next != nil {
			f.Severity = Warning
			f.Summary += fmt.Sprintf("; a later child SA negotiation of the tunnel succeeded (child SA #%d, frame %s)", next.ID, decode.FrameLabel(next.Frame))
		}
		fs = append(fs, f)
	}
	if fl := sa.RekeyFailure; fl != nil {
		f := failure(sa, fl, base)
		// The phase-1 code of what the peer refused: the IKE SA's proposal.
		switch f.Code {
		case P2ProposalMismatch:
			f.Code = P1ProposalMismatch
		case P2PFSMismatch:
			f.Code = P1DHGroupMismatch
		case P2NoResponse, P2Rejected, P2TSMismatch:
			f.Code = P1Rejected
		}
		f.During = DuringRekey
		f.Summary += fmt.Sprintf("; it was the rekey of IKE SA #%d (a CREATE_CHILD_SA with an IKE proposal), which stays up until its lifetime ends", sa.ID)
		fs = append(fs, f)
	}
	return fs
}

// laterChild is a child SA of the same tunnel that came up after c failed.
func laterChild(a *correlate.Analysis, c *correlate.Child) *correlate.Child {
	t := a.TunnelByID(c.Tunnel)
	if t == nil {
		return nil
	}
	for _, id := range t.Children {
		if _, x := a.ChildByID(id); x != nil && x.WasUp() && x.Time.After(c.Time) {
			return x
		}
	}
	return nil
}

// rekeyFailure adds to a refused rekey's finding what it was to replace,
// what followed, and, in IKEv2, whether the refusal is the PFS group: the
// rekey of a child SA made in IKE_AUTH is the first to carry a key
// exchange, so a PFS group one side does not accept shows only there.
func rekeyFailure(a *correlate.Analysis, sa *correlate.IKESA, c *correlate.Child, f *Finding) {
	_, old := a.ChildByID(c.Replaces)
	if old == nil {
		return
	}
	since := "before the capture"
	if old.Frame != 0 {
		since = "frame " + decode.FrameLabel(old.Frame)
	}
	at := fmt.Sprintf("at the rekey of child SA #%d (up since %s)", old.ID, since)
	if c.Link == nil || !c.Link.Certain {
		at = fmt.Sprintf("at a CREATE_CHILD_SA while child SA #%d was up (since %s; encrypted: a rekey of it or an additional child SA)", old.ID, since)
		if sa.Version == 1 {
			at = fmt.Sprintf("at a Quick Mode while child SA #%d was up (since %s; encrypted: a rekey of it or an additional child SA)", old.ID, since)
		}
	}
	f.Summary = strings.Replace(f.Summary, ": ", ": "+at+": ", 1)
	switch old.State {
	case correlate.StateExpired, correlate.StateDeleted:
		f.Summary += fmt.Sprintf("; the child SA it was to replace ended at frame %s without a successor", decode.FrameLabel(old.EndFrame))
	case correlate.StateEstablished:
		f.Summary += "; the old child SA carries the traffic until its lifetime ends, then the tunnel stops"
	}
	if sa.Version != 2 {
		return
	}
	if pfsOnly(a, sa, c, f) {
		return
	}
	if f.Code == P2Rejected && old.Kind == correlate.ChildInitial {
		f.Causes = append([]Cause{{"PFS mismatch",
			"this is the first rekey of a child SA made in IKE_AUTH, which carries no key exchange: a PFS group one side does not accept shows only now (the tunnel that drops after an hour)"}}, f.Causes...)
	}
}

// pfsOnly refines a refused IKEv2 CREATE_CHILD_SA (a rekey, or a child SA
// made again for the same flows) whose offer is the transforms a child SA
// of the tunnel was made with in IKE_AUTH, plus a PFS group: IKE_AUTH
// carries no key exchange, so only the group can be what the peer refused.
// It reports whether it did.
func pfsOnly(a *correlate.Analysis, sa *correlate.IKESA, c *correlate.Child, f *Finding) bool {
	req := messageAt(sa.Exchanges[c.Exchange], 1)
	if sa.Version != 2 || f.Code != P2ProposalMismatch || !req.Decrypted || req.PFS == 0 {
		return false
	}
	t := a.TunnelByID(c.Tunnel)
	if t == nil {
		return false
	}
	for _, id := range t.Children {
		osa, made := a.ChildByID(id)
		if made == nil || made.Kind != correlate.ChildInitial || !made.WasUp() {
			continue
		}
		accepted := acceptedSuite(osa, made)
		if accepted == nil || !offers(req, accepted) {
			continue
		}
		f.Code, f.Certainty = P2PFSMismatch, Certain
		f.Causes = append([]Cause{{"PFS group not accepted",
			fmt.Sprintf("the request offers the transforms child SA #%d was made with in IKE_AUTH (%s) and adds PFS with %s: only the key-exchange group is new, and the peer refuses it (it has no PFS, or another group); IKE_AUTH carries no key exchange, so this shows only now",
				made.ID, strings.Join(accepted, ", "), isakmp.DHGroupName(req.PFS))}}, f.Causes...)
		return true
	}
	return false
}

// newChildText says what a refused additional child SA was: for other
// flows, or the tunnel's own made again after its child SA ended.
func newChildText(a *correlate.Analysis, c *correlate.Child) string {
	if t := a.TunnelByID(c.Tunnel); t != nil {
		for _, id := range t.Children {
			if _, x := a.ChildByID(id); x != nil && x.ID != c.ID && x.WasUp() && !x.End.IsZero() && x.End.Before(c.Time) {
				return fmt.Sprintf("a new child SA for the tunnel's flows after child SA #%d ended", x.ID)
			}
		}
	}
	return "an additional child SA"
}

// acceptedSuite is the proposal (without its key exchange) the child SA
// was made with, as the responder chose it (decrypted), or nil.
func acceptedSuite(sa *correlate.IKESA, c *correlate.Child) []string {
	if c.Exchange < 0 {
		return nil
	}
	resp := messageAt(sa.Exchanges[c.Exchange], 2)
	if resp == nil || resp.Step != 2 || len(resp.Suites) == 0 {
		return nil
	}
	return resp.Suites[0]
}

// offers reports whether a request offers the suite among its proposals.
func offers(req *correlate.Message, suite []string) bool {
	for _, s := range req.Suites {
		if strings.Join(s, ",") == strings.Join(suite, ",") {
			return true
		}
	}
	return false
}

// redirected reports a REDIRECT (RFC 5685) the responder sent.
func redirected(a *correlate.Analysis, sa *correlate.IKESA, base baseFunc) []Finding {
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			if !m.Redirected || m.Dir != correlate.FromResponder {
				continue
			}
			gw := m.Redirect
			if gw == "" {
				gw = "a gateway not readable in clear"
			}
			s := fmt.Sprintf("%s answered with REDIRECT to %s (frame %s)", ex.Name(), gw, decode.FrameLabel(m.Frames[0]))
			for _, next := range a.IKESAs {
				if next.Replaces == sa.ID && next.Link != nil && next.Link.Kind == correlate.LinkRedirect {
					s += fmt.Sprintf("; the initiator went on with IKE SA #%d to %s (%s)", next.ID, next.Responder.Addr(), next.State)
				}
			}
			f := base(IKERedirected, Info, Certain, s, m.Frames[0])
			f.During = DuringEstablish
			f.Causes = []Cause{{"the gateway redirects clients", "load balancing, or a gateway going into maintenance (RFC 5685)"}}
			return []Finding{f}
		}
	}
	return nil
}

// tunnelFinding makes a finding about a tunnel: inferred, on its first
// IKE SA, its summary led by who (the peers, and perhaps the flows).
type tunnelFinding func(code string, sev Severity, during, summary string, frames ...int) Finding

func tunnelBase(t *correlate.Tunnel, who string) tunnelFinding {
	sa0 := 0
	if len(t.IKESAs) > 0 {
		sa0 = t.IKESAs[0]
	}
	return func(code string, sev Severity, during, summary string, frames ...int) Finding {
		return Finding{Code: code, Severity: sev, Certainty: Inferred, IKESA: sa0, Tunnel: t.ID, During: during,
			Summary: who + ": " + summary, Frames: frames}
	}
}

// tunnelLife reports the events of a tunnel's life: its rekeys and
// reauthentications, orderly deletes, rekey collisions, and the COOKIE
// challenges its negotiations met.
func tunnelLife(a *correlate.Analysis, t *correlate.Tunnel) []Finding {
	var fs []Finding
	who := fmt.Sprintf("%s ↔ %s", t.A, t.B)
	if t.Selectors != "" {
		who += " (" + t.Selectors + ")"
	}
	base := tunnelBase(t, who)
	var rekeys, deletes, collisions, cookies []int
	var gone []string // what was deleted or expired
	childRekeys, ikeRekeys, reauths, certain, collisionCertain := 0, 0, 0, true, true
	for _, id := range t.Children {
		_, c := a.ChildByID(id)
		if c == nil {
			continue
		}
		if c.Rekeyed() {
			childRekeys++
			rekeys = append(rekeys, c.Frame)
			certain = certain && c.Link != nil && c.Link.Certain
		}
		if c.Collision && c.WasUp() {
			collisions = append(collisions, c.Frame)
			collisionCertain = collisionCertain && c.Link != nil && c.Link.Certain
		}
		if c.State == correlate.StateDeleted && !c.Collision || c.State == correlate.StateExpired {
			deletes = append(deletes, c.EndFrame)
			what := fmt.Sprintf("child SA #%d deleted", c.ID)
			if c.State == correlate.StateExpired {
				what = fmt.Sprintf("child SA #%d expired (its rekeys were refused)", c.ID)
			}
			gone = append(gone, what+" at frame "+decode.FrameLabel(c.EndFrame))
		}
	}
	for _, id := range t.IKESAs {
		sa := a.IKESAByID(id)
		if l := sa.Link; sa.Renewed() {
			if l.Kind == correlate.LinkRekey {
				ikeRekeys++
				rekeys = append(rekeys, l.Frame)
			} else {
				reauths++
				rekeys = append(rekeys, max(sa.EstablishedFrame, l.Frame))
			}
			certain = certain && l.Certain
		}
		if !sa.End.IsZero() && sa.ReplacedBy == 0 && sa.RekeyedAt < 0 && sa.WasUp() {
			deletes = append(deletes, sa.EndFrame)
			gone = append(gone, fmt.Sprintf("IKE SA #%d deleted at frame %s", sa.ID, decode.FrameLabel(sa.EndFrame)))
		}
		for _, ex := range sa.Exchanges {
			for _, m := range ex.Messages {
				if ex.Type == isakmp.ExchangeIKESAInit && m.Response && m.HasNotify(isakmp.NotifyV2Cookie) {
					cookies = append(cookies, m.Frames[0])
				}
			}
		}
	}
	if len(rekeys) > 0 {
		var parts []string
		for _, p := range []struct {
			n    int
			what string
		}{{childRekeys, "child SA rekey"}, {ikeRekeys, "IKE SA rekey"}, {reauths, "reauthentication"}} {
			if p.n == 1 {
				parts = append(parts, "1 "+p.what)
			} else if p.n > 1 {
				parts = append(parts, fmt.Sprintf("%d %ss", p.n, p.what))
			}
		}
		f := base(SARekeyed, Info, DuringRekey, strings.Join(parts, ", ")+", each taking over from the SA it replaced", sortedFrames(rekeys)...)
		if certain {
			f.Certainty = Certain
		} else {
			f.Summary += " (read from timing: the keys would tell a rekey from an additional child SA for sure)"
		}
		fs = append(fs, f)
	}
	if len(deletes) > 0 {
		f := base(SADeleted, Info, DuringTraffic, strings.Join(gone, ", ")+" (not as part of a rekey)", sortedFrames(deletes)...)
		fs = append(fs, f)
	}
	if len(collisions) >= 2 {
		f := base(RekeyCollision, Info, DuringRekey, collisionSummary(a, t), sortedFrames(collisions)...)
		if collisionCertain {
			f.Certainty = Certain // REKEY_SA names the same child SA, the deletes which one went
		}
		f.Causes = []Cause{{"both peers rekey at the same moment", "the same lifetime and no random jitter on both sides: each starts a rekey before it sees the other's"}}
		fs = append(fs, f)
	}
	if len(cookies) > 0 {
		f := base(CookieChallenge, Info, DuringEstablish, fmt.Sprintf("%d IKE_SA_INIT answered with a COOKIE: the responder asked the initiator to prove its address before keeping state (under load or in DoS-protection mode)", len(cookies)), sortedFrames(cookies)...)
		f.Certainty = Certain
		f.Causes = []Cause{{"the responder is under load or protects itself", "RFC 7296 §2.6: a responder with many half-open IKE SAs answers IKE_SA_INIT with a COOKIE first"}}
		fs = append(fs, f)
	}
	return fs
}

// collisionSummary says which child SAs collided and which one was kept.
func collisionSummary(a *correlate.Analysis, t *correlate.Tunnel) string {
	var parts []string
	for _, id := range t.Children {
		_, c := a.ChildByID(id)
		if c == nil || !c.Collision || !c.WasUp() {
			continue
		}
		_, old := a.ChildByID(c.Replaces)
		kept := "not kept"
		if old != nil && old.ReplacedBy == c.ID {
			kept = "kept"
		}
		by := "initiator"
		if c.By == correlate.FromResponder {
			by = "responder"
		}
		parts = append(parts, fmt.Sprintf("child SA #%d by the IKE SA's %s (frame %s, %s)", c.ID, by, decode.FrameLabel(c.Frame), kept))
	}
	s := "both peers rekeyed the same child SA at once: " + strings.Join(parts, ", ")
	return s
}

// sortedFrames sorts evidence frames and drops zeros and repeats.
func sortedFrames(fs []int) []int {
	var out []int
	for _, f := range fs {
		if f != 0 {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// maxMergedFrames bounds the evidence frames a merged finding lists.
const maxMergedFrames = 16

// mergeRepeats folds a failure repeated in one tunnel (the same code at
// the same moment of its life: a refused rekey retried, a renegotiation
// retried every few seconds until the end) into its first finding, which
// says how often it happened: one failure, not a page of them.
func mergeRepeats(fs []Finding) []Finding {
	type key struct {
		code, during string
		sev          Severity
		tunnel       int
	}
	first := map[key]int{}
	repeats := map[int][]Finding{}
	out := fs[:0]
	for _, f := range fs {
		if f.Tunnel == 0 || !strings.HasPrefix(f.Code, "P1_") && !strings.HasPrefix(f.Code, "P2_") {
			out = append(out, f)
			continue
		}
		k := key{f.Code, f.During, f.Severity, f.Tunnel}
		if i, ok := first[k]; ok {
			repeats[i] = append(repeats[i], f)
			continue
		}
		first[k] = len(out)
		out = append(out, f)
	}
	for i, rs := range repeats {
		f := &out[i]
		var where []string
		for _, r := range rs {
			if len(r.Frames) > 0 {
				where = append(where, decode.FrameLabel(r.Frames[0]))
				if len(f.Frames) < maxMergedFrames {
					f.Frames = append(f.Frames, r.Frames[0])
				}
			}
			for _, l := range r.Logs {
				if !slices.Contains(f.Logs, l) {
					f.Logs = append(f.Logs, l)
				}
			}
		}
		f.Summary += fmt.Sprintf("; the same again %d more times (frames %s)", len(rs), strings.Join(where, ", "))
	}
	return out
}
