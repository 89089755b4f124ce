package gwlog

import (
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// place fills the IKE SA, exchange, frame and side of every event once the
// packet events are matched (matchedTx[i] is the transmission of packet
// event i, or -1).
func place(log *Log, txs []transmission, matchedTx []int, corrected []time.Time, out *Alignment) {
	evs := log.Events
	sides := map[int][2]int{} // IKE SA → votes for initiator, responder
	for i, ti := range matchedTx {
		if ti < 0 {
			continue
		}
		tx := &txs[ti]
		setTx(&out.Events[i], tx)
		sentByInitiator := tx.msg.Dir == correlate.FromInitiator
		v := sides[tx.sa.ID]
		if sent(&evs[i]) == sentByInitiator {
			v[0]++
		} else {
			v[1]++
		}
		sides[tx.sa.ID] = v
	}
	// Message lines take their packet's place.
	for i, ti := range matchedTx {
		if ti < 0 || evs[i].Packet == nil {
			continue
		}
		step := 1
		if evs[i].Packet.Sent {
			step = -1
		}
		for j, n := i+step, 0; j >= 0 && j < len(evs) && n < 16; j, n = j+step, n+1 {
			if evs[j].Thread != evs[i].Thread || evs[j].Format != evs[i].Format {
				continue
			}
			if evs[j].Packet != nil {
				break
			}
			if evs[j].Message != nil {
				if evs[j].Message.Generated == evs[i].Packet.Sent {
					setTx(&out.Events[j], &txs[ti])
				}
				break
			}
		}
	}
	// Every other event follows the nearest placed event before it on the
	// same thread, else before it in the log, else after it (a line that
	// announces an exchange before its first packet). One pass each way.
	type threadKey struct {
		f Format
		t int
	}
	lastOnThread := map[threadKey]int{}
	lastAny := -1
	nextAny := make([]int, len(evs))
	next := -1
	for i := len(evs) - 1; i >= 0; i-- {
		nextAny[i] = next
		if out.Events[i].IKESA != 0 {
			next = i
		}
	}
	spis := saBySPI(txs)
	for i := range evs {
		ae := &out.Events[i]
		key := threadKey{evs[i].Format, evs[i].Thread}
		if ae.IKESA == 0 {
			src := -1
			if j, ok := lastOnThread[key]; ok {
				src = j
			} else if lastAny >= 0 {
				src = lastAny
			} else {
				src = nextAny[i]
			}
			if sa := spis[evs[i].ISPI]; evs[i].HasSPIs && sa != nil {
				ae.IKESA = sa.ID
			} else if src >= 0 {
				p := out.Events[src]
				ae.IKESA, ae.Exchange, ae.MessageID, ae.Frame = p.IKESA, p.Exchange, p.MessageID, p.Frame
				if evs[i].Packet != nil {
					ae.Frame = 0 // a packet not captured is no other packet
				}
				if evs[i].Cause != "" {
					concerned(txs, ae, corrected[i])
				}
			}
		}
		// A cause moved to the exchange it is about is no source for the
		// lines after it, which follow the packet, not the cause.
		if ae.IKESA != 0 && ae.Frame != 0 && evs[i].Cause == "" {
			lastOnThread[key] = i
			lastAny = i
		}
	}
	for i := range out.Events {
		ae := &out.Events[i]
		if v, ok := sides[ae.IKESA]; ok && v != [2]int{} {
			if v[0] >= v[1] {
				ae.Side = SideInitiator
			} else {
				ae.Side = SideResponder
			}
		}
	}
}

// attribute places events when no packet could be matched: only by SPI.
func attribute(log *Log, txs []transmission, out *Alignment) {
	spis := saBySPI(txs)
	for i := range log.Events {
		if e := &log.Events[i]; e.HasSPIs && spis[e.ISPI] != nil {
			out.Events[i].IKESA = spis[e.ISPI].ID
		}
	}
}

func setTx(ae *Aligned, tx *transmission) {
	ae.IKESA, ae.Exchange, ae.MessageID, ae.Frame = tx.sa.ID, tx.ex.Type, tx.ex.MessageID, tx.frame
}

// saBySPI indexes the IKE SAs by initiator SPI.
func saBySPI(txs []transmission) map[isakmp.SPI]*correlate.IKESA {
	m := map[isakmp.SPI]*correlate.IKESA{}
	for _, tx := range txs {
		m[tx.sa.InitiatorSPI] = tx.sa
	}
	return m
}

// sent reports whether an anchor event is something the gateway sent.
func sent(e *Event) bool {
	if e.Packet != nil {
		return e.Packet.Sent
	}
	return e.Message != nil && e.Message.Generated
}

// concerned moves a cause to the exchange it is about: a phase-2 cause to
// the IKE SA's phase-2 exchange, a phase-1 cause to its phase-1 exchange,
// the one begun last at or before the line (once the offset is applied),
// or else the first after it. The line often follows another exchange's
// packet: the Informational that carried the refusal, or the last Main Mode
// message before pluto's Quick Mode verdict.
func concerned(txs []transmission, ae *Aligned, at time.Time) {
	phase := 0
	switch ae.Event.Cause {
	case CodeP2ProposalMismatch, CodeP2PFSMismatch, CodeP2TSMismatch, CodeP2NoResponse:
		phase = 2
	case CodeP1ProposalMismatch, CodeP1DHGroupMismatch, CodeP1AuthFailed, CodeP1NoResponse, CodeP1NATTBlocked:
		phase = 1
	default:
		return
	}
	var sa *correlate.IKESA
	for _, tx := range txs {
		if tx.sa.ID == ae.IKESA {
			sa = tx.sa
			break
		}
	}
	if sa == nil {
		return
	}
	if at.IsZero() {
		at = frameTime(txs, ae.Frame)
	}
	var before, after *correlate.Exchange
	for _, ex := range sa.Exchanges {
		if len(ex.Messages) == 0 || len(ex.Messages[0].Times) == 0 || !inPhase(ex, phase) {
			continue
		}
		t0 := ex.Messages[0].Times[0]
		if !t0.After(at.Add(tolerance)) {
			if before == nil || t0.After(before.Messages[0].Times[0]) {
				before = ex
			}
		} else if after == nil || t0.Before(after.Messages[0].Times[0]) {
			after = ex
		}
	}
	best := before
	if best == nil {
		best = after
	}
	if best != nil {
		ae.Exchange, ae.MessageID = best.Type, best.MessageID
	}
}

// inPhase: IKE_AUTH sets up the IKE SA and the first child SA, so it is in
// both phases.
func inPhase(ex *correlate.Exchange, phase int) bool {
	if ex.Type == isakmp.ExchangeIKEAuth {
		return true
	}
	return ex.Phase == phase
}

func frameTime(txs []transmission, frame int) time.Time {
	for _, tx := range txs {
		if tx.frame == frame {
			return tx.t
		}
	}
	return time.Time{}
}
