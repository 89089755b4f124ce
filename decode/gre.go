package decode

import (
	"encoding/binary"

	"github.com/google/gopacket/layers"
)

// GRE and ERSPAN: a switch's remote mirror (ERSPAN, or a plain GRE tunnel
// to the analyser) wraps the mirrored frame; the IPsec inside is what is
// analysed, with the inner addresses.

// protoGRE is the IP protocol number of GRE (RFC 2784).
const protoGRE = 47

// GRE protocol types handled.
const (
	greIPv4      = 0x0800
	greIPv6      = 0x86dd
	greTEB       = 0x6558 // transparent Ethernet bridging
	greERSPAN2   = 0x88be // ERSPAN type II (type I without the sequence number)
	greERSPAN3   = 0x22eb // ERSPAN type III
	maxGREDepth  = 4      // GRE in GRE in ... beyond this is hostile
	erspan2Len   = 8
	erspan3Len   = 12
	erspan3PlatL = 8 // the optional platform-specific subheader
)

// GRE header flag bits (RFC 2784, RFC 2890; routing from RFC 1701).
const (
	greFlagC       = 0x8000 // checksum and reserved1 present
	greFlagR       = 0x4000 // routing present (RFC 1701)
	greFlagK       = 0x2000 // key present
	greFlagS       = 0x1000 // sequence number present
	greVersionMask = 0x0007
)

// gre strips a GRE header (and an ERSPAN header) and decodes what it
// carries. dg.off is the GRE header's offset in the frame.
func (d *Decoder) gre(f *frame, dg *datagram) (*Packet, error) {
	if dg.off < 0 {
		return nil, nil // a reassembled GRE datagram: offsets are lost, not decoded
	}
	if f.greDepth >= maxGREDepth {
		return nil, offsetErr(dg.off, "more than %d nested GRE headers", maxGREDepth)
	}
	f.greDepth++
	b, off := dg.payload, dg.off
	if len(b) < 4 {
		return nil, offsetErr(off, "GRE header needs 4 bytes, have %d", len(b))
	}
	flags := binary.BigEndian.Uint16(b[0:2])
	proto := binary.BigEndian.Uint16(b[2:4])
	if flags&greVersionMask != 0 || flags&greFlagR != 0 {
		return nil, nil // enhanced GRE (PPTP) or RFC 1701 source routing: not a mirror
	}
	hl := 4
	if flags&greFlagC != 0 {
		hl += 4
	}
	if flags&greFlagK != 0 {
		hl += 4
	}
	if flags&greFlagS != 0 {
		hl += 4
	}
	if hl > len(b) {
		return nil, offsetErr(off, "GRE header of %d bytes (flags %#04x) does not fit in %d bytes", hl, flags, len(b))
	}
	b, off = b[hl:], off+hl
	switch proto {
	case greIPv4:
		return d.ipv4(f, b, off)
	case greIPv6:
		return d.ipv6(f, b, off)
	case greTEB:
		return d.greEthernet(f, b, off)
	case greERSPAN2:
		if flags&greFlagS == 0 {
			return d.greEthernet(f, b, off) // type I: no ERSPAN header
		}
		if len(b) < erspan2Len {
			return nil, offsetErr(off, "ERSPAN type II header needs %d bytes, have %d", erspan2Len, len(b))
		}
		return d.greEthernet(f, b[erspan2Len:], off+erspan2Len)
	case greERSPAN3:
		if len(b) < erspan3Len {
			return nil, offsetErr(off, "ERSPAN type III header needs %d bytes, have %d", erspan3Len, len(b))
		}
		l := erspan3Len
		if b[11]&1 != 0 { // O: the platform-specific subheader follows
			l += erspan3PlatL
			if len(b) < l {
				return nil, offsetErr(off, "ERSPAN type III header with platform subheader needs %d bytes, have %d", l, len(b))
			}
		}
		ft := b[10] >> 2 & 0x1f // frame type: 0 Ethernet, 2 IP
		switch ft {
		case 0:
			return d.greEthernet(f, b[l:], off+l)
		case 2:
			return d.rawIP(f, b[l:], off+l)
		}
		return nil, nil
	}
	return nil, nil
}

// greEthernet decodes a mirrored Ethernet frame (VLAN tags included).
func (d *Decoder) greEthernet(f *frame, b []byte, off int) (*Packet, error) {
	if len(b) < 14 {
		return nil, offsetErr(off, "mirrored Ethernet header needs 14 bytes, have %d", len(b))
	}
	return d.etherType(f, layers.EthernetType(binary.BigEndian.Uint16(b[12:14])), b[14:], off+14)
}
