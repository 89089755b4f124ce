package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func labCapture(name string) string {
	return filepath.Join("..", "..", "testdata", "pcaps", "lab", name, "capture.pcap")
}

func runReportCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	saved := reportClock
	reportClock = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	defer func() { reportClock = saved }()
	var out, errOut bytes.Buffer
	code := runReport(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestReportExitStatus: 0 healthy, 1 a failure found, 2 could not analyse
// or bad usage, as analyze.
func TestReportExitStatus(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{labCapture("ikev2-ok"), "--format", "text"}, 0, ""},
		{[]string{labCapture("ikev1-main-psk-mismatch"), "--format", "md"}, 1, ""},
		{[]string{"--format", "json", labCapture("ikev2-stale-spi")}, 1, ""},
		{[]string{labCapture("ikev2-stale-spi"), "--format", "text", "--tunnel", "2"}, 0, ""},
		{[]string{labCapture("ikev2-ok"), "--format", "pdf"}, 2, "unknown format"},
		{[]string{labCapture("ikev2-ok"), "--tunnel", "9"}, 2, "no IKE SA matches"},
		{[]string{"no-such-file.pcap"}, 2, "no-such-file.pcap"},
		{[]string{}, 2, "Usage"},
		{[]string{"-", "--slice", "x.pcap"}, 2, "standard input"},
		// An output name that says another format is refused, not written
		// as Markdown under that name.
		{[]string{labCapture("ikev2-ok"), "-o", filepath.Join(t.TempDir(), "r.pdf")}, 2, "not pdf"},
		{[]string{labCapture("ikev2-ok"), "-o", filepath.Join(t.TempDir(), "r.html"), "--format", "md"}, 2, "--format asks for md"},
		{[]string{"--help"}, 0, "Usage"},
		// A key file that cannot be read is reported; the analysis goes on.
		{[]string{labCapture("ikev2-ok"), "--keys", "/etc/keys/lab.keys", "--format", "json"}, 0, "keys: /etc/keys/lab.keys: cannot read"},
	} {
		out, errOut, code := runReportCLI(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.err) {
			t.Errorf("report %v: status %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.err)
		}
		if code < 2 && out == "" && !slices.Contains(c.args, "--help") && !slices.Contains(c.args, "-o") {
			t.Errorf("report %v: no output", c.args)
		}
	}
}

// TestReportKeysNamedOnly: the key files used are named, without their
// directory, and their keys decrypt the capture.
func TestReportKeysNamedOnly(t *testing.T) {
	table := filepath.Join(filepath.Dir(labCapture("ikev2-ok")), "ikev2_decryption_table")
	out, _, _ := runReportCLI(t, labCapture("ikev2-ok"), "--no-keys", "--keys", table, "--format", "json")
	var doc struct {
		Custody struct {
			KeyFiles     []string `json:"key_files"`
			AnalysisTime string   `json:"analysis_time"`
			ToolVersion  string   `json:"tool_version"`
		} `json:"custody"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Custody.KeyFiles) != 1 || doc.Custody.KeyFiles[0] != "ikev2_decryption_table" || strings.Contains(out, "ikev2-ok/ikev2_decryption_table") ||
		!strings.Contains(out, `"decrypted": true`) {
		t.Errorf("key files %v", doc.Custody.KeyFiles)
	}
	if doc.Custody.AnalysisTime != "2026-01-02T03:04:05Z" || doc.Custody.ToolVersion != Version {
		t.Errorf("custody %+v", doc.Custody)
	}
}

// TestReportSliceAndOutput: -o writes the report to a file, --slice the
// selected tunnel's packets, and the report maps slice frames to original
// frames; the slice analysed again fails the same way.
func TestReportSliceAndOutput(t *testing.T) {
	dir := t.TempDir()
	out, slice := filepath.Join(dir, "r.json"), filepath.Join(dir, "s.pcap")
	stdout, errOut, code := runReportCLI(t, labCapture("ikev2-stale-spi"), "--format", "json", "-o", out, "--tunnel", "1", "--slice", slice)
	if code != 1 || stdout != "" {
		t.Fatalf("status %d, stdout %q, stderr %q", code, stdout, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		IKESAs []struct {
			ID int `json:"id"`
		} `json:"ike_sas"`
		Slice struct {
			File   string `json:"file"`
			Frames []int  `json:"original_frames"`
		} `json:"slice"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.IKESAs) != 1 || doc.IKESAs[0].ID != 1 {
		t.Errorf("ike_sas %+v, want only #1", doc.IKESAs)
	}
	if doc.Slice.File != slice || len(doc.Slice.Frames) == 0 || doc.Slice.Frames[0] != 1 {
		t.Errorf("slice %+v", doc.Slice)
	}
	// The format follows -o's extension unless --format is given.
	page := filepath.Join(dir, "r.html")
	if _, errOut, code := runReportCLI(t, labCapture("ikev2-ok"), "-o", page); code != 0 {
		t.Fatalf("-o %s: status %d, %s", page, code, errOut)
	}
	if b, _ := os.ReadFile(page); !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) {
		t.Errorf("-o r.html did not write HTML")
	}
	// The slice is a capture of its own: analysed, it fails the same way.
	var aout, aerr bytes.Buffer
	if code := runAnalyze([]string{"--json", slice}, &aout, &aerr); code != 1 {
		t.Errorf("analyze slice: status %d, %s", code, aerr.String())
	}
	if !strings.Contains(aout.String(), "ESP_INVALID_SPI") {
		t.Errorf("the slice lost the failure")
	}
	// Markdown maps slice frames to original frames.
	md, _, _ := runReportCLI(t, labCapture("ikev2-stale-spi"), "--format", "md", "--tunnel", "1", "--slice", filepath.Join(dir, "s2.pcap"))
	if !strings.Contains(md, "## Evidence slice") || !strings.Contains(md, "Slice frame → original frame") {
		t.Errorf("markdown has no slice mapping:\n%s", md)
	}
}

// TestReportRedact: --redact leaves no lab address in any format.
func TestReportRedact(t *testing.T) {
	for _, format := range []string{"md", "html", "text", "json"} {
		out, errOut, code := runReportCLI(t, labCapture("ikev2-nat-t"), "--format", format, "--redact")
		if code > 1 {
			t.Fatalf("%s: %s", format, errOut)
		}
		if strings.Contains(out, "198.18.") || strings.Contains(out, "192.168.") {
			t.Errorf("%s: an original address is left", format)
		}
		if !strings.Contains(out, "10.0.") {
			t.Errorf("%s: no placeholder", format)
		}
	}
}

// secondPoint is ikev2-ok as a second capture point saw it (clock 2.5 s
// ahead, the IKE_AUTH response lost before it): see report/multi_test.go.
const secondPoint = "../../report/testdata/two-points/responder.pcap"

// TestReportTwoCaptures: several files are one run; --slice writes one
// slice per capture, named OUT-1.pcap, OUT-2.pcap; the slices analysed
// together fail the same way.
func TestReportTwoCaptures(t *testing.T) {
	dir := t.TempDir()
	slice := filepath.Join(dir, "ev.pcap")
	out, errOut, code := runReportCLI(t, labCapture("ikev2-ok"), secondPoint, "--format", "text", "--slice", slice)
	if code != 1 {
		t.Fatalf("status %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"PATH_LOSS", "Capture 1 SHA-256", "Capture 2 SHA-256", "+2.5s against capture 1", "seen at 1, NOT at 2",
		"ev-1.pcap (capture 1", "ev-2.pcap (capture 2", "→ 2:1"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "slice of capture 2") {
		t.Errorf("stderr does not name the slices written: %q", errOut)
	}
	slices := []string{filepath.Join(dir, "ev-1.pcap"), filepath.Join(dir, "ev-2.pcap")}
	var aout, aerr bytes.Buffer
	if code := runAnalyze(slices, &aout, &aerr); code != 1 || !strings.Contains(aout.String(), "PATH_LOSS") {
		t.Errorf("analyze slices: status %d, %s\n%s", code, aerr.String(), aout.String())
	}
	if _, err := os.Stat(slice); err == nil {
		t.Errorf("%s written besides the per-capture slices", slice)
	}
}

// TestReportWithLogs: `report --log A --log B` puts the gateway logs in
// the chain of custody and their lines on the timeline, in every format;
// with the keys beside the capture and in the charon logs (level 4) used to
// decrypt, no key byte reaches any report.
func TestReportWithLogs(t *testing.T) {
	dir := filepath.Dir(labCapture("ikev1-ts-not-mirrored"))
	logs := []string{"--log", filepath.Join(dir, "charon-initiator.log"), "--log", filepath.Join(dir, "charon-responder.log")}
	table, err := os.ReadFile(filepath.Join(dir, "ikev1_decryption_table"))
	if err != nil {
		t.Fatal(err)
	}
	_, key, _ := strings.Cut(strings.TrimSpace(string(table)), ",")
	if len(key) < 32 {
		t.Fatalf("no key in the table: %q", table)
	}
	var spaced []string
	for i := 0; i+2 <= 16; i += 2 {
		spaced = append(spaced, strings.ToUpper(key[i:i+2]))
	}
	forms := []string{key, strings.ToUpper(key), key[:16], strings.Join(spaced, " "), strings.ToLower(strings.Join(spaced, " "))}
	for _, format := range []string{"md", "html", "text", "json"} {
		for _, redact := range []bool{false, true} {
			args := append([]string{labCapture("ikev1-ts-not-mirrored"), "--format", format}, logs...)
			if redact {
				args = append(args, "--redact")
			}
			out, errOut, code := runReportCLI(t, args...)
			if code != 1 {
				t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
			}
			for _, want := range []string{"charon-initiator.log", "charon-responder.log", "P2_TS_MISMATCH", "no matching CHILD_SA config found"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s (redact %v): %q missing", format, redact, want)
				}
			}
			if redact && strings.Contains(out, "198.19.1.0") {
				t.Errorf("%s: an address inside a log line is not redacted", format)
			}
			for _, f := range forms {
				if strings.Contains(out, f) || strings.Contains(errOut, f) {
					t.Errorf("%s (redact %v): key bytes %q in the output", format, redact, f)
				}
			}
		}
	}
}
