package correlate

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// espFrame builds an Ethernet/IPv4 frame of raw ESP (udp false) or ESP in
// UDP/4500 with the given SPI and sequence number.
func espFrame(udp bool, spi, seq uint32) []byte {
	esp := make([]byte, 8+64)
	binary.BigEndian.PutUint32(esp[0:], spi)
	binary.BigEndian.PutUint32(esp[4:], seq)
	payload, proto := esp, byte(50)
	if udp {
		u := make([]byte, 8, 8+len(esp))
		binary.BigEndian.PutUint16(u[0:], 4500)
		binary.BigEndian.PutUint16(u[2:], 4500)
		binary.BigEndian.PutUint16(u[4:], uint16(8+len(esp)))
		payload, proto = append(u, esp...), 17
	}
	f := make([]byte, 14+20, 14+20+len(payload))
	f[12], f[13] = 0x08, 0x00
	ip := f[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(payload)))
	ip[8], ip[9] = 64, proto
	copy(ip[12:], []byte{198, 18, 0, 1, 198, 19, 0, 1})
	return append(f, payload...)
}

// TestESPHotPathAllocs: decoding an ESP frame (raw and UDP-encapsulated)
// or a NAT-T keepalive and correlating it allocates nothing once its flow
// exists, as the pipeline runs them (the decoder reusing its packet). One
// allocation per packet is what made analyze slow on large captures.
func TestESPHotPathAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		udp  bool
	}{{"raw", false}, {"udp-encapsulated", true}, {"keepalive", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dec := decode.NewDecoder(decode.Config{})
			dec.ReusePackets(true)
			c := New(Config{})
			frame := espFrame(tc.udp, 0xc0ffee01, 1)
			if tc.name == "keepalive" {
				frame = espFrame(true, 0, 0)[:14+20+8+1]
				binary.BigEndian.PutUint16(frame[14+2:], 20+8+1)
				binary.BigEndian.PutUint16(frame[14+20+4:], 8+1)
				frame[len(frame)-1] = 0xff
			}
			rec := &capture.Record{LinkType: capture.LinkTypeEthernet, Data: frame, OrigLen: len(frame),
				Time: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
			seq := uint32(1)
			step := func() {
				rec.Frame++
				rec.Time = rec.Time.Add(time.Millisecond)
				if tc.name != "keepalive" {
					binary.BigEndian.PutUint32(frame[len(frame)-64-4:], seq)
				}
				seq++
				p, err := dec.Decode(rec)
				if err != nil || p == nil {
					t.Fatalf("frame %d: packet %v, error %v", rec.Frame, p, err)
				}
				c.Add(p)
			}
			// The flow's first packets allocate it and its recent-frames ring.
			for range 2 * recentFrames {
				step()
			}
			if n := testing.AllocsPerRun(1000, step); n > 0 {
				t.Errorf("%.2f allocations per frame, want 0", n)
			}
			a := c.Snapshot()
			switch tc.name {
			case "keepalive":
				if a.Keepalives == 0 || a.ESPPackets != 0 {
					t.Errorf("%d keepalives, %d ESP packets", a.Keepalives, a.ESPPackets)
				}
			default:
				if len(a.ESP) != 1 || a.ESP[0].Lost != 0 || a.ESP[0].Replays != 0 {
					t.Fatalf("ESP flows %+v", a.ESP)
				}
			}
		})
	}
}

// One SPI from many addresses (a scan, a flood): every (SPI, source,
// destination) is its own flow, found again when it repeats.
func TestManyFlowsOneSPI(t *testing.T) {
	c := New(Config{})
	const hosts = 100
	for round := range 3 {
		for i := range hosts {
			p := &decode.Packet{Frame: round*hosts + i + 1, Kind: decode.KindESP,
				Src: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, 0, byte(i)}), 0),
				Dst: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 19, 0, 1}), 0)}
			p.ESP.SPI, p.ESP.Seq = 0x100, uint32(round+1)
			c.Add(p)
		}
	}
	a := c.Snapshot()
	if len(a.ESP) != hosts {
		t.Fatalf("%d flows, want %d", len(a.ESP), hosts)
	}
	for _, f := range a.ESP {
		if f.Packets != 3 || f.MaxSeq != 3 || f.Lost != 0 {
			t.Fatalf("flow %v: %d packets, seq ≤%d, %d lost", f.Src, f.Packets, f.MaxSeq, f.Lost)
		}
	}
}
