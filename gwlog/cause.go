package gwlog

import (
	"regexp"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// Finding codes of package diagnose that a log line can state (diagnose
// reads the events through correlate.LogEvent, never this package).
const (
	CodeP1NoResponse       = diagnose.P1NoResponse
	CodeP1ProposalMismatch = diagnose.P1ProposalMismatch
	CodeP1DHGroupMismatch  = diagnose.P1DHGroupMismatch
	CodeP1AuthFailed       = diagnose.P1AuthFailed
	CodeP1NATTBlocked      = diagnose.P1NATTBlocked
	CodeP2ProposalMismatch = diagnose.P2ProposalMismatch
	CodeP2PFSMismatch      = diagnose.P2PFSMismatch
	CodeP2TSMismatch       = diagnose.P2TSMismatch
	CodeP2NoResponse       = diagnose.P2NoResponse
	CodeESPInvalidSPI      = diagnose.ESPInvalidSPI
	CodeDPDPeerDead        = diagnose.DPDPeerDead
)

// causeContext is what a cause rule may look at besides the line: what the
// line's thread (charon) or state (pluto) was doing.
type causeContext struct {
	exchange    isakmp.ExchangeType // the message being processed, 0 unknown
	established bool                // phase 1 is up for this IKE SA
	// proposalKind is "IKE", "ESP" or "AH" from charon's "received
	// proposals:" line of the current proposal selection, and
	// keMismatchOnly is set when every "no acceptable X found" of it
	// named the key exchange (DH) transform.
	proposalKind   string
	keMismatchOnly bool
	// firstExchange is set when the request that went unanswered was the
	// first of the IKE SA (message ID 0, or none retransmitted yet).
	firstExchange bool
	// natTUnanswered: the requests went to UDP 4500 after the peer had
	// answered on 500.
	natTUnanswered bool
}

// childContext reports whether a proposal or notify concerns a child SA.
func (c causeContext) child() bool {
	switch c.proposalKind {
	case "ESP", "AH":
		return true
	case "IKE":
		return false
	}
	switch phaseOf(c.exchange) {
	case 2:
		return true
	case 1:
		return false
	}
	return c.established
}

// proposalCode is the code of a failed proposal selection.
func (c causeContext) proposalCode() string {
	if !c.child() {
		return CodeP1ProposalMismatch
	}
	if c.keMismatchOnly {
		return CodeP2PFSMismatch
	}
	return CodeP2ProposalMismatch
}

// causeRule is one row of a cause table: a phrase and what it means.
type causeRule struct {
	re     func() *regexp.Regexp
	basis  Basis
	reason string
	code   func(c causeContext, m []string) string
}

func fixed(code string) func(causeContext, []string) string {
	return func(causeContext, []string) string { return code }
}

func rule(expr string, b Basis, reason string, code func(causeContext, []string) string) causeRule {
	return causeRule{lazyRegexp(expr), b, reason, code}
}

// match applies a table to a message and fills the event's cause. Lines
// with none of the gate words (most lines) skip the table.
func match(table []causeRule, gate []string, msg string, c causeContext, e *Event) bool {
	if gate != nil && !containsAny(msg, gate) {
		return false
	}
	for _, r := range table {
		m := r.re().FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		code := r.code(c, m)
		if code == "" && r.reason == "" {
			continue
		}
		e.Cause, e.Reason = code, r.reason
		if code != "" {
			e.Basis = r.basis
		}
		return true
	}
	return false
}

// dhByExchange: a refused key exchange is a phase-1 DH group mismatch in
// IKE_SA_INIT and a PFS mismatch when creating a child SA.
func dhByExchange(c causeContext, _ []string) string {
	if c.exchange == isakmp.ExchangeCreateChildSA || c.exchange == isakmp.ExchangeV1Quick {
		return CodeP2PFSMismatch
	}
	return CodeP1DHGroupMismatch
}

func byPhase(p1, p2 string) func(causeContext, []string) string {
	return func(c causeContext, _ []string) string {
		if c.child() {
			return p2
		}
		return p1
	}
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// charonGate holds a word of every charonCauses phrase.
var charonGate = []string{"no ", "unacceptable", "mismatch", "received ", "invalid ", "calculated ",
	"verification", "validation", "constraint", "giving up", "establishing", "DPD", "inbound ESP",
	"duplicate", "didn't", "not responding"}

// charonCauses is built from the lab's charon 5.9 logs (testdata/pcaps/lab)
// and strongSwan's sources for the newer spellings ("key exchange method"
// for "DH group" since 6.0).
var charonCauses = []causeRule{
	// The responder's proposal selection: the "no acceptable X found"
	// lines give the transform, the summary line the verdict.
	rule(`^\s*no acceptable ([A-Z_0-9]+) found`, BasisLocalCheck, "no proposal of the peer has an acceptable transform of this type",
		func(c causeContext, m []string) string {
			c.keMismatchOnly = isKETransform(m[1])
			return c.proposalCode()
		}),
	rule(`^no matching proposal found, sending NO_PROPOSAL_CHOSEN|^no acceptable proposal found|^received proposals unacceptable|^no proposal found`,
		BasisLocalCheck, "the proposals do not intersect", func(c causeContext, _ []string) string { return c.proposalCode() }),
	rule(`^no IKE config found for .*sending NO_PROPOSAL_CHOSEN`, BasisLocalCheck, "no IKE configuration for this peer", fixed(CodeP1ProposalMismatch)),
	rule(`^no matching CHILD_SA config found for`, BasisLocalCheck, "the proposed traffic selectors match no child configuration", fixed(CodeP2TSMismatch)),
	rule(`^traffic selectors .* unacceptable`, BasisLocalCheck, "the proposed traffic selectors are not acceptable", fixed(CodeP2TSMismatch)),
	rule(`^(?:DH group|key exchange method) \S+ unacceptable, requesting`, BasisLocalCheck, "the key exchange group offered is not the one configured", dhByExchange),
	rule(`^peer didn't accept (?:DH group|key exchange method) \S+, it requested`, BasisPeerNotify, "the peer wants another key exchange group", dhByExchange),
	rule(`but MAC mismatched`, BasisLocalCheck, "the AUTH payload does not verify: the pre-shared keys differ", fixed(CodeP1AuthFailed)),
	rule(`^no shared key found for`, BasisLocalCheck, "no pre-shared key for these identities", fixed(CodeP1AuthFailed)),
	rule(`^no (?:matching )?peer config found`, BasisLocalCheck, "the peer's identity matches no configuration (identity mismatch)", fixed(CodeP1AuthFailed)),
	rule(`^calculated HASH does not match HASH payload`, BasisLocalCheck, "the peer's HASH does not verify: the pre-shared keys differ", fixed(CodeP1AuthFailed)),
	rule(`^invalid \S+ payload length, decryption failed\?`, BasisLocalCheck, "the peer's message does not decrypt: the keys derived from the pre-shared key differ", fixed(CodeP1AuthFailed)),
	rule(`^(?:signature validation failed|verification of .* failed|constraint check failed)`, BasisLocalCheck, "the peer's authentication does not verify", fixed(CodeP1AuthFailed)),
	rule(`^received TS_UNACCEPTABLE notify`, BasisPeerNotify, "the peer refused the traffic selectors", fixed(CodeP2TSMismatch)),
	rule(`^received INVALID_ID_INFORMATION (?:error )?notify`, BasisPeerNotify, "the peer refused the identities (Quick Mode: the protected subnets)", byPhase(CodeP1AuthFailed, CodeP2TSMismatch)),
	rule(`^received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built`, BasisPeerNotify, "the peer refused the child SA proposals", fixed(CodeP2ProposalMismatch)),
	rule(`^received NO_PROPOSAL_CHOSEN (?:error )?notify`, BasisPeerNotify, "the peer refused the proposals", byPhase(CodeP1ProposalMismatch, CodeP2ProposalMismatch)),
	rule(`^received AUTHENTICATION_FAILED (?:error )?notify`, BasisPeerNotify, "the peer refused the authentication", fixed(CodeP1AuthFailed)),
	// Retransmissions exhausted: no response at all when the first
	// exchange went unanswered; later (IKE_AUTH on the NAT-T port, a
	// rekey, DPD) the log alone does not say why.
	rule(`^establishing IKE_SA failed, peer not responding|^giving up after \d+ retransmits`, BasisTimeout, "retransmissions exhausted", noResponse),
	rule(`^DPD check timed out`, BasisTimeout, "dead peer detection timed out", fixed(CodeDPDPeerDead)),
	rule(`^inbound ESP packet does not belong to an installed SA`, BasisLocalCheck, "ESP arrived for an SPI this gateway does not have", fixed(CodeESPInvalidSPI)),
	rule(`^destroying duplicate IKE_SA for peer .*INITIAL_CONTACT`, BasisNone, "the peer restarted (INITIAL_CONTACT)", fixed("")),
}

func noResponse(c causeContext, _ []string) string {
	switch {
	case c.established:
		return ""
	case c.firstExchange:
		return CodeP1NoResponse
	case c.natTUnanswered:
		return CodeP1NATTBlocked
	}
	return ""
}

// isKETransform reports whether charon's transform type name is the key
// exchange (DH group), whose absence or mismatch in a child proposal is PFS.
func isKETransform(t string) bool {
	return t == "KEY_EXCHANGE_METHOD" || t == "DIFFIE_HELLMAN_GROUP" || strings.HasPrefix(t, "ADDITIONAL_KEY_EXCHANGE")
}

// plutoCauses is built from the lab's libreswan 4.10 logs and the phrases
// of libreswan's sources quoted in /work/shared/reference/root-causes.md.
var plutoCauses = []causeRule{
	rule(`we require PFS but .* specifies no GROUP_DESCRIPTION|PFS .*(?:GROUP_DESCRIPTION|mismatch|disagree)|GROUP_DESCRIPTION .*PFS|missing KE payload`, BasisLocalCheck, "one side requires PFS, the other does not, or the groups differ", fixed(CodeP2PFSMismatch)),
	rule(`(?i)no acceptable Oakley Transform`, BasisLocalCheck, "the phase-1 proposals do not intersect", fixed(CodeP1ProposalMismatch)),
	rule(`(?i)IPsec Transform .* refused|no acceptable (?:ESP|AH|IPsec)`, BasisLocalCheck, "the phase-2 proposals do not intersect", fixed(CodeP2ProposalMismatch)),
	// libreswan 4 names the protocol of the proposals it refused:
	// "no local proposal matches remote proposals 1:IKE:ENCR=..." (the IKE
	// SA) or "... 1:ESP:ENCR=..." (a child SA).
	rule(`no local proposal matches remote proposals \d+:IKE:`, BasisLocalCheck, "the IKE SA proposals do not intersect", fixed(CodeP1ProposalMismatch)),
	rule(`no local proposal matches remote proposals \d+:(?:ESP|AH):`, BasisLocalCheck, "the ESP/AH proposals do not intersect", fixed(CodeP2ProposalMismatch)),
	rule(`(?i)(?:no local proposal matches remote proposals|failed to match .*proposal)`, BasisLocalCheck, "the proposals do not intersect", byPhase(CodeP1ProposalMismatch, CodeP2ProposalMismatch)),
	rule(`(?i)cannot respond to IPsec SA request because no connection is known|No IKEv2 connection found with compatible Traffic Selectors`, BasisLocalCheck, "the proposed subnets match no connection", fixed(CodeP2TSMismatch)),
	rule(`(?i)(?:probable|possible) authentication failure`, BasisTimeout, "the first encrypted message was not accepted: the pre-shared keys probably differ", fixed(CodeP1AuthFailed)),
	rule(`(?i)no suitable connection for peer|no connection has been authorized|peer ID .* does not match|No matching connection`, BasisLocalCheck, "the peer's identity matches no connection", fixed(CodeP1AuthFailed)),
	rule(`(?i)rejected by peer: AUTHENTICATION_FAILED|received .*AUTHENTICATION_FAILED`, BasisPeerNotify, "the peer refused the authentication", fixed(CodeP1AuthFailed)),
	rule(`(?i)authentication (?:using \S+ )?failed|failed to authenticate|AUTH payload .* invalid|Signature check .* failed`, BasisLocalCheck, "the peer's authentication does not verify", fixed(CodeP1AuthFailed)),
	rule(`(?i)(?:rejected Child SA with|received .*)TS_UNACCEPTABLE`, BasisPeerNotify, "the peer refused the traffic selectors", fixed(CodeP2TSMismatch)),
	rule(`ignoring IKEv1 packet as policy is set to silently drop`, BasisLocalCheck, "IKEv1 is disabled on this gateway (ikev1-policy=drop): it never answers", fixed(CodeP1NoResponse)),
	rule(`(?i)No response \(or no acceptable response\) to our first IKEv[12] message|max number of retransmissions .* STATE_(?:MAIN_I1|AGGR_I1|PARENT_I1|V2_PARENT_I1|V2_IKE_SA_INIT_I)`, BasisTimeout, "the peer never answered", fixed(CodeP1NoResponse)),
	rule(`(?i)STATE_QUICK_I1.*(?:perhaps peer likes no proposal|max number of retransmissions)`, BasisTimeout, "Quick Mode never answered: probably no proposal the peer likes", fixed(CodeP2ProposalMismatch)),
	rule(`netlink response for Add SA .*: (.*)`, BasisNone, "the kernel refused to install the SA (not a negotiation failure)", fixed("")),
}

// comwareCauses is built from the debugging excerpts of H3C's phase-2
// troubleshooting guide (gwlog/testdata/comware-*.log).
var comwareCauses = []causeRule{
	rule(`Failed to verify the peer HASH`, BasisLocalCheck, "the peer's HASH does not verify: the pre-shared keys differ", fixed(CodeP1AuthFailed)),
	rule(`ISAKMP Hash Payload must be 0|Failed to parse .* Reason INVALID_PAYLOAD_TYPE`, BasisLocalCheck, "the peer's message does not decrypt: the pre-shared keys differ", fixed(CodeP1AuthFailed)),
	rule(`The policy's acl or ike profile does not match the flow`, BasisLocalCheck, "the proposed flow matches no ACL (or the policy's IKE profile differs)", fixed(CodeP2TSMismatch)),
	rule(`SP is not complete when matching flow`, BasisNone, "the IPsec policy is incomplete (no remote address?)", fixed("")),
}
