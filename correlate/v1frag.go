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

// reassemble takes IKE fragments into the message they belong to. It
// returns the message whose payloads in clear tell about msg (the packet's
// own, or the original message put back together); done is set when the
// packet was a further fragment of a message already placed, which this
// stage then completes.
func (c *Correlator) reassemble(sa *IKESA, msg *Message, p *decode.Packet, k int) (clear *isakmp.Message, done bool) {
	if sa.Version == 2 {
		return p.IKE, c.reassembleV2(sa, msg, p, k)
	}
	m := p.IKE
	f, ok := m.Find(isakmp.PayloadV1CiscoFrag).(*isakmp.CiscoFragment)
	if m.Encrypted != nil || !ok || f.Number == 0 || int(f.Number) > maxV1FragsPerMsg {
		return m, false
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
			st.absorb(p)
			return nil, true
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
		// The first fragment of a message: the message is placed with it,
		// and the others join it.
		c.expireV1Frags(p.Time)
		msg.IKEFragments = 1
		st = &v1FragState{msg: msg, first: p.Time, parts: map[uint8][]byte{}, copies: map[uint8]int{}}
		c.v1frags[key] = st
		st.add(f)
		if st.complete() { // a message in one fragment
			if whole := st.reassembled(p); whole != nil {
				return whole, false
			}
		}
		return m, false
	}
	st.add(f)
	st.msg.fragmentFrame(p, st.copies[f.Number])
	if st.complete() {
		ex, mid := st.msg.Exchange, st.msg.MessageID
		if whole := st.reassembled(p); whole != nil {
			sa.replace(st.msg, ex != st.msg.Exchange || mid != st.msg.MessageID)
			c.learn(sa, st.msg, whole, p)
		}
	}
	st.absorb(p)
	return nil, true
}

// reassembleV2 joins a further IKEv2 fragment (RFC 7383) to the message its
// first fragment began, and reports whether it did. The fragment that
// completes the message is the one decryption speaks for.
func (c *Correlator) reassembleV2(sa *IKESA, msg *Message, p *decode.Packet, k int) bool {
	if msg.IKEFragments == 0 || isFirstFragment(p) {
		return false
	}
	ex := sa.exchangeOf(msg)
	if ex == nil {
		return false
	}
	for _, old := range ex.Messages {
		if old.Dir != msg.Dir || old.Response != msg.Response || old.IKEFragments == 0 {
			continue
		}
		if len(old.Seen) > 0 {
			if len(old.Seen) < maxSightings {
				old.Seen = append(old.Seen, Sighting{Capture: k, Frame: p.Frame, Time: p.Time})
			}
			if k != primaryCapture(old) {
				return true // a fragment as another capture point saw it
			}
		}
		old.Frames = appendCapped(old.Frames, msg.Frames[0])
		old.Times = appendCappedTime(old.Times, msg.Times[0])
		old.absorb(p.Decrypted, false)
		return true
	}
	return false
}

func isFirstFragment(p *decode.Packet) bool {
	for _, pl := range p.IKE.Payloads {
		if f, ok := pl.Body.(*isakmp.EncryptedFragment); ok {
			return f.Number == 1
		}
	}
	return false
}

// absorb takes what decryption revealed of the completed message (package
// decrypt fills in the packet whose fragment completed it), read as a
// message of its real exchange.
func (st *v1FragState) absorb(p *decode.Packet) {
	if p.Decrypted == nil || st.header == nil {
		return
	}
	st.msg.absorb(p.Decrypted, st.header.Exchange == isakmp.ExchangeV1Quick)
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

// reassembled puts the original message back together from the complete
// fragments and gives the message its header and the facts of its
// payloads in clear. It returns the original message, or nil when the
// fragments do not make a message of this SA (the message stays as the
// fragments made it).
func (st *v1FragState) reassembled(p *decode.Packet) *isakmp.Message {
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
		return nil
	}
	st.header = &isakmp.Message{Header: rm.Header}
	q := *p
	q.IKE = rm
	whole := newMessage(&q)
	msg := st.msg
	msg.MessageID, msg.Exchange, msg.Length = whole.MessageID, whole.Exchange, whole.Length
	msg.Encrypted, msg.FirstInner, msg.Summary = whole.Encrypted, whole.FirstInner, whole.Summary
	msg.noResponderSPI, msg.clearSA = whole.noResponderSPI, whole.clearSA
	msg.Notifies = append(msg.Notifies, whole.Notifies...)
	msg.Deletes = append(msg.Deletes, whole.Deletes...)
	msg.InitialContact = msg.InitialContact || whole.InitialContact
	msg.hash = whole.hash
	return rm
}

// replace moves a message put back together from fragments to the
// exchange its header now names (moved), and numbers its step again.
func (sa *IKESA) replace(msg *Message, moved bool) {
	if moved {
		sa.removeMessage(msg)
		sa.placeV1(msg, sa.exchangeOf(msg))
		return
	}
	msg.Step = stepV1(sa.exchangeOf(msg), msg)
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
