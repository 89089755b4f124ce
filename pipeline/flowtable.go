package pipeline

import (
	"encoding/binary"
	"math/bits"
	"net/netip"

	"github.com/ipsecpcap/ipsecpcap/correlate"
)

// flowTable finds a range's ESP flow by SPI and addresses: an open-addressed
// table whose slots hold an IPv4 flow's whole key, so that finding one
// reads the table alone (IPv6 flows' addresses are checked in the flow). A
// range holds a thousand flows or more, and a Go map lookup, or a look at
// the flow's own key, cost a cache miss per packet.
type flowTable struct {
	slots []flowSlot // len a power of two, at most three quarters full
	flows []*correlate.ESPRange
	shift uint8    // 32 - log2(len(slots))
	last  flowSlot // the flow found or added last: bursts of one flow
}

// flowSlot is a flow's key and where its range summary is: src and dst are
// the IPv4 addresses, or for IPv6 (idx&v6Flow) a hash of them; idx is one
// more than the flow's index in flows (0: an empty slot). 16 bytes: the
// table of a range's thousands of flows stays in the core's cache.
type flowSlot struct {
	spi, src, dst uint32
	idx           uint32
}

const v6Flow = 1 << 31

// flowKeyOf is the slot key of a flow.
func flowKeyOf(spi uint32, src, dst netip.Addr) flowSlot {
	if src.Is4() && dst.Is4() {
		a, b := src.As4(), dst.As4()
		return flowSlot{spi: spi, src: binary.BigEndian.Uint32(a[:]), dst: binary.BigEndian.Uint32(b[:])}
	}
	return flowSlot{spi: spi, src: addrHash(src), dst: addrHash(dst), idx: v6Flow}
}

// addrHash folds an address into 32 bits (a key, checked in the flow).
func addrHash(a netip.Addr) uint32 {
	b := a.As16()
	var h uint32
	for i := 0; i < 16; i += 4 {
		h = (h ^ binary.BigEndian.Uint32(b[i:i+4])) * 0x9e3779b1
	}
	return h
}

// start is where the probe for key k starts (Fibonacci hashing: SPIs are
// random, but some gateways count them up).
func (t *flowTable) start(k *flowSlot) int {
	h := (k.spi ^ bits.RotateLeft32(k.src, 11) ^ bits.RotateLeft32(k.dst, 22)) * 0x9e3779b1
	return int(h >> t.shift)
}

// find is the flow of SPI spi from src to dst, or nil; and its key, for
// add.
func (t *flowTable) find(spi uint32, src, dst netip.Addr) (*correlate.ESPRange, flowSlot) {
	k := flowKeyOf(spi, src, dst)
	if t.last.idx != 0 && t.same(&t.last, &k, src, dst) {
		return t.flows[t.last.idx&^v6Flow-1], k
	}
	if len(t.slots) == 0 {
		return nil, k
	}
	mask := len(t.slots) - 1
	for i := t.start(&k); ; i = (i + 1) & mask {
		s := &t.slots[i]
		switch {
		case s.idx == 0:
			return nil, k
		case t.same(s, &k, src, dst):
			t.last = *s
			return t.flows[s.idx&^v6Flow-1], k
		}
	}
}

// same reports whether slot s holds the flow of key k, from src to dst.
func (t *flowTable) same(s, k *flowSlot, src, dst netip.Addr) bool {
	return s.spi == k.spi && s.src == k.src && s.dst == k.dst && s.idx&v6Flow == k.idx&v6Flow &&
		(k.idx&v6Flow == 0 || t.flows[s.idx&^v6Flow-1].Is(k.spi, src, dst))
}

// add adds flow r of key k, which find did not find.
func (t *flowTable) add(k flowSlot, r *correlate.ESPRange) {
	if 4*(len(t.flows)+1) > 3*len(t.slots) {
		t.grow()
	}
	t.flows = append(t.flows, r)
	k.idx |= uint32(len(t.flows))
	t.put(k)
	t.last = k
}

func (t *flowTable) put(k flowSlot) {
	mask := len(t.slots) - 1
	for i := t.start(&k); ; i = (i + 1) & mask {
		if t.slots[i].idx == 0 {
			t.slots[i] = k
			return
		}
	}
}

func (t *flowTable) grow() {
	old := t.slots
	size := max(64, 2*len(old))
	t.slots, t.shift = make([]flowSlot, size), uint8(32-bits.TrailingZeros(uint(size)))
	for _, s := range old {
		if s.idx != 0 {
			t.put(s)
		}
	}
}
