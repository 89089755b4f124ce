package events

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// Source says where events come from: the sensor, the interface of a live
// capture ("" for a file) and the capture file's name ("" when live).
type Source struct {
	Hostname, Interface, Version, Input string
}

// keyed is an event with what tells it apart from every other event of
// the run, across snapshots, and its time for ordering.
type keyed struct {
	key  string
	at   time.Time
	ev   Event
	kind int // 0 tunnel change, 1 finding: at the same time a change comes first
}

// derive returns the events an analysis holds that want accepts (nil:
// all): its tunnels' state changes (kind 0) and its findings (kind 1), in
// time order. An event is built only once want has accepted its key: a live
// capture's snapshots hold thousands of events already written.
func derive(a *correlate.Analysis, fs []diagnose.Finding, src Source, now time.Time, want func(key string, kind int) bool) []keyed {
	if want == nil {
		want = func(string, int) bool { return true }
	}
	d := deriver{a: a, src: src, now: now, want: want, keys: map[int]string{}}
	for i, k := range a.TunnelKeys() {
		d.keys[a.Tunnels[i].ID] = k
	}
	var out []keyed
	seen := map[string]bool{}
	for _, t := range a.Tunnels {
		for _, k := range d.tunnel(t) {
			if !seen[k.key] {
				seen[k.key] = true
				out = append(out, k)
			}
		}
	}
	for _, f := range fs {
		if k, ok := d.finding(f); ok {
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, func(x, y keyed) int {
		if c := x.at.Compare(y.at); c != 0 {
			return c
		}
		return cmp.Compare(x.kind, y.kind)
	})
	return out
}

type deriver struct {
	a      *correlate.Analysis
	src    Source
	now    time.Time
	want   func(key string, kind int) bool
	times  map[int]time.Time // made on first use (frameTimes)
	rekeys map[int]int       // by tunnel ID, made on first use
	keys   map[int]string    // by tunnel ID
}

// frameTimes maps the frames an event may name to their times: every IKE
// transmission, the first and last frame of each ESP flow, and the frames
// that completed a child SA.
func frameTimes(a *correlate.Analysis) map[int]time.Time {
	m := map[int]time.Time{}
	for _, sa := range a.IKESAs {
		for _, ex := range sa.Exchanges {
			for _, msg := range ex.Messages {
				for i, f := range msg.Frames {
					if i < len(msg.Times) {
						m[f] = msg.Times[i]
					}
				}
			}
		}
		for _, c := range sa.Children {
			if c.Frame > 0 && !c.Time.IsZero() {
				m[c.Frame] = c.Time
			}
		}
	}
	for _, f := range a.ESP {
		m[f.FirstFrame] = f.First
		m[f.LastFrame] = f.Last
	}
	return m
}

// rekeyCounts counts each tunnel's rekeys as analyze --json does
// (tunnels[].rekeys), in one pass.
func rekeyCounts(a *correlate.Analysis) map[int]int {
	n := map[int]int{}
	for _, sa := range a.IKESAs {
		if sa.Renewed() {
			for _, id := range sa.Tunnels {
				n[id]++
			}
		}
		for i := range sa.Children {
			if c := &sa.Children[i]; c.Rekeyed() && c.Tunnel != 0 {
				n[c.Tunnel]++
			}
		}
	}
	return n
}

// timeOf is when a frame was seen, else fallback, else the analysis's last
// time, else now (a capture without IPsec has no time of its own).
func (d *deriver) timeOf(frame int, fallback time.Time) time.Time {
	if d.times == nil {
		d.times = frameTimes(d.a)
	}
	if t, ok := d.times[frame]; ok && !t.IsZero() {
		return t
	}
	if !fallback.IsZero() {
		return fallback
	}
	if !d.a.LastTime.IsZero() {
		return d.a.LastTime
	}
	return d.now
}

// base is an event's common part.
func (d *deriver) base(at time.Time) Event {
	ev := Event{Timestamp: at.UTC().Format(time.RFC3339Nano), ECS: ECS{ECSVersion},
		Observer: Observer{Hostname: d.src.Hostname, Product: "ipsecpcap", Vendor: "ipsecpcap", Version: d.src.Version, Type: "sensor"},
		Meta:     Meta{EventsSchema: SchemaVersion, Input: d.src.Input}}
	if d.src.Interface != "" {
		ev.Observer.Ingress = &Ingress{Interface{d.src.Interface}}
	}
	return ev
}

func (d *deriver) tunnelDoc(t *correlate.Tunnel, key string) *Tunnel {
	if d.rekeys == nil {
		d.rekeys = rekeyCounts(d.a)
	}
	return &Tunnel{ID: t.ID, Key: key, PeerA: addr(t.A), PeerB: addr(t.B), Selectors: t.Selectors, State: string(t.State), Rekeys: d.rekeys[t.ID]}
}

// tunnel derives a tunnel's state changes: up at the start of each
// interval it was up, down at the end of one that ended, rekeyed at each
// rekey that came up, and failed when it never came up.
func (d *deriver) tunnel(t *correlate.Tunnel) []keyed {
	key := d.keys[t.ID]
	pair := addr(t.A) + "-" + addr(t.B)
	var out []keyed
	add := func(action string, frame int, when func() time.Time, id string, fill func(*Event)) {
		// The key names the change by what does not move between
		// snapshots: the peers and the frame that shows it. Not the SA:
		// a snapshot numbers child SAs afresh, and a CREATE_CHILD_SA
		// read as a child SA rekey may turn out to have rekeyed the IKE
		// SA once its successor is seen; one change per frame.
		ek := action + "|" + pair + "|" + strconv.Itoa(frame) + "|" + id
		if !d.want(ek, 0) {
			return
		}
		at := when()
		ev := d.base(at)
		code, typ, outcome, sev, level := "", []string{"connection"}, "success", 6, "info"
		switch action {
		case ActionUp:
			code, typ = CodeUp, append(typ, "start")
		case ActionRekeyed:
			code, typ = CodeRekeyed, append(typ, "change")
		case ActionDown:
			code, typ, sev, level = CodeDown, append(typ, "end"), 4, "warning"
		case ActionFailed:
			code, typ, outcome, sev, level = CodeFailed, append(typ, "end"), "failure", 3, "error"
		}
		ev.Event = EventFields{Kind: "event", Category: []string{"network"}, Type: typ, Code: code, Severity: sev,
			Action: action, Outcome: outcome, Dataset: DatasetTunnel, Module: "ipsecpcap", Provider: "ipsecpcap"}
		ev.Log = Log{level}
		ev.IPsec.Tunnel = d.tunnelDoc(t, key)
		ev.IPsec.Frame = frame
		ev.Message = fmt.Sprintf("tunnel %s ↔ %s %s", addr(t.A), addr(t.B), action[len("tunnel-"):])
		if t.Selectors != "" {
			ev.Message += " (" + t.Selectors + ")"
		}
		if frame > 0 {
			ev.Message += ", frame " + strconv.Itoa(frame)
		}
		d.endpoints(&ev, t, nil)
		if fill != nil {
			fill(&ev)
		}
		out = append(out, keyed{key: ek, at: at, ev: ev})
	}
	for _, iv := range t.Up {
		if iv.SinceBefore {
			add(ActionUp, 0, func() time.Time { return iv.From }, "before", func(ev *Event) {
				ev.IPsec.Tunnel.SinceBeforeCapture = true
				ev.Message += " (up since before the capture)"
			})
		} else {
			add(ActionUp, iv.FromFrame, func() time.Time { return d.timeOf(iv.FromFrame, iv.From) }, "", nil)
		}
		if !iv.UntilEnd {
			add(ActionDown, iv.ToFrame, func() time.Time { return d.timeOf(iv.ToFrame, iv.To) }, "", nil)
		}
	}
	for _, id := range t.IKESAs {
		sa := d.a.IKESAByID(id)
		if sa == nil {
			continue
		}
		if sa.Renewed() {
			at, frame := d.a.UpSince(sa)
			add(ActionRekeyed, frame, func() time.Time { return d.timeOf(frame, at) }, "", func(ev *Event) {
				ev.IPsec.IKESA = ikeSADoc(sa)
				d.endpoints(ev, t, sa)
				ev.Message += fmt.Sprintf(": IKE SA #%d (%s)", sa.ID, sa.Link.Kind)
			})
		}
		for i := range sa.Children {
			c := &sa.Children[i]
			if c.Tunnel != t.ID || !c.Rekeyed() {
				continue
			}
			add(ActionRekeyed, c.Frame, func() time.Time { return d.timeOf(c.Frame, c.Time) }, "", func(ev *Event) {
				ev.IPsec.IKESA = ikeSADoc(sa)
				ev.IPsec.ChildSA = childDoc(c)
				d.endpoints(ev, t, sa)
				ev.Message += fmt.Sprintf(": child SA #%d", c.ID)
			})
		}
	}
	if t.State == correlate.TunnelFailed {
		var last *correlate.IKESA
		frame := 0
		for _, id := range t.IKESAs {
			if sa := d.a.IKESAByID(id); sa != nil {
				last = sa
				if sa.Failure != nil {
					frame = sa.Failure.Frame
				}
			}
		}
		fallback := time.Time{}
		if last != nil {
			fallback = last.Last
			if frame == 0 {
				frame = last.LastFrame
			}
		}
		add(ActionFailed, frame, func() time.Time { return d.timeOf(frame, fallback) }, "", func(ev *Event) {
			if last != nil {
				ev.IPsec.IKESA = ikeSADoc(last)
				d.endpoints(ev, t, last)
			}
		})
	}
	return out
}

// finding makes a finding's event, if want accepts its key: live's (code
// and failure point).
func (d *deriver) finding(f diagnose.Finding) (keyed, bool) {
	key := f.Code + "|" + strconv.Itoa(f.Frame)
	if !d.want(key, 1) {
		return keyed{}, false
	}
	var sa *correlate.IKESA
	if f.IKESA != 0 {
		sa = d.a.IKESAByID(f.IKESA)
	}
	t := d.a.TunnelByID(f.Tunnel)
	if t == nil && sa != nil && len(sa.Tunnels) > 0 {
		t = d.a.TunnelByID(sa.Tunnels[0])
	}
	fallback := time.Time{}
	if sa != nil {
		fallback = sa.First
	}
	at := time.Time{}
	if d.times == nil {
		d.times = frameTimes(d.a)
	}
	// When the failure point was seen, else the first evidence that was.
	for _, fr := range append([]int{f.Frame}, f.Frames...) {
		if tm, ok := d.times[fr]; ok && !tm.IsZero() {
			at = tm
			break
		}
	}
	if at.IsZero() {
		at = d.timeOf(f.Frame, fallback)
	}
	ev := d.base(at)
	sev, level := severity(f.Severity)
	kind := "alert"
	ev.Event = EventFields{Kind: kind, Category: []string{"network"}, Type: []string{"info"}, Code: f.Code, Severity: sev,
		Action: ActionFinding, Outcome: "unknown", Dataset: DatasetFinding, Module: "ipsecpcap", Provider: "ipsecpcap"}
	if f.Severity == diagnose.Error {
		ev.Event.Outcome = "failure"
	}
	ev.Log = Log{level}
	info := catalog()[f.Code]
	ev.Rule = &Rule{Name: f.Code, Category: info.Category, Description: info.Meaning, Ruleset: "ipsecpcap"}
	ev.Message = f.Summary
	frames := f.Frames
	if frames == nil {
		frames = []int{}
	}
	causes := f.Causes
	if causes == nil {
		causes = []diagnose.Cause{}
	}
	ev.IPsec.Finding = &Finding{Code: f.Code, Severity: string(f.Severity), Certainty: string(f.Certainty), Summary: f.Summary,
		During: f.During, Frames: frames, Causes: causes, Remedy: f.Remedy, LogLines: f.Logs}
	if t != nil {
		ev.IPsec.Tunnel = d.tunnelDoc(t, d.keys[t.ID])
	}
	if sa != nil {
		ev.IPsec.IKESA = ikeSADoc(sa)
		if f.Child != 0 {
			for i := range sa.Children {
				if sa.Children[i].ID == f.Child {
					ev.IPsec.ChildSA = childDoc(&sa.Children[i])
				}
			}
		}
	}
	d.endpoints(&ev, t, sa)
	return keyed{key: key, at: at, ev: ev, kind: 1}, true
}

// endpoints fills source, destination and network: the IKE SA's initiator
// and responder, else the tunnel's first ESP flow, else its peers.
func (d *deriver) endpoints(ev *Event, t *correlate.Tunnel, sa *correlate.IKESA) {
	var src, dst netip.AddrPort
	transport := ""
	switch {
	case sa != nil && sa.Initiator.IsValid():
		src, dst, transport = sa.Initiator, sa.Responder, "udp"
	case t != nil && len(t.ESP) > 0 && t.ESP[0] >= 0 && t.ESP[0] < len(d.a.ESP):
		f := d.a.ESP[t.ESP[0]]
		src, dst, transport = f.Src, f.Dst, "esp"
		if f.UDPEncapsulated {
			transport = "udp"
		}
	case t != nil && t.A.IsValid() && t.B.IsValid():
		src, dst = netip.AddrPortFrom(t.A, 0), netip.AddrPortFrom(t.B, 0)
	default:
		ev.Source, ev.Destination, ev.Network = nil, nil, nil
		return
	}
	ev.Source = &Endpoint{IP: src.Addr().Unmap().String(), Port: int(src.Port())}
	ev.Destination = &Endpoint{IP: dst.Addr().Unmap().String(), Port: int(dst.Port())}
	n := &Network{Type: "ipv4", Transport: transport}
	if src.Addr().Unmap().Is6() {
		n.Type = "ipv6"
	}
	switch {
	case sa != nil:
		n.Protocol, n.IANANumber = "ike", "17"
	case transport == "udp":
		n.Protocol, n.IANANumber = "esp", "17"
	case transport == "esp":
		n.Protocol, n.IANANumber = "esp", "50"
	default:
		n.Protocol, n.Transport, n.IANANumber = "ipsec", "", ""
	}
	if n.Transport == "" {
		ev.Network = nil
		return
	}
	ev.Network = n
}

func ikeSADoc(sa *correlate.IKESA) *IKESA {
	return &IKESA{ID: sa.ID, Version: sa.Version, Mode: sa.Mode(), InitiatorSPI: sa.InitiatorSPI.String(), ResponderSPI: sa.ResponderSPI.String(),
		Initiator: sa.Initiator.String(), Responder: sa.Responder.String(), State: string(sa.State)}
}

func childDoc(c *correlate.Child) *ChildSA {
	d := &ChildSA{ID: c.ID, Kind: string(c.Kind), State: string(c.State), TrafficSelectors: c.TS, PFSGroup: c.PFS}
	if c.SPIIn != 0 {
		d.InboundSPI = fmt.Sprintf("%08x", c.SPIIn)
	}
	if c.SPIOut != 0 {
		d.OutboundSPI = fmt.Sprintf("%08x", c.SPIOut)
	}
	return d
}

// severity maps a finding's severity to event.severity (syslog numbers)
// and log.level.
func severity(s diagnose.Severity) (int, string) {
	switch s {
	case diagnose.Error:
		return 3, "error"
	case diagnose.Warning:
		return 4, "warning"
	}
	return 6, "info"
}

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

var (
	catalogOnce sync.Once
	catalogMap  map[string]diagnose.CodeInfo
)

func catalog() map[string]diagnose.CodeInfo {
	catalogOnce.Do(func() {
		catalogMap = map[string]diagnose.CodeInfo{}
		for _, ci := range diagnose.Catalog() {
			catalogMap[ci.Code] = ci
		}
	})
	return catalogMap
}
