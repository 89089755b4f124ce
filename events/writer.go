package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
)

// Writer writes events as JSON lines to a file (appending) or to standard
// output. Rotation is the shipper's job (logrotate, Filebeat, Vector):
// Reopen, which live calls on SIGHUP, closes the file and opens its path
// again, so the lines after a rotation go to the new file.
type Writer struct {
	mu   sync.Mutex
	path string // "" for a writer on an io.Writer (standard output)
	f    *os.File
	w    *bufio.Writer
	buf  bytes.Buffer
	enc  *json.Encoder
}

// Create opens path ("-": out, standard output), appending to it when
// appendTo is set (a live sensor restarted goes on with its file), else
// truncating it (the events of one capture file).
func Create(path string, out io.Writer, appendTo bool) (*Writer, error) {
	w := &Writer{}
	w.enc = json.NewEncoder(&w.buf)
	w.enc.SetEscapeHTML(false)
	if path == "-" {
		w.w = bufio.NewWriter(out)
		return w, nil
	}
	w.path = path
	if !appendTo {
		if err := os.Truncate(path, 0); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("events: %w", err)
		}
	}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("events: %w", err)
	}
	w.f, w.w = f, bufio.NewWriter(f)
	return nil
}

// Write writes events, one line each, and flushes them: a shipper reading
// the file sees whole lines.
func (w *Writer) Write(evs []Event) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range evs {
		w.buf.Reset()
		if err := w.enc.Encode(&evs[i]); err != nil {
			return fmt.Errorf("events: %w", err)
		}
		if _, err := w.w.Write(w.buf.Bytes()); err != nil {
			return fmt.Errorf("events: %w", err)
		}
	}
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	return nil
}

// Reopen closes the file and opens its path again (after a rotation moved
// it away); on standard output it does nothing.
func (w *Writer) Reopen() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.path == "" {
		return nil
	}
	w.w.Flush()
	old := w.f
	if err := w.open(); err != nil {
		return err // the old file stays in use
	}
	return old.Close()
}

// Close flushes and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.w.Flush()
	if w.f != nil {
		if cerr := w.f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
