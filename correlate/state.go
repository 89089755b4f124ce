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
)

// Failure is where and how an IKE SA's negotiation stopped.
type Failure struct {
	Kind     FailureKind
	Exchange int // index into IKESA.Exchanges
	// Message is the 1-based number of the failing message in its exchange
	// (MM5, QM1, IKE_AUTH 2 = the response).
	Message int
	// Frame is the evidence: the error, or the last unanswered transmission.
	Frame  int
	Notify *Notify
	// Answer is the encrypted reply for FailEncryptedError.
	Answer *Message
}

// Child is a child SA negotiation: an IKEv1 Quick Mode or an IKEv2
// IKE_AUTH / CREATE_CHILD_SA exchange.
type Child struct {
	Exchange int // index into IKESA.Exchanges
	State    SAState
	Frame    int       // the frame that completed (or failed) it
	Time     time.Time // the time of that frame
	ESP      []int     // indexes into Analysis.ESP, linked by peer pair and time
}

// quietAfter is how long a request may stay unanswered before the capture
// end before it counts as failed rather than cut off by the capture.
const quietAfter = 3 * time.Second

// evaluate sets the state of an IKE SA from its exchanges; end is the last
// time in the capture.
func (sa *IKESA) evaluate(end time.Time) {
	sa.State, sa.Failure, sa.EstablishedFrame, sa.Children = StateIncomplete, nil, 0, nil
	if sa.Version == 1 {
		sa.evaluateV1(end)
	} else {
		sa.evaluateV2(end)
	}
	if sa.State == StateEstablished && len(sa.DeleteFrames) > 0 {
		sa.State = StateDeleted
	}
}

func (sa *IKESA) evaluateV1(end time.Time) {
	for i, ex := range sa.Exchanges {
		switch ex.Type {
		case isakmp.ExchangeV1Main, isakmp.ExchangeV1Aggressive:
			want := 6
			if ex.Type == isakmp.ExchangeV1Aggressive {
				want = 3
			}
			if len(ex.Messages) >= want {
				sa.State = StateEstablished
				sa.EstablishedFrame = ex.Messages[want-1].Frames[0]
				continue
			}
			sa.failV1(i, end)
		case isakmp.ExchangeV1Quick:
			ch := Child{Exchange: i, State: StateIncomplete}
			switch {
			case len(ex.Messages) >= 2:
				// QM3 only acknowledges; QM2 carries the responder's SA.
				done := ex.Messages[len(ex.Messages)-1]
				ch.State, ch.Frame, ch.Time = StateEstablished, done.Frames[0], done.Times[0]
				if sa.State == StateIncomplete {
					// Phase 1 happened before the capture began.
					sa.State = StateEstablished
				}
			default:
				if f := sa.answerAfter(i, ex.Messages[0]); f != nil {
					ch.State, ch.Frame = StateFailed, f.Frames[0]
					if sa.Failure == nil {
						sa.Failure = answered(i, 1, f)
					}
				} else if unanswered(ex.Messages[0], end) {
					ch.State, ch.Frame = StateFailed, lastFrame(ex.Messages[0])
					if sa.Failure == nil {
						sa.Failure = &Failure{Kind: FailNoResponse, Exchange: i, Message: 1, Frame: lastFrame(ex.Messages[0])}
					}
				}
			}
			sa.Children = append(sa.Children, ch)
		}
	}
}

// failV1 records why an IKEv1 phase-1 exchange stopped short.
func (sa *IKESA) failV1(i int, end time.Time) {
	ex := sa.Exchanges[i]
	last := ex.Messages[len(ex.Messages)-1]
	n := len(ex.Messages)
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
	if f := sa.answerAfter(i, last); f != nil {
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

// answerAfter finds an encrypted Informational from the other side that
// answers message m of exchange i instead of the exchange's next message.
func (sa *IKESA) answerAfter(i int, m *Message) *Message {
	for _, other := range sa.Exchanges {
		if other.Type != isakmp.ExchangeV1Informational {
			continue
		}
		for _, inf := range other.Messages {
			if inf.Dir != m.Dir && inf.Frames[0] > m.Frames[0] && inf.Encrypted {
				return inf
			}
		}
	}
	return nil
}

// unanswered reports whether a request waited long enough, or was sent
// again, without an answer for the capture to call it failed.
func unanswered(m *Message, end time.Time) bool {
	return m.Sent > 1 || end.Sub(m.Times[len(m.Times)-1]) >= quietAfter
}

func lastFrame(m *Message) int { return m.Frames[len(m.Frames)-1] }

// authErrorMaxLen is the largest encrypted IKE_AUTH response that can only
// hold an error notify: IV, one notify payload, padding and ICV with the
// largest common algorithms. A successful response carries IDr, AUTH, SA,
// TSi and TSr and is well above it.
const authErrorMaxLen = 28 + 4 + 16 + 8 + 16 + 32

func (sa *IKESA) evaluateV2(end time.Time) {
	for i, ex := range sa.Exchanges {
		var req, resp *Message
		for _, m := range ex.Messages {
			if m.Response && resp == nil {
				resp = m
			} else if !m.Response && req == nil {
				req = m
			}
		}
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
			if sa.State == StateFailed {
				continue
			}
			if resp == nil {
				if req != nil && unanswered(req, end) {
					sa.State = StateFailed
					sa.Failure = &Failure{Kind: FailNoResponse, Exchange: i, Message: 1, Frame: lastFrame(req)}
				}
				continue
			}
			if nt := resp.ErrorNotify(); nt != nil {
				sa.Failure = &Failure{Kind: FailErrorNotify, Exchange: i, Message: 2, Frame: resp.Frames[0], Notify: nt}
				if childError(nt.Type) && resp.Decrypted && len(resp.IDs) > 0 {
					// Authenticated, but the child SA was refused: the
					// IKE SA is up, the tunnel carries nothing.
					sa.State = StateEstablished
					sa.EstablishedFrame = resp.Frames[0]
					sa.Children = append(sa.Children, Child{Exchange: i, State: StateFailed, Frame: resp.Frames[0], Time: resp.Times[0]})
					continue
				}
				sa.State = StateFailed
				continue
			}
			if resp.Encrypted && resp.FirstInner == isakmp.PayloadV2Notify && resp.Length <= authErrorMaxLen {
				sa.State = StateFailed
				sa.Failure = &Failure{Kind: FailEncryptedError, Exchange: i, Message: 2, Frame: resp.Frames[0], Answer: resp}
				continue
			}
			sa.State = StateEstablished
			sa.EstablishedFrame = resp.Frames[0]
			sa.Children = append(sa.Children, Child{Exchange: i, State: StateEstablished, Frame: resp.Frames[0], Time: resp.Times[0]})
		case isakmp.ExchangeCreateChildSA:
			ch := Child{Exchange: i, State: StateIncomplete}
			switch {
			case resp == nil:
				if req != nil && unanswered(req, end) {
					ch.State, ch.Frame = StateFailed, lastFrame(req)
				}
			case resp.ErrorNotify() != nil || resp.Encrypted && resp.FirstInner == isakmp.PayloadV2Notify && resp.Length <= authErrorMaxLen:
				ch.State, ch.Frame = StateFailed, resp.Frames[0]
			default:
				ch.State, ch.Frame, ch.Time = StateEstablished, resp.Frames[0], resp.Times[0]
			}
			sa.Children = append(sa.Children, ch)
		}
	}
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
