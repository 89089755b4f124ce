package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Compression formats, recognised by their magic bytes (never by a file's
// name: rotated captures are renamed, and tools name them as they like).
const (
	CompressionGzip = "gzip" // 1f 8b
	CompressionZstd = "zstd" // 28 b5 2f fd, a Zstandard frame
	CompressionLZ4  = "lz4"  // 04 22 4d 18, an LZ4 frame (not the legacy format)
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	lz4Magic  = []byte{0x04, 0x22, 0x4d, 0x18}
)

// zstdMaxWindow bounds the history a zstd frame may ask the decoder to
// keep (and so allocate): 128 MiB, the limit the zstd tool itself decodes
// without --memory. A frame that asks for more is refused, not paged in;
// ordinary levels use 8 MiB or less.
const zstdMaxWindow = 1 << 27

// decompressor returns a reader of the decompressed stream when raw starts
// with the magic of a compression format this package reads, with the
// format's name and a func that releases the decoder (nil if none needs
// it). It returns raw itself, "" and nil for an uncompressed stream.
func decompressor(raw *bufio.Reader) (io.Reader, string, func(), error) {
	magic, _ := raw.Peek(4)
	switch {
	case bytes.HasPrefix(magic, gzipMagic):
		gz, err := gzip.NewReader(raw)
		if err != nil {
			return nil, CompressionGzip, nil, fmt.Errorf("gzip: %w", err)
		}
		return gz, CompressionGzip, nil, nil
	case bytes.Equal(magic, zstdMagic):
		// One decoder without goroutines of its own: a capture is read
		// front to back by one reader, and several files may be open at
		// once (one per capture point).
		zr, err := zstd.NewReader(raw, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return nil, CompressionZstd, nil, fmt.Errorf("zstd: %w", err)
		}
		return &guarded{r: zr, name: CompressionZstd}, CompressionZstd, zr.Close, nil
	case bytes.Equal(magic, lz4Magic):
		// The frame header is read on the first Read, so its errors come
		// from there.
		return &guarded{r: lz4.NewReader(raw), name: CompressionLZ4}, CompressionLZ4, nil, nil
	}
	return raw, "", nil, nil
}

// guarded turns a panic of a third-party decoder on hostile input into an
// error, which then stays: no input may crash the tool.
type guarded struct {
	r    io.Reader
	name string
	err  error
}

func (g *guarded) Read(p []byte) (n int, err error) {
	if g.err != nil {
		return 0, g.err
	}
	defer func() {
		if v := recover(); v != nil {
			n, err = 0, fmt.Errorf("%s decoder failed on this input: %v", g.name, v)
			g.err = err
		}
	}()
	return g.r.Read(p)
}

// decompressionErr describes a failure of the decompressor under a
// compressed file, or is nil: a stream that ends early (a file cut while
// it was written or copied) or data that does not decompress.
func (f *File) decompressionErr() error {
	err := f.counter.err
	if err == nil || f.Compression == "" {
		return nil
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the %s stream ends early (cut off?): %w", f.Compression, err)
	}
	return fmt.Errorf("%s data is corrupt: %w", f.Compression, err)
}
