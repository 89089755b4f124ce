package isakmp

import (
	"encoding/binary"
	"fmt"
)

// maxPayloads bounds the payload chain of one message. Real messages carry
// fewer than 30; the bound keeps hostile input from costing more than it weighs.
const maxPayloads = 256

// Error is one malformation found while decoding, with the byte offset inside
// the ISAKMP message (0 = first byte of the header) where it was found.
type Error struct {
	Offset  int
	Payload PayloadType // the payload being decoded, PayloadNone for the header
	Reason  string
	// Truncation is set when the error only says that the captured bytes
	// ran out: the message is Truncated and the payload was cut by it.
	Truncation bool
}

func (e *Error) Error() string {
	if e.Payload == PayloadNone {
		return fmt.Sprintf("offset %d: %s", e.Offset, e.Reason)
	}
	return fmt.Sprintf("offset %d: %s payload: %s", e.Offset, e.Payload.Abbrev(), e.Reason)
}

// Message is one decoded ISAKMP message.
type Message struct {
	Header
	// Payloads in wire order. For an IKEv1 message with the E flag this is
	// empty and Encrypted holds the body.
	Payloads []Payload
	// Encrypted is the IKEv1 encrypted body (E flag): the bytes after the
	// header, with the first inner payload type taken from the header.
	Encrypted *Encrypted
	// Errors lists every malformation, in the order found.
	Errors []*Error
	// Truncated is set when the captured bytes end before Header.Length
	// (a small snaplen); payloads that fit were still decoded.
	Truncated bool
	// Raw is the message as captured (up to Header.Length). It aliases the
	// slice given to Decode.
	Raw []byte
}

// Payload is one payload of the chain: the generic header and a decoded body.
type Payload struct {
	Type     PayloadType
	Critical bool // IKEv2 critical bit
	Offset   int  // offset of the generic payload header in the message
	Length   int  // declared length, generic header included
	Body     Body
}

// Body is the decoded content of a payload; its concrete type depends on the
// payload type (*SA, *KeyExchange, *Notify, ...; *Raw for the rest).
type Body interface{ isBody() }

// Decode decodes one ISAKMP message from b (a UDP payload, the non-ESP marker
// already removed). It returns an error only when not even the header can be
// read; every other problem is recorded in Message.Errors.
func Decode(b []byte) (*Message, error) {
	h, err := ParseHeader(b)
	if err != nil {
		return nil, err
	}
	m := &Message{Header: h}
	d := decoder{msg: m, version: h.MajorVersion()}
	end := len(b)
	switch {
	case h.Length < HeaderLen:
		d.errorf(24, PayloadNone, "message length %d is shorter than the header", h.Length)
	case int64(h.Length) > int64(len(b)):
		// Either the capture was cut (snaplen) or the length lies; the
		// caller knows which from the original packet length.
		m.Truncated = true
	default:
		end = int(h.Length)
	}
	m.Raw = b[:end]
	if d.version != 1 && d.version != 2 {
		d.errorf(17, PayloadNone, "unknown major version %d.%d: payloads not decoded", h.MajorVersion(), h.MinorVersion())
		return m, nil
	}
	if h.IsEncrypted() {
		m.Encrypted = &Encrypted{FirstPayload: h.NextPayload, Length: end - HeaderLen, Data: b[HeaderLen:end]}
		return m, nil
	}
	d.walk(b[:end], HeaderLen, h.NextPayload, func(p Payload) { m.Payloads = append(m.Payloads, p) })
	return m, nil
}

// DecodeChain decodes a chain of payloads that is not a whole message: the
// plaintext of an IKEv2 SK payload or of an IKEv1 encrypted body, once
// decrypted. version is the message's major version and first the type of
// the first payload (from the SK payload's next-payload field, or the IKEv1
// header). Offsets in the payloads and errors are relative to b. IKEv1
// bodies end in padding, which is not reported as trailing bytes.
func DecodeChain(version int, first PayloadType, b []byte) ([]Payload, []*Error) {
	m := &Message{}
	d := decoder{msg: m, version: version, padded: version == 1}
	d.walk(b, 0, first, func(p Payload) { m.Payloads = append(m.Payloads, p) })
	return m.Payloads, m.Errors
}

// decoder carries the state shared by the payload decoders of one message.
type decoder struct {
	msg     *Message
	version int
	padded  bool // bytes after the last payload are padding (decrypted IKEv1)
}

func (d *decoder) errorf(off int, t PayloadType, format string, args ...any) {
	d.msg.Errors = append(d.msg.Errors, &Error{Offset: off, Payload: t, Reason: fmt.Sprintf(format, args...)})
}

// markTruncation marks the errors from index i on as effects of a capture
// that ended early rather than of a malformed message.
func (d *decoder) markTruncation(i int) {
	for _, e := range d.msg.Errors[i:] {
		e.Truncation = true
	}
}

// walk follows a chain of generic payload headers in b starting at off with
// the given first type, decoding each body and handing it to emit. It stops at
// next payload 0, at the end of b, or at a header it cannot trust.
func (d *decoder) walk(b []byte, off int, next PayloadType, emit func(Payload)) {
	for n := 0; next != PayloadNone; n++ {
		if n == maxPayloads {
			d.errorf(off, next, "more than %d payloads: rest ignored", maxPayloads)
			return
		}
		if off == len(b) {
			d.errorf(off, next, "chain announces a payload but the message ends")
			if d.msg.Truncated {
				d.markTruncation(len(d.msg.Errors) - 1)
			}
			return
		}
		if len(b)-off < 4 {
			d.errorf(off, next, "generic payload header needs 4 bytes, have %d", len(b)-off)
			if d.msg.Truncated {
				d.markTruncation(len(d.msg.Errors) - 1)
			}
			return
		}
		length := int(binary.BigEndian.Uint16(b[off+2 : off+4]))
		p := Payload{Type: next, Offset: off, Length: length}
		if d.version == 2 {
			p.Critical = b[off+1]&0x80 != 0
		}
		following := PayloadType(b[off])
		if length < 4 {
			d.errorf(off, next, "payload length %d is shorter than its header: rest of chain unreadable", length)
			return
		}
		bodyEnd := off + length
		firstErr := len(d.msg.Errors)
		if bodyEnd > len(b) {
			d.errorf(off, next, "payload length %d runs %d bytes past the end of the message", length, bodyEnd-len(b))
			bodyEnd = len(b)
		}
		p.Body = d.body(next, b[off+4:bodyEnd], off+4)
		if bodyEnd < off+length && d.msg.Truncated {
			d.markTruncation(firstErr)
		}
		if sk, ok := p.Body.(*Encrypted); ok {
			// The SK payload's next-payload field names the first inner
			// payload, and SK is always last (RFC 7296 §3.14).
			sk.FirstPayload = following
			following = PayloadNone
		}
		if skf, ok := p.Body.(*EncryptedFragment); ok {
			skf.FirstPayload = following
			following = PayloadNone
		}
		emit(p)
		if bodyEnd < off+length {
			return
		}
		off = bodyEnd
		next = following
	}
	if off < len(b) && !d.padded {
		d.errorf(off, PayloadNone, "%d bytes after the last payload", len(b)-off)
	}
}

// body decodes one payload body; base is the body's offset in the message.
func (d *decoder) body(t PayloadType, b []byte, base int) Body {
	if d.version == 1 {
		switch t {
		case PayloadV1SA:
			return d.saV1(b, base)
		case PayloadV1KE:
			return &KeyExchange{DataLength: len(b), Data: b}
		case PayloadV1ID:
			return d.idV1(b, base, t)
		case PayloadV1Cert, PayloadV1CertReq:
			return d.cert(b, base, t)
		case PayloadV1Hash, PayloadV1Sig:
			return &Hash{Data: b}
		case PayloadV1Nonce:
			return &Nonce{Data: b}
		case PayloadV1Notify:
			return d.notifyV1(b, base)
		case PayloadV1Delete:
			return d.deleteV1(b, base)
		case PayloadV1VendorID:
			return &VendorID{Data: b, Name: vendorIDName(b)}
		case PayloadV1Attributes:
			return d.attributesV1(b, base)
		case PayloadV1NATD, PayloadV1NATDDraft:
			return &NATDiscovery{Hash: b}
		case PayloadV1NATOA, PayloadV1NATOADraft:
			return d.natOA(b, base, t)
		case PayloadV1CiscoFrag:
			return d.ciscoFragment(b, base)
		}
		return &Raw{Data: b}
	}
	switch t {
	case PayloadV2SA:
		return d.saV2(b, base)
	case PayloadV2KE:
		return d.keV2(b, base)
	case PayloadV2IDi, PayloadV2IDr:
		return d.idV2(b, base, t)
	case PayloadV2Cert, PayloadV2CertReq:
		return d.cert(b, base, t)
	case PayloadV2Auth:
		return d.auth(b, base)
	case PayloadV2Nonce:
		return &Nonce{Data: b}
	case PayloadV2Notify:
		return d.notifyV2(b, base)
	case PayloadV2Delete:
		return d.deleteV2(b, base)
	case PayloadV2VendorID:
		return &VendorID{Data: b, Name: vendorIDName(b)}
	case PayloadV2TSi, PayloadV2TSr:
		return d.trafficSelectors(b, base, t)
	case PayloadV2SK:
		return &Encrypted{Length: len(b), Data: b}
	case PayloadV2SKF:
		return d.encryptedFragment(b, base)
	case PayloadV2CP:
		return d.configV2(b, base)
	case PayloadV2EAP:
		return d.eap(b, base)
	}
	return &Raw{Data: b}
}

// Notifies returns the message's notify payloads in clear, in order.
func (m *Message) Notifies() []*Notify {
	var out []*Notify
	for _, p := range m.Payloads {
		if n, ok := p.Body.(*Notify); ok {
			out = append(out, n)
		}
	}
	return out
}

// Find returns the body of the first payload of type t, or nil.
func (m *Message) Find(t PayloadType) Body {
	for _, p := range m.Payloads {
		if p.Type == t {
			return p.Body
		}
	}
	return nil
}

// EncryptedBody returns what is encrypted in the message: the IKEv1 body
// under the E flag or the IKEv2 SK/SKF payload; nil when all is in clear.
func (m *Message) EncryptedBody() (first PayloadType, length int, ok bool) {
	if m.Encrypted != nil {
		return m.Encrypted.FirstPayload, m.Encrypted.Length, true
	}
	for _, p := range m.Payloads {
		switch b := p.Body.(type) {
		case *Encrypted:
			return b.FirstPayload, b.Length, true
		case *EncryptedFragment:
			return b.FirstPayload, b.Length, true
		}
	}
	return PayloadNone, 0, false
}
