package pipeline

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// espCapture writes a pcap of n Ethernet/IPv4 frames of ESP (raw and in
// UDP/4500 alternately) on two SPIs with increasing sequence numbers.
func espCapture(t testing.TB, n int) string {
	path := filepath.Join(t.TempDir(), "esp.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range n {
		esp := make([]byte, 8+100)
		binary.BigEndian.PutUint32(esp[0:], 0xc0000001+uint32(i%2))
		binary.BigEndian.PutUint32(esp[4:], uint32(i/2+1))
		payload, proto := esp, byte(50)
		if i%2 == 1 {
			u := make([]byte, 8, 8+len(esp))
			binary.BigEndian.PutUint16(u[0:], 4500)
			binary.BigEndian.PutUint16(u[2:], 4500)
			binary.BigEndian.PutUint16(u[4:], uint16(8+len(esp)))
			payload, proto = append(u, esp...), 17
		}
		fr := make([]byte, 14+20, 14+20+len(payload))
		fr[12] = 0x08
		ip := fr[14:]
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
		ip[8], ip[9] = 64, proto
		copy(ip[12:], []byte{198, 18, 0, 1, 198, 19, 0, 1})
		fr = append(fr, payload...)
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(fr), Length: len(fr)}
		if err := w.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// TestAnalyzeAllocsFlat: the whole run (reading, decoding, correlating)
// makes no allocation per ESP frame: a capture 5 times longer on the same
// flows costs the same allocations, give or take the digest's and reader's
// buffers.
func TestAnalyzeAllocsFlat(t *testing.T) {
	// Both longer than the reader's first look at the order of the
	// records (capture.ReorderOptions.Probe holds the first 1024): that
	// costs the same, once, for any capture longer than it.
	small, large := espCapture(t, 6_000), espCapture(t, 30_000)
	allocs := func(path string) float64 {
		return testing.AllocsPerRun(3, func() {
			res, err := Analyze(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Stats.ESP == 0 {
				t.Fatal("no ESP decoded")
			}
		})
	}
	a, b := allocs(small), allocs(large)
	if perFrame := (b - a) / (30_000 - 6_000); perFrame > 0.01 {
		t.Errorf("%.0f allocations for 6000 ESP frames, %.0f for 30000: %.3f per frame, want 0", a, b, perFrame)
	}
}
