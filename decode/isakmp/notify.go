package isakmp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// notifyV1 decodes an IKEv1 notification: DOI, protocol, SPI size, type, SPI,
// data (RFC 2408 §3.14).
func (d *decoder) notifyV1(b []byte, base int) Body {
	n := &Notify{Version: 1}
	if len(b) < 8 {
		d.errorf(base, PayloadV1Notify, "notify body needs 8 bytes, have %d", len(b))
		return n
	}
	n.DOI = binary.BigEndian.Uint32(b[0:4])
	n.Protocol = ProtocolID(b[4])
	spiSize := int(b[5])
	n.Type = NotifyType(binary.BigEndian.Uint16(b[6:8]))
	if 8+spiSize > len(b) {
		d.errorf(base+5, PayloadV1Notify, "notify SPI size %d exceeds the payload", spiSize)
		return n
	}
	n.SPI = b[8 : 8+spiSize]
	n.Data = b[8+spiSize:]
	d.notifyData(n, base+8+spiSize, PayloadV1Notify)
	return n
}

// notifyV2 decodes an IKEv2 notify: protocol, SPI size, type, SPI, data
// (RFC 7296 §3.10).
func (d *decoder) notifyV2(b []byte, base int) Body {
	n := &Notify{Version: 2}
	if len(b) < 4 {
		d.errorf(base, PayloadV2Notify, "notify body needs 4 bytes, have %d", len(b))
		return n
	}
	n.Protocol = ProtocolID(b[0])
	spiSize := int(b[1])
	n.Type = NotifyType(binary.BigEndian.Uint16(b[2:4]))
	if 4+spiSize > len(b) {
		d.errorf(base+1, PayloadV2Notify, "notify SPI size %d exceeds the payload", spiSize)
		return n
	}
	n.SPI = b[4 : 4+spiSize]
	n.Data = b[4+spiSize:]
	d.notifyData(n, base+4+spiSize, PayloadV2Notify)
	return n
}

// notifyData decodes the data of notify types that define it.
func (d *decoder) notifyData(n *Notify, base int, t PayloadType) {
	b := n.Data
	if n.Version == 2 {
		switch n.Type {
		case NotifyV2InvalidKEPayload:
			if len(b) != 2 {
				d.errorf(base, t, "INVALID_KE_PAYLOAD data is %d bytes, want 2", len(b))
				return
			}
			n.AcceptedGroup = binary.BigEndian.Uint16(b)
		case NotifyV2SignatureHashAlgs:
			if len(b)%2 != 0 {
				d.errorf(base, t, "SIGNATURE_HASH_ALGORITHMS data is %d bytes, not a multiple of 2", len(b))
			}
			for i := 0; i+2 <= len(b); i += 2 {
				n.HashAlgorithms = append(n.HashAlgorithms, binary.BigEndian.Uint16(b[i:]))
			}
		}
		return
	}
	switch n.Type {
	case NotifyV1RUThere, NotifyV1RUThereAck:
		if len(b) != 4 {
			d.errorf(base, t, "%s data is %d bytes, want 4", NotifyName(1, n.Type), len(b))
			return
		}
		n.Sequence = binary.BigEndian.Uint32(b)
	case NotifyV1ResponderLifetime:
		n.Lifetime = d.attributes(b, base, t, SpaceV1Lifetime)
	}
}

// Name is the notify type's registry name for the message's version.
func (n *Notify) Name() string { return NotifyName(n.Version, n.Type) }

// IsError reports whether the notify type is an error.
func (n *Notify) IsError() bool { return n.Type.IsError() }

// Detail describes the notify data where its meaning is defined, or "".
func (n *Notify) Detail() string {
	if n.Version == 2 {
		switch n.Type {
		case NotifyV2InvalidKEPayload:
			if len(n.Data) == 2 {
				return "accepted group " + DHGroupName(n.AcceptedGroup)
			}
		case NotifyV2NATDetectionSrc, NotifyV2NATDetectionDst:
			return "hash " + hexString(n.Data)
		case NotifyV2Cookie:
			return "cookie " + hexString(n.Data)
		case NotifyV2RekeySA:
			return "SPI " + hexString(n.SPI)
		case NotifyV2SignatureHashAlgs:
			names := make([]string, len(n.HashAlgorithms))
			for i, h := range n.HashAlgorithms {
				names[i] = hashAlgorithmName(h)
			}
			return strings.Join(names, ",")
		case NotifyV2FragmentationSupp:
			return "IKE fragmentation (RFC 7383) supported"
		case NotifyV2Redirect, NotifyV2RedirectedFrom:
			if gw, ok := n.RedirectGateway(); ok {
				return "gateway " + gw
			}
		case NotifyV2IPCompSupported:
			if cpi, ids, ok := n.IPCompSupported(); ok {
				names := make([]string, len(ids))
				for i, id := range ids {
					names[i] = IPCompName(id)
				}
				return fmt.Sprintf("CPI 0x%04x %s", cpi, strings.Join(names, ","))
			}
		}
		if len(n.SPI) > 0 {
			return "SPI " + hexString(n.SPI)
		}
		return ""
	}
	switch n.Type {
	case NotifyV1RUThere, NotifyV1RUThereAck:
		if len(n.Data) == 4 {
			return fmt.Sprintf("sequence %d", n.Sequence)
		}
	case NotifyV1ResponderLifetime:
		parts := make([]string, len(n.Lifetime))
		for i, a := range n.Lifetime {
			parts[i] = a.String()
		}
		return strings.Join(parts, " ")
	}
	if len(n.SPI) > 0 && !allZero(n.SPI) {
		return "SPI " + hexString(n.SPI)
	}
	return ""
}

// RedirectGateway reads the gateway identity of a REDIRECT or
// REDIRECTED_FROM notify (RFC 5685 §8: GW Ident Type, GW Ident Len, the
// identity, then for REDIRECT in IKE_SA_INIT the initiator's nonce): an
// IPv4 or IPv6 address or an FQDN. ok is false when the data does not hold one.
func (n *Notify) RedirectGateway() (gw string, ok bool) {
	b := n.Data
	if n.Version != 2 || (n.Type != NotifyV2Redirect && n.Type != NotifyV2RedirectedFrom) || len(b) < 2 {
		return "", false
	}
	typ, size := b[0], int(b[1])
	if 2+size > len(b) {
		return "", false
	}
	id := b[2 : 2+size]
	switch {
	case typ == 1 && size == 4:
		return netip.AddrFrom4([4]byte(id)).String(), true
	case typ == 2 && size == 16:
		return netip.AddrFrom16([16]byte(id)).String(), true
	case typ == 3 && size > 0 && printable(id):
		return string(id), true
	}
	return "", false
}

// IPCompSupported reads an IKEv2 IPCOMP_SUPPORTED notify (RFC 7296
// §3.10.1): the CPI the sender will receive IPComp packets on, then the
// IPComp transform IDs it accepts (in a response, the one chosen). ok is
// false when the data is too short to hold a CPI and one transform.
func (n *Notify) IPCompSupported() (cpi uint16, transforms []uint8, ok bool) {
	if n.Version != 2 || n.Type != NotifyV2IPCompSupported || len(n.Data) < 3 {
		return 0, nil, false
	}
	return binary.BigEndian.Uint16(n.Data[0:2]), n.Data[2:], true
}

// IPCompName names an IPComp transform ID (IANA "IPComp Transform IDs",
// shared by IKEv1 and IKEv2): "DEFLATE", "LZS", "LZJH", "OUI".
func IPCompName(id uint8) string {
	if n := v1TransformIDName(uint8(ProtocolIPComp), id); n != "" {
		return strings.TrimPrefix(n, "IPCOMP_")
	}
	return fmt.Sprintf("IPComp transform %d", id)
}

func printable(b []byte) bool {
	for _, c := range b {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// hashAlgorithmName names RFC 7427 hash algorithm identifiers.
func hashAlgorithmName(h uint16) string {
	switch h {
	case 1:
		return "SHA1"
	case 2:
		return "SHA2_256"
	case 3:
		return "SHA2_384"
	case 4:
		return "SHA2_512"
	case 5:
		return "IDENTITY"
	}
	return fmt.Sprintf("HASH(%d)", h)
}
