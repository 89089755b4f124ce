package diagnose

// The catalog of finding codes: one table that says, per code, what it
// means, its usual severity, the phase of the tunnel's life it is about,
// its category, whether a gateway log may confirm it, and (from guide) its
// remedy and the commands that check it. `ipsecpcap codes` prints it, and
// a test holds the README, the remedies and the tests to it.

// Phases a code is about.
const (
	PhasePhase1  = "phase 1"
	PhasePhase2  = "phase 2"
	PhaseESP     = "ESP"
	PhaseTunnel  = "tunnel"
	PhasePath    = "path"
	PhaseCapture = "capture"
)

// Categories of codes.
const (
	CategoryFailure = "failure" // the tunnel does not come up or breaks
	CategoryHealth  = "health"  // it works, with a problem worth fixing
	CategoryLife    = "life"    // an event of a healthy tunnel's life
	CategoryPolicy  = "policy"  // configuration that works but should change
	CategoryCapture = "capture" // about the capture itself
)

// CodeInfo is one code of the catalog.
type CodeInfo struct {
	Code     string    `json:"code"`
	Meaning  string    `json:"meaning"`
	Severity Severity  `json:"severity"` // the usual one: a failure the peers got past is a warning
	Phase    string    `json:"phase"`
	Category string    `json:"category"`
	Logs     bool      `json:"log_confirms"` // a gateway log (--log) may state it, making it certain
	Remedy   string    `json:"remedy"`
	Commands []Command `json:"commands,omitempty"`
}

// catalog is the codes in the order engineers troubleshoot: phase 1,
// phase 2, ESP, the tunnel's life, the path, the capture.
var catalog = []CodeInfo{
	{Code: P1NoResponse, Meaning: "the responder never answered the first phase-1 message", Severity: Error, Phase: PhasePhase1, Category: CategoryFailure, Logs: true},
	{Code: P1ProposalMismatch, Meaning: "no phase-1 proposal in common (NO_PROPOSAL_CHOSEN)", Severity: Error, Phase: PhasePhase1, Category: CategoryFailure, Logs: true},
	{Code: P1DHGroupMismatch, Meaning: "the responder wants another Diffie-Hellman group (INVALID_KE_PAYLOAD)", Severity: Error, Phase: PhasePhase1, Category: CategoryFailure, Logs: true},
	{Code: P1AuthFailed, Meaning: "authentication failed: pre-shared key, certificate or identity", Severity: Error, Phase: PhasePhase1, Category: CategoryFailure, Logs: true},
	{Code: P1NATTBlocked, Meaning: "IKE moved to UDP 4500 after NAT detection and was lost there", Severity: Error, Phase: PhasePhase1, Category: CategoryFailure, Logs: true},
	{Code: P1Fragmentation, Meaning: "large IKE messages in IP fragments were lost on the way", Severity: Error, Phase: PhasePhase1, Category: CategoryFailure},
	{Code: P1Rejected, Meaning: "phase 1 refused with another error notify", Severity: Error, Phase: PhasePhase1, Category: CategoryFailure},
	{Code: P2NoResponse, Meaning: "a phase-2 (Quick Mode, CREATE_CHILD_SA) request was never answered", Severity: Error, Phase: PhasePhase2, Category: CategoryFailure, Logs: true},
	{Code: P2ProposalMismatch, Meaning: "no phase-2 proposal (transform set) in common", Severity: Error, Phase: PhasePhase2, Category: CategoryFailure, Logs: true},
	{Code: P2PFSMismatch, Meaning: "one side wants PFS (or another group), the other not", Severity: Error, Phase: PhasePhase2, Category: CategoryFailure, Logs: true},
	{Code: P2TSMismatch, Meaning: "the protected flows (traffic selectors, ACLs) are not mirror images", Severity: Error, Phase: PhasePhase2, Category: CategoryFailure, Logs: true},
	{Code: P2Rejected, Meaning: "the child SA was refused inside encrypted messages; the candidate causes are listed", Severity: Error, Phase: PhasePhase2, Category: CategoryFailure},
	{Code: ESPOneWay, Meaning: "ESP flows one way only", Severity: Error, Phase: PhaseESP, Category: CategoryFailure},
	{Code: ESPInvalidSPI, Meaning: "ESP goes on to a peer that no longer has the SA", Severity: Error, Phase: PhaseESP, Category: CategoryFailure, Logs: true},
	{Code: ESPSeqGap, Meaning: "ESP sequence numbers skipped: packets lost before the capture point", Severity: Warning, Phase: PhaseESP, Category: CategoryHealth},
	{Code: ESPReplay, Meaning: "ESP sequence numbers seen twice", Severity: Warning, Phase: PhaseESP, Category: CategoryHealth},
	{Code: ESPNone, Meaning: "an established tunnel carried no ESP", Severity: Warning, Phase: PhaseESP, Category: CategoryHealth},
	{Code: DPDPeerDead, Meaning: "dead peer detection went unanswered and the peer was declared dead", Severity: Error, Phase: PhaseTunnel, Category: CategoryFailure, Logs: true},
	{Code: NATDetected, Meaning: "a NAT between the peers (NAT-T in use)", Severity: Info, Phase: PhasePhase1, Category: CategoryLife},
	{Code: SADeleted, Meaning: "an SA was deleted in order", Severity: Info, Phase: PhaseTunnel, Category: CategoryLife},
	{Code: SARekeyed, Meaning: "an SA was rekeyed", Severity: Info, Phase: PhaseTunnel, Category: CategoryLife},
	{Code: SAFlapping, Meaning: "IKE SAs set up again and again without ESP between them", Severity: Warning, Phase: PhaseTunnel, Category: CategoryHealth},
	{Code: WeakCrypto, Meaning: "phase-1 algorithms RFC 8247 says not to use, chosen (warning) or offered (info)", Severity: Warning, Phase: PhasePhase1, Category: CategoryPolicy},
	{Code: TooManySAs, Meaning: "more SAs than the tracking limits: a scan or flood", Severity: Warning, Phase: PhaseCapture, Category: CategoryCapture},
	{Code: PathLoss, Meaning: "packets seen at one capture point never reached the next", Severity: Error, Phase: PhasePath, Category: CategoryFailure, Logs: true},
	{Code: MisleadingNotify, Meaning: "the notify on the wire names another problem than the gateway's log", Severity: Warning, Phase: PhasePhase1, Category: CategoryFailure, Logs: true},
	{Code: CaptureDrops, Meaning: "the capturing interface dropped packets", Severity: Warning, Phase: PhaseCapture, Category: CategoryCapture},
	{Code: NoIPsecCode, Meaning: "no IKE and no ESP in the capture (verdict no_ipsec, exit status 3)", Severity: Info, Phase: PhaseCapture, Category: CategoryCapture},
	{Code: IKERedirected, Meaning: "the gateway redirected the client to another (RFC 5685)", Severity: Info, Phase: PhasePhase1, Category: CategoryLife},
	{Code: CookieChallenge, Meaning: "the responder asked for a cookie (under load or DoS protection)", Severity: Info, Phase: PhasePhase1, Category: CategoryLife},
	{Code: RekeyCollision, Meaning: "both peers rekeyed the same SA at once; the collision was settled", Severity: Info, Phase: PhaseTunnel, Category: CategoryLife},
}

// Catalog is every finding code with its meaning, usual severity, phase,
// category, whether a log confirms it, remedy and commands.
func Catalog() []CodeInfo {
	out := make([]CodeInfo, len(catalog))
	for i, c := range catalog {
		g := guide[c.Code]
		c.Remedy, c.Commands = g.remedy, g.commands
		out[i] = c
	}
	return out
}
