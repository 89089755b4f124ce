package pipeline

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
)

// Issue 10: broken captures are analysed as far as they go, the problem is
// named with frame and byte offset, and the findings of the good part do
// not change.

const pskMismatch = lab + "/ikev1-main-psk-mismatch/capture.pcap"

type rec struct {
	ci   gopacket.CaptureInfo
	data []byte
}

func readRecords(t *testing.T, path string) []rec {
	t.Helper()
	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []rec
	for {
		r, err := f.Next()
		if err != nil {
			return out
		}
		out = append(out, rec{gopacket.CaptureInfo{Timestamp: r.Time, CaptureLength: len(r.Data), Length: r.OrigLen}, append([]byte(nil), r.Data...)})
	}
}

func writePcap(t *testing.T, lt layers.LinkType, recs []rec) string {
	t.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	w.WriteFileHeader(65535, lt)
	for _, r := range recs {
		if err := w.WritePacket(r.ci, r.data); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "broken.pcap")
	os.WriteFile(path, b.Bytes(), 0o644)
	return path
}

func codes(fs []diagnose.Finding) []string {
	var c []string
	for _, f := range fs {
		c = append(c, f.Code)
	}
	return c
}

func analyzeProblems(t *testing.T, path string) (*Result, []string) {
	t.Helper()
	var problems []string
	res, err := Analyze(path, Options{Problem: func(s string) { problems = append(problems, s) }})
	if err != nil {
		t.Fatal(err)
	}
	return res, problems
}

func TestCutMidRecord(t *testing.T) {
	raw, err := os.ReadFile(pskMismatch)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := analyzeProblems(t, pskMismatch)
	path := filepath.Join(t.TempDir(), "cut.pcap")
	os.WriteFile(path, raw[:len(raw)-30], 0o644) // inside the last record (frame 12)
	res, _ := analyzeProblems(t, path)
	if res.Input.ReadError == nil || !strings.Contains(res.Input.ReadError.Error(), "cut.pcap: frame 12 at byte offset ") ||
		!strings.Contains(res.Input.ReadError.Error(), "the file ends in the middle of a record") {
		t.Fatalf("read error %v", res.Input.ReadError)
	}
	if res.Input.Packets != 11 || !slices.Equal(codes(res.Findings), codes(good.Findings)) {
		t.Errorf("%d packets, findings %v, want 11 and %v", res.Input.Packets, codes(res.Findings), codes(good.Findings))
	}
}

func TestSmallSnaplen(t *testing.T) {
	recs := readRecords(t, pskMismatch)
	for i := range recs {
		if len(recs[i].data) > 96 {
			recs[i].data = recs[i].data[:96]
			recs[i].ci.CaptureLength = 96
		}
	}
	res, problems := analyzeProblems(t, writePcap(t, layers.LinkTypeEthernet, recs))
	if len(problems) != 0 {
		t.Errorf("a snaplen cut is not a malformation: %q", problems)
	}
	if len(res.Findings) == 0 || res.Findings[0].Code != diagnose.P1AuthFailed || res.Findings[0].Frames[0] != 5 {
		t.Errorf("findings %+v", res.Findings)
	}
}

func TestUnknownLinkType(t *testing.T) {
	recs := readRecords(t, pskMismatch)[:2]
	res, problems := analyzeProblems(t, writePcap(t, layers.LinkType(147), recs))
	if len(problems) != 2 || !strings.HasSuffix(problems[0], "broken.pcap: frame 1, byte offset 0: link type 147 is not supported") {
		t.Errorf("problems %q", problems)
	}
	if res.Stats.LinkErrors != 2 || len(res.Analysis.IKESAs) != 0 {
		t.Errorf("stats %+v", res.Stats)
	}
}

func TestZeroLengthRecord(t *testing.T) {
	good, _ := analyzeProblems(t, pskMismatch)
	recs := readRecords(t, pskMismatch)
	zero := rec{gopacket.CaptureInfo{Timestamp: recs[3].ci.Timestamp.Add(time.Microsecond)}, nil}
	recs = append(recs[:4], append([]rec{zero}, recs[4:]...)...)
	res, problems := analyzeProblems(t, writePcap(t, layers.LinkTypeEthernet, recs))
	if len(problems) != 1 || !strings.HasSuffix(problems[0], "broken.pcap: frame 5, byte offset 0: Ethernet: Ethernet packet too small") {
		t.Errorf("problems %q", problems)
	}
	if !slices.Equal(codes(res.Findings), codes(good.Findings)) {
		t.Errorf("findings %v, want %v", codes(res.Findings), codes(good.Findings))
	}
}

func TestAbsurdLengthRecord(t *testing.T) {
	raw, _ := os.ReadFile(pskMismatch)
	recs := readRecords(t, pskMismatch)
	// Frame 7's record header: 24-byte file header, then records.
	off := 24
	for _, r := range recs[:6] {
		off += 16 + len(r.data)
	}
	binary.LittleEndian.PutUint32(raw[off+8:], 0x7fffffff)
	path := filepath.Join(t.TempDir(), "absurd.pcap")
	os.WriteFile(path, raw, 0o644)
	res, _ := analyzeProblems(t, path)
	want := "absurd.pcap: frame 7 at byte offset " + strconv.Itoa(off) + ": capture length exceeds snap length"
	if res.Input.ReadError == nil || !strings.Contains(res.Input.ReadError.Error(), want) {
		t.Errorf("read error %v, want %q", res.Input.ReadError, want)
	}
	if res.Input.Packets != 6 {
		t.Errorf("%d packets before the bad record, want 6", res.Input.Packets)
	}
}

// TestSACapReported: more IKE SAs than tracked (a scan or flood) are
// counted and reported, and what is tracked is still analysed.
func TestSACapReported(t *testing.T) {
	path := "../../shared/captures/ndpi/tests/cfgs/default/pcap/ipsec_isakmp_esp.pcap"
	if _, err := os.Stat(path); err != nil {
		t.Skip("shared captures not present")
	}
	res, err := Analyze(path, Options{Correlate: correlate.Config{MaxIKESAs: 2, MaxESPFlows: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Analysis.IKESAs) != 2 || len(res.Analysis.ESP) != 3 || res.Analysis.DroppedIKESAs == 0 || res.Analysis.DroppedESPFlows == 0 {
		t.Fatalf("tracked %d SAs %d flows, dropped %d/%d", len(res.Analysis.IKESAs), len(res.Analysis.ESP), res.Analysis.DroppedIKESAs, res.Analysis.DroppedESPFlows)
	}
	if !slices.Contains(codes(res.Findings), diagnose.TooManySAs) {
		t.Errorf("findings %v lack %s", codes(res.Findings), diagnose.TooManySAs)
	}
}
