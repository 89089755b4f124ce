// Package correlate turns the stream of decoded IPsec packets into the story
// of each tunnel across its whole life: peer pairs, IKE SAs keyed by their
// SPIs, the exchanges inside them with requests paired to responses and
// retransmissions folded, the child SAs each negotiated (and the ones they
// replaced), the IKE SAs that replaced one another (rekey, reauthentication,
// restart, retry, redirect), the tunnels they make up with the intervals
// they were up, and ESP flows per SPI with their sequence-number health.
//
// One IKE message passes once through clear stages (ingest.go): identify
// its SA, direction and role; reassemble fragments; fold copies and
// retransmissions; place it in its exchange; absorb what decryption
// revealed; learn what it tells about the SA. The life of the tunnels is
// read from the placed exchanges when a snapshot is taken (life.go).
//
// It owns the state of the analysis. It takes one packet at a time (Add) and
// hands out a consistent, independent copy of everything it knows at any
// moment (Snapshot), so a view can show a capture while it is still being
// read. State is kept per SA, never per packet, and the number of SAs
// tracked is capped. It never prints and never decides what is wrong: that is
// package diagnose's job.
package correlate

import (
	"net/netip"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Direction is who sent a message, relative to the IKE SA's initiator.
type Direction uint8

// Directions.
const (
	FromInitiator Direction = iota + 1
	FromResponder
)

func (d Direction) String() string {
	if d == FromInitiator {
		return "I→R"
	}
	return "R→I"
}

// Notify is a notification seen in a message, in clear or decrypted.
type Notify struct {
	Type   isakmp.NotifyType
	Name   string
	Error  bool
	Detail string
	// Decrypted is set when the notify was inside encrypted payloads.
	Decrypted bool
	// AcceptedGroup is INVALID_KE_PAYLOAD's group (IKEv2).
	AcceptedGroup uint16
}

// Message is one IKE message, sent once or several times.
type Message struct {
	// Frames lists the transmissions, the first then retransmissions, up
	// to maxFramesPerMessage; Sent counts them all.
	Frames []int
	Times  []time.Time
	Sent   int
	Dir    Direction
	Src    netip.AddrPort
	Dst    netip.AddrPort
	// Response is the IKEv2 R flag; for IKEv1 it is inferred from who sent
	// the message within its exchange.
	Response  bool
	MessageID uint32
	Exchange  isakmp.ExchangeType
	Length    int // ISAKMP length
	// Encrypted is set when the payloads are encrypted (IKEv1 E flag,
	// IKEv2 SK/SKF); FirstInner is then the first inner payload's type.
	Encrypted  bool
	FirstInner isakmp.PayloadType
	Summary    string
	Notifies   []Notify
	// IPFragmented is set when the message arrived in IP fragments.
	IPFragmented bool
	// IKEFragments is the IKEv2 fragment count (RFC 7383) or 0.
	IKEFragments int
	// UDPEncapsulated: sent on the NAT-T port behind the non-ESP marker.
	UDPEncapsulated bool
	// KEGroup is the group of an IKEv2 KE payload in clear or decrypted.
	KEGroup uint16

	// What decryption with the user's keys revealed (see package decrypt).
	// Decrypted is set when it succeeded; DecryptFailure says why not.
	Decrypted      bool
	DecryptFailure string
	// Inner is the compact list of the decrypted payloads.
	Inner string
	// IDs are the identities (ID, IDi, IDr) and TS the traffic selectors
	// (IKEv2 TSi/TSr, IKEv1 Quick Mode IDci/IDcr), as "TSi 198.19.1.0/24".
	IDs []string
	TS  []string
	// Proposals are the SA proposals carried encrypted (phase 2), as
	// transform strings, and ChildSPIs the ESP/AH SPIs they name.
	Proposals [][]string
	ChildSPIs []uint32
	// CPI is the IPComp CPI the sender offers to receive on (IKEv1 IPCOMP
	// proposal, IKEv2 IPCOMP_SUPPORTED notify; 0: none), IPComp its
	// first IPComp transform ID (in a response, the one chosen).
	CPI    uint16
	IPComp uint8
	// PFS is the DH group a phase-2 message asks for (IKEv2 KE payload,
	// IKEv1 Group-Description attribute), 0 for none.
	PFS uint16
	// HasKE is set when a KE payload is present (IKEv1 Quick Mode PFS).
	HasKE bool
	// Seen lists where the message was seen, in a run over captures from
	// several points (nil otherwise); Frames and Times are then those of
	// the first capture (by number) that saw it, and Sent is the most
	// transmissions any one point saw.
	Seen []Sighting

	// Step is the message's place in its exchange as the protocol numbers
	// it: MM1–MM6, AM1–AM3, QM1–QM3; in IKEv2 1 for the request and 2 for
	// the response. It is read from the header and the payloads in clear
	// where they tell (a Main Mode message with a responder cookie is never
	// MM1), else from the order of arrival.
	Step int

	// What the message tells about the life of the SAs, from payloads in
	// clear or decrypted (see life.go).
	//
	// Suites are Proposals without their key-exchange transforms (IKEv2):
	// a rekey that offers the suites IKE_AUTH accepted and is refused
	// differs only in its PFS group.
	Suites [][]string
	// RekeySPI is the SPI a REKEY_SA notify names (IKEv2, decrypted): the
	// child SA the CREATE_CHILD_SA replaces.
	RekeySPI uint32
	// NewIKESPI is the SPI of an IKE proposal in a CREATE_CHILD_SA
	// (decrypted): the sender's SPI of the IKE SA that replaces this one.
	NewIKESPI isakmp.SPI
	// Deletes are the delete payloads, in clear or decrypted.
	Deletes []Deletion
	// InitialContact is set by an INITIAL_CONTACT notify: the sender has
	// no other SA with the peer (it restarted, or this is its first).
	InitialContact bool
	// Redirect is the gateway a REDIRECT notify sends the initiator to
	// (RFC 5685); Redirected is set by a REDIRECT or REDIRECTED_FROM
	// notify, even when the gateway cannot be read.
	Redirect   string
	Redirected bool

	// noResponderSPI and clearSA are what the header and payloads in clear
	// say of the message's step in IKEv1 Main Mode (see stepV1).
	noResponderSPI, clearSA bool

	hash uint64 // of the message's bytes as captured
	// head is the hash of the IKE header alone (SPIs, next payload,
	// exchange, flags, message ID, length), and cut is set when the capture
	// holds only the start of the message (a snaplen): two capture points
	// with different snaplens see different bytes of the same message.
	head uint64
	cut  bool
}

// Deletion is one delete payload: the IKE SA (IKE, or the ISAKMP SA with
// its cookies) or child SAs by their SPIs (as the sender receives on them).
type Deletion struct {
	Protocol isakmp.ProtocolID
	SPIs     []uint32 // ESP/AH SPIs; empty for the IKE SA
}

// IKE reports whether the delete is of the IKE (ISAKMP) SA itself.
func (d Deletion) IKE() bool { return d.Protocol == isakmp.ProtocolISAKMP }

// Retransmissions is how often the message was sent again.
func (m *Message) Retransmissions() int { return m.Sent - 1 }

// ErrorNotify returns the first error notify in clear, or nil.
func (m *Message) ErrorNotify() *Notify {
	for i := range m.Notifies {
		if m.Notifies[i].Error {
			return &m.Notifies[i]
		}
	}
	return nil
}

// HasNotify reports whether a notify of type t is in clear in the message.
func (m *Message) HasNotify(t isakmp.NotifyType) bool {
	for _, n := range m.Notifies {
		if n.Type == t {
			return true
		}
	}
	return false
}

// Exchange is one IKE exchange: the messages that belong together.
type Exchange struct {
	Type      isakmp.ExchangeType
	MessageID uint32
	// Phase is 1 for IKE SA setup (Main/Aggressive Mode, IKE_SA_INIT,
	// IKE_AUTH, IKE_INTERMEDIATE), 2 for child SA setup (Quick Mode,
	// CREATE_CHILD_SA), 0 for the rest (informational, transaction).
	Phase    int
	Messages []*Message
	// Attempt numbers repeated IKEv2 requests with the same message ID
	// but new content (a retry after COOKIE or INVALID_KE_PAYLOAD).
	Attempt int
	// FoldedMessages counts further distinct messages not kept (beyond
	// maxMessagesPerExchange).
	FoldedMessages int
	// By is who started the exchange (sent its request, or its first
	// message in IKEv1).
	By Direction
}

// Name is the engineer's name for the exchange ("Main Mode", "IKE_AUTH", ...).
func (e *Exchange) Name() string {
	switch e.Type {
	case isakmp.ExchangeV1Main:
		return "Main Mode"
	case isakmp.ExchangeV1Aggressive:
		return "Aggressive Mode"
	case isakmp.ExchangeV1Quick:
		return "Quick Mode"
	case isakmp.ExchangeV1Informational:
		return "Informational"
	case isakmp.ExchangeV1Transaction:
		return "Transaction"
	}
	return e.Type.String()
}

// First and Last are the first and last frame of the exchange.
func (e *Exchange) First() int { return e.Messages[0].Frames[0] }

// Last is the last frame in the exchange.
func (e *Exchange) Last() int {
	last := 0
	for _, m := range e.Messages {
		if f := m.Frames[len(m.Frames)-1]; f > last {
			last = f
		}
	}
	return last
}

// Requests and Responses count the distinct messages in each direction
// (IKEv2 by the R flag, IKEv1 by position).
func (e *Exchange) count(resp bool) int {
	n := 0
	for _, m := range e.Messages {
		if m.Response == resp {
			n++
		}
	}
	return n
}

// HasResponse reports whether any response was seen.
func (e *Exchange) HasResponse() bool { return e.count(true) > 0 }

// SAState is the state of an IKE or child SA at the end of what was seen.
type SAState string

// States.
const (
	StateEstablished SAState = "established"
	StateFailed      SAState = "failed"
	StateIncomplete  SAState = "incomplete" // the capture ended mid-negotiation
	StateDeleted     SAState = "deleted"
	StateRekeyed     SAState = "rekeyed" // replaced by a rekey, reauthentication or restart
	// StateExpired: a child SA that ended at its lifetime after its
	// rekeys were refused.
	StateExpired SAState = "expired"
)

// IKESA is one IKE SA (IKEv1 ISAKMP SA or IKEv2 IKE SA) and its exchanges.
type IKESA struct {
	ID           int
	Version      int
	InitiatorSPI isakmp.SPI
	ResponderSPI isakmp.SPI
	// Initiator and Responder are the latest addresses and ports (they
	// float from 500 to 4500 with NAT-T).
	Initiator netip.AddrPort
	Responder netip.AddrPort
	Exchanges []*Exchange
	// FoldedExchanges counts old exchanges dropped to bound memory (see
	// addExchange).
	FoldedExchanges int
	// Phase1Proposals is what the initiator offered in clear (IKEv1 SA of
	// MM1/AM1, IKEv2 SA of IKE_SA_INIT) and Phase1Chosen what the
	// responder accepted, as transform strings.
	Phase1Proposals [][]string
	Phase1Chosen    []string
	// Phase1ChosenTransforms is Phase1Chosen as decoded, for rules that
	// look at algorithm numbers.
	Phase1ChosenTransforms []isakmp.Transform
	// Phase1OfferedTransforms is Phase1Proposals as decoded, one list per
	// proposal.
	Phase1OfferedTransforms [][]isakmp.Transform
	// NATD holds the NAT detection results, when computable.
	NATD NATDetection
	// ICMPErrors lists frames of ICMP errors quoting this SA's messages.
	ICMPErrors []ICMPEvidence
	// Deleted is set when a delete for the IKE SA was seen in clear, or an
	// encrypted informational followed by silence suggests one.
	DeleteFrames []int
	First, Last  time.Time
	FirstFrame   int
	LastFrame    int
	Packets      int

	// ContinuedBy is the ID of a new IKE SA (new SPI) with which the same
	// initiator retried right after this one was refused with
	// INVALID_KE_PAYLOAD; Continues is the reverse link. Set by Snapshot.
	ContinuedBy int
	Continues   int

	// Set by Snapshot from the exchanges: see evaluate.
	State            SAState
	EstablishedFrame int
	Failure          *Failure
	Children         []Child

	// Points is the SA as each capture point saw it, in a run over
	// captures from several points (the first is where it was first seen;
	// its addresses are Initiator and Responder).
	Points []SAPoint

	// The SA's place in the life of its tunnels, set by Snapshot (life.go).
	//
	// BeforeCapture: the SA was set up before the capture began (its first
	// exchange seen is neither IKE_SA_INIT nor Main/Aggressive Mode) and
	// no rekey in the capture made it.
	BeforeCapture bool
	// Replaces and ReplacedBy are the IDs of the SA this one replaced and
	// of the one that replaced it (0: none); Link says how this SA replaced
	// its predecessor and how surely that is known.
	Replaces, ReplacedBy int
	Link                 *Link
	// RekeyedAt is the index of the exchange that rekeyed this IKE SA into
	// its successor (an IKEv2 CREATE_CHILD_SA carrying an IKE proposal), -1
	// for none.
	RekeyedAt int
	// RekeyFailure is a refused rekey of this IKE SA (a CREATE_CHILD_SA
	// whose IKE proposal the keys showed), nil for none.
	RekeyFailure *Failure
	// ikeRekeys are the exchanges that rekeyed, or tried to rekey, the IKE
	// SA itself rather than negotiate a child SA.
	ikeRekeys []int
	// End is when the SA ended in the capture (a delete, or its
	// replacement taking over), zero while it lives.
	End      time.Time
	EndFrame int
	// Tunnels are the IDs of the tunnels whose traffic the SA negotiated.
	Tunnels []int

	v1Hash uint64 // IKEv1 negotiated Hash-Algorithm, for NAT-D
}

// Mode is "main", "aggressive" or "ikev2" (empty while unknown).
func (sa *IKESA) Mode() string {
	if sa.Version == 2 {
		return "ikev2"
	}
	for _, e := range sa.Exchanges {
		switch e.Type {
		case isakmp.ExchangeV1Main:
			return "main"
		case isakmp.ExchangeV1Aggressive:
			return "aggressive"
		}
	}
	return ""
}

// NATDetection is what the NAT-D payloads (IKEv1) or notifies (IKEv2) say.
type NATDetection struct {
	Checked bool
	// InitiatorBehindNAT / ResponderBehindNAT: the hash for that side's
	// address and port did not match what the capture shows.
	InitiatorBehindNAT bool
	ResponderBehindNAT bool
	Frames             []int
}

// ICMPEvidence is an ICMP error quoting an IKE or ESP packet.
type ICMPEvidence struct {
	Frame       int
	From        netip.Addr
	Description string
}

// ESPFlow is the ESP traffic of one SPI in one direction.
//
// Every ESP packet of a capture updates one of these, so the fields it
// touches come first and together: on a busy capture the flows' state is
// evicted from the cache by the packets between two of the same flow, and
// each cache line touched per packet is a wait.
type ESPFlow struct {
	// sameSPI is the next flow with this SPI (another direction or
	// capture point), for the correlator's index.
	sameSPI *ESPFlow
	SPI     uint32
	// Sequence-number health (RFC 4303 §3.3.3, like the anti-replay window).
	MaxSeq uint32
	// Capture is the capture point that saw the flow in a multi-capture
	// run (each point has its own flows), else 0.
	Capture   int
	LastFrame int
	Packets   uint64
	Bytes     uint64
	window    uint64
	next      int // the slot of recent written next
	Last      time.Time
	Src, Dst  netip.AddrPort

	UDPEncapsulated bool
	seen            bool
	FirstFrame      int
	First           time.Time
	Lost            uint64 // sequence numbers skipped and never seen
	GapEvents       int
	Replays         uint64 // a sequence number seen twice
	OutOfOrder      uint64 // a lower sequence number first seen late
	GapFrames       []int  // the first frames after gaps (capped)
	// IKESA is the ID of the IKE SA that most probably negotiated this SPI,
	// 0 when none: linked by peer pair and time, since the SPIs travel
	// encrypted, or exactly by SPI (ExactLink) when keys revealed them.
	IKESA     int
	ExactLink bool

	// recent holds the last packets (a ring of recentFrames, without
	// pointers for the GC to follow), so rules can tell what one direction
	// did after the other stopped (PacketsAfter).
	recent [recentFrames]frameNanos
	// clockShift puts recent's times on the first capture's clock (set in
	// snapshots).
	clockShift time.Duration
	early      []seqTime // multi-capture runs: the first packets, to match across points
}

// frameNanos is a frame number and its time in Unix nanoseconds.
type frameNanos struct {
	frame int
	nanos int64
}

// seqTime is an ESP sequence number and when it was seen.
type seqTime struct {
	seq uint32
	t   time.Time
}

// recentFrames is how many of a flow's last frames are kept.
const recentFrames = 16

// PacketsAfter counts the flow's recent packets (at most recentFrames)
// sent after t and returns the first of their frames.
func (f *ESPFlow) PacketsAfter(t time.Time) (n int, first int) {
	after := t.Add(-f.clockShift).UnixNano()
	for _, r := range f.recent[:min(f.Packets, recentFrames)] {
		if r.nanos > after {
			n++
			if first == 0 || r.frame < first {
				first = r.frame
			}
		}
	}
	return n, first
}

// PeerPair is the two gateways of a tunnel, keyed by address (ports change
// with NAT-T).
type PeerPair struct {
	A, B          netip.Addr
	IKESAs        []int // IDs, in order of appearance
	ESP           []int // indexes into Analysis.ESP
	NATKeepalives int
	// Aliases are the pair's addresses as other capture points saw them
	// (the other side of a NAT), in a multi-capture run.
	Aliases [][2]netip.Addr
}

// Analysis is a consistent snapshot of everything correlated so far.
type Analysis struct {
	Peers  []*PeerPair
	IKESAs []*IKESA
	ESP    []*ESPFlow
	// Tunnels are what an engineer calls tunnels: a peer pair and its
	// protected flows, with every IKE SA, child SA and ESP flow of its life
	// (set by Snapshot, see life.go).
	Tunnels []*Tunnel
	// Packets counts what was added, by kind.
	IKEPackets, ESPPackets, ICMPErrors, Keepalives int
	FirstTime, LastTime                            time.Time
	// DroppedSAs counts IKE SAs and ESP flows not tracked because the
	// caps were reached (a scan or flood).
	DroppedIKESAs, DroppedESPFlows int
	// Captures describes each capture of a multi-capture run (nil for
	// one capture): span and clock offset.
	Captures []CaptureClock
	// Logs are the gateway log lines placed on the analysis (set by the
	// pipeline when logs were given), and LogFiles the logs read.
	Logs     []LogEvent
	LogFiles []LogSummary
	logsBySA map[int][]int // see IndexLogs
	// children indexes the child SAs by ID: positions in IKESAs and in
	// the SA's Children (set by the life pass, see ChildByID).
	children map[int][2]int
	// CaptureDrops is what the capturing interfaces reported as dropped
	// (set by the pipeline): the analysis may miss that many packets.
	CaptureDrops uint64
	// Frames is every frame read, and OtherTraffic what the frames without
	// IPsec carried, most first (set by the pipeline, as CaptureDrops): a
	// capture without IKE or ESP says with them what it held instead.
	Frames       int
	OtherTraffic []decode.Traffic
	// Ended is set when the captures were read to their end: only then
	// does the absence of IPsec say something (a live capture or a file
	// being loaded may simply not have come to it yet).
	Ended bool
}

// ChildByID returns the child SA with the given ID and its IKE SA, or nils.
func (a *Analysis) ChildByID(id int) (*IKESA, *Child) {
	if at, ok := a.children[id]; ok && at[0] < len(a.IKESAs) {
		// Where the life pass left it: true in the analysis and in views
		// of it that keep its IKE SAs in order (copies of them included).
		if sa := a.IKESAs[at[0]]; at[1] < len(sa.Children) && sa.Children[at[1]].ID == id {
			return sa, &sa.Children[at[1]]
		}
	}
	for _, sa := range a.IKESAs {
		for i := range sa.Children {
			if sa.Children[i].ID == id {
				return sa, &sa.Children[i]
			}
		}
	}
	return nil, nil
}

// TunnelByID returns the tunnel with the given ID, or nil.
func (a *Analysis) TunnelByID(id int) *Tunnel {
	if id >= 1 && id <= len(a.Tunnels) && a.Tunnels[id-1].ID == id {
		return a.Tunnels[id-1]
	}
	return nil
}

// IKESAByID returns the IKE SA with the given ID, or nil.
func (a *Analysis) IKESAByID(id int) *IKESA {
	if id < 1 {
		return nil // none: an SA that replaces nothing asks for 0
	}
	if id <= len(a.IKESAs) && a.IKESAs[id-1].ID == id {
		return a.IKESAs[id-1]
	}
	for _, sa := range a.IKESAs {
		if sa.ID == id {
			return sa
		}
	}
	return nil
}
