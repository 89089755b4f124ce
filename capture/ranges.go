package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// Reading one plain capture file on several cores: the file is cut into
// byte ranges, each read by its own reader (ReadAt on the file), from a
// record boundary found by chaining plausible record headers, as Span finds
// the last record from the end of a file. The boundaries are guesses: a
// guess inside a record whose bytes chain like headers gives a range whose
// start is not where the range before it really ends, which the caller
// sees (the range before's RangeReader.Offset once it returned io.EOF,
// against this range's start) and must recover from by reading again
// (OpenSpan). A guess can only cost time.

// RangePlan is a capture file cut into byte ranges at guessed record
// boundaries.
type RangePlan struct {
	Path   string
	Format Format
	Size   int64
	// Starts are the ranges' first records' offsets, ascending: the
	// first is the file's first record; range i ends where range i+1
	// starts (the last at the end of the file).
	Starts []int64
	first  Mark // the first record's: how to read the records after it
}

// chainRecords is how many plausible record headers in a row make a
// boundary (fewer when the file ends first).
const chainRecords = 8

// ErrNoRanges is wrapped by PlanRanges' error for a file that cannot be
// read in ranges (compressed, not a regular file, no record).
var ErrNoRanges = errors.New("cannot be read in ranges")

// PlanRanges cuts the plain capture file at path into at most n ranges of
// about equal size. Records before the first one (the file header, pcapng
// section and interface blocks) belong to no range. A file that cannot be
// read from the middle (compressed, standard input, a pipe), or whose first
// record cannot be read, gives an error wrapping ErrNoRanges.
func PlanRanges(path string, n int) (*RangePlan, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if f.Compressed {
		return nil, fmt.Errorf("%s: compressed: %w", path, ErrNoRanges)
	}
	rec, err := f.Next()
	if err != nil {
		return nil, fmt.Errorf("%s: first record: %v: %w", path, err, ErrNoRanges)
	}
	m, ok := f.Mark()
	if !ok {
		return nil, fmt.Errorf("%s: not a regular file: %w", path, ErrNoRanges)
	}
	osf, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer osf.Close()
	st, err := osf.Stat()
	if err != nil {
		return nil, err
	}
	p := &RangePlan{Path: path, Format: f.Format, Size: st.Size(), Starts: []int64{m.Offset}, first: m}
	// Records are stamped from a little before the first record (out of
	// order by seconds) to the longest a capture lasts after it; Span
	// would tell the last one, at the cost of reading the tail.
	lo, hi := rec.Time.Add(-spanMargin), rec.Time.Add(spanMaxLength)
	body := p.Size - m.Offset
	for i := 1; i < n; i++ {
		guess := m.Offset + body*int64(i)/int64(n)
		off, ok := p.boundary(osf, guess, lo, hi)
		if ok && off > p.Starts[len(p.Starts)-1] && off < p.Size {
			p.Starts = append(p.Starts, off)
		}
	}
	return p, nil
}

// boundary finds the first offset at or after guess where a chain of
// plausible records starts.
func (p *RangePlan) boundary(r io.ReaderAt, guess int64, lo, hi time.Time) (int64, bool) {
	align := int64(1)
	if p.Format == FormatPcapNG {
		align = 4
	}
	guess = (guess + align - 1) / align * align
	if guess >= p.Size {
		return 0, false
	}
	// A small window first: records are small; then one that holds
	// chains of the largest.
	for _, w := range [...]int64{64 << 10, 4 * ngMaxBlockLen} {
		window := min(p.Size-guess, w)
		buf := make([]byte, window)
		n, err := r.ReadAt(buf, guess)
		if int64(n) != window && !(errors.Is(err, io.EOF) && n > 0) {
			return 0, false
		}
		buf = buf[:n]
		atEnd := guess+int64(len(buf)) == p.Size
		for o := 0; o < len(buf)/2; o += int(align) {
			if p.chains(buf[o:], atEnd, lo, hi) {
				return guess + int64(o), true
			}
		}
		if atEnd {
			break
		}
	}
	return 0, false
}

// chains reports whether chainRecords plausible records follow one another
// from the start of b (or fewer that end exactly at the end of the file).
func (p *RangePlan) chains(b []byte, atEnd bool, lo, hi time.Time) bool {
	at := 0
	for k := 0; k < chainRecords; k++ {
		if at == len(b) {
			return atEnd && k > 0
		}
		n := p.plausible(b[at:], lo, hi)
		if n <= 0 || at+n > len(b) {
			return false
		}
		at += n
	}
	return true
}

// plausible is the length of the record whose header starts b, or 0 when
// it does not look like one.
func (p *RangePlan) plausible(b []byte, lo, hi time.Time) int {
	st := p.first.st
	if p.Format == FormatPcap {
		if len(b) < pcapRecordHeaderLen {
			return 0
		}
		sec, frac := st.order.Uint32(b[0:4]), st.order.Uint32(b[4:8])
		caplen, wire := st.order.Uint32(b[8:12]), st.order.Uint32(b[12:16])
		if caplen > maxSnaplen || caplen > wire || wire > 1<<20 {
			return 0
		}
		if uint64(frac)*uint64(st.nsecMul) >= uint64(time.Second) {
			return 0
		}
		t := time.Unix(int64(sec), int64(frac*st.nsecMul))
		if t.Before(lo) || t.After(hi) {
			return 0
		}
		return pcapRecordHeaderLen + int(caplen)
	}
	if len(b) < 12 {
		return 0
	}
	typ, length := st.order.Uint32(b[0:4]), st.order.Uint32(b[4:8])
	switch typ {
	case ngEnhancedPacket, ngSimplePacket, ngObsoletePacket, ngInterfaceStats:
	default:
		return 0
	}
	if length < 12 || length%4 != 0 || length > ngMaxBlockLen || int(length) > len(b) {
		return 0
	}
	if st.order.Uint32(b[length-4:length]) != length {
		return 0
	}
	if typ == ngEnhancedPacket {
		if length < 32 {
			return 0
		}
		iface := st.order.Uint32(b[8:12])
		caplen := st.order.Uint32(b[20:24])
		if int(iface) >= len(st.ifaces) || caplen > length-32 {
			return 0
		}
	}
	return int(length)
}

// RangeBuffer is the size of a range reader's buffer (less near the end
// of a small file): it holds any record or packet block, and reads from
// the page cache in pieces large enough that a read costs little more
// than its copy.
const RangeBuffer = ngMaxBlockLen + 4<<10

// Ranges is the number of ranges.
func (p *RangePlan) Ranges() int { return len(p.Starts) }

// End is where range i ends by the plan: the next range's start, or the
// end of the file.
func (p *RangePlan) End(i int) int64 {
	if i+1 < len(p.Starts) {
		return p.Starts[i+1]
	}
	return p.Size
}

// RangeReader reads the records of one range. Its records are numbered
// from 1 (Frame and FileFrame): the range does not know how many records
// lie before it.
type RangeReader struct {
	f     *File
	end   int64
	last  bool
	gen   int
	start int64
}

// Open reads range i. The caller closes the reader.
func (p *RangePlan) Open(i int) (*RangeReader, error) { return p.OpenSpan(p.Starts[i], p.End(i)) }

// OpenSpan reads the records from byte offset start (a record boundary:
// what lies there is read as a record) up to the last one that starts
// before end, or to the end of the file when end is its size.
func (p *RangePlan) OpenSpan(start, end int64) (*RangeReader, error) {
	osf, err := os.Open(p.Path)
	if err != nil {
		return nil, err
	}
	st := p.first.st
	f := &File{Name: p.Path, Format: st.format, closer: osf, path: p.Path, ms: st}
	f.counter = &countingReader{r: io.NewSectionReader(osf, start, max(p.Size-start, 0)), n: start}
	rr := &RangeReader{f: f, end: end, last: end >= p.Size, start: start}
	// No record is longer than what is left of the file: a small file
	// needs no large buffer (a record that claims more is an error, and
	// makes the caller read the file in one pass, as for any error).
	size := int(min(int64(RangeBuffer), max(p.Size-start, 0)+64))
	if st.format == FormatPcap {
		f.buf = bufio.NewReaderSize(f.counter, size)
		f.pcap = pcapRecords{r: f.buf, order: st.order, nsecMul: st.nsecMul}
		f.link = st.link
		return rr, nil
	}
	f.buf = bufio.NewReaderSize(f.counter, size)
	f.ng = newNgReader(f.buf, f.offset)
	f.ng.order, f.ng.big, f.ng.gen = st.order, st.big, st.ngGen
	f.ng.ifaces = slices.Clone(st.ifaces)
	rr.gen = f.ng.gen
	return rr, nil
}

// Next returns the range's next record, io.EOF once a record would start
// at or after the range's end (the last range: at the end of the file).
// Errors are the capture reader's, their frame numbers counted from the
// range's start.
func (r *RangeReader) Next() (*Record, error) {
	if !r.last && r.f.offset() >= r.end {
		return nil, io.EOF
	}
	return r.f.Next()
}

// Offset is where the next record starts: after the last one read, where
// the range really ended once Next returned io.EOF.
func (r *RangeReader) Offset() int64 { return r.f.offset() }

// Restructured reports whether the range read a section header or an
// interface description (pcapng): the ranges after it, which start with
// the interfaces of the file's first record, may have been read wrong.
func (r *RangeReader) Restructured() bool { return r.f.ng != nil && r.f.ng.gen != r.gen }

// Drops sums the interface drop counters of the statistics blocks the range
// read (pcapng).
func (r *RangeReader) Drops() uint64 { return r.f.Drops() }

// Close closes the range's file.
func (r *RangeReader) Close() error { return r.f.Close() }
