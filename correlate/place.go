package correlate

import (
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// place puts a message (not a copy of one already placed) into its
// exchange: a response joins its request's exchange, a request with a
// message ID already used but new content starts a new attempt (IKEv2: a
// retry after COOKIE or INVALID_KE_PAYLOAD). It numbers the message's step.
// ex is the latest exchange msg may belong to (exchangeOf).
func (sa *IKESA) place(msg *Message, ex *Exchange) {
	if sa.Version == 1 {
		sa.placeV1(msg, ex)
		return
	}
	msg.Step = 1
	if msg.Response {
		msg.Step = 2
	}
	if ex != nil && (msg.Response || ex.count(false) == 0) {
		// A response joins its request; so does a request whose response
		// was seen first.
		ex.add(msg)
		return
	}
	attempt := 0
	if ex != nil {
		attempt = ex.Attempt + 1
	}
	sa.addExchange(&Exchange{Type: msg.Exchange, MessageID: msg.MessageID, Phase: phaseOf(msg.Exchange),
		Messages: []*Message{msg}, Attempt: attempt, By: msg.requester()})
}

// placeV1 places an IKEv1 message. IKEv1 has no response flag: the
// messages of an exchange alternate between the peers, each
// Informational is an exchange of its own.
func (sa *IKESA) placeV1(msg *Message, ex *Exchange) {
	if msg.Exchange == isakmp.ExchangeV1Informational {
		ex = nil
	}
	msg.Step = stepV1(ex, msg)
	switch msg.Exchange {
	case isakmp.ExchangeV1Main, isakmp.ExchangeV1Aggressive:
		msg.Response = msg.Dir == FromResponder
	case isakmp.ExchangeV1Informational:
		msg.Response = false
	default:
		// Quick Mode and the rest: whoever sent the first message started
		// the exchange, the ISAKMP SA's initiator or not.
		msg.Response = ex != nil && len(ex.Messages) > 0 && ex.Messages[0].Dir != msg.Dir
	}
	if ex != nil {
		ex.add(msg)
		return
	}
	sa.addExchange(&Exchange{Type: msg.Exchange, MessageID: msg.MessageID, Phase: phaseOf(msg.Exchange),
		Messages: []*Message{msg}, By: msg.Dir})
}

// stepV1 numbers an IKEv1 message in its exchange (MM1–MM6, AM1–AM3,
// QM1–QM3): from the header and payloads where they tell, which holds
// when the capture missed earlier messages, else from the order.
func stepV1(ex *Exchange, msg *Message) int {
	resp := msg.Dir == FromResponder
	switch msg.Exchange {
	case isakmp.ExchangeV1Main:
		switch {
		case msg.noResponderSPI:
			return 1
		case msg.Encrypted && resp:
			return 6
		case msg.Encrypted:
			return 5
		case msg.clearSA && resp:
			return 2
		case resp:
			return 4
		}
		return 3
	case isakmp.ExchangeV1Aggressive:
		switch {
		case msg.noResponderSPI:
			return 1
		case resp:
			return 2
		}
		return 3
	case isakmp.ExchangeV1Informational:
		return 1
	}
	if ex == nil || len(ex.Messages) == 0 || ex.Messages[0] == msg {
		if msg.Exchange == isakmp.ExchangeV1Quick && msg.Encrypted && msg.Length <= qm3MaxLen {
			return 3 // the initiator's QM3, of a Quick Mode the capture saw begin elsewhere
		}
		return 1
	}
	if ex.Messages[0].Dir != msg.Dir {
		return 2
	}
	return 3
}

// qm3MaxLen is the largest Quick Mode message that holds only a hash:
// QM3, HDR + HASH(3) (up to SHA-512) padded to the cipher's block. QM1 and
// QM2 carry an SA, a nonce and usually IDs, and are well above it.
const qm3MaxLen = 28 + 4 + 64 + 16

// addExchange appends an exchange. An SA that lives long (days of DPD and
// rekeys) would grow without end, so beyond maxExchangesPerSA the oldest
// informational exchange (or else the oldest after the first) is folded
// into a count.
func (sa *IKESA) addExchange(e *Exchange) {
	if len(sa.Exchanges) >= maxExchangesPerSA {
		drop := 1
		for i, old := range sa.Exchanges {
			if old.Phase == 0 {
				drop = i
				break
			}
		}
		sa.Exchanges = append(sa.Exchanges[:drop], sa.Exchanges[drop+1:]...)
		sa.FoldedExchanges++
	}
	sa.Exchanges = append(sa.Exchanges, e)
}

// add puts a further message into the exchange, or counts it beyond
// maxMessagesPerExchange.
func (e *Exchange) add(m *Message) {
	if len(e.Messages) >= maxMessagesPerExchange {
		e.FoldedMessages++
		return
	}
	e.Messages = append(e.Messages, m)
}

// latestExchange is the most recent exchange of a type and message ID.
func (sa *IKESA) latestExchange(t isakmp.ExchangeType, mid uint32) *Exchange {
	for i := len(sa.Exchanges) - 1; i >= 0; i-- {
		if e := sa.Exchanges[i]; e.Type == t && e.MessageID == mid {
			return e
		}
	}
	return nil
}

// removeMessage takes a message out of its exchange, and the exchange out
// of the SA when it is left empty.
func (sa *IKESA) removeMessage(msg *Message) {
	for i := len(sa.Exchanges) - 1; i >= 0; i-- {
		ex := sa.Exchanges[i]
		for j, m := range ex.Messages {
			if m != msg {
				continue
			}
			ex.Messages = append(ex.Messages[:j], ex.Messages[j+1:]...)
			if len(ex.Messages) == 0 {
				sa.Exchanges = append(sa.Exchanges[:i], sa.Exchanges[i+1:]...)
			}
			return
		}
	}
}

func phaseOf(t isakmp.ExchangeType) int {
	switch t {
	case isakmp.ExchangeV1Main, isakmp.ExchangeV1Aggressive, isakmp.ExchangeV1Base, isakmp.ExchangeV1AuthOnly,
		isakmp.ExchangeIKESAInit, isakmp.ExchangeIKEAuth, isakmp.ExchangeIKEIntermediate, isakmp.ExchangeIKEFollowupKE:
		return 1
	case isakmp.ExchangeV1Quick, isakmp.ExchangeCreateChildSA:
		return 2
	}
	return 0
}

// appendEvidence appends a frame to an SA's evidence list, up to
// maxEvidencePerSA.
func appendEvidence(s []int, v int) []int {
	if len(s) >= maxEvidencePerSA {
		return s
	}
	return append(s, v)
}

func appendCapped(s []int, v int) []int {
	if len(s) >= maxFramesPerMessage {
		return s
	}
	return append(s, v)
}

func appendCappedTime(s []time.Time, v time.Time) []time.Time {
	if len(s) >= maxFramesPerMessage {
		return s
	}
	return append(s, v)
}
