package report

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// labCaptures lists every lab capture.
func labCaptures(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "pcaps", "lab", "*", "capture.pcap"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no lab captures: %v", err)
	}
	var names []string
	for _, d := range dirs {
		names = append(names, filepath.Base(filepath.Dir(d)))
	}
	return names
}

// TestAllLabCaptures renders every format of every lab capture, whole and
// per tunnel, and checks what each format must satisfy (no golden files).
func TestAllLabCaptures(t *testing.T) {
	for _, name := range labCaptures(t) {
		res := analyze(t, name)
		sels := []string{""}
		for _, sa := range res.Analysis.IKESAs {
			sels = append(sels, strconv.Itoa(sa.ID))
		}
		for _, sel := range sels {
			for _, redact := range []bool{false, true} {
				r, err := New(res, Options{Tunnel: sel, Redact: redact, Version: "test", Now: testNow})
				if err != nil {
					t.Fatalf("%s %q: %v", name, sel, err)
				}
				for _, format := range Formats {
					checkFormat(t, r, format, render(t, r, format))
				}
			}
		}
	}
}

// writeLabMarkdown writes the Markdown report of every lab capture into dir,
// for the Mermaid parser.
func writeLabMarkdown(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	for _, name := range labCaptures(t) {
		r, err := New(analyze(t, name), Options{Version: "test", Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, name+".md")
		if err := os.WriteFile(f, render(t, r, FormatMarkdown), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// TestWiresharkFilters checks the display filters with tshark: all of a
// capture's filters together must compile and select exactly the frames of
// the exchanges and flows, and each filter's values (SPI and message ID as
// tshark prints them) must pick out its own exchange or flow. Two tshark runs
// per capture: tshark starts slowly.
func TestWiresharkFilters(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not found")
	}
	for _, name := range []string{"ikev1-main-psk-mismatch", "ikev2-stale-spi", "ikev2-invalid-ke-retry"} {
		file := labPcap(name)
		a := analyze(t, name).Analysis
		var filters []string
		union := map[int]bool{}
		type want struct {
			ispi, mid, spi string
			first, last    int // frame range, 0: none
			frames         []int
		}
		var wants []want
		for _, sa := range a.IKESAs {
			for _, ex := range sa.Exchanges {
				w := want{ispi: sa.InitiatorSPI.String(), mid: fmt.Sprintf("0x%08x", ex.MessageID)}
				for _, m := range ex.Messages {
					w.frames = append(w.frames, m.Frames...)
				}
				filters = append(filters, exchangeFilter(sa, ex))
				if f := exchangeFilter(sa, ex); f != "isakmp.ispi == "+w.ispi+" && isakmp.messageid == "+w.mid {
					// Retried exchanges add a frame range.
					if f != fmt.Sprintf("isakmp.ispi == %s && isakmp.messageid == %s && frame.number >= %d && frame.number <= %d", w.ispi, w.mid, ex.First(), ex.Last()) {
						t.Fatalf("filter %q: the test's model is out of date", f)
					}
					w.first, w.last = ex.First(), ex.Last()
				}
				wants = append(wants, w)
			}
		}
		for _, f := range a.ESP {
			filters = append(filters, espFilter(f))
			w := want{spi: fmt.Sprintf("0x%08x", f.SPI)}
			for fr := f.FirstFrame; fr <= f.LastFrame; fr++ {
				w.frames = append(w.frames, fr) // narrowed below to the SPI's frames
			}
			wants = append(wants, w)
		}
		out, err := exec.Command(tshark, "-r", file, "-Y", "("+strings.Join(filters, ") || (")+")", "-T", "fields", "-e", "frame.number").Output()
		if err != nil {
			t.Fatalf("%s: tshark rejects the filters: %v", name, err)
		}
		got := map[int]bool{}
		for _, f := range strings.Fields(string(out)) {
			n, _ := strconv.Atoi(f)
			got[n] = true
		}
		out, err = exec.Command(tshark, "-r", file, "-T", "fields", "-e", "frame.number", "-e", "isakmp.ispi", "-e", "isakmp.messageid", "-e", "esp.spi").Output()
		if err != nil {
			t.Fatal(err)
		}
		type row struct{ ispi, mid, spi string }
		rows := map[int]row{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			c := strings.Split(line, "\t")
			for len(c) < 4 {
				c = append(c, "")
			}
			n, _ := strconv.Atoi(c[0])
			rows[n] = row{c[1], c[2], c[3]}
		}
		for i, w := range wants {
			var sel []int
			for n, r := range rows {
				if w.last != 0 && (n < w.first || n > w.last) {
					continue
				}
				if w.spi == "" && r.ispi == w.ispi && r.mid == w.mid || w.spi != "" && r.spi == w.spi {
					sel = append(sel, n)
				}
			}
			slices.Sort(sel)
			expect := slices.Clone(w.frames)
			slices.Sort(expect)
			if w.spi != "" {
				f := a.ESP[i-(len(wants)-len(a.ESP))]
				if uint64(len(sel)) != f.Packets || len(sel) == 0 || sel[0] != f.FirstFrame || sel[len(sel)-1] != f.LastFrame {
					t.Errorf("%s: %s selects %v; the flow is %d packets, frames %d–%d", name, filters[i], sel, f.Packets, f.FirstFrame, f.LastFrame)
				}
				expect = sel
			} else if !slices.Equal(sel, expect) {
				t.Errorf("%s: %s selects %v; the exchange is %v", name, filters[i], sel, expect)
			}
			for _, n := range expect {
				union[n] = true
			}
		}
		if len(got) != len(union) {
			t.Errorf("%s: the filters together select %d frames, the analysis has %d", name, len(got), len(union))
		}
		for n := range union {
			if !got[n] {
				t.Errorf("%s: frame %d not selected by the filters", name, n)
			}
		}
	}
}
