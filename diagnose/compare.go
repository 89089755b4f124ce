package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// A failure's comparison: what each side offered, sent or expected, next
// to each other, as the troubleshooting guide ends every step ("compare the
// two gateways' transform sets, PFS groups, protected flows"). What the
// capture cannot show (encrypted without keys, a responder's
// configuration) is named, with what would show it.

// Comparison sets each side's values of one setting next to each other.
type Comparison struct {
	// Subject is the setting compared: "phase-1 proposals", "child SA
	// proposals", "traffic selectors".
	Subject string `json:"subject"`
	Sides   []Side `json:"sides"`
	// Differs says where the sides differ, when the capture tells.
	Differs string `json:"differs,omitempty"`
	// Needs says what a fuller comparison needs (keys, the gateways' logs).
	Needs string `json:"needs,omitempty"`
}

// Side is one side's values.
type Side struct {
	Who    string   `json:"who"`  // "initiator 198.18.1.1"
	Role   string   `json:"role"` // "offered", "chose", "refused", "proposed", "answered"
	Values []string `json:"values,omitempty"`
	// Differ are the indexes of the values where this side and the other
	// part ways (views mark them).
	Differ []int `json:"differ,omitempty"`
}

// DiffMark is the mark views put before a value where the sides differ.
const DiffMark = "≠ "

// Marked returns the side's values with DiffMark before those where the
// sides differ: one rendering for every view.
func (s Side) Marked() []string {
	out := make([]string, len(s.Values))
	for i, v := range s.Values {
		if slices.Contains(s.Differ, i) {
			v = DiffMark + v
		}
		out[i] = v
	}
	return out
}

// compare builds the comparison of an IKE SA's failure, nil when the
// failure is not about settings the peers disagree on.
func compare(a *correlate.Analysis, sa *correlate.IKESA, f *Finding) *Comparison {
	ini := "initiator " + sa.Initiator.Addr().String()
	res := "responder " + sa.Responder.Addr().String()
	switch f.Code {
	case P1ProposalMismatch, P1DHGroupMismatch:
		return comparePhase1(a, sa, f, ini, res)
	case P2ProposalMismatch, P2PFSMismatch, P2TSMismatch, P2Rejected, P2NoResponse:
		return compareChild(a, sa, f, ini, res)
	case P1AuthFailed:
		return compareIdentities(a, sa, f, ini, res)
	}
	return nil
}

// comparePhase1 sets the offered phase-1 proposals next to the answer and
// to the responder's configured ones when its log names them.
func comparePhase1(a *correlate.Analysis, sa *correlate.IKESA, f *Finding, ini, res string) *Comparison {
	c := &Comparison{Subject: "phase-1 proposals"}
	var offered []string
	for _, p := range sa.Phase1Proposals {
		offered = append(offered, strings.Join(p, ", "))
	}
	c.Sides = append(c.Sides, Side{Who: ini, Role: "offered", Values: offered})
	fl := sa.Failure
	switch {
	case len(sa.Phase1Chosen) > 0:
		c.Sides = append(c.Sides, Side{Who: res, Role: "chose", Values: []string{strings.Join(sa.Phase1Chosen, ", ")}})
	case fl != nil && fl.Notify != nil:
		r := Side{Who: res, Role: "refused: " + fl.Notify.Name}
		if fl.Notify.Detail != "" {
			r.Values = []string{fl.Notify.Detail}
		}
		c.Sides = append(c.Sides, r)
	}
	if f.Code == P1DHGroupMismatch && fl != nil && fl.Notify != nil && fl.Notify.Detail != "" {
		c.Differs = "the key-exchange group: the responder wants " + fl.Notify.Detail
	}
	logged := false
	var quiet *gatewayLog
	for _, g := range gatewayLogs(a, sa, 0) {
		if g.role != "responder" {
			continue
		}
		configured := g.proposals(true)
		side := Side{Who: g.who(sa), Role: "configured", Values: append(slices.Clone(configured), g.matched()...)}
		if len(side.Values) == 0 {
			quiet = g
			continue
		}
		logged = true
		if d, oi, ci := proposalDiff(offered, configured); d != "" {
			c.Sides[0].Differ = append(c.Sides[0].Differ, oi)
			side.Differ = []int{ci}
			if c.Differs == "" {
				c.Differs = d
			}
		}
		c.Sides = append(c.Sides, side)
	}
	switch {
	case !logged && quiet != nil:
		c.Needs = quiet.silent(sa, "configured proposals")
	case !logged:
		c.Needs = "the responder's configured proposals are not on the wire: its log (--log) names what it expected"
	}
	return c
}

// compareChild sets the failed child SA negotiation's request and answer
// next to each other: proposals (with the PFS group) and traffic
// selectors, and next to them what the answering gateway's log says it
// was configured with.
func compareChild(a *correlate.Analysis, sa *correlate.IKESA, f *Finding, ini, res string) *Comparison {
	ex := failedExchange(sa, f)
	if ex == nil {
		return nil
	}
	var req, resp *correlate.Message
	for _, m := range ex.Messages {
		if !m.Response && req == nil {
			req = m
		}
		if m.Response && resp == nil {
			resp = m
		}
	}
	if req == nil {
		return nil
	}
	asker, answerer, answererRole := ini, res, "responder"
	if req.Dir == correlate.FromResponder {
		asker, answerer, answererRole = res, ini, "initiator"
	}
	subject := "child SA proposals"
	if f.Code == P2TSMismatch {
		subject = "traffic selectors"
	}
	c := &Comparison{Subject: subject}
	proposed := Side{Who: asker, Role: "proposed"}
	var offered []string
	if subject == "traffic selectors" {
		proposed.Values = slices.Clone(req.TS)
	} else {
		for _, p := range req.Proposals {
			offered = append(offered, strings.Join(p, ", "))
		}
		proposed.Values = slices.Clone(offered)
		if req.PFS != 0 {
			proposed.Values = append(proposed.Values, "PFS "+isakmp.DHGroupName(req.PFS))
		}
		proposed.Values = append(proposed.Values, req.TS...)
	}
	c.Sides = append(c.Sides, proposed)
	fl := sa.Failure
	switch {
	case resp == nil && fl != nil && fl.Answer != nil && f.Code != P2NoResponse:
		role := fmt.Sprintf("refused in an encrypted Informational (frame %s)", decode.FrameLabel(fl.Answer.Frames[0]))
		for _, n := range fl.Answer.Notifies {
			if n.Error {
				role = "refused: " + n.Name
			}
		}
		c.Sides = append(c.Sides, Side{Who: answerer, Role: role})
	case resp == nil:
		c.Sides = append(c.Sides, Side{Who: answerer, Role: "did not answer"})
	case fl != nil && fl.Notify != nil && fl.Exchange < len(sa.Exchanges) && ex == sa.Exchanges[fl.Exchange]:
		c.Sides = append(c.Sides, Side{Who: answerer, Role: "refused: " + fl.Notify.Name})
	default:
		answer := Side{Who: answerer, Role: "answered"}
		if resp.Encrypted && !resp.Decrypted {
			answer.Role = "answered, encrypted"
		}
		for _, p := range resp.Proposals {
			answer.Values = append(answer.Values, strings.Join(p, ", "))
		}
		answer.Values = append(answer.Values, resp.TS...)
		for _, n := range resp.Notifies {
			if n.Error {
				answer.Role = "refused: " + n.Name
			}
		}
		c.Sides = append(c.Sides, answer)
	}
	logged, fromLog := false, false
	var quiet *gatewayLog
	upTo := 0
	if resp != nil {
		upTo = resp.Frames[len(resp.Frames)-1]
	}
	logs := gatewayLogs(a, sa, upTo)
	if len(offered) == 0 && subject != "traffic selectors" {
		// Encrypted without keys: the answering gateway's log says what
		// it received.
		for _, g := range logs {
			if rp := g.received(false); g.role == answererRole && len(rp) > 0 {
				offered, fromLog = slices.Clone(rp), true
				c.Sides[0].Role = fmt.Sprintf("proposed, as %s received them", g.who(sa))
				c.Sides[0].Values = append(slices.Clone(rp), c.Sides[0].Values...)
				break
			}
		}
	}
	if len(req.TS) == 0 && subject == "traffic selectors" {
		// Encrypted without keys: the selectors the answering gateway's
		// log says it received (local === remote, as it reads them) stand
		// for the request's.
		for _, g := range logs {
			if s := g.last["received traffic selectors"]; g.role == answererRole && s != nil && len(s.Values) == 2 {
				i, r := "TSi ", "TSr "
				if sa.Version == 1 {
					i, r = "IDci ", "IDcr "
				}
				logged := *req
				logged.TS = []string{i + s.Values[1], r + s.Values[0]}
				req, fromLog = &logged, true
				c.Sides[0].Role = fmt.Sprintf("proposed, as %s received them", g.who(sa))
				c.Sides[0].Values = append(slices.Clone(logged.TS), c.Sides[0].Values...)
				break
			}
		}
	}
	for _, g := range logs {
		if g.role != answererRole {
			continue
		}
		var side Side
		if subject == "traffic selectors" {
			side = flowSide(g, sa, req, &c.Sides[0], &c.Differs)
		} else {
			side = proposalSide(g, sa, ex, req, offered, &c.Sides[0], &c.Differs)
		}
		if len(side.Values) == 0 {
			quiet = g
			continue
		}
		logged = true
		c.Sides = append(c.Sides, side)
	}
	switch {
	case req.Encrypted && !req.Decrypted && fromLog && subject == "traffic selectors":
		c.Needs = "the request is encrypted: its selectors are as the answering gateway's log read them; the keys (--keys, or a charon log at level 4) show them on the wire"
	case req.Encrypted && !req.Decrypted && fromLog:
		c.Needs = "the traffic selectors are encrypted: the keys (--keys, or a charon log at level 4) show them"
	case req.Encrypted && !req.Decrypted:
		c.Needs = "the proposals and traffic selectors are encrypted: the keys (--keys, or a charon log at level 4) or the gateways' logs (--log) show them"
	case !logged && quiet != nil:
		c.Needs = quiet.silent(sa, subject)
	case !logged:
		c.Needs = fmt.Sprintf("what %s expected is in its configuration, not on the wire: its log (--log) names it", answerer)
	}
	return c
}

// proposalSide is a gateway log's configured child SA proposals, with
// where the request's differ marked.
func proposalSide(g *gatewayLog, sa *correlate.IKESA, ex *correlate.Exchange, req *correlate.Message, offered []string, proposed *Side, differs *string) Side {
	configured := g.proposals(false)
	side := Side{Who: g.who(sa), Role: "configured", Values: append(slices.Clone(configured), g.matched()...)}
	if len(configured) == 0 {
		return side
	}
	if req.PFS != 0 && !strings.Contains(strings.Join(offered, " "), "KE=") && !strings.Contains(strings.Join(offered, " "), "Group-Description=") {
		for i := range offered {
			offered[i] += ", KE=" + isakmp.DHGroupName(req.PFS)
		}
	}
	if ex.Type == isakmp.ExchangeIKEAuth {
		// The child SA of IKE_AUTH takes its keys from the IKE SA: a
		// configured PFS group is not offered there, nor compared.
		configured = withoutKE(configured)
	}
	if d, oi, ci := proposalDiff(offered, configured); d != "" {
		proposed.Differ = append(proposed.Differ, oi)
		side.Differ = []int{ci}
		if *differs == "" {
			*differs = d
		}
	}
	return side
}

// withoutKE drops the key-exchange groups from charon-style proposals.
func withoutKE(ps []string) []string {
	var out []string
	for _, p := range ps {
		var keep []string
		for _, part := range strings.Split(p, "/") {
			if k, _ := classify("", part); k != algKE {
				keep = append(keep, part)
			}
		}
		out = append(out, strings.Join(keep, "/"))
	}
	return out
}

// flowSide is a gateway log's configured protected flow, with the mirror
// check of the guide: the proposer's local selector must lie in the
// answerer's remote one, and its remote in the answerer's local.
func flowSide(g *gatewayLog, sa *correlate.IKESA, req *correlate.Message, proposed *Side, differs *string) Side {
	local, remote := g.flows()
	side := Side{Who: g.who(sa), Role: "configured"}
	for _, l := range local {
		side.Values = append(side.Values, "local "+l)
	}
	for _, r := range remote {
		side.Values = append(side.Values, "remote "+r)
	}
	if s := g.last["received traffic selectors"]; s != nil && len(s.Values) > 0 {
		side.Values = append(side.Values, "read the proposal as "+strings.Join(s.Values, " === "))
	}
	side.Values = append(side.Values, g.matched()...)
	var notes []string
	for i, ts := range req.TS {
		name, p, ok := selector(ts)
		if !ok {
			continue
		}
		// TSi / IDci is the proposer's own side: the answerer's remote.
		against, what := remote, "remote"
		if name == "TSr" || name == "IDcr" {
			against, what = local, "local"
		}
		if len(against) == 0 || coveredBy(p, against) {
			continue
		}
		proposed.Differ = append(proposed.Differ, i)
		for j, v := range side.Values {
			if strings.HasPrefix(v, what+" ") {
				side.Differ = append(side.Differ, j)
			}
		}
		notes = append(notes, fmt.Sprintf("%s %s is not within the %s's %s selector %s", name, p, g.role, what, strings.Join(against, ", ")))
	}
	if len(notes) > 0 && *differs == "" {
		*differs = strings.Join(notes, "; ") + ": the protected flows are not mirror images"
		if o := mirroringConfig(g, req); o != nil {
			*differs += fmt.Sprintf("; its connection %s%s has them mirrored, but the peer was matched to %s%s: the identity it sent selects another connection than the one for this flow",
				o.Conn, remoteIDNote(o), g.config.Conn, remoteIDNote(g.config))
		}
	}
	return side
}

// mirroringConfig is another connection of the answering gateway (a hub's
// other site) with a child whose selectors mirror every one the request
// proposed: the flow is configured, under a connection the peer was not
// matched to.
func mirroringConfig(g *gatewayLog, req *correlate.Message) *correlate.LoggedConfig {
	for _, o := range g.others {
		for _, ch := range o.Children {
			n, ok := 0, true
			for _, ts := range req.TS {
				name, p, valid := selector(ts)
				if !valid {
					continue
				}
				against := ch.RemoteTS
				if name == "TSr" || name == "IDcr" {
					against = ch.LocalTS
				}
				if len(against) == 0 || !coveredBy(p, against) {
					ok = false
					break
				}
				n++
			}
			if ok && n > 0 {
				return o
			}
		}
	}
	return nil
}

// remoteIDNote is " (remote id X)" for a connection that names the peer's
// identity.
func remoteIDNote(c *correlate.LoggedConfig) string {
	if c.RemoteID == "" {
		return ""
	}
	return " (remote id " + c.RemoteID + ")"
}

// compareIdentities sets the identities each side sent next to what the
// responder's log looked up, matched and expected. When they agree, what
// differs is the secret: the pre-shared keys never cross the wire.
func compareIdentities(a *correlate.Analysis, sa *correlate.IKESA, f *Finding, ini, res string) *Comparison {
	c := &Comparison{Subject: "identities"}
	var sentIni, sentRes []string
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			if len(m.IDs) == 0 {
				continue
			}
			if m.Dir == correlate.FromInitiator && sentIni == nil {
				sentIni = slices.Clone(m.IDs)
			}
			if m.Dir == correlate.FromResponder && sentRes == nil {
				sentRes = slices.Clone(m.IDs)
			}
		}
	}
	encrypted := false
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			if m.Encrypted && !m.Decrypted {
				encrypted = true
			}
		}
	}
	sent := "sent"
	if encrypted && sentIni == nil {
		sent = "sent, encrypted"
	}
	c.Sides = append(c.Sides, Side{Who: ini, Role: sent, Values: sentIni})
	r := Side{Who: res, Role: sent, Values: sentRes}
	if fl := sa.Failure; fl != nil && fl.Notify != nil {
		r.Role = "answered " + fl.Notify.Name
		if len(sentRes) > 0 {
			r.Role += ", sent"
		}
	}
	c.Sides = append(c.Sides, r)
	logged := false
	for _, g := range gatewayLogs(a, sa, 0) {
		if g.role != "responder" {
			continue
		}
		side := Side{Who: g.who(sa), Role: "expected"}
		if s := g.last["identities"]; s != nil {
			side.Values = append(side.Values, "looked up "+strings.Join(s.Values, ", "))
		}
		side.Values = append(side.Values, g.matched()...)
		if cfg := g.config; cfg != nil {
			idAt := -1
			if cfg.RemoteID != "" {
				idAt = len(side.Values)
				side.Values = append(side.Values, fmt.Sprintf("connection %s expects remote id %s", cfg.Conn, cfg.RemoteID))
			}
			if len(cfg.RemoteAddrs) > 0 {
				side.Values = append(side.Values, fmt.Sprintf("connection %s expects peer address %s", cfg.Conn, strings.Join(cfg.RemoteAddrs, ", ")))
			}
			if want := cfg.RemoteID; idAt >= 0 && !strings.ContainsAny(want, "*%") {
				if got := idValue(sentIni); got != "" && !strings.EqualFold(strings.TrimPrefix(got, "@"), strings.TrimPrefix(want, "@")) {
					c.Sides[0].Differ = []int{0}
					side.Differ = []int{idAt}
					c.Differs = fmt.Sprintf("the initiator identifies as %s; the responder's connection %s expects %s", got, cfg.Conn, want)
				}
			}
		}
		if len(side.Values) == 0 {
			continue
		}
		logged = true
		if s := g.last["peer config"]; s != nil && len(s.Values) > 0 && s.Values[0] == "none" && c.Differs == "" {
			c.Differs = "the responder matched no peer config to the identities: the identity is what differs, not the key"
		}
		c.Sides = append(c.Sides, side)
	}
	switch {
	case encrypted && sentIni == nil:
		c.Needs = "the identities are encrypted: the keys (--keys) show what each side sent; the responder's log (--log) what it expected. The pre-shared keys never cross the wire: compare them on both gateways"
	case !logged:
		c.Needs = "what the responder expected is in its configuration: its log (--log) names it. The pre-shared keys never cross the wire: compare them on both gateways"
	case c.Differs == "":
		c.Needs = "the identities agree as far as the log shows: the pre-shared keys (or certificates) never cross the wire: compare them on both gateways"
	}
	return c
}

// idValue is the identity an ID payload string names ("IDi ID_FQDN
// \"initiator.lab\"" → initiator.lab), of the first one.
func idValue(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	s := ids[0]
	if i := strings.IndexByte(s, '"'); i >= 0 {
		if j := strings.LastIndexByte(s, '"'); j > i {
			return s[i+1 : j]
		}
	}
	f := strings.Fields(s)
	return f[len(f)-1]
}

// failedExchange is the child SA negotiation a finding's frames belong
// to: of the exchanges holding one of its frames, the one whose request
// carries proposals or traffic selectors (an IKEv1 refusal comes in an
// Informational of its own, after the Quick Mode it refuses), else the
// first phase-2 one, else the first.
func failedExchange(sa *correlate.IKESA, f *Finding) *correlate.Exchange {
	var first, phase2 *correlate.Exchange
	for _, ex := range sa.Exchanges {
		if !holdsFrame(ex, f.Frames) {
			continue
		}
		for _, m := range ex.Messages {
			if !m.Response && (len(m.Proposals) > 0 || len(m.TS) > 0) {
				return ex
			}
		}
		if first == nil {
			first = ex
		}
		if phase2 == nil && ex.Phase == 2 && ex.Type != isakmp.ExchangeV1Informational && ex.Type != isakmp.ExchangeInformational {
			phase2 = ex
		}
	}
	if phase2 != nil {
		return phase2
	}
	if first != nil && (first.Type == isakmp.ExchangeV1Informational || first.Type == isakmp.ExchangeInformational) {
		// The refusal only: the negotiation it refuses is the last
		// phase-2 exchange begun before it.
		var before *correlate.Exchange
		for _, ex := range sa.Exchanges {
			if ex == first {
				break
			}
			if ex.Phase == 2 && ex.Type != isakmp.ExchangeV1Informational && ex.Type != isakmp.ExchangeInformational {
				before = ex
			}
		}
		if before != nil {
			return before
		}
	}
	return first
}

// holdsFrame reports whether an exchange has a message in one of frames.
func holdsFrame(ex *correlate.Exchange, frames []int) bool {
	for _, m := range ex.Messages {
		for _, fr := range m.Frames {
			for _, want := range frames {
				if fr == want {
					return true
				}
			}
		}
	}
	return false
}
