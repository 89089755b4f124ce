// Package metrics serves what a running analysis knows to Prometheus: the
// state and traffic of every tunnel, the findings by code and severity,
// the capture's packets and kernel drops, and the analyser's own resource
// use, on /metrics (Prometheus text or OpenMetrics), with /healthz for a
// process supervisor.
//
// It owns the metric names and labels (docs/metrics.md lists them; like JSON
// field names they are a contract: added, never renamed) and the bound on
// their number. It holds no counter of its own: the live loop publishes
// each snapshot it takes (correlate.Analysis and diagnose findings, the
// analysis already made for the findings it prints), and a scrape reads the
// latest one. Nothing is done per packet, and a scrape costs one pass over
// the tunnels of the snapshot. Like every view it never looks at a packet.
//
// Label cardinality is bounded: the first MaxTunnels tunnels seen get their
// own series and keep them while they are in the analysis; the rest are
// summed into one set of series with tunnel="_other", and
// ipsecpcap_tunnels_aggregated says how many that is.
package metrics

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// DefaultMaxTunnels is the default number of tunnels with series of their
// own (live --metrics-max-tunnels).
const DefaultMaxTunnels = 1000

// OtherTunnel is the tunnel label of the series that sum the tunnels past
// the bound.
const OtherTunnel = "_other"

// Snapshot is what the live loop publishes: an analysis, its findings and
// the capture's counters at the moment it was taken.
type Snapshot struct {
	Analysis *correlate.Analysis
	Findings []diagnose.Finding
	// CapturePackets and KernelDrops are the capture socket's counters:
	// every frame read, and what the kernel dropped before it could be.
	CapturePackets, KernelDrops uint64
	// Taken is when the snapshot was taken (wall clock).
	Taken time.Time
}

// Collector is a prometheus.Collector over the latest published snapshot.
type Collector struct {
	latest     atomic.Pointer[Snapshot]
	maxTunnels int
	version    string
	// Now is the clock of the idle gauges (time since the last ESP); the
	// live capture's packet times are on it.
	Now func() time.Time

	mu  sync.Mutex
	own map[string]bool // tunnel keys with their own series
}

// NewCollector returns a collector giving at most maxTunnels tunnels their
// own series (<= 0: DefaultMaxTunnels); version is the tool's, for
// ipsecpcap_build_info.
func NewCollector(maxTunnels int, version string) *Collector {
	if maxTunnels <= 0 {
		maxTunnels = DefaultMaxTunnels
	}
	return &Collector{maxTunnels: maxTunnels, version: version, Now: time.Now, own: map[string]bool{}}
}

// Publish makes s the snapshot the next scrape reads. It is cheap (one
// pointer stored), so the live loop calls it on every snapshot it takes.
func (c *Collector) Publish(s *Snapshot) { c.latest.Store(s) }

// Latest is the snapshot last published, nil before any.
func (c *Collector) Latest() *Snapshot { return c.latest.Load() }

var (
	tunnelLabels = []string{"tunnel", "peer_a", "peer_b"}
	dirLabels    = append(slices.Clone(tunnelLabels), "direction")

	descBuild      = prometheus.NewDesc("ipsecpcap_build_info", "The analyser's version (value 1).", []string{"version"}, nil)
	descInfo       = prometheus.NewDesc("ipsecpcap_tunnel_info", "A tunnel with series of its own (value 1): its protected flows when keys or logs show them.", append(slices.Clone(tunnelLabels), "selectors"), nil)
	descState      = prometheus.NewDesc("ipsecpcap_tunnel_state", "The tunnel's state (1 for the current one: up, down, negotiating, failed); for tunnel=\"_other\" the number of aggregated tunnels in each state.", append(slices.Clone(tunnelLabels), "state"), nil)
	descRekeys     = prometheus.NewDesc("ipsecpcap_tunnel_rekeys_total", "Child SA rekeys, IKE SA rekeys and reauthentications of the tunnel that came up.", tunnelLabels, nil)
	descRekeyFail  = prometheus.NewDesc("ipsecpcap_tunnel_rekey_failures_total", "Rekeys and reauthentications of the tunnel that were refused or never answered.", tunnelLabels, nil)
	descRetrans    = prometheus.NewDesc("ipsecpcap_tunnel_ike_retransmissions_total", "IKE messages of the tunnel's IKE SAs sent again.", tunnelLabels, nil)
	descESPPackets = prometheus.NewDesc("ipsecpcap_tunnel_esp_packets_total", "ESP packets of the tunnel, per direction (a_to_b: from peer_a).", dirLabels, nil)
	descESPBytes   = prometheus.NewDesc("ipsecpcap_tunnel_esp_bytes_total", "ESP bytes (IP packets as captured) of the tunnel, per direction.", dirLabels, nil)
	descESPLost    = prometheus.NewDesc("ipsecpcap_tunnel_esp_lost_total", "ESP sequence numbers skipped and never seen, per direction.", dirLabels, nil)
	descESPReplay  = prometheus.NewDesc("ipsecpcap_tunnel_esp_replayed_total", "ESP sequence numbers seen twice, per direction.", dirLabels, nil)
	descESPIdle    = prometheus.NewDesc("ipsecpcap_tunnel_esp_idle_seconds", "Seconds since the tunnel's last ESP packet in that direction (absent before the first).", dirLabels, nil)
	descTFindings  = prometheus.NewDesc("ipsecpcap_tunnel_findings", "Findings about the tunnel in the current analysis, by code and severity.", append(slices.Clone(tunnelLabels), "code", "severity"), nil)

	descTunnels    = prometheus.NewDesc("ipsecpcap_tunnels", "Tunnels in the analysis by state, all of them (aggregated or not).", []string{"state"}, nil)
	descAggregated = prometheus.NewDesc("ipsecpcap_tunnels_aggregated", "Tunnels past --metrics-max-tunnels, summed into the tunnel=\"_other\" series.", nil, nil)
	descMax        = prometheus.NewDesc("ipsecpcap_tunnels_max_series", "The number of tunnels that get series of their own (--metrics-max-tunnels).", nil, nil)
	descFindings   = prometheus.NewDesc("ipsecpcap_findings", "Findings in the current analysis, by code, severity and category.", []string{"code", "severity", "category"}, nil)
	descCapPackets = prometheus.NewDesc("ipsecpcap_capture_packets_total", "Frames the capture read.", nil, nil)
	descCapDrops   = prometheus.NewDesc("ipsecpcap_capture_kernel_drops_total", "Frames the kernel dropped before the capture could read them.", nil, nil)
	descPackets    = prometheus.NewDesc("ipsecpcap_packets_total", "IPsec packets correlated, by kind (ike, esp, nat_keepalive, icmp_error).", []string{"kind"}, nil)
	descUntracked  = prometheus.NewDesc("ipsecpcap_untracked_total", "IKE SAs and ESP flows not tracked because the analysis's caps were reached (a scan or a flood).", []string{"kind"}, nil)
	descIKESAs     = prometheus.NewDesc("ipsecpcap_ike_sas", "IKE SAs the analysis holds.", nil, nil)
	descAge        = prometheus.NewDesc("ipsecpcap_snapshot_age_seconds", "Seconds since the analysis the metrics show was taken.", nil, nil)
)

// Describe sends every descriptor.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBuild, descInfo, descState, descRekeys, descRekeyFail, descRetrans, descESPPackets,
		descESPBytes, descESPLost, descESPReplay, descESPIdle, descTFindings, descTunnels, descAggregated, descMax, descFindings,
		descCapPackets, descCapDrops, descPackets, descUntracked, descIKESAs, descAge} {
		ch <- d
	}
}

// Collect sends the metrics of the latest snapshot.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, c.version)
	ch <- prometheus.MustNewConstMetric(descMax, prometheus.GaugeValue, float64(c.maxTunnels))
	s := c.latest.Load()
	if s == nil || s.Analysis == nil {
		return
	}
	now := c.Now()
	a := s.Analysis
	ch <- prometheus.MustNewConstMetric(descAge, prometheus.GaugeValue, max(0, now.Sub(s.Taken).Seconds()))
	ch <- prometheus.MustNewConstMetric(descCapPackets, prometheus.CounterValue, float64(s.CapturePackets))
	ch <- prometheus.MustNewConstMetric(descCapDrops, prometheus.CounterValue, float64(s.KernelDrops))
	for _, k := range []struct {
		kind string
		n    int
	}{{"ike", a.IKEPackets}, {"esp", a.ESPPackets}, {"nat_keepalive", a.Keepalives}, {"icmp_error", a.ICMPErrors}} {
		ch <- prometheus.MustNewConstMetric(descPackets, prometheus.CounterValue, float64(k.n), k.kind)
	}
	ch <- prometheus.MustNewConstMetric(descUntracked, prometheus.CounterValue, float64(a.DroppedIKESAs), "ike_sa")
	ch <- prometheus.MustNewConstMetric(descUntracked, prometheus.CounterValue, float64(a.DroppedESPFlows), "esp_flow")
	ch <- prometheus.MustNewConstMetric(descIKESAs, prometheus.GaugeValue, float64(len(a.IKESAs)))
	c.collectFindings(ch, s.Findings)

	stats := summarize(a, s.Findings)
	byState := map[correlate.TunnelState]int{}
	for i := range stats {
		byState[stats[i].state]++
	}
	for _, st := range states {
		ch <- prometheus.MustNewConstMetric(descTunnels, prometheus.GaugeValue, float64(byState[st]), string(st))
	}
	own, other, aggregated := c.split(stats)
	ch <- prometheus.MustNewConstMetric(descAggregated, prometheus.GaugeValue, float64(aggregated))
	if aggregated > 0 {
		own = append(own, &other.tunnelStats)
	}
	// Each family in the order the registry sorts it into (label values,
	// labels by name): a sorted input costs the sort one pass.
	slices.SortFunc(own, func(x, y *tunnelStats) int {
		return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b), cmp.Compare(x.key, y.key))
	})
	sendTunnels(ch, own, &other, now)
}

// aggregate is the tunnels past the bound, summed.
type aggregate struct {
	tunnelStats
	byState map[correlate.TunnelState]int
}

// split picks the tunnels with series of their own: those that had them at
// the last scrape and are still in the analysis, then new ones in the
// analysis's order while there is room. The others are summed.
func (c *Collector) split(stats []tunnelStats) (own []*tunnelStats, other aggregate, aggregated int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	present := make(map[string]bool, len(stats))
	for i := range stats {
		present[stats[i].key] = true
	}
	for k := range c.own {
		if !present[k] {
			delete(c.own, k)
		}
	}
	other.key = OtherTunnel
	other.byState = map[correlate.TunnelState]int{}
	for i := range stats {
		st := &stats[i]
		if !c.own[st.key] && len(c.own) < c.maxTunnels {
			c.own[st.key] = true
		}
		if c.own[st.key] {
			own = append(own, st)
			continue
		}
		aggregated++
		other.byState[st.state]++
		other.rekeys += st.rekeys
		other.rekeyFailures += st.rekeyFailures
		other.retransmissions += st.retransmissions
		for d := range st.esp {
			other.esp[d].add(st.esp[d])
		}
		for fl, n := range st.findings {
			if other.findings == nil {
				other.findings = map[findingLabel]int{}
			}
			other.findings[fl] += n
		}
	}
	return own, other, aggregated
}

// collectFindings sends the findings by code, severity and category.
func (c *Collector) collectFindings(ch chan<- prometheus.Metric, fs []diagnose.Finding) {
	type k struct {
		code     string
		severity diagnose.Severity
	}
	n := map[k]int{}
	for _, f := range fs {
		n[k{f.Code, f.Severity}]++
	}
	for key, v := range n {
		ch <- prometheus.MustNewConstMetric(descFindings, prometheus.GaugeValue, float64(v), key.code, string(key.severity), categoryOf(key.code))
	}
}

var (
	categoriesOnce sync.Once
	categories     map[string]string
)

// categoryOf is a code's category in the catalog ("" for a code it lacks).
func categoryOf(code string) string {
	categoriesOnce.Do(func() {
		categories = map[string]string{}
		for _, ci := range diagnose.Catalog() {
			categories[ci.Code] = ci.Category
		}
	})
	return categories[code]
}
