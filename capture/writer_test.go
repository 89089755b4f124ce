package capture

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type savedRecord struct {
	Time    time.Time
	Link    LinkType
	Data    []byte
	OrigLen int
}

func readAll(t *testing.T, path string) []savedRecord {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []savedRecord
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if rec.Frame != len(out)+1 {
			t.Fatalf("%s: frame %d after %d records", path, rec.Frame, len(out))
		}
		out = append(out, savedRecord{rec.Time, rec.LinkType, append([]byte(nil), rec.Data...), rec.OrigLen})
	}
}

const labCapture = "../testdata/pcaps/lab/ikev2-ok/capture.pcap"

func sameRecords(t *testing.T, got, want []savedRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) || g.Link != w.Link || !bytes.Equal(g.Data, w.Data) || g.OrigLen != w.OrigLen {
			t.Fatalf("record %d: %v %v len %d/%d, want %v %v len %d/%d", i+1, g.Time, g.Link, len(g.Data), g.OrigLen, w.Time, w.Link, len(w.Data), w.OrigLen)
		}
	}
}

func TestWriterRoundTrip(t *testing.T) {
	want := readAll(t, labCapture)
	// A record cut by the snaplen keeps its length on the wire.
	want = append(want, savedRecord{want[0].Time.Add(time.Second), LinkTypeEthernet, want[0].Data[:40], len(want[0].Data)})
	for _, name := range []string{"out.pcap", "out.pcapng"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			w, err := CreateWriter(path, LinkTypeEthernet, WriterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range want {
				if err := w.Write(&Record{Frame: i + 1, Time: r.Time, LinkType: r.Link, Data: r.Data, OrigLen: r.OrigLen}); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.WriteDrops(7, time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			sameRecords(t, readAll(t, path), want)
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for {
				if _, err := f.Next(); err != nil {
					break
				}
			}
			wantDrops := uint64(0)
			if name == "out.pcapng" {
				wantDrops = 7
				if f.Format != FormatPcapNG {
					t.Fatalf("format %v", f.Format)
				}
			}
			if f.Drops() != wantDrops {
				t.Fatalf("drops %d, want %d", f.Drops(), wantDrops)
			}
			f.Close()
		})
	}
}

func TestWriterRing(t *testing.T) {
	recs := readAll(t, labCapture)
	for len(recs) < 200 {
		recs = append(recs, recs...)
	}
	for _, name := range []string{"ring.pcap", "ring.pcapng"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			const size = 8000
			w, err := CreateWriter(path, LinkTypeEthernet, WriterOptions{Ring: 3, RingSize: size})
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range recs {
				if err := w.Write(&Record{Frame: i + 1, Time: r.Time, LinkType: r.Link, Data: r.Data, OrigLen: r.OrigLen}); err != nil {
					t.Fatal(err)
				}
			}
			files := w.Files()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 3 || len(files) != 3 {
				t.Fatalf("%d files (%v), want 3", len(entries), files)
			}
			// Oldest to newest, the files hold the last records in order.
			var got []savedRecord
			for i := len(files) - 1; i >= 0; i-- {
				st, err := os.Stat(files[i])
				if err != nil {
					t.Fatal(err)
				}
				if st.Size() > size {
					t.Fatalf("%s: %d bytes, over %d", files[i], st.Size(), size)
				}
				got = append(got, readAll(t, files[i])...)
			}
			sameRecords(t, got, recs[len(recs)-len(got):])
			if len(got) >= len(recs) {
				t.Fatal("nothing rotated out")
			}
		})
	}
	if _, err := CreateWriter(filepath.Join(t.TempDir(), "x.pcap"), LinkTypeEthernet, WriterOptions{Ring: 3}); err == nil {
		t.Fatal("a ring without a size accepted")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"100M": 100e6, "1G": 1e9, "500k": 500e3, "100MB": 100e6, "64MiB": 64 << 20, "1000000": 1e6, "1.5G": 1.5e9} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "-1M", "abc", "0"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}
