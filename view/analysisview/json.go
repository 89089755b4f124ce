package analysisview

import (
	"fmt"
	"io"
	"reflect"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// SchemaVersion is the version of the JSON document (docs/analysis-schema.md).
// It changes only when a field changes meaning; new fields do not change it.
const SchemaVersion = 1

// Document is the JSON document of `ipsecpcap analyze --json`.
type Document struct {
	Schema   int                `json:"schema"`
	Tool     ToolInfo           `json:"tool"`
	Input    InputDoc           `json:"input"`
	Verdict  string             `json:"verdict"` // "healthy", "failure" or "no_ipsec" (diagnose.Verdict)
	Peers    []PeerDoc          `json:"peers"`
	IKESAs   []IKESADoc         `json:"ike_sas"`
	ESP      []ESPDoc           `json:"esp"`
	Findings []diagnose.Finding `json:"findings"`
	// Captures lists the captures of a multi-capture run (absent for one
	// capture). Frame numbers in such a document are frame IDs:
	// capture × 2^40 + the frame's number in that capture.
	Captures []CaptureDoc `json:"captures,omitempty"`
	// Logs lists the gateway logs read (--log) and how they aligned;
	// LogEvents their lines about the IKE SAs of the capture.
	Logs      []LogDoc      `json:"logs,omitempty"`
	LogEvents []LogEventDoc `json:"log_events,omitempty"`
	// Tunnels are the tunnels as an engineer means the word: a peer pair
	// and its protected flows, with the IKE SAs, child SAs and ESP flows of
	// its life and the intervals it was up.
	Tunnels []TunnelDoc `json:"tunnels"`
}

// TunnelDoc is one tunnel across its life.
type TunnelDoc struct {
	ID int    `json:"id"`
	A  string `json:"a"`
	B  string `json:"b"`
	// Selectors are the protected flows ("" when the keys did not show them).
	Selectors string `json:"selectors,omitempty"`
	// State is "up", "down", "failed" or "negotiating" at the end of the capture.
	State    string        `json:"state"`
	IKESAs   []int         `json:"ike_sas"`
	Children []int         `json:"child_sas"` // child SA IDs
	ESP      []int         `json:"esp"`
	Up       []IntervalDoc `json:"up"`
	// Rekeys counts the child SA rekeys, IKE SA rekeys and
	// reauthentications of its life.
	Rekeys int `json:"rekeys"`
}

// IntervalDoc is a span of time a tunnel was up, in seconds from the
// analysis start (frames 0 at the capture's edges).
type IntervalDoc struct {
	From        float64 `json:"from"`
	To          float64 `json:"to"`
	FromFrame   int     `json:"from_frame,omitempty"`
	ToFrame     int     `json:"to_frame,omitempty"`
	SinceBefore bool    `json:"since_before_capture,omitempty"`
	UntilEnd    bool    `json:"until_end,omitempty"`
}

// LinkDoc is how an SA replaced its predecessor.
type LinkDoc struct {
	Kind    string `json:"kind"`
	Certain bool   `json:"certain"`
	Why     string `json:"why"`
	Frame   int    `json:"frame,omitempty"`
}

// ToolInfo names the tool and version that wrote the document.
type ToolInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// InputDoc describes the analysed capture.
type InputDoc struct {
	Name      string `json:"name"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Packets   int    `json:"packets"`
	First     string `json:"first_time,omitempty"`
	Last      string `json:"last_time,omitempty"`
	ReadError string `json:"read_error,omitempty"`
	// KeyFiles are the key files used, by name.
	KeyFiles []string `json:"key_files"`
	// IKE/ESP/keepalive/ICMP counts as correlated.
	IKEPackets int `json:"ike_packets"`
	ESPPackets int `json:"esp_packets"`
	Keepalives int `json:"nat_keepalives"`
	ICMPErrors int `json:"icmp_errors"`
	// Point, Grouping and Files describe a capture read from several
	// files (absent for one file).
	Point    string    `json:"point,omitempty"`
	Grouping string    `json:"grouping,omitempty"`
	Files    []FileDoc `json:"files,omitempty"`
}

// FileDoc is one file of a capture point read from several: its frames as
// the point numbers them (one run across its files, as mergecap -a).
type FileDoc struct {
	Name       string `json:"name"`
	Size       int64  `json:"size"`
	SHA256     string `json:"sha256"`
	Packets    int    `json:"packets"`
	FirstFrame int    `json:"first_frame,omitempty"`
	LastFrame  int    `json:"last_frame,omitempty"`
	ReadError  string `json:"read_error,omitempty"`
}

// PeerDoc is one peer pair.
type PeerDoc struct {
	A             string `json:"a"`
	B             string `json:"b"`
	IKESAs        []int  `json:"ike_sas"`
	ESP           []int  `json:"esp"`
	NATKeepalives int    `json:"nat_keepalives"`
}

// IKESADoc is one IKE SA.
type IKESADoc struct {
	ID               int           `json:"id"`
	Version          int           `json:"version"`
	Mode             string        `json:"mode"`
	ISPI             string        `json:"ispi"`
	RSPI             string        `json:"rspi"`
	Initiator        string        `json:"initiator"`
	Responder        string        `json:"responder"`
	State            string        `json:"state"`
	EstablishedFrame int           `json:"established_frame,omitempty"`
	Failure          *FailureDoc   `json:"failure,omitempty"`
	Phase1Offered    [][]string    `json:"phase1_offered,omitempty"`
	Phase1Chosen     []string      `json:"phase1_chosen,omitempty"`
	NAT              *NATDoc       `json:"nat,omitempty"`
	Exchanges        []ExchangeDoc `json:"exchanges"`
	Children         []ChildDoc    `json:"child_sas"`
	FirstFrame       int           `json:"first_frame"`
	LastFrame        int           `json:"last_frame"`
	// Continues / ContinuedBy link an IKEv2 SA refused with
	// INVALID_KE_PAYLOAD to the retry under a new SPI.
	Continues   int `json:"continues,omitempty"`
	ContinuedBy int `json:"continued_by,omitempty"`
	// Kind is how the SA came to be: "initial", "before_capture" (set up
	// before the capture began), or how it replaced its predecessor
	// ("rekey", "reauth", "renegotiation", "restart", "retry",
	// "redirect"); Replaces and ReplacedBy are SA IDs, Link the evidence.
	Kind       string   `json:"kind"`
	Replaces   int      `json:"replaces,omitempty"`
	ReplacedBy int      `json:"replaced_by,omitempty"`
	Link       *LinkDoc `json:"link,omitempty"`
	// EndFrame is where the SA ended in the capture (deleted or replaced).
	EndFrame int   `json:"end_frame,omitempty"`
	Tunnels  []int `json:"tunnels"`
	// RekeyFailure is a refused rekey of the IKE SA itself.
	RekeyFailure *FailureDoc `json:"rekey_failure,omitempty"`
}

// FailureDoc is where an IKE SA's negotiation stopped.
type FailureDoc struct {
	Kind     string `json:"kind"`
	Exchange string `json:"exchange"`
	Index    int    `json:"exchange_index"`
	Message  int    `json:"message"`
	Frame    int    `json:"frame"`
	Notify   string `json:"notify,omitempty"`
}

// NATDoc is the NAT detection result.
type NATDoc struct {
	InitiatorBehindNAT bool  `json:"initiator_behind_nat"`
	ResponderBehindNAT bool  `json:"responder_behind_nat"`
	Frames             []int `json:"frames"`
}

// ExchangeDoc is one exchange.
type ExchangeDoc struct {
	Type      int          `json:"type"`
	Name      string       `json:"name"`
	Phase     int          `json:"phase"`
	MessageID uint32       `json:"message_id"`
	Attempt   int          `json:"attempt,omitempty"`
	Messages  []MessageDoc `json:"messages"`
}

// MessageDoc is one message with its transmissions.
type MessageDoc struct {
	Frames          []int       `json:"frames"`
	Sent            int         `json:"sent"`
	Rel             []float64   `json:"rel"`
	Direction       string      `json:"direction"` // "i2r" or "r2i"
	Response        bool        `json:"response"`
	Src             string      `json:"src"`
	Dst             string      `json:"dst"`
	Length          int         `json:"length"`
	Encrypted       bool        `json:"encrypted"`
	FirstInner      string      `json:"first_inner,omitempty"`
	Payloads        string      `json:"payloads"`
	Notifies        []NotifyDoc `json:"notifies"`
	IPFragmented    bool        `json:"ip_fragmented,omitempty"`
	UDPEncapsulated bool        `json:"udp_encap,omitempty"`
	// With keys: what decryption revealed, or why it failed.
	Decrypted      bool       `json:"decrypted,omitempty"`
	Inner          string     `json:"decrypted_payloads,omitempty"`
	DecryptFailure string     `json:"decrypt_failure,omitempty"`
	IDs            []string   `json:"ids,omitempty"`
	TS             []string   `json:"traffic_selectors,omitempty"`
	Proposals      [][]string `json:"proposals,omitempty"`
	PFSGroup       uint16     `json:"pfs_group,omitempty"`
	ChildSPIs      []string   `json:"child_spis,omitempty"`
	// Seen lists where the message was seen, in a multi-capture run.
	Seen []SightingDoc `json:"seen,omitempty"`
}

// NotifyDoc is a notify seen in clear.
type NotifyDoc struct {
	Type      int    `json:"type"`
	Name      string `json:"name"`
	Error     bool   `json:"error"`
	Detail    string `json:"detail,omitempty"`
	Decrypted bool   `json:"decrypted,omitempty"`
}

// ChildDoc is a child SA and its negotiation.
type ChildDoc struct {
	// Exchange is the index of its negotiation, -1 for a child SA set up
	// before the capture.
	Exchange int    `json:"exchange_index"`
	State    string `json:"state"`
	Frame    int    `json:"frame"`
	ESP      []int  `json:"esp"`
	ID       int    `json:"id"`
	// Kind is "initial", "new", "rekey" or "before_capture".
	Kind string `json:"kind"`
	// By is who started its negotiation: "initiator" or "responder" of the
	// IKE SA (absent before the capture).
	By string `json:"by,omitempty"`
	// InboundSPI and OutboundSPI are as the IKE SA's initiator sees them
	// (hex; absent when not known).
	InboundSPI  string `json:"inbound_spi,omitempty"`
	OutboundSPI string `json:"outbound_spi,omitempty"`
	// IPComp is the IPComp transform agreed ("DEFLATE"), InboundCPI and
	// OutboundCPI its CPIs beside the SPIs they pair with (hex; absent
	// without IPComp).
	IPComp      string      `json:"ipcomp,omitempty"`
	InboundCPI  string      `json:"inbound_cpi,omitempty"`
	OutboundCPI string      `json:"outbound_cpi,omitempty"`
	TS          []string    `json:"traffic_selectors,omitempty"`
	PFSGroup    uint16      `json:"pfs_group,omitempty"`
	Replaces    int         `json:"replaces,omitempty"`
	ReplacedBy  int         `json:"replaced_by,omitempty"`
	Link        *LinkDoc    `json:"link,omitempty"`
	Collision   bool        `json:"collision,omitempty"`
	Failure     *FailureDoc `json:"failure,omitempty"`
	EndFrame    int         `json:"end_frame,omitempty"`
	Tunnel      int         `json:"tunnel"`
}

// ESPDoc is one ESP flow (one SPI, one direction).
type ESPDoc struct {
	Index      int    `json:"index"`
	SPI        string `json:"spi"`
	Src        string `json:"src"`
	Dst        string `json:"dst"`
	UDPEncap   bool   `json:"udp_encap"`
	FirstFrame int    `json:"first_frame"`
	LastFrame  int    `json:"last_frame"`
	Packets    uint64 `json:"packets"`
	Bytes      uint64 `json:"bytes"`
	MaxSeq     uint32 `json:"max_seq"`
	Lost       uint64 `json:"lost"`
	Replays    uint64 `json:"replays"`
	OutOfOrder uint64 `json:"out_of_order"`
	IKESA      int    `json:"ike_sa"`
	// Capture is the capture point that saw the flow (multi-capture runs).
	Capture int `json:"capture,omitempty"`
}

// CaptureDoc is one capture of a multi-capture run.
type CaptureDoc struct {
	Capture   int    `json:"capture"`
	Name      string `json:"name"`
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256"`
	Packets   int    `json:"packets"`
	ReadError string `json:"read_error,omitempty"`
	Drops     uint64 `json:"drops,omitempty"`
	// OffsetSeconds is this capture's clock minus the first capture's,
	// estimated from OffsetSamples packets seen by both (0 samples: not
	// estimated); PathDelaySeconds the one-way delay between the points.
	OffsetSeconds    float64 `json:"offset_seconds"`
	OffsetSamples    int     `json:"offset_samples"`
	PathDelaySeconds float64 `json:"path_delay_seconds,omitempty"`
	// Point, Grouping and Files as in InputDoc.
	Point    string    `json:"point,omitempty"`
	Grouping string    `json:"grouping,omitempty"`
	Files    []FileDoc `json:"files,omitempty"`
}

// LogDoc is one gateway log read with --log.
type LogDoc struct {
	Name    string `json:"name"`
	Format  string `json:"format"`
	Lines   int    `json:"lines"`
	Events  int    `json:"events"`
	Skipped int    `json:"skipped"`
	// Aligned counts the log's packet lines matched to frames, and
	// OffsetSeconds is the log's clock minus the (first) capture's.
	Aligned       int     `json:"aligned"`
	OffsetSeconds float64 `json:"offset_seconds"`
	// Size and SHA256 are of the log file as read.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// LogDocs describes the logs of an analysis (nil without logs).
func LogDocs(a *correlate.Analysis) []LogDoc {
	var out []LogDoc
	for _, l := range a.LogFiles {
		out = append(out, LogDoc{Name: l.Name, Format: l.Format, Lines: l.Lines, Events: l.Events, Skipped: l.Skipped,
			Aligned: l.Aligned, OffsetSeconds: l.Offset.Seconds(), Size: l.Size, SHA256: l.SHA256})
	}
	return out
}

// LogEventDoc is one gateway log line placed on the analysis.
type LogEventDoc struct {
	Log  string `json:"log"`
	Line int    `json:"line"`
	// Rel is seconds from the analysis start, on the capture's clock
	// (absent when the line has no time).
	Rel     *float64 `json:"rel,omitempty"`
	Side    string   `json:"side,omitempty"` // "initiator" or "responder"
	IKESA   int      `json:"ike_sa,omitempty"`
	Frame   int      `json:"frame,omitempty"`
	Matched bool     `json:"matched,omitempty"` // the line describes that frame
	Packet  string   `json:"packet,omitempty"`  // "sent" or "received"
	// Cause is the finding code the line states, Basis how ("local
	// check", "peer notify", "timeout"), Reason in a few words.
	Cause    string   `json:"cause,omitempty"`
	Basis    string   `json:"basis,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Notifies []string `json:"notifies,omitempty"` // "sent:NAME" / "received:NAME"
	Text     string   `json:"text"`
}

// SightingDoc is one capture point's sighting of a message.
type SightingDoc struct {
	Capture int `json:"capture"`
	Frame   int `json:"frame"` // the frame's number in that capture
	// Rel is seconds from the analysis start, on the first capture's clock.
	Rel float64 `json:"rel"`
}

// BuildDocument assembles the JSON document.
func BuildDocument(in Input, version string, a *correlate.Analysis, fs []diagnose.Finding) Document {
	d := Document{Schema: SchemaVersion, Tool: ToolInfo{"ipsecpcap", version}, Verdict: "healthy",
		Peers: []PeerDoc{}, IKESAs: []IKESADoc{}, ESP: []ESPDoc{}, Findings: fs, Tunnels: []TunnelDoc{}}
	if d.Findings == nil {
		d.Findings = []diagnose.Finding{}
	}
	d.Verdict = diagnose.Verdict(a, fs)
	t0 := a.FirstTime
	d.Input = InputDoc{Name: in.Name, Size: in.Size, SHA256: in.SHA256, Packets: in.Packets, ReadError: in.ReadError, KeyFiles: in.KeyFiles,
		IKEPackets: a.IKEPackets, ESPPackets: a.ESPPackets, Keepalives: a.Keepalives, ICMPErrors: a.ICMPErrors,
		Point: in.Point, Grouping: in.Grouping, Files: in.Files}
	if d.Input.KeyFiles == nil {
		d.Input.KeyFiles = []string{}
	}
	if !t0.IsZero() {
		d.Input.First, d.Input.Last = t0.UTC().Format(time.RFC3339Nano), a.LastTime.UTC().Format(time.RFC3339Nano)
	}
	for _, pp := range a.Peers {
		d.Peers = append(d.Peers, PeerDoc{A: pp.A.String(), B: pp.B.String(), IKESAs: nonNil(pp.IKESAs), ESP: nonNil(pp.ESP), NATKeepalives: pp.NATKeepalives})
	}
	for _, sa := range a.IKESAs {
		d.IKESAs = append(d.IKESAs, ikeSADoc(sa, t0))
	}
	for i, f := range a.ESP {
		d.ESP = append(d.ESP, ESPDoc{Index: i, SPI: fmt.Sprintf("%08x", f.SPI), Src: f.Src.String(), Dst: f.Dst.String(),
			UDPEncap: f.UDPEncapsulated, FirstFrame: f.FirstFrame, LastFrame: f.LastFrame, Packets: f.Packets, Bytes: f.Bytes,
			MaxSeq: f.MaxSeq, Lost: f.Lost, Replays: f.Replays, OutOfOrder: f.OutOfOrder, IKESA: f.IKESA, Capture: f.Capture})
	}
	for _, t := range a.Tunnels {
		d.Tunnels = append(d.Tunnels, tunnelDoc(a, t, t0))
	}
	for i, p := range in.Points {
		cd := CaptureDoc{Capture: i + 1, Name: p.Name, Size: p.Size, SHA256: p.SHA256, Packets: p.Packets, ReadError: p.ReadError, Drops: p.Drops,
			Point: p.Point, Grouping: p.Grouping, Files: p.Files}
		if i < len(a.Captures) {
			cc := a.Captures[i]
			cd.OffsetSeconds, cd.OffsetSamples, cd.PathDelaySeconds = cc.Offset.Seconds(), cc.Samples, cc.PathDelay.Seconds()
		}
		d.Captures = append(d.Captures, cd)
	}
	d.Logs = LogDocs(a)
	for _, e := range a.Logs {
		if e.IKESA == 0 && e.Cause == "" {
			continue
		}
		ed := LogEventDoc{Log: e.Log, Line: e.Line, Side: e.Side, IKESA: e.IKESA, Frame: e.Frame, Matched: e.Matched,
			Packet: e.Packet, Cause: e.Cause, Basis: e.Basis, Reason: e.Reason, Notifies: e.Notifies, Text: e.Text}
		if !e.Time.IsZero() {
			rel := e.Time.Sub(t0).Seconds()
			ed.Rel = &rel
		}
		d.LogEvents = append(d.LogEvents, ed)
	}
	return d
}

func ikeSADoc(sa *correlate.IKESA, t0 time.Time) IKESADoc {
	doc := IKESADoc{ID: sa.ID, Version: sa.Version, Mode: sa.Mode(), ISPI: sa.InitiatorSPI.String(), RSPI: sa.ResponderSPI.String(),
		Initiator: sa.Initiator.String(), Responder: sa.Responder.String(), State: string(sa.State),
		EstablishedFrame: sa.EstablishedFrame, Phase1Offered: sa.Phase1Proposals, Phase1Chosen: sa.Phase1Chosen,
		Exchanges: []ExchangeDoc{}, Children: []ChildDoc{}, FirstFrame: sa.FirstFrame, LastFrame: sa.LastFrame,
		Continues: sa.Continues, ContinuedBy: sa.ContinuedBy}
	doc.Failure = failureDoc(sa, sa.Failure)
	doc.RekeyFailure = failureDoc(sa, sa.RekeyFailure)
	doc.Kind, doc.Replaces, doc.ReplacedBy, doc.Link = "initial", sa.Replaces, sa.ReplacedBy, linkDoc(sa.Link)
	switch {
	case sa.Link != nil:
		doc.Kind = string(sa.Link.Kind)
	case sa.BeforeCapture:
		doc.Kind = "before_capture"
	}
	doc.EndFrame, doc.Tunnels = sa.EndFrame, nonNil(sa.Tunnels)
	if sa.NATD.Checked {
		doc.NAT = &NATDoc{InitiatorBehindNAT: sa.NATD.InitiatorBehindNAT, ResponderBehindNAT: sa.NATD.ResponderBehindNAT, Frames: nonNil(sa.NATD.Frames)}
	}
	for _, ex := range sa.Exchanges {
		ed := ExchangeDoc{Type: int(ex.Type), Name: ex.Name(), Phase: ex.Phase, MessageID: ex.MessageID, Attempt: ex.Attempt, Messages: []MessageDoc{}}
		for _, m := range ex.Messages {
			md := MessageDoc{Frames: m.Frames, Sent: m.Sent, Direction: "i2r", Response: m.Response, Src: m.Src.String(), Dst: m.Dst.String(),
				Length: m.Length, Encrypted: m.Encrypted, Payloads: m.Summary, Notifies: []NotifyDoc{},
				IPFragmented: m.IPFragmented, UDPEncapsulated: m.UDPEncapsulated,
				Decrypted: m.Decrypted, Inner: m.Inner, DecryptFailure: m.DecryptFailure, IDs: m.IDs, TS: m.TS,
				Proposals: m.Proposals, PFSGroup: m.PFS}
			for _, spi := range m.ChildSPIs {
				md.ChildSPIs = append(md.ChildSPIs, fmt.Sprintf("%08x", spi))
			}
			if m.Dir == correlate.FromResponder {
				md.Direction = "r2i"
			}
			if m.Encrypted {
				md.FirstInner = m.FirstInner.Abbrev()
			}
			for _, t := range m.Times {
				md.Rel = append(md.Rel, t.Sub(t0).Seconds())
			}
			for _, s := range m.Seen {
				_, n := decode.SplitFrame(s.Frame)
				md.Seen = append(md.Seen, SightingDoc{Capture: s.Capture, Frame: n, Rel: s.Time.Sub(t0).Seconds()})
			}
			for _, n := range m.Notifies {
				md.Notifies = append(md.Notifies, NotifyDoc{Type: int(n.Type), Name: n.Name, Error: n.Error, Detail: n.Detail, Decrypted: n.Decrypted})
			}
			ed.Messages = append(ed.Messages, md)
		}
		doc.Exchanges = append(doc.Exchanges, ed)
	}
	for _, ch := range sa.Children {
		cd := ChildDoc{Exchange: ch.Exchange, State: string(ch.State), Frame: ch.Frame, ESP: nonNil(ch.ESP),
			ID: ch.ID, Kind: string(ch.Kind), TS: ch.TS, PFSGroup: ch.PFS, Replaces: ch.Replaces, ReplacedBy: ch.ReplacedBy,
			Link: linkDoc(ch.Link), Collision: ch.Collision, Failure: failureDoc(sa, ch.Failure), EndFrame: ch.EndFrame, Tunnel: ch.Tunnel}
		switch ch.By {
		case correlate.FromInitiator:
			cd.By = "initiator"
		case correlate.FromResponder:
			cd.By = "responder"
		}
		if ch.SPIIn != 0 {
			cd.InboundSPI = fmt.Sprintf("%08x", ch.SPIIn)
		}
		if ch.SPIOut != 0 {
			cd.OutboundSPI = fmt.Sprintf("%08x", ch.SPIOut)
		}
		if ch.IPComp != "" {
			cd.IPComp = ch.IPComp
			cd.InboundCPI, cd.OutboundCPI = fmt.Sprintf("%04x", ch.CPIIn), fmt.Sprintf("%04x", ch.CPIOut)
		}
		doc.Children = append(doc.Children, cd)
	}
	return doc
}

func failureDoc(sa *correlate.IKESA, fl *correlate.Failure) *FailureDoc {
	if fl == nil {
		return nil
	}
	fd := &FailureDoc{Kind: string(fl.Kind), Exchange: sa.Exchanges[fl.Exchange].Name(), Index: fl.Exchange, Message: fl.Message, Frame: fl.Frame}
	if fl.Notify != nil {
		fd.Notify = fl.Notify.Name
	}
	return fd
}

func linkDoc(l *correlate.Link) *LinkDoc {
	if l == nil {
		return nil
	}
	return &LinkDoc{Kind: string(l.Kind), Certain: l.Certain, Why: l.Why, Frame: l.Frame}
}

func tunnelDoc(a *correlate.Analysis, t *correlate.Tunnel, t0 time.Time) TunnelDoc {
	d := TunnelDoc{ID: t.ID, A: t.A.String(), B: t.B.String(), Selectors: t.Selectors, State: string(t.State),
		IKESAs: nonNil(t.IKESAs), Children: nonNil(t.Children), ESP: nonNil(t.ESP), Up: []IntervalDoc{}, Rekeys: Rekeys(a, t)}
	for _, iv := range t.Up {
		d.Up = append(d.Up, IntervalDoc{From: iv.From.Sub(t0).Seconds(), To: iv.To.Sub(t0).Seconds(), FromFrame: iv.FromFrame,
			ToFrame: iv.ToFrame, SinceBefore: iv.SinceBefore, UntilEnd: iv.UntilEnd})
	}
	return d
}

// Rekeys counts a tunnel's child SA rekeys, IKE SA rekeys and
// reauthentications.
func Rekeys(a *correlate.Analysis, t *correlate.Tunnel) int {
	n := 0
	for _, id := range t.Children {
		if _, c := a.ChildByID(id); c != nil && c.Rekeyed() {
			n++
		}
	}
	for _, id := range t.IKESAs {
		if sa := a.IKESAByID(id); sa != nil && sa.Renewed() {
			n++
		}
	}
	return n
}

func nonNil(v []int) []int {
	if v == nil {
		return []int{}
	}
	return v
}

// WriteJSON writes the document, indented, exactly as json.Encoder with
// SetIndent("", "  ") would, but one array element at a time: the document
// of a capture with thousands of tunnels is never held whole in memory.
func WriteJSON(w io.Writer, d Document) error {
	return writeIndented(w, reflect.ValueOf(d))
}
