package decode

import (
	"encoding/binary"
	"net/netip"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode/esp"
)

// ESPFields is what an ESP packet is to a flow's counters: its flow, its
// sequence number and its length on the wire.
type ESPFields struct {
	Src, Dst        netip.AddrPort // ports 0 for raw ESP
	UDPEncapsulated bool
	SPI, Seq        uint32
	Length          int // the IP payload's length on the wire, as Packet.Length
}

// QuickESP reads the frame b of link type lt when it is a plain ESP
// packet: Ethernet (802.1Q tags too), Linux cooked or raw IP; IPv4 without
// fragmentation or IPv6 without extension headers; raw ESP or ESP in UDP on
// a NAT-T port; a whole ESP header with an SPI other than 0. It fills out
// and counts the frame as Decode would, and reports true; for anything else
// it reports false, counts nothing, and the frame is Decode's to read.
//
// Nearly every byte of a capture is ESP, and the general walk (gopacket's
// layers, a Packet per frame) costs several times the read: reading a large
// file in ranges (package pipeline) takes this path first. What it returns
// is exactly what Decode gives for the same frame (FuzzQuickESP checks it).
func (d *Decoder) QuickESP(lt capture.LinkType, b []byte, out *ESPFields) bool {
	var et uint16
	switch lt {
	case capture.LinkTypeEthernet:
		if len(b) < 14 {
			return false
		}
		et, b = binary.BigEndian.Uint16(b[12:14]), b[14:]
	case capture.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return false
		}
		et, b = binary.BigEndian.Uint16(b[14:16]), b[16:]
	case capture.LinkTypeLinuxSLL2:
		if len(b) < 20 {
			return false
		}
		et, b = binary.BigEndian.Uint16(b[0:2]), b[20:]
	case capture.LinkTypeRaw, capture.LinkTypeIPv4, capture.LinkTypeIPv6, capture.LinkTypeRawAlt1, capture.LinkTypeRawAlt2:
		if len(b) == 0 {
			return false
		}
		switch b[0] >> 4 {
		case 4:
			et = uint16(0x0800)
		case 6:
			et = uint16(0x86dd)
		default:
			return false
		}
	default:
		return false
	}
	for tags := 0; et == 0x8100 || et == 0x88a8 || et == 0x9100; tags++ {
		if tags == maxVLANTags || len(b) < 4 {
			return false
		}
		et, b = binary.BigEndian.Uint16(b[2:4]), b[4:]
	}
	var src, dst netip.Addr
	var proto uint8
	var payload []byte
	var wireLen int
	switch et {
	case 0x0800:
		if len(b) < 20 {
			return false
		}
		hl := int(b[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(b[2:4]))
		if total == 0 {
			total = len(b)
		}
		if hl < 20 || hl > len(b) || total < hl || binary.BigEndian.Uint16(b[6:8])&0x3fff != 0 {
			return false // malformed, or a fragment: Decode reports or reassembles
		}
		src, dst = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
		proto, wireLen = b[9], total-hl
		payload = b[hl:min(total, len(b))]
	case 0x86dd:
		if len(b) < 40 {
			return false
		}
		length := int(binary.BigEndian.Uint16(b[4:6]))
		if length == 0 {
			return false
		}
		src, dst = netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
		proto, wireLen = b[6], length
		payload = b[40:min(40+length, len(b))]
	default:
		return false
	}
	var sport, dport uint16
	switch proto {
	case protoESP:
	case protoUDP:
		if len(payload) < 8 {
			return false
		}
		sport, dport = binary.BigEndian.Uint16(payload[0:2]), binary.BigEndian.Uint16(payload[2:4])
		if !d.nattPorts[sport] && !d.nattPorts[dport] {
			return false
		}
		switch ul := int(binary.BigEndian.Uint16(payload[4:6])); {
		case ul == 0:
			payload = payload[8:]
		case ul < 8:
			return false
		default:
			payload = payload[8:min(ul, len(payload))]
		}
		if len(payload) < esp.HeaderLen || binary.BigEndian.Uint32(payload) == 0 {
			return false // cut short, or IKE behind the non-ESP marker
		}
	default:
		return false
	}
	if len(payload) < esp.HeaderLen {
		return false
	}
	spi := binary.BigEndian.Uint32(payload[0:4])
	if spi == 0 {
		return false
	}
	*out = ESPFields{
		Src:             netip.AddrPortFrom(src, sport),
		Dst:             netip.AddrPortFrom(dst, dport),
		UDPEncapsulated: proto == protoUDP,
		SPI:             spi,
		Seq:             binary.BigEndian.Uint32(payload[4:8]),
		Length:          wireLen,
	}
	d.stats.Frames++
	d.stats.ESP++
	return true
}
