package packetview

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Describe is the full description of a packet, the JSON object of --json.
// t0 is the capture's first timestamp, for the relative time.
func Describe(p *decode.Packet, t0 time.Time) Obj {
	o := Obj{
		{"frame", p.Frame},
		{"time", p.Time.UTC().Format(time.RFC3339Nano)},
		{"rel", p.Time.Sub(t0).Seconds()},
		{"kind", kindName(p.Kind)},
		{"src", p.Src.Addr().String()},
		{"dst", p.Dst.Addr().String()},
	}
	if p.Src.Port() != 0 || p.Dst.Port() != 0 {
		o.add("sport", p.Src.Port())
		o.add("dport", p.Dst.Port())
	}
	if p.UDPEncapsulated {
		o.add("udp_encap", true)
	}
	o.add("length", p.Length)
	if p.Fragments != nil {
		o.add("fragments", p.Fragments)
	}
	if p.Truncated {
		o.add("truncated", true)
	}
	switch p.Kind {
	case decode.KindIKE:
		o = append(o, describeIKE(p.IKE)...)
	case decode.KindESP:
		o = append(o, describeESP(p)...)
	case decode.KindICMPError:
		o.add("icmp", Obj{
			{"type", p.ICMP.Type},
			{"code", p.ICMP.Code},
			{"description", p.ICMP.Description()},
			{"quoted", Describe(p.ICMP.Quoted, t0)},
		})
	}
	if d := p.Decrypted; d != nil {
		do := Obj{{"ok", d.OK}}
		if !d.OK {
			do.add("reason", d.Reason)
		}
		if len(d.Payloads) > 0 {
			do.add("summary", isakmp.SummaryOf(d.Payloads))
			var pls []Obj
			for i := range d.Payloads {
				pls = append(pls, describePayload(&d.Payloads[i]))
			}
			do.add("payloads", pls)
		}
		if in := d.Inner; in != nil {
			io := Obj{{"src", in.Src.String()}, {"dst", in.Dst.String()}, {"protocol", in.Protocol}}
			if in.SrcPort != 0 || in.DstPort != 0 {
				io = append(io, KV{"sport", in.SrcPort}, KV{"dport", in.DstPort})
			}
			io.add("length", in.Length)
			if c := in.IPComp; c != nil {
				co := Obj{{"cpi", fmt.Sprintf("%04x", c.CPI)}}
				if c.Algorithm != "" {
					co.add("algorithm", c.Algorithm)
				}
				co.add("compressed_length", c.Compressed)
				co.add("inflated", c.Inflated)
				io.add("ipcomp", co)
			}
			if d.Reason != "" {
				io.add("note", d.Reason)
			}
			do.add("inner", io)
		}
		o.add("decrypted", do)
	}
	if len(p.Problems) > 0 {
		var probs []Obj
		for _, pr := range p.Problems {
			po := Obj{{"offset", pr.Offset}, {"reason", pr.Reason}}
			if pr.InReassembled {
				po.add("in_reassembled", true)
			}
			probs = append(probs, po)
		}
		o.add("problems", probs)
	}
	return o
}

func kindName(k decode.Kind) string {
	switch k {
	case decode.KindIKE:
		return "ike"
	case decode.KindESP:
		return "esp"
	case decode.KindNATKeepalive:
		return "nat_keepalive"
	case decode.KindICMPError:
		return "icmp_error"
	}
	return "unknown"
}

func describeESP(p *decode.Packet) Obj {
	o := Obj{{"spi", fmt.Sprintf("%08x", p.ESP.SPI)}}
	if !p.ESP.NoSeq {
		o.add("seq", p.ESP.Seq)
	}
	o.add("esp_payload_length", p.ESP.PayloadLen)
	return o
}

func describeIKE(m *isakmp.Message) Obj {
	if m == nil {
		return nil
	}
	o := Obj{
		{"ispi", m.InitiatorSPI.String()},
		{"rspi", m.ResponderSPI.String()},
		{"version", m.MajorVersion()},
		{"version_minor", m.MinorVersion()},
		{"exchange", Obj{{"number", int(m.Exchange)}, {"name", m.Exchange.String()}}},
		{"message_id", m.MessageID},
		{"flags", flagList(m)},
	}
	if m.MajorVersion() == 2 {
		o.add("initiator", m.IsInitiator())
		o.add("response", m.IsResponse())
	}
	o.add("ike_length", m.Length)
	notifies := []Obj{}
	for _, n := range m.Notifies() {
		notifies = append(notifies, Obj{{"type", int(n.Type)}, {"name", n.Name()}})
	}
	o.add("notifies", notifies)
	o.add("summary", m.Summary())
	payloads := []Obj{}
	for i := range m.Payloads {
		payloads = append(payloads, describePayload(&m.Payloads[i]))
	}
	o.add("payloads", payloads)
	if m.Encrypted != nil {
		o.add("encrypted", Obj{
			{"first_payload", payloadRef(m.Encrypted.FirstPayload)},
			{"length", m.Encrypted.Length},
		})
	}
	if m.Truncated {
		o.add("ike_truncated", true)
	}
	return o
}

func flagList(m *isakmp.Message) []string {
	if f := m.FlagNames(); f != nil {
		return f
	}
	return []string{}
}

func payloadRef(t isakmp.PayloadType) Obj {
	return Obj{{"type", int(t)}, {"name", t.Abbrev()}}
}

func describePayload(p *isakmp.Payload) Obj {
	o := Obj{{"type", int(p.Type)}, {"name", p.Type.Abbrev()}, {"length", p.Length}}
	if p.Critical {
		o.add("critical", true)
	}
	switch b := p.Body.(type) {
	case *isakmp.SA:
		if b.DOI != 0 || b.Situation != 0 {
			o.add("doi", b.DOI)
			o.add("situation", b.Situation)
		}
		var props []Obj
		for _, pr := range b.Proposals {
			props = append(props, describeProposal(&pr))
		}
		o.add("proposals", props)
	case *isakmp.KeyExchange:
		if p.Type == isakmp.PayloadV2KE {
			o.add("group", Obj{{"number", b.Group}, {"name", isakmp.DHGroupName(b.Group)}})
		}
		o.add("data_length", b.DataLength)
	case *isakmp.Identification:
		o.add("id_type", Obj{{"number", b.IDType}, {"name", b.TypeName()}})
		o.add("value", b.Value())
		if b.Version == 1 {
			o.add("protocol", b.ProtocolID)
			o.add("port", b.Port)
		}
	case *isakmp.Certificate:
		o.add("encoding", Obj{{"number", b.Encoding}, {"name", b.EncodingName()}})
		o.add("data_length", len(b.Data))
	case *isakmp.Hash:
		o.add("data", hex.EncodeToString(b.Data))
	case *isakmp.Auth:
		o.add("method", Obj{{"number", b.Method}, {"name", b.MethodName()}})
		o.add("data_length", len(b.Data))
	case *isakmp.Nonce:
		o.add("data_length", len(b.Data))
		o.add("data", hex.EncodeToString(b.Data))
	case *isakmp.Notify:
		o.add("notify_type", int(b.Type))
		o.add("notify_name", b.Name())
		o.add("error", b.IsError())
		o.add("protocol", int(b.Protocol))
		if len(b.SPI) > 0 {
			o.add("spi", hex.EncodeToString(b.SPI))
		}
		if len(b.Data) > 0 {
			o.add("data", hex.EncodeToString(b.Data))
		}
		if d := b.Detail(); d != "" {
			o.add("detail", d)
		}
	case *isakmp.Delete:
		o.add("protocol", Obj{{"number", int(b.Protocol)}, {"name", b.Protocol.String()}})
		spis := []string{}
		for _, s := range b.SPIs {
			spis = append(spis, hex.EncodeToString(s))
		}
		o.add("spis", spis)
	case *isakmp.VendorID:
		o.add("data", hex.EncodeToString(b.Data))
		if b.Name != "" {
			o.add("vendor", b.Name)
		}
	case *isakmp.Config:
		o.add("cfg_type", b.Type)
		if p.Type == isakmp.PayloadV1Attributes {
			o.add("identifier", b.Identifier)
		}
		o.add("attributes", describeAttributes(b.Attributes))
	case *isakmp.NATDiscovery:
		o.add("hash", hex.EncodeToString(b.Hash))
	case *isakmp.NATOriginalAddress:
		if b.Addr.IsValid() {
			o.add("address", b.Addr.String())
		}
	case *isakmp.TrafficSelectors:
		var sels []Obj
		for _, s := range b.Selectors {
			so := Obj{{"ts_type", s.Type}, {"ip_protocol", s.IPProtocol}}
			if s.Start.IsValid() {
				so = append(so, KV{"start", s.Start.String()}, KV{"end", s.End.String()},
					KV{"start_port", s.StartPort}, KV{"end_port", s.EndPort})
			}
			so.add("text", s.String())
			sels = append(sels, so)
		}
		o.add("selectors", sels)
	case *isakmp.Encrypted:
		o.add("first_payload", payloadRef(b.FirstPayload))
		o.add("encrypted_length", b.Length)
	case *isakmp.EncryptedFragment:
		o.add("fragment_number", b.Number)
		o.add("fragment_total", b.Total)
		if b.FirstPayload != isakmp.PayloadNone {
			o.add("first_payload", payloadRef(b.FirstPayload))
		}
		o.add("encrypted_length", b.Length)
	case *isakmp.EAP:
		o.add("eap_code", b.Code)
		o.add("eap_identifier", b.Identifier)
		if b.Type != 0 {
			o.add("eap_type", b.Type)
		}
	case *isakmp.CiscoFragment:
		o.add("fragment_id", b.ID)
		o.add("fragment_number", b.Number)
		o.add("last", b.Last)
	case *isakmp.Raw:
		o.add("data_length", len(b.Data))
	}
	return o
}

func describeProposal(pr *isakmp.Proposal) Obj {
	o := Obj{
		{"number", pr.Number},
		{"protocol", Obj{{"number", int(pr.Protocol)}, {"name", pr.Protocol.String()}}},
	}
	if len(pr.SPI) > 0 {
		o.add("spi", hex.EncodeToString(pr.SPI))
	}
	var ts []Obj
	for i := range pr.Transforms {
		t := &pr.Transforms[i]
		to := Obj{}
		if t.Version == 2 {
			to.add("transform_type", Obj{{"number", t.Type}, {"name", t.TypeName()}})
		} else {
			to.add("number", t.Number)
		}
		to.add("id", Obj{{"number", t.ID}, {"name", t.Name()}})
		if len(t.Attributes) > 0 {
			to.add("attributes", describeAttributes(t.Attributes))
		}
		to.add("text", t.String())
		ts = append(ts, to)
	}
	o.add("transforms", ts)
	return o
}

func describeAttributes(attrs []isakmp.Attribute) []Obj {
	out := []Obj{}
	for i := range attrs {
		a := &attrs[i]
		ao := Obj{{"type", a.Type}, {"name", a.Name()}}
		if a.Short || len(a.Data) <= 8 {
			ao.add("value", a.Value)
		}
		if v := a.ValueName(); v != "" {
			ao.add("value_name", v)
		}
		if !a.Short && len(a.Data) > 0 {
			ao.add("data", hex.EncodeToString(a.Data))
		}
		out = append(out, ao)
	}
	return out
}
