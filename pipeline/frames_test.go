package pipeline

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// ipv4 is an Ethernet frame of an IPv4 datagram (or a fragment of one:
// off in bytes, more fragments to follow) from 198.18.0.1 to 198.19.0.1.
func ipv4(proto byte, id uint16, off int, more bool, payload []byte) []byte {
	fr := make([]byte, 14+20, 14+20+len(payload))
	fr[12] = 0x08
	ip := fr[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	binary.BigEndian.PutUint16(ip[4:], id)
	ff := uint16(off / 8)
	if more {
		ff |= 0x2000
	}
	binary.BigEndian.PutUint16(ip[6:], ff)
	ip[8], ip[9] = 64, proto
	copy(ip[12:], []byte{198, 18, 0, 1, 198, 19, 0, 1})
	return append(fr, payload...)
}

// udp500 is a UDP datagram from and to port 500 (port 4500 with natt).
func udp500(payload []byte, natt bool) []byte {
	port := uint16(500)
	if natt {
		port = 4500
	}
	u := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(u[0:], port)
	binary.BigEndian.PutUint16(u[2:], port)
	binary.BigEndian.PutUint16(u[4:], uint16(8+len(payload)))
	return append(u, payload...)
}

// ikeMessage is an IKEv2 IKE_SA_INIT request with a Nonce of n bytes.
func ikeMessage(spi byte, msgID uint32, n int) []byte {
	m := make([]byte, 28+4+n)
	m[7] = spi
	m[16], m[17], m[18], m[19] = 40, 0x20, 34, 0x08 // Nonce, v2.0, IKE_SA_INIT, initiator
	binary.BigEndian.PutUint32(m[20:], msgID)
	binary.BigEndian.PutUint32(m[24:], uint32(len(m)))
	binary.BigEndian.PutUint16(m[30:], uint16(4+n))
	for i := range n {
		m[32+i] = byte(i)
	}
	return m
}

// espPacket is an ESP header and 40 bytes on an SPI.
func espPacket(spi, seq uint32) []byte {
	b := make([]byte, 8+40)
	binary.BigEndian.PutUint32(b[0:], spi)
	binary.BigEndian.PutUint32(b[4:], seq)
	return b
}

// writeFrames writes Ethernet frames as a pcap, frame i at first + i·gap.
func writeFrames(t testing.TB, w io.Writer, frames [][]byte, first int, gap time.Duration) {
	t.Helper()
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i, fr := range frames {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(first+i) * gap), CaptureLength: len(fr), Length: len(fr)}
		if err := pw.WritePacket(ci, fr); err != nil {
			t.Fatal(err)
		}
	}
}

// fragmentedCapture: IP fragments of an IKE message and of an ESP packet,
// with whole ESP packets between them.
func fragmentedCapture(t *testing.T) []byte {
	ike := udp500(ikeMessage(1, 0, 2000), false)
	esp := make([]byte, 1600)
	binary.BigEndian.PutUint32(esp, 0xc0000002)
	binary.BigEndian.PutUint32(esp[4:], 1)
	frames := [][]byte{
		ipv4(50, 1, 0, false, espPacket(0xc0000001, 1)),
		ipv4(17, 7, 0, true, ike[:800]),
		ipv4(50, 2, 0, false, espPacket(0xc0000001, 2)),
		ipv4(17, 7, 800, true, ike[800:1600]),
		ipv4(50, 3, 0, false, espPacket(0xc0000001, 3)),
		ipv4(17, 7, 1600, false, ike[1600:]), // 6: the IKE message, from 2, 4, 6
		ipv4(50, 8, 0, true, esp[:1000]),
		ipv4(50, 4, 0, false, espPacket(0xc0000001, 4)),
		ipv4(50, 8, 1000, false, esp[1000:]), // 9: ESP, from 7 and 9
		ipv4(17, 9, 0, false, udp500(ikeMessage(2, 0, 100), false)),
	}
	var buf bytes.Buffer
	writeFrames(t, &buf, frames, 0, time.Millisecond)
	return buf.Bytes()
}

// runMode runs a capture as a file or as a stream read once.
func runMode(t *testing.T, stream bool, b []byte) *Run {
	t.Helper()
	var r *Run
	if stream {
		src, err := capture.NewReader(bytes.NewReader(b), "<stdin>", nil)
		if err != nil {
			t.Fatal(err)
		}
		r = StartSource("-", src, Options{KeepFrames: true})
	} else {
		path := filepath.Join(t.TempDir(), "x.pcap")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var err error
		if r, err = Start(path, Options{KeepFrames: true}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(r.Close)
	if err := r.RunToEnd(); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestFrameStoreFragments: a datagram reassembled from IP fragments is
// shown whole from its last frame, in a file (whose checkpoints, here one
// per record, lie between its fragments) and in a stream (whose fragments'
// bytes were kept); a reassembled ESP packet of a stream is not kept.
func TestFrameStoreFragments(t *testing.T) {
	defer func(v int64) { checkpointEvery = v }(checkpointEvery)
	checkpointEvery = 1
	b := fragmentedCapture(t)
	for _, stream := range []bool{false, true} {
		r := runMode(t, stream, b)
		d, err := r.Frame(6)
		if err != nil {
			t.Fatalf("stream %v: %v", stream, err)
		}
		if p := d.Packet; p == nil || p.Kind != decode.KindIKE || !slices.Equal(p.Fragments, []int{2, 4, 6}) || p.IKE.Length != 28+4+2000 {
			t.Errorf("stream %v: frame 6: %+v", stream, p)
		}
		d, err = r.Frame(9)
		if stream {
			if !errors.Is(err, ErrNotKept) {
				t.Errorf("stream: reassembled ESP: %v", err)
			}
		} else if err != nil || d.Packet == nil || d.Packet.Kind != decode.KindESP || !slices.Equal(d.Packet.Fragments, []int{7, 9}) {
			t.Errorf("file: frame 9: %v %+v", err, d)
		}
		// A middle fragment holds no packet by itself.
		if d, err := r.Frame(4); !stream && (err != nil || d.Packet != nil || len(d.Record.Data) != 14+20+800) {
			t.Errorf("file: frame 4: %v %+v", err, d)
		}
		for id, seq := range map[int]uint32{1: 1, 3: 2, 5: 3, 8: 4} {
			d, err := r.Frame(id)
			if stream && (id == 3 || id == 5) {
				// Neither the first nor the last of its flow.
				if !errors.Is(err, ErrNotKept) || !strings.Contains(err.Error(), "first and last frame of each ESP flow") {
					t.Errorf("stream: frame %d: %v", id, err)
				}
				continue
			}
			if err != nil || d.Packet == nil || d.Packet.ESP.Seq != seq || d.Packet.Frame != id {
				t.Errorf("stream %v: frame %d: %v %+v", stream, id, err, d)
			}
		}
		if d, err := r.Frame(10); err != nil || d.Packet == nil || d.Packet.IKE.InitiatorSPI[7] != 2 {
			t.Errorf("stream %v: frame 10: %v %+v", stream, err, d)
		}
		if _, err := r.Frame(11); err == nil {
			t.Errorf("stream %v: frame 11 of 10", stream)
		}
	}
}

// TestFrameStoreCheckpoints: any ESP frame of a file is found from the
// checkpoint before it, also once the checkpoints were thinned out.
func TestFrameStoreCheckpoints(t *testing.T) {
	defer func(v int64) { checkpointEvery = v }(checkpointEvery)
	path := espCapture(t, 20_000)
	for _, every := range []int64{1 << 20, 1} {
		checkpointEvery = every
		r, err := Start(path, Options{KeepFrames: true})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := r.RunToEnd(); err != nil {
			t.Fatal(err)
		}
		fs := r.frames.srcs[0]
		if n := len(fs.cps); n < 2 || n > maxCheckpoints || len(r.frames.entries) != 0 {
			t.Errorf("every %d: %d checkpoints, %d entries", every, n, len(r.frames.entries))
		}
		if every == 1 && fs.every == 1 {
			t.Error("20000 checkpoints were not thinned")
		}
		for _, id := range []int{1, 2, 4097, 9999, 10_000, 19_999, 20_000} {
			d, err := r.Frame(id)
			if err != nil {
				t.Fatalf("every %d: frame %d: %v", every, id, err)
			}
			i := id - 1
			if p := d.Packet; p == nil || p.Frame != id || p.ESP.SPI != 0xc0000001+uint32(i%2) || p.ESP.Seq != uint32(i/2+1) {
				t.Errorf("every %d: frame %d: %+v", every, id, d.Packet)
			}
		}
	}
}

// TestFrameStoreIKEFlood: a flood of IKE frames fills the store up to its
// bound and no further, from a stream (whose bytes it holds) and from a
// file (whose entries it keeps); the detail of a frame after says why it is
// not there.
func TestFrameStoreIKEFlood(t *testing.T) {
	for _, stream := range []bool{true, false} {
		size, n := 8000, 3*maxStoreBytes/8000 // a stream: three times the bound in bytes
		if !stream {
			size, n = 60, 3*maxStoreBytes/entryCost // a file: three times the bound in entries
		}
		pr, pw := io.Pipe()
		go func() {
			frames := make([][]byte, 0, 1024)
			var buf bytes.Buffer
			for i := range n {
				frames = append(frames, ipv4(17, uint16(i), 0, false, udp500(ikeMessage(byte(i), uint32(i), size), false)))
				if len(frames) == cap(frames) || i == n-1 {
					// A second apart: the correlator's reorder window
					// holds few messages at a time.
					writeFrames(t, &buf, frames, i+1-len(frames), time.Second)
					b := buf.Bytes()
					if buf.Len() > 24 && i >= len(frames) {
						b = b[24:] // one file header
					}
					pw.Write(b)
					buf.Reset()
					frames = frames[:0]
				}
			}
			pw.Close()
		}()
		var r *Run
		if stream {
			src, err := capture.NewReader(pr, "<stdin>", nil)
			if err != nil {
				t.Fatal(err)
			}
			r = StartSource("-", src, Options{KeepFrames: true})
		} else {
			path := filepath.Join(t.TempDir(), "flood.pcap")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(f, pr)
			f.Close()
			if r, err = Start(path, Options{NoDigest: true, KeepFrames: true}); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.RunToEnd(); err != nil {
			t.Fatal(err)
		}
		st := r.frames
		held := 0
		for _, e := range st.entries {
			for _, h := range e.held {
				held += cap(h.data)
			}
		}
		if st.size > maxStoreBytes || held+len(st.entries)*entryCost > maxStoreBytes || st.lost == 0 || len(st.entries)+st.lost != n {
			t.Errorf("stream %v: %d entries, %d held bytes, size %d (bound %d), %d lost of %d", stream, len(st.entries), held, st.size, maxStoreBytes, st.lost, n)
		}
		if d, err := r.Frame(1); err != nil || d.Packet == nil || d.Packet.Kind != decode.KindIKE {
			t.Errorf("stream %v: frame 1: %v", stream, err)
		}
		_, err := r.Frame(n)
		if stream && (!errors.Is(err, ErrNotKept) || !strings.Contains(err.Error(), "the store was full")) {
			t.Errorf("stream: the last frame: %v", err)
		}
		if !stream && err != nil {
			t.Errorf("file: the last frame, from a checkpoint: %v", err)
		}
		r.Close()
	}
}

// TestFrameWhileStepping: Frame may be called while another goroutine
// steps the run (go test -race).
func TestFrameWhileStepping(t *testing.T) {
	for _, stream := range []bool{false, true} {
		b, err := os.ReadFile("../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap")
		if err != nil {
			t.Fatal(err)
		}
		var r *Run
		if stream {
			src, err := capture.NewReader(bytes.NewReader(b), "<stdin>", nil)
			if err != nil {
				t.Fatal(err)
			}
			r = StartSource("-", src, Options{KeepFrames: true})
		} else if r, err = Start("../testdata/pcaps/lab/ikev2-life-rekeys/capture.pcap", Options{KeepFrames: true}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				if done, _ := r.Step(1); done {
					return
				}
			}
		})
		for range 200 {
			if d, err := r.Frame(1); err == nil && d.Packet == nil {
				t.Error("frame 1 holds no packet")
			}
		}
		wg.Wait()
		r.Close()
	}
}
