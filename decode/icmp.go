package decode

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/ipsecpcap/ipsecpcap/decode/esp"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// ICMP errors carry the start of the packet that caused them (RFC 792,
// RFC 4443 §2.4). Only errors quoting IKE or ESP become packets.
func (d *Decoder) icmp(f *frame, dg *datagram) (*Packet, error) {
	b := dg.payload
	if len(b) < 8 {
		return nil, nil
	}
	v6 := dg.proto == protoICMPv6
	typ, code := b[0], b[1]
	if !isICMPError(v6, typ) {
		return nil, nil
	}
	quoted := d.quoted(f, b[8:], v6)
	if quoted == nil {
		return nil, nil
	}
	p := d.newPacket(f, dg, KindICMPError, netip.AddrPortFrom(dg.src, 0), netip.AddrPortFrom(dg.dst, 0), false, dg.off)
	p.ICMP = &ICMPError{V6: v6, Type: typ, Code: code, Quoted: quoted}
	return p, nil
}

func isICMPError(v6 bool, typ uint8) bool {
	if v6 {
		return typ >= 1 && typ <= 4
	}
	switch typ {
	case 3, 4, 5, 11, 12:
		return true
	}
	return false
}

// quoted decodes the IP header and the first transport bytes quoted in an
// ICMP error. It needs no reassembly and keeps no state.
func (d *Decoder) quoted(f *frame, b []byte, v6 bool) *Packet {
	var src, dst netip.Addr
	var proto uint8
	var rest []byte
	if !v6 {
		if len(b) < 20 || b[0]>>4 != 4 {
			return nil
		}
		hl := int(b[0]&0x0f) * 4
		if hl < 20 || hl > len(b) {
			return nil
		}
		src, dst = netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
		proto, rest = b[9], b[hl:]
		if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
			return nil // a non-first fragment has no transport header
		}
	} else {
		if len(b) < 40 || b[0]>>4 != 6 {
			return nil
		}
		src, dst = netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40]))
		proto, rest = b[6], b[40:]
	}
	q := &Packet{Frame: f.rec.Frame, Time: f.rec.Time, PayloadOffset: -1}
	switch proto {
	case protoESP:
		q.Kind, q.Src, q.Dst = KindESP, netip.AddrPortFrom(src, 0), netip.AddrPortFrom(dst, 0)
		var err error
		q.ESP, err = esp.Parse(rest)
		q.Truncated = err != nil
		return q
	case protoUDP:
		if len(rest) < 8 {
			return nil
		}
		sport, dport := binary.BigEndian.Uint16(rest[0:2]), binary.BigEndian.Uint16(rest[2:4])
		q.Src, q.Dst = netip.AddrPortFrom(src, sport), netip.AddrPortFrom(dst, dport)
		payload := rest[8:]
		switch {
		case d.nattPorts[sport] || d.nattPorts[dport]:
			q.UDPEncapsulated = true
			if len(payload) >= esp.NonESPMarkerLen && binary.BigEndian.Uint32(payload) == 0 {
				q.Kind = KindIKE
				d.quotedIKE(q, payload[esp.NonESPMarkerLen:])
			} else {
				q.Kind = KindESP
				var err error
				q.ESP, err = esp.Parse(payload)
				q.Truncated = err != nil
			}
		case d.ikePorts[sport] || d.ikePorts[dport]:
			q.Kind = KindIKE
			d.quotedIKE(q, payload)
		default:
			return nil
		}
		return q
	}
	return nil
}

func (d *Decoder) quotedIKE(q *Packet, b []byte) {
	msg, err := isakmp.Decode(append([]byte(nil), b...))
	if err != nil {
		q.Truncated = true
		return
	}
	q.IKE = msg
	q.Truncated = msg.Truncated
}

// icmpDescription names the common ICMP error types and codes.
func icmpDescription(v6 bool, typ, code uint8) string {
	if v6 {
		switch typ {
		case 1:
			switch code {
			case 0:
				return "no route to destination"
			case 1:
				return "administratively prohibited"
			case 3:
				return "address unreachable"
			case 4:
				return "port unreachable"
			}
			return fmt.Sprintf("destination unreachable (code %d)", code)
		case 2:
			return "packet too big"
		case 3:
			return "time exceeded"
		case 4:
			return "parameter problem"
		}
		return fmt.Sprintf("ICMPv6 type %d code %d", typ, code)
	}
	switch typ {
	case 3:
		switch code {
		case 0:
			return "network unreachable"
		case 1:
			return "host unreachable"
		case 3:
			return "port unreachable"
		case 4:
			return "fragmentation needed"
		case 9, 10, 13:
			return "administratively prohibited"
		}
		return fmt.Sprintf("destination unreachable (code %d)", code)
	case 4:
		return "source quench"
	case 5:
		return "redirect"
	case 11:
		return "time exceeded"
	case 12:
		return "parameter problem"
	}
	return fmt.Sprintf("ICMP type %d code %d", typ, code)
}
