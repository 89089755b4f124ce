// Package decode turns captured frames into IPsec packets: it walks the link
// layer (Ethernet with 802.1Q/QinQ tags, Linux cooked SLL/SLL2, raw IP, BSD
// loopback), IPv4 and IPv6 (extension headers, fragment reassembly), UDP and
// ICMP, and hands IKE to package isakmp and ESP to package esp.
//
// It owns the step from bytes to a Packet: which frames are IPsec, where the
// IKE or ESP bytes are, and what went wrong at which byte offset. It keeps only
// the state reassembly needs, bounded, and never prints.
package decode

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode/esp"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Kind is what an IPsec packet carries.
type Kind uint8

// Packet kinds.
const (
	KindIKE          Kind = iota + 1 // an ISAKMP message on an IKE or NAT-T port
	KindESP                          // ESP, raw (IP protocol 50) or UDP-encapsulated
	KindNATKeepalive                 // the one-byte 0xFF NAT-T keepalive
	KindICMPError                    // an ICMP error quoting an IKE or ESP packet
)

func (k Kind) String() string {
	switch k {
	case KindIKE:
		return "IKE"
	case KindESP:
		return "ESP"
	case KindNATKeepalive:
		return "NAT-keepalive"
	case KindICMPError:
		return "ICMP"
	}
	return "?"
}

// Packet is one IPsec packet found in a frame.
type Packet struct {
	Frame int
	Time  time.Time
	Kind  Kind
	// Src and Dst are the addresses and UDP ports (port 0 for raw ESP).
	Src, Dst netip.AddrPort
	// UDPEncapsulated is set for ESP in UDP and IKE behind the non-ESP
	// marker (NAT-T, RFC 3948).
	UDPEncapsulated bool
	// IKE is the decoded message for KindIKE (and the quoted one, if any,
	// inside ICMP).
	IKE *isakmp.Message
	// ESP is the header for KindESP.
	ESP esp.Header
	// ICMP describes the error for KindICMPError.
	ICMP *ICMPError
	// Fragments lists the frames of an IP datagram reassembled from
	// fragments, this frame last; nil for an unfragmented datagram.
	Fragments []int
	// Reassembled is the reassembled datagram's transport payload (UDP
	// header included) when Fragments is set: the bytes a reassembled ESP
	// packet is read from, since it lies in no single frame.
	Reassembled []byte
	// Truncated is set when the frame was cut short by the capture's
	// snaplen before the end of the IKE message or ESP packet.
	Truncated bool
	// Length is the IP payload length on the wire (UDP header included).
	Length int
	// PayloadOffset is the offset in the frame of the IKE message or ESP
	// header, or -1 when the datagram was reassembled from fragments.
	PayloadOffset int
	// Problems are malformations found in this packet, with offsets.
	Problems []Problem
	// Decrypted is what decryption with the user's keys revealed, or nil
	// (no keys, or not encrypted). Set by package decrypt, not by Decode.
	Decrypted *Decrypted
}

// Decrypted is the decrypted content of an IKE message or ESP packet.
type Decrypted struct {
	// OK is set when decryption (and the integrity check, where there is
	// one) succeeded; otherwise Reason says why not, never with key bytes.
	OK     bool
	Reason string
	// IKE: the inner payloads (decoded by isakmp.DecodeChain) and any
	// malformations in them, offsets relative to the plaintext.
	Payloads []isakmp.Payload
	Errors   []*isakmp.Error
	// ESP: the inner packet's addresses, protocol and ports.
	Inner *InnerPacket
}

// InnerPacket is the packet an ESP packet carried.
type InnerPacket struct {
	Src, Dst   netip.Addr
	Protocol   uint8
	SrcPort    uint16
	DstPort    uint16
	Length     int
	NextHeader uint8 // the ESP trailer's next header (4 IPv4, 41 IPv6 in tunnel mode, 108 IPComp)
	// IPComp is the IPComp header between ESP and the packet it
	// compressed (next header 108), nil without.
	IPComp *IPComp
}

// IPComp is an IPComp header (RFC 3173 §2.2) and what became of the
// payload it compressed.
type IPComp struct {
	CPI uint16
	// Algorithm is "DEFLATE", "LZS", "LZJH" or "OUI": from a well-known
	// CPI (1–4), or "DEFLATE" when a negotiated CPI's payload inflated;
	// "" when not known.
	Algorithm string
	// Compressed is the length of the compressed payload. Inflated is set
	// when it was decompressed (DEFLATE, RFC 2394): the inner packet's
	// fields describe what it held, Length its inflated length.
	Compressed int
	Inflated   bool
}

// Problem is a malformation at a byte offset of the frame. For reassembled
// datagrams the offset is in the reassembled IP payload (InReassembled).
type Problem struct {
	Offset        int
	InReassembled bool
	Reason        string
}

// String is the problem as a run reports it after the frame: "byte offset
// 42: …" or "reassembled datagram offset 1480: …".
func (p Problem) String() string {
	where := "byte offset"
	if p.InReassembled {
		where = "reassembled datagram offset"
	}
	return fmt.Sprintf("%s %d: %s", where, p.Offset, p.Reason)
}

// ICMPError is an ICMP or ICMPv6 error that quotes an IKE or ESP packet: a
// "port unreachable" from a gateway whose IKE daemon is not running is evidence.
type ICMPError struct {
	V6   bool
	Type uint8
	Code uint8
	// Quoted is the packet the error refers to, as far as it was quoted:
	// its addresses and ports, and the IKE header or ESP SPI.
	Quoted *Packet
}

// Description names the ICMP type and code, e.g. "port unreachable".
func (e *ICMPError) Description() string { return icmpDescription(e.V6, e.Type, e.Code) }

// FrameBits is how many low bits of a frame ID hold the frame number. A run
// over several captures numbers the frames of capture k (1-based) as
// k<<FrameBits | n, so one int names a frame in any of them; a run over one
// capture keeps the plain frame numbers (k = 0).
const FrameBits = 40

// FrameID is frame n of capture k (0: the only capture).
func FrameID(k, n int) int { return k<<FrameBits | n }

// SplitFrame undoes FrameID.
func SplitFrame(id int) (k, n int) { return id >> FrameBits, id & (1<<FrameBits - 1) }

// FrameLabel writes a frame ID as people read it: "12" for the only
// capture, "2:12" for frame 12 of the second capture.
func FrameLabel(id int) string {
	k, n := SplitFrame(id)
	if k == 0 {
		return strconv.Itoa(n)
	}
	return strconv.Itoa(k) + ":" + strconv.Itoa(n)
}
