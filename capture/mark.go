package capture

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// Mark says where a record lies in a capture file and what reading it
// again takes (the byte order and time unit of classic pcap, the section's
// interfaces of pcapng), so that a frame can be read again without the
// records before it. Only an uncompressed regular file opened by path has
// marks: a gzip stream or standard input cannot be read from the middle.
type Mark struct {
	File      string // the path the file was opened by
	Offset    int64  // the record's byte offset: its header (pcap) or block (pcapng)
	FileFrame int    // its frame number in File
	st        *markState
}

// markState is the reader state at a mark, shared by the marks taken while
// it does not change (pcapng: until the next interface or section).
type markState struct {
	format  Format
	link    LinkType // classic pcap
	order   binary.ByteOrder
	nsecMul uint32 // classic pcap
	big     bool   // pcapng
	ifaces  []ngInterface
	ngGen   int // the ngReader generation it was taken at
}

// Marker is a Source that can say where its records lie.
type Marker interface {
	// Mark is the mark of the record Next returned last; false when
	// that record cannot be read again by offset.
	Mark() (Mark, bool)
}

var _ Marker = (*File)(nil)

// Mark is the mark of the record Next returned last; false for a
// compressed file, standard input, a pipe, or before the first record.
func (f *File) Mark() (Mark, bool) {
	if f.path == "" || f.Compressed || f.frame == 0 {
		return Mark{}, false
	}
	if f.ms == nil || (f.ng != nil && f.ms.ngGen != f.ng.gen) {
		f.ms = f.state()
	}
	return Mark{File: f.path, Offset: f.rec.Offset, FileFrame: f.rec.FileFrame, st: f.ms}, true
}

// state copies what reading a record of the current section takes.
func (f *File) state() *markState {
	if f.ng == nil {
		return &markState{format: FormatPcap, link: f.link, order: f.pcap.order, nsecMul: f.pcap.nsecMul}
	}
	return &markState{format: FormatPcapNG, order: f.ng.order, big: f.ng.big, ifaces: slices.Clone(f.ng.ifaces), ngGen: f.ng.gen}
}

// OpenAt opens the file of a mark and reads from its record on: Next
// returns that record first, numbered m.FileFrame (Frame and FileFrame),
// then the records after it. A file that changed since the mark was taken
// reads as whatever lies there now, with the usual errors.
func OpenAt(m Mark) (*File, error) {
	if m.st == nil || m.File == "" || m.Offset < 0 || m.FileFrame < 1 {
		return nil, fmt.Errorf("%s: not a record's mark", m.File)
	}
	osf, err := os.Open(m.File)
	if err != nil {
		return nil, err
	}
	if _, err := osf.Seek(m.Offset, io.SeekStart); err != nil {
		osf.Close()
		return nil, err
	}
	f := &File{Name: m.File, Format: m.st.format, closer: osf, path: m.File, frame: m.FileFrame - 1, ms: m.st}
	f.counter = &countingReader{r: osf, n: m.Offset}
	if m.st.format == FormatPcap {
		f.buf = bufio.NewReaderSize(f.counter, maxSnaplen+pcapRecordHeaderLen)
		f.pcap = pcapRecords{r: f.buf, order: m.st.order, nsecMul: m.st.nsecMul}
		f.link = m.st.link
		return f, nil
	}
	f.buf = bufio.NewReaderSize(f.counter, ngMaxBlockLen)
	f.ng = newNgReader(f.buf, f.offset)
	f.ng.order, f.ng.big, f.ng.gen = m.st.order, m.st.big, m.st.ngGen
	f.ng.ifaces = slices.Clone(m.st.ifaces)
	return f, nil
}

// regularPath is the path of closer when it is a regular file opened by
// path, which marks can open again; "" otherwise (standard input, a pipe).
func regularPath(closer io.Closer) string {
	osf, ok := closer.(*os.File)
	if !ok || osf == os.Stdin {
		return ""
	}
	st, err := osf.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return ""
	}
	return osf.Name()
}

// Rereader reads records again at their marks, one at a time, with two
// reads each and every file opened once: what showing a frame again costs,
// whatever lies before it. It is not safe for concurrent use.
type Rereader struct {
	files map[string]*os.File
}

// Read reads the record at m. The record and its Data are the caller's.
func (r *Rereader) Read(m Mark) (*Record, error) {
	if m.st == nil || m.File == "" || m.Offset < 0 || m.FileFrame < 1 {
		return nil, fmt.Errorf("%s: not a record's mark", m.File)
	}
	f := r.files[m.File]
	if f == nil {
		var err error
		if f, err = os.Open(m.File); err != nil {
			return nil, err
		}
		if r.files == nil {
			r.files = map[string]*os.File{}
		}
		r.files[m.File] = f
	}
	rec := &Record{Frame: m.FileFrame, FileFrame: m.FileFrame, File: m.File, Offset: m.Offset}
	fail := func(format string, args ...any) (*Record, error) {
		return nil, &Error{File: m.File, Frame: m.FileFrame, Offset: m.Offset, Err: fmt.Errorf(format, args...)}
	}
	st := m.st
	if st.format == FormatPcap {
		var h [pcapRecordHeaderLen]byte
		if _, err := f.ReadAt(h[:], m.Offset); err != nil {
			return fail("record header: %v", err)
		}
		caplen, wire := int(st.order.Uint32(h[8:12])), int(st.order.Uint32(h[12:16]))
		if caplen > maxSnaplen || caplen > wire {
			return fail("record lengths %d, %d are not a record's (the file changed?)", caplen, wire)
		}
		rec.Time = time.Unix(int64(st.order.Uint32(h[0:4])), int64(st.order.Uint32(h[4:8])*st.nsecMul)).UTC()
		rec.Data, rec.OrigLen, rec.LinkType = make([]byte, caplen), wire, st.link
		if _, err := f.ReadAt(rec.Data, m.Offset+pcapRecordHeaderLen); err != nil {
			return fail("record: %v", err)
		}
		return rec, nil
	}
	n := ngReader{order: st.order, big: st.big, ifaces: st.ifaces}
	var h [8]byte
	if _, err := f.ReadAt(h[:], m.Offset); err != nil {
		return fail("block header: %v", err)
	}
	typ, length := n.u32(h[0:4]), n.u32(h[4:8])
	if typ != ngEnhancedPacket && typ != ngSimplePacket && typ != ngObsoletePacket || length < 12 || length%4 != 0 || length > ngMaxBlockLen {
		return fail("block type 0x%x of length %d is not a packet's (the file changed?)", typ, length)
	}
	b := make([]byte, length)
	if _, err := f.ReadAt(b, m.Offset); err != nil {
		return fail("block: %v", err)
	}
	if n.u32(b[length-4:]) != length {
		return fail("block lengths differ (the file changed?)")
	}
	r2, err := n.packet(m.Offset, typ, b[8:length-4])
	if err != nil {
		return fail("%v", err)
	}
	rec.Time, rec.LinkType, rec.Data, rec.OrigLen, rec.Interface = r2.time, r2.linkType, r2.data, r2.origLen, r2.iface
	return rec, nil
}

// Close closes the files opened.
func (r *Rereader) Close() error {
	var first error
	for _, f := range r.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	r.files = nil
	return first
}
