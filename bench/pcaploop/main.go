// Command pcaploop is the baseline for bench/run: how fast gopacket can go
// over a capture without doing any IPsec analysis.
//
//	go run ./bench/pcaploop [-decode | -sha256] FILE
//
// Without -decode it is a bare pcapgo zero-copy read loop counting packets
// and bytes. With -sha256 it only computes the file's SHA-256, as ipsecpcap
// does for the chain of custody (on a second core, but in one piece: the
// floor of analyze's wall time). With -decode it also decodes Ethernet/IPv4/UDP/ESP with a
// gopacket DecodingLayerParser over preallocated layers (ESP in UDP/4500
// included), counting ESP and IKE packets. It prints one line:
//
//	mode=read packets=N bytes=N esp=N ike=N elapsed=S
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// esp is a minimal ESP DecodingLayer (gopacket's layers.IPSecESP is not one).
type esp struct {
	layers.BaseLayer
	SPI, Seq uint32
}

func (e *esp) LayerType() gopacket.LayerType     { return layers.LayerTypeIPSecESP }
func (e *esp) CanDecode() gopacket.LayerClass    { return layers.LayerTypeIPSecESP }
func (e *esp) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }
func (e *esp) decode(b []byte) error             { return e.DecodeFromBytes(b, gopacket.NilDecodeFeedback) }

func (e *esp) DecodeFromBytes(b []byte, df gopacket.DecodeFeedback) error {
	if len(b) < 8 {
		df.SetTruncated()
		return errors.New("ESP shorter than 8 bytes")
	}
	e.SPI = binary.BigEndian.Uint32(b)
	e.Seq = binary.BigEndian.Uint32(b[4:])
	e.Contents, e.Payload = b[:8], b[8:]
	return nil
}

type packetReader interface {
	ZeroCopyReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

func open(path string) (packetReader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	var r packetReader
	if binary.LittleEndian.Uint32(magic) == 0x0a0d0d0a {
		r, err = pcapgo.NewNgReader(br, pcapgo.DefaultNgReaderOptions)
	} else {
		r, err = pcapgo.NewReader(br)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return r, f, nil
}

func main() {
	decodeFlag := flag.Bool("decode", false, "decode Ethernet/IPv4/UDP/ESP with a DecodingLayerParser")
	shaFlag := flag.Bool("sha256", false, "only compute the file's SHA-256 (crypto/sha256, as ipsecpcap does)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: pcaploop [-decode | -sha256] FILE")
		os.Exit(2)
	}
	start := time.Now()
	if *shaFlag {
		digest(flag.Arg(0), start)
		return
	}
	r, f, err := open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "pcaploop:", err)
		os.Exit(1)
	}
	defer f.Close()

	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		udp     layers.UDP
		e       esp
		payload gopacket.Payload
		decoded = make([]gopacket.LayerType, 0, 8)
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4, &udp, &e, &payload)
	parser.IgnoreUnsupported = true

	var packets, bytes, nESP, nIKE, nKeepalive int64
	mode := "read"
	if *decodeFlag {
		mode = "decode"
	}
	for {
		data, ci, err := r.ZeroCopyReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "pcaploop:", err)
			os.Exit(1)
		}
		packets++
		bytes += int64(ci.CaptureLength)
		if !*decodeFlag {
			continue
		}
		_ = parser.DecodeLayers(data, &decoded)
		for _, lt := range decoded {
			switch lt {
			case layers.LayerTypeIPSecESP:
				nESP++
			case layers.LayerTypeUDP:
				switch {
				case udp.SrcPort == 500 || udp.DstPort == 500:
					nIKE++
				case udp.SrcPort == 4500 || udp.DstPort == 4500:
					p := udp.Payload
					switch {
					case len(p) == 1 && p[0] == 0xff:
						nKeepalive++
					case len(p) >= 4 && binary.BigEndian.Uint32(p) == 0:
						nIKE++
					case e.decode(p) == nil:
						nESP++
					}
				}
			}
		}
	}
	fmt.Printf("mode=%s packets=%d bytes=%d esp=%d ike=%d keepalive=%d elapsed=%.3f\n",
		mode, packets, bytes, nESP, nIKE, nKeepalive, time.Since(start).Seconds())
}

// digest is the -sha256 mode: the SHA-256 of the file, the part of
// ipsecpcap's work (the input's digest for the chain of custody) that runs
// on its own core and cannot be split.
func digest(path string, start time.Time) {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pcaploop:", err)
		os.Exit(1)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.CopyBuffer(h, f, make([]byte, 1<<20))
	if err != nil {
		fmt.Fprintln(os.Stderr, "pcaploop:", err)
		os.Exit(1)
	}
	fmt.Printf("mode=sha256 bytes=%d sha256=%x elapsed=%.3f\n", n, h.Sum(nil), time.Since(start).Seconds())
}
