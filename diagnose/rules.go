package diagnose

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Diagnose returns the findings for an analysis, failures first.
func Diagnose(a *correlate.Analysis) []Finding {
	// The rules' findings are gathered first and copied once: a large
	// capture has thousands, and growing one slice by appending copied
	// them over and over.
	parts := make([][]Finding, 0, len(a.IKESAs)+len(a.Tunnels)+4)
	chains := newSAChains(a)
	for _, sa := range a.IKESAs {
		parts = append(parts, ikeSA(a, chains, sa))
	}
	for _, t := range a.Tunnels {
		parts = append(parts, tunnelLife(a, t))
	}
	parts = append(parts, espFindingsAtPoints(a), flapping(a), pathLoss(a), captureDrops(a), noIPsec(a))
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	fs := make([]Finding, 0, n)
	for _, p := range parts {
		fs = append(fs, p...)
	}
	if a.DroppedIKESAs > 0 || a.DroppedESPFlows > 0 {
		fs = append(fs, Finding{Code: TooManySAs, Severity: Warning, Certainty: Certain,
			Summary: fmt.Sprintf("%d IKE SAs and %d ESP flows beyond the tracking limits were counted but not analysed", a.DroppedIKESAs, a.DroppedESPFlows)})
	}
	fs = applyLogs(a, fs)
	for i := range fs {
		if sa := a.IKESAByID(fs[i].IKESA); sa != nil && fs[i].Severity != Info {
			fs[i].Comparison = compare(a, sa, &fs[i])
		}
	}
	for i := range fs {
		if fs[i].Tunnel == 0 && fs[i].IKESA != 0 {
			if sa := a.IKESAByID(fs[i].IKESA); sa != nil && len(sa.Tunnels) > 0 {
				fs[i].Tunnel = sa.Tunnels[0]
			}
		}
	}
	fs = mergeRepeats(fs)
	for i := range fs {
		fs[i] = finish(inOrder(fs[i]))
	}
	sortFindings(fs)
	return fs
}

// ikeSA applies the per-SA rules in troubleshooting order.
func ikeSA(a *correlate.Analysis, chains *saChains, sa *correlate.IKESA) []Finding {
	var fs []Finding
	base := saBase(sa)
	failCode := ""
	if sa.Failure != nil {
		f := failure(sa, sa.Failure, base)
		f.During = chains.duringOfSA(a, sa)
		failCode = f.Code
		if sa.ContinuedBy != 0 && f.Code == P1DHGroupMismatch {
			f.Summary += fmt.Sprintf("; the initiator retried with a new IKE SA (#%d)", sa.ContinuedBy)
		}
		afterFailure(a, chains, sa, &f)
		fs = append(fs, f)
	}
	fs = append(fs, childFailures(a, sa, base)...)
	fs = append(fs, dhRetry(sa, base)...)
	fs = append(fs, recoveredErrors(sa, failCode, base)...)
	if sa.NATD.InitiatorBehindNAT || sa.NATD.ResponderBehindNAT {
		side := "the initiator"
		switch {
		case sa.NATD.InitiatorBehindNAT && sa.NATD.ResponderBehindNAT:
			side = "both peers"
		case sa.NATD.ResponderBehindNAT:
			side = "the responder"
		}
		f := base(NATDetected, Info, Certain, "NAT detected in front of "+side+" (the NAT detection hashes do not match the addresses seen)", sa.NATD.Frames...)
		f.Causes = []Cause{
			{"a NAT between the peers", "the hash of the address and port the sender saw differs from what the capture shows"},
			{"a peer forcing UDP encapsulation", "some daemons send a fake NAT-D hash on purpose (strongSwan with kernel-libipsec, encap=yes)"},
		}
		fs = append(fs, f)
	}
	fs = append(fs, dpd(a, sa, base)...)
	fs = append(fs, weak(sa, base)...)
	fs = append(fs, redirected(a, sa, base)...)
	return fs
}

type baseFunc func(code string, sev Severity, cert Certainty, summary string, frames ...int) Finding

// saBase makes findings about an IKE SA, its peers named first.
func saBase(sa *correlate.IKESA) baseFunc {
	who := fmt.Sprintf("%s ↔ %s", sa.Initiator.Addr(), sa.Responder.Addr())
	return func(code string, sev Severity, cert Certainty, summary string, frames ...int) Finding {
		return Finding{Code: code, Severity: sev, Certainty: cert, IKESA: sa.ID, Summary: who + ": " + summary, Frames: frames}
	}
}

// failure names a failure point: of an IKE SA's negotiation, or of a
// child SA's (a Quick Mode or CREATE_CHILD_SA).
func failure(sa *correlate.IKESA, fl *correlate.Failure, base baseFunc) Finding {
	ex := sa.Exchanges[fl.Exchange]
	msg := messageAt(ex, fl.Message)
	// The message whose fate the finding tells, labelled as every view
	// labels it: "Main Mode (MM5)", "IKE_AUTH request" (the request an
	// IKEv2 failure answers or leaves unanswered).
	at := ex.Label(1, false)
	if l := ex.Label(fl.Message, false); sa.Version == 1 && l != ex.Name() {
		at = fmt.Sprintf("%s (%s)", ex.Name(), l)
	}
	switch fl.Kind {
	case correlate.FailNoResponse:
		return noResponse(sa, ex, msg, at, base)
	case correlate.FailErrorNotify:
		return errorNotify(sa, ex, fl, at, base)
	case correlate.FailNotAccepted:
		return notAccepted(ex, msg, fl, base)
	}
	return encryptedError(sa, ex, msg, fl, at, base)
}

// messageAt is message n of an exchange as the protocol numbers it (MM5,
// QM1, 2 = the IKEv2 response), or the nth placed when none has that step.
func messageAt(ex *correlate.Exchange, n int) *correlate.Message {
	for _, m := range ex.Messages {
		if m.Step == n {
			return m
		}
	}
	return ex.Messages[max(min(n, len(ex.Messages)), 1)-1]
}

// notAccepted: an IKEv1 responder went on resending QM2 after the
// initiator's QM3, so it never accepted QM3 and never installed the SA:
// the initiator believes the child SA is up and sends ESP that the
// responder drops.
func notAccepted(ex *correlate.Exchange, qm3 *correlate.Message, fl *correlate.Failure, base baseFunc) Finding {
	qm2 := fl.Answer
	frames := append([]int{qm3.Frames[0]}, qm2.Frames[1:]...)
	f := base(P2Rejected, Error, Inferred, fmt.Sprintf("Quick Mode not completed: the responder kept resending QM2 (%d times, last frame %s) after the initiator's QM3 (frame %s): it never accepted QM3, so only the initiator installed the child SA",
		qm2.Sent, decode.FrameLabel(qm2.Frames[len(qm2.Frames)-1]), decode.FrameLabel(qm3.Frames[0])), frames...)
	f.Causes = []Cause{
		{"QM3 lost on the way to the responder", "the responder waits for QM3 and retransmits QM2; a capture at the responder's side tells whether QM3 arrives"},
		{"the responder could not verify QM3 or install the SA", "a HASH(3) that does not verify, or a kernel that refuses the SA (the responder's log says which)"},
		{"a NAT or firewall that passes one direction of UDP 4500 only", "the responder's QM2 retransmissions reach the initiator, its QM3 does not reach the responder"},
	}
	f.Remedy = "Look at the responder's log for this Quick Mode (was QM3 received, did it verify, was the SA installed?) and at the path between the peers for QM3 (a capture at the responder's side tells)."
	return f
}

func noResponse(sa *correlate.IKESA, ex *correlate.Exchange, msg *correlate.Message, at string, base baseFunc) Finding {
	frames := msg.Frames
	sent := fmt.Sprintf("sent %d times over %s, never answered", msg.Sent, span(msg))
	first := ex.Phase == 1 && (ex.Messages[0] == msg) && (sa.Exchanges[0] == ex || ex.Type == isakmp.ExchangeIKESAInit)
	switch {
	case ex.Phase == 2:
		f := base(P2NoResponse, Error, Inferred, at+" "+sent, frames...)
		f.Causes = []Cause{
			{"transform set or PFS mismatch", "some peers drop a phase-2 request they cannot accept instead of answering"},
			{"protected flows not mirrored", "a responder without a matching policy may stay silent"},
			{"the responder lost the phase-1 SA", "it cannot decrypt the request"},
		}
		return f
	case first:
		f := base(P1NoResponse, Error, Certain, at+" "+sent, frames...)
		if len(sa.ICMPErrors) > 0 {
			e := sa.ICMPErrors[0]
			for _, ie := range sa.ICMPErrors {
				f.Frames = append(f.Frames, ie.Frame)
			}
			f.Causes = append(f.Causes, Cause{"the IKE service is not running on " + e.From.String(),
				fmt.Sprintf("%s answered with ICMP %s (frame %s) quoting the request", e.From, e.Description, decode.FrameLabel(e.Frame))})
		}
		f.Causes = append(f.Causes,
			Cause{"UDP 500 filtered on the path", "nothing at all comes back, not even an ICMP error"},
			Cause{"wrong peer address in the initiator's policy", "the request goes to " + msg.Dst.Addr().String() + "; check it is the peer's address"},
			Cause{"the peer has no policy for this initiator, or speaks another IKE version", "some peers stay silent instead of answering NO_PROPOSAL_CHOSEN"},
		)
		return f
	case msg.IPFragmented:
		f := base(P1Fragmentation, Error, Inferred, at+fmt.Sprintf(" (%d bytes, IP-fragmented) ", msg.Length)+sent, frames...)
		f.Causes = []Cause{{"IP fragments dropped on the path", "the large message is fragmented and never answered, while the small ones before it were"}}
		return f
	case msg.UDPEncapsulated && switchedTo4500(sa, msg):
		f := base(P1NATTBlocked, Error, Inferred, at+" on UDP 4500 "+sent, frames...)
		f.Causes = []Cause{{"UDP 4500 blocked on the path", "the exchange on UDP 500 worked; after the switch to 4500 nothing comes back"}}
		return f
	case msg.Encrypted && ex.Phase == 1:
		f := base(P1AuthFailed, Error, Inferred, at+", the first encrypted message, "+sent, frames...)
		f.Causes = []Cause{
			{"pre-shared key differs", "the responder cannot decrypt or verify the first encrypted message and drops it: the classic symptom of a PSK changed on one side"},
			{"identity not accepted", "the responder finds no policy for the initiator's ID"},
		}
		return f
	}
	f := base(P1NoResponse, Error, Inferred, at+" "+sent, frames...)
	f.Causes = []Cause{{"the responder stopped answering mid-negotiation", "earlier messages were answered"}}
	return f
}

// switchedTo4500 reports whether earlier messages of the SA went over UDP
// 500 and were answered there.
func switchedTo4500(sa *correlate.IKESA, msg *correlate.Message) bool {
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			if m.Frames[0] < msg.Frames[0] && !m.UDPEncapsulated && m.Dir != msg.Dir {
				return true
			}
		}
	}
	return false
}

func errorNotify(sa *correlate.IKESA, ex *correlate.Exchange, fl *correlate.Failure, at string, base baseFunc) Finding {
	n := fl.Notify
	said := fmt.Sprintf("%s answered with %s", at, n.Name)
	if n.Detail != "" {
		said += " (" + n.Detail + ")"
	}
	code, causes := notifyCode(sa.Version, ex, n)
	sev := Error
	if code == P2ProposalMismatch {
		causes = phase2Causes(ex)
	}
	f := base(code, sev, Certain, said, fl.Frame)
	f.Causes = causes
	return f
}

// notifyCode maps an error notify seen in clear to a finding code and its
// causes.
func notifyCode(version int, ex *correlate.Exchange, n *correlate.Notify) (string, []Cause) {
	t := n.Type
	v1, v2 := version == 1, version == 2
	switch {
	case t == isakmp.NotifyNoProposalChosen && (ex.Phase == 1 || ex.Type == isakmp.ExchangeV1Informational) && ex.Type != isakmp.ExchangeIKEAuth:
		return P1ProposalMismatch, []Cause{
			{"no common phase-1 proposal", "the peer found none of the offered proposals acceptable"},
			{"no IKE configuration for this peer", "some daemons answer NO_PROPOSAL_CHOSEN when no connection matches the peer at all"},
		}
	case v2 && t == isakmp.NotifyV2InvalidKEPayload && ex.Type == isakmp.ExchangeCreateChildSA:
		return P2PFSMismatch, []Cause{{"PFS group not accepted", "the peer wants " + n.Detail + " for the child SA"}}
	case v2 && t == isakmp.NotifyV2InvalidKEPayload:
		return P1DHGroupMismatch, []Cause{{"DH group not accepted", "the responder wants " + n.Detail}}
	case v1 && (t == isakmp.NotifyInvalidPayloadType || t == isakmp.NotifyV1PayloadMalformed):
		return P1AuthFailed, []Cause{
			{"pre-shared key differs", n.Name + " to an encrypted message: with another key the peer decrypts garbage, the classic symptom of a PSK changed on one side"},
			{"identity or certificate rejected", "less likely with this notify"},
		}
	case t == isakmp.NotifyAuthenticationFailed || v1 && (t == isakmp.NotifyV1InvalidHashInfo || t == isakmp.NotifyV1InvalidSignature):
		return P1AuthFailed, []Cause{
			{"pre-shared key differs", n.Name + " is what a peer sends when the authentication does not verify"},
			{"identity not accepted (no matching peer configuration)", "the same answer when no connection matches the IDs"},
			{"certificate not trusted", "the same answer for a failed signature check"},
		}
	case v1 && t == isakmp.NotifyV1InvalidIDInformation || v2 && t == isakmp.NotifyV2TSUnacceptable:
		return P2TSMismatch, []Cause{{"protected flows not mirrored", n.Name + " means the proposed traffic selectors match no policy on the peer"}}
	case t == isakmp.NotifyNoProposalChosen:
		return P2ProposalMismatch, []Cause{{"no common transform set", "NO_PROPOSAL_CHOSEN for the child SA"}}
	case t == isakmp.NotifyInvalidSPI:
		return ESPInvalidSPI, []Cause{{"an SA one side no longer has", "INVALID_SPI: the receiver does not know the SPI it was sent"}}
	case ex.Phase == 2:
		return P2Rejected, []Cause{{"the peer refused the child SA negotiation", n.Name}}
	}
	return P1Rejected, []Cause{{"the peer refused the exchange", n.Name}}
}

// phase2Causes ranks the causes of a refused phase-2 proposal with what the
// decrypted request offered. The responder never sends its own proposal, so
// a transform set and a PFS mismatch look alike on the wire; the PFS the
// request offered is named so the engineer can compare.
func phase2Causes(ex *correlate.Exchange) []Cause {
	var req *correlate.Message
	for _, m := range ex.Messages {
		if !m.Response {
			req = m
			break
		}
	}
	pfs := "the request's PFS setting is not known (encrypted)"
	offer := ""
	if req != nil && req.Decrypted {
		if req.PFS != 0 || req.HasKE {
			pfs = "the request offers PFS with " + isakmp.DHGroupName(req.PFS) + "; the peer may have none or another group"
		} else {
			pfs = "the request offers no PFS; the peer may require it"
		}
		if len(req.Proposals) > 0 {
			offer = "offered: " + strings.Join(req.Proposals[0], ", ")
		}
	}
	return []Cause{
		{"transform set mismatch", "NO_PROPOSAL_CHOSEN for the child SA; " + offer},
		{"PFS mismatch", pfs},
	}
}

// recoveredErrors reports error notifies in clear that were not the end of
// the negotiation: the peers went on (a proposal renegotiated, a retry).
func recoveredErrors(sa *correlate.IKESA, failCode string, base baseFunc) []Finding {
	var fs []Finding
	// The failure's own code is not news again: a peer repeats its error
	// for every retransmission.
	seen := map[string]bool{failCode: true}
	failed := map[int]bool{} // the frames of failures reported on their own
	if sa.Failure != nil {
		failed[sa.Failure.Frame] = true
	}
	if sa.RekeyFailure != nil {
		failed[sa.RekeyFailure.Frame] = true
	}
	for _, c := range sa.Children {
		if c.Failure != nil {
			failed[c.Failure.Frame] = true
		}
	}
	for i, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			n := m.ErrorNotify()
			if n == nil || failed[m.Frames[0]] {
				continue
			}
			if sa.Version == 2 && n.Type == isakmp.NotifyV2InvalidKEPayload && ex.Type == isakmp.ExchangeIKESAInit && i < len(sa.Exchanges)-1 {
				continue // reported by dhRetry with both groups
			}
			code, causes := notifyCode(sa.Version, ex, n)
			if seen[code] {
				continue
			}
			seen[code] = true
			f := base(code, Warning, Certain, fmt.Sprintf("%s from %s in %s (frame %s); the negotiation went on", n.Name, m.Src.Addr(), ex.Name(), decode.FrameLabel(m.Frames[0])), m.Frames[0])
			f.Causes = causes
			fs = append(fs, f)
		}
	}
	return fs
}

func encryptedError(sa *correlate.IKESA, ex *correlate.Exchange, msg *correlate.Message, fl *correlate.Failure, at string, base baseFunc) Finding {
	reply := fl.Answer
	frames := []int{msg.Frames[0], fl.Frame}
	if msg == reply {
		// IKEv2: the failing message is the response; show the request too.
		for _, m := range ex.Messages {
			if !m.Response {
				frames = []int{fl.Frame, m.Frames[0]}
				break
			}
		}
	}
	switch {
	case ex.Phase == 2:
		said := fmt.Sprintf("%s answered by an encrypted %s (frame %s, %d bytes) instead of QM2: the peer rejected the child SA", at, exchangeOf(reply), decode.FrameLabel(fl.Frame), reply.Length)
		if sa.Version == 2 {
			said = fmt.Sprintf("%s response (frame %s) holds only an encrypted notify (%d bytes): the peer refused the child SA", ex.Name(), decode.FrameLabel(fl.Frame), reply.Length)
		}
		f := base(P2Rejected, Error, Inferred, said, frames...)
		f.Causes = []Cause{
			{"transform set mismatch (NO_PROPOSAL_CHOSEN)", "the most common phase-2 rejection; compare ESP algorithms and modes"},
			{"PFS on one side only or different PFS groups (NO_PROPOSAL_CHOSEN)", "the PFS group is part of the proposal"},
			{"protected flows not mirrored (INVALID_ID_INFORMATION)", "the proposed IDs match no policy on the peer"},
		}
		f.Remedy = "The notify inside tells which: run again with the keys (--keys), or read the peer's log (display/debugging on H3C, charon log on strongSwan). " + guide[P2Rejected].remedy
		return f
	case sa.Version == 2:
		f := base(P1AuthFailed, Error, Inferred, fmt.Sprintf("%s holds only an encrypted notify (%d bytes): the peer refused the authentication", ex.Label(2, true), reply.Length), frames...)
		f.Causes = []Cause{
			{"pre-shared key differs", "an IKE_AUTH response that is a lone notify is AUTHENTICATION_FAILED in practice"},
			{"identity not accepted (no matching peer configuration)", "the responder answers AUTHENTICATION_FAILED as well when no connection matches the IDs"},
			{"certificate not trusted", "same answer for a failed signature check"},
		}
		return f
	}
	f := base(P1AuthFailed, Error, Inferred, fmt.Sprintf("%s answered by an encrypted %s (frame %s) instead of the next message: the first encrypted message was refused", at, exchangeOf(reply), decode.FrameLabel(fl.Frame)), frames...)
	f.Causes = []Cause{
		{"pre-shared key differs", "with different keys the peers derive different SKEYIDs: the receiver cannot decrypt and answers PAYLOAD_MALFORMED or INVALID_HASH_INFORMATION, itself unreadable to the sender"},
		{"identity or certificate rejected", "AUTHENTICATION_FAILED in an encrypted Informational looks the same without keys"},
	}
	return f
}

func exchangeOf(m *correlate.Message) string {
	if m.Exchange == isakmp.ExchangeV1Informational {
		return "Informational"
	}
	return m.Exchange.String()
}

func span(m *correlate.Message) string {
	d := m.Times[len(m.Times)-1].Sub(m.Times[0])
	return d.Round(time.Millisecond).String()
}

// dhRetry reports an INVALID_KE_PAYLOAD that the initiator recovered from.
func dhRetry(sa *correlate.IKESA, base baseFunc) []Finding {
	if sa.Version != 2 {
		return nil
	}
	for i, ex := range sa.Exchanges {
		if ex.Type != isakmp.ExchangeIKESAInit {
			continue
		}
		var offered uint16
		for _, m := range ex.Messages {
			if !m.Response && m.KEGroup != 0 {
				offered = m.KEGroup
			}
			if !m.Response {
				continue
			}
			for _, n := range m.Notifies {
				if n.Type != isakmp.NotifyV2InvalidKEPayload || i == len(sa.Exchanges)-1 || sa.Failure != nil && sa.Failure.Exchange == i {
					continue
				}
				f := base(P1DHGroupMismatch, Warning, Certain,
					fmt.Sprintf("IKE_SA_INIT offered %s, the responder answered INVALID_KE_PAYLOAD (%s); the initiator retried", isakmp.DHGroupName(offered), n.Detail),
					m.Frames[0])
				f.Causes = []Cause{{"the initiator's first DH group is not the responder's", "it costs one round trip per negotiation"}}
				return []Finding{f}
			}
		}
	}
	return nil
}

// dpd finds liveness checks that went unanswered at the end of an SA's
// life: encrypted informational requests from one peer after which nothing
// at all came from the other, neither IKE (in any SA between them) nor
// ESP. (IKEv1 informationals are not acknowledged: the deletes that follow
// each Quick Mode rekey are one-way, and only the peer's silence tells a
// dead peer.)
func dpd(a *correlate.Analysis, sa *correlate.IKESA, base baseFunc) []Finding {
	if !sa.WasUp() {
		return nil
	}
	var probes []*correlate.Message
	var lastAnswer time.Time
	for _, ex := range sa.Exchanges {
		if ex.Type != isakmp.ExchangeV1Informational && ex.Type != isakmp.ExchangeInformational {
			continue
		}
		for _, m := range ex.Messages {
			switch {
			case !m.Encrypted || len(m.Deletes) > 0:
			case sa.Version == 2 && m.Response || sa.Version == 1 && len(probes) > 0 && m.Dir != probes[0].Dir:
				lastAnswer = latest(lastAnswer, m.Times[0])
			default:
				probes = append(probes, m)
			}
		}
	}
	unanswered := unansweredProbes(probes, lastAnswer)
	if len(unanswered) == 0 {
		return nil
	}
	// Anything heard from the peer since, in IKE or ESP, answers them too.
	last := unanswered[len(unanswered)-1]
	heard := heardFrom(a, last.Dst.Addr(), last.Src.Addr())
	unanswered = unansweredProbes(unanswered, latest(lastAnswer, heard))
	sent := 0
	var frames []int
	for _, m := range unanswered {
		frames = append(frames, m.Frames...)
		sent += m.Sent
	}
	if sent < 3 {
		return nil
	}
	f := base(DPDPeerDead, Error, Inferred, fmt.Sprintf("%d liveness checks (DPD) went unanswered after frame %s, and nothing came from %s since", sent,
		decode.FrameLabel(max(unanswered[0].Frames[0], sa.EstablishedFrame)), last.Dst.Addr()), frames...)
	f.During = DuringTraffic
	f.Causes = []Cause{
		{"the peer went down or restarted", "encrypted informational requests from one side are never answered"},
		{"the path between the peers broke", "nothing from the peer arrives any more"},
	}
	return []Finding{f}
}

// unansweredProbes are the probes sent after t.
func unansweredProbes(probes []*correlate.Message, t time.Time) []*correlate.Message {
	var out []*correlate.Message
	for _, m := range probes {
		if m.Times[0].After(t) {
			out = append(out, m)
		}
	}
	return out
}

// heardFrom is the last time anything came from peer to us: an IKE message
// of any SA between them, or ESP.
func heardFrom(a *correlate.Analysis, peer, us netip.Addr) time.Time {
	var t time.Time
	for _, sa := range a.IKESAs {
		if !(sa.Initiator.Addr() == peer && sa.Responder.Addr() == us || sa.Initiator.Addr() == us && sa.Responder.Addr() == peer) {
			continue
		}
		for _, ex := range sa.Exchanges {
			for _, m := range ex.Messages {
				if m.Src.Addr() == peer {
					t = latest(t, m.Times[len(m.Times)-1])
				}
			}
		}
	}
	for _, f := range a.ESP {
		if f.Src.Addr() == peer && f.Dst.Addr() == us {
			t = latest(t, f.Last)
		}
	}
	return t
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// flapping finds peer pairs that set up IKE SAs again and again.
func flapping(a *correlate.Analysis) []Finding {
	var fs []Finding
	for _, pp := range a.Peers {
		if len(pp.IKESAs) < 4 {
			continue
		}
		var frames []int
		for _, id := range pp.IKESAs {
			frames = append(frames, a.IKESAByID(id).FirstFrame)
		}
		if len(pp.ESP) > 0 {
			continue
		}
		fs = append(fs, Finding{Code: SAFlapping, Severity: Warning, Certainty: Inferred,
			Summary: fmt.Sprintf("%s ↔ %s: %d IKE SAs negotiated without any ESP in between", pp.A, pp.B, len(pp.IKESAs)),
			Frames:  frames,
			Causes:  []Cause{{"a phase that fails and is retried", "each attempt starts a new IKE SA"}}})
	}
	return fs
}
