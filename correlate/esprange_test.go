package correlate

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/esp"
)

// espStream makes n ESP packets of a few flows (two share an SPI) whose
// sequence numbers mostly climb, with gaps, replays, late packets, jumps
// beyond the window and packets without a sequence number.
func espStream(rng *rand.Rand, n int) []*decode.Packet {
	type flow struct {
		spi      uint32
		src, dst netip.AddrPort
		seq      uint32
	}
	a := func(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }
	flows := []*flow{
		{spi: 0x1000, src: a("198.18.0.1:0"), dst: a("198.19.0.1:0"), seq: 1},
		{spi: 0x1000, src: a("198.18.0.2:4500"), dst: a("198.19.0.1:4500"), seq: 1},
		{spi: 0x2000, src: a("198.19.0.1:0"), dst: a("198.18.0.1:0"), seq: 1},
		{spi: 0x3000, src: a("10.0.0.1:0"), dst: a("10.0.0.2:0"), seq: 1},
	}
	t := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var out []*decode.Packet
	for i := range n {
		f := flows[rng.IntN(len(flows))]
		if rng.IntN(3) == 0 {
			f = flows[0] // one flow carries most
		}
		seq := f.seq
		switch r := rng.IntN(100); {
		case r < 5: // a gap
			seq += uint32(2 + rng.IntN(40))
		case r < 8: // a replay or a late packet
			seq -= uint32(1 + rng.IntN(min(int(seq), 90)))
		case r < 9: // a jump beyond the window
			seq += uint32(64 + rng.IntN(200))
		}
		p := &decode.Packet{Frame: i + 1, Time: t, Kind: decode.KindESP, Src: f.src, Dst: f.dst,
			UDPEncapsulated: f.src.Port() != 0, ESP: esp.Header{SPI: f.spi, Seq: seq}, Length: 60 + rng.IntN(1400)}
		if rng.IntN(200) == 0 {
			p.ESP.NoSeq = true
		}
		if seq >= f.seq {
			f.seq = seq + 1
		}
		out = append(out, p)
		t = t.Add(time.Duration(5+rng.IntN(400)) * time.Microsecond)
	}
	return out
}

// TestESPRangesAddUp: the ESP of a capture cut into ranges, summarised per
// range and flow and applied in order (re-reading a flow's tail where
// AddESPRange cannot apply it), leaves the flows and the counts exactly as
// adding the packets one by one does.
func TestESPRangesAddUp(t *testing.T) {
	applied, reread := 0, 0
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 7))
		pkts := espStream(rng, 50+rng.IntN(3000))
		cfg := Config{}
		if seed%7 == 3 {
			cfg.MaxESPFlows = 2 // flows beyond it are dropped and counted
		}
		one := New(cfg)
		for _, p := range pkts {
			cp := *p
			one.Add(&cp)
		}
		head := []int{1, 2, 5, 64, ESPRangeHead, 1000}[rng.IntN(6)]
		cuts := []int{0}
		for range rng.IntN(8) {
			cuts = append(cuts, rng.IntN(len(pkts)+1))
		}
		cuts = append(cuts, len(pkts))
		slicesSort(cuts)
		ranged := New(cfg)
		for i := 0; i+1 < len(cuts); i++ {
			from, to := cuts[i], cuts[i+1]
			var order []*ESPRange
			byKey := map[flowKey]*ESPRange{}
			arena := NewESPRanges(head)
			var first, last time.Time
			for _, p := range pkts[from:to] {
				cp := *p
				cp.Frame -= from
				k := flowKey{cp.ESP.SPI, cp.Src.Addr(), cp.Dst.Addr(), 0}
				r := byKey[k]
				if r == nil {
					r = arena.NewPacket(&cp)
					byKey[k] = r
					order = append(order, r)
				}
				r.Add(&cp)
				if first.IsZero() {
					first = cp.Time
				}
				last = cp.Time
			}
			for _, r := range order {
				if ranged.AddESPRange(r, from) {
					applied++
					continue
				}
				reread++
				for _, p := range pkts[from:to] {
					if !r.Is(p.ESP.SPI, p.Src.Addr(), p.Dst.Addr()) {
						continue
					}
					cp := *p
					ranged.AddESPAgain(&cp)
				}
			}
			ranged.SeeTimes(first, last)
		}
		want, got := one.Final(), ranged.Final()
		if !reflect.DeepEqual(want.ESP, got.ESP) {
			for i := range min(len(want.ESP), len(got.ESP)) {
				if !reflect.DeepEqual(want.ESP[i], got.ESP[i]) {
					t.Fatalf("seed %d, head %d, cuts %v: flow %d:\n got %+v\nwant %+v", seed, head, cuts, i, *got.ESP[i], *want.ESP[i])
				}
			}
			t.Fatalf("seed %d: %d flows, want %d", seed, len(got.ESP), len(want.ESP))
		}
		if want.ESPPackets != got.ESPPackets || want.DroppedESPFlows != got.DroppedESPFlows || !want.FirstTime.Equal(got.FirstTime) || !want.LastTime.Equal(got.LastTime) {
			t.Fatalf("seed %d: counts differ", seed)
		}
		if !reflect.DeepEqual(want.Peers, got.Peers) {
			t.Fatalf("seed %d: peers differ", seed)
		}
	}
	t.Logf("%d ranges applied, %d flows' packets read again", applied, reread)
	if applied == 0 || reread == 0 {
		t.Error("both ways should be taken")
	}
}

// TestESPRangeLayout: what every packet of a range touches lies in the
// first cache line of its flow's summary, and ESPRanges puts summaries on
// cache-line boundaries.
func TestESPRangeLayout(t *testing.T) {
	var r ESPRange
	if size := unsafe.Sizeof(r); size%64 != 0 {
		t.Errorf("ESPRange is %d bytes, not a multiple of 64 (espRangePad)", size)
	}
	if end := unsafe.Offsetof(r.lostMin) + unsafe.Sizeof(r.lostMin); end > 64 {
		t.Errorf("the fields every packet updates end at byte %d, beyond the first cache line", end)
	}
	if unsafe.Offsetof(r.recent) != 64 {
		t.Errorf("the ring starts at byte %d, not on the second cache line", unsafe.Offsetof(r.recent))
	}
	a := NewESPRanges(ESPRangeHead)
	for i := range 3 * espRangeBlock {
		r := a.New(&decode.ESPFields{SPI: uint32(i + 1)}, time.Time{})
		if addr := uintptr(unsafe.Pointer(r)); addr%64 != 0 {
			t.Fatalf("summary %d at %#x, not on a cache line", i, addr)
		}
		if cap(r.head) != ESPRangeHead || len(r.head) != 0 {
			t.Fatalf("summary %d: head of %d/%d", i, len(r.head), cap(r.head))
		}
	}
}

func slicesSort(s []int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
