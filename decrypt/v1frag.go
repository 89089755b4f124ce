package decrypt

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"net/netip"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// IKEv1 fragments (isakmp.CiscoFragment) are put back together here to
// decrypt the whole message.
//
// Bounds: isakmp's, shared with package correlate.
const (
	maxV1FragSets    = isakmp.MaxV1FragmentSets
	maxV1FragsPerMsg = isakmp.MaxV1FragmentsPerMessage
	maxV1FragBytes   = isakmp.MaxV1FragmentBytes
	v1FragTimeout    = isakmp.V1FragmentTimeout
)

// v1FragKey identifies the fragments of one message: the IKE SA, the
// direction (IKEv1 has no initiator flag: the addresses tell) and the
// fragment ID.
type v1FragKey struct {
	icookie, rcookie isakmp.SPI
	src, dst         netip.Addr
	id               uint16
}

type v1FragSet struct {
	first time.Time
	parts map[uint8][]byte
	last  uint8 // the number of the fragment with the LAST flag, 0 before it is seen
	size  int
	// done holds the hashes of the fragments of the message last put
	// back together under this key (parts is then empty): their copies
	// (a duplicated capture, a retransmission) are not taken for the
	// start of the next message, which strongSwan sends with the same
	// fragment ID.
	done map[uint8]uint64
}

func fragHash(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// ciscoFragment returns the fragment payload of a clear IKEv1 message, or
// nil.
func ciscoFragment(m *isakmp.Message) *isakmp.CiscoFragment {
	if m.Encrypted != nil {
		return nil
	}
	for _, pl := range m.Payloads {
		if f, ok := pl.Body.(*isakmp.CiscoFragment); ok {
			return f
		}
	}
	return nil
}

// v1fragment keeps one IKEv1 fragment and, with the last one missing
// before it, puts the message back together and decrypts it like any
// IKEv1 message (same IV chain), or reads it for the state later messages
// need when it was sent in clear. Only the packet completing an encrypted
// message gets a Decrypted; the others keep none.
func (d *Decrypter) v1fragment(p *decode.Packet, f *isakmp.CiscoFragment) {
	m := p.IKE
	if f.Number == 0 {
		p.Decrypted = fail(fmt.Sprintf("IKEv1 fragment number 0 (fragment ID %d): invalid numbering", f.ID))
		return
	}
	if int(f.Number) > maxV1FragsPerMsg {
		p.Decrypted = fail(fmt.Sprintf("IKEv1 fragment number %d (fragment ID %d) is past the reassembly bound of %d fragments", f.Number, f.ID, maxV1FragsPerMsg))
		return
	}
	if d.v1frags == nil {
		d.v1frags = map[v1FragKey]*v1FragSet{}
	}
	key := v1FragKey{icookie: m.InitiatorSPI, rcookie: m.ResponderSPI, src: p.Src.Addr(), dst: p.Dst.Addr(), id: f.ID}
	fs := d.v1frags[key]
	if fs != nil && !p.Time.IsZero() && p.Time.Sub(fs.first) > v1FragTimeout {
		delete(d.v1frags, key) // a stale message with a reused ID
		fs = nil
	}
	if fs != nil && fs.done != nil {
		if h, ok := fs.done[f.Number]; ok && h == fragHash(f.Data) {
			return // a copy of a fragment of the message already put back together
		}
		fs = nil
	}
	if fs != nil {
		// A fragment that does not fit the message begun (same number,
		// other bytes; a second LAST; a number past LAST) starts the
		// next message: fragment IDs are reused.
		old, dup := fs.parts[f.Number]
		switch {
		case dup && !bytes.Equal(old, f.Data),
			f.Last && fs.last != 0 && fs.last != f.Number,
			fs.last != 0 && f.Number > fs.last,
			f.Last && len(fs.parts) > 0 && maxKey(fs.parts) > f.Number:
			fs = nil
		}
	}
	if fs == nil {
		d.expireV1Frags(p.Time)
		fs = &v1FragSet{first: p.Time, parts: map[uint8][]byte{}}
		d.v1frags[key] = fs
	}
	if _, dup := fs.parts[f.Number]; !dup {
		if fs.size+len(f.Data) > maxV1FragBytes {
			delete(d.v1frags, key)
			p.Decrypted = fail(fmt.Sprintf("IKEv1 fragments (fragment ID %d) exceed the reassembly bound of %d bytes", f.ID, maxV1FragBytes))
			return
		}
		// the packet's bytes may be reused by the caller: copy
		fs.parts[f.Number] = append([]byte(nil), f.Data...)
		fs.size += len(f.Data)
	}
	if f.Last {
		fs.last = f.Number
	}
	if fs.last == 0 || len(fs.parts) < int(fs.last) {
		return
	}
	all := make([]byte, 0, fs.size)
	for i := 1; i <= int(fs.last); i++ {
		part, ok := fs.parts[uint8(i)]
		if !ok {
			return // a fragment numbered past LAST took a place: wait
		}
		all = append(all, part...)
	}
	fs.done = map[uint8]uint64{}
	for i, part := range fs.parts {
		fs.done[i] = fragHash(part)
	}
	fs.parts, fs.size = nil, 0
	n := int(fs.last)
	p.Decrypted = d.v1reassembled(p, all, n)
}

// v1reassembled decrypts (or reads) the message put back together from n
// fragments.
func (d *Decrypter) v1reassembled(p *decode.Packet, b []byte, n int) *decode.Decrypted {
	what := fmt.Sprintf("reassembled from %d IKEv1 fragments", n)
	rm, err := isakmp.Decode(b)
	if err != nil {
		return fail(what + ": " + err.Error())
	}
	if rm.MajorVersion() != 1 || rm.InitiatorSPI != p.IKE.InitiatorSPI {
		return fail(what + ": the message inside is not of this IKEv1 SA")
	}
	if rm.Truncated {
		return fail(what + ": the message inside is longer than its fragments")
	}
	if ciscoFragment(rm) != nil {
		return fail(what + ": the message inside is itself a fragment")
	}
	q := *p
	q.IKE, q.Decrypted = rm, nil
	d.ikev1(&q)
	out := q.Decrypted
	switch {
	case rm.Encrypted == nil:
		// Sent in clear (Main Mode 1-4 with large KE payloads or
		// certificates): ikev1 learnt from it; there is nothing
		// decrypted to show.
		return nil
	case out == nil:
		return nil
	case out.OK:
		out.Reason = what
	default:
		out.Reason += " (message " + what + ")"
	}
	return out
}

// expireV1Frags drops the incomplete messages older than the timeout and,
// at the bound, the oldest one.
func (d *Decrypter) expireV1Frags(now time.Time) {
	var oldest v1FragKey
	var oldestT time.Time
	found := false
	for k, fs := range d.v1frags {
		if !now.IsZero() && now.Sub(fs.first) > v1FragTimeout {
			delete(d.v1frags, k)
			continue
		}
		if !found || fs.first.Before(oldestT) {
			oldest, oldestT, found = k, fs.first, true
		}
	}
	if len(d.v1frags) >= maxV1FragSets && found {
		delete(d.v1frags, oldest)
	}
}

func maxKey(m map[uint8][]byte) uint8 {
	var n uint8
	for k := range m {
		n = max(n, k)
	}
	return n
}
