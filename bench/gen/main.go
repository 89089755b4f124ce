// Command gen writes a deterministic, realistic, large IPsec capture for
// benchmarking ipsecpcap: hundreds of tunnels between peers in 198.18.0.0/15,
// IKEv1 (Main Mode + Quick Mode) and IKEv2 (IKE_SA_INIT, IKE_AUTH,
// CREATE_CHILD_SA, INFORMATIONAL) negotiations, some of them failing
// (NO_PROPOSAL_CHOSEN, an unanswered and retransmitted MM1, INVALID_KE_PAYLOAD
// followed by a retry), retransmissions, millions of ESP packets both ways
// (raw and UDP/4500 encapsulated, with sequence gaps and replays), NAT-T
// keepalives and unrelated TCP/UDP traffic.
//
//	go run ./bench/gen -o FILE [-size 2GB | -packets N] [-tunnels N] [-format pcap|pcapng] [-seed S]
//
// The same flags always give the same bytes. The file is streamed through a
// buffered writer: memory use does not depend on its size.
package main

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

func main() {
	out := flag.String("o", "", "output file (required)")
	size := flag.String("size", "", "target file size, e.g. 200MB, 2GB (decimal units: 1MB = 10^6 bytes); default 2GB unless -packets is given")
	packets := flag.Int64("packets", 0, "number of packets to write instead of a size")
	format := flag.String("format", "pcap", "pcap or pcapng")
	seed := flag.Uint64("seed", 1, "random seed; the same seed gives the same file")
	quiet := flag.Bool("q", false, "do not print a summary on stderr")
	tunnels := flag.Int("tunnels", 0, "number of tunnels (default: one per ~600 packets, at most 400)")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -o FILE [-size 2GB|-packets N] [-format pcap|pcapng] [-seed S]")
		os.Exit(2)
	}
	cfg := Config{Format: *format, Seed: *seed, Packets: *packets, Tunnels: *tunnels}
	if *size != "" || *packets == 0 {
		s := *size
		if s == "" {
			s = "2GB"
		}
		n, err := ParseSize(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(2)
		}
		cfg.Size = n
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	start := time.Now()
	st, err := Generate(f, cfg)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if !*quiet {
		fmt.Fprintf(os.Stderr, "gen: %s: %d bytes, %d packets (%d ESP, %d IKE, %d keepalive, %d other), %d tunnels, %.1fs\n",
			*out, st.Bytes, st.Packets, st.ESP, st.IKE, st.Keepalive, st.Other, st.Tunnels, time.Since(start).Seconds())
	}
}

// ParseSize parses "2GB", "200MB", "512KB", "1500" (decimal units; a
// trailing "iB" means binary units).
func ParseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, x := range []struct {
		suf string
		m   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1e9}, {"M", 1e6}, {"K", 1e3}, {"B", 1}} {
		if strings.HasSuffix(u, x.suf) {
			u, mult = strings.TrimSuffix(u, x.suf), x.m
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(u), 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return int64(v * float64(mult)), nil
}

// Config says what to generate. Size (bytes) or Packets bounds the file.
type Config struct {
	Format  string // "pcap" (default) or "pcapng"
	Seed    uint64
	Size    int64
	Packets int64
	// Tunnels, when set, is the number of tunnels instead of one per ~600
	// packets up to 400: a big concentrator's mirror port (the metrics
	// endpoint's 10 000 tunnels, docs/sensors.md).
	Tunnels int
}

// Stats counts what was written.
type Stats struct {
	Bytes, Packets             int64
	ESP, IKE, Keepalive, Other int64
	Tunnels, Negotiations      int
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// avgFrame is the expected mean frame size, used to turn a size into an
// expected packet count for scheduling negotiations over the file.
const avgFrame = 830

// maxFrame keeps every frame within 60..1500 bytes.
const maxFrame = 1500

// Generate writes a capture to w.
func Generate(w io.Writer, cfg Config) (Stats, error) {
	if cfg.Size <= 0 && cfg.Packets <= 0 {
		return Stats{}, errors.New("need a size or a packet count")
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	cw := &countWriter{w: bw}
	var write func(ci gopacket.CaptureInfo, data []byte) error
	var flush func() error
	switch cfg.Format {
	case "", "pcap":
		pw := pcapgo.NewWriter(cw)
		if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
			return Stats{}, err
		}
		write, flush = pw.WritePacket, func() error { return nil }
	case "pcapng":
		// Fixed section and interface options: no host-dependent strings.
		nw, err := pcapgo.NewNgWriterInterface(cw, pcapgo.NgInterface{
			Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: 65535,
			TimestampResolution: 6,
		}, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "ipsecpcap bench/gen"}})
		if err != nil {
			return Stats{}, err
		}
		write, flush = nw.WritePacket, nw.Flush
	default:
		return Stats{}, fmt.Errorf("unknown format %q (pcap or pcapng)", cfg.Format)
	}
	g := newGen(cfg)
	for !g.done(cw.n) {
		frame := g.next()
		ci := gopacket.CaptureInfo{Timestamp: g.now, CaptureLength: len(frame), Length: len(frame)}
		if err := write(ci, frame); err != nil {
			return g.st, err
		}
		g.st.Packets++
	}
	if err := flush(); err != nil {
		return g.st, err
	}
	if err := bw.Flush(); err != nil {
		return g.st, err
	}
	g.st.Bytes = cw.n
	return g.st, nil
}

// ikeMsg is one prepared IKE datagram of a negotiation script.
type ikeMsg struct {
	fromInit bool
	natt     bool // sent on 4500 with the non-ESP marker
	data     []byte
}

type sa struct {
	spi uint32
	seq uint32
}

type tunnel struct {
	init, resp   [4]byte
	iPort, iNATT uint16 // initiator's source ports for 500 and 4500 (NATed: high ports)
	nat          bool
	v2           bool
	up           bool
	start        int64 // packet index at which the first negotiation starts
	script       []ikeMsg
	pos          int
	iSPI, rSPI   uint64
	msgID        uint32 // IKEv2 next message ID of the initiator
	out, in      sa     // out: initiator -> responder
	weight       int
	failed       bool
	rekeys       int
}

type gen struct {
	cfg       Config
	rng       *rand.Rand
	st        Stats
	now       time.Time
	pool      []byte // random bytes to copy payloads from
	buf       []byte
	ipID      uint16
	expected  int64
	tunnels   []*tunnel
	active    []*tunnel // tunnels with a negotiation in progress
	up        []*tunnel
	waiting   []*tunnel // sorted by start
	nextRekey int64
}

func newGen(cfg Config) *gen {
	g := &gen{
		cfg:  cfg,
		rng:  rand.New(rand.NewPCG(cfg.Seed, 0x1b5ecca9)),
		now:  time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		pool: make([]byte, 1<<16),
		buf:  make([]byte, 2048),
	}
	for i := 0; i+8 <= len(g.pool); i += 8 {
		binary.LittleEndian.PutUint64(g.pool[i:], g.rng.Uint64())
	}
	g.expected = cfg.Packets
	if g.expected <= 0 {
		g.expected = cfg.Size / avgFrame
	}
	// Enough packets (>= ~240k, about 200 MB) give the full 400 tunnels, so
	// that 200 MB and 2 GB captures differ only in traffic volume.
	n := int(g.expected / 600)
	n = max(4, min(n, 400))
	if cfg.Tunnels > 0 {
		n = cfg.Tunnels
	}
	g.st.Tunnels = n
	for i := 0; i < n; i++ {
		t := &tunnel{
			init:   [4]byte{198, 18, byte(i / 250), byte(1 + i%250)},
			resp:   [4]byte{198, 19, byte(i % 7), byte(1 + i%113)},
			iPort:  500,
			iNATT:  4500,
			nat:    g.rng.IntN(4) == 0,
			v2:     g.rng.IntN(3) != 0,
			weight: 1 + g.rng.IntN(20),
		}
		if t.nat {
			t.iPort = uint16(1024 + g.rng.IntN(60000))
			t.iNATT = t.iPort + 1
		}
		// A third of the tunnels come up in the first percent of the
		// capture, the rest somewhere in its first half.
		if g.rng.IntN(3) == 0 {
			t.start = g.rng.Int64N(max(1, g.expected/100))
		} else {
			t.start = g.rng.Int64N(max(1, g.expected/2))
		}
		if i == 0 {
			t.start = 0
		}
		g.tunnels = append(g.tunnels, t)
		g.firstNegotiation(t)
	}
	g.waiting = append([]*tunnel(nil), g.tunnels...)
	slices.SortStableFunc(g.waiting, func(x, y *tunnel) int { return cmp.Compare(x.start, y.start) })
	g.nextRekey = g.expected / 50
	return g
}

func (g *gen) done(written int64) bool {
	if g.cfg.Packets > 0 {
		return g.st.Packets >= g.cfg.Packets
	}
	return written >= g.cfg.Size
}

// next advances the clock and returns the next frame (valid until the next call).
func (g *gen) next() []byte {
	g.now = g.now.Add(time.Duration(5+g.rng.IntN(400)) * time.Microsecond)
	i := g.st.Packets
	for len(g.waiting) > 0 && g.waiting[0].start <= i {
		g.active = append(g.active, g.waiting[0])
		g.waiting = g.waiting[1:]
	}
	if i >= g.nextRekey && len(g.up) > 0 {
		g.nextRekey = i + max(1, g.expected/int64(2*len(g.tunnels)+1))
		t := g.up[g.rng.IntN(len(g.up))]
		if t.pos >= len(t.script) {
			g.rekey(t)
			g.startScript(t)
		}
	}
	r := g.rng.IntN(1000)
	switch {
	case len(g.active) > 0 && (r < 30 || len(g.up) == 0):
		return g.ikeStep()
	case r >= 990 || len(g.up) == 0:
		return g.other()
	case r >= 988:
		return g.keepalive()
	}
	return g.esp()
}

// ---- IKE scripts ----

func (g *gen) firstNegotiation(t *tunnel) {
	g.st.Negotiations++
	t.iSPI, t.rSPI = g.rng.Uint64()|1, g.rng.Uint64()|1
	fail := g.rng.IntN(40)
	if t.v2 {
		switch {
		case fail == 0: // NO_PROPOSAL_CHOSEN in the clear
			t.failed = true
			req := g.v2SAInit(t, true, 0, 19)
			t.script = append(t.script, ikeMsg{fromInit: true, data: req})
			t.script = append(t.script, ikeMsg{data: v2Header(t.iSPI, 0, 41, 34, 0x20, 0,
				chain([]pl{{41, v2Notify(0, 14, nil)}}))})
			return
		case fail <= 4: // INVALID_KE_PAYLOAD then a retry with the group asked for
			req := g.v2SAInit(t, true, 0, 31)
			t.script = append(t.script, ikeMsg{fromInit: true, data: req})
			t.script = append(t.script, ikeMsg{data: v2Header(t.iSPI, 0, 41, 34, 0x20, 0,
				chain([]pl{{41, v2Notify(0, 17, []byte{0, 19})}}))})
			t.iSPI = g.rng.Uint64() | 1
		}
		req := g.v2SAInit(t, true, 0, 19)
		resp := g.v2SAInit(t, false, t.rSPI, 19)
		t.script = append(t.script, ikeMsg{fromInit: true, data: req})
		if g.rng.IntN(10) == 0 { // retransmitted request
			t.script = append(t.script, ikeMsg{fromInit: true, data: req})
		}
		t.script = append(t.script, ikeMsg{data: resp})
		authReq := g.v2SK(t, 35, 1, 0x08, 35, 280+g.rng.IntN(300))
		authResp := g.v2SK(t, 35, 1, 0x20, 36, 220+g.rng.IntN(200))
		t.script = append(t.script, ikeMsg{fromInit: true, natt: t.nat, data: authReq})
		if g.rng.IntN(8) == 0 {
			t.script = append(t.script, ikeMsg{fromInit: true, natt: t.nat, data: authReq})
		}
		t.script = append(t.script, ikeMsg{natt: t.nat, data: authResp})
		t.msgID = 2
		return
	}
	// IKEv1
	switch {
	case fail == 0: // NO_PROPOSAL_CHOSEN in the clear
		t.failed = true
		t.script = append(t.script, ikeMsg{fromInit: true, data: g.v1MM(t, 1)})
		t.script = append(t.script, ikeMsg{data: v1Header(t.iSPI, 0, 11, 5, 0, 0,
			chain([]pl{{11, v1Notify(14)}}))})
		return
	case fail <= 2: // MM1 never answered, retransmitted
		t.failed = true
		mm1 := g.v1MM(t, 1)
		for k := 0; k < 4; k++ {
			t.script = append(t.script, ikeMsg{fromInit: true, data: mm1})
		}
		return
	}
	for k := 1; k <= 6; k++ {
		m := ikeMsg{fromInit: k%2 == 1, natt: t.nat && k >= 5, data: g.v1MM(t, k)}
		t.script = append(t.script, m)
		if k == 5 && g.rng.IntN(10) == 0 {
			t.script = append(t.script, m)
		}
	}
	g.v1QM(t)
}

func (g *gen) rekey(t *tunnel) {
	g.st.Negotiations++
	t.script, t.pos = t.script[:0], 0
	t.rekeys++
	if t.v2 {
		if g.rng.IntN(3) == 0 { // liveness check
			t.script = append(t.script,
				ikeMsg{fromInit: true, natt: t.nat, data: g.v2SK(t, 37, t.msgID, 0x08, 0, 0)},
				ikeMsg{natt: t.nat, data: g.v2SK(t, 37, t.msgID, 0x20, 0, 0)})
			t.msgID++
			return
		}
		req := g.v2SK(t, 36, t.msgID, 0x08, 33, 200+g.rng.IntN(250))
		t.script = append(t.script, ikeMsg{fromInit: true, natt: t.nat, data: req})
		if g.rng.IntN(10) == 0 {
			t.script = append(t.script, ikeMsg{fromInit: true, natt: t.nat, data: req})
		}
		t.script = append(t.script, ikeMsg{natt: t.nat, data: g.v2SK(t, 36, t.msgID, 0x20, 33, 200+g.rng.IntN(200))})
		t.msgID++
		return
	}
	g.v1QM(t)
}

func (g *gen) v1QM(t *tunnel) {
	id := g.rng.Uint32() | 1
	for k := 0; k < 3; k++ {
		n := 16 * (10 + g.rng.IntN(12))
		if k == 2 {
			n = 48
		}
		body := g.random(n)
		t.script = append(t.script, ikeMsg{fromInit: k != 1, natt: t.nat,
			data: v1Header(t.iSPI, t.rSPI, 8, 32, 0x01, id, body)})
	}
}

func (g *gen) random(n int) []byte {
	b := make([]byte, n)
	g.fill(b)
	return b
}

func (g *gen) fill(b []byte) {
	for len(b) > 0 {
		off := g.rng.IntN(len(g.pool) - 1)
		n := copy(b, g.pool[off:])
		b = b[n:]
	}
}

// v1MM builds Main Mode message k (1..6).
func (g *gen) v1MM(t *tunnel, k int) []byte {
	rspi := t.rSPI
	if k == 1 {
		rspi = 0
	}
	switch k {
	case 1, 2:
		ntr := 1
		if k == 1 {
			ntr = 1 + g.rng.IntN(4)
		}
		var trs []byte
		for i := 0; i < ntr; i++ {
			next := byte(3)
			if i == ntr-1 {
				next = 0
			}
			attrs := tv(nil, 1, []uint16{7, 5}[i%2]) // AES-CBC, 3DES
			if i%2 == 0 {
				attrs = tv(attrs, 14, 256)
			}
			attrs = tv(attrs, 2, []uint16{2, 4, 1}[i%3])  // SHA, SHA2-256, MD5
			attrs = tv(attrs, 3, 1)                       // pre-shared key
			attrs = tv(attrs, 4, []uint16{14, 2, 5}[i%3]) // group
			attrs = tv(attrs, 11, 1)
			attrs = tv(attrs, 12, 28800)
			tr := append([]byte{next, 0, 0, 0, byte(i + 1), 1, 0, 0}, attrs...)
			binary.BigEndian.PutUint16(tr[2:], uint16(len(tr)))
			trs = append(trs, tr...)
		}
		prop := append([]byte{0, 0, 0, 0, 1, 1, 0, byte(ntr)}, trs...)
		binary.BigEndian.PutUint16(prop[2:], uint16(len(prop)))
		sa := append([]byte{0, 0, 0, 1, 0, 0, 0, 1}, prop...)
		vid := g.random(16)
		return v1Header(t.iSPI, rspi, 1, 2, 0, 0, chain([]pl{{1, sa}, {13, vid}, {13, g.random(16)}}))
	case 3, 4:
		return v1Header(t.iSPI, rspi, 4, 2, 0, 0, chain([]pl{
			{4, g.random(256)}, {10, g.random(32)}, {20, g.random(20)}, {20, g.random(20)}}))
	default: // 5, 6: encrypted ID/HASH
		return v1Header(t.iSPI, rspi, 5, 2, 0x01, 0, g.random(16*(4+g.rng.IntN(4))))
	}
}

func (g *gen) v2SAInit(t *tunnel, req bool, rspi uint64, group uint16) []byte {
	var trs []byte
	type trf struct {
		typ  byte
		id   uint16
		klen uint16
	}
	list := []trf{{1, 20, 256}, {2, 7, 0}, {4, group, 0}}
	if req {
		list = []trf{{1, 20, 256}, {1, 12, 256}, {2, 7, 0}, {2, 5, 0}, {3, 12, 0}, {4, group, 0}, {4, 14, 0}}
	}
	for i, x := range list {
		next := byte(3)
		if i == len(list)-1 {
			next = 0
		}
		tr := []byte{next, 0, 0, 0, x.typ, 0, byte(x.id >> 8), byte(x.id)}
		if x.klen != 0 {
			tr = tv(tr, 14, x.klen)
		}
		binary.BigEndian.PutUint16(tr[2:], uint16(len(tr)))
		trs = append(trs, tr...)
	}
	prop := append([]byte{0, 0, 0, 0, 1, 1, 0, byte(len(list))}, trs...)
	binary.BigEndian.PutUint16(prop[2:], uint16(len(prop)))
	keLen := map[uint16]int{19: 64, 31: 32, 14: 256}[group]
	ke := append([]byte{byte(group >> 8), byte(group), 0, 0}, g.random(keLen)...)
	pls := []pl{{33, prop}, {34, ke}, {40, g.random(32)},
		{41, v2Notify(0, 16388, g.random(20))}, {41, v2Notify(0, 16389, g.random(20))}}
	if req {
		pls = append(pls, pl{41, v2Notify(0, 16431, []byte{0, 2, 0, 3, 0, 4})})
	}
	flags, r := byte(0x08), uint64(0)
	if !req {
		flags, r = 0x20, rspi
	}
	return v2Header(t.iSPI, r, 33, 34, flags, 0, chain(pls))
}

// v2SK builds an encrypted IKEv2 message: header + SK payload whose first
// inner payload is inner, with IV + ciphertext + ICV as random bytes.
func (g *gen) v2SK(t *tunnel, exch byte, msgID uint32, flags byte, inner byte, plain int) []byte {
	n := 8 + ((plain+15)/16)*16 + 16 // GCM: 8-byte IV, padded ciphertext, 16-byte ICV
	if plain == 0 {
		n = 8 + 16
	}
	sk := make([]byte, 4+n)
	sk[0] = inner // the SK payload's next field names the first inner payload
	binary.BigEndian.PutUint16(sk[2:], uint16(len(sk)))
	g.fill(sk[4:])
	return v2Header(t.iSPI, t.rSPI, 46, exch, flags, msgID, sk)
}

type pl struct {
	// typ is the type of this payload (used as the previous payload's next).
	typ  byte
	body []byte
}

// chain concatenates generic payloads; the header's next payload is pls[0].typ.
func chain(pls []pl) []byte {
	var b []byte
	for i, p := range pls {
		next := byte(0)
		if i+1 < len(pls) {
			next = pls[i+1].typ
		}
		h := []byte{next, 0, 0, 0}
		binary.BigEndian.PutUint16(h[2:], uint16(4+len(p.body)))
		b = append(b, h...)
		b = append(b, p.body...)
	}
	return b
}

func tv(b []byte, typ, val uint16) []byte {
	return append(b, byte(0x80|typ>>8), byte(typ), byte(val>>8), byte(val))
}

func v1Notify(typ uint16) []byte {
	return []byte{0, 0, 0, 1, 1, 0, byte(typ >> 8), byte(typ)}
}

func v2Notify(proto byte, typ uint16, data []byte) []byte {
	return append([]byte{proto, 0, byte(typ >> 8), byte(typ)}, data...)
}

func v1Header(ispi, rspi uint64, next, exch, flags byte, msgID uint32, body []byte) []byte {
	return ikeHeader(ispi, rspi, next, 0x10, exch, flags, msgID, body)
}

func v2Header(ispi, rspi uint64, next, exch, flags byte, msgID uint32, body []byte) []byte {
	return ikeHeader(ispi, rspi, next, 0x20, exch, flags, msgID, body)
}

func ikeHeader(ispi, rspi uint64, next, ver, exch, flags byte, msgID uint32, body []byte) []byte {
	b := make([]byte, 28, 28+len(body))
	binary.BigEndian.PutUint64(b[0:], ispi)
	binary.BigEndian.PutUint64(b[8:], rspi)
	b[16], b[17], b[18], b[19] = next, ver, exch, flags
	binary.BigEndian.PutUint32(b[20:], msgID)
	binary.BigEndian.PutUint32(b[24:], uint32(28+len(body)))
	return append(b, body...)
}

// ---- frames ----

func (g *gen) ikeStep() []byte {
	k := g.rng.IntN(len(g.active))
	t := g.active[k]
	m := t.script[t.pos]
	t.pos++
	if t.pos >= len(t.script) {
		g.active[k] = g.active[len(g.active)-1]
		g.active = g.active[:len(g.active)-1]
		if !t.failed && !t.up {
			t.up = true
			t.out = sa{spi: g.rng.Uint32() | 0x100}
			t.in = sa{spi: g.rng.Uint32() | 0x100}
			g.up = append(g.up, t)
		} else if !t.failed {
			// rekeyed: new child SAs
			t.out = sa{spi: g.rng.Uint32() | 0x100}
			t.in = sa{spi: g.rng.Uint32() | 0x100}
		}
	}
	g.st.IKE++
	src, dst, sp, dp := t.init, t.resp, t.iPort, uint16(500)
	if m.natt {
		sp, dp = t.iNATT, 4500
	}
	if !m.fromInit {
		src, dst, sp, dp = dst, src, dp, sp
	}
	payload := m.data
	if m.natt {
		f := g.udpFrame(src, dst, sp, dp, 4+len(m.data))
		copy(f[len(f)-len(m.data)-4:], []byte{0, 0, 0, 0})
		copy(f[len(f)-len(m.data):], m.data)
		return g.pad(f)
	}
	f := g.udpFrame(src, dst, sp, dp, len(payload))
	copy(f[len(f)-len(payload):], payload)
	return g.pad(f)
}

// rekeyStart is called from next(): a rekey only enters the active set here.
func (g *gen) startScript(t *tunnel) { g.active = append(g.active, t) }

func (g *gen) pickUp() *tunnel {
	// Skewed choice: a few tunnels carry most of the traffic.
	u := g.rng.Float64()
	return g.up[int(u*u*float64(len(g.up)))]
}

func (g *gen) espSize() int {
	switch r := g.rng.IntN(10); {
	case r < 3:
		return 40 + g.rng.IntN(60)
	case r < 5:
		return 100 + g.rng.IntN(600)
	default:
		return 1300 + g.rng.IntN(130)
	}
}

func (g *gen) esp() []byte {
	t := g.pickUp()
	s := &t.out
	src, dst := t.init, t.resp
	sp, dp := t.iNATT, uint16(4500)
	if g.rng.IntN(2) == 0 {
		s, src, dst, sp, dp = &t.in, dst, src, dp, sp
	}
	g.st.ESP++
	switch r := g.rng.IntN(2000); {
	case r == 0: // lost packets: a gap
		s.seq += uint32(2 + g.rng.IntN(40))
	case r == 1 && s.seq > 40: // a replayed packet
		seq := s.seq - uint32(1+g.rng.IntN(32))
		return g.espFrame(t, s.spi, seq, src, dst, sp, dp)
	}
	s.seq++
	return g.espFrame(t, s.spi, s.seq, src, dst, sp, dp)
}

func (g *gen) espFrame(t *tunnel, spi, seq uint32, src, dst [4]byte, sp, dp uint16) []byte {
	n := g.espSize()
	var f []byte
	if t.nat {
		f = g.udpFrame(src, dst, sp, dp, n)
	} else {
		f = g.ipFrame(src, dst, 50, n)
	}
	e := f[len(f)-n:]
	binary.BigEndian.PutUint32(e[0:], spi)
	binary.BigEndian.PutUint32(e[4:], seq)
	g.fill(e[8:])
	return g.pad(f)
}

func (g *gen) keepalive() []byte {
	var nat []*tunnel
	for _, t := range g.up[:min(len(g.up), 64)] {
		if t.nat {
			nat = append(nat, t)
		}
	}
	if len(nat) == 0 {
		return g.other()
	}
	t := nat[g.rng.IntN(len(nat))]
	g.st.Keepalive++
	f := g.udpFrame(t.init, t.resp, t.iNATT, 4500, 1)
	f[len(f)-1] = 0xff
	return g.pad(f)
}

func (g *gen) other() []byte {
	g.st.Other++
	a := [4]byte{198, 18, 200 + byte(g.rng.IntN(50)), byte(1 + g.rng.IntN(250))}
	b := [4]byte{198, 19, 200 + byte(g.rng.IntN(50)), byte(1 + g.rng.IntN(250))}
	if g.rng.IntN(2) == 0 {
		a, b = b, a
	}
	switch r := g.rng.IntN(10); {
	case r < 6: // TCP 443
		n := []int{0, 0, 517, 1200, 1440}[g.rng.IntN(5)]
		f := g.ipFrame(a, b, 6, 20+n)
		tcp := f[len(f)-20-n:]
		binary.BigEndian.PutUint16(tcp[0:], uint16(32768+g.rng.IntN(28000)))
		binary.BigEndian.PutUint16(tcp[2:], 443)
		binary.BigEndian.PutUint32(tcp[4:], g.rng.Uint32())
		binary.BigEndian.PutUint32(tcp[8:], g.rng.Uint32())
		tcp[12], tcp[13] = 5<<4, 0x10 // ACK
		if n > 0 {
			tcp[13] |= 0x08 // PSH
		}
		binary.BigEndian.PutUint16(tcp[14:], 64240)
		tcp[16], tcp[17], tcp[18], tcp[19] = 0, 0, 0, 0
		g.fill(tcp[20:])
		return g.pad(f)
	case r < 8: // DNS
		n := 30 + g.rng.IntN(100)
		f := g.udpFrame(a, b, uint16(32768+g.rng.IntN(28000)), 53, n)
		g.fill(f[len(f)-n:])
		return g.pad(f)
	default: // NTP, syslog, SNMP
		n := []int{48, 120, 90}[r-8+g.rng.IntN(2)]
		f := g.udpFrame(a, b, uint16(32768+g.rng.IntN(28000)), []uint16{123, 514, 161}[g.rng.IntN(3)], n)
		g.fill(f[len(f)-n:])
		return g.pad(f)
	}
}

// ipFrame lays out Ethernet + IPv4 with n bytes of IP payload (left for the
// caller to fill) in g.buf.
func (g *gen) ipFrame(src, dst [4]byte, proto byte, n int) []byte {
	if 14+20+n > maxFrame {
		n = maxFrame - 34
	}
	f := g.buf[:14+20+n]
	f[0], f[1], f[2], f[3], f[4], f[5] = 0x02, 0x00, dst[0], dst[1], dst[2], dst[3]
	f[6], f[7], f[8], f[9], f[10], f[11] = 0x02, 0x00, src[0], src[1], src[2], src[3]
	f[12], f[13] = 0x08, 0x00
	ip := f[14:34]
	ip[0], ip[1] = 0x45, 0
	binary.BigEndian.PutUint16(ip[2:], uint16(20+n))
	g.ipID++
	binary.BigEndian.PutUint16(ip[4:], g.ipID)
	ip[6], ip[7] = 0x40, 0 // DF
	ip[8], ip[9] = 63, proto
	ip[10], ip[11] = 0, 0
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(ip[i])<<8 | uint32(ip[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	return f
}

func (g *gen) udpFrame(src, dst [4]byte, sp, dp uint16, n int) []byte {
	if 14+20+8+n > maxFrame {
		n = maxFrame - 42
	}
	f := g.ipFrame(src, dst, 17, 8+n)
	u := f[34:42]
	binary.BigEndian.PutUint16(u[0:], sp)
	binary.BigEndian.PutUint16(u[2:], dp)
	binary.BigEndian.PutUint16(u[4:], uint16(8+n))
	u[6], u[7] = 0, 0
	return f
}

// pad extends a frame to Ethernet's 60-byte minimum with zeros.
func (g *gen) pad(f []byte) []byte {
	for len(f) < 60 {
		f = append(f, 0)
	}
	return f
}
