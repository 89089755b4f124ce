package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkIKEFlood analyses 12 000 half-open IKE SAs between one pair of
// peers, a millisecond apart (a scan or a flood): linking each attempt to
// the one before and diagnosing the chain must stay near linear (it was
// quadratic, 10 s here, before the life pass looked back only at SAs that
// can be followed).
func BenchmarkIKEFlood(b *testing.B) {
	var frames [][]byte
	for i := range 12000 {
		m := ikeMessage(byte(i), uint32(i), 60)
		m[1], m[2], m[3] = byte(i>>16), byte(i>>8), byte(i) // its own SPI
		frames = append(frames, ipv4(17, uint16(i), 0, false, udp500(m, false)))
	}
	var buf bytes.Buffer
	writeFrames(b, &buf, frames, 0, time.Millisecond)
	path := filepath.Join(b.TempDir(), "flood.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		res, err := Analyze(path, Options{NoDigest: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Analysis.IKESAs) < 11000 {
			b.Fatalf("%d IKE SAs", len(res.Analysis.IKESAs))
		}
	}
}
