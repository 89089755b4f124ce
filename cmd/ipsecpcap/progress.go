package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// Progress of a long analysis on standard error: one line, rewritten in
// place, erased at the end. Only on a terminal, and only once the run has
// taken a while: short runs and redirected (or captured) stderr never see
// it.
const (
	progressAfter = 2 * time.Second
	progressEvery = 250 * time.Millisecond
)

// progress draws the line on a terminal. Everything else written to the
// terminal while it runs goes through Write, which erases the line first,
// so that messages are not mixed into it.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	read  func() (done, total int64)
	start time.Time
	shown bool // the line is on the screen
	stop  chan struct{}
	ended chan struct{}
}

// startProgress starts showing the progress of read (bytes read and total,
// 0 when unknown) on stderr when it is a terminal; otherwise it returns
// nil. Stop it with end; a nil *progress does nothing.
func startProgress(stderr io.Writer, read func() (done, total int64)) *progress {
	f, ok := stderr.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) || os.Getenv("TERM") == "dumb" {
		return nil
	}
	p := &progress{w: f, read: read, start: time.Now(), stop: make(chan struct{}), ended: make(chan struct{})}
	go p.loop()
	return p
}

func (p *progress) loop() {
	defer close(p.ended)
	wait := time.NewTimer(progressAfter)
	defer wait.Stop()
	select {
	case <-p.stop:
		return
	case <-wait.C:
	}
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		p.draw()
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

func (p *progress) draw() {
	done, total := p.read()
	line := progressLine(done, total, time.Since(p.start))
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	p.shown = true
}

// end stops the progress and erases its line.
func (p *progress) end() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.ended
	p.mu.Lock()
	defer p.mu.Unlock()
	p.erase()
}

func (p *progress) erase() {
	if p.shown {
		io.WriteString(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// Write writes a message to the terminal, erasing the progress line first
// (the next refresh draws it again below the message).
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.erase()
	return p.w.Write(b)
}

// progressLine is e.g. "reading: 812 MB of 2.00 GB (41%), 402 MB/s, 3 s left".
func progressLine(done, total int64, elapsed time.Duration) string {
	rate := float64(done) / max(elapsed.Seconds(), 1e-3)
	s := "reading: " + byteSize(done)
	if total > 0 {
		s += fmt.Sprintf(" of %s (%d%%)", byteSize(total), done*100/total)
	}
	s += ", " + byteSize(int64(rate)) + "/s"
	if total > 0 && rate > 0 && done < total {
		left := time.Duration(float64(total-done) / rate * float64(time.Second))
		if left < 10*time.Second {
			left = left.Round(100 * time.Millisecond)
		} else {
			left = left.Round(time.Second)
		}
		s += fmt.Sprintf(", %v left", left)
	}
	return s
}

// byteSize writes a byte count in decimal units, as file sizes are shown.
func byteSize(n int64) string {
	switch {
	case n >= 10e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%d MB", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%d kB", n/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
