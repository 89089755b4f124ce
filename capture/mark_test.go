package capture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/ipsecpcap/ipsecpcap/capture"
)

// markFiles are captures whose records are read again from their marks:
// classic pcap both ways round, and pcapng with two sections whose
// interfaces differ (big endian, then little endian with nanoseconds).
func markFiles(t *testing.T) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	pcap, _ := handPcap(binary.BigEndian, true, 1, somePkts(tNano))
	files["be.pcap"] = pcap
	pcap, _ = pcapgoFile(t, false, layers.LinkTypeEthernet, somePkts(tMicro))
	files["le.pcap"] = pcap
	ng := &ngBuilder{order: binary.BigEndian}
	ng.shb()
	ng.idb(1, 0, 0)
	ng.epb(0, 1_700_000_000_000_001, filler(1, 60), 60)
	ng.idb(101, 0, 9)
	ng.epb(1, 1_700_000_000_000_000_002, filler(2, 70), 90)
	ng.epb(0, 1_700_000_000_000_003, filler(3, 80), 80)
	ng2 := &ngBuilder{order: binary.LittleEndian}
	ng2.shb()
	ng2.idb(276, 0, 9)
	ng2.epb(0, 1_700_000_000_000_000_004, filler(4, 50), 50)
	ng2.epb(0, 1_700_000_000_000_000_005, filler(5, 40), 40)
	files["two-sections.pcapng"] = append(ng.b, ng2.b...)
	return files
}

func TestMarkOpenAt(t *testing.T) {
	dir := t.TempDir()
	for name, b := range markFiles(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := capture.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, ok := f.Mark(); ok {
				t.Error("a mark before the first record")
			}
			var all []capture.Record
			var marks []capture.Mark
			for {
				rec, err := f.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				m, ok := f.Mark()
				if !ok {
					t.Fatalf("frame %d: no mark", rec.Frame)
				}
				if m.Offset != rec.Offset || m.FileFrame != rec.Frame || m.File != path {
					t.Errorf("frame %d: mark %+v, record at %d", rec.Frame, m, rec.Offset)
				}
				c := *rec
				c.Data = bytes.Clone(rec.Data)
				all = append(all, c)
				marks = append(marks, m)
			}
			if len(all) < 3 {
				t.Fatalf("%d records", len(all))
			}
			var rr capture.Rereader
			defer rr.Close()
			for i, m := range marks {
				rec, err := rr.Read(m)
				if err != nil {
					t.Fatalf("frame %d: %v", i+1, err)
				}
				if w := all[i]; rec.Frame != w.Frame || rec.FileFrame != w.FileFrame || !rec.Time.Equal(w.Time) || rec.LinkType != w.LinkType ||
					rec.OrigLen != w.OrigLen || rec.Offset != w.Offset || rec.Interface != w.Interface || !bytes.Equal(rec.Data, w.Data) || rec.File != w.File {
					t.Errorf("frame %d read again: got %+v, want %+v", i+1, *rec, w)
				}
			}
			for i, m := range marks {
				g, err := capture.OpenAt(m)
				if err != nil {
					t.Fatal(err)
				}
				for j := i; j < len(all); j++ {
					rec, err := g.Next()
					if err != nil {
						t.Fatalf("from frame %d, frame %d: %v", i+1, j+1, err)
					}
					w := all[j]
					if rec.Frame != w.Frame || rec.FileFrame != w.FileFrame || !rec.Time.Equal(w.Time) || rec.LinkType != w.LinkType ||
						rec.OrigLen != w.OrigLen || rec.Offset != w.Offset || rec.Interface != w.Interface || !bytes.Equal(rec.Data, w.Data) {
						t.Errorf("from frame %d: got %+v, want %+v", i+1, *rec, w)
					}
					// A mark of the reopened file is as good.
					if m2, ok := g.Mark(); !ok || m2.Offset != w.Offset || m2.FileFrame != w.Frame {
						t.Errorf("from frame %d: reopened mark %+v, %v", i+1, m2, ok)
					}
				}
				if _, err := g.Next(); !errors.Is(err, io.EOF) {
					t.Errorf("from frame %d: after the last record: %v", i+1, err)
				}
				g.Close()
			}
		})
	}
}

// TestNoMark: a gzip file, standard input and a reader not opened by path
// have no marks (they cannot be read from the middle).
func TestNoMark(t *testing.T) {
	pcap, _ := handPcap(binary.LittleEndian, false, 1, somePkts(tMicro))
	dir := t.TempDir()
	gzPath := filepath.Join(dir, "x.pcap.gz")
	if err := os.WriteFile(gzPath, gz(t, pcap), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := capture.Open(gzPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := capture.NewReader(bytes.NewReader(pcap), "mem.pcap", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []*capture.File{f, r} {
		if _, err := src.Next(); err != nil {
			t.Fatal(err)
		}
		if m, ok := src.Mark(); ok {
			t.Errorf("%s: mark %+v", src.Name, m)
		}
	}
	if _, err := capture.OpenAt(capture.Mark{File: gzPath}); err == nil {
		t.Error("OpenAt of a zero mark")
	}
}
