package isakmp

import (
	"encoding/hex"
	"net/netip"
)

// SA is a Security Association payload: proposals with their transforms.
type SA struct {
	DOI       uint32 // IKEv1 only (1 = IPsec DOI)
	Situation uint32 // IKEv1 only
	Proposals []Proposal
}

// Proposal is one proposal of an SA payload.
type Proposal struct {
	Number     uint8
	Protocol   ProtocolID
	SPI        []byte
	Transforms []Transform
}

// Transform is one transform. IKEv1 transforms carry a transform ID and put
// everything else in attributes; IKEv2 transforms have a type and an ID.
type Transform struct {
	Version    int
	Protocol   ProtocolID // the proposal's protocol, which gives IKEv1 IDs their meaning
	Number     uint8      // IKEv1 transform number
	Type       uint8      // IKEv2 transform type (1 ENCR, 2 PRF, 3 INTEG, 4 KE, 5 ESN, ...)
	ID         uint16
	Attributes []Attribute
}

// AttributeSpace says which registry an attribute's type belongs to.
type AttributeSpace uint8

// IKEv2 transform types (RFC 7296 §3.3.2).
const (
	TransformEncr  uint8 = 1
	TransformPRF   uint8 = 2
	TransformInteg uint8 = 3
	TransformKE    uint8 = 4
	TransformESN   uint8 = 5
)

// IKEv1 attribute types the analysis reads: phase 1 (RFC 2409 App. A) and
// the IPsec DOI (RFC 2407 §4.5).
const (
	AttrV1Encryption  uint16 = 1 // phase 1 Encryption-Algorithm
	AttrV1Hash        uint16 = 2 // phase 1 Hash-Algorithm
	AttrV1Group       uint16 = 4 // phase 1 Group-Description
	AttrV1IPsecGroup  uint16 = 3 // IPsec DOI Group-Description (PFS)
	AttrV1IPsecAuth   uint16 = 5 // IPsec DOI Authentication-Algorithm
	AttrV1IPsecKeyLen uint16 = 6 // IPsec DOI Key-Length
)

// Attribute spaces.
const (
	SpaceV1Phase1    AttributeSpace = iota + 1 // ISAKMP SA (RFC 2409 App. A)
	SpaceV1IPsec                               // IPsec DOI (RFC 2407 §4.5)
	SpaceV2Transform                           // IKEv2 transform attributes
	SpaceV1Config                              // IKEv1 mode-config / XAUTH
	SpaceV2Config                              // IKEv2 CP
	SpaceV1Lifetime                            // RESPONDER-LIFETIME notify data (IPsec DOI attributes)
)

// Attribute is a data attribute in TV (Short) or TLV form.
type Attribute struct {
	Space AttributeSpace
	Type  uint16
	Short bool   // TV form: the value is the 16-bit Value
	Value uint64 // TV value, or a TLV value of up to 8 bytes read as a number
	Data  []byte // TLV value bytes
}

// Proposal has no isBody: it is part of SA.

// KeyExchange is a KE payload.
type KeyExchange struct {
	Group      uint16 // IKEv2 only
	DataLength int
	Data       []byte
}

// Identification is an ID (IKEv1) or IDi/IDr (IKEv2) payload.
type Identification struct {
	Version    int
	IDType     uint8
	ProtocolID uint8  // IKEv1: IP protocol of the protected flow (phase 2)
	Port       uint16 // IKEv1
	Data       []byte
	// Decoded forms, by IDType.
	Addr     netip.Addr   // ID_IPV4_ADDR, ID_IPV6_ADDR, range start
	Prefix   netip.Prefix // ID_IPV*_ADDR_SUBNET
	RangeEnd netip.Addr   // ID_IPV*_ADDR_RANGE
	Text     string       // ID_FQDN, ID_USER_FQDN / ID_RFC822_ADDR
}

// Certificate is a CERT or CERTREQ payload.
type Certificate struct {
	Encoding uint8
	Data     []byte
}

// Hash is an IKEv1 HASH or SIG payload.
type Hash struct{ Data []byte }

// Auth is an IKEv2 AUTH payload.
type Auth struct {
	Method uint8
	Data   []byte
}

// Nonce is a nonce payload.
type Nonce struct{ Data []byte }

// Notify is a notification payload.
type Notify struct {
	Version  int
	DOI      uint32 // IKEv1 only
	Protocol ProtocolID
	SPI      []byte
	Type     NotifyType
	Data     []byte
	// Decoded data, where the type defines it.
	AcceptedGroup  uint16      // INVALID_KE_PAYLOAD (IKEv2)
	Sequence       uint32      // R-U-THERE / R-U-THERE-ACK
	HashAlgorithms []uint16    // SIGNATURE_HASH_ALGORITHMS
	Lifetime       []Attribute // IKEv1 RESPONDER-LIFETIME
}

// Delete is a delete payload.
type Delete struct {
	DOI      uint32 // IKEv1 only
	Protocol ProtocolID
	SPISize  uint8
	SPIs     [][]byte
}

// VendorID is a vendor ID payload with the vendor name when known.
type VendorID struct {
	Data []byte
	Name string
}

// Config is an IKEv1 mode-config/XAUTH Attributes payload or an IKEv2 CP payload.
type Config struct {
	Type       uint8
	Identifier uint16 // IKEv1 only
	Attributes []Attribute
}

// NATDiscovery is an IKEv1 NAT-D payload (RFC 3947 or its drafts).
type NATDiscovery struct{ Hash []byte }

// NATOriginalAddress is an IKEv1 NAT-OA payload.
type NATOriginalAddress struct {
	IDType uint8
	Addr   netip.Addr
}

// TrafficSelectors is an IKEv2 TSi or TSr payload.
type TrafficSelectors struct{ Selectors []TrafficSelector }

// TrafficSelector is one selector: an address range, protocol and port range.
type TrafficSelector struct {
	Type       uint8
	IPProtocol uint8
	StartPort  uint16
	EndPort    uint16
	Start, End netip.Addr
	Data       []byte // the selector body for types without addresses (e.g. TS_SECLABEL)
}

// Encrypted is encrypted content: an IKEv2 SK payload or an IKEv1 body under
// the E flag. FirstPayload is the first inner payload's type (in clear).
type Encrypted struct {
	FirstPayload PayloadType
	Length       int // bytes of IV, ciphertext, padding and ICV
	Data         []byte
}

// EncryptedFragment is an IKEv2 SKF payload (RFC 7383).
type EncryptedFragment struct {
	Number       uint16
	Total        uint16
	FirstPayload PayloadType // set in the first fragment only
	Length       int
	Data         []byte
}

// EAP is an IKEv2 EAP payload (only the EAP header is decoded).
type EAP struct {
	Code       uint8
	Identifier uint8
	Length     uint16
	Type       uint8 // for Request/Response
}

// CiscoFragment is the IKEv1 fragment payload (type 132): the "IKE
// fragmentation" vendor extension of Cisco, also spoken by Microsoft,
// strongSwan (fragmentation = yes|force with IKEv1) and libreswan. A
// message too large for the path is cut into messages that each carry one
// fragment payload: fragment ID (the same for every fragment of one
// message), number (from 1) and a LAST flag on the last one. The
// fragments' ISAKMP headers are in clear and need not say the exchange of
// the message they carry (strongSwan writes Main Mode and message ID 0
// even for Quick Mode, and fragment ID 1 for every message); the data, put
// back together in number order, is the whole original message, header
// and (encrypted) body. See the bounds in v1frag.go.
type CiscoFragment struct {
	ID     uint16
	Number uint8
	Last   bool
	Data   []byte
}

// Raw is any payload the decoder keeps as bytes.
type Raw struct{ Data []byte }

func (*SA) isBody()                 {}
func (*KeyExchange) isBody()        {}
func (*Identification) isBody()     {}
func (*Certificate) isBody()        {}
func (*Hash) isBody()               {}
func (*Auth) isBody()               {}
func (*Nonce) isBody()              {}
func (*Notify) isBody()             {}
func (*Delete) isBody()             {}
func (*VendorID) isBody()           {}
func (*Config) isBody()             {}
func (*NATDiscovery) isBody()       {}
func (*NATOriginalAddress) isBody() {}
func (*TrafficSelectors) isBody()   {}
func (*Encrypted) isBody()          {}
func (*EncryptedFragment) isBody()  {}
func (*EAP) isBody()                {}
func (*CiscoFragment) isBody()      {}
func (*Raw) isBody()                {}

// hexString is a short helper for names of unknown byte strings.
func hexString(b []byte) string { return hex.EncodeToString(b) }
