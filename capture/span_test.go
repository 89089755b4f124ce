package capture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/ipsecpcap/ipsecpcap/capture"
)

// fullSpan is what Span must say, from reading the whole file as a reader
// does: past what it can read past, up to where reading breaks off.
func fullSpan(path string) (capture.SpanInfo, error) {
	f, err := capture.Open(path)
	if err != nil {
		return capture.SpanInfo{}, err
	}
	defer f.Close()
	info := capture.SpanInfo{Format: f.Format, Compression: f.Compression, Empty: true, Exact: true}
	for {
		r, err := f.Next()
		if err != nil {
			if capture.Resumable(err) {
				continue
			}
			return info, nil
		}
		if info.Empty {
			info.Empty, info.First = false, r.Time
		}
		info.Last = r.Time
	}
}

// checkSpan compares Span with a full read of the file at path.
func checkSpan(t *testing.T, path string) capture.SpanInfo {
	t.Helper()
	got, err := capture.Span(path)
	want, werr := fullSpan(path)
	if (err != nil) != (werr != nil) {
		t.Fatalf("Span error %v, a full read's %v", err, werr)
	}
	if err != nil {
		return got
	}
	if got.Format != want.Format || got.Compression != want.Compression || got.Empty != want.Empty ||
		!got.First.Equal(want.First) || !got.Last.Equal(want.Last) {
		t.Fatalf("Span %s, a full read %s", spanString(got), spanString(want))
	}
	return got
}

func spanString(s capture.SpanInfo) string {
	return fmt.Sprintf("{%s %q empty %v %s .. %s exact %v}", s.Format, s.Compression, s.Empty,
		s.First.Format(time.RFC3339Nano), s.Last.Format(time.RFC3339Nano), s.Exact)
}

func writeTemp(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// spanWindows are the tail windows the tests run Span with: the real
// one, and small ones that make the tail search run on small files. Like
// the real one, they are at least twice the largest record of the tests'
// files (1.6 KB).
var spanWindows = []int64{0, 3300, 4096, 8191, 20000}

// forWindows runs f with each of spanWindows (0: the default).
func forWindows(t *testing.T, f func(t *testing.T)) {
	forWindowsW(t, func(t *testing.T, _ int64) { f(t) })
}

func forWindowsW(t *testing.T, f func(t *testing.T, w int64)) {
	for _, w := range spanWindows {
		t.Run(fmt.Sprintf("window=%d", w), func(t *testing.T) {
			if w != 0 {
				defer capture.SetSpanWindow(w)()
			}
			f(t, w)
		})
	}
}

// fuzzCorpusCaptures decodes the captures of a fuzz corpus directory.
func fuzzCorpusCaptures(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range ents {
		b, err := readCorpusFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// readCorpusFile decodes a one-[]byte fuzz corpus file.
func readCorpusFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(strings.TrimPrefix(string(b), "go test fuzz v1\n"))
	if !strings.HasPrefix(s, "[]byte(") || !strings.HasSuffix(s, ")") {
		return nil, fmt.Errorf("%s: not a []byte corpus file", path)
	}
	v, err := strconv.Unquote(s[len("[]byte(") : len(s)-1])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return []byte(v), nil
}

// TestSpanEqualsFullRead: on every capture of testdata/pcaps (as pcap,
// as pcapng, compressed) and of the fuzz corpus, whatever the window,
// Span says what a full read does.
func TestSpanEqualsFullRead(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{}
	for _, p := range labCaptures(t) {
		b := readFile(t, p)
		name := strings.ReplaceAll(strings.TrimPrefix(p, "../testdata/pcaps/"), "/", "_")
		files[name] = b
		files[name+"ng"] = toPcapNG(t, b)
	}
	files["ikev2-ok.pcap.zst"] = zstdOf(t, files["lab_ikev2-ok_capture.pcap"])
	files["ikev2-ok.pcapng.lz4"] = lz4Of(t, files["lab_ikev2-ok_capture.pcapng"])
	files["ikev2-ok.pcap.gz"] = gz(t, files["lab_ikev2-ok_capture.pcap"])
	for name, b := range fuzzCorpusCaptures(t, filepath.Join("testdata", "fuzz", "FuzzReader")) {
		files["fuzz-"+name] = b
	}
	paths := map[string]string{}
	for name, b := range files {
		paths[name] = writeTemp(t, dir, name, b)
	}
	forWindowsW(t, func(t *testing.T, w int64) {
		for name, p := range paths {
			t.Run(name, func(t *testing.T) {
				s := checkSpan(t, p)
				// The lab's files are whole, plain and larger than the
				// small windows: their end tells.
				if strings.HasPrefix(name, "lab_") && w != 0 && len(files[name]) > 20000 && s.Exact {
					t.Errorf("Span %s read the whole file", spanString(s))
				}
			})
		}
	})
}

// TestSpanReadsTheEnd: on a large plain file Span finds the last record
// from the end (Exact is clear only then), and finds it right.
func TestSpanReadsTheEnd(t *testing.T) {
	dir := t.TempDir()
	noise := noisePcap(3000, 7)
	for _, c := range []struct {
		name  string
		b     []byte
		exact bool
	}{
		{"pcap", noise, false},
		{"pcap nanoseconds", rewrite(t, noise, true, nil), false},
		{"pcap big-endian", rewrite(t, noise, false, binary.BigEndian), false},
		{"pcapng", toPcapNG(t, noise), false},
		{"pcapng with a section length", withSectionLength(toPcapNG(t, noise)), true},
		{"pcapng ending in statistics", withStats(toPcapNG(t, noise)), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if len(c.b) < 1<<20 {
				t.Fatalf("%d bytes: too small to test the tail", len(c.b))
			}
			s := checkSpan(t, writeTemp(t, dir, "big", c.b))
			if s.Exact != c.exact || s.Empty {
				t.Errorf("Span %s, want Exact %v (the end read, not the whole file)", spanString(s), c.exact)
			}
		})
	}
}

// withSectionLength sets the section length of a one-section pcapng
// file's (little-endian) header, which pcapgo leaves unspecified.
func withSectionLength(b []byte) []byte {
	b = bytes.Clone(b)
	shb := binary.LittleEndian.Uint32(b[4:8])
	binary.LittleEndian.PutUint64(b[16:24], uint64(len(b)-int(shb)))
	return b
}

// withStats appends an interface statistics block, as dumpcap ends a file.
func withStats(b []byte) []byte {
	return append(bytes.Clone(b), ngBlock(5, make([]byte, 12))...)
}

// TestSpanCut: files cut anywhere, large and small, pcap and pcapng:
// Span says what a full read does, the last whole record.
func TestSpanCut(t *testing.T) {
	dir := t.TempDir()
	lab := readFile(t, "../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap")
	noise := noisePcap(1500, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"lab pcap", lab},
		{"lab pcapng", toPcapNG(t, lab)},
		{"noise pcap", noise},
		{"noise pcapng", withStats(toPcapNG(t, noise))},
		{"fake headers", fakeHeaderPcap(t, 400, 5)},
	} {
		cuts := []int{24, 25, 39, 40, 41, len(c.b) - 1, len(c.b) - 15, len(c.b) - 16, len(c.b) - 17}
		for range 25 {
			cuts = append(cuts, 24+rng.IntN(len(c.b)-24))
		}
		for range 10 {
			cuts = append(cuts, len(c.b)-1-rng.IntN(3000))
		}
		t.Run(c.name, func(t *testing.T) {
			forWindows(t, func(t *testing.T) {
				for _, cut := range cuts {
					t.Run(strconv.Itoa(cut), func(t *testing.T) {
						checkSpan(t, writeTemp(t, dir, "cut", c.b[:cut]))
					})
				}
			})
		})
	}
}

// fakeHeaderPcap is a capture of a capture being copied: each record's
// payload holds pcap records of the same time (a record header, then
// data), so that the tail search meets chains of plausible headers that
// are not the file's. The last record's payload is such a chain ending
// exactly where the file ends; others hold a header whose length points
// exactly to their end, past it, or into the next record.
func fakeHeaderPcap(t *testing.T, n int, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	t0 := time.Unix(1700000000, 0)
	var pkts []pkt
	for i := range n {
		ts := t0.Add(time.Duration(i) * 3 * time.Millisecond)
		var payload []byte
		switch i % 4 {
		case 0: // a stream of inner records
			for range 1 + rng.IntN(5) {
				payload = append(payload, pcapRecord(binary.LittleEndian, false, pkt{ts: ts.Add(-time.Duration(rng.IntN(1000)) * time.Millisecond), data: filler(byte(i), rng.IntN(300))})...)
			}
		case 1: // one header whose length runs to the end of the payload
			data := filler(byte(i), 100+rng.IntN(500))
			payload = pcapRecord(binary.LittleEndian, false, pkt{ts: ts, data: data})
		case 2: // a header running past the payload
			h := pcapRecord(binary.LittleEndian, false, pkt{ts: ts, data: nil})
			binary.LittleEndian.PutUint32(h[8:12], 700)
			binary.LittleEndian.PutUint32(h[12:16], 700)
			payload = append(h, filler(byte(i), 200)...)
		case 3: // no header at all
			payload = filler(byte(i), 64)
		}
		pkts = append(pkts, pkt{ts: ts, data: payload})
	}
	// The last payload: inner records ending exactly at the end.
	var last []byte
	for range 3 {
		last = append(last, pcapRecord(binary.LittleEndian, false, pkt{ts: t0.Add(time.Hour * 24), data: filler(1, 50)})...)
	}
	pkts = append(pkts, pkt{ts: t0.Add(time.Duration(n) * 3 * time.Millisecond), data: last})
	b, _ := handPcap(binary.LittleEndian, false, 1, pkts)
	return b
}

// TestSpanFakeHeaders: payloads that hold record headers do not fool
// Span, whatever the window, in pcap and wrapped in pcapng.
func TestSpanFakeHeaders(t *testing.T) {
	dir := t.TempDir()
	for seed := range uint64(4) {
		small := fakeHeaderPcap(t, 50+int(seed)*30, seed)
		big := fakeHeaderPcap(t, 4000, seed)
		for name, b := range map[string][]byte{"small": small, "big": big, "big pcapng": toPcapNG(t, big)} {
			t.Run(fmt.Sprintf("%d/%s", seed, name), func(t *testing.T) {
				forWindows(t, func(t *testing.T) { checkSpan(t, writeTemp(t, dir, "fake", b)) })
			})
		}
	}
	// The last record's payload: one header whose length ends exactly at
	// the file's end, stamped plausibly. The tail has two chains that end
	// at different records: Span must read the file.
	b := noisePcap(1200, 11)
	inner := pcapRecord(binary.LittleEndian, false, pkt{ts: time.Unix(1700000000, 0), data: filler(3, 80)})
	b = append(b, pcapRecord(binary.LittleEndian, false, pkt{ts: time.Unix(1700000002, 0), data: inner})...)
	s := checkSpan(t, writeTemp(t, dir, "inner", b))
	if !s.Last.Equal(time.Unix(1700000002, 0)) {
		t.Errorf("Last %v, want the outer record's", s.Last)
	}
}

// TestSpanSections: a pcapng file of two sections with different time
// resolutions (files concatenated): the tail is not read with the first
// section's interfaces.
func TestSpanSections(t *testing.T) {
	dir := t.TempDir()
	noise := noisePcap(1500, 5)
	second := noisePcap(1500, 6)
	// The second file starts where the first ends, in nanoseconds.
	var sec []byte
	{
		f := openBytes(t, second, "second")
		var buf bytes.Buffer
		intf := pcapgo.DefaultNgInterface
		intf.LinkType = layers.LinkTypeEthernet
		intf.TimestampResolution = 9
		w, err := pcapgo.NewNgWriterInterface(&buf, intf, pcapgo.DefaultNgWriterOptions)
		if err != nil {
			t.Fatal(err)
		}
		for {
			r, err := f.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			ci := gopacket.CaptureInfo{Timestamp: r.Time.Add(time.Minute), CaptureLength: len(r.Data), Length: r.OrigLen}
			if err := w.WritePacket(ci, r.Data); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		sec = buf.Bytes()
	}
	first := toPcapNGResolution(t, noise, 6)
	for name, b := range map[string][]byte{
		"micro then nano": append(bytes.Clone(first), sec...),
		"nano then micro": append(bytes.Clone(sec), first...),
		"with lengths":    append(withSectionLength(first), withSectionLength(sec)...),
	} {
		t.Run(name, func(t *testing.T) {
			forWindows(t, func(t *testing.T) { checkSpan(t, writeTemp(t, dir, "two", b)) })
		})
	}
}

// toPcapNGResolution re-encodes a capture as pcapng with time stamps of
// 10^-res seconds.
func toPcapNGResolution(t *testing.T, in []byte, res uint8) []byte {
	t.Helper()
	f := openBytes(t, in, "in")
	var buf bytes.Buffer
	intf := pcapgo.DefaultNgInterface
	intf.LinkType = layers.LinkTypeEthernet
	intf.TimestampResolution = pcapgo.NgResolution(res)
	w, err := pcapgo.NewNgWriterInterface(&buf, intf, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	for {
		r, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: r.Time, CaptureLength: len(r.Data), Length: r.OrigLen}, r.Data); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	return buf.Bytes()
}

// TestSpanEmpty: a capture without records says so.
func TestSpanEmpty(t *testing.T) {
	dir := t.TempDir()
	ng := &ngBuilder{order: binary.LittleEndian}
	ng.shb()
	shbOnly := bytes.Clone(ng.b)
	ng.idb(1, 0, 0)
	hdr := pcapHeader(binary.LittleEndian, false, 65535, 1)
	for name, c := range map[string]struct {
		b      []byte
		format capture.Format
	}{
		"pcap header":          {hdr, capture.FormatPcap},
		"pcap header, gzip":    {gz(t, hdr), capture.FormatPcap},
		"pcap header, zstd":    {zstdOf(t, hdr), capture.FormatPcap},
		"pcap, first cut":      {append(bytes.Clone(hdr), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17), capture.FormatPcap},
		"pcapng section only":  {shbOnly, capture.FormatPcapNG},
		"pcapng no packets":    {ng.b, capture.FormatPcapNG},
		"pcapng only stats":    {withStats(ng.b), capture.FormatPcapNG},
		"pcapng, lz4":          {lz4Of(t, ng.b), capture.FormatPcapNG},
		"pcapng, first cut":    {append(bytes.Clone(ng.b), ngBlock(6, make([]byte, 40))[:30]...), capture.FormatPcapNG},
		"pcapng, bad iface":    {append(bytes.Clone(ng.b), ngBlock(6, append([]byte{9}, make([]byte, 19)...))...), capture.FormatPcapNG},
		"pcap, header implaus": {append(bytes.Clone(hdr), bytes.Repeat([]byte{0xff}, 40)...), capture.FormatPcap},
	} {
		t.Run(name, func(t *testing.T) {
			s := checkSpan(t, writeTemp(t, dir, "empty", c.b))
			if !s.Empty || !s.First.IsZero() || !s.Last.IsZero() || s.Format != c.format || !s.Exact {
				t.Errorf("Span %s, want an empty %s", spanString(s), c.format)
			}
		})
	}
}

// TestSpanErrors: what cannot be opened is Open's error.
func TestSpanErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := capture.Span(filepath.Join(dir, "missing.pcap")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	p := writeTemp(t, dir, "text.pcap", []byte("hello world\n"))
	_, err := capture.Span(p)
	var ce *capture.Error
	if !errors.Is(err, capture.ErrNotCapture) || !errors.As(err, &ce) || ce.File != p {
		t.Errorf("not a capture: %v", err)
	}
}

// TestSpanOneRecord: a file of one record, and of one record and a cut
// one, spans that record.
func TestSpanOneRecord(t *testing.T) {
	dir := t.TempDir()
	ts := time.Unix(1700000000, 5000)
	b, _ := handPcap(binary.LittleEndian, false, 1, []pkt{{ts: ts, data: filler(1, 100)}})
	for name, f := range map[string][]byte{"one": b, "one and a cut one": append(bytes.Clone(b), b[24:60]...)} {
		t.Run(name, func(t *testing.T) {
			forWindows(t, func(t *testing.T) {
				s := checkSpan(t, writeTemp(t, dir, "one", f))
				if !s.First.Equal(ts) || !s.Last.Equal(ts) {
					t.Errorf("Span %s", spanString(s))
				}
			})
		})
	}
}

// FuzzSpan: whatever the file, Span does not panic and, with the real
// window (larger than any input here, so the tail search starts right
// after the first record), says what a full read does. With small
// windows the first record, emptiness and format still agree, and so
// does the last record when Span says it is exact.
func FuzzSpan(f *testing.F) {
	for _, b := range fuzzSpanSeeds(f) {
		f.Add(b, uint16(0))
		f.Add(b, uint16(200))
	}
	f.Fuzz(func(t *testing.T, data []byte, window uint16) {
		p := filepath.Join(t.TempDir(), "fuzz.cap")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if window == 0 {
			checkSpan(t, p)
			return
		}
		defer capture.SetSpanWindow(int64(window))()
		got, err := capture.Span(p)
		want, werr := fullSpan(p)
		if (err != nil) != (werr != nil) {
			t.Fatalf("Span error %v, a full read's %v", err, werr)
		}
		if err != nil {
			return
		}
		if got.Format != want.Format || got.Empty != want.Empty || !got.First.Equal(want.First) ||
			(got.Exact && !got.Last.Equal(want.Last)) {
			t.Fatalf("Span %s, a full read %s", spanString(got), spanString(want))
		}
	})
}

// fuzzSpanSeeds are small captures of each kind, whole and cut.
func fuzzSpanSeeds(f *testing.F) [][]byte {
	lab := readFile(f, "../testdata/pcaps/lab/ikev2-ok/capture.pcap")
	var out [][]byte
	for _, b := range [][]byte{lab[:min(len(lab), 6000)], noisePcap(8, 1)} {
		out = append(out, b, b[:len(b)-7])
	}
	ng := &ngBuilder{order: binary.BigEndian}
	ng.shb()
	ng.idb(1, 0, 9)
	for i := range 5 {
		ng.epb(0, 1700000000_000000000+uint64(i)*1000, filler(byte(i), 30+i), 30+i)
	}
	out = append(out, ng.b, withStats(ng.b), ng.b[:len(ng.b)-9])
	return out
}

// BenchmarkSpan compares Span with a full read on a 30 MB capture, pcap
// and pcapng (in the page cache: from disk, the full read costs more).
//
//	go test ./capture -run '^$' -bench Span -benchmem
func BenchmarkSpan(b *testing.B) {
	dir := b.TempDir()
	noise := noisePcap(40000, 1)
	for _, c := range []struct {
		name string
		data []byte
	}{{"pcap", noise}, {"pcapng", toPcapNG(b, noise)}} {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/span", func(b *testing.B) {
			for b.Loop() {
				if s, err := capture.Span(p); err != nil || s.Exact {
					b.Fatalf("Span %v, %v: the end did not tell", s, err)
				}
			}
		})
		b.Run(c.name+"/full-read", func(b *testing.B) {
			for b.Loop() {
				if _, err := fullSpan(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
