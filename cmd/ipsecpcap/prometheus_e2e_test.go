//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ipsecpcap/ipsecpcap/internal/netnstest"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// Addresses inside the test's own network namespace (nothing else listens
// there).
const (
	promMetricsAddr = "127.0.0.1:19748"
	promWebAddr     = "127.0.0.1:19090"
)

// TestPrometheusScrapesLive runs a real Prometheus (Debian's prometheus
// package) scraping `ipsecpcap live --metrics` while a lab capture of a
// tunnel whose ESP flows one way is replayed into a veth pair, all in a
// network namespace of its own: Prometheus's HTTP API must return the
// tunnel's series with its state and the packet counts of the capture,
// and the repository's alert rules (deploy/prometheus, with their for:
// set to 0s) must fire IPsecESPOneWay for it and nothing else. The events
// file live writes meanwhile, reopened on SIGHUP after it was moved away,
// must validate and hold the finding. Needs
// root and the prometheus binary; skipped cleanly without them.
func TestPrometheusScrapesLive(t *testing.T) {
	if os.Getenv("IPSECPCAP_PROM_CHILD") == "" {
		if testing.Short() {
			t.Skip("-short")
		}
		if os.Geteuid() != 0 {
			t.Skip("needs root (network namespaces, packet sockets)")
		}
		if _, err := exec.LookPath("prometheus"); err != nil {
			t.Skip("needs the prometheus binary (apt-get install prometheus)")
		}
		netnstest.Lock(t)
		bin := buildIpsecpcap(t, t.TempDir())
		ns := fmt.Sprintf("ipl-pr-%d", os.Getpid())
		netnstest.Veth(t, ns, "ipl-pr0", "ipl-pr1")
		t.Logf("%s", netnstest.Rerun(t, ns, "TestPrometheusScrapesLive", 3*time.Minute, []string{"IPSECPCAP_PROM_CHILD=1", "IPSECPCAP_BIN=" + bin}))
		return
	}
	promChild(t, os.Getenv("IPSECPCAP_BIN"))
}

// started is a process the test started, stopped at the end (SIGINT,
// then SIGKILL after a bounded wait) by its own PID.
type started struct {
	cmd  *exec.Cmd
	done chan error
}

func startProc(t *testing.T, logPath string, name string, args ...string) *started {
	t.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &started{cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() { p.stop(5 * time.Second) })
	return p
}

// stop interrupts the process and waits for it, killing it after wait.
func (p *started) stop(wait time.Duration) error {
	if p.cmd.ProcessState != nil {
		return nil
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(wait):
		p.cmd.Process.Kill()
		err := <-p.done
		p.done <- err
		return fmt.Errorf("did not stop within %s: killed", wait)
	}
}

// poll calls f every 250 ms until it returns true or the time is up.
func poll(limit time.Duration, f func() bool) bool {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if f() {
			return true
		}
	}
	return f()
}

func httpGet(u string) (int, []byte) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// promQuery runs an instant query and returns the series' labels and
// values.
func promQuery(t *testing.T, q string) []promSample {
	t.Helper()
	code, b := httpGet("http://" + promWebAddr + "/api/v1/query?query=" + url.QueryEscape(q))
	if code != 200 {
		return nil
	}
	var r struct {
		Data struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("query %s: %v\n%s", q, err, b)
	}
	var out []promSample
	for _, s := range r.Data.Result {
		v, _ := s.Value[1].(string)
		out = append(out, promSample{s.Metric, v})
	}
	return out
}

type promSample struct {
	labels map[string]string
	value  string
}

func promChild(t *testing.T, bin string) {
	const pcap = "../../testdata/pcaps/lab/ikev2-esp-one-way/capture.pcap"
	dir := t.TempDir()
	// What the capture holds: the tunnel's ESP both ways.
	res, err := pipeline.Analyze(pcap, pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Analysis.Tunnels) != 1 {
		t.Fatalf("%d tunnels in %s", len(res.Analysis.Tunnels), pcap)
	}
	tu := res.Analysis.Tunnels[0]
	key := res.Analysis.TunnelKeys()[0]
	var aToB, bToA uint64
	for _, fi := range tu.ESP {
		if f := res.Analysis.ESP[fi]; f.Src.Addr() == tu.A {
			aToB += f.Packets
		} else {
			bToA += f.Packets
		}
	}
	if aToB == 0 || bToA != 0 {
		t.Fatalf("the capture's ESP: %d a→b, %d b→a", aToB, bToA)
	}

	eventsPath := filepath.Join(dir, "events.json")
	live := startProc(t, filepath.Join(dir, "live.log"), bin, "live", "-i", "ipl-pr1", "--no-tui", "--json",
		"--metrics", promMetricsAddr, "--events", eventsPath, "--duration", "150s")
	if !poll(15*time.Second, func() bool { c, _ := httpGet("http://" + promMetricsAddr + "/healthz"); return c == 200 }) {
		b, _ := os.ReadFile(filepath.Join(dir, "live.log"))
		t.Fatalf("ipsecpcap live did not serve /healthz:\n%s", b)
	}

	// The repository's rules, with every for: at 0s so that the alert
	// fires at the first evaluation that sees the condition.
	rules, err := os.ReadFile("../../deploy/prometheus/ipsecpcap.rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	rules = regexp.MustCompile(`(?m)^(\s+for:) .*$`).ReplaceAll(rules, []byte("$1 0s"))
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %s
scrape_configs:
  - job_name: ipsecpcap
    static_configs:
      - targets: ['%s']
`, filepath.Join(dir, "rules.yml"), promMetricsAddr)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	promLog := filepath.Join(dir, "prometheus.log")
	prom := startProc(t, promLog, "prometheus", "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+promWebAddr)
	dump := func() string {
		a, _ := os.ReadFile(promLog)
		b, _ := os.ReadFile(filepath.Join(dir, "live.log"))
		_, m := httpGet("http://" + promMetricsAddr + "/metrics")
		var tun []string
		for _, l := range strings.Split(string(m), "\n") {
			if strings.HasPrefix(l, "ipsecpcap_") {
				tun = append(tun, l)
			}
		}
		return fmt.Sprintf("prometheus log:\n%s\nlive log:\n%s\nmetrics:\n%s", a, b, strings.Join(tun, "\n"))
	}
	if !poll(30*time.Second, func() bool { c, _ := httpGet("http://" + promWebAddr + "/-/ready"); return c == 200 }) {
		t.Fatalf("prometheus not ready\n%s", dump())
	}
	// Prometheus has scraped the sensor before the capture is sent.
	if !poll(15*time.Second, func() bool { return len(promQuery(t, `up{job="ipsecpcap"} == 1`)) == 1 }) {
		t.Fatalf("prometheus does not scrape the sensor\n%s", dump())
	}

	// A rotation before the traffic: the file moved away, SIGHUP, and the
	// sensor writes on into a new file at the path.
	if err := os.Rename(eventsPath, eventsPath+".1"); err != nil {
		t.Fatal(err)
	}
	live.cmd.Process.Signal(syscall.SIGHUP)
	if !poll(5*time.Second, func() bool { _, err := os.Stat(eventsPath); return err == nil }) {
		t.Fatalf("no new events file after SIGHUP\n%s", dump())
	}

	sent := replay(t, pcap, "ipl-pr0")
	t.Logf("sent %d frames", sent)

	sel := fmt.Sprintf(`tunnel=%q,peer_a=%q,peer_b=%q`, key, tu.A, tu.B)
	want := map[string]string{
		`ipsecpcap_tunnel_esp_packets_total{` + sel + `,direction="a_to_b"}`: fmt.Sprint(aToB),
		`ipsecpcap_tunnel_esp_packets_total{` + sel + `,direction="b_to_a"}`: "0",
		`ipsecpcap_tunnel_state{` + sel + `}`:                                "1",
		`ipsecpcap_capture_packets_total`:                                    fmt.Sprint(sent),
		`ipsecpcap_capture_kernel_drops_total`:                               "0",
		`ipsecpcap_tunnels{state="up"}`:                                      "1",
	}
	got := map[string]string{}
	ok := poll(30*time.Second, func() bool {
		all := true
		for q, v := range want {
			r := promQuery(t, q)
			got[q] = fmt.Sprint(r)
			if len(r) != 1 || r[0].value != v {
				all = false
			}
		}
		return all
	})
	if !ok {
		t.Fatalf("prometheus has, for each query:\n%v\nwant %v\n%s", got, want, dump())
	}
	if st := promQuery(t, `ipsecpcap_tunnel_state{`+sel+`}`); st[0].labels["state"] != "up" {
		t.Errorf("tunnel state %v, want up", st[0].labels)
	}

	// The alert for the scenario fires; no other alert does.
	var alerts []map[string]string
	fired := poll(30*time.Second, func() bool {
		alerts = alerts[:0]
		for _, s := range promQuery(t, `ALERTS{alertstate="firing"}`) {
			alerts = append(alerts, s.labels)
		}
		return len(alerts) > 0
	})
	if !fired || len(alerts) != 1 || alerts[0]["alertname"] != "IPsecESPOneWay" || alerts[0]["tunnel"] != key {
		t.Fatalf("firing alerts %v, want IPsecESPOneWay for %s\n%s", alerts, key, dump())
	}
	_, api := httpGet("http://" + promWebAddr + "/api/v1/alerts")
	if !bytes.Contains(api, []byte(`"alertname":"IPsecESPOneWay"`)) || !bytes.Contains(api, []byte(`"state":"firing"`)) {
		t.Errorf("/api/v1/alerts: %s", api)
	}

	if err := live.stop(15 * time.Second); err != nil {
		if ee, isExit := err.(*exec.ExitError); !isExit || ee.ExitCode() != exitFailure {
			t.Errorf("ipsecpcap live: %v (want exit %d, a failure found)", err, exitFailure)
		}
	}
	prom.stop(15 * time.Second)

	// The events live wrote: valid, with the finding.
	schema := eventsSchema(t)
	f, err := os.Open(eventsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var codes []string
	for sc.Scan() {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(sc.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Fatalf("event does not validate: %v\n%s", err, sc.Bytes())
		}
		var ev struct {
			Event    struct{ Code string }
			Observer struct {
				Ingress struct{ Interface struct{ Name string } }
			}
		}
		json.Unmarshal(sc.Bytes(), &ev)
		if ev.Observer.Ingress.Interface.Name != "ipl-pr1" {
			t.Errorf("observer.ingress.interface.name %q", ev.Observer.Ingress.Interface.Name)
		}
		codes = append(codes, ev.Event.Code)
	}
	if !strings.Contains(strings.Join(codes, " "), "TUNNEL_UP") || !strings.Contains(strings.Join(codes, " "), "ESP_ONE_WAY") {
		t.Errorf("events: %v", codes)
	}
}
