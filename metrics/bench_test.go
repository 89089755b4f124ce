package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkScrape10kTunnels is one scrape of /metrics (the whole handler:
// collect, gather, encode as Prometheus text) over an analysis of 10 000
// tunnels, with the default bound (1000 tunnels of their own, the rest
// summed) and with a bound high enough for all of them. It reports the
// series written and the heap the analysis holds next to what a scrape
// allocates. The goal is a scrape under 100 ms there (docs/metrics.md
// has the numbers measured):
//
//	go test ./metrics -run '^$' -bench Scrape10k -benchmem
func BenchmarkScrape10kTunnels(b *testing.B) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	a, fs := synthAnalysis(10_000)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	held := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	for _, max := range []int{DefaultMaxTunnels, 10_000} {
		b.Run(fmt.Sprintf("max-tunnels=%d", max), func(b *testing.B) {
			c := NewCollector(max, "bench")
			c.Publish(&Snapshot{Analysis: a, Findings: fs, Taken: time.Now()})
			h := Handler(c)
			req := httptest.NewRequest("GET", "/metrics", nil)
			var size int
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
				size = w.Body.Len()
			}
			b.ReportMetric(float64(size)/(1<<20), "MiB/scrape")
			b.ReportMetric(float64(testingCount(c)), "series")
			b.ReportMetric(held, "MiB-analysis")
		})
	}
}

func testingCount(c *Collector) int {
	n := 0
	ch := make(chanMetric, 1024)
	go func() { c.Collect(ch); close(ch) }()
	for range ch {
		n++
	}
	return n
}

type chanMetric = chan prometheus.Metric
