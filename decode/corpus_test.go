package decode_test

import (
	"encoding/binary"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

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

type fuzzSeed struct {
	name  string
	sel   byte
	frame []byte
	more  []byte
}

// realFrame is one frame of a shared capture, decoded.
type realFrame struct {
	file string
	rec  capture.Record
	pkt  *decode.Packet
	err  error
}

// TestWriteFuzzDecodeFrameCorpus (re)generates
// testdata/fuzz/FuzzDecodeFrame, and the same files in
// testdata/fuzz/FuzzQuickESP, from the shared captures:
//
//	IPSECPCAP_WRITE_FUZZ_CORPUS=1 go test ./decode -run TestWriteFuzzDecodeFrameCorpus
//
// It walks every capture, classifies each frame by what the decoder makes
// of it (link type, kind, IP version, NAT-T, fragments, truncation,
// problems, IKE version, link error) and keeps the first frame of each
// class; fragmented datagrams keep all their fragments. Classes no real
// capture has (ICMP errors, SLL/SLL2/VLAN link layers, IPv6 fragments) are
// made by rewrapping real frames. Without the variable it checks that the
// committed files decode as fuzz inputs, and are the same in both.
func TestWriteFuzzDecodeFrameCorpus(t *testing.T) {
	out := filepath.Join("testdata", "fuzz", "FuzzDecodeFrame")
	quick := filepath.Join("testdata", "fuzz", "FuzzQuickESP")
	if os.Getenv("IPSECPCAP_WRITE_FUZZ_CORPUS") == "" {
		ents, err := os.ReadDir(out)
		if err != nil {
			t.Skip(err)
		}
		for _, e := range ents {
			b, err := os.ReadFile(filepath.Join(out, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), "go test fuzz v1\nbyte(") {
				t.Errorf("%s: not a FuzzDecodeFrame corpus file", e.Name())
			}
			if q, err := os.ReadFile(filepath.Join(quick, e.Name())); err != nil || string(q) != string(b) {
				t.Errorf("%s: not the same in %s", e.Name(), quick)
			}
		}
		return
	}
	dir := sharedCaptures()
	if dir == "" {
		t.Skip("no shared captures")
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && regexp.MustCompile(`\.(pcap|pcapng|cap)$`).MatchString(p) {
			files = append(files, p)
		}
		return nil
	})
	slices.Sort(files)

	seen := map[string]bool{}
	var seeds []fuzzSeed
	var ike4, ike6, esp4 *realFrame // for the derived seeds
	for _, path := range files {
		f, err := capture.Open(path)
		if err != nil {
			continue
		}
		dec := decode.NewDecoder(decode.Config{})
		frames := map[int][]byte{}
		for {
			r, err := f.Next()
			if err != nil {
				break
			}
			data := append([]byte(nil), r.Data...)
			frames[r.Frame] = data
			p, derr := dec.Decode(r)
			rf := &realFrame{file: strings.TrimPrefix(path, dir+"/"), rec: *r, pkt: p, err: derr}
			rf.rec.Data = data
			key := classify(rf)
			if key == "" || seen[key] {
				continue
			}
			seen[key] = true
			sel := fuzzSelector(r.LinkType)
			if r.OrigLen > len(r.Data) {
				sel |= selTruncated
			}
			s := fuzzSeed{name: seedName(rf), sel: sel, frame: data}
			if p != nil && p.Fragments != nil {
				// The first fragment is the frame, the others follow.
				s.frame = frames[p.Fragments[0]]
				var rest [][]byte
				for _, n := range p.Fragments[1:] {
					rest = append(rest, frames[n])
				}
				s.more = packFrames(rest...)
			}
			seeds = append(seeds, s)
			if p != nil && p.Fragments == nil && !p.Truncated && len(p.Problems) == 0 && r.LinkType == capture.LinkTypeEthernet {
				switch {
				case p.Kind == decode.KindIKE && p.Src.Addr().Is4() && !p.UDPEncapsulated && ike4 == nil:
					ike4 = rf
				case p.Kind == decode.KindIKE && p.Src.Addr().Is6() && ike6 == nil:
					ike6 = rf
				case p.Kind == decode.KindESP && p.Src.Addr().Is4() && !p.UDPEncapsulated && esp4 == nil:
					esp4 = rf
				}
			}
		}
		f.Close()
	}
	if ike4 == nil || ike6 == nil || esp4 == nil {
		t.Fatal("no real IKE/IPv4, IKE/IPv6 or ESP/IPv4 frame found")
	}
	seeds = append(seeds, derivedSeeds(ike4, ike6, esp4)...)

	for _, dir := range []string{out, quick} {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range seeds {
		name := fmt.Sprintf("%02d-%s", i, s.name)
		b := fmt.Appendf(nil, "go test fuzz v1\nbyte(%q)\n[]byte(%q)\n[]byte(%q)\n", s.sel, s.frame, s.more)
		for _, dir := range []string{out, quick} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: selector %#x, %d bytes, %d more", name, s.sel, len(s.frame), len(unpackFrames(s.more)))
	}
}

// classify is the class of a frame for seed selection ("" to skip it).
func classify(f *realFrame) string {
	lt := f.rec.LinkType
	switch {
	case f.err != nil:
		return fmt.Sprintf("err-%d", lt)
	case f.pkt == nil:
		// One non-IPsec frame per link type: ARP, ICMPv6, TCP...
		return fmt.Sprintf("none-%d", lt)
	}
	p := f.pkt
	ver := 0
	if p.IKE != nil {
		ver = p.IKE.MajorVersion()
	}
	return fmt.Sprintf("%d-%v-v6=%v-encap=%v-frag=%v-trunc=%v-problems=%v-ike%d",
		lt, p.Kind, p.Src.Addr().Is6(), p.UDPEncapsulated, p.Fragments != nil, p.Truncated, len(p.Problems) > 0, ver)
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]+`)

func seedName(f *realFrame) string {
	base := strings.TrimSuffix(filepath.Base(f.file), filepath.Ext(f.file))
	what := "not-ipsec"
	switch {
	case f.err != nil:
		what = "link-error"
	case f.pkt != nil:
		what = strings.ToLower(f.pkt.Kind.String())
		if f.pkt.IKE != nil {
			what += fmt.Sprintf("v%d", f.pkt.IKE.MajorVersion())
		}
		if f.pkt.Src.Addr().Is6() {
			what += "-ipv6"
		}
		if f.pkt.UDPEncapsulated {
			what += "-natt"
		}
		if f.pkt.Fragments != nil {
			what += "-fragments"
		}
		if f.pkt.Truncated {
			what += "-truncated"
		}
		if len(f.pkt.Problems) > 0 {
			what += "-problems"
		}
	}
	return strings.ToLower(nonAlnum.ReplaceAllString(fmt.Sprintf("%s-%s-frame%d", what, base, f.rec.Frame), "-"))
}

// derivedSeeds rewrap real frames for the classes no capture has.
func derivedSeeds(ike4, ike6, esp4 *realFrame) []fuzzSeed {
	ipOf := func(f *realFrame) []byte { return f.rec.Data[14:] } // Ethernet
	src4, dst4 := ike4.pkt.Src.Addr(), ike4.pkt.Dst.Addr()
	src6, dst6 := ike6.pkt.Src.Addr(), ike6.pkt.Dst.Addr()
	var seeds []fuzzSeed
	add := func(name string, lt capture.LinkType, frame []byte, more ...[]byte) {
		var m []byte
		if len(more) > 0 {
			m = packFrames(more...)
		}
		seeds = append(seeds, fuzzSeed{name: "derived-" + name, sel: fuzzSelector(lt), frame: frame, more: m})
	}
	// ICMP errors from the responder quoting the real packets.
	add("icmp-port-unreachable-quoting-"+seedName(ike4), capture.LinkTypeEthernet,
		ether(0x0800, ip4(dst4, src4, 1, 7, 0, icmp4(3, 3, ipOf(ike4)[:min(len(ipOf(ike4)), 548)]))))
	add("icmp-frag-needed-quoting-"+seedName(esp4), capture.LinkTypeEthernet,
		ether(0x0800, ip4(esp4.pkt.Dst.Addr(), esp4.pkt.Src.Addr(), 1, 7, 0, icmp4(3, 4, ipOf(esp4)[:min(len(ipOf(esp4)), 548)]))))
	add("icmpv6-port-unreachable-quoting-"+seedName(ike6), capture.LinkTypeEthernet,
		ether(0x86dd, ip6(dst6, src6, 58, icmp6(1, 4, ipOf(ike6)[:min(len(ipOf(ike6)), 1232)]))))
	// The real IPv4 IKE packet behind other link layers.
	ip := ipOf(ike4)
	sll := append([]byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00}, ip...)
	sll2 := append([]byte{0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0}, ip...)
	qinq := append(append(append([]byte(nil), ike4.rec.Data[:12]...), 0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 200, 0x08, 0x00), ip...)
	add("sll-"+seedName(ike4), capture.LinkTypeLinuxSLL, sll)
	add("sll2-"+seedName(ike4), capture.LinkTypeLinuxSLL2, sll2)
	add("qinq-"+seedName(ike4), capture.LinkTypeEthernet, qinq)
	add("raw-ipv6-"+seedName(ike6), capture.LinkTypeIPv6, ipOf(ike6))
	// The real IPv6 IKE message's UDP datagram in IPv6 fragments, the
	// first one twice.
	u := ipOf(ike6)[40:]
	var frags [][]byte
	for off := 0; off < len(u); off += 64 {
		end := min(off+64, len(u))
		fh := []byte{17, 0, 0, 0, 0, 0, 0x12, 0x34}
		mf := uint16(0)
		if end < len(u) {
			mf = 1
		}
		binary.BigEndian.PutUint16(fh[2:4], uint16(off)|mf)
		frags = append(frags, ip6(src6, dst6, 44, append(fh, u[off:end]...)))
	}
	slices.Reverse(frags)
	add("ipv6-fragments-"+seedName(ike6), capture.LinkTypeIPv6, frags[0], append(frags[1:], frags[len(frags)-1])...)
	return seeds
}
