package correlate

import (
	"encoding/binary"
	"strconv"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// addDecrypted takes what decryption revealed into a message: the exact
// notifies, identities and traffic selectors, phase-2 proposals with their
// SPIs and PFS group, and deletes. Everything taken from here is marked as
// decrypted in the views.
func (c *Correlator) addDecrypted(sa *IKESA, msg *Message, p *decode.Packet) {
	d := p.Decrypted
	if d == nil {
		return
	}
	if !d.OK {
		msg.DecryptFailure = d.Reason
		return
	}
	msg.Decrypted = true
	msg.Inner = isakmp.SummaryOf(d.Payloads)
	v1QM := p.IKE.MajorVersion() == 1 && p.IKE.Exchange == isakmp.ExchangeV1Quick
	idCount := 0
	for _, pl := range d.Payloads {
		switch b := pl.Body.(type) {
		case *isakmp.Notify:
			msg.Notifies = append(msg.Notifies, Notify{Type: b.Type, Name: b.Name(), Error: b.IsError(), Detail: b.Detail(),
				AcceptedGroup: b.AcceptedGroup, Decrypted: true})
		case *isakmp.Identification:
			// In Quick Mode the IDs are the protected flows (IDci, IDcr).
			if v1QM {
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
			for _, ts := range b.Selectors {
				msg.TS = append(msg.TS, pl.Type.Abbrev()+" "+ts.String())
			}
		case *isakmp.SA:
			for _, pr := range b.Proposals {
				var ts []string
				for i := range pr.Transforms {
					t := &pr.Transforms[i]
					ts = append(ts, t.String())
					if t.Version == 2 && t.Type == 4 && t.ID != 0 && msg.PFS == 0 {
						msg.PFS = t.ID
					}
					for _, a := range t.Attributes {
						if t.Version == 1 && a.Space == isakmp.SpaceV1IPsec && a.Type == 3 && msg.PFS == 0 {
							msg.PFS = uint16(a.Value)
						}
					}
				}
				msg.Proposals = append(msg.Proposals, ts)
				if (pr.Protocol == isakmp.ProtocolESP || pr.Protocol == isakmp.ProtocolAH) && len(pr.SPI) == 4 {
					msg.ChildSPIs = append(msg.ChildSPIs, binary.BigEndian.Uint32(pr.SPI))
				}
			}
		case *isakmp.KeyExchange:
			msg.HasKE = true
			if pl.Type == isakmp.PayloadV2KE && msg.KEGroup == 0 {
				msg.KEGroup = b.Group
			}
		case *isakmp.Delete:
			if b.Protocol == isakmp.ProtocolISAKMP {
				sa.DeleteFrames = appendEvidence(sa.DeleteFrames, p.Frame)
			}
		}
	}
}

func protoPort(id *isakmp.Identification) string {
	if id.ProtocolID == 0 && id.Port == 0 {
		return ""
	}
	return " proto " + strconv.Itoa(int(id.ProtocolID)) + " port " + strconv.Itoa(int(id.Port))
}

// absorbDecrypted takes into m what decryption revealed in a later part of
// it (the last IKEv2 fragment, which completes the message).
func (m *Message) absorbDecrypted(from *Message) {
	if !from.Decrypted {
		if from.DecryptFailure != "" && !m.Decrypted {
			m.DecryptFailure = from.DecryptFailure
		}
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
	m.ChildSPIs = append(m.ChildSPIs, from.ChildSPIs...)
	m.PFS, m.HasKE = max(m.PFS, from.PFS), m.HasKE || from.HasKE
	if m.KEGroup == 0 {
		m.KEGroup = from.KEGroup
	}
}
