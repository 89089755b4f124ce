package isakmp

import (
	"fmt"
	"strconv"
	"strings"
)

// Name is the transform's algorithm, e.g. "ENCR_AES_CBC" (IKEv2) or
// "KEY_IKE" / "ESP_AES-CBC" (IKEv1).
func (t *Transform) Name() string {
	if t.Version == 2 {
		return nameOr(v2TransformIDName(t.Type, t.ID), v2TransformTypeName(t.Type), int(t.ID))
	}
	return nameOr(v1TransformIDName(uint8(t.Protocol), uint8(t.ID)), "TRANSFORM", int(t.ID))
}

// TypeName is the IKEv2 transform type ("ENCR", "PRF", "INTEG", "KE", "ESN").
func (t *Transform) TypeName() string {
	return nameOr(v2TransformTypeName(t.Type), "TYPE", int(t.Type))
}

// KeyLength returns the Key-Length attribute, or 0.
func (t *Transform) KeyLength() int {
	for _, a := range t.Attributes {
		if a.Type == 14 && (a.Space == SpaceV1Phase1 || a.Space == SpaceV2Transform) ||
			a.Type == 6 && a.Space == SpaceV1IPsec {
			return int(a.Value)
		}
	}
	return 0
}

// String is a one-line description: "ENCR_AES_CBC_128" style for IKEv2, the
// transform ID and its attributes for IKEv1.
func (t *Transform) String() string {
	if t.Version == 2 {
		s := t.TypeName() + "=" + t.Name()
		if k := t.KeyLength(); k != 0 {
			s += "_" + strconv.Itoa(k)
		}
		return s
	}
	parts := []string{t.Name()}
	for _, a := range t.Attributes {
		parts = append(parts, a.String())
	}
	return strings.Join(parts, " ")
}

// Name is the attribute type's registry name.
func (a *Attribute) Name() string {
	var n string
	switch a.Space {
	case SpaceV1Phase1:
		n = v1AttrName(a.Type)
	case SpaceV1IPsec, SpaceV1Lifetime:
		n = ipsecAttrName(a.Type)
	case SpaceV2Transform:
		n = v2AttrName(a.Type)
	case SpaceV1Config:
		n = cfgAttrName(1, a.Type)
	case SpaceV2Config:
		n = cfgAttrName(2, a.Type)
	}
	return nameOr(n, "ATTR", int(a.Type))
}

// ValueName is the name of an enumerated value, or "" for plain numbers.
func (a *Attribute) ValueName() string {
	switch a.Space {
	case SpaceV1Phase1:
		return v1AttrValueName(a.Type, a.Value)
	case SpaceV1IPsec, SpaceV1Lifetime:
		return ipsecAttrValueName(a.Type, a.Value)
	}
	return ""
}

// String is "Name=Value" with the value named where it is enumerated.
func (a *Attribute) String() string {
	if v := a.ValueName(); v != "" {
		return a.Name() + "=" + v
	}
	if a.Short || len(a.Data) <= 8 && (a.Space == SpaceV1Phase1 || a.Space == SpaceV1IPsec || a.Space == SpaceV2Transform || a.Space == SpaceV1Lifetime) {
		return a.Name() + "=" + strconv.FormatUint(a.Value, 10)
	}
	if len(a.Data) == 0 {
		return a.Name()
	}
	return a.Name() + "=" + hexString(a.Data)
}

// String names the protocol ("IKE"/"ISAKMP", "AH", "ESP", "IPCOMP").
func (p ProtocolID) String() string { return protocolShort(p) }

// TypeName is the ID type's registry name.
func (id *Identification) TypeName() string {
	return nameOr(idTypeName(id.Version, id.IDType), "ID", int(id.IDType))
}

// Value is the identity in the form an engineer types into a config:
// an address, a subnet, a range, a name, or hex for the rest.
func (id *Identification) Value() string {
	switch {
	case id.Prefix.IsValid():
		return id.Prefix.String()
	case id.RangeEnd.IsValid():
		return id.Addr.String() + "-" + id.RangeEnd.String()
	case id.Addr.IsValid():
		return id.Addr.String()
	case id.Text != "":
		return strconv.Quote(id.Text)
	}
	return hexString(id.Data)
}

// String is the type and value, plus protocol/port for IKEv1 phase-2 IDs.
func (id *Identification) String() string {
	s := id.TypeName() + " " + id.Value()
	if id.Version == 1 && (id.ProtocolID != 0 || id.Port != 0) {
		s += fmt.Sprintf(" proto %d port %d", id.ProtocolID, id.Port)
	}
	return s
}

// String is "start-end proto P ports a-b", with "any" where unrestricted.
func (s *TrafficSelector) String() string {
	if !s.Start.IsValid() {
		return nameOr(tsTypeName(s.Type), "TS", int(s.Type)) + " " + hexString(s.Data)
	}
	addr := s.Start.String() + "-" + s.End.String()
	proto := "any"
	if s.IPProtocol != 0 {
		proto = strconv.Itoa(int(s.IPProtocol))
	}
	ports := "any"
	if !(s.StartPort == 0 && s.EndPort == 65535) {
		ports = strconv.Itoa(int(s.StartPort))
		if s.EndPort != s.StartPort {
			ports += "-" + strconv.Itoa(int(s.EndPort))
		}
	}
	return addr + " proto " + proto + " port " + ports
}

// MethodName is the IKEv2 authentication method's name.
func (a *Auth) MethodName() string { return nameOr(authMethodNameV2(a.Method), "AUTH", int(a.Method)) }

// EncodingName is the certificate encoding's name.
func (c *Certificate) EncodingName() string {
	return nameOr(certEncodingName(c.Encoding), "ENCODING", int(c.Encoding))
}
