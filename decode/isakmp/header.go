package isakmp

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// HeaderLen is the size of the fixed ISAKMP header (RFC 2408 §3.1, RFC 7296 §3.1).
const HeaderLen = 28

// SPI is an 8-byte IKE SA identifier: the IKEv1 cookie or the IKEv2 SPI.
type SPI [8]byte

// IsZero reports whether the SPI is all zeros, as the responder's is in the
// first message of an exchange.
func (s SPI) IsZero() bool { return s == SPI{} }

// String is the SPI in lowercase hex, as Wireshark and strongSwan show it.
func (s SPI) String() string { return hex.EncodeToString(s[:]) }

// Flags are the header flags. IKEv1 uses bits 0-2, IKEv2 bits 3-5.
type Flags uint8

// Header flag bits.
const (
	FlagEncryption Flags = 0x01 // IKEv1: the payloads after the header are encrypted
	FlagCommit     Flags = 0x02 // IKEv1
	FlagAuthOnly   Flags = 0x04 // IKEv1
	FlagInitiator  Flags = 0x08 // IKEv2: sent by the original initiator of the IKE SA
	FlagVersion    Flags = 0x10 // IKEv2: the sender can speak a higher major version
	FlagResponse   Flags = 0x20 // IKEv2: this message is a response
)

// Header is the fixed 28-byte ISAKMP header.
type Header struct {
	InitiatorSPI SPI
	ResponderSPI SPI
	NextPayload  PayloadType
	Version      uint8 // major version in the high nibble, minor in the low
	Exchange     ExchangeType
	Flags        Flags
	MessageID    uint32
	Length       uint32 // the whole message, header included, as declared
}

// MajorVersion is 1 for IKEv1 and 2 for IKEv2.
func (h *Header) MajorVersion() int { return int(h.Version >> 4) }

// MinorVersion is the low nibble of the version byte.
func (h *Header) MinorVersion() int { return int(h.Version & 0x0f) }

// IsInitiator reports the IKEv2 I flag: the message comes from the IKE SA's
// original initiator.
func (h *Header) IsInitiator() bool { return h.Flags&FlagInitiator != 0 }

// IsResponse reports the IKEv2 R flag.
func (h *Header) IsResponse() bool { return h.Flags&FlagResponse != 0 }

// IsEncrypted reports the IKEv1 E flag.
func (h *Header) IsEncrypted() bool { return h.MajorVersion() == 1 && h.Flags&FlagEncryption != 0 }

// ParseHeader reads the fixed header from the start of b.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderLen {
		return h, fmt.Errorf("ISAKMP header needs %d bytes, have %d", HeaderLen, len(b))
	}
	copy(h.InitiatorSPI[:], b[0:8])
	copy(h.ResponderSPI[:], b[8:16])
	h.NextPayload = PayloadType(b[16])
	h.Version = b[17]
	h.Exchange = ExchangeType(b[18])
	h.Flags = Flags(b[19])
	h.MessageID = binary.BigEndian.Uint32(b[20:24])
	h.Length = binary.BigEndian.Uint32(b[24:28])
	return h, nil
}

// FlagNames lists the set flags by name for the message's major version.
func (h *Header) FlagNames() []string {
	var names []string
	if h.MajorVersion() == 2 {
		if h.Flags&FlagInitiator != 0 {
			names = append(names, "I")
		}
		if h.Flags&FlagVersion != 0 {
			names = append(names, "V")
		}
		if h.Flags&FlagResponse != 0 {
			names = append(names, "R")
		}
		return names
	}
	if h.Flags&FlagEncryption != 0 {
		names = append(names, "E")
	}
	if h.Flags&FlagCommit != 0 {
		names = append(names, "C")
	}
	if h.Flags&FlagAuthOnly != 0 {
		names = append(names, "A")
	}
	return names
}
