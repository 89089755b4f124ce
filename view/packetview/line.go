package packetview

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Line is the one-line summary of a packet:
//
//	frame  time  src:port → dst:port  what
//
// with the IKE version, exchange, message ID, role, SPIs and payload list for
// IKE, and the SPI and sequence number for ESP.
func Line(p *decode.Packet, t0 time.Time) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%5d %10.6f %s → %s ", p.Frame, p.Time.Sub(t0).Seconds(), endpoint(p.Src), endpoint(p.Dst))
	sb.WriteString(what(p))
	if d := p.Decrypted; d != nil {
		switch {
		case !d.OK:
			sb.WriteString(" (not decrypted: " + d.Reason + ")")
		case d.Inner != nil:
			fmt.Fprintf(&sb, " → %s → %s proto %d", d.Inner.Src, d.Inner.Dst, d.Inner.Protocol)
			if c := d.Inner.IPComp; c != nil {
				sb.WriteString(" " + IPCompText(c, d.Inner.Length))
			}
			if d.Reason != "" { // what the inner packet holds, e.g. nested ESP
				sb.WriteString(" (" + d.Reason + ")")
			}
		default:
			sb.WriteString(" → " + isakmp.SummaryOf(d.Payloads))
			for _, pl := range d.Payloads {
				if n, ok := pl.Body.(*isakmp.Notify); ok && n.IsError() {
					sb.WriteString(" " + n.Name())
				}
			}
		}
	}
	if p.Fragments != nil {
		sb.WriteString(" (reassembled from frames " + joinInts(p.Fragments) + ")")
	}
	if p.Truncated {
		sb.WriteString(" [truncated by snaplen]")
	}
	return sb.String()
}

// endpoint is "addr:port", or the address alone for raw ESP and ICMP,
// which have no ports.
func endpoint(ap netip.AddrPort) string {
	if ap.Port() == 0 {
		return ap.Addr().String()
	}
	return ap.String()
}

func what(p *decode.Packet) string {
	switch p.Kind {
	case decode.KindIKE:
		return ikeLine(p)
	case decode.KindESP:
		if p.ESP.NoSeq && p.Truncated {
			if p.ESP.SPI == 0 {
				return "ESP (header not captured)"
			}
			return fmt.Sprintf("ESP SPI=0x%08x (sequence not captured)", p.ESP.SPI)
		}
		s := fmt.Sprintf("ESP SPI=0x%08x seq=%d len=%d", p.ESP.SPI, p.ESP.Seq, p.ESP.PayloadLen)
		if p.UDPEncapsulated {
			s += " (UDP-encap)"
		}
		return s
	case decode.KindNATKeepalive:
		return "NAT-keepalive"
	case decode.KindICMPError:
		q := p.ICMP.Quoted
		return fmt.Sprintf("ICMP %s, quoting %s → %s %s", p.ICMP.Description(), endpoint(q.Src), endpoint(q.Dst), what(q))
	}
	return "?"
}

func ikeLine(p *decode.Packet) string {
	m := p.IKE
	if m == nil || m.Version == 0 && m.Length == 0 {
		return "ISAKMP (unreadable)"
	}
	var sb strings.Builder
	switch m.MajorVersion() {
	case 1:
		sb.WriteString("IKEv1 ")
	case 2:
		sb.WriteString("IKEv2 ")
	default:
		fmt.Fprintf(&sb, "ISAKMP v%d.%d ", m.MajorVersion(), m.MinorVersion())
	}
	sb.WriteString(m.Exchange.String())
	fmt.Fprintf(&sb, " MID=%d", m.MessageID)
	if m.MajorVersion() == 2 {
		if m.IsInitiator() {
			sb.WriteString(" Initiator")
		} else {
			sb.WriteString(" Responder")
		}
		if m.IsResponse() {
			sb.WriteString(" Response")
		} else {
			sb.WriteString(" Request")
		}
	} else if m.IsEncrypted() {
		sb.WriteString(" E")
	}
	fmt.Fprintf(&sb, " %s/%s %s", m.InitiatorSPI, m.ResponderSPI, m.Summary())
	if _, n, ok := m.EncryptedBody(); ok {
		fmt.Fprintf(&sb, " enc=%dB", n)
	}
	var notes []string
	for _, n := range m.Notifies() {
		if !n.IsError() && n.Type != isakmp.NotifyV2Cookie {
			continue
		}
		s := n.Name()
		if d := n.Detail(); d != "" && n.Type != isakmp.NotifyV2Cookie {
			s += " (" + d + ")"
		}
		notes = append(notes, s)
	}
	if len(notes) > 0 {
		sb.WriteString(" " + strings.Join(notes, ", "))
	}
	return sb.String()
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// IPCompText describes an IPComp header and what became of its payload:
// "(IPComp DEFLATE CPI 0x5678, 140 → 1024 bytes)". length is the inner
// packet's.
func IPCompText(c *decode.IPComp, length int) string {
	alg := c.Algorithm
	if alg == "" {
		alg = "unknown algorithm"
	}
	if c.Inflated {
		return fmt.Sprintf("(IPComp %s CPI 0x%04x, %d → %d bytes)", alg, c.CPI, c.Compressed, length)
	}
	return fmt.Sprintf("(IPComp %s CPI 0x%04x, %d bytes compressed)", alg, c.CPI, c.Compressed)
}
