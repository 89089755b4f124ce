package capture

import (
	"errors"
	"io"
	"os"
	"time"
)

// SpanInfo is when a capture file's records begin and end.
type SpanInfo struct {
	Format      Format
	Compression string // "gzip", "zstd", "lz4", or "" for a plain file
	// Empty is set when the file holds no record: a header only, or a
	// first record that is cut or broken. First and Last are then zero.
	Empty bool
	// First and Last are the capture times of the file's first and last
	// records in file order (not the earliest and latest, should the
	// records be out of order), as a reader that stops at a record it
	// cannot read, and skips what it can read past, sees them.
	First, Last time.Time
	// Exact is set when First and Last are certain: every record was
	// read, or the file's structure leaves no doubt. It is clear when the
	// last record was found from the end of the file by a rule that holds
	// for the files capture tools write but is not proved: a chain of
	// plausible pcap record headers that runs to the end of the file, or
	// pcapng blocks of a section whose header does not say where it ends
	// (another section could start unseen in the middle). Such a file's
	// middle is not read: should it be corrupt, a reader stops earlier
	// than Last.
	Exact bool
}

// spanWindow is how much of a file's end Span reads to find its last
// record: twice the largest record or packet block, so that a record
// starts in its first half. A variable for the tests, which keep the rule
// for the records they make.
var spanWindow int64 = 2 * ngMaxBlockLen

// spanMargin is how much earlier than the first record a pcap record
// found from the end may be stamped and still be taken for a record:
// captures are out of order by seconds, not hours.
const spanMargin = time.Hour

// Span tells the capture time of the first and last record of the file at
// path, cheaply: the pipeline asks it of every file to put the files of a
// capture point in order before reading any. The first record is read
// from the start. The last one of a plain file is found from its end (see
// SpanInfo.Exact); a compressed file, a file that is not a regular file,
// and a file whose end does not tell, are read whole. Errors are those of
// Open: a file that cannot be read or is no capture.
func Span(path string) (SpanInfo, error) {
	osf, err := os.Open(path)
	if err != nil {
		return SpanInfo{}, err
	}
	defer osf.Close()
	f, err := NewReader(osf, path, nil)
	if err != nil {
		return SpanInfo{}, err
	}
	defer f.Close()
	info := SpanInfo{Format: f.Format, Compression: f.Compression, Exact: true}
	first := f.nextReadable()
	if first == nil {
		info.Empty = true
		return info, nil
	}
	info.First, info.Last = first.Time, first.Time
	if !f.Compressed {
		if st, err := osf.Stat(); err == nil && st.Mode().IsRegular() {
			if last, exact, ok := f.tailSpan(osf, st.Size(), first.Time); ok {
				info.Last, info.Exact = last, exact
				return info, nil
			}
		}
	}
	for r := f.nextReadable(); r != nil; r = f.nextReadable() {
		info.Last = r.Time
	}
	return info, nil
}

// nextReadable returns the next record, reading past what can be read
// past, or nil at the end or where reading breaks off.
func (f *File) nextReadable() *Record {
	for {
		r, err := f.Next()
		if err == nil {
			return r
		}
		if !Resumable(err) {
			return nil
		}
	}
}

// tailSpan finds the time of the last record of the plain file f of size
// bytes, whose first record (stamped first) has been read, from the last
// spanWindow bytes. ok is false when they do not tell.
func (f *File) tailSpan(r io.ReaderAt, size int64, first time.Time) (last time.Time, exact, ok bool) {
	start := f.offset() // just after the first record
	align := int64(1)
	if f.ng != nil {
		align = 4 // pcapng blocks are 32-bit aligned from the file's start
	}
	wstart := max(start, size-spanWindow)
	wstart = (wstart + align - 1) / align * align
	if wstart > size {
		return time.Time{}, false, false
	}
	buf := make([]byte, size-wstart)
	if n, err := r.ReadAt(buf, wstart); n != len(buf) || (err != nil && !errors.Is(err, io.EOF)) {
		return time.Time{}, false, false // the file changed under us, or a read failed
	}
	// Either the window starts right after the first record, or a record
	// starts in its first half.
	anchored, cover := wstart == start, int(spanWindow/2)
	if f.ng != nil {
		return f.ngTail(buf, wstart, size, anchored, cover, first)
	}
	return f.pcapTail(buf, anchored, cover, first)
}
