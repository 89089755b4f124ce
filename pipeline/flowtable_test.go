package pipeline

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// TestFlowTable: every flow added is found by its SPI and addresses, through
// the table's growth, and no other: flows sharing an SPI, flows whose
// addresses are swapped, IPv6 flows (whose slots hold a hash), and IPv4
// addresses mapped into IPv6.
func TestFlowTable(t *testing.T) {
	type key struct {
		spi      uint32
		src, dst netip.Addr
	}
	var keys []key
	for i := range 3000 {
		v4 := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
		peer := netip.AddrFrom4([4]byte{198, 19, 0, 1})
		v6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)})
		switch i % 5 {
		case 0:
			keys = append(keys, key{uint32(i + 1), v4, peer}, key{uint32(i + 1), peer, v4}) // one SPI, both ways
		case 1:
			keys = append(keys, key{uint32(i+1) << 20, v4, peer}) // SPIs differing in high bits only
		case 2:
			keys = append(keys, key{uint32(i + 1), v6, netip.IPv6Loopback()}, key{uint32(i + 1), netip.IPv6Loopback(), v6})
		case 3:
			keys = append(keys, key{uint32(i + 1), netip.AddrFrom16(v4.As16()), peer}) // IPv4-mapped
		default:
			keys = append(keys, key{0xffffffff - uint32(i), v4, peer})
		}
	}
	var tab flowTable
	ranges := correlate.NewESPRanges(1)
	added := map[key]*correlate.ESPRange{}
	for i, k := range keys {
		r, fk := tab.find(k.spi, k.src, k.dst)
		if r != nil {
			t.Fatalf("flow %d %v found before it was added", i, k)
		}
		r = ranges.New(&decode.ESPFields{SPI: k.spi, Src: netip.AddrPortFrom(k.src, 0), Dst: netip.AddrPortFrom(k.dst, 0)}, time.Time{})
		tab.add(fk, r)
		added[k] = r
		if i%97 == 0 {
			for k, want := range added {
				if got, _ := tab.find(k.spi, k.src, k.dst); got != want {
					t.Fatalf("after %d flows, %v found %p, want %p", i+1, k, got, want)
				}
			}
		}
	}
	for k, want := range added {
		if got, _ := tab.find(k.spi, k.src, k.dst); got != want {
			t.Fatalf("%v found %p, want %p", k, got, want)
		}
		if !want.Is(k.spi, k.src, k.dst) {
			t.Fatalf("%v found a flow of another key", k)
		}
	}
	if 4*len(tab.flows) > 3*len(tab.slots) {
		t.Errorf("%d flows in %d slots: more than three quarters full", len(tab.flows), len(tab.slots))
	}
	other := netip.MustParseAddr("203.0.113.9")
	if r, _ := tab.find(1, other, other); r != nil {
		t.Errorf("a flow never added was found")
	}
}
