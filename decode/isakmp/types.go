package isakmp

import "strconv"

// PayloadType is the "next payload" number. IKEv1 (1-22, 128+) and IKEv2
// (33-54) numbers do not overlap, so one type serves both.
type PayloadType uint8

// Payload types used by the decoder (RFC 2408 §3.1, RFC 3947, RFC 7296 §3.2, RFC 7383).
const (
	PayloadNone PayloadType = 0

	PayloadV1SA          PayloadType = 1
	PayloadV1Proposal    PayloadType = 2
	PayloadV1Transform   PayloadType = 3
	PayloadV1KE          PayloadType = 4
	PayloadV1ID          PayloadType = 5
	PayloadV1Cert        PayloadType = 6
	PayloadV1CertReq     PayloadType = 7
	PayloadV1Hash        PayloadType = 8
	PayloadV1Sig         PayloadType = 9
	PayloadV1Nonce       PayloadType = 10
	PayloadV1Notify      PayloadType = 11
	PayloadV1Delete      PayloadType = 12
	PayloadV1VendorID    PayloadType = 13
	PayloadV1Attributes  PayloadType = 14
	PayloadV1NATD        PayloadType = 20
	PayloadV1NATOA       PayloadType = 21
	PayloadV1NATDDraft   PayloadType = 130
	PayloadV1NATOADraft  PayloadType = 131
	PayloadV1CiscoFrag   PayloadType = 132
	PayloadV2SA          PayloadType = 33
	PayloadV2KE          PayloadType = 34
	PayloadV2IDi         PayloadType = 35
	PayloadV2IDr         PayloadType = 36
	PayloadV2Cert        PayloadType = 37
	PayloadV2CertReq     PayloadType = 38
	PayloadV2Auth        PayloadType = 39
	PayloadV2Nonce       PayloadType = 40
	PayloadV2Notify      PayloadType = 41
	PayloadV2Delete      PayloadType = 42
	PayloadV2VendorID    PayloadType = 43
	PayloadV2TSi         PayloadType = 44
	PayloadV2TSr         PayloadType = 45
	PayloadV2SK          PayloadType = 46
	PayloadV2CP          PayloadType = 47
	PayloadV2EAP         PayloadType = 48
	PayloadV2SKF         PayloadType = 53
	PayloadV2PuzzleSoln  PayloadType = 54
	payloadV2FirstNumber PayloadType = 33
)

// String is the registry name, or "PAYLOAD(n)" when unassigned.
func (t PayloadType) String() string {
	if n := payloadTypeName(uint8(t)); n != "" {
		return n
	}
	return "PAYLOAD(" + strconv.Itoa(int(t)) + ")"
}

// Abbrev is the short name strongSwan uses in its message logs ("SA", "KE",
// "No", "N", "V", ...), or the number when there is none.
func (t PayloadType) Abbrev() string {
	if n := payloadTypeAbbrev(uint8(t)); n != "" {
		return n
	}
	return strconv.Itoa(int(t))
}

// ExchangeType is the exchange type number (IKEv1 0-6, 32, 33; IKEv2 34+).
type ExchangeType uint8

// Exchange types the correlator needs by name.
const (
	ExchangeV1Base          ExchangeType = 1
	ExchangeV1Main          ExchangeType = 2
	ExchangeV1AuthOnly      ExchangeType = 3
	ExchangeV1Aggressive    ExchangeType = 4
	ExchangeV1Informational ExchangeType = 5
	ExchangeV1Transaction   ExchangeType = 6
	ExchangeV1Quick         ExchangeType = 32
	ExchangeV1NewGroup      ExchangeType = 33
	ExchangeIKESAInit       ExchangeType = 34
	ExchangeIKEAuth         ExchangeType = 35
	ExchangeCreateChildSA   ExchangeType = 36
	ExchangeInformational   ExchangeType = 37
	ExchangeIKESessionRes   ExchangeType = 38
	ExchangeIKEIntermediate ExchangeType = 43
	ExchangeIKEFollowupKE   ExchangeType = 44
)

// String is the registry name, or "EXCHANGE(n)" when unassigned.
func (e ExchangeType) String() string {
	if n := exchangeTypeName(uint8(e)); n != "" {
		return n
	}
	return "EXCHANGE(" + strconv.Itoa(int(e)) + ")"
}

// ProtocolID is the protocol of a proposal, notify or delete payload.
type ProtocolID uint8

// Protocol IDs (the same numbers in IKEv1's IPsec DOI and IKEv2).
const (
	ProtocolISAKMP ProtocolID = 1 // IKEv2: IKE
	ProtocolAH     ProtocolID = 2
	ProtocolESP    ProtocolID = 3
	ProtocolIPComp ProtocolID = 4 // IKEv1 only
)

// NotifyType is a notify message type. Its meaning depends on the major
// version, so names are looked up with NotifyName.
type NotifyType uint16

// Error notify types the analysis reads (RFC 2408 §3.14.1, RFC 7296
// §3.10.1); most have the same number in both versions.
const (
	NotifyInvalidPayloadType     NotifyType = 1  // IKEv1 INVALID-PAYLOAD-TYPE
	NotifyInvalidSPI             NotifyType = 11 // INVALID_SPI, both versions
	NotifyNoProposalChosen       NotifyType = 14 // NO_PROPOSAL_CHOSEN, both versions
	NotifyV1PayloadMalformed     NotifyType = 16
	NotifyV1InvalidIDInformation NotifyType = 18
	NotifyV1InvalidHashInfo      NotifyType = 23
	NotifyAuthenticationFailed   NotifyType = 24 // AUTHENTICATION_FAILED, both versions
	NotifyV1InvalidSignature     NotifyType = 25
	NotifyV2TSUnacceptable       NotifyType = 38
	NotifyV1InitialContact       NotifyType = 24578 // RFC 2407 §4.6.3.3
)

// Notify types the decoder interprets (the names come from the registries).
const (
	NotifyV2InvalidKEPayload   NotifyType = 17
	NotifyV2NATDetectionSrc    NotifyType = 16388
	NotifyV2NATDetectionDst    NotifyType = 16389
	NotifyV2Cookie             NotifyType = 16390
	NotifyV2RekeySA            NotifyType = 16393
	NotifyV2SignatureHashAlgs  NotifyType = 16431
	NotifyV2FragmentationSupp  NotifyType = 16430
	NotifyV1ResponderLifetime  NotifyType = 24576
	NotifyV1RUThere            NotifyType = 36136
	NotifyV1RUThereAck         NotifyType = 36137
	notifyFirstStatusType      NotifyType = 16384
	NotifyV2RedirectSupported  NotifyType = 16406
	NotifyV2Redirect           NotifyType = 16407
	NotifyV2RedirectedFrom     NotifyType = 16408
	NotifyV2TicketLTOpaque     NotifyType = 16409
	NotifyV2IntermediateSupp   NotifyType = 16438
	NotifyV2SetWindowSize      NotifyType = 16385
	NotifyV2MultipleAuthSupp   NotifyType = 16404
	NotifyV2UseTransportMode   NotifyType = 16391
	NotifyV2InitialContact     NotifyType = 16384
	NotifyV2ChildlessSupported NotifyType = 16418
	NotifyV2IPCompSupported    NotifyType = 16387
)

// NotifyName is the registry name of a notify type in the given major
// version (1 or 2); unknown values are written "NOTIFY(n)".
func NotifyName(version int, t NotifyType) string {
	var name string
	var ok bool
	if version == 1 {
		name, ok = notifyNameV1(uint16(t))
	} else {
		name, ok = notifyNameV2(uint16(t))
	}
	if ok {
		return name
	}
	return "NOTIFY(" + strconv.Itoa(int(t)) + ")"
}

// IsError reports whether the notify type is in the error range.
func (t NotifyType) IsError() bool { return t < notifyFirstStatusType }

// DHGroupName is the name of a Diffie-Hellman / key-exchange group.
func DHGroupName(g uint16) string {
	if n := dhGroupName(g); n != "" {
		return n
	}
	return "GROUP(" + strconv.Itoa(int(g)) + ")"
}

// DHGroupWeak reports whether a group is below today's recommended strength.
func DHGroupWeak(g uint16) bool { return dhGroupWeak(g) }

func nameOr(name, fallback string, n int) string {
	if name != "" {
		return name
	}
	return fallback + "(" + strconv.Itoa(n) + ")"
}
