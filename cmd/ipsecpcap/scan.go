package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// maxReportedProblems bounds the per-file problem lines on stderr; the rest
// are counted.
const maxReportedProblems = 50

// scanResult is what reading one capture produced besides its packets.
type scanResult struct {
	stats   decode.Stats
	pending int
	t0      time.Time
	size    int64
	sha256  string
	readErr error
}

// scan reads a capture and hands every IPsec packet to fn, reporting
// malformations on stderr with file, frame and byte offset. It returns an
// error only when the file cannot be read at all; a file that breaks off
// midway is read up to the break, which is returned in readErr.
func scan(name string, cfg decode.Config, stderr io.Writer, fn func(p *decode.Packet, t0 time.Time) error) (scanResult, error) {
	var res scanResult
	var raw io.Reader
	var closer io.Closer
	if name == "-" {
		raw = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return res, err
		}
		raw, closer = f, f
	}
	// The digest and size of the bytes as they are on disk, for reports'
	// chain of custody.
	h := &hashingReader{r: raw, h: sha256.New()}
	label := name
	if name == "-" {
		label = "<stdin>"
	}
	src, err := capture.NewReader(h, label, closer)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return res, err
	}
	defer src.Close()
	dec := decode.NewDecoder(cfg)
	reported, suppressed := 0, 0
	report := func(format string, args ...any) {
		if reported < maxReportedProblems {
			fmt.Fprintf(stderr, format+"\n", args...)
			reported++
		} else {
			suppressed++
		}
	}
	for {
		rec, err := src.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				res.readErr = err
			}
			break
		}
		if rec.Frame == 1 {
			res.t0 = rec.Time
		}
		p, err := dec.Decode(rec)
		if err != nil {
			report("%s: frame %d, %v", label, rec.Frame, err)
			continue
		}
		if p == nil {
			continue
		}
		for _, pr := range p.Problems {
			where := "byte offset"
			if pr.InReassembled {
				where = "reassembled datagram offset"
			}
			report("%s: frame %d, %s %d: %s", label, p.Frame, where, pr.Offset, pr.Reason)
		}
		if err := fn(p, res.t0); err != nil {
			return res, err
		}
	}
	if suppressed > 0 {
		fmt.Fprintf(stderr, "%s: %d more problems not shown\n", label, suppressed)
	}
	io.Copy(io.Discard, h) // the rest of the file, for the digest
	res.stats, res.pending = dec.Stats(), dec.PendingFragments()
	res.size, res.sha256 = h.n, hex.EncodeToString(h.h.Sum(nil))
	return res, nil
}

// hashingReader digests and counts what is read through it.
type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (r *hashingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	return n, err
}

func (r scanResult) summary() string {
	st := r.stats
	s := fmt.Sprintf("%d frames: %d IKE, %d ESP, %d NAT-keepalive, %d ICMP errors quoting IPsec, %d not IPsec, %d unreadable",
		st.Frames, st.IKE, st.ESP, st.NATKeepalives, st.ICMPErrors, st.NotIPsec, st.LinkErrors)
	if st.Fragments > 0 {
		s += fmt.Sprintf("; %d IP fragments, %d datagrams reassembled, %d incomplete", st.Fragments, st.Reassembled, r.pending)
	}
	return s
}
