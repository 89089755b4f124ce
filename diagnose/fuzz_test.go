package diagnose_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/diagnose"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// packCapture turns a capture into the fuzz input form: each frame as a
// 2-byte length and its bytes, plus a 1-byte time step per frame.
func packCapture(path string) ([]byte, bool) {
	f, err := capture.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	var b bytes.Buffer
	for {
		rec, err := f.Next()
		if err != nil {
			break
		}
		if rec.LinkType != capture.LinkTypeEthernet || len(rec.Data) > 0xffff {
			return nil, false
		}
		b.WriteByte(1)
		b.Write(binary.BigEndian.AppendUint16(nil, uint16(len(rec.Data))))
		b.Write(rec.Data)
	}
	return b.Bytes(), b.Len() > 0
}

// FuzzAnalyze runs the whole pipeline — decoder, correlator, diagnosis and
// both views — on any sequence of Ethernet frames: nothing may panic,
// whatever order, repetition or corruption the messages come in.
func FuzzAnalyze(f *testing.F) {
	for _, name := range []string{"ikev1-main-psk-mismatch", "ikev1-p2-transform-mismatch", "ikev2-invalid-ke-retry", "ikev2-stale-spi", "ikev1-dpd-peer-dead", "ikev2-rekey",
		"ikev2-rekey-collision", "ikev2-pfs-mismatch-at-rekey", "ikev1-psk-changed", "ikev2-dpd-idle"} {
		if b, ok := packCapture(filepath.Join("../testdata/pcaps/lab", name, "capture.pcap")); ok {
			f.Add(b)
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in []byte) {
		dec := decode.NewDecoder(decode.Config{})
		c := correlate.New(correlate.Config{MaxIKESAs: 64, MaxESPFlows: 64})
		now := t0
		for frame := 1; len(in) >= 3; frame++ {
			now = now.Add(time.Duration(in[0]) * 100 * time.Millisecond)
			n := min(int(binary.BigEndian.Uint16(in[1:3])), len(in)-3)
			data := in[3 : 3+n]
			in = in[3+n:]
			p, _ := dec.Decode(&capture.Record{Frame: frame, Time: now, LinkType: capture.LinkTypeEthernet, Data: data, OrigLen: len(data)})
			if p != nil {
				c.Add(p)
			}
			if frame%7 == 0 {
				c.Snapshot() // snapshots mid-stream, as the TUI takes them
			}
		}
		a := c.Snapshot()
		fs := diagnose.Diagnose(a)
		analysisview.WriteText(io.Discard, analysisview.Input{Name: "fuzz"}, a, fs)
		if err := analysisview.WriteJSON(io.Discard, analysisview.BuildDocument(analysisview.Input{Name: "fuzz"}, "fuzz", a, fs)); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzAnalyzeTwoPoints is FuzzAnalyze for a run over two captures: each
// frame goes to capture 1 or 2 (the low bit of its time step byte), so the
// same message arrives at both points, at one only, in any order and with
// any clock difference: sightings, clocks and PATH_LOSS must hold up.
func FuzzAnalyzeTwoPoints(f *testing.F) {
	for _, name := range []string{"ikev2-ok", "ikev1-ts-not-mirrored", "ikev2-esp-one-way"} {
		if b, ok := packCapture(filepath.Join("../testdata/pcaps/lab", name, "capture.pcap")); ok {
			// Each frame twice: once at each point.
			var two []byte
			for in := b; len(in) >= 3; {
				n := min(int(binary.BigEndian.Uint16(in[1:3])), len(in)-3)
				rec := in[:3+n]
				two = append(two, append([]byte{2}, rec[1:]...)...)
				two = append(two, append([]byte{1}, rec[1:]...)...)
				in = in[3+n:]
			}
			f.Add(two)
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in []byte) {
		decs := []*decode.Decoder{decode.NewDecoder(decode.Config{}), decode.NewDecoder(decode.Config{})}
		c := correlate.New(correlate.Config{MaxIKESAs: 64, MaxESPFlows: 64, Captures: 2})
		now := t0
		frames := [2]int{}
		for i := 1; len(in) >= 3; i++ {
			k := int(in[0] & 1)
			now = now.Add(time.Duration(in[0]>>1) * 50 * time.Millisecond)
			n := min(int(binary.BigEndian.Uint16(in[1:3])), len(in)-3)
			data := in[3 : 3+n]
			in = in[3+n:]
			frames[k]++
			p, _ := decs[k].Decode(&capture.Record{Frame: decode.FrameID(k+1, frames[k]), Time: now, LinkType: capture.LinkTypeEthernet, Data: data, OrigLen: len(data)})
			if p != nil {
				c.Add(p)
			}
			if i%7 == 0 {
				c.Snapshot()
			}
		}
		a := c.Snapshot()
		fs := diagnose.Diagnose(a)
		in2 := analysisview.Input{Name: "fuzz", Points: []analysisview.Input{{Name: "a"}, {Name: "b"}}}
		analysisview.WriteText(io.Discard, in2, a, fs)
		if err := analysisview.WriteJSON(io.Discard, analysisview.BuildDocument(in2, "fuzz", a, fs)); err != nil {
			t.Fatal(err)
		}
	})
}
