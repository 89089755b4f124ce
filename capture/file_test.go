package capture_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/ipsecpcap/ipsecpcap/capture"
)

// pkt is one record to write into a test capture.
type pkt struct {
	ts    time.Time
	data  []byte
	orig  int // 0: len(data)
	iface int // pcapng interface
}

func (p pkt) origLen() int {
	if p.orig == 0 {
		return len(p.data)
	}
	return p.orig
}

// want is what one record must read back as.
type want struct {
	frame  int
	ts     time.Time
	link   capture.LinkType
	data   []byte
	orig   int
	offset int64 // -1: not checked (see TestPcapNGRecordOffset)
	iface  int
}

// filler returns n bytes that differ from record to record.
func filler(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// ---- classic pcap, written by hand so both byte orders are covered ----

func pcapHeader(order binary.ByteOrder, nanos bool, snaplen, link uint32) []byte {
	h := make([]byte, 24)
	magic := uint32(0xa1b2c3d4)
	if nanos {
		magic = 0xa1b23c4d
	}
	order.PutUint32(h[0:4], magic)
	order.PutUint16(h[4:6], 2)
	order.PutUint16(h[6:8], 4)
	order.PutUint32(h[16:20], snaplen)
	order.PutUint32(h[20:24], link)
	return h
}

func pcapRecord(order binary.ByteOrder, nanos bool, p pkt) []byte {
	h := make([]byte, 16)
	order.PutUint32(h[0:4], uint32(p.ts.Unix()))
	frac := uint32(p.ts.Nanosecond())
	if !nanos {
		frac /= 1000
	}
	order.PutUint32(h[4:8], frac)
	order.PutUint32(h[8:12], uint32(len(p.data)))
	order.PutUint32(h[12:16], uint32(p.origLen()))
	return append(h, p.data...)
}

// handPcap builds a pcap file and the records it must read back as.
func handPcap(order binary.ByteOrder, nanos bool, link uint32, pkts []pkt) ([]byte, []want) {
	b := pcapHeader(order, nanos, 65535, link)
	var ws []want
	for i, p := range pkts {
		ws = append(ws, want{frame: i + 1, ts: p.ts, link: capture.LinkType(link), data: p.data, orig: p.origLen(), offset: int64(len(b))})
		b = append(b, pcapRecord(order, nanos, p)...)
	}
	return b, ws
}

// pcapgoFile writes pkts with gopacket's pcapgo writer.
func pcapgoFile(t *testing.T, nanos bool, link layers.LinkType, pkts []pkt) ([]byte, []want) {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if nanos {
		w = pcapgo.NewWriterNanos(&buf)
	}
	if err := w.WriteFileHeader(65535, link); err != nil {
		t.Fatal(err)
	}
	var ws []want
	for i, p := range pkts {
		ws = append(ws, want{frame: i + 1, ts: p.ts, link: capture.LinkType(link), data: p.data, orig: p.origLen(), offset: int64(buf.Len())})
		ci := gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: p.origLen()}
		if err := w.WritePacket(ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes(), ws
}

// ---- pcapng, written by hand where pcapgo cannot (SLL2, big endian) ----

// byteOrder is binary.LittleEndian or binary.BigEndian.
type byteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

type ngBuilder struct {
	order byteOrder
	b     []byte
	// offsets of the enhanced packet blocks, in order
	epbs []int64
}

func (n *ngBuilder) block(typ uint32, body []byte) {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	l := uint32(12 + len(body))
	h := make([]byte, 8)
	n.order.PutUint32(h[0:4], typ)
	n.order.PutUint32(h[4:8], l)
	n.b = append(n.b, h...)
	n.b = append(n.b, body...)
	n.b = n.order.AppendUint32(n.b, l)
}

func (n *ngBuilder) shb() {
	body := n.order.AppendUint32(nil, 0x1a2b3c4d)
	body = n.order.AppendUint16(body, 1)
	body = n.order.AppendUint16(body, 0)
	body = n.order.AppendUint64(body, ^uint64(0))
	n.block(0x0a0d0d0a, body)
}

// idb adds an interface; tsresol 0 leaves the default (microseconds).
func (n *ngBuilder) idb(link uint16, snaplen uint32, tsresol uint8) {
	body := n.order.AppendUint16(nil, link)
	body = n.order.AppendUint16(body, 0)
	body = n.order.AppendUint32(body, snaplen)
	if tsresol != 0 {
		body = n.order.AppendUint16(body, 9) // if_tsresol
		body = n.order.AppendUint16(body, 1)
		body = append(body, tsresol, 0, 0, 0)
		body = n.order.AppendUint32(body, 0) // opt_endofopt
	}
	n.block(1, body)
}

// epb adds an enhanced packet block; ts is in the interface's units.
func (n *ngBuilder) epb(iface uint32, ts uint64, data []byte, orig int) {
	n.epbs = append(n.epbs, int64(len(n.b)))
	body := n.order.AppendUint32(nil, iface)
	body = n.order.AppendUint32(body, uint32(ts>>32))
	body = n.order.AppendUint32(body, uint32(ts))
	body = n.order.AppendUint32(body, uint32(len(data)))
	body = n.order.AppendUint32(body, uint32(orig))
	body = append(body, data...)
	n.block(6, body)
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads every record, copying Data (it is reused by Next).
func readAll(t testing.TB, f *capture.File) ([]capture.Record, error) {
	t.Helper()
	var recs []capture.Record
	for {
		r, err := f.Next()
		if err != nil {
			if err == io.EOF {
				return recs, nil
			}
			return recs, err
		}
		c := *r
		c.Data = append([]byte(nil), r.Data...)
		recs = append(recs, c)
		if len(recs) > 10000 {
			t.Fatal("runaway reader")
		}
	}
}

func checkRecords(t *testing.T, got []capture.Record, ws []want) {
	t.Helper()
	if len(got) != len(ws) {
		t.Fatalf("read %d records, want %d", len(got), len(ws))
	}
	for i, w := range ws {
		g := got[i]
		if g.Frame != w.frame {
			t.Errorf("record %d: Frame %d, want %d", i, g.Frame, w.frame)
		}
		if !g.Time.Equal(w.ts) {
			t.Errorf("record %d: Time %v, want %v", i, g.Time.Format(time.RFC3339Nano), w.ts.Format(time.RFC3339Nano))
		}
		if g.LinkType != w.link {
			t.Errorf("record %d: LinkType %d, want %d", i, g.LinkType, w.link)
		}
		if !bytes.Equal(g.Data, w.data) {
			t.Errorf("record %d: Data %x, want %x", i, g.Data, w.data)
		}
		if g.OrigLen != w.orig {
			t.Errorf("record %d: OrigLen %d, want %d", i, g.OrigLen, w.orig)
		}
		if w.offset >= 0 && g.Offset != w.offset {
			t.Errorf("record %d: Offset %d, want %d", i, g.Offset, w.offset)
		}
		if g.Interface != w.iface {
			t.Errorf("record %d: Interface %d, want %d", i, g.Interface, w.iface)
		}
	}
}

var (
	tMicro = []time.Time{
		time.Unix(1700000000, 123456000),
		time.Unix(1700000001, 999999000),
		time.Unix(0, 1000),
		time.Unix(4000000000, 0), // past 2038: the field is unsigned
	}
	tNano = []time.Time{
		time.Unix(1700000000, 123456789),
		time.Unix(1700000001, 999999999),
		time.Unix(0, 1),
		time.Unix(4000000000, 7),
	}
)

func somePkts(ts []time.Time) []pkt {
	return []pkt{
		{ts: ts[0], data: filler(1, 60)},
		{ts: ts[1], data: filler(2, 1514)},
		{ts: ts[2], data: filler(3, 96), orig: 1500}, // cut by the snaplen
		{ts: ts[3], data: []byte{}},                  // an empty record is a frame too
	}
}

func TestPcap(t *testing.T) {
	type build func(t *testing.T) ([]byte, []want)
	hand := func(order binary.ByteOrder, nanos bool, link uint32, ts []time.Time) build {
		return func(*testing.T) ([]byte, []want) { return handPcap(order, nanos, link, somePkts(ts)) }
	}
	withPcapgo := func(nanos bool, link layers.LinkType, ts []time.Time) build {
		return func(t *testing.T) ([]byte, []want) { return pcapgoFile(t, nanos, link, somePkts(ts)) }
	}
	tests := []struct {
		name  string
		build build
	}{
		{"little-endian micro (hand)", hand(binary.LittleEndian, false, 1, tMicro)},
		{"little-endian nano (hand)", hand(binary.LittleEndian, true, 1, tNano)},
		{"big-endian micro", hand(binary.BigEndian, false, 1, tMicro)},
		{"big-endian nano", hand(binary.BigEndian, true, 1, tNano)},
		{"big-endian raw IPv4 228", hand(binary.BigEndian, false, 228, tMicro)},
		{"big-endian SLL2 276", hand(binary.BigEndian, false, 276, tMicro)},
		{"little-endian SLL2 276", hand(binary.LittleEndian, true, 276, tNano)},
		{"little-endian null 0", hand(binary.LittleEndian, false, 0, tMicro)},
		{"pcapgo micro", withPcapgo(false, layers.LinkTypeEthernet, tMicro)},
		{"pcapgo nano", withPcapgo(true, layers.LinkTypeEthernet, tNano)},
		{"pcapgo raw 101", withPcapgo(false, layers.LinkTypeRaw, tMicro)},
		{"pcapgo linux SLL 113", withPcapgo(true, layers.LinkTypeLinuxSLL, tNano)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, ws := tc.build(t)
			for _, compressed := range []bool{false, true} {
				t.Run(fmt.Sprintf("gzip=%v", compressed), func(t *testing.T) {
					in := b
					if compressed {
						in = gz(t, b)
					}
					f, err := capture.NewReader(bytes.NewReader(in), "test.pcap", nil)
					if err != nil {
						t.Fatal(err)
					}
					if f.Format != capture.FormatPcap {
						t.Errorf("Format %q, want pcap", f.Format)
					}
					if f.Compressed != compressed {
						t.Errorf("Compressed %v, want %v", f.Compressed, compressed)
					}
					got, err := readAll(t, f)
					if err != nil {
						t.Fatalf("after %d records: %v", len(got), err)
					}
					checkRecords(t, got, ws)
					if f.BytesRead() != int64(len(b)) {
						t.Errorf("BytesRead %d at EOF, want the decompressed size %d", f.BytesRead(), len(b))
					}
				})
			}
		})
	}
}

// TestPcapOffsets pins the arithmetic: 24 for the first record, then
// 24+16+len for the next.
func TestPcapOffsets(t *testing.T) {
	lens := []int{0, 1, 60, 1514, 3, 9000}
	var pkts []pkt
	for i, l := range lens {
		pkts = append(pkts, pkt{ts: time.Unix(int64(i), 0), data: filler(byte(i), l)})
	}
	b, _ := pcapgoFile(t, false, layers.LinkTypeEthernet, pkts)
	f, err := capture.NewReader(bytes.NewReader(b), "offsets.pcap", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(lens) {
		t.Fatalf("%d records, want %d", len(got), len(lens))
	}
	off := int64(24)
	for i, r := range got {
		if r.Frame != i+1 {
			t.Errorf("record %d: Frame %d, want %d", i, r.Frame, i+1)
		}
		if r.Offset != off {
			t.Errorf("record %d: Offset %d, want %d", i, r.Offset, off)
		}
		off += 16 + int64(lens[i])
	}
}

func TestPcapNG(t *testing.T) {
	// pcapgo's NgWriter: Ethernet on interface 0, raw IPv4 (228) and
	// Linux SLL (113) added with AddInterface.
	t.Run("pcapgo two interfaces", func(t *testing.T) {
		var buf bytes.Buffer
		w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
		if err != nil {
			t.Fatal(err)
		}
		i1, err := w.AddInterface(pcapgo.NgInterface{Name: "raw4", LinkType: layers.LinkTypeIPv4})
		if err != nil {
			t.Fatal(err)
		}
		i2, err := w.AddInterface(pcapgo.NgInterface{Name: "sll", LinkType: layers.LinkTypeLinuxSLL})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		links := map[int]capture.LinkType{0: capture.LinkTypeEthernet, i1: capture.LinkTypeIPv4, i2: capture.LinkTypeLinuxSLL}
		order := []int{0, i1, i1, 0, i2, 0, i2, i1}
		var ws []want
		for i, iface := range order {
			data := filler(byte(i), 40+i*100)
			ts := tNano[i%len(tNano)]
			ws = append(ws, want{frame: i + 1, ts: ts, link: links[iface], data: data, orig: len(data) + i, offset: int64(buf.Len()), iface: iface})
			ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data) + i, InterfaceIndex: iface}
			if err := w.WritePacket(ci, data); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		ws[0].offset = -1 // the interface blocks come first: TestPcapNGRecordOffset
		for _, compressed := range []bool{false, true} {
			in := buf.Bytes()
			if compressed {
				in = gz(t, in)
			}
			f, err := capture.NewReader(bytes.NewReader(in), "ng.pcapng", nil)
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != capture.FormatPcapNG || f.Compressed != compressed {
				t.Errorf("Format %q Compressed %v, want pcapng %v", f.Format, f.Compressed, compressed)
			}
			got, err := readAll(t, f)
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, got, ws)
		}
	})

	// By hand: SLL2 (276) does not fit gopacket's byte-sized link type.
	for _, order := range []byteOrder{binary.LittleEndian, binary.BigEndian} {
		t.Run("hand Ethernet+raw+SLL2 "+order.String(), func(t *testing.T) {
			n := &ngBuilder{order: order}
			n.shb()
			n.idb(1, 65535, 0)   // 0: Ethernet, microseconds
			n.idb(101, 65535, 9) // 1: raw IP, nanoseconds
			n.idb(276, 262144, 6)
			type p struct {
				iface uint32
				ts    uint64
				t     time.Time
				data  []byte
				orig  int
			}
			ps := []p{
				{0, 1700000000123456, time.Unix(1700000000, 123456000), filler(1, 60), 60},
				{2, 1700000001000001, time.Unix(1700000001, 1000), filler(2, 77), 77},
				{1, 1700000002123456789, time.Unix(1700000002, 123456789), filler(3, 1500), 1500},
				{2, 1700000003000000, time.Unix(1700000003, 0), filler(4, 100), 2000},
				{0, 1700000004000007, time.Unix(1700000004, 7000), filler(5, 3), 3},
			}
			links := []capture.LinkType{capture.LinkTypeEthernet, capture.LinkTypeRaw, capture.LinkTypeLinuxSLL2}
			for _, q := range ps {
				n.epb(q.iface, q.ts, q.data, q.orig)
			}
			var ws []want
			for i, q := range ps {
				ws = append(ws, want{frame: i + 1, ts: q.t, link: links[q.iface], data: q.data, orig: q.orig, offset: n.epbs[i], iface: int(q.iface)})
			}
			ws[0].offset = -1 // TestPcapNGRecordOffset
			f, err := capture.NewReader(bytes.NewReader(n.b), "hand.pcapng", nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, f)
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, got, ws)
		})
	}

	// Blocks that are not packets (statistics, name resolution, unknown)
	// are no frames: frame numbers count packet records only, and a file
	// that ends with one ends cleanly.
	t.Run("non-packet blocks", func(t *testing.T) {
		n := &ngBuilder{order: binary.LittleEndian}
		n.shb()
		n.idb(1, 0, 0)
		n.epb(0, 1, filler(1, 10), 10)
		n.block(4, []byte{0, 0, 0, 0})                   // NRB, empty
		n.block(5, append(make([]byte, 12), 0, 0, 0, 0)) // ISB
		n.block(0x00000BAD, []byte("custom block"))      // custom
		n.epb(0, 2, filler(2, 11), 11)
		n.block(0x40000BAD, []byte{1, 2, 3, 4})
		n.epb(0, 3, filler(3, 12), 12)
		// dumpcap ends its files with interface statistics: still a
		// clean end, not a cut record.
		n.block(5, append(make([]byte, 12), 0, 0, 0, 0))
		f, err := capture.NewReader(bytes.NewReader(n.b), "blocks.pcapng", nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("%d records, want 3", len(got))
		}
		for i, r := range got {
			if r.Frame != i+1 || r.Time.UnixMicro() != int64(i+1) || len(r.Data) != 10+i {
				t.Errorf("record %d: Frame %d time %dµs len %d, want %d %d %d", i, r.Frame, r.Time.UnixMicro(), len(r.Data), i+1, i+1, 10+i)
			}
		}
	})
}

// cutCase is a capture file with records; cut marks where the file is cut.
type cutCase struct {
	name    string
	file    []byte
	offsets []int64 // offset of each record
	// firstUnchecked: the first record's offset is left to
	// TestPcapNGRecordOffset.
	firstUnchecked bool
}

func cutCases(t *testing.T) []cutCase {
	pkts := []pkt{
		{ts: time.Unix(1, 0), data: filler(1, 100)},
		{ts: time.Unix(2, 0), data: filler(2, 200)},
		{ts: time.Unix(3, 0), data: filler(3, 300)},
	}
	var cs []cutCase
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b, ws := handPcap(order, false, 1, pkts)
		c := cutCase{name: "pcap " + order.String(), file: b}
		for _, w := range ws {
			c.offsets = append(c.offsets, w.offset)
		}
		cs = append(cs, c)
	}
	n := &ngBuilder{order: binary.LittleEndian}
	n.shb()
	n.idb(1, 0, 0)
	for i, p := range pkts {
		n.epb(0, uint64(i), p.data, len(p.data))
	}
	cs = append(cs, cutCase{name: "pcapng", file: n.b, offsets: n.epbs, firstUnchecked: true})
	return cs
}

func TestCutFile(t *testing.T) {
	for _, c := range cutCases(t) {
		// Cut inside the last record's header, just after it, and inside
		// its data; cut inside the second record.
		last := c.offsets[2]
		cuts := []struct {
			at   int64
			good int // records before the cut
		}{
			{last + 1, 2},
			{last + 8, 2},
			{last + 20, 2},
			{last + 60, 2},
			{int64(len(c.file)) - 1, 2},
			{c.offsets[1] + 30, 1},
			{c.offsets[0] + 3, 0},
		}
		for _, cut := range cuts {
			for _, compressed := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/cut at %d/gzip=%v", c.name, cut.at, compressed), func(t *testing.T) {
					in := c.file[:cut.at]
					if compressed {
						in = gz(t, in)
					}
					f, err := capture.NewReader(bytes.NewReader(in), "cut.cap", nil)
					if err != nil {
						t.Fatal(err)
					}
					got, err := readAll(t, f)
					if len(got) != cut.good {
						t.Fatalf("%d good records before the error, want %d", len(got), cut.good)
					}
					var ce *capture.Error
					if !errors.As(err, &ce) {
						t.Fatalf("error %v (%T), want *capture.Error", err, err)
					}
					if ce.Frame != cut.good+1 {
						t.Errorf("error names frame %d, want %d", ce.Frame, cut.good+1)
					}
					msg := err.Error()
					if !strings.Contains(msg, "cut.cap") || !strings.Contains(msg, fmt.Sprintf("frame %d", cut.good+1)) {
						t.Errorf("message %q lacks the file or frame", msg)
					}
					if cut.good == 0 && c.firstUnchecked {
						return
					}
					if ce.Offset != c.offsets[cut.good] {
						t.Errorf("error names offset %d, want %d (the cut record)", ce.Offset, c.offsets[cut.good])
					}
					if !strings.Contains(msg, fmt.Sprintf("offset %d", c.offsets[cut.good])) {
						t.Errorf("message %q lacks the offset", msg)
					}
				})
			}
		}
		// Cut exactly at a record boundary: a clean end.
		t.Run(c.name+"/cut at boundary", func(t *testing.T) {
			f, err := capture.NewReader(bytes.NewReader(c.file[:last]), "cut.cap", nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := readAll(t, f)
			if err != nil || len(got) != 2 {
				t.Fatalf("%d records, error %v; want 2 and io.EOF", len(got), err)
			}
		})
	}
}

func TestNotCapture(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content []byte
		notCap  bool // must wrap ErrNotCapture
	}{
		{"hello.txt", []byte("hello world\n"), true},
		{"empty.pcap", nil, true},
		{"three.pcap", []byte{0xd4, 0xc3, 0xb2}, true},
		{"one.pcap", []byte{0x0a}, true},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"), true},
		{"hello.gz", gz(t, []byte("hello world\n")), true},
		{"empty.gz", gz(t, nil), true},
		{"short-header.pcap", pcapHeader(binary.LittleEndian, false, 65535, 1)[:20], false},
		{"bad-gzip.gz", []byte{0x1f, 0x8b, 0, 0, 0, 0}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := capture.Open(path)
			if err == nil {
				f.Close()
				t.Fatal("Open succeeded")
			}
			if tc.notCap && !errors.Is(err, capture.ErrNotCapture) {
				t.Errorf("error %q does not wrap ErrNotCapture", err)
			}
			var ce *capture.Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T, want *capture.Error", err)
			} else if ce.File != path || ce.Frame != 0 {
				t.Errorf("Error{File %q, Frame %d}, want %q, 0", ce.File, ce.Frame, path)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("message %q does not name the file", err)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := capture.Open(filepath.Join(dir, "does-not-exist.pcap"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("error %v, want os.ErrNotExist", err)
		}
	})
}

func TestAbsurdRecordLength(t *testing.T) {
	good := filler(9, 50)
	tests := []struct {
		name    string
		snaplen uint32
		caplen  uint32
		wantErr bool
	}{
		{"beyond 262144, snaplen 65535", 65535, 262145, true},
		{"huge, snaplen 65535", 65535, 0x7fffffff, true},
		{"beyond 262144, snaplen 262144", 262144, 300000, true},
		// Writers that declare a snaplen too small are common; the reader
		// allows up to 262144 anyway.
		{"above the declared snaplen but sane", 1500, 9000, false},
		{"exactly 262144", 65535, 262144, false},
	}
	for _, tc := range tests {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			t.Run(tc.name+"/"+order.String(), func(t *testing.T) {
				b := pcapHeader(order, false, tc.snaplen, 1)
				b = append(b, pcapRecord(order, false, pkt{ts: time.Unix(1, 0), data: good})...)
				off := int64(len(b))
				h := make([]byte, 16)
				order.PutUint32(h[0:4], 2)
				order.PutUint32(h[8:12], tc.caplen)
				order.PutUint32(h[12:16], tc.caplen)
				b = append(b, h...)
				if !tc.wantErr {
					b = append(b, filler(3, int(tc.caplen))...)
				} else {
					b = append(b, filler(3, 100)...)
				}
				f, err := capture.NewReader(bytes.NewReader(b), "absurd.pcap", nil)
				if err != nil {
					t.Fatal(err)
				}
				got, err := readAll(t, f)
				if !tc.wantErr {
					if err != nil || len(got) != 2 || len(got[1].Data) != int(tc.caplen) {
						t.Fatalf("%d records, error %v; want 2 with the second of %d bytes", len(got), err, tc.caplen)
					}
					return
				}
				if len(got) != 1 {
					t.Fatalf("%d records before the error, want 1", len(got))
				}
				var ce *capture.Error
				if !errors.As(err, &ce) {
					t.Fatalf("error %v (%T), want *capture.Error", err, err)
				}
				if ce.Frame != 2 || ce.Offset != off {
					t.Errorf("error at frame %d offset %d, want frame 2 offset %d", ce.Frame, ce.Offset, off)
				}
			})
		}
	}
	t.Run("pcapng", func(t *testing.T) {
		n := &ngBuilder{order: binary.LittleEndian}
		n.shb()
		n.idb(1, 0, 0)
		n.epb(0, 1, good, len(good))
		n.epb(0, 2, filler(1, 300000), 300000)
		f, err := capture.NewReader(bytes.NewReader(n.b), "absurd.pcapng", nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, f)
		if len(got) != 1 {
			t.Fatalf("%d records before the error, want 1", len(got))
		}
		var ce *capture.Error
		if !errors.As(err, &ce) || ce.Frame != 2 || ce.Offset != n.epbs[1] {
			t.Errorf("error %v, want a *capture.Error at frame 2 offset %d", err, n.epbs[1])
		}
	})
}

// TestStreams reads through readers that are not files: a bytes.Reader,
// a reader that returns one byte at a time, and a pipe.
func TestStreams(t *testing.T) {
	pcapB, pcapW := handPcap(binary.LittleEndian, true, 1, somePkts(tNano))
	n := &ngBuilder{order: binary.BigEndian}
	n.shb()
	n.idb(276, 0, 9)
	var ngW []want
	for i, p := range somePkts(tNano) {
		n.epb(0, uint64(p.ts.UnixNano()), p.data, p.origLen())
		ngW = append(ngW, want{frame: i + 1, ts: p.ts, link: capture.LinkTypeLinuxSLL2, data: p.data, orig: p.origLen(), offset: n.epbs[i]})
	}
	ngW[0].offset = -1 // TestPcapNGRecordOffset
	files := []struct {
		name string
		b    []byte
		ws   []want
	}{
		{"pcap", pcapB, pcapW},
		{"pcapng", n.b, ngW},
	}
	readers := []struct {
		name string
		wrap func(b []byte) io.Reader
	}{
		{"bytes.Reader", func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"one byte at a time", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
		{"half reads", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }},
		{"data with EOF", func(b []byte) io.Reader { return iotest.DataErrReader(bytes.NewReader(b)) }},
		{"pipe", func(b []byte) io.Reader {
			pr, pw := io.Pipe()
			go func() {
				for len(b) > 0 {
					n := min(len(b), 7)
					if _, err := pw.Write(b[:n]); err != nil {
						return
					}
					b = b[n:]
				}
				pw.Close()
			}()
			return pr
		}},
	}
	for _, file := range files {
		for _, r := range readers {
			for _, compressed := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/gzip=%v", file.name, r.name, compressed), func(t *testing.T) {
					in := file.b
					if compressed {
						in = gz(t, in)
					}
					f, err := capture.NewReader(r.wrap(in), "<stream>", nil)
					if err != nil {
						t.Fatal(err)
					}
					got, err := readAll(t, f)
					if err != nil {
						t.Fatal(err)
					}
					checkRecords(t, got, file.ws)
				})
			}
		}
	}
}

type closeCounter struct{ n int }

func (c *closeCounter) Close() error { c.n++; return nil }

func TestClose(t *testing.T) {
	b, _ := handPcap(binary.LittleEndian, false, 1, somePkts(tMicro))
	cc := &closeCounter{}
	f, err := capture.NewReader(bytes.NewReader(b), "x", cc)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil || cc.n != 1 {
		t.Errorf("Close: err %v, closer called %d times; want nil, 1", err, cc.n)
	}
	f, err = capture.NewReader(bytes.NewReader(b), "x", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("Close with a nil closer: %v", err)
	}

	path := filepath.Join(t.TempDir(), "c.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err = capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != path {
		t.Errorf("Name %q, want %q", f.Name, path)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err == nil {
		t.Error("second Close of an opened file succeeded: the file was not closed by the first")
	}
}

// TestOpenStdin reads "-" from standard input.
func TestOpenStdin(t *testing.T) {
	b, ws := handPcap(binary.BigEndian, true, 229, somePkts(tNano))
	path := filepath.Join(t.TempDir(), "stdin.pcap")
	if err := os.WriteFile(path, gz(t, b), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	old := os.Stdin
	os.Stdin = in
	defer func() { os.Stdin = old }()
	f, err := capture.Open("-")
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "<stdin>" || !f.Compressed {
		t.Errorf("Name %q Compressed %v, want <stdin> true", f.Name, f.Compressed)
	}
	got, err := readAll(t, f)
	if err != nil {
		t.Fatal(err)
	}
	checkRecords(t, got, ws)
}

func TestErrorMessage(t *testing.T) {
	e := &capture.Error{File: "a.pcap", Frame: 7, Offset: 1234, Err: io.ErrUnexpectedEOF}
	if got, want := e.Error(), "a.pcap: frame 7 at byte offset 1234: unexpected EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Error("Unwrap does not reach the cause")
	}
	e = &capture.Error{File: "a.pcap", Offset: 0, Err: capture.ErrNotCapture}
	if got, want := e.Error(), "a.pcap: byte offset 0: not a pcap or pcapng capture"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestPcapNGTimestampResolution covers if_tsresol: powers of ten and of
// two, and hostile exponents that must be an error or a record, not a panic.
func TestPcapNGTimestampResolution(t *testing.T) {
	tests := []struct {
		name    string
		tsresol uint8
		ts      uint64
		want    time.Time
		hostile bool
	}{
		{"milliseconds", 3, 1700000000123, time.Unix(1700000000, 123000000), false},
		{"microseconds (default)", 0, 1700000000123456, time.Unix(1700000000, 123456000), false},
		{"microseconds", 6, 1700000000123456, time.Unix(1700000000, 123456000), false},
		{"nanoseconds", 9, 1700000000123456789, time.Unix(1700000000, 123456789), false},
		{"2^-10 s", 0x80 | 10, 1700000000<<10 | 512, time.Unix(1700000000, 500000000), false},
		{"2^-20 s", 0x80 | 20, 1700000000<<20 | 3<<18, time.Unix(1700000000, 750000000), false},
		{"10^-19 s", 19, 1, time.Time{}, true},
		{"10^-64 s", 64, 1, time.Time{}, true},
		{"10^-127 s", 127, 1, time.Time{}, true},
		{"2^-64 s", 0x80 | 64, 1, time.Time{}, true},
		{"2^-127 s", 0xff, 1, time.Time{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := &ngBuilder{order: binary.LittleEndian}
			n.shb()
			n.idb(1, 0, tc.tsresol)
			n.epb(0, tc.ts, filler(1, 60), 60)
			var got []capture.Record
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic reading a pcapng with if_tsresol %#x: %v", tc.tsresol, r)
					}
				}()
				var f *capture.File
				f, err = capture.NewReader(bytes.NewReader(n.b), "tsresol.pcapng", nil)
				if err == nil {
					got, err = readAll(t, f)
				}
			}()
			if tc.hostile {
				return // any outcome but a panic
			}
			if err != nil || len(got) != 1 {
				t.Fatalf("%d records, error %v", len(got), err)
			}
			// pcapgo scales binary fractions by an integer factor
			// (1e9/1024 = 976562), which loses up to a microsecond.
			if d := got[0].Time.Sub(tc.want); d < -time.Microsecond || d > time.Microsecond {
				t.Errorf("Time %v, want %v", got[0].Time.Format(time.RFC3339Nano), tc.want.Format(time.RFC3339Nano))
			}
		})
	}
}

// allocCases are capture files whose headers declare huge lengths.
func allocCases() []struct {
	name string
	file []byte
} {
	pcapWith := func(snaplen, caplen uint32) []byte {
		b := pcapHeader(binary.LittleEndian, false, snaplen, 1)
		b = append(b, pcapRecord(binary.LittleEndian, false, pkt{ts: time.Unix(1, 0), data: filler(1, 60)})...)
		if caplen != 0 {
			h := make([]byte, 16)
			binary.LittleEndian.PutUint32(h[8:12], caplen)
			binary.LittleEndian.PutUint32(h[12:16], caplen)
			b = append(append(b, h...), filler(2, 100)...)
		}
		return b
	}
	ngWith := func(snaplen, caplen uint32) []byte {
		n := &ngBuilder{order: binary.LittleEndian}
		n.shb()
		n.idb(1, snaplen, 0)
		n.epb(0, 1, filler(1, 60), 60)
		if caplen != 0 {
			body := binary.LittleEndian.AppendUint32(nil, 0)
			body = binary.LittleEndian.AppendUint32(body, 0)
			body = binary.LittleEndian.AppendUint32(body, 2)
			body = binary.LittleEndian.AppendUint32(body, caplen)
			body = binary.LittleEndian.AppendUint32(body, caplen)
			n.block(6, append(body, filler(2, 100)...))
		}
		return n.b
	}
	return []struct {
		name string
		file []byte
	}{
		{"pcap snaplen 0xffffffff", pcapWith(0xffffffff, 0)},
		{"pcap snaplen 0xffffffff, record 0xfffffff0", pcapWith(0xffffffff, 0xfffffff0)},
		{"pcapng if_snaplen 0xffffffff", ngWith(0xffffffff, 0)},
		{"pcapng record 0xfffffff0", ngWith(0, 0xfffffff0)},
	}
}

// TestBoundedAllocation: a length field in a header must not make the
// reader allocate more than the largest record it accepts (262144 bytes,
// plus buffers), whatever the file declares. Each case runs in a child
// process whose address space is capped (on Linux), so a reader that
// allocates gigabytes fails fast instead of paging them in.
func TestBoundedAllocation(t *testing.T) {
	const limit = 16 << 20
	cases := allocCases()
	if c := os.Getenv("CAPTURE_TEST_ALLOC_CASE"); c != "" {
		i, err := strconv.Atoi(c)
		if err != nil || i < 0 || i >= len(cases) {
			t.Fatalf("bad CAPTURE_TEST_ALLOC_CASE %q", c)
		}
		if err := limitAddressSpace(1 << 30); err != nil {
			t.Log(err)
		}
		tc := cases[i]
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f, err := capture.NewReader(bytes.NewReader(tc.file), "alloc.cap", nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAll(t, f)
		runtime.ReadMemStats(&after)
		if len(got) < 1 {
			t.Errorf("the good first record was not read (error %v)", err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > limit {
			t.Errorf("reading a %d-byte file allocated %d MiB", len(tc.file), n>>20)
		}
		return
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBoundedAllocation$", "-test.v")
			cmd.Env = append(os.Environ(), fmt.Sprintf("CAPTURE_TEST_ALLOC_CASE=%d", i))
			out, err := cmd.CombinedOutput()
			if err != nil {
				var why []string
				for _, l := range strings.Split(string(out), "\n") {
					if strings.Contains(l, "out of memory") || strings.Contains(l, "pcapgo.") ||
						strings.Contains(l, "capture.") || strings.Contains(l, "_test.go") {
						why = append(why, strings.TrimSpace(l))
					}
				}
				t.Errorf("reading a %d-byte file with at most 1 GiB of address space to spare failed (%v):\n%s",
					len(tc.file), err, strings.Join(why[:min(len(why), 8)], "\n"))
			}
		})
	}
}

// TestPcapNGRecordOffset: a pcapng record's Offset is where its packet
// block starts, not where the reader happened to be before it (interface
// description or statistics blocks in between are not the record).
func TestPcapNGRecordOffset(t *testing.T) {
	n := &ngBuilder{order: binary.LittleEndian}
	n.shb()
	n.idb(1, 0, 0)
	n.epb(0, 1, filler(1, 61), 61)
	n.block(5, append(make([]byte, 12), 0, 0, 0, 0)) // interface statistics
	n.epb(0, 2, filler(2, 62), 62)
	n.idb(101, 0, 0)
	n.epb(1, 3, filler(3, 63), 63)
	n.epb(0, 4, filler(4, 64), 64)
	cut := n.epbs[3] + 20
	n.block(0x00000BAD, []byte("custom"))
	f, err := capture.NewReader(bytes.NewReader(n.b[:cut]), "offsets.pcapng", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, f)
	if len(got) != 3 {
		t.Fatalf("%d records (error %v), want 3", len(got), err)
	}
	for i, r := range got {
		if r.Offset != n.epbs[i] {
			t.Errorf("frame %d: Offset %d, want %d (its enhanced packet block)", r.Frame, r.Offset, n.epbs[i])
		}
	}
	var ce *capture.Error
	if !errors.As(err, &ce) || ce.Frame != 4 || ce.Offset != n.epbs[3] {
		t.Errorf("error %v, want frame 4 at offset %d", err, n.epbs[3])
	}
}
