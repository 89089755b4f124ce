package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// testNow is the analysis time stamped into the golden reports.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func labPcap(name string) string {
	return filepath.Join("..", "testdata", "pcaps", "lab", name, "capture.pcap")
}

type goldenCase struct {
	name    string // golden file stem
	capture string
	opt     Options
}

var goldenCases = []goldenCase{
	{"ikev1-main-psk-mismatch", "ikev1-main-psk-mismatch", Options{}},
	{"ikev1-p2-transform-mismatch", "ikev1-p2-transform-mismatch", Options{}},
	{"ikev2-stale-spi", "ikev2-stale-spi", Options{}},
	{"ikev2-ok", "ikev2-ok", Options{KeyFiles: []string{"/secret/dir/ikev2-ok.keys"}}},
	{"ikev1-no-response", "ikev1-no-response", Options{}},
	{"ikev2-stale-spi-tunnel1-redacted", "ikev2-stale-spi", Options{Tunnel: "1", Redact: true}},
}

func analyze(t *testing.T, capture string) *pipeline.Result {
	t.Helper()
	res, err := pipeline.Analyze(labPcap(capture), pipeline.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func build(t *testing.T, c goldenCase) *Report {
	t.Helper()
	opt := c.opt
	opt.Version, opt.Now = "test", testNow
	r, err := New(analyze(t, c.capture), opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func render(t *testing.T, r *Report, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.Write(&b, format); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

var formatExt = map[string]string{FormatMarkdown: "md", FormatHTML: "html", FormatText: "txt", FormatJSON: "json"}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(want, got) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := range min(len(wl), len(gl)) {
			if wl[i] != gl[i] {
				t.Fatalf("%s differs at line %d:\nwant %q\ngot  %q", path, i+1, wl[i], gl[i])
			}
		}
		t.Fatalf("%s differs in length: want %d lines, got %d", path, len(wl), len(gl))
	}
}

// TestGolden renders every format of the lab captures and compares them with
// report/testdata/*; `go test ./report -update` rewrites them.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		r := build(t, c)
		for _, format := range Formats {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				got := render(t, r, format)
				golden(t, filepath.Join("testdata", c.name+"."+formatExt[format]), got)
				checkFormat(t, r, format, got)
			})
		}
	}
}

// checkFormat checks what every report of a format must satisfy.
func checkFormat(t *testing.T, r *Report, format string, got []byte) {
	t.Helper()
	s := string(got)
	// Chain of custody: of each capture when there are several.
	wants := []string{r.Custody.SHA256, fmt.Sprint(r.Custody.Size), r.Custody.Name, "test", "2026-01-02T03:04:05Z"}
	if len(r.Custody.Captures) > 0 {
		wants = []string{"test", "2026-01-02T03:04:05Z"}
		for _, c := range r.Custody.Captures {
			wants = append(wants, c.Name, c.SHA256, fmt.Sprint(c.Size))
		}
	}
	for _, want := range wants {
		if !strings.Contains(s, want) {
			t.Errorf("%s: chain of custody: %q missing", format, want)
		}
	}
	if strings.Contains(s, "/secret/dir") {
		t.Errorf("%s: a key file's directory is in the report (names only)", format)
	}
	for _, k := range r.Custody.KeyFiles {
		if !strings.Contains(s, k) {
			t.Errorf("%s: key file %q not named", format, k)
		}
	}
	for _, f := range r.Findings {
		if !strings.Contains(s, f.Code) {
			t.Errorf("%s: finding %s missing", format, f.Code)
		}
	}
	switch format {
	case FormatText:
		for i, line := range strings.Split(s, "\n") {
			if n := utf8.RuneCountInString(line); n > TextWidth {
				t.Errorf("text line %d is %d columns: %q", i+1, n, line)
			}
		}
	case FormatHTML:
		checkHTML(t, r, got)
	case FormatMarkdown:
		for _, d := range mermaidBlocks(s) {
			checkMermaidSyntax(t, d)
		}
		seq, gantt := 0, 0
		for _, d := range mermaidBlocks(s) {
			if strings.HasPrefix(d, "gantt") {
				gantt++
			} else {
				seq++
			}
		}
		if seq != len(r.Analysis.IKESAs) || gantt != len(r.Analysis.Tunnels) {
			t.Errorf("%d sequence diagrams for %d IKE SAs, %d gantts for %d tunnels", seq, len(r.Analysis.IKESAs), gantt, len(r.Analysis.Tunnels))
		}
	case FormatJSON:
		var doc map[string]any
		if err := json.Unmarshal(got, &doc); err != nil {
			t.Fatalf("json: %v", err)
		}
		for _, k := range []string{"schema", "tool", "input", "verdict", "peers", "ike_sas", "esp", "findings", "custody"} {
			if _, ok := doc[k]; !ok {
				t.Errorf("json: field %q missing", k)
			}
		}
	}
}

// checkHTML parses the page and checks that it is self-contained: no script,
// no reference to anything outside the file, well-formed inline SVG.
func checkHTML(t *testing.T, r *Report, page []byte) {
	t.Helper()
	s := string(page)
	for _, bad := range []string{"<script", "http://", "https://", "<link", "@import", "url("} {
		if strings.Contains(strings.ToLower(s), bad) {
			t.Errorf("html contains %q", bad)
		}
	}
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("html: %v", err)
	}
	ladders, lifelines := 0, 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if n.Data == "svg" && a.Key == "aria-label" && a.Val == "ladder diagram" {
					ladders++
				}
				if n.Data == "svg" && a.Key == "aria-label" && a.Val == "tunnel lifeline" {
					lifelines++
				}
			}
			for _, a := range n.Attr {
				if a.Key == "src" || a.Key == "href" || a.Key == "xlink:href" || strings.HasPrefix(a.Key, "on") {
					t.Errorf("html: <%s %s=%q>", n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if ladders != len(r.Analysis.IKESAs) {
		t.Errorf("html: %d ladder diagrams for %d IKE SAs", ladders, len(r.Analysis.IKESAs))
	}
	if lifelines != len(r.Analysis.Tunnels) {
		t.Errorf("html: %d lifelines for %d tunnels", lifelines, len(r.Analysis.Tunnels))
	}
	// Each SVG must be well-formed XML on its own.
	for i, part := range regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(s, -1) {
		d := xml.NewDecoder(strings.NewReader(part))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("svg %d is not well-formed: %v", i+1, err)
			}
		}
	}
	if top := r.failing(); top != nil && !strings.Contains(s, `class="note"`) {
		t.Errorf("html: the failure is not marked in any diagram")
	}
}

func mermaidBlocks(md string) []string {
	var out []string
	for _, m := range regexp.MustCompile("(?s)```mermaid\n(.*?)```").FindAllStringSubmatch(md, -1) {
		out = append(out, m[1])
	}
	return out
}

// checkMermaidSyntax is a structural check of a sequence diagram in Go (the
// real parser runs in TestMermaidParser when node is available).
func checkMermaidSyntax(t *testing.T, d string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(d, "\n"), "\n")
	if lines[0] == "gantt" {
		checkGanttSyntax(t, lines)
		return
	}
	if lines[0] != "sequenceDiagram" {
		t.Fatalf("mermaid: first line %q", lines[0])
	}
	re := regexp.MustCompile(`^    (participant [IR] as [^;#]+|[IR](->>|-x|-->>)[IR]: [^;#<>{}]+|Note over (I|R|I,R): [^;#<>{}]+|rect rgb\(\d+, \d+, \d+\)|end)$`)
	entity := regexp.MustCompile(`#\d+;`)
	depth := 0
	for _, l := range lines[1:] {
		if !re.MatchString(entity.ReplaceAllString(l, "")) {
			t.Errorf("mermaid: line %q", l)
		}
		switch {
		case strings.HasPrefix(l, "    rect"):
			depth++
		case l == "    end":
			depth--
		}
	}
	if depth != 0 {
		t.Errorf("mermaid: unbalanced rect/end")
	}
}

// checkGanttSyntax is the structural check of a tunnel lifeline's gantt:
// the header, sections, and tasks "name : [tags, ]id, start, end" with
// names free of the characters that end a task or start a comment.
func checkGanttSyntax(t *testing.T, lines []string) {
	t.Helper()
	re := regexp.MustCompile(`^    (dateFormat x|axisFormat %M:%S|title [^:;#%]+|section [^:;#%]+|[^:;#%]+ : ((crit, milestone|active|done), )?b\d+, \d+, \d+)$`)
	tasks := 0
	for _, l := range lines[1:] {
		if !re.MatchString(l) {
			t.Errorf("gantt: line %q", l)
		}
		if strings.Contains(l, " : ") {
			tasks++
		}
	}
	if tasks == 0 {
		t.Errorf("gantt: no task")
	}
}

// TestRedactAllFormats: no original address in any format, and the same
// address gets the same placeholder everywhere.
func TestRedactAllFormats(t *testing.T) {
	for _, capture := range []string{"ikev2-stale-spi", "ikev1-main-psk-mismatch", "ikev2-nat-t"} {
		res := analyze(t, capture)
		var originals []string
		var plain bytes.Buffer
		r0, _ := New(res, Options{Version: "test", Now: testNow})
		r0.Write(&plain, FormatJSON)
		scanAddrs(plain.Bytes(), func(a netip.Addr) netip.Addr { originals = append(originals, a.String()); return a })
		if len(originals) == 0 {
			t.Fatalf("%s: no address found to redact", capture)
		}
		r, err := New(res, Options{Redact: true, Version: "test", Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		want := r.red.placeholder(netip.MustParseAddr(originals[0])).String()
		for _, format := range Formats {
			got := string(render(t, r, format))
			for _, a := range originals {
				if regexp.MustCompile(`(^|[^0-9.])` + regexp.QuoteMeta(a) + `($|[^0-9])`).MatchString(got) {
					t.Errorf("%s %s: address %s left", capture, format, a)
				}
			}
			if !strings.Contains(got, want) {
				t.Errorf("%s %s: placeholder %s of %s missing", capture, format, want, originals[0])
			}
		}
	}
}

func TestRedactorMapping(t *testing.T) {
	r := newRedactor()
	got := string(r.apply([]byte("198.18.1.1 ↔ 198.18.1.2:4500, 198.18.2.7. [2001:db8::1]:500 2001:db8::2 12:28:34.890 0.1.0-dev 1645739d63c5ff3c 198.18.1.1 198.18.1.2...198.18.2.7")))
	want := "10.0.1.1 ↔ 10.0.1.2:4500, 10.0.2.7. [fd00::1:1]:500 fd00::1:2 12:28:34.890 0.1.0-dev 1645739d63c5ff3c 10.0.1.1 10.0.1.2...10.0.2.7"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestSelect(t *testing.T) {
	a := analyze(t, "ikev2-stale-spi").Analysis
	for sel, want := range map[string]string{
		"1": "[1]", "#2": "[2]", "1,2": "[1 2]", "198.18.1.2": "[1 2]",
		"70549ac1d421b6fa": "[2]", "869083b245e03d9c": "[1]", "0x84569eeb": "[1]", "5e8d9a95": "[2]",
	} {
		ids, err := Select(a, sel)
		if err != nil || fmt.Sprint(ids) != want {
			t.Errorf("Select(%q) = %v, %v; want %s", sel, ids, err, want)
		}
	}
	for _, sel := range []string{"3", "10.9.9.9", "deadbeefdeadbeef", ","} {
		if ids, err := Select(a, sel); err == nil {
			t.Errorf("Select(%q) = %v, want an error", sel, ids)
		}
	}
}

// TestSlice: the slice of a tunnel holds its packets with the original
// timestamps, and analysed again gives the same findings (frames mapped back
// to the original numbering).
func TestSlice(t *testing.T) {
	for _, c := range []struct {
		capture, tunnel string
	}{
		{"ikev2-stale-spi", "2"},
		{"ikev2-stale-spi", "1"},
		{"ikev1-main-psk-mismatch", "1"},
		{"ikev1-p2-transform-mismatch", "1"},
		{"ikev2-rekey", "1"},
	} {
		t.Run(c.capture+"/"+c.tunnel, func(t *testing.T) {
			res := analyze(t, c.capture)
			r, err := New(res, Options{Tunnel: c.tunnel, Version: "test", Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			frames, err := r.SliceFrames(pipeline.Point{Files: []string{labPcap(c.capture)}}, decode.Config{})
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "slice.pcap")
			if err := r.WriteSlice(pipeline.Point{Files: []string{labPcap(c.capture)}}, frames, out); err != nil {
				t.Fatal(err)
			}
			// Every IKE message and ESP flow boundary of the tunnel is in it.
			in := map[int]bool{}
			for _, f := range frames {
				in[f] = true
			}
			for _, sa := range r.Analysis.IKESAs {
				for _, ex := range sa.Exchanges {
					for _, m := range ex.Messages {
						for _, f := range m.Frames {
							if !in[f] {
								t.Errorf("IKE frame %d not in the slice", f)
							}
						}
					}
				}
			}
			var espPackets uint64
			for _, f := range r.Analysis.ESP {
				espPackets += f.Packets
				if !in[f.FirstFrame] || !in[f.LastFrame] {
					t.Errorf("ESP SPI %08x frames %d–%d not in the slice", f.SPI, f.FirstFrame, f.LastFrame)
				}
			}
			sres, err := pipeline.Analyze(out, pipeline.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if sres.Input.Packets != len(frames) {
				t.Errorf("slice has %d packets, want %d", sres.Input.Packets, len(frames))
			}
			if got := uint64(sres.Analysis.ESPPackets); got != espPackets {
				t.Errorf("slice has %d ESP packets, the tunnel %d", got, espPackets)
			}
			if !sres.Analysis.FirstTime.Equal(r.Analysis.IKESAs[0].First) {
				t.Errorf("slice starts at %v, the tunnel at %v: timestamps not kept", sres.Analysis.FirstTime, r.Analysis.IKESAs[0].First)
			}
			// Same findings, frames mapped back to the original numbering.
			describe := func(code, sev, cert string, fr []int) string { return fmt.Sprintf("%s/%s/%s%v", code, sev, cert, fr) }
			var want, got []string
			for _, f := range r.Findings {
				want = append(want, describe(f.Code, string(f.Severity), string(f.Certainty), f.Frames))
			}
			selected := map[string]bool{}
			for _, sa := range r.Analysis.IKESAs {
				selected[sa.InitiatorSPI.String()] = true
			}
			for _, f := range sres.Findings {
				// Only the selected tunnels: the slice may hold a frame of
				// another one as a finding's evidence.
				if sa := sres.Analysis.IKESAByID(f.IKESA); sa != nil && !selected[sa.InitiatorSPI.String()] {
					continue
				}
				var orig []int
				for _, fr := range f.Frames {
					orig = append(orig, frames[fr-1])
				}
				got = append(got, describe(f.Code, string(f.Severity), string(f.Certainty), orig))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("slice findings\n got %v\nwant %v", got, want)
			}
			if r.Slice == nil || len(r.Slice.Frames) != len(frames) || r.Slice.SHA256 == "" {
				t.Errorf("slice not recorded in the report: %+v", r.Slice)
			}
		})
	}
}

// TestEscaping: text from the capture or the rules cannot break out of the
// HTML page, the Markdown or the Mermaid diagram.
func TestEscaping(t *testing.T) {
	res := analyze(t, "ikev1-main-psk-mismatch")
	res.Input.Name = `x"><img src=x onerror=alert(1)>.pcap`
	evil := "<script>alert(1)</script>; R->>I: forged\nNote over I,R: %% `code` | cell"
	res.Findings[0].Summary = evil
	res.Findings[0].Causes[0].Cause = evil
	res.Analysis.IKESAs[0].Exchanges[0].Messages[0].Summary = evil
	r, err := New(res, Options{Version: "test", Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	page := string(render(t, r, FormatHTML))
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(page, bad) {
			t.Errorf("html: %q not escaped", bad)
		}
	}
	checkHTML(t, r, []byte(page))
	md := string(render(t, r, FormatMarkdown))
	for _, d := range mermaidBlocks(md) {
		checkMermaidSyntax(t, d)
		if strings.Contains(d, "forged\n") || strings.Contains(d, "\nNote over I,R: %%") {
			t.Errorf("mermaid: injected statement:\n%s", d)
		}
	}
	// Outside code spans (where it is literal text), no raw HTML.
	if strings.Contains(regexp.MustCompile("`[^`\n]*`").ReplaceAllString(md, ""), "<script>") {
		t.Errorf("markdown: raw HTML")
	}
}
