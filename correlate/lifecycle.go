package correlate

import (
	"net/netip"
	"time"
)

// The types of a tunnel's life: child SAs with their kind and lineage, the
// links between IKE SAs, and tunnels with the intervals they were up. They
// are built from the placed exchanges at each snapshot (life.go).

// ChildKind says how a child SA came to be.
type ChildKind string

// Child SA kinds.
const (
	// ChildInitial: created with its IKE SA (IKEv2 IKE_AUTH, or the first
	// Quick Mode of an ISAKMP SA whose phase 1 is in the capture).
	ChildInitial ChildKind = "initial"
	// ChildNew: a further child SA for other protected flows (an IKEv2
	// CREATE_CHILD_SA without REKEY_SA, a Quick Mode with new IDs).
	ChildNew ChildKind = "new"
	// ChildRekey: replaces an existing child SA (Replaces names it).
	ChildRekey ChildKind = "rekey"
	// ChildBeforeCapture: negotiated before the capture began; known from
	// its ESP, or from the rekey that replaced it.
	ChildBeforeCapture ChildKind = "before_capture"
)

// Child is a child SA: negotiated in an IKEv1 Quick Mode or an IKEv2
// IKE_AUTH / CREATE_CHILD_SA exchange, or set up before the capture.
type Child struct {
	// ID is unique in the analysis (1, 2, ...).
	ID int
	// Exchange is the index into IKESA.Exchanges of the exchange that
	// negotiated it, -1 for a child SA set up before the capture.
	Exchange int
	Kind     ChildKind
	// State is established, failed (refused or never answered),
	// incomplete (the capture ended mid-negotiation), rekeyed, deleted or
	// expired.
	State SAState
	Frame int       // the frame that completed (or failed) it; 0 before the capture
	Time  time.Time // the time of that frame (the capture's start before it)
	// By is who started the negotiation, relative to the IKE SA.
	By Direction
	// SPIIn and SPIOut are the ESP/AH SPIs as the IKE SA's initiator sees
	// them: SPIIn on packets to it, SPIOut on packets from it (0: not
	// known; they travel encrypted).
	SPIIn, SPIOut uint32
	// CPIIn and CPIOut are the IPComp CPIs that pair with those SPIs
	// (RFC 3173; 0: no IPComp or not known), IPComp the IPComp transform
	// agreed ("DEFLATE").
	CPIIn, CPIOut uint16
	IPComp        string
	// TS are the protected flows agreed (or proposed), as Message.TS
	// writes them.
	TS []string
	// PFS is the key-exchange group of the negotiation (0: none or not known).
	PFS uint16
	// Replaces and ReplacedBy are child IDs (0: none); Link says how the
	// replacement of Replaces is known.
	Replaces, ReplacedBy int
	Link                 *Link
	// Collision: this rekey and one started by the other peer replaced
	// the same child SA at once (RFC 7296 §2.8.1); the one not kept is
	// deleted.
	Collision bool
	// Failure is why the negotiation failed (State failed).
	Failure *Failure
	// End is when the child SA ended in the capture (deleted, expired or
	// replaced), zero while it lives.
	End      time.Time
	EndFrame int
	ESP      []int // indexes into Analysis.ESP
	// Tunnel is the ID of the tunnel the child SA belongs to.
	Tunnel int
}

// LinkKind says how an SA replaced another.
type LinkKind string

// Link kinds.
const (
	// LinkRekey: an IKEv2 IKE SA rekey (CREATE_CHILD_SA with an IKE
	// proposal) or a child SA rekey.
	LinkRekey LinkKind = "rekey"
	// LinkReauth: an IKEv2 reauthentication, a new IKE_SA_INIT while the
	// old IKE SA lived (make-before-break) or right after its delete
	// (break-before-make).
	LinkReauth LinkKind = "reauth"
	// LinkRenegotiation: an IKEv1 phase 1 negotiated again while the old
	// ISAKMP SA lived.
	LinkRenegotiation LinkKind = "renegotiation"
	// LinkRestart: a peer lost its SAs (INITIAL_CONTACT, or a new IKE SA
	// without a delete of the old one).
	LinkRestart LinkKind = "restart"
	// LinkRetry: a new attempt after a failed one (INVALID_KE_PAYLOAD or
	// COOKIE under a new SPI, an attempt from the other peer, a later try).
	LinkRetry LinkKind = "retry"
	// LinkRedirect: the initiator went to the gateway a REDIRECT named.
	LinkRedirect LinkKind = "redirect"
)

// Link is how an SA replaced its predecessor.
type Link struct {
	Kind LinkKind
	// Certain when read from keys or the wire in clear (REKEY_SA, the SA
	// proposal's protocol and SPI, a delete naming the SPIs,
	// INITIAL_CONTACT, REDIRECT); else inferred from timing and the order
	// of exchanges.
	Certain bool
	// Why is the evidence in a few words; Frame the frame that shows it.
	Why   string
	Frame int
}

// TunnelState is where a tunnel stands at the end of the capture.
type TunnelState string

// Tunnel states.
const (
	TunnelUp          TunnelState = "up"          // a child SA is up at the end of the capture
	TunnelDown        TunnelState = "down"        // it was up, and is not any more
	TunnelFailed      TunnelState = "failed"      // it never came up: every negotiation failed
	TunnelNegotiating TunnelState = "negotiating" // the capture ended mid-negotiation
)

// Tunnel is what an engineer calls a tunnel: a peer pair and its protected
// flows (traffic selectors where the keys show them, else the SA lineage),
// with every IKE SA, child SA and ESP flow of its life.
type Tunnel struct {
	ID   int
	A, B netip.Addr
	// Selectors are the protected flows, "" when not known (encrypted).
	Selectors string
	IKESAs    []int // IDs, in order of appearance
	Children  []int // child SA IDs, in order
	ESP       []int // indexes into Analysis.ESP
	// Up are the intervals some child SA of the tunnel was up.
	Up    []Interval
	State TunnelState
}

// Interval is a span of time a tunnel was up.
type Interval struct {
	From, To           time.Time
	FromFrame, ToFrame int // 0 at the capture's edges
	// SinceBefore: up since before the capture began; UntilEnd: still up
	// when it ended.
	SinceBefore, UntilEnd bool
}
