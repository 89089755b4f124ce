package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// perTunnel is the number of series a tunnel with ESP both ways and no
// finding has: info, its state, rekeys, rekey failures, retransmissions,
// and per direction packets, bytes, lost, replayed and idle.
const perTunnel = 1 + 1 + 3 + 2*5

func gather(t testing.TB, c *Collector) map[string][]*dto.Metric {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*dto.Metric{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf.GetMetric()
	}
	return out
}

func labels(m *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return -1
}

// TestLabCapture publishes the analysis of a lab capture: its tunnel's
// state and ESP counts per direction are the analysis's, its finding is
// counted by code and severity.
func TestLabCapture(t *testing.T) {
	res, err := pipeline.Analyze("../testdata/pcaps/lab/ikev2-esp-one-way/capture.pcap", pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := NewCollector(0, "test")
	c.Publish(&Snapshot{Analysis: res.Analysis, Findings: res.Findings, CapturePackets: 40, KernelDrops: 2, Taken: time.Now()})
	m := gather(t, c)
	if len(res.Analysis.Tunnels) != 1 {
		t.Fatalf("%d tunnels", len(res.Analysis.Tunnels))
	}
	tu := res.Analysis.Tunnels[0]
	var want [2]float64
	for _, fi := range tu.ESP {
		f := res.Analysis.ESP[fi]
		if f.Src.Addr() == tu.A {
			want[0] += float64(f.Packets)
		} else {
			want[1] += float64(f.Packets)
		}
	}
	if want[0] == 0 || want[1] != 0 {
		t.Fatalf("the capture is not one way: %v", want)
	}
	got := map[string]float64{}
	for _, s := range m["ipsecpcap_tunnel_esp_packets_total"] {
		l := labels(s)
		if l["tunnel"] != "198.18.1.1-198.18.1.2#1" || l["peer_a"] != "198.18.1.1" {
			t.Errorf("labels %v", l)
		}
		got[l["direction"]] = value(s)
	}
	if got["a_to_b"] != want[0] || got["b_to_a"] != want[1] {
		t.Errorf("ESP packets %v, want a_to_b %v b_to_a %v", got, want[0], want[1])
	}
	if n := len(m["ipsecpcap_tunnel_esp_idle_seconds"]); n != 1 {
		t.Errorf("%d idle gauges, want 1 (no ESP from b)", n)
	}
	for _, s := range m["ipsecpcap_tunnel_state"] {
		l := labels(s)
		if v, up := value(s), l["state"] == "up"; (v == 1) != up {
			t.Errorf("state %s = %v", l["state"], v)
		}
	}
	found := false
	for _, s := range m["ipsecpcap_findings"] {
		if l := labels(s); l["code"] == "ESP_ONE_WAY" && l["severity"] == "error" && l["category"] == "failure" && value(s) == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("no ESP_ONE_WAY in ipsecpcap_findings: %v", m["ipsecpcap_findings"])
	}
	if v := value(m["ipsecpcap_capture_kernel_drops_total"][0]); v != 2 {
		t.Errorf("drops %v", v)
	}
}

// TestAggregationBound: past the bound the tunnels are summed into one
// set of series, whose size does not grow with the tunnels, and counted;
// a tunnel keeps its own series while it lives.
func TestAggregationBound(t *testing.T) {
	a, fs := synthAnalysis(250)
	c := NewCollector(100, "test")
	c.Publish(&Snapshot{Analysis: a, Findings: fs, Taken: time.Now()})
	m := gather(t, c)
	if v := value(m["ipsecpcap_tunnels_aggregated"][0]); v != 150 {
		t.Errorf("aggregated %v, want 150", v)
	}
	tunnels := map[string]bool{}
	var other float64
	for _, s := range m["ipsecpcap_tunnel_esp_packets_total"] {
		l := labels(s)
		tunnels[l["tunnel"]] = true
		if l["tunnel"] == OtherTunnel && l["direction"] == "a_to_b" {
			other = value(s)
		}
	}
	if len(tunnels) != 101 || !tunnels[OtherTunnel] || !tunnels["198.18.0.0-198.19.0.0#1"] {
		t.Errorf("%d tunnel labels", len(tunnels))
	}
	if other != 150*1000 {
		t.Errorf("_other a_to_b packets %v, want %v", other, 150*1000)
	}
	otherStates := map[string]float64{}
	for _, s := range m["ipsecpcap_tunnel_state"] {
		if l := labels(s); l["tunnel"] == OtherTunnel {
			otherStates[l["state"]] = value(s)
		}
	}
	if otherStates["up"] != 150-15 || otherStates["down"] != 14 || otherStates["failed"] != 1 || len(otherStates) != 3 {
		t.Errorf("the aggregate's states: %v", otherStates)
	}
	byState := map[string]float64{}
	for _, s := range m["ipsecpcap_tunnels"] {
		byState[labels(s)["state"]] = value(s)
	}
	if byState["up"] != 225 || byState["down"] != 23 || byState["failed"] != 2 || byState["negotiating"] != 0 {
		t.Errorf("tunnels by state %v", byState)
	}
	n := testutil.CollectAndCount(c)
	// 100 tunnels of their own plus the aggregate (no info, a state
	// series for each of the 3 states its tunnels are in), one finding
	// each for the failed ones, and the fixed series.
	const fixed = 2 + 1 + 2 + 4 + 2 + 1 + 4 + 1 + 1 // build, max, age, capture ×2, packets ×4, untracked ×2, ike_sas, tunnels ×4, aggregated, findings
	if want := 100*perTunnel + perTunnel - 2 + 3 + 2 + fixed; n != want {
		t.Errorf("%d series, want %d", n, want)
	}

	// The bound holds the first tunnels; a newcomer waits for room.
	b, bfs := synthAnalysis(250)
	b.Tunnels = append(b.Tunnels[100:], b.Tunnels[:100]...)
	c.Publish(&Snapshot{Analysis: b, Findings: bfs, Taken: time.Now()})
	m = gather(t, c)
	if labels(m["ipsecpcap_tunnel_info"][0])["tunnel"] != "198.18.0.0-198.19.0.0#1" {
		t.Errorf("the tunnels of their own moved")
	}
	small, _ := synthAnalysis(10)
	c.Publish(&Snapshot{Analysis: small, Taken: time.Now()})
	if m = gather(t, c); len(m["ipsecpcap_tunnel_info"]) != 10 || value(m["ipsecpcap_tunnels_aggregated"][0]) != 0 {
		t.Errorf("after the tunnels went: %d of their own", len(m["ipsecpcap_tunnel_info"]))
	}
}

// TestHandler serves /metrics (OpenMetrics when asked) and /healthz, which
// turns 503 when snapshots stop.
func TestHandler(t *testing.T) {
	c := NewCollector(0, "test")
	srv := httptest.NewServer(Handler(c))
	defer srv.Close()
	get := func(path, accept string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz", ""); code != 503 {
		t.Errorf("/healthz before any snapshot: %d", code)
	}
	a, fs := synthAnalysis(3)
	c.Publish(&Snapshot{Analysis: a, Findings: fs, Taken: time.Now()})
	if code, body := get("/healthz", ""); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, body := get("/metrics", "application/openmetrics-text; version=1.0.0")
	for _, want := range []string{`ipsecpcap_tunnel_state{peer_a="198.18.0.2",peer_b="198.19.0.2",state="up",tunnel="198.18.0.2-198.19.0.2#3"} 1.0`,
		"process_resident_memory_bytes", "go_goroutines", "# EOF"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %s\n%s", code, want, body)
		}
	}
	c.Now = func() time.Time { return time.Now().Add(StaleAfter + time.Second) }
	if code, body := get("/healthz", ""); code != 503 || !strings.Contains(body, "old") {
		t.Errorf("/healthz with a stale snapshot: %d %q", code, body)
	}
}

// TestNoPanicOnOddAnalyses: tunnels naming flows and SAs that are not
// there, no tunnels at all, and an empty snapshot.
func TestNoPanicOnOddAnalyses(t *testing.T) {
	a, fs := synthAnalysis(2)
	a.Tunnels[0].ESP = append(a.Tunnels[0].ESP, 99, -1)
	a.IKESAs[0].Tunnels = append(a.IKESAs[0].Tunnels, 42)
	a.IKESAs[0].Children = append(a.IKESAs[0].Children, correlate.Child{ID: 9, Tunnel: 77})
	fs = append(fs, diagnose.Finding{Code: "X", Tunnel: 1234, IKESA: 99})
	for _, s := range []*Snapshot{{Analysis: a, Findings: fs}, {Analysis: &correlate.Analysis{}}, {}} {
		c := NewCollector(1, "test")
		c.Publish(s)
		testutil.CollectAndCount(c)
	}
}

// TestTenThousandTunnels: with 10 000 tunnels and the default bound, a
// scrape has the series of 1000 tunnels and one aggregate, whatever the
// number of tunnels past the bound (BenchmarkScrape10kTunnels times it).
func TestTenThousandTunnels(t *testing.T) {
	a, fs := synthAnalysis(10_000)
	c := NewCollector(0, "test")
	c.Publish(&Snapshot{Analysis: a, Findings: fs, Taken: time.Now()})
	n := testutil.CollectAndCount(c)
	const fixed = 2 + 1 + 2 + 4 + 2 + 1 + 4 + 1 + 1
	// 10 failed tunnels among the first 1000, each with a finding; the
	// aggregate's tunnels are in 3 states and its findings one code.
	if want := DefaultMaxTunnels*perTunnel + 10 + (perTunnel - 2 + 3 + 1) + fixed; n != want {
		t.Errorf("%d series, want %d", n, want)
	}
	m := gather(t, c)
	if v := value(m["ipsecpcap_tunnels_aggregated"][0]); v != 9000 {
		t.Errorf("aggregated %v", v)
	}
}

// TestScrapeMemoryBound: what a scrape of 10 000 tunnels allocates at the
// default bound stays under the 32 MiB docs/metrics.md promises (measured:
// 16 MB), whatever the tunnels past the bound.
func TestScrapeMemoryBound(t *testing.T) {
	a, fs := synthAnalysis(10_000)
	c := NewCollector(0, "test")
	c.Publish(&Snapshot{Analysis: a, Findings: fs, Taken: time.Now()})
	h := Handler(c)
	scrape := func() uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
		runtime.ReadMemStats(&after)
		if w.Code != 200 {
			t.Fatal(w.Code)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	scrape() // the registry's first gather sets up its caches
	if n := scrape(); n > 32<<20 {
		t.Errorf("a scrape allocated %d MiB", n>>20)
	}
	if len(c.own) != DefaultMaxTunnels {
		t.Errorf("%d tunnels remembered, want the bound", len(c.own))
	}
}
