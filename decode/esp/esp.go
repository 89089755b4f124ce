// Package esp decodes the clear part of ESP packets (RFC 4303): SPI and
// sequence number, and demultiplexes UDP-encapsulated traffic on the NAT-T
// port (RFC 3948) into keepalives, IKE behind the non-ESP marker, and ESP.
//
// It owns nothing above the ESP header: the payload is encrypted, and
// decryption belongs elsewhere. Decoding never allocates.
package esp

import (
	"encoding/binary"
	"fmt"
)

// HeaderLen is the SPI and sequence number in front of every ESP payload.
const HeaderLen = 8

// Header is the clear part of an ESP packet.
type Header struct {
	SPI uint32
	Seq uint32
	// NoSeq is set when the packet was cut after the SPI (a small
	// snaplen): Seq was not captured.
	NoSeq bool
	// PayloadLen is what follows the header as captured: IV, ciphertext,
	// padding, trailer and ICV.
	PayloadLen int
}

// Parse reads the ESP header at the start of b.
// A packet cut after the SPI still yields the SPI, with NoSeq set and an
// error.
func Parse(b []byte) (Header, error) {
	if len(b) < HeaderLen {
		if len(b) >= 4 {
			return Header{SPI: binary.BigEndian.Uint32(b[0:4]), NoSeq: true}, fmt.Errorf("ESP header cut after the SPI: %d of %d bytes", len(b), HeaderLen)
		}
		return Header{NoSeq: true}, fmt.Errorf("ESP header needs %d bytes, have %d", HeaderLen, len(b))
	}
	h := Header{
		SPI:        binary.BigEndian.Uint32(b[0:4]),
		Seq:        binary.BigEndian.Uint32(b[4:8]),
		PayloadLen: len(b) - HeaderLen,
	}
	if h.SPI == 0 {
		return h, fmt.Errorf("ESP SPI 0 is reserved")
	}
	return h, nil
}

// Kind is what a UDP datagram on the NAT-T port carries.
type Kind uint8

// NAT-T datagram kinds (RFC 3948 §2).
const (
	KindInvalid   Kind = iota // too short to be anything
	KindKeepalive             // the single byte 0xFF
	KindIKE                   // four zero bytes (the non-ESP marker), then ISAKMP
	KindESP                   // anything else: an ESP packet
)

func (k Kind) String() string {
	switch k {
	case KindKeepalive:
		return "NAT-keepalive"
	case KindIKE:
		return "IKE"
	case KindESP:
		return "ESP"
	}
	return "invalid"
}

// NonESPMarkerLen is the length of the non-ESP marker before IKE on the
// NAT-T port.
const NonESPMarkerLen = 4

// Classify tells what a NAT-T UDP payload carries. An ESP packet shorter than
// its header is KindESP all the same: Parse reports the truncation.
func Classify(udpPayload []byte) Kind {
	switch {
	case len(udpPayload) == 1 && udpPayload[0] == 0xff:
		return KindKeepalive
	case len(udpPayload) >= NonESPMarkerLen && binary.BigEndian.Uint32(udpPayload) == 0:
		return KindIKE
	case len(udpPayload) >= NonESPMarkerLen:
		return KindESP
	}
	return KindInvalid
}
