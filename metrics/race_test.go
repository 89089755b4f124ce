package metrics

import (
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestConcurrentScrapes: scrapes run while snapshots are published, and
// two scrapes at once share the sticky set of tunnels (go test -race).
func TestConcurrentScrapes(t *testing.T) {
	c := NewCollector(50, "test")
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				a, fs := synthAnalysis(100 + 10*j)
				c.Publish(&Snapshot{Analysis: a, Findings: fs, Taken: time.Now()})
				testutil.CollectAndCount(c)
			}
		}()
	}
	wg.Wait()
	if n := len(c.own); n != 50 {
		t.Errorf("%d tunnels with their own series, want the bound, 50", n)
	}
}
