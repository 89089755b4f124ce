package isakmp

import (
	"encoding/binary"
	"net/netip"
)

// ID types whose data the decoder turns into addresses (RFC 2407 §4.6.2.1).
const (
	idIPv4Addr       = 1
	idFQDN           = 2
	idUserFQDN       = 3
	idIPv4AddrSubnet = 4
	idIPv6Addr       = 5
	idIPv6AddrSubnet = 6
	idIPv4AddrRange  = 7
	idIPv6AddrRange  = 8
)

// idV1 decodes an IKEv1 ID payload: type, protocol, port, data (RFC 2407 §4.6.2).
func (d *decoder) idV1(b []byte, base int, t PayloadType) Body {
	id := &Identification{Version: 1}
	if len(b) < 4 {
		// Every field that is there: the type, then the protocol.
		if len(b) > 0 {
			id.IDType = b[0]
		}
		if len(b) > 1 {
			id.ProtocolID = b[1]
		}
		d.errorf(base+len(b), t, "ID body needs 4 bytes, have %d", len(b))
		return id
	}
	id.IDType, id.ProtocolID, id.Port = b[0], b[1], binary.BigEndian.Uint16(b[2:4])
	id.Data = b[4:]
	d.idData(id, base+4, t)
	return id
}

// idV2 decodes an IKEv2 IDi/IDr payload: type, 3 reserved bytes, data.
func (d *decoder) idV2(b []byte, base int, t PayloadType) Body {
	id := &Identification{Version: 2}
	if len(b) < 4 {
		// The ID Type is there when one byte is.
		if len(b) > 0 {
			id.IDType = b[0]
		}
		d.errorf(base+len(b), t, "ID body needs 4 bytes, have %d", len(b))
		return id
	}
	id.IDType = b[0]
	id.Data = b[4:]
	d.idData(id, base+4, t)
	return id
}

func (d *decoder) idData(id *Identification, base int, t PayloadType) {
	b := id.Data
	want := func(n int) bool {
		if len(b) != n {
			d.errorf(base, t, "%s needs %d bytes of data, has %d", idTypeName(id.Version, id.IDType), n, len(b))
			return false
		}
		return true
	}
	switch id.IDType {
	case idIPv4Addr:
		if want(4) {
			id.Addr = netip.AddrFrom4([4]byte(b))
		}
	case idIPv6Addr:
		if want(16) {
			id.Addr = netip.AddrFrom16([16]byte(b))
		}
	case idFQDN, idUserFQDN:
		id.Text = string(b)
	case idIPv4AddrSubnet, idIPv4AddrRange:
		if id.Version == 1 && want(8) {
			id.Addr = netip.AddrFrom4([4]byte(b[:4]))
			second := netip.AddrFrom4([4]byte(b[4:]))
			if id.IDType == idIPv4AddrRange {
				id.RangeEnd = second
			} else {
				id.Prefix = maskPrefix(id.Addr, b[4:])
			}
		}
	case idIPv6AddrSubnet, idIPv6AddrRange:
		if id.Version == 1 && want(32) {
			id.Addr = netip.AddrFrom16([16]byte(b[:16]))
			second := netip.AddrFrom16([16]byte(b[16:]))
			if id.IDType == idIPv6AddrRange {
				id.RangeEnd = second
			} else {
				id.Prefix = maskPrefix(id.Addr, b[16:])
			}
		}
	}
}

// maskPrefix turns an address and a netmask into a prefix. A non-contiguous
// mask is kept as the address with the count of leading one bits.
func maskPrefix(addr netip.Addr, mask []byte) netip.Prefix {
	bits := 0
	for _, c := range mask {
		for i := 7; i >= 0 && c&(1<<i) != 0; i-- {
			bits++
		}
		if c != 0xff {
			break
		}
	}
	p, err := addr.Prefix(bits)
	if err != nil {
		return netip.PrefixFrom(addr, bits)
	}
	if p.Addr() != addr {
		// Host bits set: keep what the peer wrote, it is evidence.
		return netip.PrefixFrom(addr, bits)
	}
	return p
}

// cert decodes CERT and CERTREQ: one encoding byte, then data.
func (d *decoder) cert(b []byte, base int, t PayloadType) Body {
	if len(b) < 1 {
		d.errorf(base, t, "certificate payload has no encoding byte")
		return &Certificate{}
	}
	return &Certificate{Encoding: b[0], Data: b[1:]}
}

// auth decodes an IKEv2 AUTH payload: method, 3 reserved bytes, data.
func (d *decoder) auth(b []byte, base int) Body {
	if len(b) < 4 {
		d.errorf(base, PayloadV2Auth, "AUTH body needs 4 bytes, have %d", len(b))
		return &Auth{}
	}
	return &Auth{Method: b[0], Data: b[4:]}
}

// keV2 decodes an IKEv2 KE payload: DH group, 2 reserved bytes, data.
func (d *decoder) keV2(b []byte, base int) Body {
	if len(b) < 4 {
		d.errorf(base, PayloadV2KE, "KE body needs 4 bytes, have %d", len(b))
		return &KeyExchange{}
	}
	return &KeyExchange{Group: binary.BigEndian.Uint16(b[0:2]), DataLength: len(b) - 4, Data: b[4:]}
}

// deleteV1 decodes an IKEv1 Delete: DOI, protocol, SPI size, count, SPIs.
func (d *decoder) deleteV1(b []byte, base int) Body {
	del := &Delete{}
	if len(b) < 8 {
		d.errorf(base, PayloadV1Delete, "delete body needs 8 bytes, have %d", len(b))
		return del
	}
	del.DOI = binary.BigEndian.Uint32(b[0:4])
	del.Protocol, del.SPISize = ProtocolID(b[4]), b[5]
	d.spis(del, b[8:], base+8, int(binary.BigEndian.Uint16(b[6:8])), PayloadV1Delete)
	return del
}

// deleteV2 decodes an IKEv2 Delete: protocol, SPI size, count, SPIs.
func (d *decoder) deleteV2(b []byte, base int) Body {
	del := &Delete{}
	if len(b) < 4 {
		d.errorf(base, PayloadV2Delete, "delete body needs 4 bytes, have %d", len(b))
		return del
	}
	del.Protocol, del.SPISize = ProtocolID(b[0]), b[1]
	d.spis(del, b[4:], base+4, int(binary.BigEndian.Uint16(b[2:4])), PayloadV2Delete)
	return del
}

func (d *decoder) spis(del *Delete, b []byte, base, count int, t PayloadType) {
	size := int(del.SPISize)
	if count*size != len(b) {
		d.errorf(base, t, "%d SPIs of %d bytes announced, %d bytes present", count, size, len(b))
	}
	if size == 0 {
		return
	}
	for off := 0; off+size <= len(b) && len(del.SPIs) < count; off += size {
		del.SPIs = append(del.SPIs, b[off:off+size])
	}
}

// attributesV1 decodes the IKEv1 Attributes payload used by mode-config and
// XAUTH (draft-dukes-ike-mode-cfg): type, reserved, identifier, attributes.
func (d *decoder) attributesV1(b []byte, base int) Body {
	c := &Config{}
	if len(b) < 4 {
		d.errorf(base, PayloadV1Attributes, "attributes body needs 4 bytes, have %d", len(b))
		return c
	}
	c.Type, c.Identifier = b[0], binary.BigEndian.Uint16(b[2:4])
	c.Attributes = d.attributes(b[4:], base+4, PayloadV1Attributes, SpaceV1Config)
	return c
}

// configV2 decodes an IKEv2 CP payload: type, 3 reserved bytes, attributes.
func (d *decoder) configV2(b []byte, base int) Body {
	c := &Config{}
	if len(b) < 4 {
		d.errorf(base, PayloadV2CP, "CP body needs 4 bytes, have %d", len(b))
		return c
	}
	c.Type = b[0]
	c.Attributes = d.configAttributesV2(b[4:], base+4)
	return c
}

// natOA decodes an IKEv1 NAT-OA payload (RFC 3947 §5.2): ID type, 3 reserved
// bytes, an IPv4 or IPv6 address.
func (d *decoder) natOA(b []byte, base int, t PayloadType) Body {
	oa := &NATOriginalAddress{}
	if len(b) < 4 {
		d.errorf(base, t, "NAT-OA body needs 4 bytes, have %d", len(b))
		return oa
	}
	oa.IDType = b[0]
	switch a := b[4:]; {
	case oa.IDType == idIPv4Addr && len(a) == 4:
		oa.Addr = netip.AddrFrom4([4]byte(a))
	case oa.IDType == idIPv6Addr && len(a) == 16:
		oa.Addr = netip.AddrFrom16([16]byte(a))
	default:
		d.errorf(base, t, "NAT-OA ID type %d with %d address bytes", oa.IDType, len(a))
	}
	return oa
}

// Traffic selector types (RFC 7296 §3.13.1).
const (
	tsIPv4AddrRange = 7
	tsIPv6AddrRange = 8
	maxSelectors    = 64
)

// trafficSelectors decodes TSi/TSr: count, 3 reserved bytes, selectors.
func (d *decoder) trafficSelectors(b []byte, base int, t PayloadType) Body {
	ts := &TrafficSelectors{}
	if len(b) < 4 {
		d.errorf(base, t, "TS body needs 4 bytes, have %d", len(b))
		return ts
	}
	count := int(b[0])
	off := 4
	for i := 0; i < count; i++ {
		if i == maxSelectors {
			d.errorf(base+off, t, "more than %d selectors: rest ignored", maxSelectors)
			break
		}
		if len(b)-off < 4 {
			d.errorf(base+off, t, "selector %d needs 4 bytes, have %d", i+1, len(b)-off)
			return ts
		}
		length := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if length < 4 || off+length > len(b) {
			d.errorf(base+off, t, "selector length %d does not fit in %d remaining bytes", length, len(b)-off)
			return ts
		}
		s := TrafficSelector{Type: b[off], IPProtocol: b[off+1]}
		body := b[off : off+length]
		switch s.Type {
		case tsIPv4AddrRange, tsIPv6AddrRange:
			n := 4
			if s.Type == tsIPv6AddrRange {
				n = 16
			}
			if length != 8+2*n {
				d.errorf(base+off, t, "%s selector length %d, want %d", tsTypeName(s.Type), length, 8+2*n)
				break
			}
			s.StartPort = binary.BigEndian.Uint16(body[4:6])
			s.EndPort = binary.BigEndian.Uint16(body[6:8])
			s.Start, _ = netip.AddrFromSlice(body[8 : 8+n])
			s.End, _ = netip.AddrFromSlice(body[8+n : 8+2*n])
		default:
			s.Data = body[4:]
		}
		ts.Selectors = append(ts.Selectors, s)
		off += length
	}
	if off < len(b) {
		d.errorf(base+off, t, "%d bytes after %d selectors", len(b)-off, count)
	}
	return ts
}

// encryptedFragment decodes an SKF payload: fragment number, total, then the
// encrypted fragment (RFC 7383 §2.5).
func (d *decoder) encryptedFragment(b []byte, base int) Body {
	f := &EncryptedFragment{}
	if len(b) < 4 {
		d.errorf(base, PayloadV2SKF, "SKF body needs 4 bytes, have %d", len(b))
		return f
	}
	f.Number = binary.BigEndian.Uint16(b[0:2])
	f.Total = binary.BigEndian.Uint16(b[2:4])
	f.Data = b[4:]
	f.Length = len(f.Data)
	if f.Number == 0 || f.Number > f.Total {
		d.errorf(base, PayloadV2SKF, "fragment %d of %d", f.Number, f.Total)
	}
	return f
}

// eap decodes the EAP header of an IKEv2 EAP payload (RFC 3748 §4).
func (d *decoder) eap(b []byte, base int) Body {
	e := &EAP{}
	if len(b) < 4 {
		d.errorf(base, PayloadV2EAP, "EAP header needs 4 bytes, have %d", len(b))
		return e
	}
	e.Code, e.Identifier, e.Length = b[0], b[1], binary.BigEndian.Uint16(b[2:4])
	if len(b) > 4 && (e.Code == 1 || e.Code == 2) {
		e.Type = b[4]
	}
	return e
}

// ciscoFragment decodes the IKEv1 fragment payload (type 132): fragment ID,
// number, flags (bit 0: last), data.
func (d *decoder) ciscoFragment(b []byte, base int) Body {
	f := &CiscoFragment{}
	if len(b) < 4 {
		d.errorf(base, PayloadV1CiscoFrag, "fragment header needs 4 bytes, have %d", len(b))
		return f
	}
	f.ID = binary.BigEndian.Uint16(b[0:2])
	f.Number = b[2]
	f.Last = b[3]&0x01 != 0
	f.Data = b[4:]
	return f
}
