package decode

import (
	"fmt"
	"net/netip"
	"sort"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// IP fragment reassembly for IPv4 and IPv6. gopacket's ip4defrag covers IPv4
// only and wants whole gopacket.Packets; IKE messages with certificates
// arrive fragmented over both, so one small reassembler serves both.
//
// It is bounded: at most maxPendingDatagrams datagrams wait at once (the
// oldest is dropped beyond that), a datagram may not exceed maxDatagramLen,
// and a datagram with no new fragment for fragmentTimeout of capture time is
// dropped. Overlapping fragments keep the bytes seen first; an exact
// duplicate (a capture that saw the packet twice) changes nothing.
const (
	maxPendingDatagrams = 1024
	maxDatagramLen      = 65535
	maxFragmentsPerDg   = 128
	fragmentTimeout     = 30 * time.Second
)

type fragKey struct {
	src, dst netip.Addr
	id       uint32
	proto    uint8
	v6       bool
}

type fragRange struct{ start, end int }

type pendingDatagram struct {
	data     []byte
	have     []fragRange // sorted, non-overlapping
	total    int         // length once the last fragment is seen, else -1
	frames   []int
	lastSeen time.Time
	seq      uint64 // arrival order, for evicting the oldest
}

type reassembler struct {
	pendingDg map[fragKey]*pendingDatagram
	seq       uint64
	// Dropped counts datagrams given up (timeout, capacity, too large).
	Dropped int
}

func newReassembler() *reassembler {
	return &reassembler{pendingDg: map[fragKey]*pendingDatagram{}}
}

func (r *reassembler) pending() int { return len(r.pendingDg) }

// add stores one fragment. It returns the whole datagram payload and the
// frames that carried it once the last hole is filled, else nil.
func (r *reassembler) add(key fragKey, rec *capture.Record, off int, more bool, data []byte) ([]byte, []int, error) {
	r.expire(rec.Time)
	end := off + len(data)
	if end > maxDatagramLen {
		r.drop(key)
		return nil, nil, fmt.Errorf("fragment at offset %d ends beyond %d bytes", off, maxDatagramLen)
	}
	if more && len(data)%8 != 0 {
		return nil, nil, fmt.Errorf("non-final fragment of %d bytes is not a multiple of 8", len(data))
	}
	dg := r.pendingDg[key]
	if dg == nil {
		if len(r.pendingDg) >= maxPendingDatagrams {
			r.evictOldest()
		}
		r.seq++
		dg = &pendingDatagram{total: -1, seq: r.seq}
		r.pendingDg[key] = dg
	}
	dg.lastSeen = rec.Time
	if len(dg.frames) == maxFragmentsPerDg {
		r.drop(key)
		return nil, nil, fmt.Errorf("more than %d fragments for one datagram", maxFragmentsPerDg)
	}
	dg.frames = append(dg.frames, rec.Frame)
	if !more {
		if dg.total >= 0 && dg.total != end {
			r.drop(key)
			return nil, nil, fmt.Errorf("two last fragments disagree on the length (%d, %d)", dg.total, end)
		}
		dg.total = end
	}
	if end > len(dg.data) {
		grown := make([]byte, end)
		copy(grown, dg.data)
		dg.data = grown
	}
	dg.fill(off, data)
	if dg.total < 0 || len(dg.have) != 1 || dg.have[0].start != 0 || dg.have[0].end < dg.total {
		return nil, nil, nil
	}
	delete(r.pendingDg, key)
	return dg.data[:dg.total], dg.frames, nil
}

// fill copies the parts of [off, off+len(data)) not yet held.
func (dg *pendingDatagram) fill(off int, data []byte) {
	end := off + len(data)
	pos := off
	for _, h := range dg.have {
		if h.end <= pos {
			continue
		}
		if h.start >= end {
			break
		}
		if h.start > pos {
			copy(dg.data[pos:h.start], data[pos-off:h.start-off])
		}
		pos = max(pos, h.end)
		if pos >= end {
			break
		}
	}
	if pos < end {
		copy(dg.data[pos:end], data[pos-off:])
	}
	dg.have = append(dg.have, fragRange{off, end})
	sort.Slice(dg.have, func(i, j int) bool { return dg.have[i].start < dg.have[j].start })
	merged := dg.have[:1]
	for _, h := range dg.have[1:] {
		last := &merged[len(merged)-1]
		if h.start <= last.end {
			last.end = max(last.end, h.end)
		} else {
			merged = append(merged, h)
		}
	}
	dg.have = merged
}

func (r *reassembler) drop(key fragKey) {
	delete(r.pendingDg, key)
	r.Dropped++
}

func (r *reassembler) expire(now time.Time) {
	for k, dg := range r.pendingDg {
		if now.Sub(dg.lastSeen) > fragmentTimeout {
			r.drop(k)
		}
	}
}

func (r *reassembler) evictOldest() {
	var oldest fragKey
	var seq uint64
	for k, dg := range r.pendingDg {
		if seq == 0 || dg.seq < seq {
			oldest, seq = k, dg.seq
		}
	}
	r.drop(oldest)
}
