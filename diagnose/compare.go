package diagnose

import (
	"fmt"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
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
}

// compare builds the comparison of an IKE SA's failure, nil when the
// failure is not about settings the peers disagree on.
func compare(sa *correlate.IKESA, f *Finding) *Comparison {
	ini := "initiator " + sa.Initiator.Addr().String()
	res := "responder " + sa.Responder.Addr().String()
	switch f.Code {
	case P1ProposalMismatch, P1DHGroupMismatch:
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
		if len(f.Logs) == 0 {
			c.Needs = "the responder's configured proposals are not on the wire: its log (--log) names what it expected"
		}
		return c
	case P2ProposalMismatch, P2PFSMismatch, P2TSMismatch, P2Rejected, P2NoResponse:
		return compareChild(sa, f, ini, res)
	}
	return nil
}

// compareChild sets the failed child SA negotiation's request and answer
// next to each other: proposals (with the PFS group) and traffic selectors.
func compareChild(sa *correlate.IKESA, f *Finding, ini, res string) *Comparison {
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
	asker, answerer := ini, res
	if req.Dir == correlate.FromResponder {
		asker, answerer = res, ini
	}
	subject := "child SA proposals"
	if f.Code == P2TSMismatch {
		subject = "traffic selectors"
	}
	c := &Comparison{Subject: subject}
	proposed := Side{Who: asker, Role: "proposed"}
	if subject == "traffic selectors" {
		proposed.Values = req.TS
	} else {
		for _, p := range req.Proposals {
			proposed.Values = append(proposed.Values, strings.Join(p, ", "))
		}
		if req.PFS != 0 {
			proposed.Values = append(proposed.Values, "PFS "+isakmp.DHGroupName(req.PFS))
		}
		proposed.Values = append(proposed.Values, req.TS...)
	}
	c.Sides = append(c.Sides, proposed)
	fl := sa.Failure
	switch {
	case resp == nil && fl != nil && fl.Answer != nil && f.Code != P2NoResponse:
		role := fmt.Sprintf("refused in an encrypted Informational (frame %d)", fl.Answer.Frames[0])
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
	if req.Encrypted && !req.Decrypted {
		c.Needs = "the proposals and traffic selectors are encrypted: the keys (--keys, or a charon log at level 4) or the gateways' logs (--log) show them"
	} else if len(f.Logs) == 0 {
		c.Needs = fmt.Sprintf("what %s expected is in its configuration, not on the wire: its log (--log) names it", answerer)
	}
	return c
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
