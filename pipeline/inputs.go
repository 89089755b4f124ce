package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// expandArg is the capture files an argument names: itself, or for a
// directory every capture file in it (by content: pcap or pcapng, plain or
// compressed; key files and logs beside them are left), in name order.
func expandArg(arg string) ([]string, error) {
	st, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{arg}, nil
	}
	ents, err := os.ReadDir(arg)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range ents {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(arg, e.Name())
		if isCapture(p) {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no pcap or pcapng capture in this directory", arg)
	}
	sort.Strings(files)
	return files, nil
}

// expandPattern is the capture files of a --point: a file, a directory or
// a glob pattern (quoted from the shell, or written after NAME= where the
// shell does not expand it).
func expandPattern(pattern string) ([]string, error) {
	if _, err := os.Stat(pattern); err == nil {
		return expandArg(pattern)
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	var files []string
	for _, m := range matches {
		fs, err := expandArg(m)
		if err != nil {
			return nil, err
		}
		files = append(files, fs...)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no such file", pattern)
	}
	return files, nil
}

// isCapture reports whether a file opens as a capture.
func isCapture(path string) bool {
	f, err := capture.Open(path)
	if err != nil {
		return !errors.Is(err, capture.ErrNotCapture) && !isHeaderError(err)
	}
	f.Close()
	return true
}

// isHeaderError is a file too short or malformed to be a capture at all.
func isHeaderError(err error) bool {
	var ce *capture.Error
	return errors.As(err, &ce) && ce.Frame == 0
}

// SpanReader returns what PlanPoints needs of a file: its time range and
// the signatures of the IPsec packets at its start (packetSignatures), read
// with the run's decoder configuration.
func SpanReader(cfg decode.Config) func(string) FileSpan {
	return func(path string) FileSpan {
		si, err := capture.Span(path)
		if err != nil {
			return FileSpan{Name: path}
		}
		return FileSpan{Name: path, First: si.First, Last: si.Last, Records: !si.Empty, Known: true,
			Heads: packetSignatures(path, cfg)}
	}
}

// headPackets is how many IPsec packets at the start of a file are
// compared with other files': enough to see that two files hold the same
// traffic, few enough to read at once.
const headPackets = 256

// ikeSignedBytes is how much of an IKE message its signature covers: the
// header and the start of the first payload, what a 96-byte snaplen keeps.
const ikeSignedBytes = 48

// packetSignatures names the first IPsec packets of a file by what stays
// the same at every capture point (NAT changes addresses and ports, a
// short snaplen cuts the end): an ESP packet by its SPI and sequence
// number, an IKE message by its header. Two captures of the same traffic
// share most; two pieces of one capture share none but a retransmission.
func packetSignatures(path string, cfg decode.Config) map[uint64][]time.Time {
	f, err := capture.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	dec := decode.NewDecoder(cfg)
	sigs := map[uint64][]time.Time{}
	for records, n := 0, 0; n < headPackets && records < 64*headPackets; records++ {
		rec, err := f.Next()
		if err != nil {
			if capture.Resumable(err) {
				continue
			}
			break
		}
		p, _ := dec.Decode(rec)
		if p == nil {
			continue
		}
		var sig uint64
		switch {
		case p.Kind == decode.KindESP && !p.ESP.NoSeq:
			sig = 1<<63 | uint64(p.ESP.SPI)<<32 | uint64(p.ESP.Seq)
		case p.Kind == decode.KindIKE && p.IKE != nil:
			// The header, and the start of the body: MM3 and MM4 have the
			// same header, not the same KE. Short, for a small snaplen.
			hd := p.IKE.Header
			b := append(append(make([]byte, 0, 32+ikeSignedBytes), hd.InitiatorSPI[:]...), hd.ResponderSPI[:]...)
			for _, v := range [...]uint32{hd.MessageID, hd.Length, uint32(hd.Exchange), uint32(hd.Flags)} {
				b = binary.BigEndian.AppendUint32(b, v)
			}
			if off := p.PayloadOffset; off >= 0 && off < len(rec.Data) {
				b = append(b, rec.Data[off:min(len(rec.Data), off+ikeSignedBytes)]...)
			}
			h := fnv.New64a()
			h.Write(b)
			sig = h.Sum64() &^ (1 << 63)
		default:
			continue
		}
		sigs[sig] = append(sigs[sig], rec.Time)
		n++
	}
	return sigs
}

// fileSize is a file's size, 0 when unknown.
func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// isDir reports whether a path is a directory.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
