package correlate

import (
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decode"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// ipcompOffer is a decrypted phase-2 message offering ESP with SPI spi and
// IPComp with CPI cpi: IKEv1 as an IPCOMP proposal beside the ESP one
// (RFC 2407 §4.4.1, a 2-byte CPI), IKEv2 as an IPCOMP_SUPPORTED notify
// (RFC 7296 §3.10.1: CPI, then transform IDs). cpi 0 offers no IPComp.
func ipcompOffer(version int, spi uint32, cpi uint16, ipcompIDs ...uint8) *Message {
	esp := isakmp.Proposal{Number: 1, Protocol: isakmp.ProtocolESP, SPI: []byte{byte(spi >> 24), byte(spi >> 16), byte(spi >> 8), byte(spi)},
		Transforms: []isakmp.Transform{{Version: version, Protocol: isakmp.ProtocolESP, Type: 1, ID: 12}}}
	sa := &isakmp.SA{Proposals: []isakmp.Proposal{esp}}
	pls := []isakmp.Payload{{Type: isakmp.PayloadV1SA, Body: sa}}
	if version == 2 {
		pls[0].Type = isakmp.PayloadV2SA
	}
	if cpi != 0 && version == 1 {
		var ts []isakmp.Transform
		for _, id := range ipcompIDs {
			ts = append(ts, isakmp.Transform{Version: 1, Protocol: isakmp.ProtocolIPComp, ID: uint16(id)})
		}
		sa.Proposals = append(sa.Proposals, isakmp.Proposal{Number: 1, Protocol: isakmp.ProtocolIPComp, SPI: []byte{byte(cpi >> 8), byte(cpi)}, Transforms: ts})
	}
	if cpi != 0 && version == 2 {
		n := &isakmp.Notify{Version: 2, Type: isakmp.NotifyV2IPCompSupported, Data: append([]byte{byte(cpi >> 8), byte(cpi)}, ipcompIDs...)}
		pls = append(pls, isakmp.Payload{Type: isakmp.PayloadV2Notify, Body: n})
	}
	m := &Message{}
	m.takePayloads(pls, true, version == 1)
	return m
}

// TestIPCompNegotiated: the CPIs of IPComp negotiated in IKE are read and
// set beside the ESP SPIs they pair with, as the IKE SA's initiator sees
// them, with the transform agreed; IPComp offered by one side only is not
// agreed.
func TestIPCompNegotiated(t *testing.T) {
	for _, c := range []struct {
		name             string
		version          int
		by               Direction
		reqCPI, respCPI  uint16
		wantIn, wantOut  uint16
		wantAlg          string
		reqSPI, respSPI  uint32
		wantSPIIn, spiOf uint32
	}{
		{"IKEv2 IKE_AUTH", 2, FromInitiator, 0x5678, 0x9abc, 0x5678, 0x9abc, "DEFLATE", 0xc1000001, 0xc2000002, 0xc1000001, 0xc2000002},
		{"IKEv2 rekey by the responder", 2, FromResponder, 0x1111, 0x2222, 0x2222, 0x1111, "DEFLATE", 0xc1000001, 0xc2000002, 0xc2000002, 0xc1000001},
		{"IKEv1 Quick Mode", 1, FromInitiator, 0x4001, 0x4002, 0x4001, 0x4002, "DEFLATE", 0xc1000001, 0xc2000002, 0xc1000001, 0xc2000002},
		{"IKEv2 refused by the responder", 2, FromInitiator, 0x5678, 0, 0, 0, "", 0xc1000001, 0xc2000002, 0xc1000001, 0xc2000002},
		{"none", 1, FromInitiator, 0, 0, 0, 0, "", 0xc1000001, 0xc2000002, 0xc1000001, 0xc2000002},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := ipcompOffer(c.version, c.reqSPI, c.reqCPI, 2, 3)
			resp := ipcompOffer(c.version, c.respSPI, c.respCPI, 2)
			if req.CPI != c.reqCPI || c.reqCPI != 0 && req.IPComp != 2 {
				t.Fatalf("request CPI %04x transform %d", req.CPI, req.IPComp)
			}
			ch := &Child{By: c.by}
			ch.take(req, resp)
			if ch.IPComp != c.wantAlg || ch.CPIIn != c.wantIn || ch.CPIOut != c.wantOut {
				t.Errorf("IPComp %q CPIs %04x/%04x, want %q %04x/%04x", ch.IPComp, ch.CPIIn, ch.CPIOut, c.wantAlg, c.wantIn, c.wantOut)
			}
			if ch.SPIIn != c.wantSPIIn || ch.SPIOut != c.spiOf {
				t.Errorf("SPIs %08x/%08x", ch.SPIIn, ch.SPIOut)
			}
		})
	}
	// a copy that decrypted completes one that did not
	m := &Message{DecryptFailure: "no key"}
	n := &isakmp.Notify{Version: 2, Type: isakmp.NotifyV2IPCompSupported, Data: []byte{0x56, 0x78, 2}}
	m.absorb(&decode.Decrypted{OK: true, Payloads: []isakmp.Payload{{Type: isakmp.PayloadV2Notify, Body: n}}}, false)
	if m.CPI != 0x5678 || m.IPComp != 2 || !m.Decrypted {
		t.Errorf("absorbed CPI %04x/%d", m.CPI, m.IPComp)
	}
}
