package correlate

import (
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// FailureKind says how an exchange failed, as far as the wire tells.
type FailureKind string

// Failure kinds.
const (
	// FailNoResponse: a request was never answered.
	FailNoResponse FailureKind = "no_response"
	// FailErrorNotify: the peer answered with an error notify in clear.
	FailErrorNotify FailureKind = "error_notify"
	// FailEncryptedError: the peer answered with an encrypted message that
	// can only be an error (an IKEv1 Informational instead of the next
	// message; an IKEv2 response holding only a notify).
	FailEncryptedError FailureKind = "encrypted_error"
	// FailNotAccepted: the last message was answered, but the peer kept
	// repeating the message before it (an IKEv1 responder resending QM2
	// after QM3): it never accepted the answer.
	FailNotAccepted FailureKind = "not_accepted"
)

// Failure is where and how an IKE SA's negotiation, or a child SA's,
// stopped.
type Failure struct {
	Kind     FailureKind
	Exchange int // index into IKESA.Exchanges
	// Message is the number of the failing message in its exchange, as
	// the protocol numbers it (MM5, QM1, IKE_AUTH 2 = the response).
	Message int
	// Frame is the evidence: the error, or the last unanswered transmission.
	Frame  int
	Notify *Notify
	// Answer is the encrypted reply for FailEncryptedError, the message
	// that was not accepted for FailNotAccepted.
	Answer *Message
}

// quietAfter is how long a request may stay unanswered before the capture
// end before it counts as failed rather than cut off by the capture.
const quietAfter = 3 * time.Second

// evaluate sets the state of an IKE SA and of the child SAs it negotiated
// from its exchanges; end is the last time in the capture. What the SA
// means for its tunnel's life (successors, rekeys, before the capture) is
// added by the life pass (life.go).
func (sa *IKESA) evaluate(end time.Time) {
	sa.State, sa.Failure, sa.EstablishedFrame, sa.Children = StateIncomplete, nil, 0, nil
	sa.BeforeCapture, sa.Replaces, sa.ReplacedBy, sa.Link, sa.RekeyedAt = false, 0, 0, nil, -1
	sa.RekeyFailure, sa.ikeRekeys = nil, nil
	sa.End, sa.EndFrame = time.Time{}, 0
	sa.DeleteFrames = sa.DeleteFrames[:0]
	for _, ex := range sa.Exchanges {
		for _, m := range ex.Messages {
			for _, d := range m.Deletes {
				if d.IKE() {
					sa.DeleteFrames = appendEvidence(sa.DeleteFrames, m.Frames[0])
				}
			}
		}
	}
	if sa.Version == 1 {
		sa.evaluateV1(end)
	} else {
		sa.evaluateV2(end)
	}
	if sa.State == StateIncomplete && len(sa.Exchanges) > 0 && phaseOf(sa.Exchanges[0].Type) != 1 {
		// Its first exchange seen comes after phase 1: the SA was up
		// before the capture began (or a rekey made it, see life.go).
		sa.State, sa.BeforeCapture = StateEstablished, true
	}
	if sa.State == StateEstablished && len(sa.DeleteFrames) > 0 {
		sa.State = StateDeleted
	}
}

func (sa *IKESA) evaluateV1(end time.Time) {
	phase1 := false
	for i, ex := range sa.Exchanges {
		switch ex.Type {
		case isakmp.ExchangeV1Main, isakmp.ExchangeV1Aggressive:
			phase1 = true
			want := 6
			if ex.Type == isakmp.ExchangeV1Aggressive {
				want = 3
			}
			if m := ex.step(want); m != nil {
				sa.State = StateEstablished
				sa.EstablishedFrame = m.Frames[0]
				continue
			}
			if sa.State != StateEstablished {
				sa.failV1(i, end)
			}
		case isakmp.ExchangeV1Quick:
			ch := sa.quickMode(i, end)
			if ch.State == StateEstablished && sa.State == StateIncomplete {
				// Phase 1 happened before the capture began.
				sa.State = StateEstablished
			}
			if len(sa.Children) == 0 && phase1 {
				ch.Kind = ChildInitial
				if ch.Failure != nil && sa.Failure == nil {
					sa.Failure = ch.Failure
				}
			}
			sa.Children = append(sa.Children, ch)
		}
	}
}

// quickMode is the child SA a Quick Mode negotiated: established once the
// initiator's QM3 was accepted (the responder stops repeating QM2), failed
// when refused (an encrypted Informational instead of QM2) or never
// answered.
func (sa *IKESA) quickMode(i int, end time.Time) Child {
	ex := sa.Exchanges[i]
	qm1, qm2, qm3 := ex.step(1), ex.step(2), ex.step(3)
	ch := Child{Exchange: i, State: StateIncomplete, By: ex.Messages[0].Dir}
	ch.take(qm1, qm2)
	switch {
	case qm2 != nil && qm3 != nil && repeatedAfter(qm2, qm3):
		// The responder went on resending QM2 after QM3: it never
		// accepted QM3, and never installed the SA.
		ch.State, ch.Frame, ch.Time = StateFailed, lastFrame(qm2), qm2.Times[len(qm2.Times)-1]
		ch.Failure = &Failure{Kind: FailNotAccepted, Exchange: i, Message: 3, Frame: qm3.Frames[0], Answer: qm2}
	case qm2 != nil && qm3 == nil && qm2.Sent > 1 && unanswered(qm2, end):
		// The initiator never answered QM2.
		ch.State, ch.Frame, ch.Time = StateFailed, lastFrame(qm2), qm2.Times[len(qm2.Times)-1]
		ch.Failure = &Failure{Kind: FailNoResponse, Exchange: i, Message: 2, Frame: lastFrame(qm2)}
	case qm2 != nil:
		done := qm2
		if qm3 != nil {
			done = qm3
		}
		ch.State, ch.Frame, ch.Time = StateEstablished, done.Frames[0], done.Times[0]
	case qm1 != nil:
		if f := sa.answerAfter(qm1, true); f != nil {
			ch.State, ch.Frame, ch.Time = StateFailed, f.Frames[0], f.Times[0]
			ch.Failure = answered(i, 1, f)
		} else if unanswered(qm1, end) {
			ch.State, ch.Frame, ch.Time = StateFailed, lastFrame(qm1), qm1.Times[len(qm1.Times)-1]
			ch.Failure = &Failure{Kind: FailNoResponse, Exchange: i, Message: 1, Frame: lastFrame(qm1)}
		}
	}
	return ch
}

// repeatedAfter reports whether m was sent again after the first
// transmission of answer (in capture order where the times are equal: some
// captures carry no useful time stamps).
func repeatedAfter(m, answer *Message) bool {
	if m.Sent < 2 {
		return false
	}
	last, t := m.Times[len(m.Times)-1], answer.Times[0]
	return last.After(t) || last.Equal(t) && lastFrame(m) > answer.Frames[0]
}

// failV1 records why an IKEv1 phase-1 exchange stopped short.
func (sa *IKESA) failV1(i int, end time.Time) {
	ex := sa.Exchanges[i]
	last := ex.last()
	n := last.Step
	// An Informational with an error in clear (NO_PROPOSAL_CHOSEN to MM1).
	for _, other := range sa.Exchanges {
		if other.Type != isakmp.ExchangeV1Informational {
			continue
		}
		for _, m := range other.Messages {
			if nt := m.ErrorNotify(); nt != nil && m.Dir != last.Dir {
				sa.State = StateFailed
				sa.Failure = &Failure{Kind: FailErrorNotify, Exchange: i, Message: n, Frame: m.Frames[0], Notify: nt}
				return
			}
		}
	}
	if f := sa.answerAfter(last, false); f != nil {
		sa.State = StateFailed
		sa.Failure = answered(i, n, f)
		return
	}
	if unanswered(last, end) {
		sa.State = StateFailed
		sa.Failure = &Failure{Kind: FailNoResponse, Exchange: i, Message: n, Frame: lastFrame(last)}
	}
}

// answered is the failure of message n of exchange i, answered by an
// encrypted Informational: exact when decryption showed its notify.
func answered(i, n int, answer *Message) *Failure {
	if nt := answer.ErrorNotify(); nt != nil {
		return &Failure{Kind: FailErrorNotify, Exchange: i, Message: n, Frame: answer.Frames[0], Notify: nt, Answer: answer}
	}
	return &Failure{Kind: FailEncryptedError, Exchange: i, Message: n, Frame: answer.Frames[0], Answer: answer}
}

// refusalWindow is how soon after a request an encrypted Informational
// from the peer is read as its refusal, when nothing else answered it (a
// later one is as likely a DPD or a delete).
const refusalWindow = 5 * time.Second

// answerAfter finds an encrypted Informational from the other side that
// answers message m instead of the exchange's next message. soon: only
// one soon after m counts (Quick Mode: the ISAKMP SA carries DPD and
// deletes too).
func (sa *IKESA) answerAfter(m *Message, soon bool) *Message {
	var best *Message
	for _, other := range sa.Exchanges {
		if other.Type != isakmp.ExchangeV1Informational {
			continue
		}
		for _, inf := range other.Messages {
			if inf.Dir == m.Dir || !inf.Encrypted || !inf.Times[0].After(m.Times[0]) {
				continue
			}
			if soon && inf.Times[0].Sub(m.Times[len(m.Times)-1]) > refusalWindow {
				continue
			}
			if best == nil || inf.Times[0].Before(best.Times[0]) {
				best = inf
			}
		}
	}
	return best
}

// unanswered reports whether a request waited long enough, or was sent
// again often enough, without an answer for the capture to call it
// failed: a capture that stops right after a request, or right after its
// first quick retransmission, says nothing of the answer.
func unanswered(m *Message, end time.Time) bool {
	last := m.Times[len(m.Times)-1]
	quiet := end.Sub(last)
	waited := last.Sub(m.Times[0]) // before it was sent again
	return quiet >= quietAfter || waited >= quietAfter || m.Sent >= 3 || m.Sent == 2 && quiet >= time.Second
}

func lastFrame(m *Message) int { return m.Frames[len(m.Frames)-1] }

// authErrorMaxLen is the largest encrypted IKE_AUTH (or CREATE_CHILD_SA)
// response that can only hold an error notify: IV, one notify payload,
// padding and ICV with the largest common algorithms. A successful
// response carries IDr, AUTH, SA, TSi and TSr (SA, nonce and TS) and is
// well above it.
const authErrorMaxLen = 28 + 4 + 16 + 8 + 16 + 32

// errorOnly reports whether an encrypted response can only be an error
// notify: its first payload (named in clear by the SK payload) is a notify
// and it is too small for anything more.
func errorOnly(resp *Message) bool {
	return resp.Encrypted && resp.FirstInner == isakmp.PayloadV2Notify && resp.Length <= authErrorMaxLen
}

func (sa *IKESA) evaluateV2(end time.Time) {
	for i, ex := range sa.Exchanges {
		req, resp := ex.step(1), ex.step(2)
		switch ex.Type {
		case isakmp.ExchangeIKESAInit:
			if resp == nil {
				// A later exchange means the response came, unseen here.
				if req != nil && unanswered(req, end) && !sa.laterAttempt(i) && i == len(sa.Exchanges)-1 {
					sa.State = StateFailed
					sa.Failure = &Failure{Kind: FailNoResponse, Exchange: i, Message: 1, Frame: lastFrame(req)}
				}
				continue
			}
			if nt := resp.ErrorNotify(); nt != nil && !sa.laterAttempt(i) {
				sa.State = StateFailed
				sa.Failure = &Failure{Kind: FailErrorNotify, Exchange: i, Message: 2, Frame: resp.Frames[0], Notify: nt}
			}
		case isakmp.ExchangeIKEAuth:
			if sa.State == StateFailed || sa.State == StateEstablished {
				continue
			}
			if resp == nil {
				if req != nil && unanswered(req, end) {
					sa.State = StateFailed
					sa.Failure = &Failure{Kind: FailNoResponse, Exchange: i, Message: 1, Frame: lastFrame(req)}
				}
				continue
			}
			ch := Child{Exchange: i, Kind: ChildInitial, By: FromInitiator}
			ch.take(req, resp)
			if nt := resp.ErrorNotify(); nt != nil {
				sa.Failure = &Failure{Kind: FailErrorNotify, Exchange: i, Message: 2, Frame: resp.Frames[0], Notify: nt}
				if childError(nt.Type) && resp.Decrypted && len(resp.IDs) > 0 {
					// Authenticated, but the child SA was refused: the
					// IKE SA is up, the tunnel carries nothing.
					sa.State = StateEstablished
					sa.EstablishedFrame = resp.Frames[0]
					ch.State, ch.Frame, ch.Time, ch.Failure = StateFailed, resp.Frames[0], resp.Times[0], sa.Failure
					sa.Children = append(sa.Children, ch)
					continue
				}
				sa.State = StateFailed
				continue
			}
			if errorOnly(resp) {
				sa.State = StateFailed
				sa.Failure = &Failure{Kind: FailEncryptedError, Exchange: i, Message: 2, Frame: resp.Frames[0], Answer: resp}
				continue
			}
			sa.State = StateEstablished
			sa.EstablishedFrame = resp.Frames[0]
			ch.State, ch.Frame, ch.Time = StateEstablished, resp.Frames[0], resp.Times[0]
			sa.Children = append(sa.Children, ch)
		case isakmp.ExchangeCreateChildSA:
			sa.Children = append(sa.Children, sa.createChild(i, req, resp, end))
		}
	}
}

// createChild is what a CREATE_CHILD_SA negotiated: a child SA, or (when
// life.go finds it rekeyed the IKE SA) the IKE SA's successor.
func (sa *IKESA) createChild(i int, req, resp *Message, end time.Time) Child {
	ex := sa.Exchanges[i]
	ch := Child{Exchange: i, State: StateIncomplete, By: ex.Messages[0].Dir}
	if req != nil {
		ch.By = req.Dir
	}
	ch.take(req, resp)
	switch {
	case resp == nil:
		if req != nil && unanswered(req, end) {
			ch.State, ch.Frame, ch.Time = StateFailed, lastFrame(req), req.Times[len(req.Times)-1]
			ch.Failure = &Failure{Kind: FailNoResponse, Exchange: i, Message: 1, Frame: lastFrame(req)}
		}
	case resp.ErrorNotify() != nil:
		ch.State, ch.Frame, ch.Time = StateFailed, resp.Frames[0], resp.Times[0]
		ch.Failure = &Failure{Kind: FailErrorNotify, Exchange: i, Message: 2, Frame: resp.Frames[0], Notify: resp.ErrorNotify()}
	case errorOnly(resp):
		ch.State, ch.Frame, ch.Time = StateFailed, resp.Frames[0], resp.Times[0]
		ch.Failure = &Failure{Kind: FailEncryptedError, Exchange: i, Message: 2, Frame: resp.Frames[0], Answer: resp}
	default:
		ch.State, ch.Frame, ch.Time = StateEstablished, resp.Frames[0], resp.Times[0]
	}
	return ch
}

// take reads a child SA's SPIs, protected flows and PFS group from its
// negotiation's request and response (decrypted; nil when not seen).
func (ch *Child) take(req, resp *Message) {
	var reqSPI, respSPI uint32
	if req != nil && len(req.ChildSPIs) > 0 {
		reqSPI = req.ChildSPIs[0]
	}
	if resp != nil && len(resp.ChildSPIs) > 0 {
		respSPI = resp.ChildSPIs[0]
	}
	// IPComp is used only when both offer it (RFC 7296 §2.22).
	var reqCPI, respCPI uint16
	if req != nil && resp != nil && req.CPI != 0 && resp.CPI != 0 {
		reqCPI, respCPI = req.CPI, resp.CPI
		ch.IPComp = isakmp.IPCompName(resp.IPComp)
	}
	// Each side names the SPI (and CPI) it receives on.
	if ch.By == FromInitiator {
		ch.SPIIn, ch.SPIOut = reqSPI, respSPI
		ch.CPIIn, ch.CPIOut = reqCPI, respCPI
	} else {
		ch.SPIIn, ch.SPIOut = respSPI, reqSPI
		ch.CPIIn, ch.CPIOut = respCPI, reqCPI
	}
	switch {
	case resp != nil && len(resp.TS) > 0:
		ch.TS = resp.TS
	case req != nil:
		ch.TS = req.TS
	}
	switch {
	case resp != nil && resp.PFS != 0:
		ch.PFS = resp.PFS
	case req != nil:
		ch.PFS = req.PFS
	}
}

// step returns the first message of the exchange with the given step
// (1 the request or MM1/QM1, 2 the response or MM2/QM2, ...), or nil.
func (e *Exchange) step(n int) *Message {
	for _, m := range e.Messages {
		if m.Step == n {
			return m
		}
	}
	return nil
}

// last is the message of the exchange with the highest step (the latest
// placed among equals).
func (e *Exchange) last() *Message {
	last := e.Messages[0]
	for _, m := range e.Messages[1:] {
		if m.Step >= last.Step {
			last = m
		}
	}
	return last
}

// laterAttempt reports whether exchange i was retried (same type, later).
func (sa *IKESA) laterAttempt(i int) bool {
	for _, e := range sa.Exchanges[i+1:] {
		if e.Type == sa.Exchanges[i].Type {
			return true
		}
	}
	return false
}

// childError reports IKEv2 errors that refuse the child SA only (RFC 7296
// §1.2: the IKE SA stands).
func childError(t isakmp.NotifyType) bool {
	switch t {
	case 14, 34, 35, 36, 37, 38, 39:
		return true
	}
	return false
}
