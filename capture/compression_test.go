package capture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// labCaptures is every capture file under ../testdata/pcaps (the lab's
// scenarios, see its manifest.json, and the extra ones), by path.
func labCaptures(t testing.TB) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("../testdata/pcaps", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		t.Fatalf("no captures in ../testdata/pcaps (%v)", err)
	}
	return out
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// toPcapNG re-encodes a capture as pcapng (pcapgo's writer, nanosecond
// time stamps), so the real captures are read as both formats.
func toPcapNG(t testing.TB, in []byte) []byte {
	t.Helper()
	f, err := capture.NewReader(bytes.NewReader(in), "in", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var w *pcapgo.NgWriter
	for {
		r, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if w == nil {
			intf := pcapgo.DefaultNgInterface
			intf.LinkType = layers.LinkType(r.LinkType)
			intf.TimestampResolution = 9
			if w, err = pcapgo.NewNgWriterInterface(&buf, intf, pcapgo.DefaultNgWriterOptions); err != nil {
				t.Fatal(err)
			}
		}
		ci := gopacket.CaptureInfo{Timestamp: r.Time, CaptureLength: len(r.Data), Length: r.OrigLen}
		if err := w.WritePacket(ci, r.Data); err != nil {
			t.Fatal(err)
		}
	}
	if w == nil {
		t.Fatal("no records")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdOf(t testing.TB, b []byte, opts ...zstd.EOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := zstd.NewWriter(&buf, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func lz4Of(t testing.TB, b []byte, opts ...lz4.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := lz4.NewWriter(&buf)
	if err := zw.Apply(opts...); err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compressedVariants are the ways a capture is compressed in the tests:
// each library's writer with a few of its options, and streams of two
// frames (zstd and lz4 of files concatenated, as cat or pzstd make them).
func compressedVariants(t *testing.T, b []byte) []struct {
	name, compression string
	data              []byte
} {
	half := len(b) / 2
	return []struct {
		name, compression string
		data              []byte
	}{
		{"gzip", "gzip", gz(t, b)},
		{"zstd default", "zstd", zstdOf(t, b)},
		{"zstd fastest", "zstd", zstdOf(t, b, zstd.WithEncoderLevel(zstd.SpeedFastest))},
		{"zstd best, small window, no CRC", "zstd", zstdOf(t, b, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithWindowSize(1<<10), zstd.WithEncoderCRC(false))},
		{"zstd two frames", "zstd", append(zstdOf(t, b[:half]), zstdOf(t, b[half:])...)},
		{"lz4 default", "lz4", lz4Of(t, b)},
		{"lz4 64 KiB blocks, checksums", "lz4", lz4Of(t, b, lz4.BlockSizeOption(lz4.Block64Kb), lz4.BlockChecksumOption(true), lz4.ChecksumOption(true))},
		{"lz4 level 9 with size", "lz4", lz4Of(t, b, lz4.CompressionLevelOption(lz4.Level9), lz4.SizeOption(uint64(len(b))))},
		{"lz4 two frames", "lz4", append(lz4Of(t, b[:half]), lz4Of(t, b[half:])...)},
	}
}

// sameRecords fails unless got and want are the same records: frame,
// time, link type, data, original length, offset and interface.
func sameRecords(t *testing.T, got, want []capture.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Frame != w.Frame || !g.Time.Equal(w.Time) || g.LinkType != w.LinkType || !bytes.Equal(g.Data, w.Data) ||
			g.OrigLen != w.OrigLen || g.Offset != w.Offset || g.Interface != w.Interface || g.FileFrame != w.FileFrame {
			t.Fatalf("record %d: frame %d time %v link %d len %d orig %d offset %d iface %d; want frame %d time %v link %d len %d orig %d offset %d iface %d",
				i, g.Frame, g.Time, g.LinkType, len(g.Data), g.OrigLen, g.Offset, g.Interface,
				w.Frame, w.Time, w.LinkType, len(w.Data), w.OrigLen, w.Offset, w.Interface)
		}
	}
}

func openBytes(t testing.TB, b []byte, name string) *capture.File {
	t.Helper()
	f, err := capture.NewReader(bytes.NewReader(b), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCompressedCaptures: every real capture, as pcap and as pcapng,
// compressed with gzip, zstd and lz4, reads back record for record as the
// plain file does.
func TestCompressedCaptures(t *testing.T) {
	for _, p := range labCaptures(t) {
		plainPcap := readFile(t, p)
		for _, format := range []capture.Format{capture.FormatPcap, capture.FormatPcapNG} {
			plain := plainPcap
			if format == capture.FormatPcapNG {
				plain = toPcapNG(t, plainPcap)
			}
			pf := openBytes(t, plain, p)
			want, err := readAll(t, pf)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			for _, v := range compressedVariants(t, plain) {
				t.Run(fmt.Sprintf("%s/%s/%s", strings.TrimPrefix(p, "../testdata/pcaps/"), format, v.name), func(t *testing.T) {
					f := openBytes(t, v.data, p)
					defer f.Close()
					if f.Format != format || !f.Compressed || f.Compression != v.compression {
						t.Errorf("Format %q Compressed %v Compression %q; want %q true %q", f.Format, f.Compressed, f.Compression, format, v.compression)
					}
					got, err := readAll(t, f)
					if err != nil {
						t.Fatal(err)
					}
					sameRecords(t, got, want)
					if f.BytesRead() != int64(len(plain)) {
						t.Errorf("BytesRead %d, want the decompressed size %d", f.BytesRead(), len(plain))
					}
				})
			}
		}
	}
}

// TestPlainCompression: a plain file says so.
func TestPlainCompression(t *testing.T) {
	f := openBytes(t, readFile(t, labCaptures(t)[0]), "plain.pcap")
	if f.Compressed || f.Compression != "" {
		t.Errorf("Compressed %v Compression %q, want false \"\"", f.Compressed, f.Compression)
	}
}

// TestCompressedDamage cuts and corrupts compressed captures: reading
// never panics, the records read are the plain file's first ones, and the
// failure is a *capture.Error naming the file and the next frame, or the
// file header; a cut stream says it was cut.
func TestCompressedDamage(t *testing.T) {
	p := "../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap"
	plainPcap := readFile(t, p)
	for _, format := range []capture.Format{capture.FormatPcap, capture.FormatPcapNG} {
		plain := plainPcap
		if format == capture.FormatPcapNG {
			plain = toPcapNG(t, plainPcap)
		}
		want, err := readAll(t, openBytes(t, plain, "x"))
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range compressedVariants(t, plain) {
			damaged := map[string][]byte{}
			for _, cut := range []int{1, 3, 4, 5, 9, 12, 20, 100, len(v.data) / 3, len(v.data) / 2, len(v.data) - 9, len(v.data) - 4, len(v.data) - 1} {
				if cut > 0 && cut < len(v.data) {
					damaged[fmt.Sprintf("cut at %d", cut)] = v.data[:cut]
				}
			}
			for _, at := range []int{4, 6, 10, 30, len(v.data) / 4, len(v.data) / 2, len(v.data) - 6} {
				b := bytes.Clone(v.data)
				b[at] ^= 0x5a
				damaged[fmt.Sprintf("byte %d flipped", at)] = b
				z := bytes.Clone(v.data)
				clear(z[at:min(len(z), at+64)])
				damaged[fmt.Sprintf("zeros from %d", at)] = z
			}
			for name, b := range damaged {
				t.Run(fmt.Sprintf("%s/%s/%s", format, v.name, name), func(t *testing.T) {
					var got []capture.Record
					err := func() (err error) {
						defer func() {
							if r := recover(); r != nil {
								t.Fatalf("panic: %v", r)
							}
						}()
						f, err := capture.NewReader(bytes.NewReader(b), "damaged.cap", nil)
						if err != nil {
							return err
						}
						defer f.Close()
						for {
							r, err := f.Next()
							if err == io.EOF {
								return nil
							}
							if err != nil {
								if capture.Resumable(err) {
									continue
								}
								return err
							}
							c := *r
							c.Data = bytes.Clone(r.Data)
							got = append(got, c)
						}
					}()
					// A cut at a record boundary inside an unchecked frame
					// can read as a clean end; a flipped byte in a frame
					// without checksums can change a record. Either way the
					// records before the damage are the plain file's.
					if err == nil {
						return
					}
					var ce *capture.Error
					if !errors.As(err, &ce) || ce.File != "damaged.cap" {
						t.Fatalf("error %v (%T), want a *capture.Error naming the file", err, err)
					}
					if ce.Frame != 0 && ce.Frame > len(want)+1 {
						t.Errorf("error names frame %d of %d", ce.Frame, len(want))
					}
					if strings.HasPrefix(name, "cut") && ce.Frame > 0 && !strings.Contains(err.Error(), "cut off") {
						t.Errorf("a cut stream's error %q does not say it was cut", err)
					}
					for i := range got {
						if i >= len(want) || got[i].Frame != want[i].Frame {
							break
						}
						if strings.HasPrefix(name, "cut") && !bytes.Equal(got[i].Data, want[i].Data) {
							t.Fatalf("frame %d differs from the plain file's", got[i].Frame)
						}
					}
				})
			}
		}
	}
}

// TestCompressedCutMessage pins the message of a cut zstd and lz4 file.
func TestCompressedCutMessage(t *testing.T) {
	// Several compressed blocks' worth of data that does not compress, so
	// that half the file decompresses to whole records before the cut.
	plain := noisePcap(2000, 1)
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"zstd", zstdOf(t, plain)},
		{"lz4", lz4Of(t, plain, lz4.BlockSizeOption(lz4.Block64Kb))},
		{"gzip", gz(t, plain)},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := openBytes(t, c.data[:len(c.data)/2], "half.pcap."+c.name)
			defer f.Close()
			got, err := readAll(t, f)
			var ce *capture.Error
			if !errors.As(err, &ce) || ce.Frame != len(got)+1 || ce.Resumed {
				t.Fatalf("after %d records: error %v, want a *capture.Error at frame %d", len(got), err, len(got)+1)
			}
			if want := "the " + c.name + " stream ends early (cut off?)"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want it to say %q", err, want)
			}
		})
	}
}

// noisePcap is a pcap of n records of pseudo-random bytes (which do not
// compress), a millisecond apart.
func noisePcap(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 42))
	b := pcapHeader(binary.LittleEndian, false, 65535, 1)
	t0 := time.Unix(1700000000, 0)
	for i := range n {
		data := make([]byte, 40+rng.IntN(1400))
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		b = append(b, pcapRecord(binary.LittleEndian, false, pkt{ts: t0.Add(time.Duration(i) * time.Millisecond), data: data})...)
	}
	return b
}

// TestCompressedNotCapture: compressed data that is not a capture is
// ErrNotCapture, as for gzip.
func TestCompressedNotCapture(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"text.zst", zstdOf(t, []byte("hello world\n"))},
		{"empty.zst", zstdOf(t, nil)},
		{"text.lz4", lz4Of(t, []byte("hello world\n"))},
		{"empty.lz4", lz4Of(t, nil)},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := capture.NewReader(bytes.NewReader(c.data), c.name, nil)
			var ce *capture.Error
			if !errors.Is(err, capture.ErrNotCapture) || !errors.As(err, &ce) || ce.File != c.name {
				t.Errorf("error %v, want a *capture.Error wrapping ErrNotCapture", err)
			}
		})
	}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"magic only.zst", []byte{0x28, 0xb5, 0x2f, 0xfd}},
		{"bad header.zst", []byte{0x28, 0xb5, 0x2f, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"magic only.lz4", []byte{0x04, 0x22, 0x4d, 0x18}},
		{"bad header.lz4", []byte{0x04, 0x22, 0x4d, 0x18, 0xff, 0xff, 0xff, 0xff}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := capture.NewReader(bytes.NewReader(c.data), c.name, nil)
			var ce *capture.Error
			if !errors.As(err, &ce) || ce.File != c.name || ce.Frame != 0 {
				t.Fatalf("error %v (%T), want a *capture.Error for the file header", err, err)
			}
			ext := filepath.Ext(c.name)[1:]
			if ext == "zst" {
				ext = "zstd"
			}
			if !strings.Contains(err.Error(), ext) {
				t.Errorf("error %q does not name %s", err, ext)
			}
		})
	}
}

// TestZstdHugeWindow: a zstd frame that asks for a window beyond what the
// reader allows is refused at once, not allocated.
func TestZstdHugeWindow(t *testing.T) {
	// Frame header: no single segment, window descriptor exponent 30 (1 GiB).
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, (30 - 10) << 3, 0x01, 0x00, 0x00}
	_, err := capture.NewReader(bytes.NewReader(b), "huge.zst", nil)
	var ce *capture.Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "zstd") {
		t.Fatalf("error %v, want a *capture.Error about zstd", err)
	}
}
