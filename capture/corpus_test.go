package capture_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/pierrec/lz4/v4"
)

// TestWriteFuzzReaderCorpus (re)generates testdata/fuzz/FuzzReader from
// small real captures of the shared corpus:
//
//	IPSECPCAP_WRITE_FUZZ_CORPUS=1 go test ./capture -run TestWriteFuzzReaderCorpus
//
// Without the variable it only checks that the committed corpus files
// parse as Go fuzz corpus files.
func TestWriteFuzzReaderCorpus(t *testing.T) {
	out := filepath.Join("testdata", "fuzz", "FuzzReader")
	if os.Getenv("IPSECPCAP_WRITE_FUZZ_CORPUS") == "" {
		checkCorpusDir(t, out)
		return
	}
	dir := sharedCaptures()
	if dir == "" {
		t.Skip("no shared captures")
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	seeds := []struct {
		name string
		data []byte
	}{
		{"pcap-ether-ikev1-main-mode", read("suricata-verify/tests/ikev1-rules/ikev1-isakmp-main-mode.pcap")},
		{"pcap-null-ikev2four", read("tcpdump/tests/ikev2four.pcap")},
		{"pcap-raw-ikev2-weak-dh", read("suricata-verify/tests/ikev2-weak-dh/IKEv2_SA_INIT_2-8-weak.pcap")},
		{"pcap-snaplen-cut-esp-truncated", read("tcpdump/tests/esp_truncated.pcap")},
		{"pcapng-ikev2", read("packetgen-plugin-ipsec/spec/ikev2.pcapng")},
		{"pcapng-ah-esp-ipv6", read("pcapplusplus/Tests/Packet++Test/PacketExamples/ipsec.pcapng")},
		{"pcapng-isakmp-no-none-np", read("tcpdump/tests/isakmp-no-none-np.pcapng")},
		{"gzip-pcap-isakmp4500", gz(t, read("tcpdump/tests/isakmp4500.pcap"))},
		{"gzip-pcapng-ikev2-nat-t", gz(t, read("scapy/test/pcaps/ikev2_nat_t.pcapng"))},
		{"zstd-pcap-isakmp4500", zstdOf(t, read("tcpdump/tests/isakmp4500.pcap"))},
		{"zstd-pcapng-ikev2-nat-t", zstdOf(t, read("scapy/test/pcaps/ikev2_nat_t.pcapng"))},
		{"zstd-cut-pcap-ikev2four", half(zstdOf(t, read("tcpdump/tests/ikev2four.pcap")))},
		{"lz4-pcap-ikev2four", lz4Of(t, read("tcpdump/tests/ikev2four.pcap"))},
		{"lz4-pcapng-ikev2-nat-t", lz4Of(t, read("scapy/test/pcaps/ikev2_nat_t.pcapng"), lz4.BlockSizeOption(lz4.Block64Kb), lz4.BlockChecksumOption(true))},
		{"lz4-cut-pcap-isakmp4500", half(lz4Of(t, read("tcpdump/tests/isakmp4500.pcap")))},
		{"pcap-nanosecond-zeek-ikev2", rewrite(t, read("zeek-plugin-ikev2/tests/Traces/ikev2.pcap"), true, nil)},
		{"pcap-bigendian-espudp1", rewrite(t, read("tcpdump/tests/espudp1.pcap"), false, binary.BigEndian)},
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range seeds {
		if len(s.data) > 20<<10 {
			t.Fatalf("%s: %d bytes, more than 20 KiB", s.name, len(s.data))
		}
		if err := os.WriteFile(filepath.Join(out, s.name), corpusFile(s.data), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", s.name, len(s.data))
	}
	checkCorpusDir(t, out)
}

// half is the first half of b: a file cut while it was written.
func half(b []byte) []byte { return b[:len(b)/2] }

// corpusFile is the "go test fuzz v1" encoding of one []byte argument.
func corpusFile(b []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", b)
}

// checkCorpusDir checks that each file is a one-argument fuzz corpus file
// holding a capture this package opens.
func checkCorpusDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Skip(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("go test fuzz v1\n[]byte(")) {
			t.Errorf("%s: not a []byte fuzz corpus file", e.Name())
		}
	}
}

// rewrite re-encodes a pcap file: with nanosecond timestamps, or in the
// given byte order (hand-written: pcapgo writes little-endian only).
func rewrite(t *testing.T, in []byte, nanos bool, order binary.ByteOrder) []byte {
	t.Helper()
	f, err := capture.NewReader(bytes.NewReader(in), "in", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var w *pcapgo.Writer
	if order == nil {
		w = pcapgo.NewWriter(&buf)
		if nanos {
			w = pcapgo.NewWriterNanos(&buf)
		}
	}
	first := true
	for {
		r, err := f.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if first {
			if w != nil {
				if err := w.WriteFileHeader(65535, layers.LinkType(r.LinkType)); err != nil {
					t.Fatal(err)
				}
			} else {
				buf.Write(pcapHeader(order, nanos, 65535, uint32(r.LinkType)))
			}
			first = false
		}
		if w != nil {
			// Make the nanoseconds visible: the source has microseconds.
			ts := r.Time.Add(987)
			if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(r.Data), Length: r.OrigLen}, r.Data); err != nil {
				t.Fatal(err)
			}
			continue
		}
		buf.Write(pcapRecord(order, nanos, pkt{ts: r.Time, data: r.Data, orig: r.OrigLen}))
	}
	return buf.Bytes()
}
