package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// WriterOptions configure a capture file writer.
type WriterOptions struct {
	// Ring > 0 with RingSize > 0 rotates: when the file would grow past
	// RingSize bytes it is renamed OUT.1 (OUT.1 to OUT.2, ...) and a new
	// OUT is started; at most Ring files are kept (OUT, OUT.1, ...,
	// OUT.<Ring-1>), the oldest is removed. OUT is always the newest.
	Ring     int
	RingSize int64
}

// Writer writes records to a capture file: pcapng when the name ends in
// .pcapng, classic pcap (nanosecond time stamps) otherwise.
type Writer struct {
	path    string
	link    LinkType
	opt     WriterOptions
	ng      bool
	f       *os.File
	bw      *bufio.Writer
	pw      *pcapgo.Writer
	nw      *pcapgo.NgWriter
	size    int64 // bytes in the current file, once flushed
	flushed int64 // bytes that reached the current file
	count   int   // records in the current file
	files   int   // files in the ring so far (1..Ring)
}

// CreateWriter creates (truncates) the capture file.
func CreateWriter(path string, link LinkType, opt WriterOptions) (*Writer, error) {
	if opt.Ring < 0 || opt.RingSize < 0 || (opt.Ring > 0) != (opt.RingSize > 0) {
		return nil, errors.New("a ring of files needs both a number of files and a size")
	}
	w := &Writer{path: path, link: link, opt: opt, ng: strings.HasSuffix(strings.ToLower(path), ".pcapng")}
	if err := w.open(); err != nil {
		return nil, err
	}
	w.files = 1
	return w, nil
}

// countingWriter counts the bytes that reach the file.
type countingWriter struct {
	w io.Writer
	n *int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	*c.n += int64(n)
	return n, err
}

func (w *Writer) open() error {
	f, err := os.Create(w.path)
	if err != nil {
		return err
	}
	w.f, w.flushed, w.count = f, 0, 0
	cw := countingWriter{f, &w.flushed}
	if w.ng {
		intf := pcapgo.DefaultNgInterface
		intf.LinkType = layers.LinkType(w.link)
		intf.SnapLength = maxSnaplen
		intf.TimestampResolution = 9
		nw, err := pcapgo.NewNgWriterInterface(cw, intf, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "ipsecpcap live"}})
		if err == nil {
			err = nw.Flush()
		}
		if err != nil {
			f.Close()
			return err
		}
		w.nw, w.size = nw, w.flushed
		return nil
	}
	w.bw = bufio.NewWriterSize(cw, 256<<10)
	w.pw = pcapgo.NewWriterNanos(w.bw)
	if err := w.pw.WriteFileHeader(maxSnaplen, layers.LinkType(w.link)); err != nil {
		f.Close()
		return err
	}
	err = w.bw.Flush()
	w.size = w.flushed
	return err
}

// recordSize is what a record adds to the file.
func (w *Writer) recordSize(n int) int64 {
	if w.ng {
		return 32 + int64((n+3)&^3) // enhanced packet block
	}
	return 16 + int64(n)
}

// Write appends a record, rotating first when the ring asks for it.
func (w *Writer) Write(rec *Record) error {
	if w.f == nil {
		return errors.New("capture writer closed")
	}
	if w.opt.RingSize > 0 && w.count > 0 && w.size+w.recordSize(len(rec.Data)) > w.opt.RingSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	ci := gopacket.CaptureInfo{Timestamp: rec.Time, CaptureLength: len(rec.Data), Length: max(rec.OrigLen, len(rec.Data))}
	var err error
	if w.ng {
		err = w.nw.WritePacket(ci, rec.Data)
	} else {
		err = w.pw.WritePacket(ci, rec.Data)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", w.path, err)
	}
	w.count++
	w.size += w.recordSize(len(rec.Data))
	return nil
}

// Flush pushes what is buffered to the file.
func (w *Writer) Flush() error {
	if w.f == nil {
		return nil
	}
	if w.ng {
		return w.nw.Flush()
	}
	return w.bw.Flush()
}

// rotate closes the current file and moves the ring along.
func (w *Writer) rotate() error {
	if err := w.closeFile(); err != nil {
		return err
	}
	w.files = min(w.files+1, w.opt.Ring)
	for i := w.opt.Ring - 1; i >= 1; i-- {
		from := w.ringName(i - 1)
		if _, err := os.Stat(from); err != nil {
			continue
		}
		if err := os.Rename(from, w.ringName(i)); err != nil {
			return err
		}
	}
	return w.open()
}

// ringName is the i-th newest file of the ring.
func (w *Writer) ringName(i int) string {
	if i == 0 {
		return w.path
	}
	return w.path + "." + strconv.Itoa(i)
}

// Files lists the files written, newest first.
func (w *Writer) Files() []string {
	var out []string
	for i := range w.files {
		out = append(out, w.ringName(i))
	}
	return out
}

// WriteDrops records the capture's drop count in the file, for pcapng (an
// interface statistics block, which capture.File.Drops reads back); for
// pcap, which has no place for it, it does nothing.
func (w *Writer) WriteDrops(drops uint64, at time.Time) error {
	if w.f == nil || !w.ng {
		return nil
	}
	return w.nw.WriteInterfaceStats(0, pcapgo.NgInterfaceStatistics{LastUpdate: at, PacketsDropped: drops, PacketsReceived: pcapgo.NgNoValue64})
}

func (w *Writer) closeFile() error {
	err := w.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	return err
}

// Close flushes and closes the current file.
func (w *Writer) Close() error {
	if w.f == nil {
		return nil
	}
	return w.closeFile()
}

// ParseSize reads a size like 100M, 1.5G, 500k, 100MB, 64MiB or 1000000
// (k, M, G: powers of 1000, as tcpdump's -C; KiB, MiB, GiB: of 1024).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1e3}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"k", 1e3}, {"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("bad size %q: want e.g. 100M, 1G, 64MiB", s)
	}
	return int64(v * float64(mult)), nil
}

// Tee returns a Source that writes every record it passes on to w. Its
// Close closes w (recording the drop count in a pcapng file) and src.
func Tee(src Source, w *Writer) Source { return &tee{src: src, w: w} }

type tee struct {
	src Source
	w   *Writer
}

func (t *tee) Next() (*Record, error) {
	rec, err := t.src.Next()
	switch {
	case err == nil:
		if werr := t.w.Write(rec); werr != nil {
			return nil, werr
		}
	case errors.Is(err, ErrNoPacket):
		t.w.Flush() // idle: let the file catch up
	}
	return rec, err
}

func (t *tee) Drops() uint64 {
	if dc, ok := t.src.(DropCounter); ok {
		return dc.Drops()
	}
	return 0
}

func (t *tee) Close() error {
	err := t.src.Close()
	if dc, ok := t.src.(DropCounter); ok {
		t.w.WriteDrops(dc.Drops(), time.Now())
	}
	if werr := t.w.Close(); err == nil {
		err = werr
	}
	return err
}
