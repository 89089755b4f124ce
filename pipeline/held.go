package pipeline

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// What the frame store holds of input that cannot be read again: the bytes
// of frames, since their location is worth nothing.

// heldRecord is a frame's record, its bytes copied.
type heldRecord struct {
	id      int // frame ID
	time    time.Time
	link    capture.LinkType
	origLen int
	iface   int
	data    []byte
}

// heldCost is what a held record takes besides its bytes.
const heldCost = 64

func (h *heldRecord) set(id int, rec *capture.Record) {
	h.id, h.time, h.link, h.origLen, h.iface = id, rec.Time, rec.LinkType, rec.OrigLen, rec.Interface
	h.data = append(h.data[:0], rec.Data...)
}

// record is the held frame as a capture record (sharing its bytes).
func (h *heldRecord) record() *capture.Record {
	return &capture.Record{Frame: h.id, Time: h.time, LinkType: h.link, Data: h.data, OrigLen: h.origLen, Interface: h.iface}
}

func (h heldRecord) clone() heldRecord {
	h.data = bytes.Clone(h.data)
	return h
}

// hold takes a record of input that cannot be read again.
func (st *frameStore) hold(fs *frameSource, dec *decode.Decoder, rec *capture.Record, p *decode.Packet) {
	if p == nil {
		if dec.Fragmented() {
			fs.frags.add(rec)
		}
		return
	}
	switch p.Kind {
	case decode.KindNATKeepalive:
		return
	case decode.KindESP:
		fs.flows.keep(p, rec)
		return
	}
	var held []heldRecord
	n := 0
	if len(p.Fragments) > 1 {
		for _, id := range p.Fragments[:len(p.Fragments)-1] {
			if h, ok := fs.frags.get(id); ok {
				h = h.clone()
				held = append(held, h)
				n += heldCost + cap(h.data)
			}
		}
	}
	var h heldRecord
	h.set(p.Frame, rec)
	held = append(held, h)
	n += heldCost + cap(h.data)
	st.add(fs, p, frameEntry{held: held}, n)
}

// heldRing keeps the last IP fragments of input that cannot be read again,
// until the datagram they belong to is complete: a datagram has at most
// 128 fragments (decode's bound) and a fragment at most 64 KiB.
type heldRing struct {
	recs [128]heldRecord
	next int
}

// maxHeldFragment is the largest fragment kept: larger ones cannot be
// reassembled (an IP datagram is at most 65535 bytes).
const maxHeldFragment = 65535 + 256

func (r *heldRing) add(rec *capture.Record) {
	h := &r.recs[r.next]
	r.next = (r.next + 1) % len(r.recs)
	if len(rec.Data) > maxHeldFragment {
		h.id, h.data = 0, nil
		return
	}
	h.set(rec.Frame, rec)
}

func (r *heldRing) get(id int) (heldRecord, bool) {
	for i := range r.recs {
		if r.recs[i].id == id && id != 0 {
			return r.recs[i], true
		}
	}
	return heldRecord{}, false
}

// espKept holds the first and the last frame of each ESP flow (SPI,
// source and destination address, as the correlator tells flows apart)
// of input that cannot be read again.
type espKept struct {
	// recent holds a flow by its SPI's low bits: most packets find their
	// flow there, without hashing (this runs for every ESP packet).
	recent [1024]*keptFlow
	bySPI  map[uint32]*keptFlow
	n      int
	bytes  int
	lost   int // flows not kept: beyond maxKeptFlows or maxKeptESPBytes
}

type keptFlow struct {
	spi         uint32
	src, dst    netip.Addr
	first, last heldRecord // last.id is 0 until a second frame
	next        *keptFlow  // of the same SPI
}

// keep notes an ESP packet: a copy of its frame when it opens a flow or,
// in place of the one before, as its last. A datagram reassembled from
// fragments is not kept (its fragments would be needed too).
func (k *espKept) keep(p *decode.Packet, rec *capture.Record) {
	if len(p.Fragments) > 0 {
		return
	}
	src, dst := p.Src.Addr(), p.Dst.Addr()
	slot := &k.recent[p.ESP.SPI%uint32(len(k.recent))]
	f := *slot
	if f == nil || f.spi != p.ESP.SPI || f.src != src || f.dst != dst {
		f = k.bySPI[p.ESP.SPI]
		for f != nil && (f.src != src || f.dst != dst) {
			f = f.next
		}
		if f != nil {
			*slot = f
		}
	}
	if f == nil {
		if k.n >= maxKeptFlows || k.bytes+len(rec.Data)+heldCost > maxKeptESPBytes {
			k.lost++
			return
		}
		if k.bySPI == nil {
			k.bySPI = map[uint32]*keptFlow{}
		}
		f = &keptFlow{spi: p.ESP.SPI, src: src, dst: dst, next: k.bySPI[p.ESP.SPI]}
		f.first.set(p.Frame, rec)
		k.bySPI[p.ESP.SPI], *slot = f, f
		k.n++
		k.bytes += heldCost + cap(f.first.data)
		return
	}
	was := cap(f.last.data)
	if len(rec.Data) > was && k.bytes-was+len(rec.Data) > maxKeptESPBytes {
		// No room for a larger last frame: forget the last one rather
		// than show a frame that is not the last.
		k.bytes -= was
		f.last = heldRecord{}
		return
	}
	f.last.set(p.Frame, rec)
	k.bytes += cap(f.last.data) - was
}

// find returns a copy of the held frame id, if it is a flow's first or last.
func (k *espKept) find(id int) (heldRecord, bool) {
	for _, f := range k.bySPI {
		for ; f != nil; f = f.next {
			switch id {
			case f.first.id:
				return f.first.clone(), true
			case f.last.id:
				return f.last.clone(), true
			}
		}
	}
	return heldRecord{}, false
}
