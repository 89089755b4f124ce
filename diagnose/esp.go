package diagnose

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// minTrafficWait is how long after a child SA comes up the capture must go
// on before no traffic (or none back) counts as a finding.
const minTrafficWait = 2 * time.Second

// replyWindow is how long after one side's last packet the other side's
// packets still count as replies to it.
const replyWindow = time.Second

// minOneWayPackets is how many packets one way, with none back, make a
// one-way tunnel rather than a single lost reply.
const minOneWayPackets = 3

// espFindings applies the ESP rules: traffic in each tunnel while it is
// up, in both directions, across its rekeys, without gaps or repeats.
func espFindings(a *correlate.Analysis) []Finding {
	var fs []Finding
	for _, t := range a.Tunnels {
		fs = append(fs, tunnelTraffic(a, t)...)
	}
	for _, f := range a.ESP {
		flow := fmt.Sprintf("ESP SPI 0x%08x %s → %s", f.SPI, f.Src.Addr(), f.Dst.Addr())
		if f.Lost > 0 {
			fs = append(fs, Finding{Code: ESPSeqGap, Severity: Warning, Certainty: Certain, IKESA: f.IKESA, During: DuringTraffic,
				Summary: fmt.Sprintf("%s: %d sequence numbers missing in %d gaps (of %d packets)", flow, f.Lost, f.GapEvents, f.Packets),
				Frames:  f.GapFrames,
				Causes:  []Cause{{"loss between the sender and the capture point", "the sender numbers every packet; the missing numbers never passed here"}, {"the capture dropped packets", "check the capture's drop counters"}}})
		}
		if f.Replays > 0 {
			fs = append(fs, Finding{Code: ESPReplay, Severity: Warning, Certainty: Certain, IKESA: f.IKESA, During: DuringTraffic,
				Summary: fmt.Sprintf("%s: %d packets repeat a sequence number already seen", flow, f.Replays),
				Frames:  []int{f.FirstFrame, f.LastFrame},
				Causes:  []Cause{{"the path duplicates packets", "the same numbers arrive twice"}, {"two senders use one SA", "after a failover both gateways may send with the same SPI"}}})
		}
	}
	return fs
}

// tunnelTraffic judges a tunnel's ESP over its whole life: the successor's
// SPIs continue the traffic of the child SA a rekey replaced, ESP on SPIs
// negotiated before the capture is the traffic of a child SA the capture
// did not see made, and a tunnel closed by an orderly delete owes no
// traffic after it.
func tunnelTraffic(a *correlate.Analysis, t *correlate.Tunnel) []Finding {
	base := tunnelBase(t, fmt.Sprintf("%s ↔ %s", t.A, t.B))
	mk := func(code string, sev Severity, summary string, frames ...int) Finding {
		return base(code, sev, DuringTraffic, summary, frames...)
	}
	if !negotiated(a, t) {
		return nil // ESP alone: nothing says both sides should send
	}
	if len(t.ESP) == 0 {
		return noTraffic(a, t, mk)
	}
	dirs := map[netip.Addr]uint64{}
	var first, last int
	for _, i := range t.ESP {
		f := a.ESP[i]
		dirs[f.Src.Addr()] += f.Packets
		if first == 0 || f.FirstFrame < first {
			first = f.FirstFrame
		}
		last = max(last, f.LastFrame)
	}
	if len(dirs) == 1 {
		for from, n := range dirs {
			if n < minOneWayPackets {
				return nil
			}
			to := t.B
			if from == t.B {
				to = t.A
			}
			f := mk(ESPOneWay, Error, fmt.Sprintf("%d ESP packets from %s, none from %s", n, from, to), first, last)
			f.Causes = []Cause{
				{"ESP (or UDP 4500) dropped on the path towards " + to.String() + " or back", "one side sends, nothing returns"},
				{to.String() + " has no matching inbound SA or no route back into the tunnel", "it receives but does not answer through the tunnel"},
			}
			return []Finding{f}
		}
	}
	return oneSidedTail(a, t, mk)
}

// negotiated reports whether the capture shows the tunnel negotiated: an
// IKE SA of it came up.
func negotiated(a *correlate.Analysis, t *correlate.Tunnel) bool {
	for _, id := range t.IKESAs {
		if sa := a.IKESAByID(id); sa != nil && sa.WasUp() {
			return true
		}
	}
	return false
}

// noTraffic: a tunnel up without any ESP. A tunnel the peers closed with a
// delete owes no traffic; a capture with no ESP at all may have been taken
// with a filter that left ESP out, so it only notes it.
func noTraffic(a *correlate.Analysis, t *correlate.Tunnel, mk func(string, Severity, string, ...int) Finding) []Finding {
	var up *correlate.Child
	for _, id := range t.Children {
		if sa, c := a.ChildByID(id); c != nil && c.WasUp() {
			if up == nil {
				if f, ok := refusedChild(sa, c); ok {
					f.Tunnel, f.Child, f.During = t.ID, c.ID, DuringEstablish
					return []Finding{f}
				}
			}
			if up == nil || c.Time.Before(up.Time) {
				up = c
			}
		}
	}
	if up == nil || len(t.Up) == 0 {
		return nil
	}
	iv := t.Up[len(t.Up)-1]
	if !iv.UntilEnd || a.LastTime.Sub(iv.From) < minTrafficWait {
		return nil
	}
	frame := up.Frame
	if iv.FromFrame != 0 {
		frame = iv.FromFrame
	}
	sev, note := Warning, ""
	if a.ESPPackets == 0 {
		sev, note = Info, "; the capture holds no ESP at all: if it was taken with a filter (udp port 500), ESP may have passed unseen"
	}
	f := mk(ESPNone, sev, fmt.Sprintf("child SA up (frame %s) but no ESP follows in the %s after it%s", decode.FrameLabel(frame), a.LastTime.Sub(iv.From).Round(time.Second), note), frame)
	f.Child = up.ID
	f.Causes = []Cause{
		{"no traffic matches the protected flows", "the tunnel is up, nothing is sent into it"},
		{"routing does not send the traffic into the tunnel", "a route or NAT rule in front of the policy takes it elsewhere"},
		{"the child SA was rejected inside an encrypted response", "without keys an IKE_AUTH carrying TS_UNACCEPTABLE or NO_PROPOSAL_CHOSEN looks established"},
	}
	return []Finding{f}
}

// oneSidedTail finds traffic that went on in one direction after the
// other fell silent for good: within a child SA, unless the silent side
// moved on to another SA of the tunnel (a rekey's successor) meanwhile;
// and over the whole tunnel. The silent side lost the SA (a restart
// without a delete) when it sets up a new IKE SA after, else the path or
// the peer drops that direction.
func oneSidedTail(a *correlate.Analysis, t *correlate.Tunnel, mk func(string, Severity, string, ...int) Finding) []Finding {
	groups := map[int][]*correlate.ESPFlow{} // by child SA (0: none)
	for _, id := range t.Children {
		if _, c := a.ChildByID(id); c != nil {
			for _, i := range c.ESP {
				groups[id] = append(groups[id], a.ESP[i])
			}
		}
	}
	var all []*correlate.ESPFlow
	for _, i := range t.ESP {
		f := a.ESP[i]
		all = append(all, f)
		if f.IKESA == 0 {
			groups[0] = append(groups[0], f)
		}
	}
	ids := make([]int, 0, len(groups)+1)
	for id := range groups {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if f, ok := tail(a, groups[id], all, mk); ok {
			return []Finding{f}
		}
	}
	if f, ok := tail(a, all, all, mk); ok {
		return []Finding{f}
	}
	return nil
}

// tail applies the one-sided rule to a set of flows; all are the tunnel's
// flows, where the silent side may have moved on.
func tail(a *correlate.Analysis, flows, all []*correlate.ESPFlow, mk func(string, Severity, string, ...int) Finding) (Finding, bool) {
	last := map[netip.Addr]*correlate.ESPFlow{} // each side's flow that ended last
	for _, f := range flows {
		if l := last[f.Src.Addr()]; l == nil || f.Last.After(l.Last) {
			last[f.Src.Addr()] = f
		}
	}
	if len(last) != 2 {
		return Finding{}, false
	}
	var stopped, going *correlate.ESPFlow
	for _, f := range last {
		if stopped == nil || f.Last.Before(stopped.Last) {
			stopped = f
		}
		if going == nil || f.Last.After(going.Last) {
			going = f
		}
	}
	// Replies to the last packets of the silent side are not the tail.
	n, firstTail := going.PacketsAfter(stopped.Last.Add(replyWindow))
	if n < minOneWayPackets || going.Last.Sub(stopped.Last) < minTrafficWait {
		return Finding{}, false
	}
	silent := stopped.Src.Addr()
	for _, g := range all {
		if g.Src.Addr() == silent && g.Last.After(stopped.Last) && !g.First.After(going.Last) {
			return Finding{}, false // it moved on to another SA of the tunnel
		}
	}
	for _, other := range a.IKESAs {
		if other.First.After(stopped.Last) && !other.BeforeCapture && (other.Initiator.Addr() == silent || other.Responder.Addr() == silent) {
			f := mk(ESPInvalidSPI, Error, fmt.Sprintf("ESP on SPI 0x%08x from %s went on (frame %s on) after %s fell silent at frame %s, until a new IKE SA (#%d, frame %s): %s no longer had the SA",
				going.SPI, going.Src.Addr(), decode.FrameLabel(firstTail), silent, decode.FrameLabel(stopped.LastFrame), other.ID, decode.FrameLabel(other.FirstFrame), silent),
				firstTail, going.LastFrame, other.FirstFrame)
			f.Causes = []Cause{
				{silent.String() + " restarted or cleared its SAs without sending a delete", "it stops answering on the old SPI and later negotiates a new IKE SA (INITIAL_CONTACT)"},
				{"the SA was deleted on one side only", "a delete that was lost leaves the other side sending on a stale SPI"},
			}
			return f, true
		}
	}
	f := mk(ESPOneWay, Error, fmt.Sprintf("ESP from %s went on (frame %s on) after %s fell silent at frame %s", going.Src.Addr(), decode.FrameLabel(firstTail), silent, decode.FrameLabel(stopped.LastFrame)),
		firstTail, going.LastFrame)
	f.Causes = []Cause{
		{"ESP towards " + silent.String() + " or back is dropped since then", "one side keeps sending, nothing returns"},
		{silent.String() + " lost the SA", "it stops answering on that SPI"},
	}
	return f, true
}

// refusedChildRatio: an IKE_AUTH response this much smaller than its
// request lacks the SA and TS payloads, i.e. the IKE SA came up but the
// child SA was refused (TS_UNACCEPTABLE, NO_PROPOSAL_CHOSEN). Measured on
// strongSwan and libreswan: 208 of 256 bytes with a child, 112-128 without.
const refusedChildRatio = 0.6

// refusedChild applies that rule to an IKEv2 IKE_AUTH child with no ESP.
func refusedChild(sa *correlate.IKESA, ch *correlate.Child) (Finding, bool) {
	if sa.Version != 2 || ch.Exchange < 0 {
		return Finding{}, false
	}
	ex := sa.Exchanges[ch.Exchange]
	if ex.Type != isakmp.ExchangeIKEAuth {
		return Finding{}, false
	}
	req, resp := messageAt(ex, 1), messageAt(ex, 2)
	if req.Response || !resp.Response || !resp.Encrypted || resp.Decrypted || float64(resp.Length) > refusedChildRatio*float64(req.Length) {
		return Finding{}, false
	}
	f := Finding{Code: P2Rejected, Severity: Error, Certainty: Inferred, IKESA: sa.ID,
		Summary: fmt.Sprintf("%s ↔ %s: IKE_AUTH response (frame %s, %d bytes) is too small to hold the child SA the request (%d bytes) asked for, and no ESP follows: the IKE SA is up, the child SA was refused",
			sa.Initiator.Addr(), sa.Responder.Addr(), decode.FrameLabel(resp.Frames[0]), resp.Length, req.Length),
		Frames: []int{resp.Frames[0], req.Frames[0]},
		Causes: []Cause{
			{"protected flows not mirrored (TS_UNACCEPTABLE)", "the most common reason to refuse a child SA once authentication worked"},
			{"no common ESP proposal (NO_PROPOSAL_CHOSEN)", "the child SA's transforms or PFS group do not intersect"},
			{"the responder cannot install the SA", "some daemons answer TS_UNACCEPTABLE when the kernel refuses it"},
		},
		Remedy: "The notify inside tells which: run again with the keys (--keys), or read the responder's log. " + guide[P2Rejected].remedy}
	return f, true
}
