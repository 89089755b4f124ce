package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// splitInto writes a capture as n pcap pieces dir/prefix_0.pcap ... by
// record count, as editcap -c does.
func splitInto(t *testing.T, src, dir, prefix string, n int) {
	t.Helper()
	f, err := capture.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type rec struct {
		ci   gopacket.CaptureInfo
		data []byte
		lt   capture.LinkType
	}
	var recs []rec
	for {
		r, err := f.Next()
		if err != nil {
			break
		}
		recs = append(recs, rec{gopacket.CaptureInfo{Timestamp: r.Time, CaptureLength: len(r.Data), Length: r.OrigLen}, append([]byte(nil), r.Data...), r.LinkType})
	}
	for i := range n {
		out, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s_%d.pcap", prefix, i)))
		if err != nil {
			t.Fatal(err)
		}
		w := pcapgo.NewWriterNanos(out)
		w.WriteFileHeader(262144, layers.LinkType(recs[0].lt))
		for _, r := range recs[i*len(recs)/n : (i+1)*len(recs)/n] {
			w.WritePacket(r.ci, r.data)
		}
		out.Close()
	}
}

// TestNamedPointsInPieces: two capture points, each rotated into pieces,
// named with --point: the output calls them by name, PATH_LOSS included,
// and the JSON lists each point's files.
func TestNamedPointsInPieces(t *testing.T) {
	lab := "../../testdata/pcaps/lab/ikev2-esp-dropped-midpath"
	dir := t.TempDir()
	splitInto(t, filepath.Join(lab, "capture.pcap"), dir, "west", 3)
	splitInto(t, filepath.Join(lab, "capture-responder.pcap"), dir, "east", 2)
	_, _, whole := runCLI("analyze", "--no-keys", filepath.Join(lab, "capture.pcap"), filepath.Join(lab, "capture-responder.pcap"))

	out, stderr, code := runCLI("analyze", "--no-keys", "--point", "west-gw="+filepath.Join(dir, "west_*.pcap"), "--point", "east-gw="+filepath.Join(dir, "east_*.pcap"))
	if code != whole {
		t.Errorf("exit %d, the whole files give %d\n%s%s", code, whole, out, stderr)
	}
	for _, want := range []string{"west-gw", "east-gw", "named with --point: 3 files read in time order", "west_2.pcap: frames", "PATH_LOSS"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "seen at east-gw, 0 at west-gw") {
		t.Errorf("PATH_LOSS does not name the points:\n%s", out)
	}

	js, _, _ := runCLI("analyze", "--json", "--no-digest", "--no-keys", "--point", "west-gw="+filepath.Join(dir, "west_*.pcap"), "--point", "east-gw="+filepath.Join(dir, "east_*.pcap"))
	var doc struct {
		Captures []struct {
			Point string `json:"point"`
			Files []struct {
				Name       string `json:"name"`
				FirstFrame int    `json:"first_frame"`
			} `json:"files"`
		} `json:"captures"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Captures) != 2 || doc.Captures[0].Point != "west-gw" || len(doc.Captures[0].Files) != 3 || doc.Captures[1].Point != "east-gw" || len(doc.Captures[1].Files) != 2 {
		t.Fatalf("captures %+v", doc.Captures)
	}
	if doc.Captures[0].Files[0].FirstFrame != 1 || doc.Captures[0].Files[1].FirstFrame <= 1 {
		t.Errorf("frames of the pieces: %+v", doc.Captures[0].Files)
	}
}

// TestDirectoryOfPieces: a directory argument stands for the captures in
// it (the key file beside them is not one); pieces of one capture given so
// give the whole capture's verdict and findings.
func TestDirectoryOfPieces(t *testing.T) {
	lab := "../../testdata/pcaps/lab/ikev2-stale-spi"
	dir := t.TempDir()
	splitInto(t, filepath.Join(lab, "capture.pcap"), dir, "cap", 4)
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ticket 4711\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	want, _, wantCode := runCLI("analyze", "--json", "--no-digest", "--no-keys", filepath.Join(lab, "capture.pcap"))
	got, stderr, code := runCLI("analyze", "--json", "--no-digest", "--no-keys", dir)
	if code != wantCode {
		t.Fatalf("exit %d, want %d: %s", code, wantCode, stderr)
	}
	findings := func(doc string) string {
		var d struct {
			Findings json.RawMessage `json:"findings"`
			Input    struct {
				Files []json.RawMessage `json:"files"`
			} `json:"input"`
		}
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatal(err)
		}
		if doc == got && len(d.Input.Files) != 4 {
			t.Errorf("input.files has %d files, want the 4 pieces", len(d.Input.Files))
		}
		return string(d.Findings)
	}
	if findings(got) != findings(want) {
		t.Errorf("the pieces' findings differ from the whole capture's:\n%s", firstDiff([]byte(findings(want)), []byte(findings(got))))
	}
}

// TestReportCustodyOfPieces: the report's chain of custody names every
// piece of a capture point with its own digest.
func TestReportCustodyOfPieces(t *testing.T) {
	dir := t.TempDir()
	splitInto(t, "../../testdata/pcaps/lab/ikev2-stale-spi/capture.pcap", dir, "cap", 3)
	out, stderr, code := runCLI("report", "--no-keys", "--format", "text", dir)
	if code > 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for i := range 3 {
		if !strings.Contains(out, fmt.Sprintf("cap_%d.pcap: frames", i)) {
			t.Errorf("the custody does not list cap_%d.pcap:\n%s", i, out)
		}
	}
	if strings.Count(out, "SHA-256") < 4 || !strings.Contains(out, "one capture point in pieces") {
		t.Errorf("the custody lacks the pieces' digests or why they are one point:\n%s", out)
	}
}

// TestCompressedCaptures: a lab capture compressed with gzip, zstd or lz4
// decodes and analyses as the plain file (told by content, whatever the
// name says).
func TestCompressedCaptures(t *testing.T) {
	plain := "../../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap"
	raw, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	wantDecode, _, _ := runCLI("decode", "--no-keys", plain)
	wantAnalyze, _, wantCode := runCLI("analyze", "--no-keys", plain)
	for name, compress := range map[string]func(w io.Writer) io.WriteCloser{
		"gzip": func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) },
		"zstd": func(w io.Writer) io.WriteCloser { z, _ := zstd.NewWriter(w); return z },
		"lz4":  func(w io.Writer) io.WriteCloser { return lz4.NewWriter(w) },
	} {
		var b bytes.Buffer
		zw := compress(&b)
		zw.Write(raw)
		zw.Close()
		path := filepath.Join(t.TempDir(), "capture.pcap") // the name does not say
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, stderr, code := runCLI("decode", "--no-keys", path); code != 0 || got != wantDecode {
			t.Errorf("%s: decode exit %d (%s), output differs:\n%s", name, code, stderr, firstDiff([]byte(wantDecode), []byte(got)))
		}
		got, _, code := runCLI("analyze", "--no-keys", path)
		if code != wantCode || strings.SplitN(got, "\n", 2)[1] != strings.SplitN(wantAnalyze, "\n", 2)[1] {
			t.Errorf("%s: analyze exit %d, output differs:\n%s", name, code, firstDiff([]byte(wantAnalyze), []byte(got)))
		}
	}
}
