package report

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// SliceFrames re-reads the capture and returns, in order, the frames that
// belong to the report's tunnels: their IKE messages (by SPIs, with the IP
// fragments they arrived in), the packets of their ESP flows (by SPI and
// addresses, within the flow's frames), the ICMP errors about either and the
// findings' evidence frames, and the capture's last IPsec packet when the
// diagnosis of the tunnels depends on how long the capture went on.
func (r *Report) SliceFrames(path string, cfg decode.Config) ([]int, error) {
	a := r.Analysis
	type flowKey struct {
		spi      uint32
		src, dst netip.AddrPort
	}
	flows := map[flowKey]*correlate.ESPFlow{}
	for _, f := range a.ESP {
		flows[flowKey{f.SPI, f.Src, f.Dst}] = f
	}
	icmp := map[int]bool{}
	for _, sa := range a.IKESAs {
		for _, e := range sa.ICMPErrors {
			icmp[e.Frame] = true
		}
	}
	ikeMatch := func(p *decode.Packet) bool {
		if p == nil || p.IKE == nil {
			return false
		}
		for _, sa := range a.IKESAs {
			if p.IKE.InitiatorSPI == sa.InitiatorSPI && (p.IKE.ResponderSPI.IsZero() || sa.ResponderSPI.IsZero() || p.IKE.ResponderSPI == sa.ResponderSPI) {
				return true
			}
		}
		return false
	}
	espMatch := func(p *decode.Packet) bool {
		if p == nil || p.Kind != decode.KindESP {
			return false
		}
		f := flows[flowKey{p.ESP.SPI, p.Src, p.Dst}]
		return f != nil && p.Frame >= f.FirstFrame && p.Frame <= f.LastFrame
	}
	src, err := capture.Open(path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dec := decode.NewDecoder(cfg)
	set := map[int]bool{}
	var lastFrame int // the capture's last IPsec packet
	var lastTime time.Time
	for {
		rec, err := src.Next()
		if err != nil {
			break // the end, or where the file broke off as in the analysis
		}
		p, err := dec.Decode(rec)
		if err != nil || p == nil {
			continue
		}
		if lastFrame == 0 || p.Time.After(lastTime) {
			lastFrame, lastTime = p.Frame, p.Time
		}
		keep := false
		switch p.Kind {
		case decode.KindIKE:
			keep = ikeMatch(p)
		case decode.KindESP:
			keep = espMatch(p)
		case decode.KindICMPError:
			keep = icmp[p.Frame] || p.ICMP != nil && (ikeMatch(p.ICMP.Quoted) || espMatch(quotedAt(p)))
		}
		if keep {
			set[p.Frame] = true
			for _, f := range p.Fragments {
				set[f] = true
			}
		}
	}
	// The findings' evidence, which may lie outside the tunnel (the new IKE
	// SA that shows a peer lost the old one).
	for _, f := range r.Findings {
		for _, fr := range f.Frames {
			set[fr] = true
		}
	}
	// A request counts as unanswered only when the capture went on long
	// enough after it: keep the capture's last IPsec packet so that the
	// slice ends when the capture did, and is diagnosed the same way.
	r.endMarker = 0
	if lastFrame != 0 && !set[lastFrame] && r.unsettled() {
		set[lastFrame] = true
		r.endMarker = lastFrame
	}
	frames := make([]int, 0, len(set))
	for f := range set {
		frames = append(frames, f)
	}
	slices.Sort(frames)
	return frames, nil
}

// quotedAt is the ESP packet quoted by an ICMP error, numbered as the error's
// frame so that the flow's frame range applies.
func quotedAt(p *decode.Packet) *decode.Packet {
	if p.ICMP == nil || p.ICMP.Quoted == nil {
		return nil
	}
	q := *p.ICMP.Quoted
	q.Frame = p.Frame
	return &q
}

// WriteSlice writes the given frames of a capture to out as a classic pcap
// file with nanosecond timestamps (the original times, exactly) and the
// original link type, and records the slice in the report.
func (r *Report) WriteSlice(path string, frames []int, out string) error {
	if len(frames) == 0 {
		return errors.New("slice: no packet belongs to the selected tunnels")
	}
	want := map[int]bool{}
	for _, f := range frames {
		want[f] = true
	}
	src, err := capture.Open(path)
	if err != nil {
		return err
	}
	defer src.Close()
	fh, err := os.Create(out)
	if err != nil {
		return err
	}
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(fh, h)}
	bw := bufio.NewWriter(cw)
	pw := pcapgo.NewWriterNanos(bw)
	var link capture.LinkType
	written := 0
	var werr error
	for werr == nil {
		rec, err := src.Next()
		if err != nil {
			break
		}
		if !want[rec.Frame] {
			continue
		}
		if written == 0 {
			link = rec.LinkType
			werr = writePcapHeader(bw, pw, link)
		} else if rec.LinkType != link {
			werr = fmt.Errorf("slice: frame %d has link type %d, frame %d had %d: a pcap file holds one link type", rec.Frame, rec.LinkType, frames[0], link)
			break
		}
		if werr == nil {
			ci := gopacket.CaptureInfo{Timestamp: rec.Time, CaptureLength: len(rec.Data), Length: max(rec.OrigLen, len(rec.Data))}
			werr = pw.WritePacket(ci, rec.Data)
			written++
		}
	}
	if err := bw.Flush(); werr == nil {
		werr = err
	}
	if err := fh.Close(); werr == nil {
		werr = err
	}
	if werr != nil {
		return werr
	}
	if written != len(frames) {
		return fmt.Errorf("slice: wrote %d of %d packets (the capture changed?)", written, len(frames))
	}
	r.Slice = &Slice{File: out, SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n, Frames: frames}
	if slices.Contains(frames, r.endMarker) {
		r.Slice.EndMarker = r.endMarker
	}
	return nil
}

// writePcapHeader writes the file header; pcapgo's takes a one-byte link
// type, so larger ones (SLL2 is 276) are written here the same way.
func writePcapHeader(w io.Writer, pw *pcapgo.Writer, link capture.LinkType) error {
	const snaplen = 262144
	if link <= 255 {
		return pw.WriteFileHeader(snaplen, layers.LinkType(link))
	}
	var buf [24]byte
	binary.LittleEndian.PutUint32(buf[0:4], 0xa1b23c4d) // nanosecond pcap
	binary.LittleEndian.PutUint16(buf[4:6], 2)
	binary.LittleEndian.PutUint16(buf[6:8], 4)
	binary.LittleEndian.PutUint32(buf[16:20], snaplen)
	binary.LittleEndian.PutUint32(buf[20:24], uint32(link))
	_, err := w.Write(buf[:])
	return err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// unsettled reports whether the diagnosis of the report's tunnels depends on
// the end of the capture: a failed or incomplete IKE or child SA.
func (r *Report) unsettled() bool {
	for _, sa := range r.Analysis.IKESAs {
		if sa.State == correlate.StateFailed || sa.State == correlate.StateIncomplete {
			return true
		}
		for _, ch := range sa.Children {
			if ch.State == correlate.StateFailed || ch.State == correlate.StateIncomplete {
				return true
			}
		}
	}
	return false
}
