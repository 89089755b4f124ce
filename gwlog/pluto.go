package gwlog

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// pluto (libreswan) writes "Nov 27 12:29:26.751768: " to its own log file,
// "pluto[123]: " in syslog, then for most messages the connection and the
// state serial: "\"lab\" #2: ...". IKE SA and child SA states have their own
// serials. At the default level it names the messages it sent ("sent Main
// Mode R1") but not their sizes; with debugging ("| " lines) it prints the
// packets.
var (
	rePlutoConn     = lazyRegexp(`^(?:ERROR: |WARNING: )?"([^"]+)"(?:\[\d+\])?(?: [0-9a-fA-F.:]+)?(?: #(\d+))?: (.*)$`)
	rePlutoPropItem = lazyRegexp(`^\s+\d+:(?:IKE|ESP|AH)[=:]`)
	rePlutoPacketF  = lazyRegexp(`^(?:ERROR: )?packet from (\S+): (.*)$`)
	rePlutoSentMsg  = lazyRegexp(`^sent (Main Mode|Aggressive Mode|Quick Mode|IKE_SA_INIT|IKE_AUTH|CREATE_CHILD_SA|INFORMATIONAL)(?: (request|reply|response|[IR]\d))?`)
	rePlutoRecvMsg  = lazyRegexp(`^processing (?:decrypted )?(IKE_SA_INIT|IKE_AUTH|CREATE_CHILD_SA|INFORMATIONAL) (request|response)`)
	rePlutoRespond  = lazyRegexp(`^responding to (Main|Aggressive|Quick) Mode`)
	// libreswan 4 refusing an IKEv2 request outright: "responding to
	// IKE_SA_INIT message (ID 0) from 198.18.1.1:500 with unencrypted
	// notification NO_PROPOSAL_CHOSEN".
	rePlutoRefuseV2 = lazyRegexp(`^responding to (IKE_SA_INIT|IKE_AUTH|CREATE_CHILD_SA|INFORMATIONAL) message \(ID (\d+)\) from (\S+) with (?:unencrypted |encrypted )?notification ([A-Z][A-Z0-9_]+)`)
	rePlutoInit     = lazyRegexp(`^initiating (?:Main Mode|Aggressive Mode|IKEv2|IKE SA|Quick Mode)|^initiating IKEv[12] connection`)
	rePlutoSendN    = lazyRegexp(`sending (?:encrypted )?notification ([A-Z][A-Z0-9_]+)`)
	rePlutoRecvN    = lazyRegexp(`(?:received|ignoring informational payload|rejected by peer:|rejected Child SA with) (?:encrypted )?(?:notification |Notify Payload )?([A-Z][A-Z0-9_]{3,})`)
	rePlutoSendPk   = lazyRegexp(`sending (\d+) bytes for .* from (\S+) to (\S+)`)
	rePlutoRecvPk   = lazyRegexp(`\*received (\d+) bytes from (\S+) on \S+ \((\S+)\)`)
)

var plutoExchanges = map[string]isakmp.ExchangeType{
	"Main Mode": isakmp.ExchangeV1Main, "Aggressive Mode": isakmp.ExchangeV1Aggressive,
	"Quick Mode": isakmp.ExchangeV1Quick, "Main": isakmp.ExchangeV1Main,
	"Aggressive": isakmp.ExchangeV1Aggressive, "Quick": isakmp.ExchangeV1Quick,
	"IKE_SA_INIT": isakmp.ExchangeIKESAInit, "IKE_AUTH": isakmp.ExchangeIKEAuth,
	"CREATE_CHILD_SA": isakmp.ExchangeCreateChildSA, "INFORMATIONAL": isakmp.ExchangeInformational,
}

type plutoState struct {
	sides       map[int]Side
	established bool
	exchange    isakmp.ExchangeType
	// adding is the connection whose proposals pluto lists as it adds it
	// ("IKE SA proposals (connection add):", one line per proposal), and
	// addingChild whether the list is of child SA proposals.
	adding      *Config
	addingChild bool
}

func newPlutoState() *plutoState { return &plutoState{sides: map[int]Side{}} }

var plutoTags = map[string]bool{"pluto": true, "ipsec": true, "libreswan": true}

// line recognises a pluto line and emits an event when it says something.
func (s *plutoState) line(p *parser, h header, body string) bool {
	e := Event{Format: FormatPluto, Thread: -1}
	msg := body
	switch m := rePlutoConn().FindStringSubmatch(body); {
	case m != nil:
		e.Conn = m[1]
		e.ConnID = atoi(m[2])
		msg = m[3]
		if strings.HasPrefix(body, "ERROR: ") {
			msg = "ERROR: " + msg
		}
	case rePlutoPacketF().MatchString(body):
	case h.micro || plutoTags[h.tag]:
	case strings.HasPrefix(body, "| ") && p.counts[FormatPluto] > 0:
	default:
		return false
	}
	h.stamped(&e)
	e.Text = msg
	if s.connectionAdd(p, &e, msg) {
		return true
	}
	if s.parse(&e, msg) || notable(msg) {
		if len(s.sides) > 4096 {
			clear(s.sides)
		}
		p.emit(e)
	}
	return true
}

// connectionAdd reads the proposals pluto lists when it adds a
// connection into a Config, kept when the connection is added.
func (s *plutoState) connectionAdd(p *parser, e *Event, msg string) bool {
	switch {
	case e.Conn == "":
		return false
	case msg == "IKE SA proposals (connection add):" || msg == "Child SA proposals (connection add):":
		if s.adding == nil || s.adding.Conn != e.Conn {
			s.adding = &Config{Conn: e.Conn, Line: p.log.Lines, Time: e.Time}
		}
		s.addingChild = strings.HasPrefix(msg, "Child")
		return true
	case s.adding != nil && s.adding.Conn == e.Conn && strings.HasPrefix(msg, "  ") && rePlutoPropItem().MatchString(msg):
		v := strings.TrimSpace(msg)
		if s.addingChild {
			if len(s.adding.Children) == 0 {
				s.adding.Children = append(s.adding.Children, ChildConfig{Name: e.Conn})
			}
			c := &s.adding.Children[0]
			if len(c.Proposals) < maxSettingValues {
				c.Proposals = append(c.Proposals, v)
			}
		} else if len(s.adding.Proposals) < maxSettingValues {
			s.adding.Proposals = append(s.adding.Proposals, v)
		}
		return true
	case s.adding != nil && strings.HasPrefix(msg, "added IKEv"):
		p.keepConfig(s.adding)
		s.adding = nil
	}
	return false
}

func (s *plutoState) parse(e *Event, msg string) bool {
	interesting := false
	if st := plutoSetting(msg); st != nil {
		e.Setting = st
		interesting = true
	}
	if m := rePlutoSentMsg().FindStringSubmatch(msg); m != nil {
		x := plutoExchanges[m[1]]
		resp := m[2] == "reply" || m[2] == "response" || strings.HasPrefix(m[2], "R")
		e.Message = &Message{Generated: true, Version: exchangeVersion(x), Exchange: x, Response: resp}
		s.exchange = x
		interesting = true
	}
	if m := rePlutoRecvMsg().FindStringSubmatch(msg); m != nil {
		x := plutoExchanges[m[1]]
		e.Message = &Message{Version: 2, Exchange: x, Response: m[2] == "response"}
		s.exchange = x
		interesting = true
	}
	if m := rePlutoRespond().FindStringSubmatch(msg); m != nil {
		x := plutoExchanges[m[1]]
		e.Message = &Message{Version: 1, Exchange: x}
		s.exchange = x
		if e.ConnID != 0 && x != isakmp.ExchangeV1Quick {
			s.sides[e.ConnID] = SideResponder
		}
		interesting = true
	}
	if m := rePlutoRefuseV2().FindStringSubmatch(msg); m != nil {
		x := plutoExchanges[m[1]]
		id, _ := strconv.ParseUint(m[2], 10, 32)
		e.Message = &Message{Generated: true, Version: 2, Exchange: x, Response: true,
			MessageID: uint32(id), HasMessageID: true, Notifies: []string{m[4]}}
		e.Packet = &Packet{Sent: true, Remote: plutoAddr(m[3])}
		e.Notifies = append(e.Notifies, Notify{Name: m[4], Sent: true})
		s.exchange = x
		if e.ConnID != 0 {
			s.sides[e.ConnID] = SideResponder
		}
		interesting = true
	}
	if rePlutoInit().MatchString(msg) && e.ConnID != 0 {
		s.sides[e.ConnID] = SideInitiator
		interesting = true
	}
	if strings.Contains(msg, "established IKE SA") || strings.Contains(msg, "IKE SA established") || strings.Contains(msg, "ISAKMP SA established") {
		s.established = true
	}
	if m := rePlutoPacketF().FindStringSubmatch(msg); m != nil {
		// "packet from 198.18.1.1:500: ignoring ...": a received packet
		e.Packet = &Packet{Remote: plutoAddr(m[1])}
		interesting = true
	} else if m := rePlutoSendPk().FindStringSubmatch(msg); m != nil {
		e.Packet = &Packet{Sent: true, Local: plutoAddr(m[2]), Remote: plutoAddr(m[3]), Bytes: atoi(m[1])}
		interesting = true
	} else if m := rePlutoRecvPk().FindStringSubmatch(msg); m != nil {
		e.Packet = &Packet{Local: plutoAddr(m[3]), Remote: plutoAddr(m[2]), Bytes: atoi(m[1])}
		interesting = true
	}
	if m := rePlutoSendN().FindStringSubmatch(msg); m != nil {
		e.Notifies = append(e.Notifies, Notify{Name: m[1], Sent: true})
		interesting = true
	} else if m := rePlutoRecvN().FindStringSubmatch(msg); m != nil && !routineNotifies[m[1]] {
		e.Notifies = append(e.Notifies, Notify{Name: m[1]})
		interesting = true
	}
	if e.ConnID != 0 {
		e.Side = s.sides[e.ConnID]
	}
	ctx := causeContext{exchange: s.exchange, established: s.established}
	if match(plutoCauses, nil, msg, ctx, e) {
		interesting = true
	}
	return interesting
}

// plutoAddr reads "198.18.1.1:500" (or "[2001:db8::1]:500").
func plutoAddr(s string) netip.AddrPort {
	s = strings.TrimRight(s, ",.)")
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}
	}
	a, err := netip.ParseAddr(s[:i])
	if err != nil {
		return netip.AddrPort{}
	}
	n, _ := strconv.ParseUint(s[i+1:], 10, 16)
	return netip.AddrPortFrom(a, uint16(n))
}
