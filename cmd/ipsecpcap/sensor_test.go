package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// TestSensorEventsToStdout: with --events - the sensor writes each
// snapshot's new events to standard output, once: the glue live uses,
// without a capture (TestPrometheusScrapesLive runs it on one, as root).
func TestSensorEventsToStdout(t *testing.T) {
	var out, errb bytes.Buffer
	sen, err := startSensor(sensorFlags{events: "-", maxTunnels: 10}, "eth9", &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pipeline.Analyze("../../testdata/pcaps/lab/ikev2-psk-mismatch/capture.pcap", pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sen.observe(res)
	n := strings.Count(out.String(), "\n")
	sen.observe(res) // nothing new
	sen.close()
	if n == 0 || strings.Count(out.String(), "\n") != n {
		t.Fatalf("%d lines, then %d:\n%s", n, strings.Count(out.String(), "\n"), out.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var ev struct {
			Observer struct {
				Ingress struct{ Interface struct{ Name string } }
			}
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Observer.Ingress.Interface.Name != "eth9" {
			t.Errorf("%v: %s", err, line)
		}
	}
	if !strings.Contains(out.String(), `"code":"P1_AUTH_FAILED"`) || !strings.Contains(out.String(), `"action":"tunnel-failed"`) {
		t.Errorf("events:\n%s", out.String())
	}
}
