package gwlog

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// repeatReader yields its text again and again up to n bytes, so a large
// log can be streamed without being held in memory.
type repeatReader struct {
	text []byte
	off  int
	left int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := copy(p, r.text[r.off:])
	if int64(n) > r.left {
		n = int(r.left)
	}
	r.off = (r.off + n) % len(r.text)
	r.left -= int64(n)
	return n, nil
}

// BenchmarkParse streams a lab level-4 charon log, repeated.
func BenchmarkParse(b *testing.B) {
	text, err := os.ReadFile(filepath.Join(labDir, "lab", "ikev1-pfs-one-side", "charon-responder.log"))
	if err != nil {
		b.Skip(err)
	}
	const size = 16 << 20
	b.SetBytes(size)
	for b.Loop() {
		if _, err := Parse(&repeatReader{text: text, left: size}, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStreamsDumps: a long stream of hex dumps (a level-4 log's bulk) is
// withheld line by line; nothing accumulates.
func TestStreamsDumps(t *testing.T) {
	line := []byte("12:24:26 13[IKE]    0: AC 02 60 CD C7 BB BE 44 F8 0A EF AD 84 58 66 35  ..`....D.....Xf5\n")
	n := 100_000
	log, err := Parse(&repeatReader{text: line, left: int64(n * len(line))}, "dumps")
	if err != nil {
		t.Fatal(err)
	}
	if log.Lines != n || log.Withheld != n || len(log.Events) != 0 {
		t.Errorf("lines %d withheld %d events %d", log.Lines, log.Withheld, len(log.Events))
	}
	if !bytes.Contains(line, []byte("AC 02")) {
		t.Fatal("bad fixture")
	}
}
