package capture_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
)

// sharedCaptures is the corpus of real captures next to the repository,
// or "" when it is absent.
func sharedCaptures() string {
	for _, d := range []string{os.Getenv("IPSECPCAP_CAPTURES"), "../../shared/captures", "/work/shared/captures"} {
		if d == "" {
			continue
		}
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
	}
	return ""
}

var limitOnce sync.Once

// FuzzReader reads every record of arbitrary input. Beyond not panicking,
// the reader must number frames 1, 2, 3..., report strictly increasing
// offsets inside what it has read, keep records within 262144 bytes, and
// report every failure as a *capture.Error naming the next frame.
//
// The committed corpus in testdata/fuzz/FuzzReader is made from small real
// captures by TestWriteFuzzReaderCorpus.
func FuzzReader(f *testing.F) {
	// A header declaring a huge length must not make the reader allocate
	// gigabytes: cap the address space so that it dies at once with "out of
	// memory" (a crash the fuzzer records) instead of paging.
	limitOnce.Do(func() {
		if err := limitAddressSpace(2 << 30); err != nil {
			f.Log(err)
		}
	})
	if dir := sharedCaptures(); dir != "" {
		for _, p := range []string{
			"arkime/tests/pcap/IKEv1.pcap",                       // 72 KB: cut mid-record at 64 KiB
			"ndpi/tests/cfgs/default/pcap/ipsec_isakmp_esp.pcap", // 465 KB
			"suricata-verify/tests/detect-bypass-udp/input.pcap",
			"zeek/testing/btest/Traces/ip6_esp.pcap",
			"scapy/test/pcaps/ikev2_nat_t.pcapng",
			"tcpdump/tests/ikev2four.pcap",
		} {
			b, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				continue
			}
			f.Add(b[:min(len(b), 64<<10)])
		}
	}
	// Synthetic files for what the real ones lack: big-endian pcap and
	// pcapng, SLL2 and several interfaces in pcapng.
	be, _ := handPcap(binary.BigEndian, true, 276, somePkts(tNano))
	f.Add(be)
	n := &ngBuilder{order: binary.BigEndian}
	n.shb()
	n.idb(1, 65535, 0)
	n.idb(276, 0, 9)
	n.epb(0, 1700000000123456, filler(1, 60), 60)
	n.epb(1, 1700000000123456789, filler(2, 70), 700)
	n.block(5, append(make([]byte, 12), 0, 0, 0, 0))
	f.Add(n.b)
	// The same compressed, whole and cut: the decompressors' errors must
	// come out as *capture.Error too.
	for _, b := range [][]byte{be, n.b} {
		z, l := zstdOf(f, b), lz4Of(f, b)
		f.Add(z)
		f.Add(z[:len(z)-5])
		f.Add(l)
		f.Add(l[:len(l)-5])
	}

	f.Fuzz(fuzzReader)
}

// fuzzReader is FuzzReader's check of one input.
func fuzzReader(t *testing.T, data []byte) {
	file, err := capture.NewReader(bytes.NewReader(data), "fuzz.cap", nil)
	if err != nil {
		var ce *capture.Error
		if !errors.As(err, &ce) || ce.Frame != 0 || ce.File != "fuzz.cap" {
			t.Fatalf("NewReader error %v (%T), want a *capture.Error for the file header", err, err)
		}
		return
	}
	defer file.Close()
	if file.Format != capture.FormatPcap && file.Format != capture.FormatPcapNG {
		t.Fatalf("Format %q", file.Format)
	}
	last := int64(-1)
	for frame := 1; ; frame++ {
		r, err := file.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			var ce *capture.Error
			if !errors.As(err, &ce) {
				t.Fatalf("frame %d: error %v (%T), want *capture.Error", frame, err, err)
			}
			if ce.Frame != frame || ce.Offset <= last || ce.Offset > file.BytesRead() {
				t.Fatalf("error names frame %d offset %d; want frame %d, offset in (%d, %d]", ce.Frame, ce.Offset, frame, last, file.BytesRead())
			}
			return
		}
		if r.Frame != frame {
			t.Fatalf("record Frame %d, want %d", r.Frame, frame)
		}
		if len(r.Data) > 262144 {
			t.Fatalf("frame %d: %d bytes, more than any snaplen", frame, len(r.Data))
		}
		if r.Offset <= last || r.Offset >= file.BytesRead() {
			t.Fatalf("frame %d: offset %d, want in (%d, %d)", frame, r.Offset, last, file.BytesRead())
		}
		last = r.Offset
		if frame > 1<<20 {
			return // a gzip bomb of tiny records: enough
		}
	}
}
