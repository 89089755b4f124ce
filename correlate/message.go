package correlate

import (
	"encoding/binary"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// ikeHeaderLen is the length of the ISAKMP header (RFC 2408 §3.1, RFC 7296 §3.1).
const ikeHeaderLen = 28

// newMessage copies what the correlation needs out of a packet: the
// header, and the facts of the payloads in clear.
func newMessage(p *decode.Packet) *Message {
	m := p.IKE
	// The header's hash is where the whole message's starts.
	h := fnv.New64a()
	n := min(len(m.Raw), ikeHeaderLen)
	h.Write(m.Raw[:n])
	head := h.Sum64()
	h.Write(m.Raw[n:])
	msg := &Message{
		Frames: []int{p.Frame}, Times: []time.Time{p.Time}, Sent: 1,
		Src: p.Src, Dst: p.Dst,
		MessageID: m.MessageID, Exchange: m.Exchange, Length: int(m.Length),
		Summary:         m.Summary(),
		IPFragmented:    p.Fragments != nil,
		UDPEncapsulated: p.UDPEncapsulated,
		hash:            h.Sum64(),
		head:            head,
		cut:             len(m.Raw) < int(m.Length),
	}
	if m.MajorVersion() == 2 {
		msg.Response = m.IsResponse()
	}
	msg.noResponderSPI = m.ResponderSPI.IsZero()
	if len(m.Payloads) > 0 && m.Payloads[0].Type == isakmp.PayloadV1SA && m.MajorVersion() == 1 {
		msg.clearSA = true
	}
	if first, _, ok := m.EncryptedBody(); ok {
		msg.Encrypted, msg.FirstInner = true, first
	}
	msg.takePayloads(m.Payloads, false, false)
	return msg
}

// takePayloads takes the facts of payloads, in clear or decrypted: notifies
// (and what they tell of the SAs' life), identities, traffic selectors,
// proposals with their SPIs and PFS group, key exchange, deletes.
// quickMode: IKEv1 Quick Mode, whose ID payloads are the protected flows.
func (msg *Message) takePayloads(pls []isakmp.Payload, decrypted, quickMode bool) {
	idCount := 0
	for _, pl := range pls {
		switch b := pl.Body.(type) {
		case *isakmp.Notify:
			msg.Notifies = append(msg.Notifies, Notify{Type: b.Type, Name: b.Name(), Error: b.IsError(), Detail: b.Detail(),
				AcceptedGroup: b.AcceptedGroup, Decrypted: decrypted})
			msg.takeNotify(b)
		case *isakmp.KeyExchange:
			msg.HasKE = msg.HasKE || decrypted
			if pl.Type == isakmp.PayloadV2KE && msg.KEGroup == 0 {
				msg.KEGroup = b.Group
			}
		case *isakmp.EncryptedFragment:
			msg.IKEFragments = int(b.Total)
		case *isakmp.Delete:
			msg.Deletes = append(msg.Deletes, deletion(b))
		case *isakmp.Identification:
			// In Quick Mode the IDs are the protected flows (IDci, IDcr);
			// in phase 1 the identities, in clear in Aggressive Mode.
			if quickMode {
				name := "IDci"
				if idCount > 0 {
					name = "IDcr"
				}
				msg.TS = append(msg.TS, name+" "+b.Value()+protoPort(b))
				idCount++
				continue
			}
			msg.IDs = append(msg.IDs, pl.Type.Abbrev()+" "+b.String())
		case *isakmp.TrafficSelectors:
			if decrypted {
				for _, ts := range b.Selectors {
					msg.TS = append(msg.TS, pl.Type.Abbrev()+" "+ts.String())
				}
			}
		case *isakmp.SA:
			if decrypted {
				msg.takeProposals(b)
			}
		}
	}
}

// takeNotify notes what a notify tells of the SAs' life.
func (msg *Message) takeNotify(n *isakmp.Notify) {
	if n.Version == 1 {
		if n.Type == isakmp.NotifyV1InitialContact {
			msg.InitialContact = true
		}
		return
	}
	switch n.Type {
	case isakmp.NotifyV2InitialContact:
		msg.InitialContact = true
	case isakmp.NotifyV2RekeySA:
		if len(n.SPI) == 4 {
			msg.RekeySPI = binary.BigEndian.Uint32(n.SPI)
		}
	case isakmp.NotifyV2IPCompSupported:
		if cpi, ids, ok := n.IPCompSupported(); ok && msg.CPI == 0 {
			msg.CPI, msg.IPComp = cpi, ids[0]
		}
	case isakmp.NotifyV2Redirect:
		msg.Redirected = true
		msg.Redirect, _ = n.RedirectGateway()
	case isakmp.NotifyV2RedirectedFrom:
		msg.Redirected = true
	}
}

// takeProposals takes the SA proposals carried encrypted (phase 2 and IKE
// SA rekeys): transforms, the child SPIs they name, the PFS group, and the
// new IKE SPI of an IKE SA rekey.
func (msg *Message) takeProposals(b *isakmp.SA) {
	for _, pr := range b.Proposals {
		var ts, suite []string
		for i := range pr.Transforms {
			t := &pr.Transforms[i]
			ts = append(ts, t.String())
			if t.Version == 2 && t.Type == isakmp.TransformKE {
				if t.ID != 0 && msg.PFS == 0 {
					msg.PFS = t.ID
				}
			} else {
				suite = append(suite, t.String())
			}
			for _, a := range t.Attributes {
				if t.Version == 1 && a.Space == isakmp.SpaceV1IPsec && a.Type == isakmp.AttrV1IPsecGroup && msg.PFS == 0 {
					msg.PFS = uint16(a.Value)
				}
			}
		}
		msg.Proposals = append(msg.Proposals, ts)
		msg.Suites = append(msg.Suites, suite)
		switch {
		case (pr.Protocol == isakmp.ProtocolESP || pr.Protocol == isakmp.ProtocolAH) && len(pr.SPI) == 4:
			msg.ChildSPIs = append(msg.ChildSPIs, binary.BigEndian.Uint32(pr.SPI))
		case pr.Protocol == isakmp.ProtocolIPComp && (len(pr.SPI) == 2 || len(pr.SPI) == 4) && msg.CPI == 0:
			// RFC 2407 §4.4.1: the CPI, in a 2-byte SPI field or the low
			// half of a 4-byte one
			msg.CPI = binary.BigEndian.Uint16(pr.SPI[len(pr.SPI)-2:])
			if len(pr.Transforms) > 0 {
				msg.IPComp = uint8(pr.Transforms[0].ID)
			}
		case pr.Protocol == isakmp.ProtocolISAKMP && len(pr.SPI) == 8 && msg.NewIKESPI.IsZero():
			msg.NewIKESPI = isakmp.SPI(pr.SPI)
		}
	}
}

// deletion reads a delete payload.
func deletion(d *isakmp.Delete) Deletion {
	del := Deletion{Protocol: d.Protocol}
	if d.Protocol == isakmp.ProtocolESP || d.Protocol == isakmp.ProtocolAH {
		for _, spi := range d.SPIs {
			if len(spi) == 4 {
				del.SPIs = append(del.SPIs, binary.BigEndian.Uint32(spi))
			}
		}
	}
	return del
}

func protoPort(id *isakmp.Identification) string {
	if id.ProtocolID == 0 && id.Port == 0 {
		return ""
	}
	return " proto " + strconv.Itoa(int(id.ProtocolID)) + " port " + strconv.Itoa(int(id.Port))
}

// absorb takes into a message what decryption with the user's keys
// revealed: the exact notifies, identities and traffic selectors, phase-2
// proposals with their SPIs and PFS group, and deletes. Everything taken
// from here is marked as decrypted in the views.
func (msg *Message) absorb(d *decode.Decrypted, quickMode bool) {
	if d == nil {
		return
	}
	if !d.OK {
		if !msg.Decrypted {
			msg.DecryptFailure = d.Reason
		}
		return
	}
	if msg.Decrypted {
		return // a copy of what the message already holds
	}
	msg.Decrypted, msg.DecryptFailure = true, ""
	msg.Inner = isakmp.SummaryOf(d.Payloads)
	msg.takePayloads(d.Payloads, true, quickMode)
}

// absorbMessage takes into m what decryption revealed in another copy or
// part of it (a retransmission that decrypted where the first did not, the
// last IKEv2 fragment, which completes the message).
func (m *Message) absorbMessage(from *Message) {
	if !from.Decrypted {
		if from.DecryptFailure != "" && !m.Decrypted {
			m.DecryptFailure = from.DecryptFailure
		}
		return
	}
	if m.Decrypted {
		return
	}
	m.Decrypted, m.DecryptFailure, m.Inner = true, "", from.Inner
	for _, n := range from.Notifies {
		if n.Decrypted {
			m.Notifies = append(m.Notifies, n)
		}
	}
	m.IDs = append(m.IDs, from.IDs...)
	m.TS = append(m.TS, from.TS...)
	m.Proposals = append(m.Proposals, from.Proposals...)
	m.Suites = append(m.Suites, from.Suites...)
	m.ChildSPIs = append(m.ChildSPIs, from.ChildSPIs...)
	m.Deletes = append(m.Deletes, from.Deletes...)
	m.PFS, m.HasKE = max(m.PFS, from.PFS), m.HasKE || from.HasKE
	if m.KEGroup == 0 {
		m.KEGroup = from.KEGroup
	}
	if m.RekeySPI == 0 {
		m.RekeySPI = from.RekeySPI
	}
	if m.CPI == 0 {
		m.CPI, m.IPComp = from.CPI, from.IPComp
	}
	if m.NewIKESPI.IsZero() {
		m.NewIKESPI = from.NewIKESPI
	}
	m.InitialContact = m.InitialContact || from.InitialContact
}
