package diagnose

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// With captures from several points, a packet seen at one point and never
// at another that was watching the same tunnel at the time was lost
// between the two: the finding names the segment, which no single capture
// can do (a request that is never answered looks the same whether the
// peer ignored it or a firewall on the way dropped it).

// watchGrace is how long after a message a point must still have been
// capturing for its absence there to count.
const watchGrace = time.Second

// lostGroup is the messages of one direction of one SA that a point missed.
type lostGroup struct {
	sa      *correlate.IKESA
	watch   watch // the least sure of the lost messages' watch states
	missing int   // the capture point that did not see them
	dir     correlate.Direction
	msgs    []*correlate.Message
	names   []string
	total   int // messages of that direction the point could have seen
}

// pathLoss finds IKE messages and ESP flows lost between capture points.
func pathLoss(a *correlate.Analysis) []Finding {
	if len(a.Captures) < 2 {
		return nil
	}
	var fs []Finding
	for _, sa := range a.IKESAs {
		for _, g := range lostIKE(a, sa) {
			got, after := receiverLog(a, g)
			if got != nil {
				continue // the receiver logged it: the capture point missed it, the path did not
			}
			fs = append(fs, g.finding(a, after))
		}
	}
	return append(fs, lostESP(a)...)
}

// Whether a capture point was watching an SA's traffic at some moment.
type watch uint8

const (
	notWatching watch = iota
	// mayHaveStopped: the point saw the SA before, but it has no packet at
	// all from later on: either everything after was lost on the way, or
	// the capture was stopped (a pcap file does not say when).
	mayHaveStopped
	watchingThen // the point saw the SA before and captured packets after
)

// watching tells whether capture k was capturing this SA's traffic at t
// (all times of a snapshot are on the first capture's clock).
func watching(a *correlate.Analysis, sa *correlate.IKESA, k int, t time.Time) watch {
	for _, pt := range sa.Points {
		if pt.Capture == k {
			switch {
			case pt.First.After(t):
				return notWatching
			case a.Captures[k-1].Last.Before(t.Add(watchGrace)):
				return mayHaveStopped
			}
			return watchingThen
		}
	}
	return notWatching
}

func lostIKE(a *correlate.Analysis, sa *correlate.IKESA) []*lostGroup {
	groups := map[[2]int]*lostGroup{}
	var order []*lostGroup
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			if len(m.Seen) == 0 {
				continue
			}
			t := m.Seen[0].Time
			for _, pt := range sa.Points {
				w := watching(a, sa, pt.Capture, t)
				if m.SeenAt(pt.Capture) || w == notWatching {
					continue
				}
				key := [2]int{pt.Capture, int(m.Dir)}
				g := groups[key]
				if g == nil {
					g = &lostGroup{sa: sa, missing: pt.Capture, dir: m.Dir, watch: w}
					groups[key] = g
					order = append(order, g)
				}
				g.msgs = append(g.msgs, m)
				g.watch = min(g.watch, w)
				g.names = append(g.names, ex.Name())
			}
		}
	}
	for _, g := range order {
		for _, ex := range sa.Exchanges {
			for _, m := range ex.Messages {
				if m.Dir == g.dir && len(m.Seen) > 0 {
					g.total++
				}
			}
		}
	}
	return order
}

// receiverLog reads the receiving gateway's own log (when given) about
// lost messages: got is a line recording one of them as received (the loss
// was then the capture point's, not the path's); after is its last line
// about this IKE SA written after them, which shows the log was still
// being written while they never arrived.
func receiverLog(a *correlate.Analysis, g *lostGroup) (got, after *correlate.LogEvent) {
	role := "responder"
	if g.dir == correlate.FromResponder {
		role = "initiator"
	}
	lost := map[int]bool{}
	var last time.Time
	for _, m := range g.msgs {
		for _, s := range m.Seen {
			lost[s.Frame] = true
		}
		last = m.Times[len(m.Times)-1]
	}
	for _, i := range a.LogsOf(g.sa.ID) {
		e := &a.Logs[i]
		if e.Side != role {
			continue
		}
		if e.Matched && e.Packet == "received" && lost[e.Frame] {
			return e, nil
		}
		if e.Time.After(last) && (after == nil || e.Time.After(after.Time)) {
			after = e
		}
	}
	return nil, after
}

func (g *lostGroup) finding(a *correlate.Analysis, receiverAfter *correlate.LogEvent) Finding {
	m := g.msgs[0]
	seenAt := capturesOf(a, m)
	role := "request"
	if m.Response {
		role = "response"
	}
	sender, receiver := g.sa.Initiator.Addr(), g.sa.Responder.Addr()
	if g.dir == correlate.FromResponder {
		sender, receiver = receiver, sender
	}
	still := "went on capturing"
	if g.watch == mayHaveStopped {
		still = "has nothing later (if it was still capturing)"
	}
	summary := fmt.Sprintf("%s ↔ %s: %s %s (message ID %d, sent %d×, frame %s) left %s at %s but never reached %s, which saw this IKE SA before and %s: something between the two points drops %s → %s",
		g.sa.Initiator.Addr(), g.sa.Responder.Addr(), g.names[0], role, m.MessageID, m.Sent, decode.FrameLabel(m.Frames[0]),
		sender, seenAt, a.PointName(g.missing), still, sender, receiver)
	if n := len(g.msgs); n > 1 {
		summary += fmt.Sprintf(" (%d of its %d messages that way were lost there)", n, g.total)
	}
	cert := Certain
	if a.CaptureDrops > 0 || g.watch == mayHaveStopped {
		cert = Inferred // the capture may have missed it, or stopped
	}
	var logs []string
	if receiverAfter != nil {
		// The receiver's own log went on and never recorded it.
		summary += fmt.Sprintf("; %s's own log never records it arriving, though it goes on after it", receiver)
		logs = append(logs, logRef(receiverAfter))
		if a.CaptureDrops == 0 {
			cert = Certain
		}
	}
	f := Finding{Code: PathLoss, Severity: Error, Certainty: cert, IKESA: g.sa.ID, Summary: summary, Logs: logs}
	for _, lost := range g.msgs {
		f.Frames = append(f.Frames, lost.Frames...)
	}
	f.Causes = lossCauses(a, g)
	return f
}

// lossCauses ranks why packets of one kind vanish between two points.
func lossCauses(a *correlate.Analysis, g *lostGroup) []Cause {
	var cs []Cause
	natt, frag := 0, 0
	for _, m := range g.msgs {
		if m.UDPEncapsulated {
			natt++
		}
		if m.IPFragmented {
			frag++
		}
	}
	passedOn500 := false
	for _, ex := range g.sa.Exchanges {
		for _, m := range ex.Messages {
			if m.Dir == g.dir && !m.UDPEncapsulated && m.SeenAt(g.missing) {
				passedOn500 = true
			}
		}
	}
	if frag > 0 {
		cs = append(cs, Cause{"IP fragments dropped on the way", fmt.Sprintf("%d of the lost messages travelled as IP fragments: a firewall or router that drops fragments (or an MTU problem) between the points loses exactly these; IKE fragmentation (RFC 7383) avoids it", frag)})
	}
	if natt == len(g.msgs) && passedOn500 {
		cs = append(cs, Cause{"UDP 4500 blocked between the points", "the same direction's messages on UDP 500 got through, the ones on the NAT-T port 4500 did not: a firewall or ACL permits 500 but not 4500"})
	}
	cs = append(cs,
		Cause{"a firewall, ACL or policer between the two capture points", "the packets were seen leaving one point and never arriving at the other while it was capturing this tunnel"},
		Cause{"asymmetric routing", "the packets may reach the peer by another path that bypasses the second capture point (then the peer's answers tell)"})
	if g.watch == mayHaveStopped {
		cs = append(cs, Cause{fmt.Sprintf("%s was stopped", a.PointName(g.missing)), "it has no packet at all after the loss, so it may simply have ended: a capture file does not record when it stopped"})
	}
	return cs
}

// capturesOf names the capture points that saw a message, e.g. "capture
// 1", "capture 1, 3" or by the names the user gave them ("gw-a, core").
func capturesOf(a *correlate.Analysis, m *correlate.Message) string {
	var ks []int
	for _, s := range m.Seen {
		if !slices.Contains(ks, s.Capture) {
			ks = append(ks, s.Capture)
		}
	}
	var parts []string
	for i, k := range ks {
		name := a.PointName(k)
		if i > 0 {
			name = strings.TrimPrefix(name, "capture ")
		}
		parts = append(parts, name)
	}
	return strings.Join(parts, ", ")
}

// minLostESP is how many packets a flow must have for its absence at
// another point to count.
const minLostESP = 3

// lostESP finds ESP flows seen at one point and missing (or mostly
// missing) at another point that saw the IKE SA negotiating them.
func lostESP(a *correlate.Analysis) []Finding {
	var fs []Finding
	for _, f := range a.ESP {
		if f.Capture == 0 || f.IKESA == 0 || f.Packets < minLostESP {
			continue
		}
		sa := a.IKESAByID(f.IKESA)
		if sa == nil {
			continue
		}
		for _, pt := range sa.Points {
			k := pt.Capture
			w := watching(a, sa, k, f.First)
			if k == f.Capture || w == notWatching {
				continue
			}
			var there uint64
			for _, o := range a.ESP {
				if o.Capture == k && o.SPI == f.SPI {
					there += o.Packets
				}
			}
			if there*2 >= f.Packets {
				continue
			}
			cert := Certain
			if w == mayHaveStopped || a.CaptureDrops > 0 {
				cert = Inferred
			}
			fs = append(fs, Finding{Code: PathLoss, Severity: Error, Certainty: cert, IKESA: f.IKESA,
				Summary: fmt.Sprintf("ESP SPI 0x%08x %s → %s: %d packets seen at %s, %d at %s: something between the two points drops this direction's ESP",
					f.SPI, f.Src.Addr(), f.Dst.Addr(), f.Packets, a.PointName(f.Capture), there, a.PointName(k)),
				Frames: []int{f.FirstFrame, f.LastFrame},
				Causes: []Cause{
					{"a firewall or ACL between the points blocks ESP (IP protocol 50) or UDP 4500 in this direction", "IKE passed the same points, the ESP did not"},
					{"asymmetric routing", "the ESP may take another path that bypasses the second capture point"},
				}})
		}
	}
	return fs
}

// captureDrops warns that the capture itself lost packets.
func captureDrops(a *correlate.Analysis) []Finding {
	if a.CaptureDrops == 0 {
		return nil
	}
	return []Finding{{Code: CaptureDrops, Severity: Warning, Certainty: Certain,
		Summary: fmt.Sprintf("the capturing interface reported %d packets dropped: the analysis may miss messages and show losses that did not happen on the wire", a.CaptureDrops),
		Causes:  []Cause{{"the capture could not keep up", "the kernel's or the capture tool's buffer overflowed (statistics in the capture or from the socket)"}}}}
}
