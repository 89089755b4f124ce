package capture_test

import (
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// benchCapture is a long in-order pcap made of a real capture's records
// repeated, each copy after the one before, and the same records
// shuffled within 1.5 s; and the number of records.
func benchCapture(b *testing.B) (inOrder, shuffledFile []byte, n int) {
	b.Helper()
	one, err := readAll(b, openBytes(b, readFile(b, "../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap"), "bench"))
	if err != nil {
		b.Fatal(err)
	}
	span := one[len(one)-1].Time.Sub(one[0].Time) + time.Second
	var recs []capture.Record
	for c := range 400 {
		for _, r := range one {
			r.Time = r.Time.Add(time.Duration(c) * span)
			r.Frame = len(recs) + 1
			recs = append(recs, r)
		}
	}
	write := func(recs []capture.Record) []byte {
		out := pcapHeader(binary.LittleEndian, true, 65535, uint32(recs[0].LinkType))
		for _, r := range recs {
			out = append(out, pcapRecord(binary.LittleEndian, true, pkt{ts: r.Time, data: r.Data, orig: r.OrigLen})...)
		}
		return out
	}
	return write(recs), write(shuffled(recs, 1500*time.Millisecond, 1)), len(recs)
}

// BenchmarkReorder reads a long capture (153 600 records) plainly and
// through a Reorder: in order (records pass straight through after the
// probe of 1024; and from the second record on), and shuffled (every
// record held and sorted).
//
//	go test ./capture -run '^$' -bench Reorder -benchmem
func BenchmarkReorder(b *testing.B) {
	inOrder, shuffledFile, n := benchCapture(b)
	run := func(b *testing.B, file []byte, opt *capture.ReorderOptions) {
		b.SetBytes(int64(len(file)))
		b.ReportAllocs()
		for b.Loop() {
			var src capture.Source = openBytes(b, file, "bench")
			if opt != nil {
				src = capture.NewReorder(src, *opt, nil)
			}
			count := 0
			for {
				_, err := src.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				count++
			}
			if count != n {
				b.Fatalf("%d records, want %d", count, n)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
	}
	// A probe of one record: pass-through from the second record on.
	passAtOnce := &capture.ReorderOptions{Probe: 1, Window: time.Nanosecond}
	b.Run("file", func(b *testing.B) { run(b, inOrder, nil) })
	b.Run("reorder-in-order", func(b *testing.B) { run(b, inOrder, &capture.ReorderOptions{}) })
	b.Run("reorder-pass-through", func(b *testing.B) { run(b, inOrder, passAtOnce) })
	b.Run("file-shuffled", func(b *testing.B) { run(b, shuffledFile, nil) })
	b.Run("reorder-shuffled", func(b *testing.B) { run(b, shuffledFile, &capture.ReorderOptions{}) })
}
