package capture

import (
	"errors"
	"fmt"
	"io"
)

// Chain reads the files of one capture point (a ring buffer, tcpdump -C
// or -G files, editcap -c pieces) as one timeline: the files one after
// the other, in the order given, each opened when the one before it is
// done, so that one file at a time is open.
//
// Frame numbers run on across files as mergecap -a numbers them: the
// first record of the second file is the first file's frame count plus
// one. Record.File and Record.FileFrame keep the file and the frame
// number in it, and errors are the files' own *Error, which name the
// file and its own frame.
type Chain struct {
	names []string
	open  func(name string) (*File, error)
	files []ChainFile
	i     int   // the file being read; len(names) once all are done
	cur   *File // open while file i is read
	base  int   // frame numbers used by the files before i
	bytes int64 // bytes read from the files before i
	drops uint64
}

// ChainFile is one file of a Chain and what has been read of it.
type ChainFile struct {
	Name string
	// Frames is how many frame numbers the file used: its records, and
	// its packet blocks that were skipped as broken (they keep theirs).
	Frames int
	// FirstFrame and LastFrame are the chain's frame numbers of the
	// file's first and last record (0 while none was read).
	FirstFrame, LastFrame int
	Bytes                 int64  // how far into the (decompressed) file reading came
	Drops                 uint64 // packets its interfaces reported dropped
	// Err is why the file could not be opened, or where reading it
	// broke off; Done is set once reading it is over.
	Err  error
	Done bool
}

var _ interface {
	Source
	DropCounter
	Marker
} = (*Chain)(nil)

// Mark is where the record Next returned last lies, in its own file
// (Marker).
func (c *Chain) Mark() (Mark, bool) {
	if c.cur == nil {
		return Mark{}, false
	}
	return c.cur.Mark()
}

// NewChain reads the files named, in that order, opening each with open
// (Open when nil) when its turn comes. A file that fails to open, or that
// breaks off before its end, is an *Error that Resumable reports, naming
// the file; reading goes on with the next file. Only the last file's
// break is final.
func NewChain(names []string, open func(name string) (*File, error)) *Chain {
	if open == nil {
		open = Open
	}
	c := &Chain{names: names, open: open, files: make([]ChainFile, len(names))}
	for i, n := range names {
		c.files[i].Name = n
	}
	return c
}

// Next returns the next record of the chain, io.EOF after the last file.
func (c *Chain) Next() (*Record, error) {
	for {
		if c.i >= len(c.names) {
			return nil, io.EOF
		}
		if c.cur == nil {
			f, err := c.open(c.names[c.i])
			if err == nil && f == nil {
				err = errors.New("the open func returned no file")
			}
			if err != nil {
				return nil, c.openFailed(err)
			}
			c.cur = f
		}
		rec, err := c.cur.Next()
		fi := &c.files[c.i]
		fi.Frames = c.cur.frame
		if err == nil {
			rec.Frame = c.base + rec.FileFrame
			if fi.FirstFrame == 0 {
				fi.FirstFrame = rec.Frame
			}
			fi.LastFrame = rec.Frame
			return rec, nil
		}
		if err == io.EOF {
			c.done(nil)
			continue
		}
		if Resumable(err) {
			return nil, err
		}
		c.done(err)
		if c.i == len(c.names) {
			return nil, err // the last file: reading is over
		}
		return nil, goesOn(err, c.names[c.i])
	}
}

// openFailed records that the current file could not be opened and moves
// to the next.
func (c *Chain) openFailed(err error) error {
	name := c.names[c.i]
	c.files[c.i].Err, c.files[c.i].Done = err, true
	c.i++
	ce := &Error{File: name, Err: err}
	var fe *Error
	if errors.As(err, &fe) {
		*ce = *fe // the file header's own error, naming the file
	}
	ce.Resumed = true
	if c.i < len(c.names) {
		ce.Err = fmt.Errorf("%w; reading goes on with the next file, %s", ce.Err, c.names[c.i])
	}
	return ce
}

// done closes the current file, whose reading ended (with err where it
// broke off), and moves to the next.
func (c *Chain) done(err error) {
	fi := &c.files[c.i]
	fi.Frames, fi.Bytes, fi.Drops, fi.Err, fi.Done = c.cur.frame, c.cur.BytesRead(), c.cur.Drops(), err, true
	c.cur.Close()
	c.cur = nil
	c.base += fi.Frames
	c.bytes += fi.Bytes
	c.drops += fi.Drops
	c.i++
}

// goesOn makes a file's final error one that the chain reads past.
func goesOn(err error, next string) error {
	var fe *Error
	if !errors.As(err, &fe) {
		fe = &Error{Err: err}
	}
	ce := *fe
	ce.Resumed = true
	ce.Err = fmt.Errorf("%w; reading goes on with the next file, %s", fe.Err, next)
	return &ce
}

// Files tells, for each file of the chain, what has been read of it.
func (c *Chain) Files() []ChainFile {
	out := append([]ChainFile(nil), c.files...)
	if c.cur != nil {
		out[c.i].Bytes, out[c.i].Drops = c.cur.BytesRead(), c.cur.Drops()
	}
	return out
}

// BytesRead is the bytes read so far from all the files (decompressed),
// for a progress report against their sizes.
func (c *Chain) BytesRead() int64 {
	if c.cur != nil {
		return c.bytes + c.cur.BytesRead()
	}
	return c.bytes
}

// Drops sums the drops the files' interfaces reported.
func (c *Chain) Drops() uint64 {
	if c.cur != nil {
		return c.drops + c.cur.Drops()
	}
	return c.drops
}

// Close closes the file being read; the files after it are not opened.
func (c *Chain) Close() error {
	var err error
	if c.cur != nil {
		fi := &c.files[c.i]
		fi.Bytes, fi.Drops = c.cur.BytesRead(), c.cur.Drops()
		c.bytes += fi.Bytes
		c.drops += fi.Drops
		err = c.cur.Close()
		c.cur = nil
	}
	c.i = len(c.names)
	return err
}
