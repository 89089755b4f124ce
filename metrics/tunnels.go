package metrics

import (
	"net/netip"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// Directions of ESP in a tunnel, as the direction label says them: from the
// tunnel's first address (peer_a) to its second, and back.
const (
	dirAToB = iota
	dirBToA
)

var dirNames = [2]string{"a_to_b", "b_to_a"}

// states are the tunnel states, in the order the state label lists them.
var states = []correlate.TunnelState{correlate.TunnelUp, correlate.TunnelDown, correlate.TunnelNegotiating, correlate.TunnelFailed}

// tunnelStats is what the metrics say about one tunnel, summed from its SAs
// and flows in one pass over the analysis.
type tunnelStats struct {
	key, a, b, selectors string
	state                correlate.TunnelState
	rekeys               uint64
	rekeyFailures        uint64
	retransmissions      uint64
	esp                  [2]dirStats
	findings             map[findingLabel]int
}

// dirStats is the ESP of one direction of a tunnel.
type dirStats struct {
	flows                          int
	packets, bytes, lost, replayed uint64
	last                           time.Time
}

type findingLabel struct {
	code     string
	severity diagnose.Severity
}

// add sums another direction's ESP into d (the aggregated series).
func (d *dirStats) add(o dirStats) {
	d.flows += o.flows
	d.packets += o.packets
	d.bytes += o.bytes
	d.lost += o.lost
	d.replayed += o.replayed
	if o.last.After(d.last) {
		d.last = o.last
	}
}

func addr(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// summarize reads every tunnel's figures from the analysis in one pass
// over its IKE SAs, child SAs and ESP flows (the tunnels' numbers are
// their positions, as correlate gives them; anything else is looked up
// once in a map).
func summarize(a *correlate.Analysis, fs []diagnose.Finding) []tunnelStats {
	out := make([]tunnelStats, len(a.Tunnels))
	pos := make(map[int]int, len(a.Tunnels))
	keys := a.TunnelKeys()
	for i, t := range a.Tunnels {
		pos[t.ID] = i
		st := &out[i]
		st.key = keys[i]
		st.a, st.b, st.selectors, st.state = addr(t.A), addr(t.B), t.Selectors, t.State
		for _, fi := range t.ESP {
			if fi < 0 || fi >= len(a.ESP) {
				continue
			}
			f := a.ESP[fi]
			d := &st.esp[dirAToB]
			if f.Src.Addr() != t.A && (f.Dst.Addr() == t.A || f.Src.Addr() == t.B) {
				d = &st.esp[dirBToA]
			}
			d.add(dirStats{flows: 1, packets: f.Packets, bytes: f.Bytes, lost: f.Lost, replayed: f.Replays, last: f.Last})
		}
	}
	at := func(id int) *tunnelStats {
		if i, ok := pos[id]; ok {
			return &out[i]
		}
		return nil
	}
	for _, sa := range a.IKESAs {
		var retrans uint64
		for _, ex := range sa.Exchanges {
			for _, m := range ex.Messages {
				if n := m.Retransmissions(); n > 0 {
					retrans += uint64(n)
				}
			}
		}
		renewed := sa.Renewed()
		renewFailed := sa.RekeyFailure != nil || (sa.Link != nil && sa.State == correlate.StateFailed &&
			(sa.Link.Kind == correlate.LinkRekey || sa.Link.Kind == correlate.LinkReauth || sa.Link.Kind == correlate.LinkRenegotiation))
		for _, id := range sa.Tunnels {
			st := at(id)
			if st == nil {
				continue
			}
			st.retransmissions += retrans
			if renewed {
				st.rekeys++
			}
			if renewFailed {
				st.rekeyFailures++
			}
		}
		for i := range sa.Children {
			c := &sa.Children[i]
			st := at(c.Tunnel)
			if st == nil {
				continue
			}
			if c.Rekeyed() {
				st.rekeys++
			}
			if c.Kind == correlate.ChildRekey && c.State == correlate.StateFailed {
				st.rekeyFailures++
			}
		}
	}
	for _, f := range fs {
		st := at(f.Tunnel)
		if st == nil {
			continue
		}
		if st.findings == nil {
			st.findings = map[findingLabel]int{}
		}
		st.findings[findingLabel{f.Code, f.Severity}]++
	}
	return out
}
