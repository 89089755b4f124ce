package tui

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/view/packetview"
)

// frameMsg carries the decoded payload tree and hex dump of one frame.
type frameMsg struct {
	frame int
	lines []string
}

// maxDumpBytes bounds the hex dump in the detail view.
const maxDumpBytes = 1024

// loadFrame reads the capture again up to a frame (earlier frames are
// decoded too, for IP reassembly) and describes it: the payload tree as
// `decode -v` prints it, then a hex dump of the IKE message or ESP packet.
// frame is a frame ID (decode.FrameID): name is the file of its capture.
func loadFrame(name string, cfg decode.Config, newDecrypt func() func(*decode.Packet, []byte), frame int) tea.Cmd {
	return func() tea.Msg {
		var decrypt func(*decode.Packet, []byte)
		if newDecrypt != nil {
			decrypt = newDecrypt()
		}
		lines, err := describeFrame(name, cfg, decrypt, frame)
		if err != nil {
			lines = append(lines, fmt.Sprintf("frame %s: %v", decode.FrameLabel(frame), err))
		}
		return frameMsg{frame: frame, lines: lines}
	}
}

func describeFrame(name string, cfg decode.Config, decrypt func(*decode.Packet, []byte), id int) ([]string, error) {
	k, frame := decode.SplitFrame(id)
	if name == "-" || name == "" {
		return nil, errors.New("standard input or a live capture without -w cannot be read again")
	}
	f, err := capture.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := decode.NewDecoder(cfg)
	var t0 bool
	var first *capture.Record
	for {
		rec, err := f.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, errors.New("not found in the capture")
			}
			if capture.Resumable(err) {
				continue
			}
			return nil, err
		}
		if !t0 {
			t0, first = true, &capture.Record{Time: rec.Time}
		}
		p, derr := dec.Decode(rec)
		if p != nil && decrypt != nil {
			decrypt(p, rec.Data)
		}
		if rec.Frame != frame {
			continue
		}
		var out []string
		if k != 0 {
			// Times in the tree are from this capture's first frame.
			out = append(out, fmt.Sprintf("Capture %d: %s, frame %d (times from its first frame)", k, filepath.Base(name), frame))
		}
		if derr != nil {
			out = append(out, "decode: "+derr.Error())
		}
		if p != nil {
			line := strings.TrimSpace(packetview.Line(p, first.Time))
			if k != 0 {
				line = decode.FrameLabel(id) + strings.TrimPrefix(line, strconv.Itoa(frame))
			}
			out = append(out, "Decoded: "+line)
			var b bytes.Buffer
			packetview.WriteTree(&b, packetview.Describe(p, first.Time), "  ")
			out = append(out, strings.Split(strings.TrimRight(b.String(), "\n"), "\n")...)
			if d := p.Decrypted; d != nil {
				if !d.OK {
					out = append(out, "  [decrypted] failed: "+d.Reason)
				}
				for _, pl := range d.Payloads {
					out = append(out, fmt.Sprintf("  [decrypted] %s  length %d", pl.Type, pl.Length))
				}
				if d.Inner != nil {
					l := fmt.Sprintf("  [decrypted] inner %s → %s protocol %d", d.Inner.Src, d.Inner.Dst, d.Inner.Protocol)
					if c := d.Inner.IPComp; c != nil {
						l += " " + packetview.IPCompText(c, d.Inner.Length)
					}
					out = append(out, l)
				}
			}
		}
		data, off := rec.Data, 0
		label := "frame"
		if p != nil && p.PayloadOffset >= 0 && p.PayloadOffset < len(data) {
			off, label = p.PayloadOffset, "IKE message / ESP packet, from frame offset"
		}
		out = append(out, "", fmt.Sprintf("Bytes (%s %d, %d bytes)", label, off, len(data)-off))
		out = append(out, hexDump(data[off:], off)...)
		return out, nil
	}
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
