package gwlog

import (
	"cmp"
	"slices"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Aligned is one log event placed in the capture.
type Aligned struct {
	Event Event
	// IKESA is the correlate IKE SA the event concerns (0: none found),
	// Exchange and MessageID the exchange (for a cause, the exchange it is
	// about: the Quick Mode refused, not the Informational that said so),
	// Frame the frame of the packet the event describes or follows (0:
	// none; frame numbers are opaque).
	IKESA     int
	Exchange  isakmp.ExchangeType
	MessageID uint32
	Frame     int
	// Matched is set for a packet event matched to its frame; Delta is
	// then the log time minus the offset minus the frame's time.
	Matched bool
	Delta   time.Duration
	// Side is the logging gateway's role in the IKE SA, from the matched
	// packets (who sent the initiator's messages), else from the log.
	Side Side
	// Time is when the line was written, on the capture's clock (the
	// estimated offset removed); zero when the line has no time.
	Time time.Time
}

// Alignment is a log placed on a capture.
type Alignment struct {
	// Offset is the log's clock minus the capture's, estimated from the
	// packet matches (0 when there are none); for stamps without a date it
	// is known modulo a day and given in [-12h, 12h).
	Offset time.Duration
	// Matches counts the events matched to the frame they describe,
	// PacketEvents those that could be: timed packet lines (and pluto's
	// message lines, which name no size) within the capture's span once
	// the offset is applied. Outside counts those timed before the
	// capture began or after it ended (a daemon's last lines at shutdown).
	Matches, PacketEvents, Outside int
	// Events parallels Log.Events.
	Events []Aligned
}

// tolerance is how far a packet event may be from its frame once the
// offset is applied: log stamps often have whole seconds, truncated.
const tolerance = 2 * time.Second

// maxCandidates bounds the frames considered per packet event.
const maxCandidates = 64

// transmission is one frame of an IKE message.
type transmission struct {
	sa    *correlate.IKESA
	ex    *correlate.Exchange
	msg   *correlate.Message
	frame int
	t     time.Time
	bytes int // the ISAKMP length (see Packet.Bytes)
}

type candidate struct {
	tx    int
	score int
	d     time.Duration
}

// Align matches the log's packet events to the frames they describe and
// attributes every other event to the IKE SA, exchange and frame it
// concerns. The log's clock offset is estimated from the matches, never
// assumed.
func Align(log *Log, a *correlate.Analysis) Alignment {
	out := Alignment{Events: make([]Aligned, len(log.Events))}
	for i := range log.Events {
		out.Events[i] = Aligned{Event: log.Events[i], Side: log.Events[i].Side}
	}
	if a == nil {
		return out
	}
	txs := transmissions(a)
	if len(txs) == 0 {
		return out
	}
	ref, last := txs[0].t, txs[0].t
	for _, tx := range txs {
		if tx.t.Before(ref) {
			ref = tx.t
		}
		if tx.t.After(last) {
			last = tx.t
		}
	}
	idx := indexBySize(txs)
	evTimes := make([]time.Time, len(log.Events))
	cands := make([][]candidate, len(log.Events))
	var all []candidate
	for i := range log.Events {
		e := &log.Events[i]
		t, ok := resolveTime(e, ref)
		if !ok {
			continue
		}
		pool, score, ok := anchorPool(log.Events, i, txs, idx)
		if !ok {
			continue
		}
		evTimes[i] = t
		for _, ti := range pool {
			s := score(&txs[ti])
			if s == 0 {
				continue
			}
			d := t.Sub(txs[ti].t)
			if !e.HasDate {
				d = wrapDay(d)
			}
			cands[i] = append(cands[i], candidate{tx: ti, score: s, d: d})
			if len(cands[i]) >= maxCandidates {
				break
			}
		}
		all = append(all, cands[i]...)
	}
	offset, ok := estimateOffset(all)
	if !ok {
		attribute(log, txs, &out)
		return out
	}
	out.Offset = offset
	corrected := make([]time.Time, len(log.Events))
	for i := range log.Events {
		t, ok := resolveTime(&log.Events[i], ref)
		if !ok {
			continue
		}
		lt := t.Add(-offset)
		if !log.Events[i].HasDate {
			// a date-less stamp near midnight may belong to the next day
			lt = ref.Add(wrapDay(lt.Sub(ref)))
		}
		corrected[i] = lt
		if evTimes[i].IsZero() {
			continue
		}
		if lt.Before(ref.Add(-tolerance)) || lt.After(last.Add(tolerance)) {
			out.Outside++
			cands[i] = nil
			continue
		}
		out.PacketEvents++
	}
	used := map[int]bool{}
	matchedTx := make([]int, len(log.Events))
	for i := range matchedTx {
		matchedTx[i] = -1
	}
	for i, cs := range cands {
		best := -1
		for j, c := range cs {
			if used[txs[c.tx].frame] || absDur(c.d-offset) > tolerance {
				continue
			}
			if best < 0 || better(c, cs[best], offset) {
				best = j
			}
		}
		if best < 0 {
			continue
		}
		c := cs[best]
		used[txs[c.tx].frame] = true
		matchedTx[i] = c.tx
		ae := &out.Events[i]
		ae.Matched, ae.Delta = true, c.d-offset
		out.Matches++
	}
	place(log, txs, matchedTx, corrected, &out)
	for i := range log.Events {
		if t, ok := resolveTime(&log.Events[i], ref); ok {
			out.Events[i].Time = t.Add(-offset)
		}
	}
	return out
}

// indexBySize lists the transmissions by the size a daemon logs. charon's
// "(N bytes)" is the ISAKMP length, also on the NAT-T port (its socket adds
// and strips the non-ESP marker: verified on the lab captures, e.g. 288
// bytes logged for a 300-byte UDP payload with its 4-byte marker); a daemon
// that counts the marker is matched too.
func indexBySize(txs []transmission) map[int][]int {
	bySize := map[int][]int{}
	for i, tx := range txs {
		bySize[tx.bytes] = append(bySize[tx.bytes], i)
		if tx.msg.UDPEncapsulated {
			bySize[tx.bytes+4] = append(bySize[tx.bytes+4], i)
		}
	}
	return bySize
}

// maxUnsizedWork bounds events × frames for anchors without a size, which
// are compared with every frame.
const maxUnsizedWork = 20_000_000

// anchorPool returns the frames event i may describe and how well each
// fits (0: not at all), or false when the event describes no single frame.
// Anchors are packet lines with a size (charon, Comware with its header's
// length), and, weaker, packet lines without one (pluto's "packet from") and
// message lines naming the exchange (pluto's "sent Main Mode R1").
func anchorPool(evs []Event, i int, txs []transmission, bySize map[int][]int) ([]int, func(*transmission) int, bool) {
	e := &evs[i]
	all := func() []int {
		if len(txs)*len(evs) > maxUnsizedWork {
			return nil
		}
		pool := make([]int, len(txs))
		for k := range pool {
			pool[k] = k
		}
		return pool
	}
	switch {
	case e.Packet != nil:
		ctx := packetMessage(evs, i)
		size := e.Packet.Bytes
		if size == 0 && ctx != nil {
			size = ctx.Length // Comware: the ISAKMP header's length
		}
		score := func(tx *transmission) int {
			if !sameMessage(ctx, tx.msg) {
				return 0
			}
			return addressScore(e.Packet, tx.msg)
		}
		if size > 0 {
			return bySize[size], score, true
		}
		pool := all()
		return pool, func(tx *transmission) int { return min(score(tx), 1) }, pool != nil
	case e.Message != nil && e.Message.Exchange != 0 && e.Format == FormatPluto:
		m := e.Message
		pool := all()
		return pool, func(tx *transmission) int {
			if tx.msg.Exchange != m.Exchange || tx.msg.Response != m.Response {
				return 0
			}
			return 1
		}, pool != nil
	}
	return nil, nil, false
}

func better(a, b candidate, offset time.Duration) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return absDur(a.d-offset) < absDur(b.d-offset)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// transmissions lists every frame of every IKE message in the analysis.
func transmissions(a *correlate.Analysis) []transmission {
	var txs []transmission
	for _, sa := range a.IKESAs {
		for _, ex := range sa.Exchanges {
			for _, m := range ex.Messages {
				n := m.Length
				for k, f := range m.Frames {
					if k >= len(m.Times) {
						break
					}
					txs = append(txs, transmission{sa: sa, ex: ex, msg: m, frame: f, t: m.Times[k], bytes: n})
				}
			}
		}
	}
	return txs
}

// addressScore says how well a packet event's addresses fit a message: 3
// for both address:port pairs, 2 for both addresses (a NAT changed a port),
// 1 for one side (a NAT between the gateway and the capture point), 0 for
// none.
func addressScore(p *Packet, m *correlate.Message) int {
	src, dst := p.Local, p.Remote
	if !p.Sent {
		src, dst = p.Remote, p.Local
	}
	switch {
	case src == m.Src && dst == m.Dst:
		return 3
	case src.Addr() == m.Src.Addr() && dst.Addr() == m.Dst.Addr():
		return 2
	case src == m.Src || dst == m.Dst:
		return 1
	}
	return 0
}

// sameMessage reports whether the message a log line generated or parsed
// can be the captured one.
func sameMessage(ctx *Message, m *correlate.Message) bool {
	if ctx == nil {
		return true
	}
	if ctx.HasMessageID && ctx.MessageID != m.MessageID {
		return false
	}
	if ctx.Exchange != 0 && ctx.Exchange != m.Exchange {
		return false
	}
	return true
}

// packetMessage finds the message line that goes with packet event i: on
// the same thread, the message generated just before a send, or parsed just
// after a receive (charon), the header entry after a received packet
// (Comware).
func packetMessage(evs []Event, i int) *Message {
	e := &evs[i]
	step := 1
	if e.Packet.Sent {
		step = -1
	}
	for j, n := i+step, 0; j >= 0 && j < len(evs) && n < 16; j, n = j+step, n+1 {
		o := &evs[j]
		if o.Thread != e.Thread || o.Format != e.Format {
			continue
		}
		if o.Packet != nil {
			return nil
		}
		if o.Message != nil {
			if o.Message.Generated != e.Packet.Sent {
				return nil // a reply generated after a message that did not parse
			}
			return o.Message
		}
	}
	return nil
}

// estimateOffset finds the offset most candidate matches agree on: the
// 2-second window holding the most weight, then the median inside it. A
// wrong match lands anywhere; right ones pile up at the true offset.
func estimateOffset(cs []candidate) (time.Duration, bool) {
	if len(cs) == 0 {
		return 0, false
	}
	s := slices.Clone(cs)
	slices.SortFunc(s, func(a, b candidate) int { return cmp.Compare(a.d, b.d) })
	bestW, bestLo, bestHi := -1, 0, 0
	lo, w := 0, 0
	for hi := range s {
		w += s[hi].score
		for s[hi].d-s[lo].d > tolerance {
			w -= s[lo].score
			lo++
		}
		if w > bestW {
			bestW, bestLo, bestHi = w, lo, hi
		}
	}
	win := s[bestLo : bestHi+1]
	return win[len(win)/2].d, true
}
