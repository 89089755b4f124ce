package gwlog

import (
	"encoding/hex"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// charon prefixes each message with the worker thread and the log group
// ("12[NET] "), then optionally the IKE SA name and unique ID
// ("<lab|1> ", with ike_name = yes). Lines of different threads interleave;
// one thread handles one IKE SA at a time (a job), so context is per thread.
var (
	reCharonIKEName = lazyRegexp(`^<([^|>]*)\|(\d+)> (.*)$`)
	reCharonPacket  = lazyRegexp(`^(sending|received) packet: from (\S+)\[(\d+)\] to (\S+)\[(\d+)\](?: \((\d+) bytes\))?`)
	reCharonMsg     = lazyRegexp(`^(parsed|generating) ([A-Z_0-9]+) (request|response) (\d+) \[ ?(.*?) ?\]`)
	reCharonRetx    = lazyRegexp(`^(?:sending )?retransmit \d+ of (request|response) (?:with )?message ID (\d+)`)
	reCharonRecvN   = lazyRegexp(`^received ([A-Z][A-Z0-9_]+) (?:error )?notify`)
	reCharonSendN   = lazyRegexp(`, sending ([A-Z][A-Z0-9_]+)$`)
	reCharonSPIs    = lazyRegexp(`SPIs? ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r`)
	// "CHILD_SA net{1} established with SPIs c1d2e3f4_i c5d6e7f8_o and TS
	// 198.19.1.0/24 === 198.19.2.0/24" ("inbound"/"outbound" in front when
	// a rekey installs the two directions apart)
	reCharonChild  = lazyRegexp(`CHILD_SA \S+ established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o and TS (.+?) === (.+)$`)
	reCharonSA     = lazyRegexp(`IKE_SA (\S+)\[(\d+)\]`)
	reCharonInit   = lazyRegexp(`^initiating (?:Main Mode |Aggressive Mode )?IKE_SA (\S+)\[(\d+)\]`)
	reCharonResp   = lazyRegexp(`is initiating an? (?:Main Mode |Aggressive Mode )?IKE_SA`)
	reCharonEstab  = lazyRegexp(`^IKE_SA \S+\[(\d+)\] established`)
	reCharonGone   = lazyRegexp(`^IKE_SA \S+\[(\d+)\] state change: \S+ => DESTROYING`)
	reCharonProps  = lazyRegexp(`^received proposals: (IKE|ESP|AH):`)
	reCharonNoAcc  = lazyRegexp(`^\s*no acceptable ([A-Z_0-9]+) found`)
	reCharonConfig = lazyRegexp(`^\s*[\w.]+ = `) // the connection dump of "load-conn"
)

type charonThread struct {
	exchange isakmp.ExchangeType // of the last message parsed or generated
	uid      int
	conn     string
	// job lists the events of the thread's current job, to give them the
	// IKE SA unique ID once a later line of the job names it.
	job       []int
	responder bool // the job began "X is initiating an IKE_SA"
	// The current proposal selection.
	proposalKind string
	keOnly       bool
	noAcceptable []int // events to refine when the proposal kind is known
	// dump is the connection being dumped ("load-conn"), list the event
	// whose traffic selector list continues on the next lines (-1: none).
	dump *configDump
	list int
}

type charonState struct {
	// retransmitMID is the message ID of the last request retransmitted:
	// 0 is the first exchange, whose exhaustion means no response at all.
	retransmitMID int64
	// lastSentPort is the remote port of the last packet sent and
	// answeredOn500 is set once a packet came back from port 500: together
	// they tell requests unanswered on the NAT-T port after the peer
	// answered on 500.
	lastSentPort  uint16
	answeredOn500 bool
	threads       map[int]*charonThread
	sides         map[int]Side
	established   map[int]bool
}

func newCharonState() *charonState {
	// established holds the IKE SAs up and not yet destroyed.
	return &charonState{retransmitMID: -1, threads: map[int]*charonThread{}, sides: map[int]Side{}, established: map[int]bool{}}
}

func (c *charonState) thread(id int) *charonThread {
	t := c.threads[id]
	if t == nil {
		if len(c.threads) > 4096 { // a hostile log: bound the state
			clear(c.threads)
		}
		t = &charonThread{list: -1}
		c.threads[id] = t
	}
	return t
}

// line recognises a charon line and emits an event when it says something.
func (c *charonState) line(p *parser, h header, body string) bool {
	e := Event{Format: FormatCharon, Thread: -1}
	var msg string
	if thread, group, rest, ok := charonPrefix(body); ok {
		e.Thread, e.Subsystem, msg = thread, group, rest
		if m := reCharonIKEName().FindStringSubmatch(msg); m != nil && strings.HasPrefix(msg, "<") {
			e.Conn = strings.TrimSuffix(m[1], "(unnamed)")
			e.ConnID, _ = strconv.Atoi(m[2])
			msg = m[3]
		}
	} else if h.tag == "charon" || h.tag == "charon-systemd" || h.tag == "charon-cmd" || h.tag == "charon-nm" {
		msg = body
		if m := reCharonIKEName().FindStringSubmatch(body); m != nil && strings.HasPrefix(body, "<") {
			e.Conn = strings.TrimSuffix(m[1], "(unnamed)")
			e.ConnID, _ = strconv.Atoi(m[2])
			msg = m[3]
		}
	} else {
		return false
	}
	h.stamped(&e)
	e.Text = msg
	t := c.thread(e.Thread)
	if c.continued(p, t, &e, msg) {
		return true
	}
	interesting := c.parse(p, t, &e, msg)
	if e.ConnID == 0 {
		e.ConnID = t.uid
	}
	if e.Conn == "" {
		e.Conn = t.conn
	}
	if interesting || (notable(msg) && !reCharonConfig().MatchString(msg)) {
		t.job = append(t.job, len(p.log.Events))
		if len(t.job) > 256 {
			t.job = t.job[len(t.job)-256:]
		}
		if s := e.Setting; s != nil && (s.Kind == SettingTSLocal || s.Kind == SettingTSRemote) {
			t.list = len(p.log.Events)
		}
		p.emit(e)
	}
	return true
}

// continued reads the lines that continue an earlier one of the thread: a
// connection dump and a traffic selector list. It reports whether the line
// was one; a dump's first line opens it.
func (c *charonState) continued(p *parser, t *charonThread, e *Event, msg string) bool {
	if t.dump != nil {
		if t.dump.line(msg) {
			return true
		}
		p.keepConfig(t.dump.cfg)
		t.dump = nil
	}
	if d := startDump(msg); d != nil {
		d.cfg.Line, d.cfg.Time = p.log.Lines, e.Time
		t.dump = d
		return true
	}
	if t.list >= 0 {
		if v, ok := charonListItem(msg); ok && t.list < len(p.log.Events) {
			if s := p.log.Events[t.list].Setting; s != nil && len(s.Values) < maxSettingValues {
				s.Values = append(s.Values, v)
			}
			return true
		}
		t.list = -1
	}
	return false
}

// parse reads what a charon message says into the event and updates the
// thread's context; it reports whether the message is an event.
func (c *charonState) parse(p *parser, t *charonThread, e *Event, msg string) bool {
	interesting := false
	uidBefore := t.uid
	pm := findIf(reCharonPacket, msg, "packet: from ")
	if pm != nil && pm[1] == "received" { // a new job
		t.job, t.uid, t.conn, t.responder = t.job[:0], 0, "", false
		t.proposalKind, t.keOnly, t.noAcceptable = "", true, t.noAcceptable[:0]
	}
	if e.ConnID != 0 { // <conn|N> on every line: charon's ike_name = yes
		t.uid = e.ConnID
		if e.Conn != "" {
			t.conn = e.Conn
		}
	}
	if m := pm; m != nil {
		from, to := addrPort(m[2], m[3]), addrPort(m[4], m[5])
		pk := &Packet{Sent: m[1] == "sending", Local: from, Remote: to, Bytes: atoi(m[6])}
		if !pk.Sent {
			pk.Local, pk.Remote = to, from
		}
		e.Packet = pk
		if pk.Sent {
			c.lastSentPort = pk.Remote.Port()
		} else if pk.Remote.Port() == 500 {
			c.answeredOn500 = true
		}
		return true
	}
	if m := findIf(reCharonMsg, msg, " ["); m != nil {
		x, ok := charonExchanges[m[2]]
		if !ok {
			return false
		}
		mid, _ := strconv.ParseUint(m[4], 10, 32)
		msgEv := &Message{Generated: m[1] == "generating", Version: exchangeVersion(x), Exchange: x,
			Response: m[3] == "response", MessageID: uint32(mid), HasMessageID: true}
		for _, pl := range strings.Fields(m[5]) {
			if len(msgEv.Payloads) >= 64 {
				break
			}
			msgEv.Payloads = append(msgEv.Payloads, pl)
			if strings.HasPrefix(pl, "N(") && strings.HasSuffix(pl, ")") {
				n := longNotify(pl[2:len(pl)-1], msgEv.Version)
				msgEv.Notifies = append(msgEv.Notifies, n)
				if !routineNotifies[n] {
					e.Notifies = append(e.Notifies, Notify{Name: n, Sent: msgEv.Generated})
				}
			}
		}
		e.Message = msgEv
		t.exchange = x
		if x == isakmp.ExchangeIKESAInit && !msgEv.Response && msgEv.MessageID == 0 {
			if msgEv.Generated {
				e.Side = SideInitiator
			} else {
				e.Side = SideResponder
			}
		}
		return true
	}
	if m := findIf(reCharonRetx, msg, "retransmit "); m != nil {
		mid, _ := strconv.ParseUint(m[2], 10, 32)
		e.Message = &Message{Generated: true, Response: m[1] == "response", MessageID: uint32(mid), HasMessageID: true, Retransmit: true}
		if m[1] == "request" {
			c.retransmitMID = int64(mid)
		}
		interesting = true
	}
	if m := findIf(reCharonSPIs, msg, "SPI"); m != nil {
		e.ISPI, e.RSPI, e.HasSPIs = spi(m[1]), spi(m[2]), true
		interesting = true
	}
	if m := findIf(reCharonChild, msg, "established with SPIs"); m != nil && !strings.HasPrefix(msg, "outbound ") {
		in, _ := strconv.ParseUint(m[1], 16, 32)
		out, _ := strconv.ParseUint(m[2], 16, 32)
		e.Child = &Child{In: uint32(in), Out: uint32(out), Local: strings.TrimSpace(m[3]), Remote: strings.TrimSpace(m[4])}
		interesting = true
	}
	if m := findIf(reCharonInit, msg, "initiating "); m != nil {
		t.learn(e, m[1], m[2])
		c.sides[t.uid] = SideInitiator
		interesting = true
	} else if strings.Contains(msg, "is initiating") && reCharonResp().MatchString(msg) {
		t.responder = true
		interesting = true
	} else if m := findIf(reCharonSA, msg, "IKE_SA "); m != nil {
		t.learn(e, m[1], m[2])
	}
	if t.uid != 0 && t.responder && c.sides[t.uid] == SideUnknown {
		c.sides[t.uid] = SideResponder
	}
	if t.uid != 0 && t.uid != uidBefore { // learnt: backfill the job
		for _, i := range t.job {
			if i < len(p.log.Events) && p.log.Events[i].ConnID == 0 && p.log.Events[i].Thread == e.Thread {
				p.log.Events[i].ConnID = t.uid
				if p.log.Events[i].Conn == "" {
					p.log.Events[i].Conn = t.conn
				}
			}
		}
	}
	if m := findIf(reCharonEstab, msg, "established"); m != nil {
		c.established[atoi(m[1])] = true
	} else if m := findIf(reCharonGone, msg, "DESTROYING"); m != nil {
		delete(c.established, atoi(m[1]))
	}
	if m := findIf(reCharonRecvN, msg, "notify"); m != nil && !routineNotifies[m[1]] {
		e.Notifies = append(e.Notifies, Notify{Name: m[1]})
		interesting = true
	}
	if m := findIf(reCharonSendN, msg, ", sending "); m != nil && !routineNotifies[m[1]] {
		e.Notifies = append(e.Notifies, Notify{Name: m[1], Sent: true})
		interesting = true
	}
	// Proposal selection: "selecting proposal:", one "no acceptable X
	// found" per refused proposal, "received proposals: ESP:...", then the
	// verdict.
	if strings.HasPrefix(msg, "selecting proposal:") {
		t.proposalKind, t.keOnly, t.noAcceptable = "", true, t.noAcceptable[:0]
	}
	if m := findIf(reCharonNoAcc, msg, "no acceptable "); m != nil {
		t.keOnly = t.keOnly && isKETransform(m[1])
		t.noAcceptable = append(t.noAcceptable, len(p.log.Events))
	}
	if m := findIf(reCharonProps, msg, "received proposals: "); m != nil && t.proposalKind == "" {
		t.proposalKind = m[1]
		c.refine(p, t)
	}
	if s := charonSetting(msg); s != nil {
		e.Setting = s
		interesting = true
	}
	ctx := causeContext{exchange: t.exchange, established: c.isEstablished(t.uid), firstExchange: c.retransmitMID <= 0,
		natTUnanswered: c.lastSentPort == 4500 && c.answeredOn500,
		proposalKind:   t.proposalKind, keMismatchOnly: t.keOnly && len(t.noAcceptable) > 0}
	if match(charonCauses, charonGate, msg, ctx, e) {
		interesting = true
	}
	return interesting
}

// refine re-reads the "no acceptable X found" events of the thread's
// proposal selection once the proposals' kind (IKE, ESP) is known.
func (c *charonState) refine(p *parser, t *charonThread) {
	for _, i := range t.noAcceptable {
		if i >= len(p.log.Events) {
			continue
		}
		ev := &p.log.Events[i]
		m := reCharonNoAcc().FindStringSubmatch(ev.Text)
		if m == nil {
			continue
		}
		ctx := causeContext{exchange: t.exchange, proposalKind: t.proposalKind, keMismatchOnly: isKETransform(m[1])}
		ev.Cause = ctx.proposalCode()
	}
}

// isEstablished reports whether phase 1 is up for the IKE SA, or, when the
// line's IKE SA is unknown (a job whose lines never name it), for any IKE
// SA of the log.
func (c *charonState) isEstablished(uid int) bool {
	if uid != 0 {
		return c.established[uid]
	}
	return len(c.established) > 0
}

// learn records the IKE SA a thread's job concerns.
func (t *charonThread) learn(e *Event, name, id string) {
	t.uid = atoi(id)
	if name != "(unnamed)" {
		t.conn = name
		if e.Conn == "" {
			e.Conn = name
		}
	}
	if e.ConnID == 0 {
		e.ConnID = t.uid
	}
}

// finish gives every event of an IKE SA whose role is known that role.
func (c *charonState) finish(p *parser) {
	for _, t := range c.threads {
		if t.dump != nil {
			p.keepConfig(t.dump.cfg)
			t.dump = nil
		}
	}
	slices.SortStableFunc(p.log.Configs, func(a, b Config) int { return a.Line - b.Line })
	for i := range p.log.Events {
		e := &p.log.Events[i]
		if e.Format != FormatCharon || e.ConnID == 0 {
			continue
		}
		if s := c.sides[e.ConnID]; s != SideUnknown {
			e.Side = s
		}
	}
}

func addrPort(addr, port string) netip.AddrPort {
	a, err := netip.ParseAddr(strings.Trim(addr, "[]"))
	if err != nil {
		return netip.AddrPort{}
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPortFrom(a, 0)
	}
	return netip.AddrPortFrom(a, uint16(n))
}

func spi(h string) isakmp.SPI {
	var s isakmp.SPI
	b, err := hex.DecodeString(h)
	if err == nil && len(b) == 8 {
		copy(s[:], b)
	}
	return s
}

// charonPrefix splits "12[NET] rest" into the thread, the log group and
// the rest, without a regular expression: it runs on every line.
func charonPrefix(s string) (thread int, group, rest string, ok bool) {
	i := 0
	for i < len(s) && i < 3 && s[i] >= '0' && s[i] <= '9' {
		thread = thread*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || len(s) < i+6 || s[i] != '[' || s[i+4] != ']' || s[i+5] != ' ' {
		return 0, "", "", false
	}
	for _, c := range []byte(s[i+1 : i+4]) {
		if c < 'A' || c > 'Z' {
			return 0, "", "", false
		}
	}
	return thread, s[i+1 : i+4], s[i+6:], true
}

// findIf runs re only on strings that contain a literal the match needs,
// sparing the regular expression engine most lines.
func findIf(re func() *regexp.Regexp, s, literal string) []string {
	if !strings.Contains(s, literal) {
		return nil
	}
	return re().FindStringSubmatch(s)
}

// notableWords mark a line worth an event though no rule reads it.
var notableWords = []string{"established", "initiating", "deleting", "closing", "fail", "error",
	"unacceptable", "mismatch", "no matching", "no acceptable", "giving up", "timed out",
	"not responding", "invalid", "unable", "could not", "delete", "behind nat", "rekey",
	"retransmit", "duplicate", "destroying"}

func notable(msg string) bool {
	l := strings.ToLower(msg)
	for _, w := range notableWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}
