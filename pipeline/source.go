package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// source is one capture point of a run: a capture file, the files of one
// point read as one timeline (a capture.Chain), or a live interface, with
// its own decoder (reassembly is per capture point) and its own counts.
type source struct {
	name   string // as given ("-" for standard input), or the point's label
	point  Point  // the files and why they are one point (none when live)
	src    capture.Source
	chain  *capture.Chain // the files being read, nil when live
	files  []*sourceFile  // per file of the point, as opened
	digest bool           // the files' SHA-256 is computed
	dec    *decode.Decoder
	index  int // frame IDs: decode.FrameID(index, n); 0 in a single-capture run

	frames   int
	problems int
	suppress int
	resumed  int // corrupt or bad blocks read past
	readErr  error
	eof      bool
	next     *capture.Record // the record read ahead, not yet processed
	par      *parallelOut    // the counts of a read in ranges (parallel.go)
	opened   *capture.File   // the first file, opened before reading
}

// sourceFile is one file of a capture point: its size and digest for the
// chain of custody.
type sourceFile struct {
	name  string
	raw   *hashingReader // nil until opened
	total int64          // file size when known
	sum   string         // the digest, once read to its end
	done  bool           // read to its end (sum is final)
}

// reorderWindow is how far back in capture time a record may come after a
// later one and still be analysed in time order (merged captures,
// multi-queue capture cards write records a little out of order).
const reorderWindow = 5 * time.Second

// openPoint prepares reading a capture point's files one after the other;
// each is opened when the previous one is read to its end, so one file is
// open at a time. The first is opened here, so an unreadable capture is an
// error before the run starts. late hears of records beyond the reorder
// window.
func openPoint(p Point, opt Options, late func(*source, *capture.Record, time.Duration)) (*source, error) {
	digest := !opt.NoDigest
	s := &source{name: p.Label(), point: p, dec: decode.NewDecoder(opt.Decode), digest: digest}
	for _, name := range p.Files {
		s.files = append(s.files, &sourceFile{name: name})
	}
	first, err := s.files[0].open(digest)
	if err != nil {
		s.files[0].drain()
		return nil, err
	}
	s.opened = first
	next := 0
	s.chain = capture.NewChain(p.Files, func(name string) (*capture.File, error) {
		next++
		if next == 1 {
			return first, nil
		}
		s.files[next-2].drain() // the previous file, read to its end for its digest
		return s.files[next-1].open(digest)
	})
	s.src = s.chain
	if !opt.FileOrder {
		s.src = capture.NewReorder(s.chain, capture.ReorderOptions{Window: reorderWindow}, func(rec *capture.Record, behind time.Duration) { late(s, rec, behind) })
	}
	return s, nil
}

// open opens the file with its digest.
func (f *sourceFile) open(digest bool) (*capture.File, error) {
	var raw io.Reader
	var closer io.Closer
	label := f.name
	if f.name == "-" {
		raw, label = os.Stdin, "<stdin>"
	} else {
		fh, err := os.Open(f.name)
		if err != nil {
			return nil, err
		}
		if st, err := fh.Stat(); err == nil {
			f.total = st.Size()
		}
		raw, closer = fh, fh
	}
	f.raw = newHashingReader(raw, digest)
	c, err := capture.NewReader(f.raw, label, closer)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	return c, nil
}

// drain reads what is left of an opened file for its digest.
func (f *sourceFile) drain() {
	if f.raw != nil && !f.done {
		io.Copy(io.Discard, f.raw)
		f.sum, f.done = f.raw.Sum(), true
	}
}

// label is the name problems are reported under when a record does not
// name its file (a live source).
func (s *source) label() string { return s.name }

// peek reads ahead one record, reporting bad stretches through problem;
// it returns nil at the end of the source.
func (s *source) peek(problem func(*source, string)) *capture.Record {
	for s.next == nil && !s.eof {
		rec, err := s.src.Next()
		if err == nil {
			s.next = rec
			break
		}
		if errors.Is(err, capture.ErrNoPacket) {
			break // a live source with nothing yet: the run waits
		}
		if capture.Resumable(err) {
			problem(s, err.Error())
			s.resumed++
			continue
		}
		if !errors.Is(err, io.EOF) {
			s.readErr = err
		}
		s.eof = true
	}
	return s.next
}

// finish reads what is left of the files for their digests. A file the
// run did not come to (reading broke off before it) is read for its digest
// all the same: the report names every file given.
func (s *source) finish() {
	for _, f := range s.files {
		if f.raw == nil && f.name != "-" {
			if c, err := f.open(s.digest); err == nil {
				c.Close()
			}
		}
		f.drain()
	}
}

func (s *source) close() {
	s.src.Close()
	for _, f := range s.files {
		if f.raw != nil {
			f.raw.Sum() // ends the digest goroutine
		}
	}
}

func (s *source) input() Input {
	in := Input{Name: s.name, Point: s.point.Name, Grouping: s.point.Why, Packets: s.frames, ReadError: s.readErr,
		SuppressedProblems: s.suppress, SkippedBlocks: s.resumed, Capture: s.index}
	if dc, ok := s.src.(capture.DropCounter); ok {
		in.Drops = dc.Drops()
	}
	if s.par != nil {
		in.Drops = s.par.drops
	}
	if s.chain == nil || len(s.files) < 2 {
		return in
	}
	read := map[string]capture.ChainFile{}
	for _, cf := range s.chain.Files() {
		read[cf.Name] = cf
	}
	for _, f := range s.files {
		cf := read[f.name]
		in.Files = append(in.Files, InputFile{Name: f.name, Packets: cf.Frames, FirstFrame: cf.FirstFrame, LastFrame: cf.LastFrame, ReadError: cf.Err})
	}
	return in
}

// earliest picks the source whose next record is the oldest, so records of
// several captures are correlated in time order (as their clocks say; the
// correlator estimates the offset between them).
func earliest(srcs []*source, problem func(*source, string)) *source {
	var best *source
	var bt time.Time
	for _, s := range srcs {
		rec := s.peek(problem)
		if rec == nil {
			continue
		}
		if best == nil || rec.Time.Before(bt) {
			best, bt = s, rec.Time
		}
	}
	return best
}

// where names a record for problem reports: its file and its frame in it
// (a live source's records name neither: the source and its frame ID).
func (s *source) where(file string, fileFrame, frame int) string {
	if file == "" {
		file = s.label()
	}
	if fileFrame == 0 {
		_, fileFrame = decode.SplitFrame(frame)
	}
	return fmt.Sprintf("%s: frame %d", file, fileFrame)
}
