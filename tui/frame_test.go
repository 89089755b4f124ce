package tui

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/keys"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/view/packetview"
)

// oldDescribeFrames is the detail as it was made before the frame store
// (issue 17), for every frame of capture k at once: the capture was read
// again from its first frame, every frame decoded and decrypted by a fresh
// decrypter up to the one asked for, which one pass does for all frames.
// The frame store must give the same lines.
func oldDescribeFrames(name string, k int, cfg decode.Config, decrypt func(*decode.Packet, []byte)) (map[int][]string, error) {
	all := map[int][]string{}
	f, err := capture.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dec := decode.NewDecoder(cfg)
	var first *capture.Record
	for {
		rec, err := f.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return all, nil
			}
			if capture.Resumable(err) {
				continue
			}
			return nil, err
		}
		if first == nil {
			first = &capture.Record{Time: rec.Time}
		}
		p, derr := dec.Decode(rec)
		if p != nil && decrypt != nil {
			decrypt(p, rec.Data)
		}
		frame, id := rec.Frame, decode.FrameID(k, rec.Frame)
		var out []string
		if k != 0 {
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
		all[id] = append(out, hexDump(data[off:], off)...)
	}
}

// mustKeep are the frames of a capture the store keeps even when the
// capture cannot be read again: IKE, ICMP errors, and the first and last
// frame of each ESP flow (not reassembled from fragments).
func mustKeep(t *testing.T, path string) map[int]bool {
	t.Helper()
	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type flow struct {
		spi      uint32
		src, dst netip.Addr
	}
	first, last := map[flow]int{}, map[flow]int{}
	keep := map[int]bool{}
	dec := decode.NewDecoder(decode.Config{})
	for {
		rec, err := f.Next()
		if err != nil {
			break
		}
		p, _ := dec.Decode(rec)
		switch {
		case p == nil:
		case p.Kind == decode.KindIKE || p.Kind == decode.KindICMPError:
			keep[p.Frame] = true
		case p.Kind == decode.KindESP && p.Fragments == nil:
			k := flow{p.ESP.SPI, p.Src.Addr(), p.Dst.Addr()}
			if _, ok := first[k]; !ok {
				first[k] = p.Frame
			}
			last[k] = p.Frame
		}
	}
	for k, f := range first {
		keep[f], keep[last[k]] = true, true
	}
	return keep
}

// labKeys is a maker of fresh decrypters with the key files beside a
// capture, loaded once.
func labKeys(t *testing.T, path string) func() func(*decode.Packet, []byte) {
	t.Helper()
	store, _ := keys.Load(keys.Discover(path))
	if a, b, c := store.Counts(); a+b+c == 0 {
		return nil
	}
	return func() func(*decode.Packet, []byte) { return decrypt.New(store).PacketFrame }
}

// startMode starts a run on a capture as a file, as a gzip copy, or as a
// stream read once (standard input, a live capture).
func startMode(t *testing.T, mode, path string, opt pipeline.Options) *pipeline.Run {
	t.Helper()
	var r *pipeline.Run
	var err error
	switch mode {
	case "file":
		r, err = pipeline.Start(path, opt)
	case "gzip":
		gzPath := filepath.Join(t.TempDir(), "capture.pcap.gz")
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			t.Fatal(rerr)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		if err := os.WriteFile(gzPath, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err = pipeline.Start(gzPath, opt)
	case "stream":
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			t.Fatal(rerr)
		}
		src, serr := capture.NewReader(bytes.NewReader(b), "<stdin>", nil)
		if serr != nil {
			t.Fatal(serr)
		}
		r = pipeline.StartSource("-", src, opt)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	if err := r.RunToEnd(); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestFrameStoreDetail: the detail of every frame of the lab captures, read
// through the frame store from a file, a gzip copy and a stream, with and
// without the lab's keys, is what reading the capture from its start gave;
// a frame a stream does not keep says why.
func TestFrameStoreDetail(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(lab, "*", "capture.pcap"))
	more, _ := filepath.Glob("../testdata/pcaps/extra/*/capture.pcap")
	dirs = append(dirs, more...)
	if len(dirs) == 0 {
		t.Skip("no lab captures")
	}
	decrypted := map[string]int{}
	for _, path := range dirs {
		name := filepath.Base(filepath.Dir(path))
		fresh := labKeys(t, path)
		keep := mustKeep(t, path)
		for _, withKeys := range []bool{false, true} {
			if withKeys && fresh == nil {
				continue
			}
			opt := pipeline.Options{KeepFrames: true}
			if withKeys {
				opt.Decrypter = fresh
			}
			var decrypt func(*decode.Packet, []byte)
			if withKeys {
				decrypt = fresh()
			}
			wants, err := oldDescribeFrames(path, 0, decode.Config{}, decrypt)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, mode := range []string{"file", "gzip", "stream"} {
				r := startMode(t, mode, path, opt)
				n := r.Final().Input.Packets
				if n != len(wants) {
					t.Fatalf("%s %s: %d frames, want %d", name, mode, n, len(wants))
				}
				for id := 1; id <= n; id++ {
					d, err := r.Frame(id)
					if err != nil {
						if mode == "file" || keep[id] || !errors.Is(err, pipeline.ErrNotKept) {
							t.Errorf("%s %s keys=%v frame %d: %v", name, mode, withKeys, id, err)
						}
						continue
					}
					got := FrameLines(d)
					if !slices.Equal(got, wants[id]) {
						t.Errorf("%s %s keys=%v frame %d:\ngot  %q\nwant %q", name, mode, withKeys, id, got, wants[id])
						continue
					}
					for _, l := range got {
						if strings.HasPrefix(l, "  [decrypted] ") && !strings.Contains(l, "failed") {
							kind := "ESP"
							if d.Packet.IKE != nil {
								kind = fmt.Sprintf("IKEv%d", d.Packet.IKE.MajorVersion())
							}
							decrypted[mode+" "+kind]++
							break
						}
					}
				}
			}
		}
	}
	for _, mode := range []string{"file", "gzip", "stream"} {
		for _, kind := range []string{"IKEv1", "IKEv2", "ESP"} {
			if decrypted[mode+" "+kind] == 0 {
				t.Errorf("%s: no %s frame decrypted in the detail (%v)", mode, kind, decrypted)
			}
		}
	}
}

// TestFrameStoreTwoPoints: in a run over two captures, frame IDs name the
// capture, and the detail is each capture's own.
func TestFrameStoreTwoPoints(t *testing.T) {
	dir := filepath.Join(lab, "ikev2-ok-two-points")
	names := []string{filepath.Join(dir, "capture.pcap"), filepath.Join(dir, "capture-responder.pcap")}
	fresh := labKeys(t, names[0])
	r, err := pipeline.StartFiles(names, pipeline.Options{Decrypter: fresh, KeepFrames: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.RunToEnd(); err != nil {
		t.Fatal(err)
	}
	for i, in := range r.Final().Inputs {
		k := i + 1
		wants, err := oldDescribeFrames(names[i], k, decode.Config{}, fresh())
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= in.Packets; n++ {
			id := decode.FrameID(k, n)
			d, err := r.Frame(id)
			if err != nil {
				t.Fatalf("frame %s: %v", decode.FrameLabel(id), err)
			}
			if got := FrameLines(d); !slices.Equal(got, wants[id]) {
				t.Errorf("frame %s:\ngot  %q\nwant %q", decode.FrameLabel(id), got, wants[id])
			}
		}
	}
	if _, err := r.Frame(decode.FrameID(3, 1)); err == nil {
		t.Error("frame 3:1 of a run over two captures")
	}
	if _, err := r.Frame(1); err == nil {
		t.Error("frame 1 (capture 0) of a run over two captures")
	}
}
