package report

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/gwlog"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// logScenarios are lab captures with both gateways' charon logs (level 4:
// they hold the keys).
var logScenarios = []string{"ikev1-ts-not-mirrored", "ikev1-pfs-one-side"}

func labDir(name string) string { return filepath.Join("..", "testdata", "pcaps", "lab", name) }

// analyzeWithLogs analyses a lab capture with its two charon logs,
// without keys: the cause comes from the logs.
func analyzeWithLogs(t *testing.T, capture string) *pipeline.Result {
	t.Helper()
	var logs []*gwlog.Log
	for _, f := range []string{"charon-initiator.log", "charon-responder.log"} {
		l, err := gwlog.ParseFile(filepath.Join(labDir(capture), f))
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, l)
	}
	res, err := pipeline.Analyze(labPcap(capture), pipeline.Options{Logs: logs})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestGoldenLogs renders a lab capture with both gateways' logs in every
// format, whole and redacted: the logs in the chain of custody, their lines
// on the timeline, the log line in the finding.
func TestGoldenLogs(t *testing.T) {
	const capture = "ikev1-ts-not-mirrored"
	res := analyzeWithLogs(t, capture)
	for _, c := range []struct {
		name string
		opt  Options
	}{
		{capture + "-logs", Options{}},
		{capture + "-logs-redacted", Options{Redact: true}},
	} {
		opt := c.opt
		opt.Version, opt.Now = "test", testNow
		r, err := New(res, opt)
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range Formats {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				got := render(t, r, format)
				golden(t, filepath.Join("testdata", c.name+"."+formatExt[format]), got)
				checkFormat(t, r, format, got)
				s := string(got)
				wants := []string{"charon-initiator.log", "charon-responder.log", "P2_TS_MISMATCH",
					"no matching CHILD_SA config found for", "charon-responder.log:302"}
				switch format {
				case FormatJSON:
					wants = append(wants, `"lines": 346`, `"log_lines"`, `"log_events"`)
				case FormatMarkdown:
					wants = append(wants, "Gateway log", "346 lines", "-393.98ms", "Note over R: log charon-responder.log:302")
				default:
					wants = append(wants, "Gateway log", "346 lines", "-393.98ms", "sent by initiator (charon-initiator.log:118)")
				}
				if opt.Redact {
					wants = append(wants, "10.0.3.0/24")
					for _, a := range []string{"198.19.1.0", "198.19.2.0", "198.18.1."} {
						if strings.Contains(s, a) {
							t.Errorf("%s: address %s not redacted", format, a)
						}
					}
				} else {
					wants = append(wants, "198.19.1.0/24 === 198.19.2.0/24")
				}
				for _, w := range wants {
					if !strings.Contains(s, w) {
						t.Errorf("%s lacks %q", format, w)
					}
				}
			})
		}
	}
}

// TestLogsTunnelSelection: --tunnel keeps the logs read and the lines of
// the selected IKE SAs.
func TestLogsTunnelSelection(t *testing.T) {
	res := analyzeWithLogs(t, "ikev1-ts-not-mirrored")
	r, err := New(res, Options{Tunnel: "1", Version: "test", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Analysis.LogFiles) != 2 || len(r.Analysis.Logs) == 0 || len(r.Custody.Logs) != 2 {
		t.Errorf("selection dropped the logs: %d files, %d lines", len(r.Analysis.LogFiles), len(r.Analysis.Logs))
	}
	if s := string(render(t, r, FormatText)); !strings.Contains(s, "charon-responder.log:302") {
		t.Errorf("selected report lacks the cause line:\n%s", s)
	}
}

// secretHex are the key values of a lab scenario, lower-case hex: those of
// its Wireshark tables and esp_sa, and those the charon logs dump after a
// secret's name (SKEYID, shared secret, encryption key, Sk_...).
func secretHex(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	hexRun := regexp.MustCompile(`[0-9a-fA-F]{32,}`)
	for _, f := range []string{"ikev1_decryption_table", "ikev2_decryption_table", "esp_sa"} {
		b, err := os.ReadFile(filepath.Join(labDir(name), f))
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || r == '"' || r == ' ' || r == '\n' }) {
			field = strings.TrimPrefix(field, "0x")
			if hexRun.MatchString(field) && len(field) >= 32 {
				out = append(out, strings.ToLower(field))
			}
		}
	}
	secretName := regexp.MustCompile(`(?i)(skeyid|secret|key|sk_|prf\+)`)
	dump := regexp.MustCompile(`\]\s+0: ((?:[0-9A-F]{2} ){8})`)
	for _, f := range []string{"charon-initiator.log", "charon-responder.log"} {
		fh, err := os.Open(filepath.Join(labDir(name), f))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		prev := ""
		for sc.Scan() {
			l := sc.Text()
			if m := dump.FindStringSubmatch(l); m != nil && secretName.MatchString(prev) && strings.Contains(prev, "bytes @") {
				out = append(out, strings.ToLower(strings.ReplaceAll(m[1], " ", "")))
			}
			prev = l
		}
		fh.Close()
	}
	if len(out) == 0 {
		t.Fatalf("%s: no key values found", name)
	}
	return out
}

// keyForms are the ways a key's first 8 bytes could be written: hex in
// either case, spaced as a hexdump, and base64 is out of scope.
func keyForms(k string) []string {
	if len(k) > 16 {
		k = k[:16]
	}
	b, _ := hex.DecodeString(k)
	var spaced []string
	for _, c := range b {
		spaced = append(spaced, hex.EncodeToString([]byte{c}))
	}
	sp := strings.Join(spaced, " ")
	return []string{k, strings.ToUpper(k), sp, strings.ToUpper(sp)}
}

// TestLogsNoKeyBytes: no key value of the lab scenarios (from the tables
// saved beside the captures and from the charon logs' level-4 dumps)
// appears in any report format made with those logs.
func TestLogsNoKeyBytes(t *testing.T) {
	for _, name := range logScenarios {
		keys := secretHex(t, name)
		// Positive control: the forms looked for are the ones the logs
		// hold the keys in.
		raw, err := os.ReadFile(filepath.Join(labDir(name), "charon-initiator.log"))
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for _, k := range keys {
			for _, form := range keyForms(k) {
				if strings.Contains(string(raw), form) {
					found++
				}
			}
		}
		if found == 0 {
			t.Fatalf("%s: no key value found in its charon log as looked for", name)
		}
		t.Logf("%s: %d key values, %d seen in the initiator's log", name, len(keys), found)
		res := analyzeWithLogs(t, name)
		if len(res.Analysis.Logs) == 0 {
			t.Fatalf("%s: no log events", name)
		}
		for _, redact := range []bool{false, true} {
			r, err := New(res, Options{Redact: redact, Version: "test", Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			for _, format := range Formats {
				s := string(render(t, r, format))
				for _, k := range keys {
					for _, form := range keyForms(k) {
						if strings.Contains(s, form) {
							t.Errorf("%s %s: key bytes %q in the report", name, format, form)
						}
					}
				}
			}
		}
	}
}
