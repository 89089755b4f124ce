package decode

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/google/gopacket/layers"
	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode/esp"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Default ports (RFC 2409, RFC 3948). Vendors sometimes move them; Config
// takes others.
const (
	DefaultIKEPort  = 500
	DefaultNATTPort = 4500
)

// maxVLANTags bounds the VLAN tag stack (QinQ has two; more is hostile).
const maxVLANTags = 8

// Config chooses the UDP ports treated as IKE and as NAT-T.
type Config struct {
	IKEPorts  []uint16
	NATTPorts []uint16
}

// Stats counts what the decoder saw.
type Stats struct {
	Frames        int
	IKE           int
	ESP           int
	NATKeepalives int
	ICMPErrors    int
	NotIPsec      int // frames with no IKE/ESP in them
	LinkErrors    int // frames whose link or IP layer could not be read
	Fragments     int // IP fragments of UDP/ESP datagrams
	Reassembled   int // datagrams completed from fragments
}

// Decoder decodes frames one at a time; it keeps reassembly state between
// frames and is not safe for concurrent use.
type Decoder struct {
	ikePorts  *[1 << 16]bool // indexed by UDP port: a lookup costs no hashing
	nattPorts *[1 << 16]bool
	frags     *reassembler
	stats     Stats
	traffic   map[trafficKey]int // frames without IPsec, by what they carried (traffic.go)

	// reuse: ESP and NAT-keepalive packets are built in spare, not on the
	// heap (see ReusePackets).
	reuse bool
	spare Packet
	// walkOnly makes Decode take the general walk for plain ESP too: the
	// reference the tests hold plainESP to.
	walkOnly bool

	// Preallocated gopacket layers, reused for every frame.
	eth   layers.Ethernet
	dot1q layers.Dot1Q
	loop  layers.Loopback
	ip6   layers.IPv6
	udp   layers.UDP
	trunc truncFeedback
	cur   frame // the frame being decoded, kept here so it costs no allocation
}

// NewDecoder returns a decoder; a zero Config means the default ports.
func NewDecoder(cfg Config) *Decoder {
	d := &Decoder{ikePorts: new([1 << 16]bool), nattPorts: new([1 << 16]bool), frags: newReassembler()}
	if len(cfg.IKEPorts) == 0 {
		cfg.IKEPorts = []uint16{DefaultIKEPort}
	}
	if len(cfg.NATTPorts) == 0 {
		cfg.NATTPorts = []uint16{DefaultNATTPort}
	}
	for _, p := range cfg.IKEPorts {
		d.ikePorts[p] = true
	}
	for _, p := range cfg.NATTPorts {
		d.nattPorts[p] = true
	}
	return d
}

// ReusePackets, when on, makes Decode return the same Packet, owned by the
// decoder, for every ESP and NAT-keepalive frame: it is overwritten by the
// next call to Decode. This is for callers that keep nothing of a packet
// but copies (correlate.Correlator.Add promises that), and saves a heap
// allocation on nearly every frame of a busy tunnel. IKE and ICMP packets
// are always new.
func (d *Decoder) ReusePackets(on bool) { d.reuse = on }

// Stats returns the counters so far.
func (d *Decoder) Stats() Stats { return d.stats }

// Fragmented reports whether the frame Decode took last was an IP fragment
// of a UDP or ESP datagram: held for reassembly, or completing one.
func (d *Decoder) Fragmented() bool { return d.cur.fragment }

// PendingFragments is the number of IP datagrams still waiting for fragments.
func (d *Decoder) PendingFragments() int { return d.frags.pending() }

// frame is the per-frame context of one Decode call.
type frame struct {
	rec       *capture.Record
	truncated bool       // the record is shorter than the frame on the wire
	fragment  bool       // an IP fragment of a UDP/ESP datagram, held for reassembly
	greDepth  int        // GRE headers stripped so far (gre.go)
	carried   trafficKey // what the frame carried, as deep as it was read (traffic.go)
}

// Decode decodes one capture record. It returns nil when the frame holds no
// IPsec packet; the error is for a frame whose link or IP layer is malformed
// (the frame is then counted and skipped).
func (d *Decoder) Decode(rec *capture.Record) (*Packet, error) {
	d.stats.Frames++
	d.cur = frame{rec: rec, truncated: rec.OrigLen > len(rec.Data)}
	f := &d.cur
	var pe plain
	if !d.walkOnly && d.plainESP(rec.LinkType, rec.Data, &pe) {
		// Nearly every frame of a busy capture: read by hand, then
		// made a packet as the walk below would make it.
		d.stats.ESP++
		return d.espPacket(f, &pe.dg, pe.src, pe.dst, pe.dg.payload, pe.dg.off, pe.encap), nil
	}
	p, err := d.link(f, rec.LinkType, rec.Data)
	switch {
	case err != nil:
		d.stats.LinkErrors++
	case p == nil && !f.fragment:
		d.stats.NotIPsec++
		d.tally(f.carried)
	case p == nil:
	default:
		switch p.Kind {
		case KindIKE:
			d.stats.IKE++
		case KindESP:
			d.stats.ESP++
		case KindNATKeepalive:
			d.stats.NATKeepalives++
		case KindICMPError:
			d.stats.ICMPErrors++
		}
	}
	return p, err
}

// link strips the link layer and continues with the network layer.
func (d *Decoder) link(f *frame, lt capture.LinkType, b []byte) (*Packet, error) {
	switch lt {
	case capture.LinkTypeEthernet:
		if err := d.eth.DecodeFromBytes(b, &d.trunc); err != nil {
			return nil, offsetErr(0, "Ethernet: %v", err)
		}
		return d.etherType(f, d.eth.EthernetType, d.eth.Payload, 14)
	case capture.LinkTypeLinuxSLL:
		// Parsed here: gopacket v1.1.19's LinuxSLL slices by an unchecked
		// address length. The protocol is at bytes 14-15.
		if len(b) < 16 {
			return nil, offsetErr(0, "Linux SLL header needs 16 bytes, have %d", len(b))
		}
		return d.etherType(f, layers.EthernetType(binary.BigEndian.Uint16(b[14:16])), b[16:], 16)
	case capture.LinkTypeLinuxSLL2:
		// SLL2 (tcpdump -i any since libpcap 1.10); not in gopacket v1.1.19.
		if len(b) < 20 {
			return nil, offsetErr(0, "Linux SLL2 header needs 20 bytes, have %d", len(b))
		}
		return d.etherType(f, layers.EthernetType(binary.BigEndian.Uint16(b[0:2])), b[20:], 20)
	case capture.LinkTypeNull, capture.LinkTypeLoop:
		if err := d.loop.DecodeFromBytes(b, &d.trunc); err != nil {
			return nil, offsetErr(0, "loopback: %v", err)
		}
		switch d.loop.Family {
		case layers.ProtocolFamilyIPv4:
			return d.ipv4(f, b[4:], 4)
		case layers.ProtocolFamilyIPv6BSD, layers.ProtocolFamilyIPv6FreeBSD, layers.ProtocolFamilyIPv6Darwin, layers.ProtocolFamilyIPv6Linux:
			return d.ipv6(f, b[4:], 4)
		}
		return nil, nil
	case capture.LinkTypeRaw, capture.LinkTypeIPv4, capture.LinkTypeIPv6, capture.LinkTypeRawAlt1, capture.LinkTypeRawAlt2:
		return d.rawIP(f, b, 0)
	}
	return nil, offsetErr(0, "link type %d is not supported", int(lt))
}

func (d *Decoder) rawIP(f *frame, b []byte, off int) (*Packet, error) {
	if len(b) == 0 {
		return nil, offsetErr(off, "empty IP packet")
	}
	switch b[0] >> 4 {
	case 4:
		return d.ipv4(f, b, off)
	case 6:
		return d.ipv6(f, b, off)
	}
	return nil, offsetErr(off, "IP version %d", b[0]>>4)
}

// etherType continues after an Ethernet-style protocol field, peeling
// 802.1Q, 802.1ad and the old QinQ 0x9100 tags.
func (d *Decoder) etherType(f *frame, et layers.EthernetType, b []byte, off int) (*Packet, error) {
	for tags := 0; ; tags++ {
		switch et {
		case layers.EthernetTypeIPv4:
			return d.ipv4(f, b, off)
		case layers.EthernetTypeIPv6:
			return d.ipv6(f, b, off)
		case layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ, 0x9100:
			if tags == maxVLANTags {
				return nil, offsetErr(off, "more than %d VLAN tags", maxVLANTags)
			}
			if err := d.dot1q.DecodeFromBytes(b, &d.trunc); err != nil {
				return nil, offsetErr(off, "802.1Q: %v", err)
			}
			et, b, off = d.dot1q.Type, b[4:], off+4
		default:
			f.carried = traffic(layerEther, int(et))
			return nil, nil
		}
	}
}

// IP protocol numbers handled here.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoESP    = 50
	protoAH     = 51
	protoICMPv6 = 58
)

// datagram is an IP packet's transport payload with its addresses.
type datagram struct {
	src, dst  netip.Addr
	proto     uint8
	payload   []byte
	off       int // offset of payload in the frame, -1 when reassembled
	wireLen   int // payload length per the IP header
	fragments []int
}

// ipv4 reads the IPv4 header by hand: gopacket's IPv4 layer rejects a whole
// packet over one malformed option (tcpdump and tshark still find the
// payload from the header length) and allocates per packet for options.
func (d *Decoder) ipv4(f *frame, b []byte, off int) (*Packet, error) {
	if len(b) < 20 {
		return nil, offsetErr(off, "IPv4 header needs 20 bytes, have %d", len(b))
	}
	hl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	switch {
	case hl < 20:
		return nil, offsetErr(off, "IPv4 header length %d is below 20", hl)
	case hl > len(b):
		return nil, offsetErr(off, "IPv4 header length %d exceeds the %d bytes captured", hl, len(b))
	case total == 0:
		total = len(b) // TSO: the length is left to the NIC
	case total < hl:
		return nil, offsetErr(off+2, "IPv4 total length %d is below the header length %d", total, hl)
	}
	payload := b[hl:]
	if total < len(b) {
		payload = b[hl:total] // Ethernet padding
	}
	flagsFrag := binary.BigEndian.Uint16(b[6:8])
	more, fragOff := flagsFrag&0x2000 != 0, int(flagsFrag&0x1fff)*8
	dg := datagram{
		src:     netip.AddrFrom4([4]byte(b[12:16])),
		dst:     netip.AddrFrom4([4]byte(b[16:20])),
		proto:   b[9],
		payload: payload,
		off:     off + hl,
		wireLen: total - hl,
	}
	if more || fragOff != 0 {
		if dg.proto != protoUDP && dg.proto != protoESP {
			return nil, nil
		}
		d.stats.Fragments++
		f.fragment = true
		if f.truncated {
			// Cut by the snaplen: the fragment cannot be reassembled, but
			// a first fragment still shows the start of the datagram.
			if fragOff != 0 {
				return nil, nil
			}
			return d.transport(f, &dg)
		}
		key := fragKey{src: dg.src, dst: dg.dst, id: uint32(binary.BigEndian.Uint16(b[4:6])), proto: dg.proto}
		whole, frames, err := d.frags.add(key, f.rec, fragOff, more, payload)
		if err != nil {
			return nil, offsetErr(off, "IPv4 fragment: %v", err)
		}
		if whole == nil {
			return nil, nil
		}
		d.stats.Reassembled++
		dg.payload, dg.off, dg.wireLen, dg.fragments = whole, -1, len(whole), frames
	}
	return d.transport(f, &dg)
}

// IPv6 extension headers walked to find the transport (RFC 8200 §4).
const (
	ext6HopByHop = 0
	ext6Routing  = 43
	ext6Fragment = 44
	ext6DestOpts = 60
	ext6Mobility = 135
	maxExtHdrs   = 16
)

func (d *Decoder) ipv6(f *frame, b []byte, off int) (*Packet, error) {
	if err := d.ip6.DecodeFromBytes(b, &d.trunc); err != nil {
		return nil, offsetErr(off, "IPv6: %v", err)
	}
	if len(b) < 40 {
		return nil, offsetErr(off, "IPv6 header needs 40 bytes, have %d", len(b))
	}
	ip := &d.ip6
	dg := datagram{
		src:     netip.AddrFrom16([16]byte(ip.SrcIP)),
		dst:     netip.AddrFrom16([16]byte(ip.DstIP)),
		proto:   uint8(ip.NextHeader),
		wireLen: int(ip.Length),
	}
	payload := b[40:]
	if int(ip.Length) < len(payload) && ip.Length != 0 {
		payload = payload[:ip.Length]
	}
	pos := off + 40
	for n := 0; ; n++ {
		if n == maxExtHdrs {
			return nil, offsetErr(pos, "more than %d IPv6 extension headers", maxExtHdrs)
		}
		switch dg.proto {
		case ext6HopByHop, ext6Routing, ext6DestOpts, ext6Mobility:
			if len(payload) < 8 {
				return nil, offsetErr(pos, "IPv6 extension header %d needs 8 bytes, have %d", dg.proto, len(payload))
			}
			l := (int(payload[1]) + 1) * 8
			if l > len(payload) {
				return nil, offsetErr(pos, "IPv6 extension header %d length %d runs past the packet", dg.proto, l)
			}
			dg.proto, payload, pos, dg.wireLen = payload[0], payload[l:], pos+l, dg.wireLen-l
			continue
		case ext6Fragment:
			if len(payload) < 8 {
				return nil, offsetErr(pos, "IPv6 fragment header needs 8 bytes, have %d", len(payload))
			}
			next := payload[0]
			offMF := binary.BigEndian.Uint16(payload[2:4])
			id := binary.BigEndian.Uint32(payload[4:8])
			fragOff, more := int(offMF&0xfff8), offMF&1 != 0
			body := payload[8:]
			if fragOff == 0 && !more {
				// An atomic fragment (RFC 6946): nothing to reassemble.
				dg.proto, payload, pos, dg.wireLen = next, body, pos+8, dg.wireLen-8
				continue
			}
			if next != protoUDP && next != protoESP {
				return nil, nil
			}
			d.stats.Fragments++
			f.fragment = true
			if f.truncated {
				if fragOff != 0 {
					return nil, nil
				}
				dg.proto, dg.payload, dg.off, dg.wireLen = next, body, pos+8, dg.wireLen-8
				return d.transport(f, &dg)
			}
			key := fragKey{src: dg.src, dst: dg.dst, id: id, proto: next, v6: true}
			whole, frames, err := d.frags.add(key, f.rec, fragOff, more, body)
			if err != nil {
				return nil, offsetErr(pos, "IPv6 fragment: %v", err)
			}
			if whole == nil {
				return nil, nil
			}
			d.stats.Reassembled++
			dg.proto, dg.payload, dg.off, dg.wireLen, dg.fragments = next, whole, -1, len(whole), frames
			return d.transport(f, &dg)
		}
		break
	}
	dg.payload, dg.off = payload, pos
	return d.transport(f, &dg)
}

// transport dispatches on the IP protocol.
func (d *Decoder) transport(f *frame, dg *datagram) (*Packet, error) {
	for range 4 { // AH in front of ESP or UDP, at most a few deep
		if dg.proto != protoAH {
			break
		}
		f.carried = traffic(layerIP, protoAH) // IPsec, whatever it protects
		b := dg.payload
		if len(b) < 12 {
			return nil, offsetErr(dg.off, "AH header needs 12 bytes, have %d", len(b))
		}
		l := (int(b[1]) + 2) * 4
		if l > len(b) || l < 12 {
			return nil, offsetErr(dg.off, "AH length %d does not fit in %d bytes", l, len(b))
		}
		dg.proto, dg.payload, dg.wireLen = b[0], b[l:], dg.wireLen-l
		if dg.off >= 0 {
			dg.off += l
		}
	}
	switch dg.proto {
	case protoESP:
		return d.espPacket(f, dg, netip.AddrPortFrom(dg.src, 0), netip.AddrPortFrom(dg.dst, 0), dg.payload, dg.off, false), nil
	case protoUDP:
		return d.udpPacket(f, dg)
	case protoICMP, protoICMPv6, protoGRE:
		var p *Packet
		var err error
		if dg.proto == protoGRE { // called directly: through a func value, dg would escape
			p, err = d.gre(f, dg)
		} else {
			p, err = d.icmp(f, dg)
		}
		if p == nil && err == nil && f.carried == 0 {
			// An ICMP message about no IPsec; a GRE tunnel that carried
			// none (what it carried, when it was read, is noted deeper).
			f.carried = traffic(layerIP, int(dg.proto))
		}
		return p, err
	}
	if f.carried == traffic(layerIP, protoAH) {
		return nil, nil // AH-protected traffic: counted as AH
	}
	if b := dg.payload; dg.proto == protoTCP && len(b) >= 4 {
		f.carried = traffic(layerTCP, int(min(binary.BigEndian.Uint16(b), binary.BigEndian.Uint16(b[2:]))))
		return nil, nil
	}
	f.carried = traffic(layerIP, int(dg.proto))
	return nil, nil
}

func (d *Decoder) udpPacket(f *frame, dg *datagram) (*Packet, error) {
	if err := d.udp.DecodeFromBytes(dg.payload, &d.trunc); err != nil {
		return nil, offsetErr(dg.off, "UDP: %v", err)
	}
	sport, dport := uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
	src, dst := netip.AddrPortFrom(dg.src, sport), netip.AddrPortFrom(dg.dst, dport)
	payload := d.udp.Payload
	off := dg.off
	if off >= 0 {
		off += 8
	}
	switch {
	case d.nattPorts[sport] || d.nattPorts[dport]:
		switch esp.Classify(payload) {
		case esp.KindKeepalive:
			return d.newPacket(f, dg, KindNATKeepalive, src, dst, true, off), nil
		case esp.KindIKE:
			return d.ikePacket(f, dg, src, dst, payload[esp.NonESPMarkerLen:], addOff(off, esp.NonESPMarkerLen), true), nil
		case esp.KindESP:
			return d.espPacket(f, dg, src, dst, payload, off, true), nil
		}
		f.carried = traffic(layerUDP, int(min(sport, dport)))
		return nil, nil
	case d.ikePorts[sport] || d.ikePorts[dport]:
		return d.ikePacket(f, dg, src, dst, payload, off, false), nil
	}
	f.carried = traffic(layerUDP, int(min(sport, dport)))
	return nil, nil
}

func addOff(off, n int) int {
	if off < 0 {
		return off
	}
	return off + n
}

func (d *Decoder) newPacket(f *frame, dg *datagram, k Kind, src, dst netip.AddrPort, encap bool, off int) *Packet {
	if d.reuse && (k == KindESP || k == KindNATKeepalive) {
		return d.reusedPacket(f, dg, k, src, dst, encap, off)
	}
	p := &Packet{
		Frame:           f.rec.Frame,
		Time:            f.rec.Time,
		Kind:            k,
		Src:             src,
		Dst:             dst,
		UDPEncapsulated: encap,
		Fragments:       dg.fragments,
		Length:          dg.wireLen,
		PayloadOffset:   off,
	}
	if dg.fragments != nil && k == KindESP {
		p.Reassembled = dg.payload
	}
	return p
}

// reusedPacket is newPacket in the spare packet, set field by field:
// assigning it a whole new Packet (a few hundred bytes, with pointers the
// garbage collector must hear of) cost more than decoding the ESP header.
// TestReusedPacketIsFresh keeps it equal to newPacket's.
func (d *Decoder) reusedPacket(f *frame, dg *datagram, k Kind, src, dst netip.AddrPort, encap bool, off int) *Packet {
	p := &d.spare
	p.Frame, p.Time, p.Kind = f.rec.Frame, f.rec.Time, k
	p.Src, p.Dst, p.UDPEncapsulated = src, dst, encap
	p.ESP, p.Truncated, p.Length, p.PayloadOffset = esp.Header{}, false, dg.wireLen, off
	if p.Fragments != nil || dg.fragments != nil {
		p.Fragments = dg.fragments
	}
	if p.Reassembled != nil || dg.fragments != nil {
		p.Reassembled = nil
		if dg.fragments != nil && k == KindESP {
			p.Reassembled = dg.payload
		}
	}
	// Set only by the decoder for other kinds, or by the caller's hooks.
	if p.IKE != nil || p.ICMP != nil || p.Problems != nil || p.Decrypted != nil {
		p.IKE, p.ICMP, p.Problems, p.Decrypted = nil, nil, nil, nil
	}
	return p
}

// ikePacket decodes an ISAKMP message. The bytes are copied: the capture
// reader reuses its buffer, and IKE messages are few and worth keeping.
func (d *Decoder) ikePacket(f *frame, dg *datagram, src, dst netip.AddrPort, b []byte, off int, encap bool) *Packet {
	p := d.newPacket(f, dg, KindIKE, src, dst, encap, off)
	msg, err := isakmp.Decode(append([]byte(nil), b...))
	if err != nil {
		if f.truncated && dg.fragments == nil {
			p.Truncated = true
		}
		p.problem(off, 0, fmt.Sprintf("not an ISAKMP message: %v", err))
		// Keep what is known so the frame is still counted as IKE traffic.
		p.IKE = &isakmp.Message{Raw: append([]byte(nil), b...)}
		return p
	}
	p.IKE = msg
	if msg.Truncated {
		if f.truncated && dg.fragments == nil {
			p.Truncated = true
		} else {
			p.problem(off, 24, fmt.Sprintf("ISAKMP length %d exceeds the %d bytes of UDP payload", msg.Length, len(b)))
		}
	} else if int(msg.Length) < len(b) && msg.Length >= isakmp.HeaderLen {
		p.problem(off, int(msg.Length), fmt.Sprintf("%d bytes after the ISAKMP message (length %d)", len(b)-int(msg.Length), msg.Length))
	}
	for _, e := range msg.Errors {
		if e.Truncation && p.Truncated {
			continue // the snaplen, not the peer, cut it short
		}
		p.problem(off, e.Offset, e.Error())
	}
	return p
}

func (d *Decoder) espPacket(f *frame, dg *datagram, src, dst netip.AddrPort, b []byte, off int, encap bool) *Packet {
	p := d.newPacket(f, dg, KindESP, src, dst, encap, off)
	h, err := esp.Parse(b)
	p.ESP = h
	if err != nil {
		if len(b) < esp.HeaderLen && f.truncated {
			p.Truncated = true
		} else {
			p.problem(off, 0, err.Error())
		}
	}
	if f.truncated && dg.fragments == nil {
		p.Truncated = true
	}
	return p
}

func (p *Packet) problem(base, rel int, reason string) {
	if base < 0 {
		p.Problems = append(p.Problems, Problem{Offset: rel, InReassembled: true, Reason: reason})
		return
	}
	p.Problems = append(p.Problems, Problem{Offset: base + rel, Reason: reason})
}

// offsetError is a link/IP-layer error at a byte offset of the frame.
type offsetError struct {
	Offset int
	Reason string
}

func (e *offsetError) Error() string { return fmt.Sprintf("byte offset %d: %s", e.Offset, e.Reason) }

func offsetErr(off int, format string, args ...any) error {
	return &offsetError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// truncFeedback receives gopacket's truncation notices; the decoder learns
// truncation from the record lengths instead, so it only has to exist.
type truncFeedback struct{}

func (*truncFeedback) SetTruncated() {}

// Add adds another decoder's counts (a run over several captures).
func (s *Stats) Add(o Stats) {
	s.Frames += o.Frames
	s.IKE += o.IKE
	s.ESP += o.ESP
	s.NATKeepalives += o.NATKeepalives
	s.ICMPErrors += o.ICMPErrors
	s.NotIPsec += o.NotIPsec
	s.LinkErrors += o.LinkErrors
	s.Fragments += o.Fragments
	s.Reassembled += o.Reassembled
}
