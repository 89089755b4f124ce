// Package diagnose names what went wrong in a correlated capture: each
// finding has a stable code, a severity, whether it is certain (seen in clear)
// or inferred (from timing, sizes and who stopped answering), the frames as
// evidence, the probable causes ranked with the reason, and the remedy with
// the commands an engineer runs on common platforms.
//
// It owns the rules, in the order of a good troubleshooting guide: is phase 1
// up, do the proposals and PFS match, does the pre-shared key match, are the
// protected flows mirrored, does the policy point at the right peer. It reads
// a correlate.Analysis and never looks at packets.
package diagnose

import (
	"cmp"
	"slices"
)

// Severity of a finding.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Certainty says how the finding is known.
type Certainty string

// Certainties.
const (
	Certain  Certainty = "certain"  // seen in clear (or decrypted)
	Inferred Certainty = "inferred" // from timing, sizes and who stopped answering
)

// Finding codes. They are a contract with users' scripts: add, never rename.
const (
	P1NoResponse       = "P1_NO_RESPONSE"
	P1ProposalMismatch = "P1_PROPOSAL_MISMATCH"
	P1DHGroupMismatch  = "P1_DH_GROUP_MISMATCH"
	P1AuthFailed       = "P1_AUTH_FAILED"
	P1NATTBlocked      = "P1_NAT_T_BLOCKED"
	P1Fragmentation    = "P1_FRAGMENTATION"
	P1Rejected         = "P1_REJECTED"
	P2NoResponse       = "P2_NO_RESPONSE"
	P2ProposalMismatch = "P2_PROPOSAL_MISMATCH"
	P2PFSMismatch      = "P2_PFS_MISMATCH"
	P2TSMismatch       = "P2_TS_MISMATCH"
	P2Rejected         = "P2_REJECTED"
	ESPOneWay          = "ESP_ONE_WAY"
	ESPInvalidSPI      = "ESP_INVALID_SPI"
	ESPSeqGap          = "ESP_SEQ_GAP"
	ESPReplay          = "ESP_REPLAY"
	ESPNone            = "ESP_NONE"
	DPDPeerDead        = "DPD_PEER_DEAD"
	NATDetected        = "NAT_DETECTED"
	SADeleted          = "SA_DELETED"
	SARekeyed          = "SA_REKEYED"
	SAFlapping         = "SA_FLAPPING"
	WeakCrypto         = "WEAK_CRYPTO"
	TooManySAs         = "TOO_MANY_SAS"
	PathLoss           = "PATH_LOSS"
	MisleadingNotify   = "MISLEADING_NOTIFY"
	CaptureDrops       = "CAPTURE_DROPS"
	NoIPsecCode        = "NO_IPSEC"
	IKERedirected      = "IKE_REDIRECTED"
	CookieChallenge    = "COOKIE_CHALLENGE"
	RekeyCollision     = "REKEY_COLLISION"
)

// When in a tunnel's life a finding happened (Finding.During).
const (
	DuringEstablish = "establish" // the first negotiation of an SA or child SA
	DuringRekey     = "rekey"     // a rekey: child SA, IKEv2 IKE SA, IKEv1 phase 1 negotiated again
	DuringReauth    = "reauth"    // an IKEv2 reauthentication
	DuringTraffic   = "traffic"   // while the tunnel was up (ESP, DPD)
)

// Cause is one probable cause with the reason it is ranked where it is.
type Cause struct {
	Cause string `json:"cause"`
	Why   string `json:"why"`
}

// Command is what to run on a platform to confirm or fix.
type Command struct {
	Platform string `json:"platform"`
	Command  string `json:"command"`
}

// Finding is one diagnosis.
type Finding struct {
	Code      string    `json:"code"`
	Severity  Severity  `json:"severity"`
	Certainty Certainty `json:"certainty"`
	Summary   string    `json:"summary"`
	// IKESA is the IKE SA concerned (0: the capture as a whole or ESP only).
	IKESA int `json:"ike_sa,omitempty"`
	// Tunnel is the tunnel concerned (correlate.Tunnel.ID, 0: none), Child
	// the child SA (correlate.Child.ID, 0: none).
	Tunnel int `json:"tunnel,omitempty"`
	Child  int `json:"child_sa,omitempty"`
	// During is when in the tunnel's life it happened: "establish",
	// "rekey", "reauth" or "traffic" (empty for the capture as a whole).
	During string `json:"during,omitempty"`
	// Frame is the failure point (the evidence the finding is about first),
	// Frames all the evidence, in frame order.
	Frame    int       `json:"frame,omitempty"`
	Frames   []int     `json:"frames"`
	Causes   []Cause   `json:"causes"`
	Remedy   string    `json:"remedy"`
	Commands []Command `json:"commands,omitempty"`
	// Logs are the gateway log lines that state or confirm the finding
	// ("file:line (side): text"), when logs were given.
	Logs []string `json:"log_lines,omitempty"`
	// Comparison sets what each side offered, sent or expected next to
	// each other, for a failure about settings (proposals, PFS, traffic
	// selectors); nil for other findings.
	Comparison *Comparison `json:"comparison,omitempty"`
}

// severityRank orders errors before warnings before information.
func severityRank(s Severity) int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// sortFindings puts failures first, then by the first evidence frame.
// Where captures from several points name the segment that loses the
// packets (PATH_LOSS), that is the failure point: the other errors are
// what each end saw of it.
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)); c != 0 {
			return c
		}
		if a.Severity == Error {
			if c := cmp.Compare(pathLossRank(a), pathLossRank(b)); c != 0 {
				return c
			}
		}
		return cmp.Compare(firstFrame(a), firstFrame(b))
	})
}

func pathLossRank(f Finding) int {
	if f.Code == PathLoss {
		return 0
	}
	return 1
}

func firstFrame(f Finding) int {
	if f.Frame == 0 && len(f.Frames) > 0 {
		return f.Frames[0]
	}
	return f.Frame
}

// inOrder sets a finding's failure point from its evidence, which the
// rules list failure point first, and puts the evidence in frame order,
// as every view lists it.
func inOrder(f Finding) Finding {
	if len(f.Frames) == 0 {
		return f
	}
	if f.Frame == 0 {
		f.Frame = f.Frames[0]
	}
	f.Frames = slices.Clone(f.Frames)
	slices.Sort(f.Frames)
	f.Frames = slices.Compact(f.Frames)
	return f
}
