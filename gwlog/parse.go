package gwlog

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// MaxLine caps the bytes kept of one line; the rest of a longer line is
// read and dropped, so memory stays bounded whatever the input.
const MaxLine = 4096

// maxText caps an event's Text.
const maxText = 512

// ParseFile parses the log at path; the Log is named after the file.
func ParseFile(path string) (*Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, filepath.Base(path))
}

// Parse reads a gateway log and returns its events. Lines in no known format
// are skipped and counted; only a read error is returned, together with what
// was parsed up to it.
func Parse(r io.Reader, name string) (*Log, error) {
	p := newParser(name)
	digest := sha256.New()
	counted := &countingWriter{w: digest}
	br := bufio.NewReaderSize(io.TeeReader(r, counted), 64*1024)
	var err error
	for {
		line, truncated, rerr := readLine(br)
		if line != nil || rerr == nil {
			p.log.Lines++
			if truncated {
				p.log.Truncated++
			}
			p.line(string(line))
		}
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) {
				err = rerr
			}
			break
		}
	}
	p.finish()
	p.log.Size, p.log.SHA256 = counted.n, hex.EncodeToString(digest.Sum(nil))
	return p.log, err
}

// countingWriter counts what is written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	c.n += int64(len(b))
	return c.w.Write(b)
}

// readLine returns the next line without its end-of-line, at most MaxLine
// bytes of it, and whether it was longer; a nil line with io.EOF means the
// input ended.
func readLine(br *bufio.Reader) (line []byte, truncated bool, err error) {
	var buf []byte
	total := 0
	for {
		chunk, e := br.ReadSlice('\n')
		total += len(chunk)
		if room := MaxLine + 2 - len(buf); room > 0 {
			buf = append(buf, chunk[:min(room, len(chunk))]...)
		}
		if e == bufio.ErrBufferFull {
			continue
		}
		if e != nil && total == 0 {
			return nil, false, e
		}
		eol := 0
		for i := len(chunk) - 1; i >= 0 && eol < 2 && (chunk[i] == '\n' || chunk[i] == '\r'); i-- {
			eol++
		}
		n := total - eol
		if n > MaxLine {
			return buf[:MaxLine], true, e
		}
		return buf[:n], false, e
	}
}

// parser holds the per-format state while a log is read.
type parser struct {
	log     *Log
	counts  map[Format]int
	charon  *charonState
	pluto   *plutoState
	comware *comwareState
}

func newParser(name string) *parser {
	return &parser{
		log:     &Log{Name: name},
		counts:  map[Format]int{},
		charon:  newCharonState(),
		pluto:   newPlutoState(),
		comware: &comwareState{},
	}
}

// line dispatches one line: withheld if it may carry a secret, else to the
// first format that recognises it, else skipped.
func (p *parser) line(raw string) {
	s := strings.TrimRight(raw, " \t")
	if strings.TrimSpace(s) == "" {
		p.comware.flush(p)
		return
	}
	h, body := splitHeader(s)
	if secretLine(body) {
		p.log.Withheld++
		return
	}
	if p.comware.header(p, s) {
		p.recognized(FormatComware)
		return
	}
	if p.comware.open() {
		if p.comware.continuation(p, s) {
			p.recognized(FormatComware)
			return
		}
	}
	switch {
	case p.charon.line(p, h, body):
		p.recognized(FormatCharon)
	case p.pluto.line(p, h, body):
		p.recognized(FormatPluto)
	default:
		p.log.Skipped++
	}
}

func (p *parser) recognized(f Format) {
	p.log.Recognized++
	p.counts[f]++
}

func (p *parser) emit(e Event) {
	if e.Line == 0 {
		e.Line = p.log.Lines
	}
	e.Text = capText(e.Text)
	p.log.Events = append(p.log.Events, e)
}

func (p *parser) finish() {
	p.comware.flush(p)
	p.charon.finish(p)
	p.log.cleanSettings()
	best := 0
	for _, f := range []Format{FormatCharon, FormatPluto, FormatComware} {
		if p.counts[f] > best {
			best = p.counts[f]
			p.log.Format = f
		}
	}
}

// capText trims and caps an event's text, cutting at a rune boundary, and
// keeps it on one printable line: a log is foreign input, and its text goes
// to terminals and reports, where a control character (an escape sequence)
// must not arrive.
func capText(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return ' '
		}
		return r
	}, s))
	if len(s) <= maxText {
		return s
	}
	cut := maxText
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
