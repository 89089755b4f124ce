package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sharedOrSkip(t *testing.T, rel string) string {
	t.Helper()
	p := filepath.Join(sharedCaptures, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skip("shared captures not present")
	}
	return p
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.txt")
	os.WriteFile(notCapture, []byte("these are not packets\n"), 0o644)
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no args", nil, 2, "Usage"},
		{"unknown flag", []string{"decode", "--frobnicate", "x.pcap"}, 2, "frobnicate"},
		{"missing file", []string{"decode", filepath.Join(dir, "nope.pcap")}, 2, "nope.pcap"},
		{"not a capture", []string{"decode", notCapture}, 2, "notes.txt: byte offset 0: not a pcap or pcapng capture"},
		{"empty file", []string{"decode", empty}, 2, "empty.pcap: byte offset 0: not a pcap or pcapng capture: the file holds only 0 bytes"},
		{"bad port", []string{"decode", "--ike-port", "x", notCapture}, 2, "ike-port"},
		{"version", []string{"version"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.inStderr)
			}
		})
	}
}

// TestJSONContract checks the fields users' scripts rely on (issue 2):
// frame, time, src, dst; ispi, rspi (lowercase hex), version, exchange
// {number, name}, message_id, notifies [{type, name}], payloads; spi, seq.
func TestJSONContract(t *testing.T) {
	path := sharedOrSkip(t, "zeek-spicy-ipsec/tests/traces/ipsec.cap")
	stdout, _, code := runCLI("decode", path, "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var objs []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var o map[string]any
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("line is not JSON: %v: %s", err, sc.Text())
		}
		objs = append(objs, o)
	}
	if len(objs) != 27 {
		t.Fatalf("%d objects, want 27", len(objs))
	}
	for _, k := range []string{"frame", "time", "src", "dst", "ispi", "rspi", "version", "exchange", "message_id", "notifies", "payloads"} {
		if _, ok := objs[0][k]; !ok {
			t.Errorf("IKE object lacks %q", k)
		}
	}
	nopro := objs[2]
	if nopro["frame"] != 3.0 || nopro["ispi"] != "c6d1459285150c7e" || nopro["rspi"] != "0000000000000000" {
		t.Errorf("frame 3: %v %v %v", nopro["frame"], nopro["ispi"], nopro["rspi"])
	}
	ex := nopro["exchange"].(map[string]any)
	if ex["number"] != 5.0 || ex["name"] != "INFORMATIONAL" {
		t.Errorf("exchange %v", ex)
	}
	n := nopro["notifies"].([]any)[0].(map[string]any)
	if n["type"] != 14.0 || n["name"] != "NO_PROPOSAL_CHOSEN" {
		t.Errorf("notify %v", n)
	}
	esp := objs[11]
	if esp["spi"] != "1c0d7b38" || esp["seq"] != 1.0 || esp["kind"] != "esp" {
		t.Errorf("ESP %v %v %v", esp["spi"], esp["seq"], esp["kind"])
	}
}

func TestStdinAndGzip(t *testing.T) {
	path := sharedOrSkip(t, "zeek-spicy-ipsec/tests/traces/ipsec.cap")
	want, _, _ := runCLI("decode", path)

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	got, _, code := runCLI("decode", "-")
	os.Stdin = saved
	if code != 0 || got != want {
		t.Errorf("stdin: exit %d, output differs:\n%s", code, firstDiff([]byte(want), []byte(got)))
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gzPath := filepath.Join(t.TempDir(), "ipsec.pcap.gz")
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	os.WriteFile(gzPath, buf.Bytes(), 0o644)
	got, _, code = runCLI("decode", gzPath)
	if code != 0 || got != want {
		t.Errorf("gzip: exit %d, output differs:\n%s", code, firstDiff([]byte(want), []byte(got)))
	}
}

func TestFlagsAfterFile(t *testing.T) {
	path := sharedOrSkip(t, "zeek-spicy-ipsec/tests/traces/ipsec.cap")
	a, _, _ := runCLI("decode", "--json", path)
	b, _, _ := runCLI("decode", path, "--json")
	if a != b || !strings.HasPrefix(a, "{") {
		t.Error("flag position changes the decode output")
	}
	c, _, _ := runCLI(path, "--json")
	d, _, _ := runCLI("analyze", "--json", path)
	if c != d || !strings.Contains(c, `"schema": 1`) {
		t.Error("a bare file is not the same as analyze")
	}
}

// TestAnalyzeExitAndJSON: exit 0 healthy, 1 failure, 2 unreadable; the
// document carries the fields the schema names.
func TestAnalyzeExitAndJSON(t *testing.T) {
	ok := filepath.Join(labCaptures, "lab/ikev2-ok/capture.pcap")
	bad := filepath.Join(labCaptures, "lab/ikev2-psk-mismatch/capture.pcap")
	if _, code, _ := func() (string, int, string) { o, e, c := runCLI("analyze", ok); return o, c, e }(); code != 0 {
		t.Errorf("healthy capture: exit %d", code)
	}
	stdout, _, code := runCLI("analyze", "--json", "--no-keys", bad)
	if code != 1 {
		t.Errorf("failing capture: exit %d, want 1", code)
	}
	var doc struct {
		Schema int `json:"schema"`
		Input  struct {
			Name    string `json:"name"`
			Size    int64  `json:"size"`
			SHA256  string `json:"sha256"`
			Packets int    `json:"packets"`
		} `json:"input"`
		Verdict string `json:"verdict"`
		IKESAs  []struct {
			State   string `json:"state"`
			Failure *struct {
				Exchange string `json:"exchange"`
				Message  int    `json:"message"`
				Frame    int    `json:"frame"`
			} `json:"failure"`
		} `json:"ike_sas"`
		Findings []struct {
			Code      string `json:"code"`
			Severity  string `json:"severity"`
			Certainty string `json:"certainty"`
			Summary   string `json:"summary"`
			Frame     int    `json:"frame"`
			Frames    []int  `json:"frames"`
			Causes    []any  `json:"causes"`
			Remedy    string `json:"remedy"`
			Commands  []any  `json:"commands"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.Schema != 1 || doc.Input.Packets != 4 || len(doc.Input.SHA256) != 64 || doc.Input.Size == 0 || doc.Verdict != "failure" {
		t.Errorf("header: %+v verdict %s", doc.Input, doc.Verdict)
	}
	if len(doc.IKESAs) != 1 || doc.IKESAs[0].State != "failed" || doc.IKESAs[0].Failure == nil ||
		doc.IKESAs[0].Failure.Exchange != "IKE_AUTH" || doc.IKESAs[0].Failure.Message != 2 || doc.IKESAs[0].Failure.Frame != 4 {
		t.Errorf("IKE SA: %+v", doc.IKESAs)
	}
	f := doc.Findings[0]
	if f.Code != "P1_AUTH_FAILED" || f.Severity != "error" || f.Certainty != "inferred" || f.Frame != 4 || len(f.Frames) != 2 || f.Frames[0] != 3 || len(f.Causes) == 0 || f.Remedy == "" || len(f.Commands) == 0 {
		t.Errorf("first finding %+v", f)
	}
	// The keys the lab left beside the capture are picked up: certain.
	withKeys, _, _ := runCLI("analyze", "--json", bad)
	if !strings.Contains(withKeys, `"certainty": "certain"`) || !strings.Contains(withKeys, `"key_files": [`) ||
		!strings.Contains(withKeys, "ikev2_decryption_table") || strings.Contains(withKeys, `"key_files": []`) {
		t.Errorf("with the keys beside the capture the failure is not certain, or the key files are not named")
	}
	if _, _, code := runCLI("analyze", filepath.Join(t.TempDir(), "missing.pcap")); code != 2 {
		t.Errorf("missing file: exit %d, want 2", code)
	}
}

// TestKeysNeverPrinted: no key from the key files appears in any output.
func TestKeysNeverPrinted(t *testing.T) {
	dir := filepath.Join(labCaptures, "lab/ikev2-ok")
	var secrets []string
	for _, name := range []string{"ikev2_decryption_table", "esp_sa"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			fields := strings.Split(line, ",")
			for i, f := range fields {
				f = strings.TrimPrefix(strings.Trim(f, `"`), "0x")
				// SPIs (the first two IKEv2 columns, the ESP SPI) are
				// identifiers, not secrets.
				if len(f) >= 32 && (name == "esp_sa" || i >= 2) {
					secrets = append(secrets, strings.ToLower(f))
				}
			}
		}
	}
	if len(secrets) < 4 {
		t.Fatalf("found only %d keys in the lab files", len(secrets))
	}
	capture := filepath.Join(dir, "capture.pcap")
	var all strings.Builder
	ilog, rlog := filepath.Join(dir, "charon-initiator.log"), filepath.Join(dir, "charon-responder.log")
	for _, args := range [][]string{{"decode", "-v", capture}, {"decode", "--json", capture}, {"analyze", capture}, {"analyze", "--json", capture},
		{"analyze", "--json", "--log", ilog, "--log", rlog, capture}, {"analyze", "--log", ilog, "--log", rlog, capture}} {
		o, e, _ := runCLI(args...)
		all.WriteString(o + e)
	}
	out := strings.ToLower(all.String())
	if !strings.Contains(out, "decrypted") {
		t.Fatal("nothing was decrypted: the test would prove nothing")
	}
	for _, k := range secrets {
		if strings.Contains(out, k) || strings.Contains(out, k[:16]) {
			t.Errorf("key material %s… appears in the output", k[:8])
		}
	}
}

// TestLogFlag: with the daemons' logs and no keys, the IKEv1 PFS mismatch
// that the encrypted wire shows only as a rejected child SA becomes
// P2_PFS_MISMATCH, certain, with the responder's log line as evidence; the
// charon logs are not used as keys under --no-keys.
func TestLogFlag(t *testing.T) {
	dir := filepath.Join(labCaptures, "lab/ikev1-pfs-one-side")
	capture := filepath.Join(dir, "capture.pcap")
	stdout, stderr, code := runCLI("analyze", "--json", "--no-keys", "--log", filepath.Join(dir, "charon-initiator.log"), "--log", filepath.Join(dir, "charon-responder.log"), capture)
	if code != exitFailure {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var doc struct {
		Input struct {
			KeyFiles []string `json:"key_files"`
		} `json:"input"`
		Findings []struct {
			Code, Certainty string
			Logs            []string `json:"log_lines"`
		} `json:"findings"`
		Logs []struct {
			Name    string
			Format  string
			Aligned int
		} `json:"logs"`
		LogEvents []struct{ Cause string } `json:"log_events"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Input.KeyFiles) != 0 {
		t.Errorf("keys used under --no-keys: %v", doc.Input.KeyFiles)
	}
	if len(doc.Findings) == 0 || doc.Findings[0].Code != "P2_PFS_MISMATCH" || doc.Findings[0].Certainty != "certain" || len(doc.Findings[0].Logs) == 0 {
		t.Fatalf("first finding %+v, want P2_PFS_MISMATCH certain with log lines", doc.Findings)
	}
	if !strings.Contains(doc.Findings[0].Logs[0], "charon-responder.log") {
		t.Errorf("evidence %q is not the responder's log", doc.Findings[0].Logs)
	}
	if len(doc.Logs) != 2 || doc.Logs[0].Format != "charon" || doc.Logs[0].Aligned == 0 {
		t.Errorf("logs %+v", doc.Logs)
	}
	causes := 0
	for _, e := range doc.LogEvents {
		if e.Cause != "" {
			causes++
		}
	}
	if causes == 0 {
		t.Error("no log event with a cause in log_events")
	}
	// A log that is not a gateway log: reported, not fatal.
	foreign := filepath.Join(t.TempDir(), "nginx.log")
	os.WriteFile(foreign, []byte("127.0.0.1 - - [27/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 612\n"), 0o644)
	_, stderr, code = runCLI("analyze", "--log", foreign, capture)
	if code != exitFailure || !strings.Contains(stderr, "no line of a known gateway log format") {
		t.Errorf("foreign log: exit %d, stderr %q", code, stderr)
	}
}

// TestNoDigest: --no-digest leaves input.sha256 empty and changes nothing
// else of the document.
func TestNoDigest(t *testing.T) {
	capture := filepath.Join(labCaptures, "lab/ikev2-ok/capture.pcap")
	with, _, _ := runCLI("analyze", "--json", capture)
	without, _, _ := runCLI("analyze", "--json", "--no-digest", capture)
	var a, b map[string]any
	if err := json.Unmarshal([]byte(with), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(without), &b); err != nil {
		t.Fatal(err)
	}
	ia, ib := a["input"].(map[string]any), b["input"].(map[string]any)
	if ia["sha256"] == "" || ib["sha256"] != "" {
		t.Fatalf("sha256 with %q, without %q", ia["sha256"], ib["sha256"])
	}
	ib["sha256"] = ia["sha256"]
	for _, d := range []map[string]any{a, b} {
		delete(d["tool"].(map[string]any), "analysis_time")
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("documents differ beyond the digest")
	}
}

// TestNestedESPShown: ESP carried inside ESP (tcpdump's sunrise-sunset
// capture, both SAs' keys) shows the inner SPI and what it decrypts to.
func TestNestedESPShown(t *testing.T) {
	capture := filepath.Join(sharedCaptures, "tcpdump/tests/08-sunrise-sunset-esp2.pcap")
	if _, err := os.Stat(capture); err != nil {
		t.Skip("shared captures absent")
	}
	stdout, _, _ := runCLI("decode", "--keys", "../../decrypt/testdata/sunrise-esp2", capture)
	if !strings.Contains(stdout, "proto 50 (carries ESP SPI=0xabcdabcd seq=1, decrypted: 192.0.2.1 → 192.0.1.1 protocol 1)") {
		t.Errorf("nested ESP not shown:\n%s", stdout)
	}
	stdout, _, _ = runCLI("decode", "--json", "--keys", "../../decrypt/testdata/sunrise-esp2", capture)
	if !strings.Contains(stdout, `"note":"carries ESP SPI=0xabcdabcd seq=1`) {
		t.Errorf("nested ESP not in the JSON:\n%.600s", stdout)
	}
}

// TestHelpExitsZero: -h and --help are a request, not a mistake: every
// command prints its usage and exits 0; an unknown flag still exits 2.
func TestHelpExitsZero(t *testing.T) {
	for _, cmd := range []string{"analyze", "decode", "report", "live"} {
		for _, h := range []string{"-h", "--help"} {
			if _, errOut, code := runCLI(cmd, h); code != exitOK || !strings.Contains(errOut, "Usage") {
				t.Errorf("%s %s: exit %d, usage shown %v", cmd, h, code, strings.Contains(errOut, "Usage"))
			}
		}
		if _, _, code := runCLI(cmd, "--no-such-flag"); code != exitUnreadable {
			t.Errorf("%s --no-such-flag: exit %d, want 2", cmd, code)
		}
	}
	if _, _, code := runCLI("--help"); code != exitOK {
		t.Errorf("--help: exit %d", code)
	}
}

// TestCodesCommand: `ipsecpcap codes` lists every code of the catalog,
// -v with its remedy, --json as the catalog itself.
func TestCodesCommand(t *testing.T) {
	out, _, code := runCLI("codes")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, c := range diagnose.Catalog() {
		if !strings.Contains(out, c.Code+" ") {
			t.Errorf("%s not listed", c.Code)
		}
	}
	if v, _, _ := runCLI("codes", "-v"); !strings.Contains(v, "Remedy: ") || !strings.Contains(v, "H3C/Comware:") {
		t.Errorf("codes -v lacks remedies or commands:\n%s", v)
	}
	js, _, _ := runCLI("codes", "--json")
	var doc []diagnose.CodeInfo
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc) != len(diagnose.Catalog()) || doc[0].Remedy == "" {
		t.Errorf("codes --json: %v, %d entries", err, len(doc))
	}
}
