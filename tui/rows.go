package tui

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// tunnel is one entry of the Tunnels pane: a tunnel's own row (its
// lifeline), one of its IKE SAs (its ladder), or one of its child SAs (the
// ladder of its IKE SA, at the child SA's negotiation); or the ESP of a
// peer pair that has no IKE SA in the capture.
type tunnel struct {
	life   *correlate.Tunnel // the tunnel the entry belongs to, nil when none
	header bool              // the tunnel's own row
	sa     *correlate.IKESA  // nil for a header and ESP only
	child  *correlate.Child  // a child SA entry (sa is its IKE SA)
	pair   *correlate.PeerPair
	failed bool
	errs   []string // codes of the error findings about its IKE SA (or tunnel)
	search string   // lower-case text the filter matches against
}

// key identifies a tunnel across snapshots.
func (t tunnel) key() string {
	switch {
	case t.header:
		return fmt.Sprintf("t%d", t.life.ID)
	case t.child != nil:
		return fmt.Sprintf("c%d", t.child.ID)
	case t.sa != nil:
		return fmt.Sprintf("sa%d", t.sa.ID)
	}
	return "esp" + t.pair.A.String() + "/" + t.pair.B.String()
}

type rowKind int

const (
	rowText rowKind = iota
	rowPhase
	rowMsg
	rowESP
	rowFinding
	rowLog // a gateway log line (or the logs recording a message)
)

// row is one line of a pane. text is plain (no styling); the gutter (cursor
// and failure marks) is added when drawing.
type row struct {
	text    string
	kind    rowKind
	fail    bool
	tone    string // "err", "warn", "ok", "dim", "head" or ""
	msg     *correlate.Message
	ex      *correlate.Exchange
	sa      *correlate.IKESA // of a message row
	msgNo   int
	esp     *correlate.ESPFlow
	finding int // index into the findings of the snapshot, or -1
	// hi: a log line stating the tunnel's failure code, drawn like the
	// failure (not a failure point for n/N).
	hi   bool
	logs []int // indices into Analysis.Logs of a log row
	// recovered: a message with an error the peers got past (marked, not
	// as a failure).
	recovered bool
}

// buildTunnels lists the tunnels in the order every view does (the order
// analyze gives their findings: the first is the failure it names), each
// with its IKE SAs beneath, and under each IKE SA its child SAs worth a
// look: those that failed and the one up at the end (a day of rekeys is
// drawn in the tunnel's lifeline, not listed).
func buildTunnels(a *correlate.Analysis, fs []diagnose.Finding) []tunnel {
	if a == nil {
		return nil
	}
	pairs := map[[2]netip.Addr]*correlate.PeerPair{}
	for _, pp := range a.Peers {
		pairs[[2]netip.Addr{pp.A, pp.B}] = pp
	}
	var ts []tunnel
	for _, lt := range analysisview.TunnelOrder(a, fs) {
		pp := pairs[[2]netip.Addr{lt.A, lt.B}]
		if pp == nil {
			pp = &correlate.PeerPair{A: lt.A, B: lt.B}
		}
		hdr := tunnel{life: lt, header: true, pair: pp}
		var entries []tunnel
		for _, id := range lt.IKESAs {
			sa := a.IKESAByID(id)
			if sa == nil {
				continue
			}
			t := tunnel{life: lt, sa: sa, pair: pp, failed: sa.Failure != nil || sa.State == correlate.StateFailed}
			for _, f := range fs {
				if f.IKESA == id && f.Severity == diagnose.Error {
					t.errs = append(t.errs, f.Code)
				}
			}
			t.search = searchText(a, t, fs)
			entries = append(entries, t)
			hdr.failed = hdr.failed || t.failed
			var lastUp *correlate.Child
			for i := range sa.Children {
				c := &sa.Children[i]
				if c.Tunnel != lt.ID {
					continue
				}
				if c.Failure != nil {
					entries = append(entries, tunnel{life: lt, sa: sa, child: c, pair: pp, failed: true, search: t.search})
				} else if c.WasUp() && c.End.IsZero() {
					lastUp = c
				}
			}
			if lastUp != nil {
				entries = append(entries, tunnel{life: lt, sa: sa, child: lastUp, pair: pp, search: t.search})
			}
		}
		for _, f := range fs {
			if f.Tunnel == lt.ID && f.Severity == diagnose.Error && !slices.Contains(hdr.errs, f.Code) {
				hdr.errs = append(hdr.errs, f.Code)
			}
		}
		var b strings.Builder
		b.WriteString(strings.ToLower(fmt.Sprintf("tunnel #%d %s %s %s ", lt.ID, lt.Selectors, lt.State, searchText(a, tunnel{pair: pp, life: lt}, fs))))
		for _, e := range entries {
			if e.child == nil { // a child entry's text is its SA's
				b.WriteString(e.search)
			}
		}
		hdr.search = b.String()
		ts = append(ts, hdr)
		ts = append(ts, entries...)
	}
	return ts
}

// searchText is what `/` matches: addresses, SPIs and cookies, exchanges,
// notify names and finding codes.
func searchText(a *correlate.Analysis, t tunnel, fs []diagnose.Finding) string {
	var b strings.Builder
	w := func(s string) { b.WriteString(strings.ToLower(s)); b.WriteByte(' ') }
	w(t.pair.A.String())
	w(t.pair.B.String())
	if sa := t.sa; sa != nil {
		w(sa.InitiatorSPI.String())
		w(sa.ResponderSPI.String())
		w(fmt.Sprintf("#%d ikev%d %s %s", sa.ID, sa.Version, sa.Mode(), sa.State))
		for _, pt := range sa.Points { // as other capture points saw it
			if pt.Initiator.IsValid() {
				w(pt.Initiator.Addr().String())
				w(pt.Responder.Addr().String())
			}
		}
		for _, ex := range sa.Exchanges {
			w(ex.Name())
			w(ex.Type.String())
			for _, m := range ex.Messages {
				for _, n := range m.Notifies {
					w(n.Name)
				}
			}
		}
	}
	for _, i := range espOf(a, t) {
		f := a.ESP[i]
		w(fmt.Sprintf("0x%08x %08x", f.SPI, f.SPI))
	}
	for _, f := range fs {
		if t.sa != nil && f.IKESA == t.sa.ID {
			w(f.Code)
		}
	}
	return b.String()
}

// espOf returns the ESP flows shown with a tunnel entry: a tunnel's own
// flows; for an IKE SA, those linked to it and those of its peer pair
// linked to none.
func espOf(a *correlate.Analysis, t tunnel) []int {
	if t.header {
		return t.life.ESP
	}
	var out []int
	for _, i := range t.pair.ESP {
		if i < 0 || i >= len(a.ESP) {
			continue
		}
		f := a.ESP[i]
		if t.sa == nil || f.IKESA == t.sa.ID || f.IKESA == 0 {
			out = append(out, i)
		}
	}
	return out
}

// statusMark and tone of a tunnel.
func (m *Model) tunnelMark(t tunnel) (string, string) {
	g := m.g
	switch {
	case t.header && t.failed:
		return g.fail, "err"
	case t.header && len(t.errs) > 0:
		return g.warn, "err"
	case t.header && t.life.State == correlate.TunnelUp:
		return g.ok, "ok"
	case t.header && len(t.life.IKESAs) == 0:
		return g.esp, "dim"
	case t.header:
		return g.incomplete, "warn"
	case t.child != nil && t.child.Failure != nil:
		return g.fail, "err"
	case t.child != nil:
		return g.ok, "ok"
	}
	if t.failed {
		return g.fail, "err"
	}
	if len(t.errs) > 0 {
		return g.warn, "err"
	}
	switch t.sa.State {
	case correlate.StateEstablished:
		return g.ok, "ok"
	case correlate.StateDeleted:
		return g.deleted, "warn"
	case correlate.StateRekeyed:
		return g.rekeyed, "ok"
	}
	return g.incomplete, "warn"
}

// tunnelRow is the Tunnels pane line of an entry: a tunnel's life at a
// glance (up since, rekeys, the failure and when), its IKE SAs beneath, and
// under them their child SAs.
func (m *Model) tunnelRow(t tunnel) row {
	mark, tone := m.tunnelMark(t)
	a := m.res.Analysis
	switch {
	case t.header:
		txt := fmt.Sprintf("%s Tunnel #%d %s: %s", mark, t.life.ID, analysisview.TunnelTitle(t.life), analysisview.TunnelStatus(a, t.life, m.res.Findings))
		return row{text: m.s(txt), tone: tone, finding: -1}
	case t.child != nil:
		c := t.child
		what := string(c.Kind)
		if c.Kind == correlate.ChildRekey {
			what = fmt.Sprintf("rekey of #%d", c.Replaces)
		}
		status := string(c.State)
		if c.Failure != nil {
			status = fmt.Sprintf("failed at frame %s", decode.FrameLabel(c.Failure.Frame))
			if c.Failure.Notify != nil {
				status += " " + c.Failure.Notify.Name
			}
		} else if c.End.IsZero() && c.WasUp() {
			status = "up"
			if c.Frame != 0 {
				status += " since frame " + decode.FrameLabel(c.Frame)
			}
		}
		txt := fmt.Sprintf("    %s child SA #%d %s  %s", mark, c.ID, what, status)
		return row{text: m.s(txt), tone: tone, finding: -1}
	}
	sa := t.sa
	ver := fmt.Sprintf("IKEv%d", sa.Version)
	if mode := sa.Mode(); sa.Version == 1 && mode != "" {
		ver += " " + mode
	}
	status := string(sa.State)
	if t.failed {
		status = "failed at " + analysisview.FailurePoint(sa)
	}
	if len(t.errs) > 0 && !t.failed {
		status += " " + strings.Join(t.errs, " ")
	}
	ok, bad := 0, 0
	for _, c := range sa.Children {
		switch c.State {
		case correlate.StateEstablished:
			ok++
		case correlate.StateFailed:
			bad++
		}
	}
	extra := fmt.Sprintf("%d ex, %d pkts", len(sa.Exchanges), sa.Packets)
	if ok+bad > 0 {
		extra += fmt.Sprintf(", child %d ok", ok)
		if bad > 0 {
			extra += fmt.Sprintf("/%d failed", bad)
		}
	}
	if n := len(espOf(a, t)); n > 0 {
		extra += fmt.Sprintf(", ESP %d SPI", n)
	}
	if l := sa.Link; l != nil {
		extra += fmt.Sprintf(", %s of #%d", l.Kind, sa.Replaces)
	}
	txt := fmt.Sprintf("  %s #%-2d %-13s %s → %s  %s  %s", mark, sa.ID, ver, sa.Initiator.Addr(), sa.Responder.Addr(), status, extra)
	return row{text: m.s(txt), tone: tone, finding: -1}
}

// lifelineRows draw a tunnel's lifeline: its status, then a bar per SA
// over the capture's span.
func (m *Model) lifelineRows(t tunnel, w int) []row {
	l := analysisview.LifelineOf(m.res.Analysis, t.life, m.res.Findings)
	tone := "ok"
	if t.failed || len(t.errs) > 0 {
		tone = "err"
	}
	rows := []row{{text: m.s(truncate(l.Title+": "+l.Status, w, m.g.ellipsis)), tone: tone, finding: -1}}
	track := clamp(w-16-24, 10, 60)
	for _, b := range l.Bars {
		tone := map[analysisview.Outcome]string{analysisview.OutcomeFailed: "err", analysisview.OutcomeUp: "ok", analysisview.OutcomeEnded: "dim"}[b.Outcome()]
		txt := fmt.Sprintf("%-13s |%s| %s; %s, %s", b.Label, l.Track(b, track), b.Note, b.EndText(), b.Span())
		rows = append(rows, row{text: m.s(truncate(txt, w, m.g.ellipsis)), tone: tone, finding: -1})
	}
	return rows
}

// gutter is the width taken by time and frame before the ladder.
const gutter = 17

// timelineRows is the ladder of a tunnel. Widths are for the pane's inner
// width w (without the two-column cursor/failure gutter).
func (m *Model) timelineRows(t tunnel, w int) []row {
	a := m.res.Analysis
	t0 := a.FirstTime
	lw := max(w-gutter, 12)
	var rows []row
	if t.header {
		rows = m.lifelineRows(t, w)
	}
	// Frames of errors about the tunnel: an ESP row holding one is marked.
	espFail := map[int]bool{}
	if sa := t.sa; sa != nil {
		for fr := range analysisview.FailureFrames(a, sa, m.res.Findings) {
			espFail[fr] = true
		}
		for _, f := range m.res.Findings {
			if f.Severity == diagnose.Error && len(f.Frames) > 0 && f.IKESA == 0 && findingTouches(a, f, t) {
				espFail[f.Frame] = true
			}
		}
		by := m.res.Analysis.FrameLogsOf(sa.ID) // nil without logs
		if l := sa.Link; l != nil {
			rows = append(rows, row{text: m.s(fmt.Sprintf("%sIKE SA #%d: %s of IKE SA #%d (%s)", strings.Repeat(" ", gutter), sa.ID, l.Kind, sa.Replaces, l.Why)), tone: "dim", finding: -1})
		} else if sa.BeforeCapture {
			rows = append(rows, row{text: m.s(fmt.Sprintf("%sIKE SA #%d: up before the capture began", strings.Repeat(" ", gutter), sa.ID)), tone: "dim", finding: -1})
		}
		lastPhase, lastType, lastEx := -1, isakmp.ExchangeType(0), -1
		steps := analysisview.Ladder(a, sa, m.res.Findings)
		lastOf := map[int]int{} // the last step of each exchange
		for i, st := range steps {
			lastOf[st.ExIndex] = i
		}
		for si, st := range steps {
			ex, msg := st.Exchange, st.Message
			if st.ExIndex != lastEx && (ex.Phase != lastPhase || ex.Type != lastType || st.Note != "") {
				label := ex.Name()
				if ex.Phase > 0 {
					label = fmt.Sprintf("phase %d · %s", ex.Phase, ex.Name())
				}
				if ex.Attempt > 0 {
					label += fmt.Sprintf(", attempt %d", ex.Attempt+1)
				}
				if st.Note != "" {
					label += " · " + st.Note
				}
				rows = append(rows, row{text: m.phaseLine(label, w, ex.Phase != lastPhase), kind: rowPhase, tone: "dim", finding: -1})
				lastPhase, lastType = ex.Phase, ex.Type
			}
			lastEx = st.ExIndex
			label := fmt.Sprintf("%s mid=%d %s", st.Short, ex.MessageID, st.Content())
			tone := ""
			if st.Recovered {
				tone = "warn" // an error the peers got past
			}
			right := msg.Dir != correlate.FromResponder
			rows = append(rows, row{
				text: m.s(stamp(msg.Times[0].Sub(t0), msg.Frames[0])) + m.arrow(m.s(label), m.s(seenMark(sa, msg)), lw, right),
				kind: rowMsg, fail: st.Failure, recovered: st.Recovered, tone: tone, msg: msg, ex: ex, sa: sa, msgNo: st.N, finding: -1,
			})
			if by != nil {
				if lr, ok := m.loggedRow(by, msg); ok {
					rows = append(rows, lr)
				}
				// The log's cause lines after the exchange's last step.
				if lastOf[st.ExIndex] == si {
					rows = append(rows, m.causeRows(by, ex, t.errs, w)...)
				}
			}
		}
		for _, e := range sa.ICMPErrors {
			rows = append(rows, row{text: m.s(fmt.Sprintf("%s ICMP %s from %s", stampFrame(e.Frame), e.Description, e.From)), tone: "warn", finding: -1})
		}
		if next := a.IKESAByID(sa.ReplacedBy); next != nil && next.Link != nil {
			rows = append(rows, row{text: m.s(fmt.Sprintf("%sreplaced by IKE SA #%d (%s)", strings.Repeat(" ", gutter), next.ID, next.Link.Kind)), tone: "dim", finding: -1})
		}
	}
	esp := espOf(a, t)
	if len(esp) > 0 {
		rows = append(rows, row{text: m.phaseLine("ESP", w, true), kind: rowPhase, tone: "dim", finding: -1})
	}
	for _, i := range esp {
		f := a.ESP[i]
		label := fmt.Sprintf("ESP 0x%08x %d pkts %s", f.SPI, f.Packets, bytesText(f.Bytes))
		if f.Lost > 0 {
			label += fmt.Sprintf(" lost %d", f.Lost)
		}
		if f.Replays > 0 {
			label += fmt.Sprintf(" replay %d", f.Replays)
		}
		if f.IKESA == 0 {
			label += " (no SA)"
		}
		right := true
		if t.sa != nil {
			right = f.Src.Addr() == t.sa.Initiator.Addr()
		} else {
			right = f.Src.Addr() == t.pair.A
		}
		fail := false
		for fr := range espFail {
			fail = fail || fr >= f.FirstFrame && fr <= f.LastFrame
		}
		at := ""
		if f.Capture != 0 {
			at = fmt.Sprintf("@%d", f.Capture)
		}
		rows = append(rows, row{text: m.s(stamp(f.First.Sub(t0), f.FirstFrame)) + m.arrow(m.s(label), at, lw, right), kind: rowESP, esp: f, fail: fail, tone: "dim", finding: -1})
	}
	if len(rows) == 0 {
		rows = append(rows, row{text: "(no messages yet)", tone: "dim", finding: -1})
	}
	return rows
}

func stamp(d time.Duration, frame int) string {
	return fmt.Sprintf("%+8.3fs #%-5s ", d.Seconds(), decode.FrameLabel(frame))
}

func stampFrame(frame int) string {
	return fmt.Sprintf("%9s #%-5s", "", decode.FrameLabel(frame))
}

// seenMark says at which of the IKE SA's capture points a message was seen
// and at which not, in a run over several captures: "@1,2" (seen at both),
// "@1 ✗2" (seen at 1, lost before 2). It is "" in a single-capture run.
func seenMark(sa *correlate.IKESA, msg *correlate.Message) string {
	seen, missed := sa.SeenAtPoints(msg)
	if seen == nil && missed == nil {
		return ""
	}
	yes := make([]string, len(seen))
	for i, k := range seen {
		yes[i] = strconv.Itoa(k)
	}
	no := make([]string, len(missed))
	for i, k := range missed {
		no[i] = "✗" + strconv.Itoa(k)
	}
	return strings.TrimSpace("@" + strings.Join(yes, ",") + " " + strings.Join(no, " "))
}

// phaseLine marks an exchange or phase boundary across the ladder.
func (m *Model) phaseLine(label string, w int, boundary bool) string {
	fill := m.g.thin
	if boundary {
		fill = m.g.thick
	}
	s := strings.Repeat(" ", gutter) + fill + fill + " " + m.s(label) + " "
	if n := w - displayWidth(s); n > 0 {
		s += strings.Repeat(fill, n)
	}
	return s
}

// arrow draws one message between the two gateway columns; tail (where
// the message was seen) follows the label and is never cut.
func (m *Model) arrow(label, tail string, lw int, right bool) string {
	g := m.g
	inner := lw - 2
	room := inner - 4
	if tail != "" {
		room -= displayWidth(tail) + 1
	}
	if displayWidth(label) > room {
		label = truncate(label, room, g.ellipsis)
	}
	if tail != "" {
		label += " " + tail
	}
	fill := inner - 4 - displayWidth(label)
	if fill < 0 {
		fill = 0
	}
	var s string
	if right {
		s = g.line + " " + label + " " + strings.Repeat(g.line, fill) + g.right
	} else {
		s = g.left + strings.Repeat(g.line, fill) + " " + label + " " + g.line
	}
	return g.bar + s + g.bar
}

// ladderHeader names the two gateways above their columns.
func (m *Model) ladderHeader(t tunnel, w int) string {
	var l, r string
	if t.sa != nil {
		l, r = "initiator "+t.sa.Initiator.Addr().String(), t.sa.Responder.Addr().String()+" responder"
	} else {
		l, r = t.pair.A.String(), t.pair.B.String()
	}
	s := strings.Repeat(" ", gutter) + l
	if n := w - displayWidth(s) - displayWidth(r); n > 0 {
		s += strings.Repeat(" ", n)
	} else {
		s += " "
	}
	return s + r
}

// findingRows lists a tunnel's findings, then the capture-wide ones, each
// with its causes, remedy and commands wrapped to w.
func (m *Model) findingRows(t tunnel, w int) []row {
	var rows []row
	fs := m.res.Findings
	add := func(i int) {
		f := fs[i]
		mark, tone := m.g.info, "dim"
		switch f.Severity {
		case diagnose.Error:
			mark, tone = m.g.fail, "err"
		case diagnose.Warning:
			mark, tone = m.g.warn, "warn"
		}
		head := fmt.Sprintf("%s %s  %s %s  frames %s", mark, f.Code, f.Severity, f.Certainty, analysisview.FrameList(f.Frames, 6))
		rows = append(rows, row{text: truncate(m.s(head), w, m.g.ellipsis), kind: rowFinding, tone: tone, finding: i})
		wrapped := func(prefix, s string) {
			for _, l := range strings.Split(wrap(m.s(s), w-len(prefix)), "\n") {
				rows = append(rows, row{text: prefix + l, kind: rowFinding, finding: i})
			}
		}
		wrapped("  ", f.Summary)
		for j, c := range f.Causes {
			wrapped("    ", fmt.Sprintf("%d. %s — %s", j+1, c.Cause, c.Why))
		}
		for _, l := range f.Logs {
			wrapped("    ", "Gateway log: "+l)
		}
		for _, l := range analysisview.ComparisonLines(f.Comparison) {
			lead := len(l) - len(strings.TrimLeft(l, " "))
			wrapped("    "+l[:lead], l[lead:])
		}
		if f.Remedy != "" {
			wrapped("    ", "Remedy: "+f.Remedy)
		}
		for _, c := range f.Commands {
			rows = append(rows, row{text: truncate(m.s(fmt.Sprintf("      %-12s %s", c.Platform+":", c.Command)), w, m.g.ellipsis), kind: rowFinding, tone: "dim", finding: i})
		}
	}
	for i, f := range fs {
		if t.sa != nil && f.IKESA == t.sa.ID || t.header && (f.Tunnel == t.life.ID || slices.Contains(t.life.IKESAs, f.IKESA) && f.IKESA != 0) {
			add(i)
		}
	}
	for i, f := range fs {
		if f.IKESA == 0 && (t.sa == nil || findingTouches(m.res.Analysis, f, t) || !findingOnESP(m.res.Analysis, f)) {
			add(i)
		}
	}
	if len(rows) == 0 {
		rows = append(rows, row{text: "(no findings for this tunnel)", tone: "dim", finding: -1})
	}
	return rows
}

// findingTouches reports whether a capture-wide finding cites a frame of
// the tunnel's ESP, or of no tunnel at all.
func findingTouches(a *correlate.Analysis, f diagnose.Finding, t tunnel) bool {
	if len(f.Frames) == 0 {
		return true
	}
	for _, i := range espOf(a, t) {
		e := a.ESP[i]
		for _, fr := range f.Frames {
			if fr >= e.FirstFrame && fr <= e.LastFrame {
				return true
			}
		}
	}
	return false
}

// findingOnESP reports whether a finding cites a frame of any ESP flow.
func findingOnESP(a *correlate.Analysis, f diagnose.Finding) bool {
	for _, e := range a.ESP {
		for _, fr := range f.Frames {
			if fr >= e.FirstFrame && fr <= e.LastFrame {
				return true
			}
		}
	}
	return false
}

func bytesText(n uint64) string {
	switch {
	case n >= 10<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 10<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 10<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// detailLines describes a message or ESP flow, field by field.
func (m *Model) detailLines(r row) []string {
	t0 := m.res.Analysis.FirstTime
	var l []string
	add := func(k, v string) { l = append(l, fmt.Sprintf("%-16s %s", k, v)) }
	switch {
	case r.msg != nil:
		msg, ex := r.msg, r.ex
		head := ex.Label(r.msgNo, msg.Response)
		if !strings.HasPrefix(head, ex.Name()) {
			head += " — " + ex.Name() + ","
		} else {
			head += " —"
		}
		l = append(l, fmt.Sprintf("%s message %d of the exchange", head, r.msgNo), "")
		add("Direction", fmt.Sprintf("%s  %s → %s", msg.Dir, msg.Src, msg.Dst))
		add("Exchange", fmt.Sprintf("%s (%d), phase %d", ex.Name(), ex.Type, ex.Phase))
		add("Message ID", fmt.Sprintf("%d (0x%08x)", msg.MessageID, msg.MessageID))
		add("Response", fmt.Sprint(msg.Response))
		add("Frames", analysisview.FrameList(msg.Frames, 16))
		times := make([]string, len(msg.Times))
		for i, tm := range msg.Times {
			times[i] = fmt.Sprintf("%+.3fs", tm.Sub(t0).Seconds())
		}
		add("Times", strings.Join(times, ", "))
		for _, s := range m.sightings(r) {
			add("Seen", s)
		}
		add("Sent", fmt.Sprintf("%d (%d retransmissions)", msg.Sent, msg.Retransmissions()))
		add("Length", fmt.Sprintf("%d bytes", msg.Length))
		add("Payloads", msg.Summary)
		switch {
		case msg.Encrypted && msg.Decrypted:
			add("Encrypted", fmt.Sprintf("yes, first inner payload %s (decrypted with the keys given)", msg.FirstInner))
		case msg.Encrypted && msg.DecryptFailure != "":
			add("Encrypted", fmt.Sprintf("yes, first inner payload %s (not decrypted: %s)", msg.FirstInner, msg.DecryptFailure))
		case msg.Encrypted:
			add("Encrypted", fmt.Sprintf("yes, first inner payload %s (not decrypted: no keys for it)", msg.FirstInner))
		default:
			add("Encrypted", "no (payloads in clear)")
		}
		if len(msg.Notifies) == 0 {
			add("Notifies", "none in clear")
		}
		for _, n := range msg.Notifies {
			s := fmt.Sprintf("%s (%d)", n.Name, n.Type)
			if n.Error {
				s += " error"
			}
			if n.Detail != "" {
				s += ": " + n.Detail
			}
			if n.AcceptedGroup != 0 {
				s += fmt.Sprintf(", accepted group %d", n.AcceptedGroup)
			}
			add("Notify", s)
		}
		if msg.KEGroup != 0 {
			add("KE group", fmt.Sprint(msg.KEGroup))
		}
		add("UDP-encap", fmt.Sprint(msg.UDPEncapsulated))
		if msg.IPFragmented {
			add("IP fragmented", "yes")
		}
		if msg.IKEFragments > 0 {
			add("IKE fragments", fmt.Sprint(msg.IKEFragments))
		}
		if r.fail {
			l = append(l, "", "This message is at the failure point of the tunnel.")
		}
		var cites []string
		for _, f := range m.res.Findings {
			for _, fr := range f.Frames {
				if slices.Contains(msg.Frames, fr) || seenFrame(msg, fr) {
					cites = append(cites, f.Code)
					break
				}
			}
		}
		if len(cites) > 0 {
			add("Evidence for", strings.Join(cites, ", "))
		}
		if r.sa != nil {
			if by := m.res.Analysis.FrameLogsOf(r.sa.ID); by != nil {
				for _, i := range by.Of(msg) {
					e := &m.res.Analysis.Logs[i]
					s := fmt.Sprintf("%s:%d", filepath.Base(e.Log), e.Line)
					if e.Side != "" {
						s += " (" + e.Side + ")"
					}
					add("Gateway log", s+": "+e.Text)
				}
			}
		}
	case r.esp != nil:
		f := r.esp
		l = append(l, fmt.Sprintf("ESP SPI 0x%08x", f.SPI), "")
		add("Direction", fmt.Sprintf("%s → %s", f.Src, f.Dst))
		if f.Capture != 0 {
			add("Capture", fmt.Sprintf("%d (%s)", f.Capture, m.captureName(f.Capture)))
		}
		add("Frames", fmt.Sprintf("%s–%s", decode.FrameLabel(f.FirstFrame), decode.FrameLabel(f.LastFrame)))
		add("Time", fmt.Sprintf("%+.3fs – %+.3fs", f.First.Sub(t0).Seconds(), f.Last.Sub(t0).Seconds()))
		add("Packets", fmt.Sprint(f.Packets))
		add("Bytes", fmt.Sprint(f.Bytes))
		add("Highest seq", fmt.Sprint(f.MaxSeq))
		add("Lost", fmt.Sprintf("%d in %d gaps", f.Lost, f.GapEvents))
		add("Repeated", fmt.Sprint(f.Replays))
		add("Out of order", fmt.Sprint(f.OutOfOrder))
		add("UDP-encap", fmt.Sprint(f.UDPEncapsulated))
		if f.IKESA != 0 {
			add("IKE SA", fmt.Sprintf("#%d", f.IKESA))
		} else {
			add("IKE SA", "none negotiated in this capture")
		}
	}
	for i := range l {
		l[i] = m.s(l[i])
	}
	return l
}

// seenFrame reports whether a frame is one of a message's sightings.
func seenFrame(msg *correlate.Message, frame int) bool {
	for _, s := range msg.Seen {
		if s.Frame == frame {
			return true
		}
	}
	return false
}

// sightings describe, in a run over several captures, where a message row
// was seen: one line per capture point of its IKE SA, "1 capture.pcap:
// frame 1:4 at +0.015s" or "2 inside.pcap: NOT seen".
func (m *Model) sightings(r row) []string {
	msg := r.msg
	if msg == nil || len(msg.Seen) == 0 {
		return nil
	}
	t0 := m.res.Analysis.FirstTime
	var ks []int
	if r.sa != nil {
		for _, pt := range r.sa.Points {
			ks = append(ks, pt.Capture)
		}
	}
	for _, s := range msg.Seen {
		if !slices.Contains(ks, s.Capture) {
			ks = append(ks, s.Capture)
		}
	}
	slices.Sort(ks)
	var out []string
	for _, k := range ks {
		var frames, times []string
		for _, s := range msg.Seen {
			if s.Capture == k {
				frames = append(frames, decode.FrameLabel(s.Frame))
				times = append(times, fmt.Sprintf("%+.3fs", s.Time.Sub(t0).Seconds()))
			}
		}
		name := fmt.Sprintf("%d %s:", k, filepath.Base(m.captureName(k)))
		if len(frames) == 0 {
			out = append(out, name+" NOT seen")
			continue
		}
		out = append(out, fmt.Sprintf("%s frame %s at %s", name, strings.Join(frames, ","), strings.Join(times, ", ")))
	}
	return out
}
