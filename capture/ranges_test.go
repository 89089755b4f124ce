package capture

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"
)

// TestRangesReadEveryRecord: the ranges of a capture, read one after the
// other, are its records in order, each once, and each range ends where
// the next one starts (real captures hold no decoy headers).
func TestRangesReadEveryRecord(t *testing.T) {
	paths, _ := filepath.Glob("../testdata/pcaps/lab/*/capture.pcap")
	if len(paths) == 0 {
		t.Fatal("no captures")
	}
	// And each as pcapng.
	for _, path := range paths[:len(paths):len(paths)] {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), filepath.Base(filepath.Dir(path))+".pcapng")
		w, err := CreateWriter(out, LinkTypeEthernet, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for {
			r, err := f.Next()
			if err != nil {
				break
			}
			if err := w.Write(r); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, out)
	}
	type rec struct {
		off  int64
		data []byte
	}
	for _, path := range paths {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var want []rec
		for {
			r, err := f.Next()
			if err != nil {
				break
			}
			want = append(want, rec{r.Offset, bytes.Clone(r.Data)})
		}
		f.Close()
		for n := 1; n <= 9; n++ {
			p, err := PlanRanges(path, n)
			if errors.Is(err, ErrNoRanges) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []rec
			for i := range p.Ranges() {
				rr, err := p.Open(i)
				if err != nil {
					t.Fatal(err)
				}
				for k := 1; ; k++ {
					r, err := rr.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s, %d ranges, range %d: %v", path, n, i, err)
					}
					if r.Frame != k {
						t.Fatalf("%s: range %d numbers its record %d as %d", path, i, k, r.Frame)
					}
					got = append(got, rec{r.Offset, bytes.Clone(r.Data)})
				}
				if end := rr.Offset(); end != p.End(i) {
					t.Errorf("%s, %d ranges: range %d ends at %d, planned %d", path, n, i, end, p.End(i))
				}
				rr.Close()
			}
			if len(got) != len(want) {
				t.Fatalf("%s, %d ranges: %d records, want %d", path, n, len(got), len(want))
			}
			for i := range got {
				if got[i].off != want[i].off || !bytes.Equal(got[i].data, want[i].data) {
					t.Fatalf("%s, %d ranges: record %d differs", path, n, i+1)
				}
			}
		}
	}
}
