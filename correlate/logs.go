package correlate

import (
	"slices"
	"time"
)

// LogEvent is a line of a gateway's own log (strongSwan charon, libreswan
// pluto, H3C Comware debugging) placed on the analysis by package gwlog.
// It stands on the timeline beside the packets, and a line that states a
// root cause makes a diagnosis certain without keys. It never holds key
// material.
type LogEvent struct {
	Log  string // the log's name as given
	Line int
	// Time is when the line was written, on the (first) capture's clock:
	// the log's estimated offset removed.
	Time time.Time
	Text string
	// Side is the logging gateway's role in the IKE SA: "initiator",
	// "responder" or "" when unknown.
	Side string
	// IKESA is the IKE SA the line concerns (0: not attributed), Frame the
	// frame of the packet it describes or follows (0: none), Matched set
	// when the line describes exactly that packet (sent or received).
	IKESA   int
	Frame   int
	Matched bool
	// Packet is "sent" or "received" for a line about a packet, else "".
	Packet string
	// Cause is a diagnose finding code when the line states a root cause,
	// with Basis ("local check", "peer notify", "timeout") and Reason, the
	// cause in a few words.
	Cause  string
	Basis  string
	Reason string
	// Notifies are the notifies the line says were sent ("sent:NAME") or
	// received ("received:NAME").
	Notifies []string
	// Child is the child SA the line says was installed, as the logging
	// gateway sees it (nil when the line says none).
	Child *LoggedChild
	// Setting is what the line says the gateway expected, received or
	// matched (configured proposals, flows, the peer config), when it
	// does: the configured side of a failure's comparison.
	Setting *LoggedSetting
}

// LoggedSetting is a setting a log line states: Kind as package gwlog
// names it ("configured proposals", "local traffic selectors", "peer
// config", ...) and its values.
type LoggedSetting struct {
	Kind   string
	Values []string
}

// LoggedConfig is a connection a gateway's log dumped when loading it:
// what the gateway expects of a peer that matches it.
type LoggedConfig struct {
	Conn                    string
	Line                    int
	LocalAddrs, RemoteAddrs []string
	LocalID, RemoteID       string
	Proposals               []string
	Children                []LoggedChildConfig
}

// LoggedChildConfig is a child SA configuration of a LoggedConfig.
type LoggedChildConfig struct {
	Name              string
	Proposals         []string
	LocalTS, RemoteTS []string
}

// LoggedChild is a child SA as a gateway's log names it: the SPIs the
// gateway receives on (In) and sends with (Out), and its local and remote
// protected flows.
type LoggedChild struct {
	In, Out       uint32
	Local, Remote string
}

// LogSummary describes one log read and how it aligned.
type LogSummary struct {
	Name    string
	Format  string
	Lines   int
	Events  int
	Skipped int
	// Aligned counts the packet lines matched to frames, Offset the log's
	// clock minus the capture's.
	Aligned int
	Offset  time.Duration
	// Size and SHA256 are of the log file as read.
	Size   int64
	SHA256 string
	// Configs are the connections the log dumped as they were loaded.
	Configs []LoggedConfig
}

// IndexLogs indexes Logs by IKE SA for LogsOf: views and rules ask for the
// lines of one SA at a time, and a search per SA would cost SAs × lines.
// The pipeline calls it once the logs are placed.
func (a *Analysis) IndexLogs() {
	a.logsBySA = map[int][]int{}
	for i := range a.Logs {
		if id := a.Logs[i].IKESA; id != 0 {
			a.logsBySA[id] = append(a.logsBySA[id], i)
		}
	}
}

// LogsOf returns the positions in Logs of the events about an IKE SA, in
// the analysis's order (by log, then line).
func (a *Analysis) LogsOf(sa int) []int {
	if a.logsBySA != nil || len(a.Logs) == 0 {
		return a.logsBySA[sa]
	}
	var out []int // not indexed (an analysis put together by hand)
	for i := range a.Logs {
		if a.Logs[i].IKESA == sa {
			out = append(out, i)
		}
	}
	return out
}

// FrameLogs indexes an IKE SA's log events by the frame they concern
// (positions in Analysis.Logs), for the views that put log lines under the
// messages they recorded.
type FrameLogs map[int][]int

// FrameLogsOf indexes the log events of an IKE SA by frame; nil when none
// concerns a frame.
func (a *Analysis) FrameLogsOf(sa int) FrameLogs {
	var by FrameLogs
	for _, i := range a.LogsOf(sa) {
		if f := a.Logs[i].Frame; f != 0 {
			if by == nil {
				by = FrameLogs{}
			}
			by[f] = append(by[f], i)
		}
	}
	return by
}

// Of returns the positions of the events about messages (their frames and
// sightings), in the analysis's order, each once.
func (by FrameLogs) Of(msgs ...*Message) []int {
	var out []int
	for _, m := range msgs {
		for _, f := range m.Frames {
			out = append(out, by[f]...)
		}
		for _, s := range m.Seen {
			out = append(out, by[s.Frame]...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
