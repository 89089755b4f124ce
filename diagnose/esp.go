package diagnose

import (
	"fmt"
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

// espFindings applies the ESP rules: traffic after a child SA comes up, in
// both directions, on negotiated SPIs, without gaps or repeats.
func espFindings(a *correlate.Analysis) []Finding {
	var fs []Finding
	for _, sa := range a.IKESAs {
		fs = append(fs, childTraffic(a, sa)...)
	}
	fs = append(fs, strayESP(a)...)
	for _, f := range a.ESP {
		flow := fmt.Sprintf("ESP SPI 0x%08x %s → %s", f.SPI, f.Src.Addr(), f.Dst.Addr())
		if f.Lost > 0 {
			fs = append(fs, Finding{Code: ESPSeqGap, Severity: Warning, Certainty: Certain, IKESA: f.IKESA,
				Summary: fmt.Sprintf("%s: %d sequence numbers missing in %d gaps (of %d packets)", flow, f.Lost, f.GapEvents, f.Packets),
				Frames:  f.GapFrames,
				Causes:  []Cause{{"loss between the sender and the capture point", "the sender numbers every packet; the missing numbers never passed here"}, {"the capture dropped packets", "check the capture's drop counters"}}})
		}
		if f.Replays > 0 {
			fs = append(fs, Finding{Code: ESPReplay, Severity: Warning, Certainty: Certain, IKESA: f.IKESA,
				Summary: fmt.Sprintf("%s: %d packets repeat a sequence number already seen", flow, f.Replays),
				Frames:  []int{f.FirstFrame, f.LastFrame},
				Causes:  []Cause{{"the path duplicates packets", "the same numbers arrive twice"}, {"two senders use one SA", "after a failover both gateways may send with the same SPI"}}})
		}
	}
	return fs
}

// childTraffic checks that established child SAs carry ESP both ways.
func childTraffic(a *correlate.Analysis, sa *correlate.IKESA) []Finding {
	var up []correlate.Child
	var flows []int
	for _, ch := range sa.Children {
		if ch.State == correlate.StateEstablished {
			up = append(up, ch)
			flows = append(flows, ch.ESP...)
		}
	}
	if len(up) == 0 {
		return nil
	}
	who := fmt.Sprintf("%s ↔ %s", sa.Initiator.Addr(), sa.Responder.Addr())
	if len(flows) == 0 {
		if f, ok := refusedChild(sa, up[0]); ok {
			return []Finding{f}
		}
		if a.LastTime.Sub(up[0].Time) < minTrafficWait {
			return nil
		}
		f := Finding{Code: ESPNone, Severity: Warning, Certainty: Inferred, IKESA: sa.ID,
			Summary: fmt.Sprintf("%s: child SA established (frame %s) but no ESP follows in the %s after it", who, decode.FrameLabel(up[0].Frame), a.LastTime.Sub(up[0].Time).Round(time.Second)),
			Frames:  []int{up[0].Frame},
			Causes: []Cause{
				{"no traffic matches the protected flows", "the tunnel is up, nothing is sent into it"},
				{"routing does not send the traffic into the tunnel", "a route or NAT rule in front of the policy takes it elsewhere"},
				{"the child SA was rejected inside an encrypted response", "without keys an IKE_AUTH carrying TS_UNACCEPTABLE or NO_PROPOSAL_CHOSEN looks established"},
			}}
		return []Finding{f}
	}
	dirs := map[string]uint64{}
	var first, last int
	for _, i := range flows {
		f := a.ESP[i]
		dirs[f.Src.Addr().String()] += f.Packets
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
			to := sa.Responder.Addr().String()
			if from == to {
				to = sa.Initiator.Addr().String()
			}
			return []Finding{{Code: ESPOneWay, Severity: Error, Certainty: Inferred, IKESA: sa.ID,
				Summary: fmt.Sprintf("%s: %d ESP packets from %s, none from %s", who, n, from, to),
				Frames:  []int{first, last},
				Causes: []Cause{
					{"ESP (or UDP 4500) dropped on the path towards " + to + " or back", "one side sends, nothing returns"},
					{to + " has no matching inbound SA or no route back into the tunnel", "it receives but does not answer through the tunnel"},
				}}}
		}
	}
	return oneSidedTail(a, sa, flows, who)
}

// oneSidedTail finds a child SA whose traffic went on in one direction
// after the other direction fell silent: the silent side lost the SA (a
// restart without a delete) when a new IKE SA follows, else a one-way path.
func oneSidedTail(a *correlate.Analysis, sa *correlate.IKESA, flows []int, who string) []Finding {
	var stopped, going *correlate.ESPFlow
	for _, i := range flows {
		f := a.ESP[i]
		if stopped == nil || f.LastFrame < stopped.LastFrame {
			stopped = f
		}
		if going == nil || f.LastFrame > going.LastFrame {
			going = f
		}
	}
	if stopped.Src.Addr() == going.Src.Addr() {
		return nil
	}
	// Replies to the last packets of the silent side are not the tail.
	n, firstTail := going.PacketsAfter(stopped.Last.Add(replyWindow))
	if n < minOneWayPackets || going.Last.Sub(stopped.Last) < minTrafficWait {
		return nil
	}
	silent := stopped.Src.Addr()
	for _, other := range a.IKESAs {
		if other.ID != sa.ID && other.FirstFrame > stopped.LastFrame && (other.Initiator.Addr() == silent || other.Responder.Addr() == silent) {
			return []Finding{{Code: ESPInvalidSPI, Severity: Error, Certainty: Inferred, IKESA: sa.ID,
				Summary: fmt.Sprintf("%s: ESP on SPI 0x%08x from %s went on (frame %s on) after %s fell silent at frame %s, until a new IKE SA (#%d, frame %s): %s no longer had the SA",
					who, going.SPI, going.Src.Addr(), decode.FrameLabel(firstTail), silent, decode.FrameLabel(stopped.LastFrame), other.ID, decode.FrameLabel(other.FirstFrame), silent),
				Frames: []int{firstTail, going.LastFrame, other.FirstFrame},
				Causes: []Cause{
					{silent.String() + " restarted or cleared its SAs without sending a delete", "it stops answering on the old SPI and later negotiates a new IKE SA (INITIAL_CONTACT)"},
					{"the SA was deleted on one side only", "a delete that was lost leaves the other side sending on a stale SPI"},
				}}}
		}
	}
	return []Finding{{Code: ESPOneWay, Severity: Error, Certainty: Inferred, IKESA: sa.ID,
		Summary: fmt.Sprintf("%s: ESP from %s went on (frame %s on) after %s fell silent at frame %s", who, going.Src.Addr(), decode.FrameLabel(firstTail), silent, decode.FrameLabel(stopped.LastFrame)),
		Frames:  []int{firstTail, going.LastFrame},
		Causes: []Cause{
			{"ESP towards " + silent.String() + " or back is dropped since then", "one side keeps sending, nothing returns"},
			{silent.String() + " lost the SA", "it stops answering on that SPI"},
		}}}
}

// strayESP finds ESP on SPIs that no child SA in the capture accounts for,
// still sent after the peers negotiated new ones: a stale SA on one side.
func strayESP(a *correlate.Analysis) []Finding {
	var fs []Finding
	for _, pp := range a.Peers {
		// The first child SA the capture saw come up in this pair.
		firstUp := 0
		for _, id := range pp.IKESAs {
			for _, ch := range a.IKESAByID(id).Children {
				if ch.State == correlate.StateEstablished && (firstUp == 0 || ch.Frame < firstUp) {
					firstUp = ch.Frame
				}
			}
		}
		if firstUp == 0 {
			continue
		}
		for _, i := range pp.ESP {
			f := a.ESP[i]
			if f.IKESA != 0 || f.LastFrame < firstUp {
				continue
			}
			fs = append(fs, Finding{Code: ESPInvalidSPI, Severity: Error, Certainty: Inferred,
				Summary: fmt.Sprintf("ESP SPI 0x%08x %s → %s (%d packets) belongs to no SA negotiated here and goes on after the peers set up a new one (frame %s)",
					f.SPI, f.Src.Addr(), f.Dst.Addr(), f.Packets, decode.FrameLabel(firstUp)),
				Frames: []int{f.FirstFrame, f.LastFrame},
				Causes: []Cause{
					{"the receiver restarted or deleted the SA without telling the sender", "the sender keeps using an SPI the receiver no longer knows (INVALID_SPI)"},
					{"the SA was negotiated before the capture began and is legitimately still in use", "check with the SA lists on both sides"},
				}})
		}
	}
	return fs
}

// refusedChildRatio: an IKE_AUTH response this much smaller than its
// request lacks the SA and TS payloads, i.e. the IKE SA came up but the
// child SA was refused (TS_UNACCEPTABLE, NO_PROPOSAL_CHOSEN). Measured on
// strongSwan and libreswan: 208 of 256 bytes with a child, 112-128 without.
const refusedChildRatio = 0.6

// refusedChild applies that rule to an IKEv2 IKE_AUTH child with no ESP.
func refusedChild(sa *correlate.IKESA, ch correlate.Child) (Finding, bool) {
	ex := sa.Exchanges[ch.Exchange]
	if sa.Version != 2 || ex.Type != isakmp.ExchangeIKEAuth {
		return Finding{}, false
	}
	var req, resp *correlate.Message
	for _, m := range ex.Messages {
		if m.Response {
			resp = m
		} else {
			req = m
		}
	}
	if req == nil || resp == nil || !resp.Encrypted || resp.Decrypted || float64(resp.Length) > refusedChildRatio*float64(req.Length) {
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
