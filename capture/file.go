// Package capture reads packet records from capture files: classic pcap (both
// byte orders, micro- and nanosecond timestamps) and pcapng (several
// interfaces with their own link types) through gopacket's pcapgo, plain or
// compressed with gzip, zstd or lz4 (told apart by their magic bytes, never
// by the file's name), from a path or from standard input ("-").
//
// Long captures come split into many files (ring buffers, tcpdump -C/-G):
// Span tells a file's first and last record time without reading it all,
// Chain reads the files of one capture point as one timeline, and Reorder
// puts records that a merge or a multi-queue card left slightly out of
// time order back in order. PlanRanges cuts a plain file into byte ranges
// at record boundaries, for reading it on several cores.
//
// It owns framing only: a Record is the bytes of one captured frame with its
// frame number (1-based, counting every packet record, as Wireshark numbers
// frames), time, link type and byte offset in the file. What is inside the
// frame is the decoder's business.
package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/gopacket/pcapgo"
)

// maxSnaplen is the largest record accepted, as tcpdump's MAXIMUM_SNAPLEN:
// files often declare a smaller snaplen than they hold, and a larger record is
// a corrupt length, not a packet.
const maxSnaplen = 262144

// Record is one captured frame. Data is valid until the next call to Next.
type Record struct {
	Frame     int // 1-based
	Time      time.Time
	LinkType  LinkType
	Data      []byte
	OrigLen   int   // length on the wire; > len(Data) when cut by the snaplen
	Offset    int64 // byte offset of the record in the (decompressed) file
	Interface int   // pcapng interface index
	// File is the file the record was read from, as named to NewReader,
	// and FileFrame its frame number in that file: they differ from Frame
	// when several files of one capture point are read as one (Chain).
	File      string
	FileFrame int
}

// Format is the container format of a capture file.
type Format string

// Container formats.
const (
	FormatPcap   Format = "pcap"
	FormatPcapNG Format = "pcapng"
)

// Error is a problem reading the file itself, located by frame and offset.
type Error struct {
	File   string
	Frame  int   // the frame being read when it happened (0: the file header)
	Offset int64 // byte offset in the (decompressed) file
	Err    error
	// Resumed is set when reading goes on after the problem: a bad block
	// was skipped, or the reader found the next valid block (pcapng).
	// Next may then be called again.
	Resumed bool
}

func (e *Error) Error() string {
	if e.Frame == 0 {
		return fmt.Sprintf("%s: byte offset %d: %v", e.File, e.Offset, e.Err)
	}
	return fmt.Sprintf("%s: frame %d at byte offset %d: %v", e.File, e.Frame, e.Offset, e.Err)
}

// Resumable reports whether err is a problem after which Next can be called
// again (a skipped or corrupt pcapng block).
func Resumable(err error) bool {
	var ce *Error
	return errors.As(err, &ce) && ce.Resumed
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNotCapture is wrapped by the error for input that is neither pcap nor pcapng.
var ErrNotCapture = errors.New("not a pcap or pcapng capture")

// File reads records from one capture file.
type File struct {
	Name       string
	Format     Format
	Compressed bool
	// Compression names the compression read through: "gzip", "zstd",
	// "lz4", or "" for a plain file.
	Compression string

	closer  io.Closer
	release func() // frees the decompressor (zstd's), or nil
	counter *countingReader
	buf     *bufio.Reader
	pcap    pcapRecords // classic pcap's records
	link    LinkType    // classic pcap's one link type
	ng      *ngReader
	frame   int
	rec     Record
	path    string     // a regular file's path, for marks ("": none)
	ms      *markState // the state of the last mark taken
}

// Open opens a capture file by path; "-" reads standard input.
func Open(path string) (*File, error) {
	if path == "-" {
		return NewReader(os.Stdin, "<stdin>", nil)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	c, err := NewReader(f, path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

// NewReader reads a capture from r; name is used in errors, and closer (may
// be nil) is closed by Close. When closer is the regular file r reads from
// its start (as Open passes it) and it is not compressed, its records have
// marks (Mark).
func NewReader(r io.Reader, name string, closer io.Closer) (*File, error) {
	f := &File{Name: name, closer: closer}
	raw := bufio.NewReaderSize(r, 64<<10)
	magic, err := raw.Peek(4)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, &Error{File: name, Err: fmt.Errorf("%w: the file holds only %d bytes", ErrNotCapture, len(magic))}
		}
		return nil, &Error{File: name, Err: err}
	}
	src, comp, release, err := decompressor(raw)
	if err != nil {
		return nil, &Error{File: name, Err: err}
	}
	f.Compression, f.Compressed, f.release = comp, comp != "", release
	if !f.Compressed {
		f.path = regularPath(closer) // marks read the file again by path
	}
	if err := f.readHeader(src); err != nil {
		if release != nil {
			release()
		}
		return nil, err
	}
	return f, nil
}

// readHeader reads the capture's file header from the (decompressed) src.
func (f *File) readHeader(src io.Reader) error {
	name := f.Name
	f.counter = &countingReader{r: src}
	// Large enough to look at a whole pcapng block when resynchronising.
	f.buf = bufio.NewReaderSize(f.counter, ngMaxBlockLen)
	magic, err := f.buf.Peek(4)
	if err != nil {
		if derr := f.decompressionErr(); derr != nil {
			return &Error{File: name, Err: derr}
		}
		return &Error{File: name, Err: fmt.Errorf("%w: the file holds only %d bytes", ErrNotCapture, len(magic))}
	}
	switch {
	case binary.BigEndian.Uint32(magic) == 0x0a0d0d0a:
		f.Format = FormatPcapNG
		f.ng = newNgReader(f.buf, f.offset)
	case isPcapMagic(magic):
		f.Format = FormatPcap
		hdr, err := f.buf.Peek(24)
		if err != nil {
			if derr := f.decompressionErr(); derr != nil {
				err = derr
			}
			return &Error{File: name, Err: fmt.Errorf("pcap file header needs 24 bytes: %w", err)}
		}
		lt := pcapLinkType(hdr)
		// pcapgo checks the file header; the records are read here, in
		// place in f.buf (see pcapRecords).
		if _, err := pcapgo.NewReader(f.buf); err != nil {
			return &Error{File: name, Offset: f.offset(), Err: fmt.Errorf("pcap file header: %w", err)}
		}
		f.pcap = newPcapRecords(f.buf, hdr[0:4])
		f.link = lt
	default:
		return &Error{File: name, Err: fmt.Errorf("%w (magic %x)", ErrNotCapture, magic)}
	}
	return nil
}

func isPcapMagic(m []byte) bool {
	switch binary.LittleEndian.Uint32(m) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		return true
	}
	return false
}

// Next returns the next record, or io.EOF after the last one. Any other
// error is an *Error naming the frame and offset; the records before it are
// good. The returned Record and its Data are reused by the next call.
func (f *File) Next() (*Record, error) {
	if f.ng != nil {
		return f.nextNg()
	}
	start := f.offset()
	// The record is filled in place: building a Record (and gopacket's
	// CaptureInfo before it) for every frame showed in profiles.
	rec := &f.rec
	err := f.pcap.next(rec)
	if err != nil {
		if err == io.EOF && f.offset() == start {
			return nil, io.EOF
		}
		short := err == io.EOF || err == io.ErrUnexpectedEOF || err == f.counter.err
		if derr := f.decompressionErr(); short && derr != nil {
			err = derr // the decompressor, not the capture, ran out
		} else if short {
			err = fmt.Errorf("the file ends in the middle of a record (cut off?)")
		}
		return nil, &Error{File: f.Name, Frame: f.frame + 1, Offset: start, Err: err}
	}
	f.frame++
	rec.Frame, rec.LinkType, rec.Offset, rec.Interface = f.frame, f.link, start, 0
	rec.File, rec.FileFrame = f.Name, f.frame
	return rec, nil
}

func (f *File) nextNg() (*Record, error) {
	r, err := f.ng.next()
	if err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		ce := &Error{File: f.Name, Frame: f.frame + 1, Err: err}
		ce.Offset, _ = offsetOf(err)
		var ne *ngError
		if errors.As(err, &ne) {
			if derr := f.decompressionErr(); derr != nil && ne.cut {
				// The decompressor failed, and so the data ran out.
				ce.Err = derr
				return nil, ce
			}
			switch {
			case ne.skipped:
				ce.Resumed = true
				ce.Err = fmt.Errorf("%s; block skipped", ne.reason)
				if ne.notPacket {
					ce.Frame = 0
				} else {
					f.frame++ // the record was there: its frame number is used
				}
			case ne.corrupt:
				skipped, ok := f.ng.resync()
				if ok {
					ce.Resumed = true
					ce.Err = fmt.Errorf("%s; %d bytes skipped, reading resumes at byte offset %d", ne.reason, skipped, f.offset())
				} else if derr := f.decompressionErr(); derr != nil {
					ce.Err = fmt.Errorf("%s; no valid block follows: %w", ne.reason, derr)
				} else {
					ce.Err = fmt.Errorf("%s; no valid block follows", ne.reason)
				}
			}
		}
		return nil, ce
	}
	f.frame++
	rec := &f.rec // field by field, as for classic pcap
	rec.Frame, rec.Time, rec.LinkType, rec.Data = f.frame, r.time, r.linkType, r.data
	rec.OrigLen, rec.Offset, rec.Interface = r.origLen, r.offset, r.iface
	rec.File, rec.FileFrame = f.Name, f.frame
	return rec, nil
}

// Drops is the number of packets the capturing interfaces reported as
// dropped (pcapng interface statistics); the capture may miss that many.
func (f *File) Drops() uint64 {
	if f.ng != nil {
		return f.ng.Drops
	}
	return 0
}

// BytesRead is how far into the (decompressed) file reading has come.
func (f *File) BytesRead() int64 { return f.offset() }

// Close closes the underlying file and frees the decompressor.
func (f *File) Close() error {
	if f.release != nil {
		f.release()
		f.release = nil
	}
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

func (f *File) offset() int64 { return f.counter.n - int64(f.buf.Buffered()) }

// countingReader counts the bytes read through it, so record offsets can be
// reported exactly even behind buffering and decompression. It keeps the
// first error other than io.EOF, so that a record cut short by a failing
// decompressor is reported as that failure.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

// pcapRecords reads classic pcap records as pcapgo.Reader's
// ZeroCopyReadPacketData does, with the same checks and errors, but
// without copying: a record's bytes are returned in place in the
// bufio.Reader's buffer (which holds any record up to maxSnaplen), valid
// until the next read. The file's snaplen is only a hint: files hold larger
// records than they declare. Records are bounded by maxSnaplen instead.
type pcapRecords struct {
	r       *bufio.Reader
	order   binary.ByteOrder
	nsecMul uint32 // 1000 for microsecond timestamps, 1 for nanosecond ones
}

// newPcapRecords reads records after the file header whose magic is given
// (already checked by pcapgo.NewReader).
func newPcapRecords(r *bufio.Reader, magic []byte) pcapRecords {
	p := pcapRecords{r: r, order: binary.LittleEndian, nsecMul: 1000}
	switch binary.LittleEndian.Uint32(magic) {
	case 0xa1b23c4d:
		p.nsecMul = 1
	case 0x4d3cb2a1:
		p.order, p.nsecMul = binary.BigEndian, 1
	case 0xd4c3b2a1:
		p.order = binary.BigEndian
	}
	return p
}

const pcapRecordHeaderLen = 16

// next reads the next record's time, bytes and original length into rec.
func (p *pcapRecords) next(rec *Record) error {
	h, err := p.r.Peek(pcapRecordHeaderLen)
	if err != nil {
		return p.short(len(h), err)
	}
	// As pcapgo: the fraction is multiplied in 32 bits.
	ts := time.Unix(int64(p.order.Uint32(h[0:4])), int64(p.order.Uint32(h[4:8])*p.nsecMul)).UTC()
	caplen := int(p.order.Uint32(h[8:12]))
	wire := int(p.order.Uint32(h[12:16]))
	if caplen > maxSnaplen {
		p.r.Discard(pcapRecordHeaderLen)
		return fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, maxSnaplen)
	}
	if caplen > wire {
		p.r.Discard(pcapRecordHeaderLen)
		return fmt.Errorf("capture length exceeds original packet length: %d > %d", caplen, wire)
	}
	n := pcapRecordHeaderLen + caplen
	b, err := p.r.Peek(n)
	if err != nil {
		p.r.Discard(pcapRecordHeaderLen)
		return p.short(len(b)-pcapRecordHeaderLen, err)
	}
	p.r.Discard(n)
	rec.Time, rec.Data, rec.OrigLen = ts, b[pcapRecordHeaderLen:n:n], wire
	return nil
}

// short consumes the n bytes there were of a part of a record that ends
// early and returns the error io.ReadFull would have: io.EOF when there
// were none, io.ErrUnexpectedEOF when there were some.
func (p *pcapRecords) short(n int, err error) error {
	p.r.Discard(n)
	if err == io.EOF && n > 0 {
		return io.ErrUnexpectedEOF
	}
	return err
}
