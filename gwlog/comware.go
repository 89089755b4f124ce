package gwlog

import (
	"strconv"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Comware (H3C) terminal debugging writes one entry per event: a header
// "*May 21 16:01:53:609 2019 H3C IKE/7/EVENT: -Context=1; ..." whose text
// goes on over the following lines, wrapped at the terminal width, until the
// next header. The device prompt ("<H3C>", "[H3C]") may precede a header or
// start a command line, which ends the entry.
var (
	reComwareHead   = lazyRegexp(`^(?:<[^>]{1,64}>|\[[^\]]{1,64}\])?[*%]?([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d):(\d{3}) (\d{4}) (\S+) ([A-Za-z0-9_]+)/(\d)/([A-Za-z0-9_]+): ?(.*)$`)
	reComwarePrompt = lazyRegexp(`^(?:<[^>]{1,64}>|\[[^\]]{1,64}\])\S`)
	reComwareLocal  = lazyRegexp(`local = (\S+?),? remote = (\S+?)/(\d+)`)
	reComwareRecv   = lazyRegexp(`Received packet from (\S+) source port (\d+) destination port (\d+)`)
	reComwareSend   = lazyRegexp(`Sen[dt] (?:a )?packet to (\S+) source port (\d+) destination port (\d+)`)
	reComwareCookie = lazyRegexp(`I-Cookie: ([0-9a-fA-F]+)\s+R-Cookie: ([0-9a-fA-F]+)`)
	reComwareMode   = lazyRegexp(`exchange mode: (\w+)`)
	reComwareMID    = lazyRegexp(`message ID: ([0-9a-fA-F]+)`)
	reComwareLen    = lazyRegexp(`length: (\d+)`)
	reComwareNotify = lazyRegexp(`[Nn]otif\w*[^A-Z]{0,40}?\b([A-Z]{2,}(?:[-_][A-Z]+)+)\b`)
)

var comwareModes = map[string]isakmp.ExchangeType{
	"Main": isakmp.ExchangeV1Main, "Aggressive": isakmp.ExchangeV1Aggressive,
	"Quick": isakmp.ExchangeV1Quick, "Info": isakmp.ExchangeV1Informational,
	"Informational": isakmp.ExchangeV1Informational,
}

const (
	maxComwareLines = 32
	maxComwareText  = 2048
)

type comwareState struct {
	entry    *Event
	lines    int
	text     strings.Builder
	lastSent bool // the last packet line was a send
}

func (c *comwareState) open() bool { return c.entry != nil }

// header starts an entry when the line is a Comware debugging header.
func (c *comwareState) header(p *parser, s string) bool {
	if len(s) < 30 || !strings.Contains(s, "/") {
		return false
	}
	m := reComwareHead().FindStringSubmatch(s)
	if m == nil || months[m[1]] == 0 {
		return false
	}
	c.flush(p)
	e := &Event{Line: p.log.Lines, Format: FormatComware, Thread: -1, Host: m[8], Subsystem: m[9], HasTime: true, HasDate: true, HasYear: true}
	e.Time = clock(atoi(m[7]), months[m[1]], atoi(m[2]), m[3], m[4], m[5], m[6], e.Time.Location())
	e.Stamp = strings.Join([]string{m[1], m[2], m[3] + ":" + m[4] + ":" + m[5] + ":" + m[6], m[7]}, " ")
	c.entry, c.lines = e, 1
	c.text.Reset()
	c.text.WriteString(strings.TrimSpace(m[12]))
	return true
}

// continuation appends a wrapped line to the open entry; a prompt line ends it.
func (c *comwareState) continuation(p *parser, s string) bool {
	if reComwarePrompt().MatchString(s) {
		c.flush(p)
		return false
	}
	c.lines++
	if c.lines <= maxComwareLines && c.text.Len() < maxComwareText {
		c.text.WriteByte(' ')
		c.text.WriteString(strings.TrimSpace(s))
	}
	return true
}

// flush turns the open entry into an event.
func (c *comwareState) flush(p *parser) {
	e := c.entry
	if e == nil {
		return
	}
	c.entry = nil
	text := c.text.String()
	e.Text = text
	// "-Context=N;" is the same on every line of the guide's excerpts: it
	// is not an IKE SA's identity, so it is left in the text only.
	var local string
	if m := reComwareLocal().FindStringSubmatch(text); m != nil {
		local = m[1]
	}
	if m := reComwareRecv().FindStringSubmatch(text); m != nil {
		e.Packet = &Packet{Remote: addrPort(m[1], m[2]), Local: addrPort(local, m[3])}
		c.lastSent = false
	} else if m := reComwareSend().FindStringSubmatch(text); m != nil {
		e.Packet = &Packet{Sent: true, Remote: addrPort(m[1], m[3]), Local: addrPort(local, m[2])}
		c.lastSent = true
	}
	if m := reComwareCookie().FindStringSubmatch(text); m != nil && len(m[1]) == 16 && len(m[2]) == 16 {
		e.ISPI, e.RSPI, e.HasSPIs = spi(strings.ToLower(m[1])), spi(strings.ToLower(m[2])), true
	}
	if m := reComwareMode().FindStringSubmatch(text); m != nil {
		if x, ok := comwareModes[m[1]]; ok {
			msg := &Message{Generated: c.lastSent, Version: 1, Exchange: x}
			if mm := reComwareMID().FindStringSubmatch(text); mm != nil {
				if v, err := strconv.ParseUint(mm[1], 16, 32); err == nil {
					msg.MessageID, msg.HasMessageID = uint32(v), true
				}
			}
			if ml := reComwareLen().FindStringSubmatch(text); ml != nil {
				msg.Length = atoi(ml[1])
			}
			e.Message = msg
		}
	}
	if m := reComwareNotify().FindStringSubmatch(text); m != nil {
		n := normNotify(m[1])
		sent := strings.Contains(strings.ToLower(text), "send")
		e.Notifies = append(e.Notifies, Notify{Name: n, Sent: sent})
	}
	match(comwareCauses, nil, text, causeContext{}, e)
	e.Setting = comwareSetting(text)
	p.emit(*e)
}
