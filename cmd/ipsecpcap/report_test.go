package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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
		// A key file that cannot be read is reported; the analysis goes on.
		{[]string{labCapture("ikev2-ok"), "--keys", "/etc/keys/lab.keys", "--format", "json"}, 0, "keys: /etc/keys/lab.keys: cannot read"},
	} {
		out, errOut, code := runReportCLI(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.err) {
			t.Errorf("report %v: status %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.err)
		}
		if code < 2 && out == "" {
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
