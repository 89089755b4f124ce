package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/ipsecpcap/ipsecpcap/correlate"
)

// sample is one series of a scrape. The per-tunnel series are most of a
// scrape (15 a tunnel), so they are built without what
// prometheus.MustNewConstMetric spends on each (a label slice made, checked
// and sorted, two allocations for the value): the label pairs of a tunnel
// are made once per scrape, already in the order the registry wants, and
// shared by its series, and the samples are one slice.
type sample struct {
	desc    *prometheus.Desc
	labels  []*dto.LabelPair
	value   float64
	counter dto.Counter
	gauge   dto.Gauge
	isGauge bool
}

func (s *sample) Desc() *prometheus.Desc { return s.desc }

func (s *sample) Write(m *dto.Metric) error {
	m.Label = s.labels
	if s.isGauge {
		s.gauge.Value = &s.value
		m.Gauge = &s.gauge
	} else {
		s.counter.Value = &s.value
		m.Counter = &s.counter
	}
	return nil
}

func pair(name, value string) *dto.LabelPair { return &dto.LabelPair{Name: &name, Value: &value} }

var (
	dirPairs   = [2]*dto.LabelPair{pair("direction", dirNames[0]), pair("direction", dirNames[1])}
	statePairs = func() map[correlate.TunnelState]*dto.LabelPair {
		m := map[correlate.TunnelState]*dto.LabelPair{}
		for _, s := range states {
			m[s] = pair("state", string(s))
		}
		return m
	}()
)

// tunnelLabels are one tunnel's label sets, each sorted by label name.
type tunnelLabelSets struct {
	base [3]*dto.LabelPair    // peer_a, peer_b, tunnel
	dir  [2][4]*dto.LabelPair // direction, peer_a, peer_b, tunnel
}

// sendTunnels sends the series of the tunnels with their own (own, sorted
// by peers and key) and of the aggregate, other, when it is among them
// (its state series count the tunnels in each state; it has no info).
func sendTunnels(ch chan<- prometheus.Metric, own []*tunnelStats, other *aggregate, now time.Time) {
	sets := make([]tunnelLabelSets, len(own))
	n := 0
	for i, st := range own {
		pa, pb, pt := pair("peer_a", st.a), pair("peer_b", st.b), pair("tunnel", st.key)
		sets[i].base = [3]*dto.LabelPair{pa, pb, pt}
		for d := range sets[i].dir {
			sets[i].dir[d] = [4]*dto.LabelPair{dirPairs[d], pa, pb, pt}
		}
		n += 16 + len(st.findings)
	}
	samples := make([]sample, 0, n+len(states))
	send := func(desc *prometheus.Desc, gauge bool, v float64, labels []*dto.LabelPair) {
		samples = append(samples, sample{desc: desc, labels: labels, value: v, isGauge: gauge})
		ch <- &samples[len(samples)-1]
	}
	for i, st := range own {
		b := sets[i].base[:]
		if st != &other.tunnelStats {
			send(descInfo, true, 1, []*dto.LabelPair{b[0], b[1], pair("selectors", st.selectors), b[2]})
			send(descState, true, 1, []*dto.LabelPair{b[0], b[1], statePairs[st.state], b[2]})
		} else {
			for _, s := range states {
				if n := other.byState[s]; n > 0 {
					send(descState, true, float64(n), []*dto.LabelPair{b[0], b[1], statePairs[s], b[2]})
				}
			}
		}
		send(descRekeys, false, float64(st.rekeys), b)
		send(descRekeyFail, false, float64(st.rekeyFailures), b)
		send(descRetrans, false, float64(st.retransmissions), b)
		for fl, n := range st.findings {
			send(descTFindings, true, float64(n), []*dto.LabelPair{pair("code", fl.code), b[0], b[1], pair("severity", string(fl.severity)), b[2]})
		}
	}
	for d := range dirNames {
		for i, st := range own {
			ds, l := st.esp[d], sets[i].dir[d][:]
			send(descESPPackets, false, float64(ds.packets), l)
			send(descESPBytes, false, float64(ds.bytes), l)
			send(descESPLost, false, float64(ds.lost), l)
			send(descESPReplay, false, float64(ds.replayed), l)
			if !ds.last.IsZero() {
				send(descESPIdle, true, max(0, now.Sub(ds.last).Seconds()), l)
			}
		}
	}
}
