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

// source is one input of a run: a capture file or a live interface, with
// its own decoder (reassembly is per capture point) and its own counts.
type source struct {
	name  string // as given ("-" for standard input)
	src   capture.Source
	raw   *hashingReader // nil when the source is not a file
	total int64          // file size when known
	dec   *decode.Decoder
	index int // frame IDs: decode.FrameID(index, n); 0 in a single-capture run

	frames   int
	problems int
	suppress int
	resumed  int // corrupt or bad blocks read past
	readErr  error
	eof      bool
	next     *capture.Record // the record read ahead, not yet processed
}

// openFile opens a capture file ("-" is standard input) as a source.
func openFile(name string, cfg decode.Config, digest bool) (*source, error) {
	var raw io.Reader
	var closer io.Closer
	var total int64
	label := name
	if name == "-" {
		raw, label = os.Stdin, "<stdin>"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		if st, err := f.Stat(); err == nil {
			total = st.Size()
		}
		raw, closer = f, f
	}
	h := newHashingReader(raw, digest)
	src, err := capture.NewReader(h, label, closer)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		h.Sum()
		return nil, err
	}
	return &source{name: name, src: src, raw: h, total: total, dec: decode.NewDecoder(cfg)}, nil
}

// label is the name problems are reported under.
func (s *source) label() string {
	if f, ok := s.src.(*capture.File); ok {
		return f.Name
	}
	return s.name
}

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

// finish reads what is left of a file for its digest.
func (s *source) finish() {
	if s.raw != nil {
		io.Copy(io.Discard, s.raw)
	}
}

func (s *source) close() {
	s.src.Close()
	if s.raw != nil {
		s.raw.Sum() // ends the digest goroutine
	}
}

func (s *source) input() Input {
	in := Input{Name: s.name, Packets: s.frames, ReadError: s.readErr, SuppressedProblems: s.suppress, SkippedBlocks: s.resumed, Capture: s.index}
	if dc, ok := s.src.(capture.DropCounter); ok {
		in.Drops = dc.Drops()
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

func (s *source) problemf(format string, args ...any) string {
	return fmt.Sprintf("%s: "+format, append([]any{s.label()}, args...)...)
}
