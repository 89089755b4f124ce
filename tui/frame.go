package tui

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/view/packetview"
)

// frameMsg carries the decoded payload tree and hex dump of one frame.
type frameMsg struct {
	frame int
	lines []string
}

// maxDumpBytes bounds the hex dump in the detail view.
const maxDumpBytes = 1024

// loadFrame reads a frame again through the run's frame store and
// describes it: the payload tree as `decode -v` prints it, then a hex dump
// of the IKE message or ESP packet. frame is a frame ID (decode.FrameID).
func loadFrame(run *pipeline.Run, frame int) tea.Cmd {
	return func() tea.Msg {
		d, err := run.Frame(frame)
		var lines []string
		if err != nil {
			lines = []string{err.Error()}
		} else {
			lines = FrameLines(d)
		}
		return frameMsg{frame: frame, lines: lines}
	}
}

// FrameLines are the detail view's lines for a frame read again: which
// capture (in a run over several), the packet as `decode -v` prints it
// with what decryption revealed, and the bytes.
func FrameLines(d *pipeline.FrameDetail) []string {
	k, frame := decode.SplitFrame(d.ID)
	var out []string
	if k != 0 {
		// Times in the tree are from this capture's first frame.
		out = append(out, fmt.Sprintf("Capture %d: %s, frame %d (times from its first frame)", k, filepath.Base(d.Name), frame))
	}
	if d.DecodeErr != nil {
		out = append(out, "decode: "+d.DecodeErr.Error())
	}
	p := d.Packet
	if p != nil && k != 0 {
		// The tree numbers frames in their capture, as the first line says.
		c := *p
		c.Frame, c.Fragments = frame, nil
		for _, f := range p.Fragments {
			_, n := decode.SplitFrame(f)
			c.Fragments = append(c.Fragments, n)
		}
		p = &c
	}
	if p != nil {
		line := strings.TrimSpace(packetview.Line(p, d.T0))
		if k != 0 {
			line = decode.FrameLabel(d.ID) + strings.TrimPrefix(line, strconv.Itoa(frame))
		}
		out = append(out, "Decoded: "+line)
		var b bytes.Buffer
		packetview.WriteTree(&b, packetview.Describe(p, d.T0), "  ")
		out = append(out, strings.Split(strings.TrimRight(b.String(), "\n"), "\n")...)
		if dc := p.Decrypted; dc != nil {
			if !dc.OK {
				out = append(out, "  [decrypted] failed: "+dc.Reason)
			}
			for _, pl := range dc.Payloads {
				out = append(out, fmt.Sprintf("  [decrypted] %s  length %d", pl.Type, pl.Length))
			}
			if dc.Inner != nil {
				l := fmt.Sprintf("  [decrypted] inner %s → %s protocol %d", dc.Inner.Src, dc.Inner.Dst, dc.Inner.Protocol)
				if c := dc.Inner.IPComp; c != nil {
					l += " " + packetview.IPCompText(c, dc.Inner.Length)
				}
				out = append(out, l)
			}
		}
	}
	data, off := d.Record.Data, 0
	label := "frame"
	if p != nil && p.PayloadOffset >= 0 && p.PayloadOffset < len(data) {
		off, label = p.PayloadOffset, "IKE message / ESP packet, from frame offset"
	}
	out = append(out, "", fmt.Sprintf("Bytes (%s %d, %d bytes)", label, off, len(data)-off))
	return append(out, hexDump(data[off:], off)...)
}

// hexDump is the classic 16 bytes a line with offsets and ASCII.
func hexDump(b []byte, base int) []string {
	var out []string
	n := min(len(b), maxDumpBytes)
	for i := 0; i < n; i += 16 {
		end := min(i+16, n)
		var hx, as strings.Builder
		for j := i; j < i+16; j++ {
			if j < end {
				fmt.Fprintf(&hx, "%02x ", b[j])
				c := b[j]
				if c < 32 || c > 126 {
					c = '.'
				}
				as.WriteByte(c)
			} else {
				hx.WriteString("   ")
			}
			if j == i+7 {
				hx.WriteByte(' ')
			}
		}
		out = append(out, fmt.Sprintf("  %04x  %s %s", base+i, hx.String(), as.String()))
	}
	if len(b) > n {
		out = append(out, fmt.Sprintf("  … %d more bytes", len(b)-n))
	}
	return out
}
