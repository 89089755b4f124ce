package isakmp

import "encoding/binary"

// Test helpers that lay out messages byte by byte from the RFC diagrams, so
// the table tests state their input in the units the RFCs use.

type pl struct {
	t    PayloadType
	body []byte
}

var (
	testISPI = SPI{1, 2, 3, 4, 5, 6, 7, 8}
	testRSPI = SPI{9, 10, 11, 12, 13, 14, 15, 16}
)

// message builds header + payload chain; the next-payload fields and all
// lengths are computed.
func message(version uint8, exch ExchangeType, flags Flags, mid uint32, pls ...pl) []byte {
	b := make([]byte, HeaderLen)
	copy(b[0:8], testISPI[:])
	copy(b[8:16], testRSPI[:])
	if len(pls) > 0 {
		b[16] = byte(pls[0].t)
	}
	b[17] = version
	b[18] = byte(exch)
	b[19] = byte(flags)
	binary.BigEndian.PutUint32(b[20:24], mid)
	for i, p := range pls {
		next := byte(0)
		if i+1 < len(pls) {
			next = byte(pls[i+1].t)
		}
		b = append(b, generic(next, p.body)...)
	}
	binary.BigEndian.PutUint32(b[24:28], uint32(len(b)))
	return b
}

// generic prefixes a body with a generic payload header.
func generic(next byte, body []byte) []byte {
	h := []byte{next, 0, 0, 0}
	binary.BigEndian.PutUint16(h[2:4], uint16(4+len(body)))
	return append(h, body...)
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// tv is a TV-form attribute; tlv a TLV-form one.
func tv(typ, val uint16) []byte { return cat(u16(0x8000|typ), u16(val)) }
func tlv(typ uint16, val []byte) []byte {
	return cat(u16(typ), u16(uint16(len(val))), val)
}

// v1Transform is an IKEv1 transform payload (RFC 2408 §3.6) with its
// generic header; next is 3 or 0.
func v1Transform(next, num, id byte, attrs ...[]byte) []byte {
	return generic(next, cat([]byte{num, id, 0, 0}, cat(attrs...)))
}

// v1Proposal is an IKEv1 proposal payload (RFC 2408 §3.5).
func v1Proposal(next, num, proto byte, spi []byte, transforms ...[]byte) []byte {
	return generic(next, cat([]byte{num, proto, byte(len(spi)), byte(len(transforms))}, spi, cat(transforms...)))
}

// v1SA is an IKEv1 SA body: DOI 1, situation SIT_IDENTITY_ONLY, proposals.
func v1SA(proposals ...[]byte) []byte { return cat(u32(1), u32(1), cat(proposals...)) }

// v2Transform is an IKEv2 transform substructure (RFC 7296 §3.3.2).
func v2Transform(last bool, typ byte, id uint16, attrs ...[]byte) []byte {
	a := cat(attrs...)
	more := byte(3)
	if last {
		more = 0
	}
	return cat([]byte{more, 0}, u16(uint16(8+len(a))), []byte{typ, 0}, u16(id), a)
}

// v2Proposal is an IKEv2 proposal substructure (RFC 7296 §3.3.1).
func v2Proposal(last bool, num, proto byte, spi []byte, transforms ...[]byte) []byte {
	body := cat([]byte{num, proto, byte(len(spi)), byte(len(transforms))}, spi, cat(transforms...))
	more := byte(2)
	if last {
		more = 0
	}
	return cat([]byte{more, 0}, u16(uint16(4+len(body))), body)
}
