package capture

import (
	"io"
	"time"
)

// TEMPORARY stub until the capture-formats branch lands.

type ChainFile struct {
	Name                  string
	Frames                int
	FirstFrame, LastFrame int
}

type Chain struct {
	names []string
	open  func(string) (*File, error)
	i     int
	cur   *File
	frame int
	files []ChainFile
	drops uint64
}

func NewChain(names []string, open func(string) (*File, error)) *Chain {
	return &Chain{names: names, open: open}
}

func (c *Chain) Current() string {
	if c.cur != nil {
		return c.cur.Name
	}
	return ""
}

func (c *Chain) Files() []ChainFile { return c.files }

func (c *Chain) Next() (*Record, error) {
	for {
		if c.cur == nil {
			if c.i >= len(c.names) {
				return nil, io.EOF
			}
			f, err := c.open(c.names[c.i])
			c.i++
			if err != nil {
				return nil, &Error{File: c.names[c.i-1], Err: err, Resumed: true}
			}
			c.cur = f
			c.files = append(c.files, ChainFile{Name: c.names[c.i-1]})
		}
		rec, err := c.cur.Next()
		if err == io.EOF {
			c.drops += c.cur.Drops()
			c.cur.Close()
			c.cur = nil
			continue
		}
		if err != nil {
			return nil, err
		}
		c.frame++
		rec.Frame = c.frame
		cf := &c.files[len(c.files)-1]
		if cf.Frames == 0 {
			cf.FirstFrame = c.frame
		}
		cf.Frames++
		cf.LastFrame = c.frame
		return rec, nil
	}
}

func (c *Chain) Close() error {
	if c.cur != nil {
		return c.cur.Close()
	}
	return nil
}

func (c *Chain) Drops() uint64 { return c.drops }

func NewReorder(src Source, w time.Duration, late func(*Record, time.Duration)) Source { return src }

type SpanInfo struct {
	First, Last time.Time
	Records     int
}

func Span(path string) (SpanInfo, error) {
	f, err := Open(path)
	if err != nil {
		return SpanInfo{}, err
	}
	defer f.Close()
	var s SpanInfo
	for {
		r, err := f.Next()
		if err != nil {
			if Resumable(err) {
				continue
			}
			break
		}
		if s.Records == 0 {
			s.First = r.Time
		}
		s.Last = r.Time
		s.Records++
	}
	return s, nil
}
