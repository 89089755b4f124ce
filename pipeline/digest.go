package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
)

// hashingReader counts what is read through it and digests it with
// SHA-256 for the reports' chain of custody. The digest runs on another
// goroutine: hashing every byte costs more than decoding them, and a second
// core is usually idle while the first reads and decodes.
type hashingReader struct {
	r    io.Reader
	n    int64
	work chan []byte // chunks read, to digest
	free chan []byte // chunks digested, to reuse
	bufs int         // chunk buffers made so far
	done chan string
	sum  string
}

// digestBuffers bounds the chunks read and not yet digested. A fixed set
// of buffers, reused, keeps memory flat and the copies into them cheap
// (they stay in cache); more would only let reading run further ahead of a
// digest that is the slower of the two anyway.
const digestBuffers = 6

// digestChunk is the size chunk buffers are made with: what one read
// through the capture reader's buffer brings at most.
const digestChunk = 512 << 10

// newHashingReader reads from r; without digest it only counts (Sum is
// then empty).
func newHashingReader(r io.Reader, digest bool) *hashingReader {
	h := &hashingReader{r: r}
	if !digest {
		return h
	}
	h.work, h.free, h.done = make(chan []byte, digestBuffers), make(chan []byte, digestBuffers), make(chan string, 1)
	go func() {
		d := sha256.New()
		for b := range h.work {
			d.Write(b)
			h.free <- b[:0]
		}
		h.done <- hex.EncodeToString(d.Sum(nil))
	}()
	return h
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += int64(n)
	if n > 0 && h.work != nil {
		var buf []byte
		select {
		case buf = <-h.free:
		default:
			if h.bufs < digestBuffers {
				h.bufs++
				buf = make([]byte, 0, max(n, digestChunk))
			} else {
				buf = <-h.free
			}
		}
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
