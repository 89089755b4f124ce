package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sync"
)

// hashingReader counts what is read through it and digests it with
// SHA-256 for the reports' chain of custody. The digest runs on another
// goroutine: hashing every byte costs more than decoding them, and a second
// core is usually idle while the first reads and decodes.
type hashingReader struct {
	r    io.Reader
	n    int64
	work chan []byte
	done chan string
	pool sync.Pool
	sum  string
}

// digestQueue bounds the chunks waiting for the digest goroutine.
const digestQueue = 32

func newHashingReader(r io.Reader) *hashingReader {
	h := &hashingReader{r: r, work: make(chan []byte, digestQueue), done: make(chan string, 1)}
	go func() {
		d := sha256.New()
		for b := range h.work {
			d.Write(b)
			h.pool.Put(b[:0])
		}
		h.done <- hex.EncodeToString(d.Sum(nil))
	}()
	return h
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if n > 0 {
		h.n += int64(n)
		buf, _ := h.pool.Get().([]byte)
		h.work <- append(buf, p[:n]...)
	}
	return n, err
}

// Sum waits for the digest of everything read and returns it in hex. The
// reader must not be read after.
func (h *hashingReader) Sum() string {
	if h.work != nil {
		close(h.work)
		h.sum, h.work = <-h.done, nil
	}
	return h.sum
}
