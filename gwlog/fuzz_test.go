package gwlog

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ipsecpcap/ipsecpcap/correlate"
)

// FuzzParse: no input panics Parse or Align, every line is counted once,
// and no event carries a hex-dump line or more text than the cap. Run it
// with the count form (the duration form stalls on the shared machine):
//
//	go test ./gwlog -run XXX -fuzz FuzzParse -fuzztime 200000x
//
// The seeds are in testdata/fuzz/FuzzParse: lines of every format.
func FuzzParse(f *testing.F) {
	var analysis *correlate.Analysis
	if res, err := analyzeCapture(filepath.Join(labDir, "lab", "ikev1-pfs-one-side", "capture.pcap")); err == nil {
		analysis = res.Analysis
	}
	f.Add([]byte("12:24:26 14[NET] received packet: from 198.18.1.1[4500] to 198.18.1.2[4500] (460 bytes)\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		log, err := Parse(bytes.NewReader(data), "fuzz")
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(data, []byte("\n")); log.Lines < n || log.Lines > n+1 {
			t.Fatalf("%d lines counted for %d newlines", log.Lines, n)
		}
		if log.Recognized+log.Skipped+log.Withheld > log.Lines {
			t.Fatalf("recognized %d + skipped %d + withheld %d > lines %d", log.Recognized, log.Skipped, log.Withheld, log.Lines)
		}
		for _, e := range log.Events {
			if len(e.Text) > maxText+len("…") {
				t.Fatalf("text of %d bytes", len(e.Text))
			}
			if utf8.ValidString(string(data)) && !utf8.ValidString(e.Text) {
				t.Fatalf("valid input, invalid text %q", e.Text)
			}
			if s := e.Setting; s != nil {
				for _, v := range s.Values {
					if len(v) > maxValue+len("…") || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
						t.Fatalf("setting value %q not cleaned", v)
					}
				}
			}
			if e.Format != FormatComware && secretLine(e.Text) {
				t.Fatalf("a dump line became an event: %q", e.Text)
			}
			if e.Line < 1 || e.Line > log.Lines {
				t.Fatalf("line %d of %d", e.Line, log.Lines)
			}
		}
		al := Align(log, analysis)
		if len(al.Events) != len(log.Events) || al.Matches > al.PacketEvents {
			t.Fatalf("alignment of %d events: %d, matches %d of %d", len(log.Events), len(al.Events), al.Matches, al.PacketEvents)
		}
	})
}
