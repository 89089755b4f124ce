package capture_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// splitCapture writes the records of a capture into parts files in dir,
// as tcpdump -C or editcap -c would (name.0.ext, name.1.ext, ...; pcapng
// when ext is ".pcapng"), the first parts-1 of them of n/parts records
// each. It returns their paths and every record of the capture.
func splitCapture(t *testing.T, in []byte, dir, ext string, parts int) ([]string, []capture.Record) {
	t.Helper()
	recs, err := readAll(t, openBytes(t, in, "in"))
	if err != nil {
		t.Fatal(err)
	}
	per := len(recs) / parts
	var names []string
	for p := range parts {
		name := filepath.Join(dir, fmt.Sprintf("split.%d%s", p, ext))
		w, err := capture.CreateWriter(name, recs[0].LinkType, capture.WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		end := (p + 1) * per
		if p == parts-1 {
			end = len(recs)
		}
		for i := p * per; i < end; i++ {
			if err := w.Write(&recs[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names, recs
}

// chainAll reads a chain to its end, copying records, and collects the
// errors it reads past.
func chainAll(t *testing.T, c *capture.Chain) ([]capture.Record, []error, error) {
	t.Helper()
	var recs []capture.Record
	var skipped []error
	for {
		r, err := c.Next()
		if err == io.EOF {
			return recs, skipped, nil
		}
		if err != nil {
			if capture.Resumable(err) {
				skipped = append(skipped, err)
				continue
			}
			return recs, skipped, err
		}
		cp := *r
		cp.Data = bytes.Clone(r.Data)
		recs = append(recs, cp)
		if len(recs) > 100000 {
			t.Fatal("runaway chain")
		}
	}
}

// TestChainSplitCapture: a real capture split into three files reads
// back through a Chain as the original: the same records, frame numbers
// running on across the files, each record naming its file and its frame
// in it.
func TestChainSplitCapture(t *testing.T) {
	in := readFile(t, "../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap")
	for _, ext := range []string{".pcap", ".pcapng"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			names, want := splitCapture(t, in, dir, ext, 3)
			c := capture.NewChain(names, nil)
			got, skipped, err := chainAll(t, c)
			if err != nil || len(skipped) > 0 {
				t.Fatalf("error %v, read past %v", err, skipped)
			}
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			per := len(want) / 3
			for i, w := range want {
				g := got[i]
				part := min(i/per, 2)
				if g.Frame != w.Frame || !g.Time.Equal(w.Time) || g.LinkType != w.LinkType || !bytes.Equal(g.Data, w.Data) || g.OrigLen != w.OrigLen {
					t.Fatalf("record %d: frame %d time %v len %d, want frame %d time %v len %d", i, g.Frame, g.Time, len(g.Data), w.Frame, w.Time, len(w.Data))
				}
				if g.File != names[part] || g.FileFrame != i-part*per+1 {
					t.Fatalf("record %d: file %s frame %d, want %s frame %d", i, g.File, g.FileFrame, names[part], i-part*per+1)
				}
			}
			var size int64
			files := c.Files()
			for p, f := range files {
				st, err := os.Stat(names[p])
				if err != nil {
					t.Fatal(err)
				}
				size += st.Size()
				n := per
				if p == 2 {
					n = len(want) - 2*per
				}
				if f.Name != names[p] || f.Frames != n || f.FirstFrame != p*per+1 || f.LastFrame != p*per+n || !f.Done || f.Err != nil || f.Bytes != st.Size() {
					t.Errorf("file %d: %+v, want %s with %d frames from %d, %d bytes", p, f, names[p], n, p*per+1, st.Size())
				}
			}
			if c.BytesRead() != size {
				t.Errorf("BytesRead %d, want the files' %d bytes", c.BytesRead(), size)
			}
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestChainOneFileOpen: the chain opens a file when its turn comes and
// closes it at its end, so one file at a time is open; Files and
// BytesRead follow the reading.
func TestChainOneFileOpen(t *testing.T) {
	dir := t.TempDir()
	names, want := splitCapture(t, readFile(t, "../testdata/pcaps/lab/ikev2-rekey/capture.pcap"), dir, ".pcap", 4)
	open, peak := 0, 0
	var opened []string
	c := capture.NewChain(names, func(name string) (*capture.File, error) {
		osf, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		open++
		peak = max(peak, open)
		opened = append(opened, name)
		return capture.NewReader(osf, name, closeFunc(func() error { open--; return osf.Close() }))
	})
	r, err := c.Next()
	if err != nil || r.Frame != 1 {
		t.Fatalf("first record %v, %v", r, err)
	}
	if len(opened) != 1 || c.Files()[1].Done || c.BytesRead() == 0 {
		t.Errorf("after the first record: opened %v, files %+v, %d bytes read", opened, c.Files(), c.BytesRead())
	}
	got, _, err := chainAll(t, c)
	if err != nil || len(got)+1 != len(want) {
		t.Fatalf("%d records, error %v", len(got)+1, err)
	}
	if peak != 1 || open != 0 || len(opened) != len(names) {
		t.Errorf("at most %d files open at once (want 1), %d open at the end, opened %v", peak, open, opened)
	}
}

type closeFunc func() error

func (f closeFunc) Close() error { return f() }

// TestChainBadFiles: a file that is missing or no capture, or that is cut
// in the middle of a record, is an error naming it that reading goes on
// after; frame numbers run on over the files read.
func TestChainBadFiles(t *testing.T) {
	dir := t.TempDir()
	names, want := splitCapture(t, readFile(t, "../testdata/pcaps/lab/ikev2-rekey/capture.pcap"), dir, ".pcap", 3)
	per := len(want) / 3
	missing := filepath.Join(dir, "missing.pcap")
	text := writeTemp(t, dir, "text.pcap", []byte("not a capture\n"))
	// The second part loses the end of its last record.
	b := readFile(t, names[1])
	cut := writeTemp(t, dir, "cut.pcap", b[:len(b)-5])

	c := capture.NewChain([]string{missing, names[0], text, cut, names[2]}, nil)
	got, skipped, err := chainAll(t, c)
	if err != nil {
		t.Fatalf("final error %v", err)
	}
	if len(got) != len(want)-1 {
		t.Fatalf("%d records, want %d (all but the cut one)", len(got), len(want)-1)
	}
	for i, g := range got {
		if g.Frame != i+1 {
			t.Fatalf("record %d: frame %d", i, g.Frame)
		}
		w := want[i]
		if i >= 2*per-1 {
			w = want[i+1] // the cut record is missing
		}
		if !bytes.Equal(g.Data, w.Data) {
			t.Fatalf("record %d: not the split capture's", i)
		}
	}
	if len(skipped) != 3 {
		t.Fatalf("read past %v, want 3 errors", skipped)
	}
	for i, want := range []struct {
		file, text string
		frame      int
	}{
		{missing, "no such file", 0},
		{text, "not a pcap", 0},
		{cut, "cut off", per},
	} {
		var ce *capture.Error
		if !errors.As(skipped[i], &ce) || ce.File != want.file || ce.Frame != want.frame || !ce.Resumed ||
			!strings.Contains(ce.Error(), want.text) || !strings.Contains(ce.Error(), "reading goes on with the next file") {
			t.Errorf("error %d: %v, want a resumable *capture.Error for %s frame %d saying %q", i, skipped[i], want.file, want.frame, want.text)
		}
	}
	if errors.Is(skipped[0], os.ErrNotExist) == false {
		t.Errorf("%v does not wrap os.ErrNotExist", skipped[0])
	}
	files := c.Files()
	if files[0].Err == nil || files[2].Err == nil || files[3].Err == nil || files[1].Err != nil || files[4].Err != nil {
		t.Errorf("files %+v", files)
	}
	if files[3].Frames != per-1 || files[4].FirstFrame != 2*per {
		t.Errorf("cut file: %+v, next %+v", files[3], files[4])
	}
}

// TestChainLastFileCut: the last file's break ends the chain, as a
// file's would.
func TestChainLastFileCut(t *testing.T) {
	dir := t.TempDir()
	names, want := splitCapture(t, readFile(t, "../testdata/pcaps/lab/ikev2-rekey/capture.pcap"), dir, ".pcap", 2)
	b := readFile(t, names[1])
	cut := writeTemp(t, dir, "cut.pcap", b[:len(b)-5])
	c := capture.NewChain([]string{names[0], cut}, nil)
	got, skipped, err := chainAll(t, c)
	var ce *capture.Error
	if len(skipped) != 0 || !errors.As(err, &ce) || ce.Resumed || ce.File != cut || len(got) != len(want)-1 {
		t.Fatalf("%d records, read past %v, final error %v", len(got), skipped, err)
	}
	if r, err := c.Next(); r != nil || err != io.EOF {
		t.Errorf("Next after the end: %v, %v", r, err)
	}
}

// TestChainNoFiles: a chain of nothing ends at once.
func TestChainNoFiles(t *testing.T) {
	c := capture.NewChain(nil, nil)
	if r, err := c.Next(); r != nil || err != io.EOF {
		t.Errorf("Next: %v, %v", r, err)
	}
	if c.Drops() != 0 || c.BytesRead() != 0 || len(c.Files()) != 0 || c.Close() != nil {
		t.Error("an empty chain has something")
	}
}

// TestChainCompressedAndDrops: files compressed differently chain as
// plain ones, and the drops their interfaces reported add up.
func TestChainCompressedAndDrops(t *testing.T) {
	dir := t.TempDir()
	names, want := splitCapture(t, readFile(t, "../testdata/pcaps/lab/ikev2-rekey/capture.pcap"), dir, ".pcapng", 3)
	for i, n := range names {
		b := withDrops(readFile(t, n), uint64(10*(i+1)))
		switch i {
		case 0:
			b = zstdOf(t, b)
		case 1:
			b = lz4Of(t, b)
		}
		writeTemp(t, dir, filepath.Base(n), b)
	}
	c := capture.NewChain(names, nil)
	got, skipped, err := chainAll(t, c)
	if err != nil || len(skipped) != 0 || len(got) != len(want) {
		t.Fatalf("%d records, read past %v, error %v", len(got), skipped, err)
	}
	for i := range want {
		if got[i].Frame != i+1 || !bytes.Equal(got[i].Data, want[i].Data) {
			t.Fatalf("record %d differs", i)
		}
	}
	if c.Drops() != 60 {
		t.Errorf("Drops %d, want 10+20+30", c.Drops())
	}
}

// withDrops appends an interface statistics block reporting drops to a
// little-endian pcapng file.
func withDrops(b []byte, drops uint64) []byte {
	body := make([]byte, 12)        // interface 0, time stamp
	body = append(body, 5, 0, 8, 0) // isb_ifdrop
	body = append(body, byte(drops), byte(drops>>8), 0, 0, 0, 0, 0, 0)
	body = append(body, 0, 0, 0, 0)
	return append(bytes.Clone(b), ngBlock(5, body)...)
}
