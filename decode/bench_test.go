package decode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// benchFrames builds a mostly-ESP stream as a busy gateway's capture looks:
// Ethernet/IPv4 frames of raw ESP and ESP-in-UDP/4500 of mixed sizes, with an
// IKE message and an unrelated UDP packet every 100 frames.
func benchFrames() [][]byte {
	var frames [][]byte
	ike := make([]byte, 28+36)
	copy(ike, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	ike[16], ike[17], ike[18], ike[19] = 40, 0x20, 37, 0x08
	binary.BigEndian.PutUint32(ike[24:], uint32(len(ike)))
	binary.BigEndian.PutUint16(ike[30:], 36)
	for i := 0; i < 1000; i++ {
		size := []int{96, 160, 1400}[i%3]
		esp := make([]byte, size)
		binary.BigEndian.PutUint32(esp[0:], 0xc0000000+uint32(i%8))
		binary.BigEndian.PutUint32(esp[4:], uint32(i))
		switch {
		case i%100 == 50:
			frames = append(frames, ethIPv4UDP(500, 500, ike))
		case i%100 == 99:
			frames = append(frames, ethIPv4UDP(5353, 53, esp[:64]))
		case i%2 == 0:
			frames = append(frames, ethIPv4UDP(4500, 4500, esp))
		default:
			frames = append(frames, ethIPv4(50, esp))
		}
	}
	return frames
}

func ethIPv4UDP(sport, dport uint16, payload []byte) []byte {
	udp := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(udp[0:], sport)
	binary.BigEndian.PutUint16(udp[2:], dport)
	binary.BigEndian.PutUint16(udp[4:], uint16(8+len(payload)))
	return ethIPv4(17, append(udp, payload...))
}

func ethIPv4(proto byte, payload []byte) []byte {
	f := make([]byte, 14+20, 14+20+len(payload))
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	ip[8], ip[9] = 64, proto
	copy(ip[12:], []byte{198, 18, 0, 1, 198, 18, 0, 2})
	return append(f, payload...)
}

// BenchmarkDecodeMostlyESP measures the decoder alone on in-memory frames:
// MB/s of frame bytes and allocations per frame.
func BenchmarkDecodeMostlyESP(b *testing.B) {
	frames := benchFrames()
	total := 0
	for _, f := range frames {
		total += len(f)
	}
	d := NewDecoder(Config{})
	rec := &capture.Record{LinkType: capture.LinkTypeEthernet, Time: time.Unix(0, 0)}
	b.SetBytes(int64(total))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for n, f := range frames {
			rec.Frame, rec.Data, rec.OrigLen = n+1, f, len(f)
			if _, err := d.Decode(rec); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
}

// BenchmarkDecodeRealCapture reads and decodes a real capture from memory
// (nDPI's 834-frame IKEv2/ESP capture) through the capture reader: the work
// `ipsecpcap decode` does per file, less the printing.
func BenchmarkDecodeRealCapture(b *testing.B) {
	raw, err := os.ReadFile("../../shared/captures/ndpi/tests/cfgs/default/pcap/ipsec_isakmp_esp.pcap")
	if err != nil {
		b.Skip("shared captures not present")
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	frames := 0
	for i := 0; i < b.N; i++ {
		f, err := capture.NewReader(bytes.NewReader(raw), "bench", nil)
		if err != nil {
			b.Fatal(err)
		}
		d := NewDecoder(Config{})
		for {
			rec, err := f.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			d.Decode(rec)
			frames++
		}
	}
	b.ReportMetric(float64(frames)/float64(b.N), "frames/op")
}
