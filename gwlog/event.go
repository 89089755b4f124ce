package gwlog

import (
	"net/netip"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Format is the kind of log a line (or a whole log) is in.
type Format string

// Formats.
const (
	FormatUnknown Format = ""
	FormatCharon  Format = "charon"  // strongSwan charon, file logger or syslog/journald
	FormatPluto   Format = "pluto"   // libreswan pluto
	FormatComware Format = "comware" // H3C/Comware terminal debugging
)

// Side is the role of the logging gateway in the IKE SA a line concerns.
type Side uint8

// Sides.
const (
	SideUnknown Side = iota
	SideInitiator
	SideResponder
)

func (s Side) String() string {
	switch s {
	case SideInitiator:
		return "initiator"
	case SideResponder:
		return "responder"
	}
	return "unknown"
}

// Basis says how a line knows its Cause, so that a daemon's own failed check
// outranks a notify from the peer, which outranks a timeout.
type Basis uint8

// Bases, strongest first.
const (
	BasisNone       Basis = iota
	BasisLocalCheck       // this daemon's own check failed ("no matching CHILD_SA config found")
	BasisPeerNotify       // the peer said so with a notify ("received TS_UNACCEPTABLE notify")
	BasisTimeout          // nothing came back ("giving up after 3 retransmits")
)

func (b Basis) String() string {
	switch b {
	case BasisLocalCheck:
		return "local check"
	case BasisPeerNotify:
		return "peer notify"
	case BasisTimeout:
		return "timeout"
	}
	return ""
}

// Packet is an IKE packet the gateway sent or received.
type Packet struct {
	Sent   bool
	Local  netip.AddrPort // the gateway's address and port ("from" when sent)
	Remote netip.AddrPort
	// Bytes is the size the daemon logs: for charon the ISAKMP length, on
	// the NAT-T port too (without the 4-byte non-ESP marker). 0 when the
	// line has no size.
	Bytes int
}

// Message is an IKE message the gateway generated or parsed.
type Message struct {
	Generated bool // generated (to send) rather than parsed (received)
	Version   int  // 1 or 2
	Exchange  isakmp.ExchangeType
	Response  bool
	MessageID uint32
	// HasMessageID is false when the line does not say (Comware events
	// without a message ID field).
	HasMessageID bool
	// Payloads is the compact payload list as logged ("SA", "KE", "No",
	// "N(NATD_S_IP)", ...).
	Payloads []string
	// Notifies are the notify payloads, by long name (NO_PROPOSAL_CHOSEN).
	Notifies []string
	// Length is the ISAKMP length when the line gives it (Comware), else 0.
	Length int
	// Retransmit is set for charon's "sending retransmit N of request
	// message ID M": the next packet sent is that message again.
	Retransmit bool
}

// Notify is a notify the gateway sent or received, by long name.
type Notify struct {
	Name string
	Sent bool
}

// Child is a child SA as the gateway that logged it sees it: the SPIs it
// receives on (In) and sends with (Out), and the protected flows, local
// and remote.
type Child struct {
	In, Out       uint32
	Local, Remote string
}

// Event is one log line (or one multi-line Comware entry) that says
// something about the negotiation. It never carries key material.
type Event struct {
	Line  int    // 1-based line number of the (first) line
	Stamp string // the timestamp as written, "" if none
	// Time is Stamp read as a wall clock of the gateway; when the stamp
	// carries a zone the zone is kept. HasDate and HasYear tell which parts
	// were written (charon's default and syslog have no year, a charon
	// time format "%T" no date); the missing parts are zero.
	Time             time.Time
	HasTime, HasDate bool
	HasYear          bool
	Host             string // syslog host or Comware device name, "" if none
	Format           Format
	// Thread is charon's worker thread (-1 when unknown); Subsystem its log
	// group (NET, IKE, CFG, ...) or Comware's module (IKE, IPSEC).
	Thread    int
	Subsystem string
	// Conn is the IKE SA or connection name and ConnID its unique ID
	// (charon <lab|3> or IKE_SA lab[3], pluto's state serial "lab" #3);
	// ConnID 0 when unknown. charon lines without ike_name get them from a
	// later line of the same thread's job that names the IKE SA.
	Conn   string
	ConnID int
	Text   string // the message, trimmed and capped, never secrets

	Packet   *Packet
	Message  *Message
	Notifies []Notify
	// ISPI and RSPI are the IKE SA SPIs when the line has them.
	ISPI, RSPI isakmp.SPI
	HasSPIs    bool
	// Child is the child SA the line says was installed, when it does.
	Child *Child
	// Setting is what the line says the gateway expected, received or
	// matched (its configured proposals, flows, peer config), when it does.
	Setting *Setting
	// Side is the gateway's role in the IKE SA when the log makes it
	// known (who initiated); Align fills it from the capture otherwise.
	Side Side
	// Cause is a diagnose finding code when the line states a root cause,
	// Basis how it knows, and Reason the cause in a few words.
	Cause  string
	Basis  Basis
	Reason string
}

// Log is one parsed gateway log.
type Log struct {
	Name   string
	Format Format // the format of most recognised lines
	Events []Event
	// Configs are the connections the log dumped as they were loaded, in
	// the order of the log.
	Configs []Config
	// Lines counts the lines read, Recognized those in a known format,
	// Skipped the foreign or malformed ones (blank lines are neither),
	// Withheld the secret-bearing lines dropped unread (hex dumps and
	// their "=> N bytes @" headers), Truncated the lines cut at MaxLine.
	Lines, Recognized, Skipped, Withheld, Truncated int
	// Size and SHA256 are of the bytes read, for reports' chain of
	// custody.
	Size   int64
	SHA256 string
}
