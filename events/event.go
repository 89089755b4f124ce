// Package events turns an analysis into a stream of events for a log
// pipeline: one JSON object per line for every finding and every change in
// a tunnel's state (up, rekeyed, down, failed), with Elastic Common Schema
// field names (@timestamp, event.*, rule.*, source.*, destination.*,
// network.*, observer.*), the IPsec specifics under ipsec.* and the schema
// version in ipsecpcap.events_schema, so that Filebeat, Vector, Fluent Bit or
// Logstash ship it as they ship Suricata's EVE JSON.
//
// It owns the event document (docs/events.schema.json, docs/events.md; its
// field names are a contract: added, never renamed), how events are derived
// from an analysis (the same derivation for a capture file, where every
// event of the final analysis is written in time order, and for a live
// capture, where each snapshot's events not written before are), and the
// writer that reopens its file on SIGHUP for the shipper's log rotation.
// Like every view it reads a correlate.Analysis and diagnose findings and
// never looks at a packet.
package events

import (
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// SchemaVersion is ipsecpcap.events_schema. It changes only when a field
// changes meaning; new fields do not change it.
const SchemaVersion = 1

// ECSVersion is the Elastic Common Schema version the field names follow.
const ECSVersion = "8.11.0"

// Event actions (event.action) and codes (event.code) of tunnel state
// changes. A finding's event.action is ActionFinding and its event.code the
// finding's code.
const (
	ActionFinding  = "finding"
	ActionUp       = "tunnel-up"
	ActionRekeyed  = "tunnel-rekeyed"
	ActionDown     = "tunnel-down"
	ActionFailed   = "tunnel-failed"
	CodeUp         = "TUNNEL_UP"
	CodeRekeyed    = "TUNNEL_REKEYED"
	CodeDown       = "TUNNEL_DOWN"
	CodeFailed     = "TUNNEL_FAILED"
	DatasetFinding = "ipsecpcap.finding"
	DatasetTunnel  = "ipsecpcap.tunnel"
)

// Event is one line of the stream.
type Event struct {
	Timestamp   string      `json:"@timestamp"`
	Message     string      `json:"message"`
	ECS         ECS         `json:"ecs"`
	Event       EventFields `json:"event"`
	Log         Log         `json:"log"`
	Rule        *Rule       `json:"rule,omitempty"`
	Source      *Endpoint   `json:"source,omitempty"`
	Destination *Endpoint   `json:"destination,omitempty"`
	Network     *Network    `json:"network,omitempty"`
	Observer    Observer    `json:"observer"`
	IPsec       IPsec       `json:"ipsec"`
	Meta        Meta        `json:"ipsecpcap"`
}

// ECS is ecs.version.
type ECS struct {
	Version string `json:"version"`
}

// EventFields are ECS's event.* fields.
type EventFields struct {
	// Kind is "alert" for a finding, "event" for a tunnel state change.
	Kind     string   `json:"kind"`
	Category []string `json:"category"`
	Type     []string `json:"type"`
	// Code is the finding code, or TUNNEL_UP, TUNNEL_REKEYED, TUNNEL_DOWN,
	// TUNNEL_FAILED.
	Code string `json:"code"`
	// Severity is the syslog severity number: 3 error, 4 warning, 6 info.
	Severity int    `json:"severity"`
	Action   string `json:"action"`
	Outcome  string `json:"outcome"`
	Dataset  string `json:"dataset"`
	Module   string `json:"module"`
	Provider string `json:"provider"`
}

// Log is log.level: "error", "warning" or "info".
type Log struct {
	Level string `json:"level"`
}

// Rule names the finding code as the rule that matched (findings only).
type Rule struct {
	Name        string `json:"name"`
	Category    string `json:"category,omitempty"`
	Description string `json:"description,omitempty"`
	Ruleset     string `json:"ruleset"`
}

// Endpoint is source.* or destination.*.
type Endpoint struct {
	IP   string `json:"ip"`
	Port int    `json:"port,omitempty"`
}

// Network is network.*.
type Network struct {
	Transport  string `json:"transport"`
	IANANumber string `json:"iana_number"`
	Type       string `json:"type"`
	Protocol   string `json:"protocol"`
}

// Observer is the sensor: observer.*.
type Observer struct {
	Hostname string   `json:"hostname"`
	Product  string   `json:"product"`
	Vendor   string   `json:"vendor"`
	Version  string   `json:"version"`
	Type     string   `json:"type"`
	Ingress  *Ingress `json:"ingress,omitempty"`
}

// Ingress is observer.ingress.interface.name: the interface a live
// capture reads.
type Ingress struct {
	Interface Interface `json:"interface"`
}

// Interface names an interface.
type Interface struct {
	Name string `json:"name"`
}

// IPsec holds the IPsec specifics: ipsec.*.
type IPsec struct {
	Tunnel  *Tunnel  `json:"tunnel,omitempty"`
	IKESA   *IKESA   `json:"ike_sa,omitempty"`
	ChildSA *ChildSA `json:"child_sa,omitempty"`
	Finding *Finding `json:"finding,omitempty"`
	// Frame is the frame that shows a state change (0: at the capture's
	// edge, a tunnel up since before it).
	Frame int `json:"frame,omitempty"`
}

// Tunnel is ipsec.tunnel: the tunnel an event is about.
type Tunnel struct {
	// ID is the tunnel's number in the analysis (analyze --json's
	// tunnels[].id; a live capture numbers its snapshots afresh), Key the
	// name that does not change while the tunnel lives (the metrics'
	// tunnel label).
	ID        int    `json:"id"`
	Key       string `json:"key"`
	PeerA     string `json:"peer_a"`
	PeerB     string `json:"peer_b"`
	Selectors string `json:"selectors,omitempty"`
	State     string `json:"state"`
	Rekeys    int    `json:"rekeys"`
	// SinceBeforeCapture: the tunnel was up when the capture began.
	SinceBeforeCapture bool `json:"since_before_capture,omitempty"`
}

// IKESA is ipsec.ike_sa.
type IKESA struct {
	ID           int    `json:"id"`
	Version      int    `json:"version"`
	Mode         string `json:"mode,omitempty"`
	InitiatorSPI string `json:"initiator_spi"`
	ResponderSPI string `json:"responder_spi"`
	Initiator    string `json:"initiator"`
	Responder    string `json:"responder"`
	State        string `json:"state"`
}

// ChildSA is ipsec.child_sa.
type ChildSA struct {
	ID               int      `json:"id"`
	Kind             string   `json:"kind"`
	State            string   `json:"state"`
	InboundSPI       string   `json:"inbound_spi,omitempty"`
	OutboundSPI      string   `json:"outbound_spi,omitempty"`
	TrafficSelectors []string `json:"traffic_selectors,omitempty"`
	PFSGroup         uint16   `json:"pfs_group,omitempty"`
}

// Finding is ipsec.finding: the finding as analyze --json writes it,
// without the platform commands (ipsecpcap codes has them).
type Finding struct {
	Code      string           `json:"code"`
	Severity  string           `json:"severity"`
	Certainty string           `json:"certainty"`
	Summary   string           `json:"summary"`
	During    string           `json:"during,omitempty"`
	Frames    []int            `json:"frames"`
	Causes    []diagnose.Cause `json:"causes"`
	Remedy    string           `json:"remedy"`
	LogLines  []string         `json:"log_lines,omitempty"`
}

// Meta is ipsecpcap.*: the schema version, and the capture a file's events
// come from.
type Meta struct {
	EventsSchema int    `json:"events_schema"`
	Input        string `json:"input,omitempty"`
}
