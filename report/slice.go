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
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
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
func (r *Report) SliceFrames(p pipeline.Point, cfg decode.Config) ([]int, error) {
	frames, end, err := r.sliceFrames(p, 0, cfg)
	r.endMarker = end
	return frames, err
}

// sliceFrames is SliceFrames over capture k of a run over several (0: the
// only one): the frames it returns, and the end marker, are frame IDs.
func (r *Report) sliceFrames(point pipeline.Point, k int, cfg decode.Config) (frames []int, endMarker int, err error) {
	a := r.Analysis
	type flowKey struct {
		spi      uint32
		src, dst netip.AddrPort
	}
	flows := map[flowKey]*correlate.ESPFlow{}
	for _, f := range a.ESP {
		if f.Capture == k { // each capture point has its own flows
			flows[flowKey{f.SPI, f.Src, f.Dst}] = f
		}
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
	set := map[int]bool{}
	var lastFrame int // the capture's last IPsec packet
	var lastTime time.Time
	// The capture read again with the run's loop, numbered as the
	// analysis numbered it.
	err = pipeline.Scan(point, k, pipeline.Options{Decode: cfg}, func(p *decode.Packet, _ *capture.Record) error {
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
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	// The findings' evidence, which may lie outside the tunnel (the new IKE
	// SA that shows a peer lost the old one).
	for _, f := range r.Findings {
		for _, fr := range f.Frames {
			if c, _ := decode.SplitFrame(fr); c == k {
				set[fr] = true
			}
		}
	}
	// A request counts as unanswered only when the capture went on long
	// enough after it: keep the capture's last IPsec packet so that the
	// slice ends when the capture did, and is diagnosed the same way.
	if lastFrame != 0 && !set[lastFrame] && r.unsettled() {
		set[lastFrame] = true
		endMarker = lastFrame
	}
	frames = make([]int, 0, len(set))
	for f := range set {
		frames = append(frames, f)
	}
	slices.Sort(frames)
	return frames, endMarker, nil
}

// SliceName is the slice file of capture k when several captures are
// sliced: OUT.pcap → OUT-k.pcap.
func SliceName(out string, k int) string {
	ext := filepath.Ext(out)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(out, ext), k, ext)
}

// WriteSlices cuts one slice per capture of a run over several (names in
// capture order), named by SliceName, and records them in the report: a
// pcap file holds one capture's packets with that capture's clock. A
// capture without a packet of the selected tunnels gets no slice; empty
// lists those captures.
func (r *Report) WriteSlices(points []pipeline.Point, cfg decode.Config, out string) (empty []int, err error) {
	r.Slices = nil
	for i, p := range points {
		k := i + 1
		name := p.Label()
		frames, end, err := r.sliceFrames(p, k, cfg)
		if err != nil {
			return empty, fmt.Errorf("%s: %w", name, err)
		}
		if len(frames) == 0 {
			empty = append(empty, k)
			continue
		}
		s, err := writeSlice(p, k, frames, end, SliceName(out, k))
		if err != nil {
			return empty, fmt.Errorf("%s: %w", name, err)
		}
		s.Capture, s.Source = k, name
		r.Slices = append(r.Slices, s)
	}
	return empty, nil
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
func (r *Report) WriteSlice(p pipeline.Point, frames []int, out string) error {
	s, err := writeSlice(p, 0, frames, r.endMarker, out)
	if err != nil {
		return err
	}
	r.Slice = s
	return nil
}

// writeSlice writes the frames (frame IDs of capture k) of a capture
// point's files, numbered on across them as the analysis numbered them.
func writeSlice(p pipeline.Point, k int, frames []int, endMarker int, out string) (*Slice, error) {
	if len(frames) == 0 {
		return nil, errors.New("slice: no packet belongs to the selected tunnels")
	}
	want := map[int]bool{}
	for _, f := range frames {
		want[f] = true
	}
	src := capture.NewChain(p.Files, nil)
	defer src.Close()
	fh, err := os.Create(out)
	if err != nil {
		return nil, err
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
		if capture.Resumable(err) {
			continue // a bad block read past, as the analysis did
		}
		if err != nil {
			break
		}
		id := decode.FrameID(k, rec.Frame)
		if !want[id] {
			continue
		}
		if written == 0 {
			link = rec.LinkType
			werr = writePcapHeader(bw, pw, link)
		} else if rec.LinkType != link {
			werr = fmt.Errorf("slice: frame %s has link type %d, frame %s had %d: a pcap file holds one link type", decode.FrameLabel(id), rec.LinkType, decode.FrameLabel(frames[0]), link)
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
		return nil, werr
	}
	if written != len(frames) {
		return nil, fmt.Errorf("slice: wrote %d of %d packets (the capture changed?)", written, len(frames))
	}
	s := &Slice{File: out, SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n, Frames: frames}
	if endMarker != 0 && slices.Contains(frames, endMarker) {
		s.EndMarker = endMarker
	}
	return s, nil
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
