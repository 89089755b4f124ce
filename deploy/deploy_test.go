package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipsecpcap/ipsecpcap/metrics"
)

// TestAlertRules: promtool checks the rules and runs their unit tests
// (prometheus/ipsecpcap.rules.test.yml: each alert fires when it should,
// with its labels and annotations, and not before its for:).
func TestAlertRules(t *testing.T) {
	if _, err := exec.LookPath("promtool"); err != nil {
		t.Skip("needs promtool (apt-get install prometheus)")
	}
	for _, args := range [][]string{{"check", "rules", "ipsecpcap.rules.yml"}, {"test", "rules", "ipsecpcap.rules.test.yml"}} {
		cmd := exec.Command("promtool", args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// served is every metric name the collector describes.
func served() []string {
	ch := make(chan *prometheus.Desc, 64)
	go func() { metrics.NewCollector(0, "").Describe(ch); close(ch) }()
	var names []string
	re := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		if m := re.FindStringSubmatch(d.String()); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}

// TestMetricNamesExist: every ipsecpcap_ metric the rules and the
// dashboard use is one the sensor serves, and docs/metrics.md documents
// every one it serves.
func TestMetricNamesExist(t *testing.T) {
	names := served()
	if len(names) < 20 {
		t.Fatalf("only %d metrics described: %v", len(names), names)
	}
	used := regexp.MustCompile(`\bipsecpcap_[a-z_]+\b`)
	for _, f := range []string{"prometheus/ipsecpcap.rules.yml", "prometheus/ipsecpcap.rules.test.yml", "grafana/ipsecpcap-dashboard.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range used.FindAllString(string(b), -1) {
			if !slices.Contains(names, m) {
				t.Errorf("%s uses %s, which the sensor does not serve", f, m)
			}
		}
	}
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !strings.Contains(string(doc), "`"+n+"`") {
			t.Errorf("docs/metrics.md does not document %s", n)
		}
	}
}

// TestDashboard: the dashboard is JSON Grafana imports: panels with
// Prometheus queries, over the sensors picked by the instance variable.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile("grafana/ipsecpcap-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] || len(p.Targets) == 0 {
			t.Errorf("panel %d %q: duplicate ID or no query", p.ID, p.Title)
		}
		ids[p.ID] = true
		for _, q := range p.Targets {
			if !strings.Contains(q.Expr, `instance=~"$instance"`) {
				t.Errorf("panel %q: %s ignores the instance variable", p.Title, q.Expr)
			}
		}
	}
	if d.UID == "" || len(d.Panels) < 8 {
		t.Errorf("uid %q, %d panels", d.UID, len(d.Panels))
	}
}

// TestSystemdUnit: the unit gives the sensor the two capabilities it uses
// and nothing more, runs it as a dynamic user in a read-only system, and
// systemd-analyze verify (when installed) finds nothing to say about it.
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile("systemd/ipsecpcap@.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{"\nAmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN\n", "\nCapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN\n",
		"\nDynamicUser=yes\n", "\nProtectSystem=strict\n", "\nNoNewPrivileges=yes\n", "\nExecReload=/bin/kill -HUP $MAINPID\n",
		" live -i %i --no-tui --metrics ${IPSECPCAP_METRICS} --events /var/log/ipsecpcap/%i.events.json "} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("needs systemd-analyze")
	}
	// An instance of the template, with a binary that exists.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ipsecpcap@eth1.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(unit, "/usr/local/bin/ipsecpcap", exe)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
