package isakmp

import "encoding/binary"

// Limits on nesting inside one SA payload: far above anything a daemon sends
// (strongSwan's largest default proposal has under 100 transforms).
const (
	maxProposals  = 64
	maxTransforms = 256
	maxAttributes = 64
)

// Proposal payloads inside an IKEv1 SA have generic headers of type 2, and
// transforms of type 3 (RFC 2408 §3.5, §3.6).

// saV1 decodes an IKEv1 SA payload body: DOI, situation, then a chain of
// proposal payloads (RFC 2408 §3.4).
func (d *decoder) saV1(b []byte, base int) Body {
	sa := &SA{}
	if len(b) < 8 {
		d.errorf(base, PayloadV1SA, "SA body needs 8 bytes for DOI and situation, have %d", len(b))
		return sa
	}
	sa.DOI = binary.BigEndian.Uint32(b[0:4])
	sa.Situation = binary.BigEndian.Uint32(b[4:8])
	off := 8
	for n := 0; off < len(b); n++ {
		if n == maxProposals {
			d.errorf(base+off, PayloadV1SA, "more than %d proposals: rest ignored", maxProposals)
			return sa
		}
		if len(b)-off < 8 {
			d.errorf(base+off, PayloadV1SA, "proposal header needs 8 bytes, have %d", len(b)-off)
			return sa
		}
		next := b[off]
		length := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if length < 8 || off+length > len(b) {
			d.errorf(base+off, PayloadV1SA, "proposal length %d does not fit in %d remaining bytes", length, len(b)-off)
			return sa
		}
		sa.Proposals = append(sa.Proposals, d.proposalV1(b[off:off+length], base+off))
		off += length
		if next == 0 {
			break
		}
		if PayloadType(next) != PayloadV1Proposal {
			d.errorf(base+off, PayloadV1SA, "proposal chain continues with payload type %d, want 2", next)
			return sa
		}
	}
	if off < len(b) {
		d.errorf(base+off, PayloadV1SA, "%d bytes after the last proposal", len(b)-off)
	}
	return sa
}

func (d *decoder) proposalV1(b []byte, base int) Proposal {
	p := Proposal{Number: b[4], Protocol: ProtocolID(b[5])}
	spiSize, count := int(b[6]), int(b[7])
	off := 8
	if off+spiSize > len(b) {
		d.errorf(base+6, PayloadV1SA, "proposal SPI size %d exceeds the proposal", spiSize)
		return p
	}
	p.SPI = b[off : off+spiSize]
	off += spiSize
	for i := 0; i < count && off < len(b); i++ {
		if i == maxTransforms {
			d.errorf(base+off, PayloadV1SA, "more than %d transforms: rest ignored", maxTransforms)
			break
		}
		if len(b)-off < 8 {
			d.errorf(base+off, PayloadV1SA, "transform header needs 8 bytes, have %d", len(b)-off)
			return p
		}
		length := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if length < 8 || off+length > len(b) {
			d.errorf(base+off, PayloadV1SA, "transform length %d does not fit in %d remaining bytes", length, len(b)-off)
			return p
		}
		space := SpaceV1IPsec
		if p.Protocol == ProtocolISAKMP {
			space = SpaceV1Phase1
		}
		t := Transform{Version: 1, Protocol: p.Protocol, Number: b[off+4], ID: uint16(b[off+5])}
		t.Attributes = d.attributes(b[off+8:off+length], base+off+8, PayloadV1SA, space)
		p.Transforms = append(p.Transforms, t)
		off += length
	}
	if len(p.Transforms) != count {
		d.errorf(base+7, PayloadV1SA, "proposal announces %d transforms, %d present", count, len(p.Transforms))
	}
	return p
}

// saV2 decodes an IKEv2 SA payload: substructures with last/more flags
// (RFC 7296 §3.3).
func (d *decoder) saV2(b []byte, base int) Body {
	sa := &SA{}
	off := 0
	for n := 0; off < len(b); n++ {
		if n == maxProposals {
			d.errorf(base+off, PayloadV2SA, "more than %d proposals: rest ignored", maxProposals)
			return sa
		}
		if len(b)-off < 8 {
			d.errorf(base+off, PayloadV2SA, "proposal header needs 8 bytes, have %d", len(b)-off)
			return sa
		}
		last := b[off] == 0
		length := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if length < 8 || off+length > len(b) {
			d.errorf(base+off, PayloadV2SA, "proposal length %d does not fit in %d remaining bytes", length, len(b)-off)
			return sa
		}
		sa.Proposals = append(sa.Proposals, d.proposalV2(b[off:off+length], base+off))
		off += length
		if last {
			break
		}
	}
	if off < len(b) {
		d.errorf(base+off, PayloadV2SA, "%d bytes after the last proposal", len(b)-off)
	}
	return sa
}

func (d *decoder) proposalV2(b []byte, base int) Proposal {
	p := Proposal{Number: b[4], Protocol: ProtocolID(b[5])}
	spiSize, count := int(b[6]), int(b[7])
	off := 8
	if off+spiSize > len(b) {
		d.errorf(base+6, PayloadV2SA, "proposal SPI size %d exceeds the proposal", spiSize)
		return p
	}
	p.SPI = b[off : off+spiSize]
	off += spiSize
	for i := 0; off < len(b); i++ {
		if i == maxTransforms {
			d.errorf(base+off, PayloadV2SA, "more than %d transforms: rest ignored", maxTransforms)
			return p
		}
		if len(b)-off < 8 {
			d.errorf(base+off, PayloadV2SA, "transform header needs 8 bytes, have %d", len(b)-off)
			return p
		}
		last := b[off] == 0
		length := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if length < 8 || off+length > len(b) {
			d.errorf(base+off, PayloadV2SA, "transform length %d does not fit in %d remaining bytes", length, len(b)-off)
			return p
		}
		t := Transform{Version: 2, Protocol: p.Protocol, Type: b[off+4], ID: binary.BigEndian.Uint16(b[off+6 : off+8])}
		t.Attributes = d.attributes(b[off+8:off+length], base+off+8, PayloadV2SA, SpaceV2Transform)
		p.Transforms = append(p.Transforms, t)
		off += length
		if last {
			break
		}
	}
	if off < len(b) {
		d.errorf(base+off, PayloadV2SA, "%d bytes after the last transform", len(b)-off)
	}
	if len(p.Transforms) != count {
		d.errorf(base+7, PayloadV2SA, "proposal announces %d transforms, %d present", count, len(p.Transforms))
	}
	return p
}

// attributes decodes ISAKMP data attributes (RFC 2408 §3.3): the AF bit
// selects TV (2-byte value) or TLV.
func (d *decoder) attributes(b []byte, base int, t PayloadType, space AttributeSpace) []Attribute {
	var out []Attribute
	off := 0
	for off < len(b) {
		if len(out) == maxAttributes {
			d.errorf(base+off, t, "more than %d attributes: rest ignored", maxAttributes)
			break
		}
		if len(b)-off < 4 {
			d.errorf(base+off, t, "attribute needs 4 bytes, have %d", len(b)-off)
			break
		}
		typ := binary.BigEndian.Uint16(b[off : off+2])
		a := Attribute{Space: space, Type: typ & 0x7fff}
		if typ&0x8000 != 0 {
			a.Short = true
			a.Value = uint64(binary.BigEndian.Uint16(b[off+2 : off+4]))
			a.Data = b[off+2 : off+4]
			off += 4
		} else {
			n := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
			if off+4+n > len(b) {
				d.errorf(base+off, t, "attribute %d value length %d runs past the end", a.Type, n)
				break
			}
			a.Data = b[off+4 : off+4+n]
			a.Value = beUint(a.Data)
			off += 4 + n
		}
		out = append(out, a)
	}
	return out
}

// configAttributesV2 decodes IKEv2 CP attributes: R bit, 15-bit type,
// 2-byte length, value (RFC 7296 §3.15.1). They are never in TV form.
func (d *decoder) configAttributesV2(b []byte, base int) []Attribute {
	var out []Attribute
	off := 0
	for off < len(b) {
		if len(out) == maxAttributes {
			d.errorf(base+off, PayloadV2CP, "more than %d attributes: rest ignored", maxAttributes)
			break
		}
		if len(b)-off < 4 {
			d.errorf(base+off, PayloadV2CP, "attribute needs 4 bytes, have %d", len(b)-off)
			break
		}
		a := Attribute{Space: SpaceV2Config, Type: binary.BigEndian.Uint16(b[off:off+2]) & 0x7fff}
		n := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		if off+4+n > len(b) {
			d.errorf(base+off, PayloadV2CP, "attribute %d value length %d runs past the end", a.Type, n)
			break
		}
		a.Data = b[off+4 : off+4+n]
		a.Value = beUint(a.Data)
		out = append(out, a)
		off += 4 + n
	}
	return out
}

// beUint reads up to 8 big-endian bytes as a number (0 for longer values).
func beUint(b []byte) uint64 {
	if len(b) > 8 {
		return 0
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}
