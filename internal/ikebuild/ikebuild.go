// Package ikebuild builds decoded IKE and ESP packets for tests: the
// message sequences of a tunnel's life (rekeys, deletes, retries,
// redirects) written in a few lines, without a capture. The bytes are real
// ISAKMP headers and payload chains decoded by package isakmp; what
// decryption would reveal is given as decoded payloads.
package ikebuild

import (
	"encoding/binary"
	"net/netip"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/esp"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// T0 is when every built sequence starts.
var T0 = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// Peers of the built sequences (198.18.0.0/15, as the lab's).
var (
	I = netip.MustParseAddrPort("198.18.1.1:500")
	R = netip.MustParseAddrPort("198.18.1.2:500")
)

// Payload is one payload of a message in clear: its type and body.
type Payload struct {
	Type isakmp.PayloadType
	Body []byte
}

// Nonce is a nonce-like payload whose content makes a message distinct.
func Nonce(content byte) Payload {
	return Payload{isakmp.PayloadV2Nonce, []byte{content, content, content, content, content, content, content, content}}
}

// SK is an IKEv2 encrypted payload whose first inner payload is inner, of
// size bytes (IV, ciphertext and ICV); content makes it distinct.
func SK(inner isakmp.PayloadType, size int, content byte) Payload {
	b := make([]byte, size)
	for i := range b {
		b[i] = content
	}
	return Payload{Type: isakmp.PayloadV2SK, Body: append([]byte{byte(inner)}, b...)}
}

// Notify is an IKEv2 notify in clear.
func Notify(t isakmp.NotifyType, data []byte) Payload {
	b := []byte{0, 0, byte(t >> 8), byte(t)}
	return Payload{isakmp.PayloadV2Notify, append(b, data...)}
}

// Redirect is the data of a REDIRECT or REDIRECTED_FROM notify naming an
// IPv4 gateway.
func Redirect(gw netip.Addr) []byte {
	a := gw.As4()
	return append([]byte{1, 4}, a[:]...)
}

// Msg describes one IKE message.
type Msg struct {
	Frame    int
	At       time.Duration
	Src, Dst netip.AddrPort
	Version  int // 1 or 2 (0: 2)
	SPIi     uint64
	SPIr     uint64
	Exchange isakmp.ExchangeType
	Flags    isakmp.Flags
	MID      uint32
	Payloads []Payload
	// Decrypted, when set, is what decryption revealed.
	Decrypted []isakmp.Payload
}

// Packet builds the decoded packet of a message. An IKEv2 encrypted
// payload is written with its first inner payload type in its generic
// header, as on the wire.
func (m Msg) Packet() *decode.Packet {
	v := m.Version
	if v == 0 {
		v = 2
	}
	raw := make([]byte, 28)
	binary.BigEndian.PutUint64(raw[0:], m.SPIi)
	binary.BigEndian.PutUint64(raw[8:], m.SPIr)
	raw[17] = byte(v << 4)
	raw[18], raw[19] = byte(m.Exchange), byte(m.Flags)
	binary.BigEndian.PutUint32(raw[20:], m.MID)
	if len(m.Payloads) > 0 {
		raw[16] = byte(m.Payloads[0].Type)
	}
	for i, p := range m.Payloads {
		next, body := byte(0), p.Body
		if p.Type == isakmp.PayloadV2SK {
			next, body = body[0], body[1:]
		} else if i+1 < len(m.Payloads) {
			next = byte(m.Payloads[i+1].Type)
		}
		h := []byte{next, 0, 0, 0}
		binary.BigEndian.PutUint16(h[2:], uint16(4+len(body)))
		raw = append(append(raw, h...), body...)
	}
	binary.BigEndian.PutUint32(raw[24:], uint32(len(raw)))
	msg, err := isakmp.Decode(raw)
	if err != nil {
		panic(err)
	}
	p := &decode.Packet{Frame: m.Frame, Time: T0.Add(m.At), Kind: decode.KindIKE, Src: m.Src, Dst: m.Dst, IKE: msg, Length: len(raw) + 8}
	if m.Decrypted != nil {
		p.Decrypted = &decode.Decrypted{OK: true, Payloads: m.Decrypted}
	}
	return p
}

// ESP builds an ESP packet.
func ESP(frame int, at time.Duration, src, dst netip.AddrPort, spi, seq uint32) *decode.Packet {
	return &decode.Packet{Frame: frame, Time: T0.Add(at), Kind: decode.KindESP, Src: src, Dst: dst,
		ESP: esp.Header{SPI: spi, Seq: seq, PayloadLen: 100}, Length: 108}
}

// Decrypted payloads, as package decrypt would give them.

// DNotify is a decrypted notify; spi is its SPI (REKEY_SA's child SPI).
func DNotify(t isakmp.NotifyType, spi []byte) isakmp.Payload {
	return isakmp.Payload{Type: isakmp.PayloadV2Notify, Body: &isakmp.Notify{Version: 2, Protocol: isakmp.ProtocolESP, Type: t, SPI: spi}}
}

// DChildSA is a decrypted ESP proposal with the sender's SPI, the given
// transforms and, when dh is not 0, a key-exchange transform.
func DChildSA(spi uint32, dh uint16, transforms ...isakmp.Transform) isakmp.Payload {
	ts := append([]isakmp.Transform(nil), transforms...)
	if dh != 0 {
		ts = append(ts, isakmp.Transform{Version: 2, Type: 4, ID: dh})
	}
	b := binary.BigEndian.AppendUint32(nil, spi)
	return isakmp.Payload{Type: isakmp.PayloadV2SA, Body: &isakmp.SA{Proposals: []isakmp.Proposal{{Number: 1, Protocol: isakmp.ProtocolESP, SPI: b, Transforms: ts}}}}
}

// DIKESA is a decrypted IKE proposal with the sender's new IKE SPI (an
// IKE SA rekey).
func DIKESA(spi uint64) isakmp.Payload {
	b := binary.BigEndian.AppendUint64(nil, spi)
	return isakmp.Payload{Type: isakmp.PayloadV2SA, Body: &isakmp.SA{Proposals: []isakmp.Proposal{{Number: 1, Protocol: isakmp.ProtocolISAKMP, SPI: b,
		Transforms: []isakmp.Transform{{Version: 2, Type: 1, ID: 12}}}}}}
}

// DDelete is a decrypted delete of child SAs (ESP SPIs), or of the IKE SA
// when no SPI is given.
func DDelete(spis ...uint32) isakmp.Payload {
	d := &isakmp.Delete{Protocol: isakmp.ProtocolISAKMP}
	if len(spis) > 0 {
		d.Protocol, d.SPISize = isakmp.ProtocolESP, 4
		for _, s := range spis {
			d.SPIs = append(d.SPIs, binary.BigEndian.AppendUint32(nil, s))
		}
	}
	return isakmp.Payload{Type: isakmp.PayloadV2Delete, Body: d}
}

// AES is the ESP transform the built child SAs use.
var AES = isakmp.Transform{Version: 2, Type: 1, ID: 12}

// Seq writes a message sequence between I and R, frames numbered in order.
type Seq struct {
	frame int
	Pkts  []*decode.Packet
}

// Flags of IKEv2 messages: a request from the initiator, a response from
// the responder, a response from the initiator (to the responder's request).
const (
	FI  = isakmp.FlagInitiator
	FR  = isakmp.FlagResponse
	FIR = isakmp.FlagInitiator | isakmp.FlagResponse
)

// Sec is a time in seconds.
func Sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Msg adds an IKEv2 message of the SA (spiI, spiR) at time at (seconds),
// sent by the SA's initiator when flags carry the I flag.
func (s *Seq) Msg(at float64, spiI, spiR uint64, ex isakmp.ExchangeType, flags isakmp.Flags, mid uint32, pls []Payload, dec ...isakmp.Payload) {
	s.frame++
	src, dst := I, R
	if flags&isakmp.FlagInitiator == 0 {
		src, dst = R, I
	}
	m := Msg{Frame: s.frame, At: Sec(at), Src: src, Dst: dst, SPIi: spiI, SPIr: spiR, Exchange: ex, Flags: flags, MID: mid, Payloads: pls}
	if dec != nil {
		m.Decrypted = dec
	}
	s.Pkts = append(s.Pkts, m.Packet())
}

// ESP adds n ESP packets each way, one a second from at: on spiOut from
// the initiator, on spiIn from the responder.
func (s *Seq) ESP(at float64, n int, spiOut, spiIn uint32) {
	for i := range n {
		s.frame++
		s.Pkts = append(s.Pkts, ESP(s.frame, Sec(at+float64(i)), I, R, spiOut, uint32(i+1)))
		s.frame++
		s.Pkts = append(s.Pkts, ESP(s.frame, Sec(at+float64(i)+0.01), R, I, spiIn, uint32(i+1)))
	}
}

// Up negotiates an IKE SA and its first child SA (IKE_SA_INIT, IKE_AUTH);
// with dec, the keys show the child SA's SPIs (childIn the initiator's).
func (s *Seq) Up(at float64, spiI, spiR uint64, dec bool, childIn, childOut uint32) {
	s.Msg(at, spiI, 0, isakmp.ExchangeIKESAInit, FI, 0, []Payload{Nonce(1)})
	s.Msg(at+0.01, spiI, spiR, isakmp.ExchangeIKESAInit, FR, 0, []Payload{Nonce(2)})
	var req, resp []isakmp.Payload
	if dec {
		req = []isakmp.Payload{DChildSA(childIn, 0, AES)}
		resp = []isakmp.Payload{DChildSA(childOut, 0, AES)}
	}
	s.Msg(at+0.02, spiI, spiR, isakmp.ExchangeIKEAuth, FI, 1, []Payload{SK(isakmp.PayloadV2IDi, 300, 3)}, req...)
	s.Msg(at+0.03, spiI, spiR, isakmp.ExchangeIKEAuth, FR, 1, []Payload{SK(isakmp.PayloadV2IDr, 250, 4)}, resp...)
}

// SPI4 is an ESP SPI as payloads carry it.
func SPI4(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
