package main

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// writeOther writes a pcap of n frames of UDP to dport (and TCP 443), no
// IPsec: a capture taken with the wrong filter or on the wrong port.
func writeOther(t *testing.T, n int, dport uint16) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "other.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	for i := range n {
		proto, l4 := byte(17), make([]byte, 8+20)
		binary.BigEndian.PutUint16(l4[0:], 40000)
		binary.BigEndian.PutUint16(l4[2:], dport)
		binary.BigEndian.PutUint16(l4[4:], uint16(len(l4)))
		if i%4 == 3 {
			proto = 6
			binary.BigEndian.PutUint16(l4[2:], 443)
		}
		fr := make([]byte, 14+20, 14+20+len(l4))
		fr[12] = 0x08
		ip := fr[14:]
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
		ip[8], ip[9] = 64, proto
		copy(ip[12:], []byte{198, 18, 0, 1, 198, 19, 0, 1})
		fr = append(fr, l4...)
		w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(1700000000+int64(i), 0), CaptureLength: len(fr), Length: len(fr)}, fr)
	}
	return path
}

// TestNoIPsec: a capture without IKE and ESP is not healthy: verdict
// no_ipsec, exit status 3, NO_IPSEC saying what the capture held and the
// port to try; an empty capture likewise. A capture with IPsec is never
// no_ipsec.
func TestNoIPsec(t *testing.T) {
	other := writeOther(t, 40, 7500)
	out, _, code := runCLI("analyze", other)
	if code != exitNoIPsec {
		t.Errorf("exit %d, want %d:\n%s", code, exitNoIPsec, out)
	}
	for _, want := range []string{"NO IPSEC", "NO_IPSEC", "no IKE and no ESP in 40 frames: UDP port 7500 30, TCP port 443 10", "--ike-port 7500"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q not in:\n%s", want, out)
		}
	}
	js, _, code := runCLI("analyze", "--json", "--no-digest", other)
	var doc struct {
		Verdict  string `json:"verdict"`
		Findings []struct {
			Code string `json:"code"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || code != exitNoIPsec || doc.Verdict != "no_ipsec" || len(doc.Findings) != 1 || doc.Findings[0].Code != "NO_IPSEC" {
		t.Errorf("json: exit %d, %v, %+v", code, err, doc)
	}
	// Read as IKE, the same frames are IPsec (malformed, but there).
	if _, _, code := runCLI("analyze", "--ike-port", "7500", other); code == exitNoIPsec {
		t.Error("--ike-port 7500: still no_ipsec")
	}
	empty := writeOther(t, 0, 0)
	if out, _, code := runCLI("analyze", empty); code != exitNoIPsec || !strings.Contains(out, "holds no frame at all") {
		t.Errorf("empty capture: exit %d:\n%s", code, out)
	}
	if out, _, code := runCLI("report", "--format", "md", other); code > 1 || !strings.Contains(out, "**Verdict: NO IPSEC — `NO_IPSEC`.**") {
		t.Errorf("report: exit %d:\n%s", code, out)
	}
	// Any lab capture holds IPsec: never no_ipsec, never NO_IPSEC.
	out, _, code = runCLI("analyze", "--no-keys", labCapture("ikev2-ok"))
	if code != exitOK || strings.Contains(out, "NO_IPSEC") {
		t.Errorf("a healthy capture: exit %d:\n%s", code, out)
	}
	// --separate: could not analyse (2) outranks a failure (1), which
	// outranks no IPsec (3).
	if _, _, code := runCLI("analyze", "--separate", "--no-keys", other, pskMismatch); code != exitFailure {
		t.Errorf("--separate no_ipsec + failure: exit %d, want 1", code)
	}
	if _, _, code := runCLI("analyze", "--separate", other, filepath.Join(t.TempDir(), "missing.pcap")); code != exitUnreadable {
		t.Errorf("--separate no_ipsec + unreadable: exit %d, want 2", code)
	}
}
