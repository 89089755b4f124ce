package correlate

import (
	"bytes"
	"hash/fnv"
	"net/netip"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// IKEv1 fragments (isakmp.CiscoFragment): the fragments of one message
// become one Message, placed with its first fragment; the others add their
// frames, and once complete it takes the original message's header and
// payloads (and moves to its real exchange when the fragments' headers
// named another one).
//
// Bounds: isakmp's, shared with package decrypt.
const (
	maxV1FragSets    = isakmp.MaxV1FragmentSets
	maxV1FragsPerMsg = isakmp.MaxV1FragmentsPerMessage
	maxV1FragBytes   = isakmp.MaxV1FragmentBytes
	v1FragTimeout    = isakmp.V1FragmentTimeout
)

type v1FragKey struct {
	sa, capture int
	src, dst    netip.Addr
	id          uint16
}

type v1FragState struct {
	msg   *Message
	first time.Time
	parts map[uint8][]byte // nil once the message is complete
	last  uint8
	size  int
	// copies counts the copies of each fragment seen: the message was
	// sent as often as its most repeated fragment.
	copies map[uint8]int
	// done: the hashes of the fragments of the completed message, so
	// that their copies join it rather than start the next message
	done map[uint8]uint64
	// header is the completed message's header (for its exchange type)
	header *isakmp.Message
}

func v1FragHash(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// v1Fragment takes an IKEv1 fragment into the message it belongs to. It
// reports whether it placed the packet's message itself (the caller stops
// there): always but for the first fragment of a message of several, which
// the caller places as usual.
func (c *Correlator) v1Fragment(sa *IKESA, msg *Message, p *decode.Packet, k int) bool {
	m := p.IKE
	if sa.Version != 1 || m.Encrypted != nil {
		return false
	}
	f, ok := m.Find(isakmp.PayloadV1CiscoFrag).(*isakmp.CiscoFragment)
	if !ok || f.Number == 0 || int(f.Number) > maxV1FragsPerMsg {
		return false
	}
	if c.v1frags == nil {
		c.v1frags = map[v1FragKey]*v1FragState{}
	}
	key := v1FragKey{sa: sa.ID, capture: k, src: p.Src.Addr(), dst: p.Dst.Addr(), id: f.ID}
	st := c.v1frags[key]
	if st != nil && p.Time.Sub(st.first) > v1FragTimeout {
		st = nil
	}
	if st != nil && st.done != nil {
		if h, ok := st.done[f.Number]; ok && h == v1FragHash(f.Data) {
			// a copy of a fragment of a message already complete
			st.copies[f.Number]++
			st.msg.fragmentFrame(p, st.copies[f.Number])
			c.v1Decrypted(sa, st, p)
			return true
		}
		st = nil
	}
	if st != nil {
		old, dup := st.parts[f.Number]
		switch {
		case dup && !bytes.Equal(old, f.Data),
			f.Last && st.last != 0 && st.last != f.Number,
			st.last != 0 && f.Number > st.last,
			f.Last && maxFragNumber(st.parts) > f.Number,
			!dup && st.size+len(f.Data) > maxV1FragBytes:
			st = nil // the next message under a reused fragment ID
		}
	}
	if st == nil {
		c.expireV1Frags(p.Time)
		msg.IKEFragments = 1
		st = &v1FragState{msg: msg, first: p.Time, parts: map[uint8][]byte{}, copies: map[uint8]int{}}
		c.v1frags[key] = st
		st.add(f)
		if !st.complete() {
			return false
		}
		// a message in one fragment
		c.v1Complete(sa, st, p, false, k)
		c.placeV1(sa, msg, k)
		c.v1Decrypted(sa, st, p)
		return true
	}
	st.add(f)
	st.msg.fragmentFrame(p, st.copies[f.Number])
	if st.complete() {
		c.v1Complete(sa, st, p, true, k)
	}
	c.v1Decrypted(sa, st, p)
	return true
}

func maxFragNumber(parts map[uint8][]byte) uint8 {
	var n uint8
	for k := range parts {
		n = max(n, k)
	}
	return n
}

func (st *v1FragState) add(f *isakmp.CiscoFragment) {
	st.copies[f.Number]++
	if f.Last {
		st.last = f.Number
	}
	if _, dup := st.parts[f.Number]; dup {
		return
	}
	st.parts[f.Number] = append([]byte(nil), f.Data...)
	st.size += len(f.Data)
	st.msg.IKEFragments = len(st.parts)
}

func (st *v1FragState) complete() bool {
	return st.last != 0 && len(st.parts) == int(st.last)
}

// fragmentFrame adds the frame of a further fragment; n is how many
// copies of this fragment were seen.
func (m *Message) fragmentFrame(p *decode.Packet, n int) {
	m.Frames = appendCapped(m.Frames, p.Frame)
	m.Times = appendCappedTime(m.Times, p.Time)
	m.Sent = max(m.Sent, n)
}

// v1Decrypted takes what decryption revealed of the completed message
// (package decrypt fills in the packet whose fragment completed it), read
// as a message of its real exchange.
func (c *Correlator) v1Decrypted(sa *IKESA, st *v1FragState, p *decode.Packet) {
	if p.Decrypted == nil || st.header == nil || (!p.Decrypted.OK && st.msg.Decrypted) {
		return
	}
	q := *p
	q.IKE = st.header
	c.addDecrypted(sa, st.msg, &q)
}

// v1Complete gives the message the header and payloads of the original
// message put back together, and moves it to its exchange when placed
// is set and the fragments' headers named another one.
func (c *Correlator) v1Complete(sa *IKESA, st *v1FragState, p *decode.Packet, placed bool, k int) {
	all := make([]byte, 0, st.size)
	for i := 1; i <= int(st.last); i++ {
		all = append(all, st.parts[uint8(i)]...)
	}
	st.done = map[uint8]uint64{}
	for i, part := range st.parts {
		st.done[i] = v1FragHash(part)
	}
	st.parts, st.size = nil, 0
	rm, err := isakmp.Decode(all)
	if err != nil || rm.MajorVersion() != 1 || rm.InitiatorSPI != p.IKE.InitiatorSPI || rm.Truncated {
		return // not a message of this SA: the fragments stay as they are
	}
	st.header = &isakmp.Message{Header: rm.Header}
	msg := st.msg
	oldEx, oldMID := msg.Exchange, msg.MessageID
	q := *p
	q.IKE = rm
	whole := newMessage(&q, msg.Dir)
	msg.MessageID, msg.Exchange, msg.Length = whole.MessageID, whole.Exchange, whole.Length
	msg.Encrypted, msg.FirstInner, msg.Summary = whole.Encrypted, whole.FirstInner, whole.Summary
	msg.Notifies = append(msg.Notifies, whole.Notifies...)
	msg.hash = whole.hash
	if placed && (oldEx != msg.Exchange || oldMID != msg.MessageID) {
		sa.removeMessage(msg)
		c.placeV1(sa, msg, k)
	}
	// what the clear payloads of the original message tell (MM1/MM2
	// proposals, MM3/MM4 NAT detection)
	c.phase1Proposals(sa, msg, rm)
	c.natDetection(sa, msg, &q)
	c.clearDeletes(sa, msg, rm)
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

// expireV1Frags drops the messages older than the timeout and, at the
// bound, the oldest one.
func (c *Correlator) expireV1Frags(now time.Time) {
	var oldest v1FragKey
	var oldestT time.Time
	found := false
	for k, st := range c.v1frags {
		if now.Sub(st.first) > v1FragTimeout {
			delete(c.v1frags, k)
			continue
		}
		if !found || st.first.Before(oldestT) {
			oldest, oldestT, found = k, st.first, true
		}
	}
	if len(c.v1frags) >= maxV1FragSets && found {
		delete(c.v1frags, oldest)
	}
}
