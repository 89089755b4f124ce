package pipeline_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
	"github.com/ipsecpcap/ipsecpcap/view/analysisview"
)

// Captures built to fool the range boundary search: besides real frames
// (IKE and ESP from lab captures, ESP made up), frames whose bytes are a
// chain of plausible records (pcap record headers, pcapng packet blocks)
// with times inside the capture's. A range guessed to start inside one
// starts at the wrong place; the run must read it again from where the
// range before it really ended, to the sequential run's result.

// labFrames are the frames of a few lab captures, material for crafted
// captures.
func labFrames(t testing.TB) [][]byte {
	t.Helper()
	var frames [][]byte
	for _, name := range []string{"ikev2-life-rekeys", "ikev1-life-rekeys", "ikev2-nat-t-ok"} {
		f, err := capture.Open(filepath.Join("../testdata/pcaps/lab", name, "capture.pcap"))
		if err != nil {
			continue
		}
		for {
			rec, err := f.Next()
			if err != nil {
				break
			}
			frames = append(frames, bytes.Clone(rec.Data))
		}
		f.Close()
	}
	if len(frames) == 0 {
		t.Fatal("no lab frames")
	}
	return frames
}

type craftRec struct {
	t    time.Time
	data []byte
}

// decoy is an Ethernet frame (an experimental EtherType) whose payload
// chains like records of the format stamped between from and to.
func decoy(rng *rand.Rand, ng bool, from, to time.Time) []byte {
	b := make([]byte, 16) // Ethernet, and 2 bytes so pcapng blocks stay aligned
	b[12], b[13] = 0x88, 0xb5
	span := max(to.Sub(from), time.Microsecond)
	for range 8 + rng.IntN(12) {
		ts := from.Add(time.Duration(rng.Int64N(int64(span))))
		n := rng.IntN(120)
		if rng.IntN(8) == 0 {
			n = rng.IntN(4000)
		}
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		if ng {
			b = appendEPB(b, ts, data)
		} else {
			b = appendPcapRecord(b, ts, data)
		}
	}
	return b
}

func appendPcapRecord(b []byte, ts time.Time, data []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(ts.Unix()))
	b = binary.LittleEndian.AppendUint32(b, uint32(ts.Nanosecond()/1000))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// appendIDB appends a pcapng interface description block: Ethernet,
// snaplen 262144.
func appendIDB(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 20)
	b = binary.LittleEndian.AppendUint16(b, 1) // Ethernet
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 262144)
	return binary.LittleEndian.AppendUint32(b, 20)
}

func appendEPB(b []byte, ts time.Time, data []byte) []byte {
	pad := (4 - len(data)%4) % 4
	l := uint32(32 + len(data) + pad)
	us := uint64(ts.UnixMicro())
	b = binary.LittleEndian.AppendUint32(b, 6)
	b = binary.LittleEndian.AppendUint32(b, l)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint32(b, uint32(us>>32))
	b = binary.LittleEndian.AppendUint32(b, uint32(us))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	b = append(b, data...)
	b = append(b, make([]byte, pad)...)
	return binary.LittleEndian.AppendUint32(b, l)
}

// espFrameBytes is an Ethernet/IPv4 frame of raw ESP.
func espFrameBytes(spi, seq uint32, n int) []byte {
	f := make([]byte, 14+20+8+n)
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+8+n))
	ip[8], ip[9] = 64, 50
	copy(ip[12:], []byte{198, 18, 0, byte(spi), 198, 19, 0, 1})
	binary.BigEndian.PutUint32(ip[20:], spi)
	binary.BigEndian.PutUint32(ip[24:], seq)
	return f
}

// What a crafted capture has besides (craftWith).
const (
	craftPlain      = iota
	craftDisorder   // records out of time order
	craftFragments  // IP fragments of ESP in UDP
	craftLateIface  // pcapng: an interface declared in the middle
	craftSimplePkts // pcapng: simple packet blocks (no time stamp)
	craftMalformed  // frames whose IP header is cut or wrong
)

// fragments are the two IPv4 fragments of a datagram of ESP in UDP.
func fragments(id uint16, spi, seq uint32) [][]byte {
	payload := make([]byte, 8+8+200)
	binary.BigEndian.PutUint16(payload[0:], 4500)
	binary.BigEndian.PutUint16(payload[2:], 4500)
	binary.BigEndian.PutUint16(payload[4:], uint16(len(payload)))
	binary.BigEndian.PutUint32(payload[8:], spi)
	binary.BigEndian.PutUint32(payload[12:], seq)
	var out [][]byte
	for i, part := range [][]byte{payload[:104], payload[104:]} {
		f := make([]byte, 14+20, 14+20+len(part))
		f[12], f[13] = 0x08, 0x00
		ip := f[14:]
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:], uint16(20+len(part)))
		binary.BigEndian.PutUint16(ip[4:], id)
		flags := uint16(104/8) * uint16(i)
		if i == 0 {
			flags |= 0x2000 // more fragments
		}
		binary.BigEndian.PutUint16(ip[6:], flags)
		ip[8], ip[9] = 64, 17
		copy(ip[12:], []byte{198, 18, 0, 9, 198, 19, 0, 9})
		out = append(out, append(f, part...))
	}
	return out
}

// craft builds a capture (pcap, or pcapng with ng) of n records.
func craft(seed uint64, ng bool, n int, pool [][]byte) []byte {
	return craftWith(seed, ng, n, pool, craftPlain)
}

func craftWith(seed uint64, ng bool, n int, pool [][]byte, mode int) []byte {
	rng := rand.New(rand.NewPCG(seed, 21))
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	t := t0
	seqs := map[uint32]uint32{}
	var recs []craftRec
	for range n {
		var data []byte
		switch r := rng.IntN(10); {
		case r < 5:
			data = pool[rng.IntN(len(pool))]
		case r < 6:
			data = decoy(rng, ng, t0, t.Add(time.Second))
		default:
			spi := uint32(1 + rng.IntN(6))
			seqs[spi] += uint32(1 + rng.IntN(2))
			if rng.IntN(30) == 0 {
				seqs[spi] -= uint32(rng.IntN(int(seqs[spi])))
			}
			data = espFrameBytes(spi, seqs[spi], 16+rng.IntN(200))
		}
		switch {
		case mode == craftDisorder && rng.IntN(40) == 0:
			recs = append(recs, craftRec{t.Add(-time.Duration(rng.IntN(8000)) * time.Millisecond), data})
		case mode == craftMalformed && rng.IntN(4) == 0:
			bad := append(bytes.Clone(espFrameBytes(7, uint32(len(recs)), 40)), 0)
			if rng.IntN(2) == 0 {
				bad = bad[:14+rng.IntN(20)] // the IP header cut
			} else {
				bad[14] = 0x4f // a header length beyond the packet
			}
			recs = append(recs, craftRec{t, bad})
		case mode == craftFragments && rng.IntN(30) == 0:
			for _, f := range fragments(uint16(len(recs)), 0x9000, uint32(len(recs))) {
				recs = append(recs, craftRec{t, f})
			}
		default:
			recs = append(recs, craftRec{t, data})
		}
		if rng.IntN(5) != 0 {
			t = t.Add(time.Duration(1+rng.IntN(3000)) * time.Microsecond)
		}
	}
	var b []byte
	if ng {
		b = binary.LittleEndian.AppendUint32(b, 0x0a0d0d0a)
		b = binary.LittleEndian.AppendUint32(b, 28)
		b = binary.LittleEndian.AppendUint32(b, 0x1a2b3c4d)
		b = binary.LittleEndian.AppendUint16(b, 1)
		b = binary.LittleEndian.AppendUint16(b, 0)
		b = binary.LittleEndian.AppendUint64(b, ^uint64(0))
		b = binary.LittleEndian.AppendUint32(b, 28)
		b = appendIDB(b)
		for i, r := range recs {
			if mode == craftLateIface && i == len(recs)/2 {
				b = appendIDB(b)
			}
			if mode == craftSimplePkts && i%9 == 4 {
				pad := (4 - len(r.data)%4) % 4
				l := uint32(16 + len(r.data) + pad)
				b = binary.LittleEndian.AppendUint32(b, 3)
				b = binary.LittleEndian.AppendUint32(b, l)
				b = binary.LittleEndian.AppendUint32(b, uint32(len(r.data)))
				b = append(b, r.data...)
				b = append(b, make([]byte, pad)...)
				b = binary.LittleEndian.AppendUint32(b, l)
				continue
			}
			b = appendEPB(b, r.t, r.data)
		}
		return b
	}
	b = binary.LittleEndian.AppendUint32(b, 0xa1b2c3d4)
	b = binary.LittleEndian.AppendUint16(b, 2)
	b = binary.LittleEndian.AppendUint16(b, 4)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = binary.LittleEndian.AppendUint32(b, 262144)
	b = binary.LittleEndian.AppendUint32(b, 1)
	for _, r := range recs {
		b = appendPcapRecord(b, r.t, r.data)
	}
	return b
}

// analyzeDoc is analyze --json's document of path read in ranges (0:
// sequentially) with the problems reported, or the run's error.
func analyzeDoc(path string, ranges int) (string, error) {
	var probs []string
	res, how, err := pipeline.AnalyzeIn(path, pipeline.Options{Problem: func(s string) { probs = append(probs, s) }}, ranges)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := analysisview.WriteJSON(&b, analysisview.BuildDocument(analysisview.InputOf(res), "test", res.Analysis, res.Findings)); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s\n%s\n%d more problems\n%s", b.String(), strings.Join(probs, "\n"), res.Input.SuppressedProblems, how), nil
}

// compareRanges checks that the capture in data reads in ranges as it reads
// sequentially; it returns how the runs read.
func compareRanges(t *testing.T, data []byte, counts ...int) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.pcap")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	want, werr := analyzeDoc(path, 0)
	want, _, _ = strings.Cut(want, "\nsequential: ")
	var hows []string
	for _, n := range counts {
		got, err := analyzeDoc(path, n)
		if (err == nil) != (werr == nil) || err != nil && err.Error() != werr.Error() {
			t.Fatalf("%d ranges: error %v, sequentially %v", n, err, werr)
		}
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(got, '\n')
		got, how := got[:i], got[i+1:]
		hows = append(hows, how)
		if got != want {
			a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
			for j := range min(len(a), len(b)) {
				if a[j] != b[j] {
					t.Fatalf("%d ranges (%s): line %d differs:\n got %s\nwant %s", n, how, j+1, b[j], a[j])
				}
			}
			t.Fatalf("%d ranges (%s): %d lines, want %d", n, how, len(b), len(a))
		}
	}
	return hows
}

// TestRangesFooled: captures full of frames that chain like records read
// in ranges to the sequential result, some ranges read again.
func TestRangesFooled(t *testing.T) {
	pool := labFrames(t)
	again := 0
	for seed := range uint64(24) {
		for _, ng := range []bool{false, true} {
			for _, how := range compareRanges(t, craft(seed, ng, 300+int(seed)*40, pool), 2, 3, 7, 64) {
				if !strings.HasPrefix(how, "parallel") {
					t.Errorf("seed %d, pcapng %v: %s", seed, ng, how)
				}
				if strings.Contains(how, "read again") {
					again++
				}
			}
		}
	}
	t.Logf("%d runs read a range again", again)
	if again == 0 {
		t.Error("no boundary was fooled")
	}
}

// TestRangesOnePass: what ranges cannot read exactly (records out of time
// order, IP fragments, an interface declared after the first packet,
// packets without time stamps) reads in one pass, to the same result.
func TestRangesOnePass(t *testing.T) {
	pool := labFrames(t)
	for _, c := range []struct {
		name string
		ng   bool
		mode int
	}{
		{"disorder pcap", false, craftDisorder}, {"disorder pcapng", true, craftDisorder},
		{"fragments pcap", false, craftFragments}, {"fragments pcapng", true, craftFragments},
		{"late interface", true, craftLateIface}, {"simple packets", true, craftSimplePkts},
	} {
		for seed := range uint64(6) {
			hows := compareRanges(t, craftWith(seed, c.ng, 500, pool, c.mode), 2, 3, 7)
			if seed == 0 {
				t.Logf("%s: %q", c.name, hows)
			}
		}
	}
}

// TestRangesProblems: many malformed frames in every range: the run passes
// on the same first MaxProblems reports and counts the same rest.
func TestRangesProblems(t *testing.T) {
	pool := labFrames(t)
	for _, ng := range []bool{false, true} {
		data := craftWith(4, ng, 2000, pool, craftMalformed)
		path := filepath.Join(t.TempDir(), "m.pcap")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if doc, err := analyzeDoc(path, 0); err != nil || strings.Contains(doc, "\n0 more problems\n") {
			t.Fatalf("the capture should have more than %d problems (%v)", pipeline.MaxProblems, err)
		}
		for _, how := range compareRanges(t, data, 2, 3, 7, 64) {
			if !strings.HasPrefix(how, "parallel") {
				t.Errorf("pcapng %v: %s", ng, how)
			}
		}
	}
}

// TestRangesOverBudget: ranges that would keep more than their budget for
// the merge (an IKE flood, an SPI scan) stop, and the file is read in one
// pass, to the same result.
func TestRangesOverBudget(t *testing.T) {
	pool := labFrames(t)
	defer pipeline.SetRangeBudget(-16 << 20)() // less than the 2 MiB each range adds
	for _, ng := range []bool{false, true} {
		for _, how := range compareRanges(t, craft(3, ng, 3000, pool), 2, 3, 7) {
			if !strings.Contains(how, "than ranges keep") {
				t.Errorf("pcapng %v: %s", ng, how)
			}
		}
	}
}

// TestRangesCorrupt: a record broken in the middle of a range gives the
// errors and the partial result of the sequential reader.
func TestRangesCorrupt(t *testing.T) {
	pool := labFrames(t)
	for seed := range uint64(12) {
		for _, ng := range []bool{false, true} {
			b := craft(seed, ng, 400, pool)
			rng := rand.New(rand.NewPCG(seed, 5))
			switch seed % 3 {
			case 0: // a length clobbered
				at := len(b)/3 + rng.IntN(len(b)/3)
				binary.LittleEndian.PutUint32(b[at&^3:], 0x7fffffff)
			case 1: // bytes zeroed
				at := len(b)/3 + rng.IntN(len(b)/3)
				clear(b[at : at+64])
			case 2: // cut short
				b = b[:len(b)-1-rng.IntN(200)]
			}
			compareRanges(t, b, 2, 3, 7)
		}
	}
}

// FuzzRanges reads a capture in ranges and sequentially; the seeds
// (testdata/fuzz/FuzzRanges) are crafted captures, whole and corrupt.
func FuzzRanges(f *testing.F) {
	pool := labFrames(f)
	f.Add(craft(1, false, 30, pool))
	f.Add(craft(2, true, 30, pool))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		compareRanges(t, data, 2, 3, 7)
	})
}

// TestWriteFuzzSeeds writes FuzzRanges' seed corpus (IPSECPCAP_WRITE_SEEDS=1).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("IPSECPCAP_WRITE_SEEDS") == "" {
		t.Skip("IPSECPCAP_WRITE_SEEDS not set")
	}
	pool := labFrames(t)
	dir := filepath.Join("testdata", "fuzz", "FuzzRanges")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		var s strings.Builder
		fmt.Fprintf(&s, "go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for seed := range uint64(3) {
		write(fmt.Sprintf("pcap-decoys-%d", seed), craft(seed+10, false, 40, pool))
		write(fmt.Sprintf("pcapng-decoys-%d", seed), craft(seed+10, true, 40, pool))
	}
	b := craft(20, false, 40, pool)
	binary.LittleEndian.PutUint32(b[len(b)/2&^3:], 0x7fffffff)
	write("pcap-corrupt-length", b)
	b = craft(21, true, 40, pool)
	clear(b[len(b)/2 : len(b)/2+40])
	write("pcapng-corrupt-block", b)
	write("pcap-cut", craft(22, false, 40, pool)[:3000])
}

// TestRangesPublicCorpus: the public corpus beside the repository (see
// README, Tests), when present, reads in ranges as in one pass.
func TestRangesPublicCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var files []string
	for _, dir := range []string{"../../shared/captures", "../../shared/captures2"} {
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Skip("no public corpus")
	}
	runs, parallel := 0, 0
	for _, path := range files {
		if f, err := capture.Open(path); err != nil {
			continue
		} else {
			f.Close()
		}
		data, err := os.ReadFile(path)
		if err != nil || len(data) > 8<<20 {
			continue
		}
		t.Run(path, func(t *testing.T) {
			for _, how := range compareRanges(t, data, 2, 3, 7) {
				runs++
				if strings.HasPrefix(how, "parallel") {
					parallel++
				}
			}
		})
	}
	t.Logf("%d runs, %d read in ranges", runs, parallel)
}
