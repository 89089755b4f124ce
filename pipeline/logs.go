package pipeline

import (
	"slices"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/gwlog"
)

// maxLogEvents bounds the events of one log placed on an analysis: a
// gateway logging for days produces more lines than any view shows.
const maxLogEvents = 20000

// placeLogs aligns the gateways' logs on the analysis: their lines become
// events on the capture's clock, attributed to IKE SAs and frames, with
// the causes they state (package diagnose reads them).
func placeLogs(a *correlate.Analysis, logs []*gwlog.Log) {
	if len(logs) == 0 {
		return
	}
	for _, l := range logs {
		al := gwlog.Align(l, a)
		a.LogFiles = append(a.LogFiles, correlate.LogSummary{Name: l.Name, Format: string(l.Format),
			Lines: l.Lines, Events: len(l.Events), Skipped: l.Skipped, Aligned: al.Matches, Offset: al.Offset,
			Size: l.Size, SHA256: l.SHA256, Configs: loggedConfigs(l.Configs)})
		for i, ae := range al.Events {
			if i == maxLogEvents {
				break
			}
			a.Logs = append(a.Logs, logEvent(l.Name, ae))
		}
	}
	a.IndexLogs()
	a.LoggedChildren()
}

func logEvent(name string, ae gwlog.Aligned) correlate.LogEvent {
	e := ae.Event
	le := correlate.LogEvent{Log: name, Line: e.Line, Time: ae.Time, Text: e.Text,
		IKESA: ae.IKESA, Frame: ae.Frame, Matched: ae.Matched, Cause: e.Cause, Reason: e.Reason}
	if e.Packet != nil {
		le.Packet = "received"
		if e.Packet.Sent {
			le.Packet = "sent"
		}
	}
	if ae.Side != gwlog.SideUnknown {
		le.Side = ae.Side.String()
	}
	if e.Basis != gwlog.BasisNone {
		le.Basis = e.Basis.String()
	}
	if c := e.Child; c != nil {
		le.Child = &correlate.LoggedChild{In: c.In, Out: c.Out, Local: c.Local, Remote: c.Remote}
	}
	if st := e.Setting; st != nil {
		le.Setting = &correlate.LoggedSetting{Kind: string(st.Kind), Values: st.Values}
	}
	for _, n := range e.Notifies {
		dir := "received:"
		if n.Sent {
			dir = "sent:"
		}
		le.Notifies = append(le.Notifies, dir+n.Name)
	}
	return le
}

// loggedConfigs carries the connections a log dumped onto the analysis.
func loggedConfigs(cs []gwlog.Config) []correlate.LoggedConfig {
	var out []correlate.LoggedConfig
	for _, c := range cs {
		lc := correlate.LoggedConfig{Conn: c.Conn, Line: c.Line, LocalAddrs: c.LocalAddrs, RemoteAddrs: c.RemoteAddrs,
			LocalID: c.LocalID, RemoteID: c.RemoteID, Proposals: c.Proposals}
		for _, ch := range c.Children {
			lc.Children = append(lc.Children, correlate.LoggedChildConfig(ch))
		}
		out = append(out, lc)
	}
	return out
}

// placedLogs remembers the logs placed on the last snapshot. The TUI takes
// a snapshot every 200 ms while a capture loads, and aligning a long log
// again each time held up the loading; the placement depends only on the
// IKE messages (and, with several captures, the clock offsets), which most
// snapshots of a large capture share with the one before.
type placedLogs struct {
	ikePackets, ikeSAs int
	offsets            []time.Duration
	files              []correlate.LogSummary
	events             []correlate.LogEvent
}

// place puts the logs on a, aligning them again only when what the
// alignment reads has changed since the last call.
func (c *placedLogs) place(a *correlate.Analysis, logs []*gwlog.Log) {
	if len(logs) == 0 {
		return
	}
	offsets := make([]time.Duration, len(a.Captures))
	for i, cc := range a.Captures {
		offsets[i] = cc.Offset
	}
	if c.files != nil && c.ikePackets == a.IKEPackets && c.ikeSAs == len(a.IKESAs) && slices.Equal(c.offsets, offsets) {
		a.LogFiles = append(a.LogFiles, c.files...)
		a.Logs = append(a.Logs, c.events...)
		a.IndexLogs()
		a.LoggedChildren()
		return
	}
	placeLogs(a, logs)
	c.ikePackets, c.ikeSAs, c.offsets = a.IKEPackets, len(a.IKESAs), offsets
	c.files, c.events = slices.Clone(a.LogFiles), slices.Clone(a.Logs)
}
