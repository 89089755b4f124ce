package decode

import (
	"encoding/binary"
	"net/netip"

	"github.com/google/gopacket/layers"
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
// packet (see plainESP). It fills out and counts the frame as Decode would,
// and reports true; for anything else it reports false, counts nothing,
// and the frame is Decode's to read.
//
// Nearly every byte of a capture is ESP: reading a large file in ranges
// (package pipeline), where a flow's counters need nothing more, takes this
// path first and builds no Packet. What it returns is exactly what Decode
// gives for the same frame (FuzzQuickESP checks it).
func (d *Decoder) QuickESP(lt capture.LinkType, b []byte, out *ESPFields) bool {
	var pe plain
	if !d.plainESP(lt, b, &pe) {
		return false
	}
	*out = ESPFields{
		Src:             pe.src,
		Dst:             pe.dst,
		UDPEncapsulated: pe.encap,
		SPI:             binary.BigEndian.Uint32(pe.dg.payload[0:4]),
		Seq:             binary.BigEndian.Uint32(pe.dg.payload[4:8]),
		Length:          pe.dg.wireLen,
	}
	d.stats.Frames++
	d.stats.ESP++
	return true
}

// plain is a plain ESP packet found by plainESP: its datagram (payload:
// the ESP header on), addresses with ports, and whether it came in UDP.
type plain struct {
	dg       datagram
	src, dst netip.AddrPort
	encap    bool
}

// plainESP finds the ESP packet in frame b of link type lt when it is
// plain: Ethernet (802.1Q tags too), Linux cooked or raw IP; IPv4 without
// fragmentation or IPv6 without extension headers; raw ESP or ESP in UDP on
// a NAT-T port; a whole ESP header with an SPI other than 0. It reads by
// hand, in a few dozen instructions, what the general walk (link, etherType,
// ipv4 or ipv6, transport, udpPacket) reads for such a frame, and gives up
// (false) on anything else, malformed or not, for that walk to read.
func (d *Decoder) plainESP(lt capture.LinkType, b []byte, out *plain) bool {
	var et layers.EthernetType
	off := 0
	switch lt {
	case capture.LinkTypeEthernet:
		if len(b) < 14 {
			return false
		}
		et, off = layers.EthernetType(binary.BigEndian.Uint16(b[12:14])), 14
	case capture.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return false
		}
		et, off = layers.EthernetType(binary.BigEndian.Uint16(b[14:16])), 16
	case capture.LinkTypeLinuxSLL2:
		if len(b) < 20 {
			return false
		}
		et, off = layers.EthernetType(binary.BigEndian.Uint16(b[0:2])), 20
	case capture.LinkTypeRaw, capture.LinkTypeIPv4, capture.LinkTypeIPv6, capture.LinkTypeRawAlt1, capture.LinkTypeRawAlt2:
		if len(b) == 0 {
			return false
		}
		switch b[0] >> 4 {
		case 4:
			et = layers.EthernetTypeIPv4
		case 6:
			et = layers.EthernetTypeIPv6
		default:
			return false
		}
	default:
		return false
	}
	// 802.1Q, 802.1ad and the old QinQ 0x9100, as etherType peels them.
	for tags := 0; et == layers.EthernetTypeDot1Q || et == layers.EthernetTypeQinQ || et == 0x9100; tags++ {
		if tags == maxVLANTags || len(b)-off < 4 {
			return false
		}
		et, off = layers.EthernetType(binary.BigEndian.Uint16(b[off+2:off+4])), off+4
	}
	ip := b[off:]
	dg := &out.dg
	switch et {
	case layers.EthernetTypeIPv4:
		if len(ip) < 20 {
			return false
		}
		hl := int(ip[0]&0x0f) * 4
		total := int(binary.BigEndian.Uint16(ip[2:4]))
		if total == 0 {
			total = len(ip) // TSO: the length is left to the NIC
		}
		if hl < 20 || hl > len(ip) || total < hl || binary.BigEndian.Uint16(ip[6:8])&0x3fff != 0 {
			return false // malformed, or a fragment: the walk reports or reassembles
		}
		*dg = datagram{src: netip.AddrFrom4([4]byte(ip[12:16])), dst: netip.AddrFrom4([4]byte(ip[16:20])), proto: ip[9],
			payload: ip[hl:min(total, len(ip))], off: off + hl, wireLen: total - hl}
	case layers.EthernetTypeIPv6:
		if len(ip) < 40 {
			return false
		}
		length := int(binary.BigEndian.Uint16(ip[4:6]))
		if length == 0 {
			return false
		}
		*dg = datagram{src: netip.AddrFrom16([16]byte(ip[8:24])), dst: netip.AddrFrom16([16]byte(ip[24:40])), proto: ip[6],
			payload: ip[40:min(40+length, len(ip))], off: off + 40, wireLen: length}
	default:
		return false
	}
	var sport, dport uint16
	switch dg.proto {
	case protoESP:
	case protoUDP:
		u := dg.payload
		if len(u) < 8 {
			return false
		}
		sport, dport = binary.BigEndian.Uint16(u[0:2]), binary.BigEndian.Uint16(u[2:4])
		if !d.nattPorts[sport] && !d.nattPorts[dport] {
			return false
		}
		switch ul := int(binary.BigEndian.Uint16(u[4:6])); {
		case ul == 0: // a jumbogram's: the rest of the datagram
			u = u[8:]
		case ul < 8:
			return false
		default:
			u = u[8:min(ul, len(u))]
		}
		if len(u) >= 4 && binary.BigEndian.Uint32(u) == 0 {
			return false // IKE behind the non-ESP marker
		}
		dg.payload, dg.off = u, dg.off+8
	default:
		return false
	}
	if len(dg.payload) < esp.HeaderLen || binary.BigEndian.Uint32(dg.payload) == 0 {
		return false // cut short or SPI 0: the walk reports it
	}
	out.src, out.dst = netip.AddrPortFrom(dg.src, sport), netip.AddrPortFrom(dg.dst, dport)
	out.encap = dg.proto == protoUDP
	return true
}
