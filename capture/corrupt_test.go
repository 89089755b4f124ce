package capture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// ngBlock writes one little-endian pcapng block.
func ngBlock(typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	l := uint32(12 + len(body))
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, l)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, l)
}

func ngFile(packets ...[]byte) ([]byte, []int64) {
	shb := append(binary.LittleEndian.AppendUint32(nil, 0x1a2b3c4d), 1, 0, 0, 0)
	shb = append(shb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	b := ngBlock(0x0a0d0d0a, shb)
	b = append(b, ngBlock(1, []byte{1, 0, 0, 0, 0, 0, 4, 0})...) // Ethernet, snaplen 262144
	var offs []int64
	for i, p := range packets {
		epb := make([]byte, 20)
		binary.LittleEndian.PutUint32(epb[8:], uint32(i))
		binary.LittleEndian.PutUint32(epb[12:], uint32(len(p)))
		binary.LittleEndian.PutUint32(epb[16:], uint32(len(p)))
		offs = append(offs, int64(len(b)))
		b = append(b, ngBlock(6, append(epb, p...))...)
	}
	return b, offs
}

// TestPcapNGCorruptBlockResync: a block whose trailing length disagrees is
// reported with its offset, the reader finds the next valid block and the
// packets after it are read.
func TestPcapNGCorruptBlockResync(t *testing.T) {
	b, offs := ngFile(bytes.Repeat([]byte{1}, 60), bytes.Repeat([]byte{2}, 60), bytes.Repeat([]byte{3}, 60))
	// Corrupt the second block's trailing length.
	trail := offs[2] - 4
	binary.LittleEndian.PutUint32(b[trail:], 0xdeadbeef)
	f, err := capture.NewReader(bytes.NewReader(b), "corrupt.pcapng", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	var errs []error
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, err)
			if !capture.Resumable(err) {
				break
			}
			continue
		}
		got = append(got, rec.Data[0])
	}
	if string(got) != "\x01\x03" {
		t.Errorf("records %v, want the first and the third", got)
	}
	if len(errs) != 1 {
		t.Fatalf("errors %v", errs)
	}
	var ce *capture.Error
	if !errors.As(errs[0], &ce) || ce.Offset != offs[1] || ce.Frame != 2 || !ce.Resumed ||
		!strings.Contains(ce.Error(), "corrupt block") || !strings.Contains(ce.Error(), "reading resumes at byte offset") {
		t.Errorf("error %v (offset want %d)", errs[0], offs[1])
	}
}

// TestPcapNGBadPacketBlockSkipped: a packet block that is whole but wrong
// inside (its captured length exceeds it) is skipped, its frame number
// used, and reading goes on.
func TestPcapNGBadPacketBlockSkipped(t *testing.T) {
	b, offs := ngFile(bytes.Repeat([]byte{1}, 60), bytes.Repeat([]byte{2}, 60), bytes.Repeat([]byte{3}, 60))
	binary.LittleEndian.PutUint32(b[offs[1]+8+12:], 5000) // caplen beyond the block
	f, err := capture.NewReader(bytes.NewReader(b), "bad.pcapng", nil)
	if err != nil {
		t.Fatal(err)
	}
	var frames []int
	var errs []error
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, err)
			if !capture.Resumable(err) {
				break
			}
			continue
		}
		frames = append(frames, rec.Frame)
	}
	if len(frames) != 2 || frames[0] != 1 || frames[1] != 3 {
		t.Errorf("frames %v, want 1 and 3", frames)
	}
	var ce *capture.Error
	if len(errs) != 1 || !errors.As(errs[0], &ce) || ce.Frame != 2 || ce.Offset != offs[1] || !strings.Contains(ce.Error(), "block skipped") {
		t.Errorf("errors %v", errs)
	}
}
