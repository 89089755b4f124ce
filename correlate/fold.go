package correlate

// Folding: the same IKE message seen again is one message. At the same
// capture point it is a retransmission (the sender sent it again, the same
// way: same bytes, same direction); at another capture point it is a
// sighting of the same transmission (see points.go).

// fold folds msg into the message it repeats, if any, and returns that
// message (nil when msg is new). ex is the latest exchange msg may belong
// to (exchangeOf).
func (c *Correlator) fold(sa *IKESA, msg *Message, ex *Exchange, k int) *Message {
	var old *Message
	if c.multi() {
		// Another point's copy may come long after the first point saw
		// later exchanges (its clock is behind, or the path is slow): look
		// for the same bytes in the whole SA, not only the latest exchange.
		old = sa.copyOf(msg, msg.Dir, true)
	} else if ex != nil {
		for _, m := range ex.Messages {
			if m.hash == msg.hash && m.Dir == msg.Dir {
				old = m
				break
			}
		}
	}
	if old != nil {
		old.seenAgain(msg, k)
	}
	return old
}

// exchangeOf is the latest exchange a message may belong to: by type and
// message ID (IKEv1 Main and Aggressive Mode use message ID 0 throughout);
// in IKEv2 also by who sent the request, since each peer numbers its own
// requests (both send CREATE_CHILD_SA message ID 2 in a rekey collision).
func (sa *IKESA) exchangeOf(msg *Message) *Exchange {
	if sa.Version != 2 {
		return sa.latestExchange(msg.Exchange, msg.MessageID)
	}
	by := msg.requester()
	for i := len(sa.Exchanges) - 1; i >= 0; i-- {
		if e := sa.Exchanges[i]; e.Type == msg.Exchange && e.MessageID == msg.MessageID && e.By == by {
			return e
		}
	}
	return nil
}

// requester is who sent the request of an IKEv2 message's exchange.
func (m *Message) requester() Direction {
	if !m.Response {
		return m.Dir
	}
	if m.Dir == FromInitiator {
		return FromResponder
	}
	return FromInitiator
}

// retransmitted counts another transmission of the message.
func (m *Message) retransmitted(again *Message) {
	m.Sent++
	m.Frames = appendCapped(m.Frames, again.Frames[0])
	m.Times = appendCappedTime(m.Times, again.Times[0])
	// A retransmission may take another path (NAT-T float): keep the latest.
	m.Src, m.Dst = again.Src, again.Dst
}

// copyOf finds the message msg is a copy of, as another capture point
// saw it: the same bytes; or, when either copy was cut short by a snaplen,
// the same IKE header, sent the same way (dir; any way when not known).
func (sa *IKESA) copyOf(msg *Message, dir Direction, dirKnown bool) *Message {
	var sameHead *Message
	for i := len(sa.Exchanges) - 1; i >= 0; i-- {
		for _, m := range sa.Exchanges[i].Messages {
			if m.hash == msg.hash && (!dirKnown || m.Dir == dir) {
				return m
			}
			if sameHead == nil && (m.cut || msg.cut) && m.head == msg.head && (!dirKnown || m.Dir == dir) {
				sameHead = m
			}
		}
	}
	return sameHead
}
