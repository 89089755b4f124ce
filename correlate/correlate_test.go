package correlate

import (
	"encoding/binary"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/esp"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

var (
	peerI = netip.MustParseAddrPort("198.18.1.1:500")
	peerR = netip.MustParseAddrPort("198.18.1.2:500")
	t0    = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
)

// ikePacket builds a decoded IKE packet with a header and one nonce-like
// payload whose content makes distinct messages distinct.
func ikePacket(frame int, at time.Duration, src, dst netip.AddrPort, version int, ex isakmp.ExchangeType, flags isakmp.Flags, mid uint32, rspi bool, content byte) *decode.Packet {
	raw := make([]byte, 28+8)
	copy(raw, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	if rspi {
		copy(raw[8:], []byte{9, 9, 9, 9, 9, 9, 9, 9})
	}
	raw[16] = 40
	raw[17] = byte(version << 4)
	raw[18], raw[19] = byte(ex), byte(flags)
	binary.BigEndian.PutUint32(raw[20:], mid)
	binary.BigEndian.PutUint32(raw[24:], uint32(len(raw)))
	binary.BigEndian.PutUint16(raw[30:], 8)
	raw[32] = content
	m, err := isakmp.Decode(raw)
	if err != nil {
		panic(err)
	}
	return &decode.Packet{Frame: frame, Time: t0.Add(at), Kind: decode.KindIKE, Src: src, Dst: dst, IKE: m, Length: len(raw) + 8}
}

func espPacket(frame int, at time.Duration, src, dst netip.AddrPort, spi, seq uint32) *decode.Packet {
	return &decode.Packet{Frame: frame, Time: t0.Add(at), Kind: decode.KindESP, Src: src, Dst: dst,
		ESP: esp.Header{SPI: spi, Seq: seq, PayloadLen: 100}, Length: 108}
}

func TestIKEv2PairingAndRetransmissions(t *testing.T) {
	c := New(Config{})
	I, R := isakmp.FlagInitiator, isakmp.FlagResponse
	c.Add(ikePacket(1, 0, peerI, peerR, 2, isakmp.ExchangeIKESAInit, I, 0, false, 1))
	c.Add(ikePacket(2, time.Second, peerI, peerR, 2, isakmp.ExchangeIKESAInit, I, 0, false, 1)) // same bytes again
	c.Add(ikePacket(3, 2*time.Second, peerR, peerI, 2, isakmp.ExchangeIKESAInit, R, 0, true, 2))
	c.Add(ikePacket(4, 3*time.Second, peerI, peerR, 2, isakmp.ExchangeIKEAuth, I, 1, true, 3))
	c.Add(ikePacket(5, 4*time.Second, peerR, peerI, 2, isakmp.ExchangeIKEAuth, R, 1, true, 4))
	a := c.Snapshot()
	if len(a.IKESAs) != 1 || len(a.Peers) != 1 {
		t.Fatalf("%d SAs, %d peer pairs", len(a.IKESAs), len(a.Peers))
	}
	sa := a.IKESAs[0]
	if len(sa.Exchanges) != 2 {
		t.Fatalf("%d exchanges, want 2", len(sa.Exchanges))
	}
	init := sa.Exchanges[0]
	if len(init.Messages) != 2 || init.Messages[0].Sent != 2 || init.Messages[0].Frames[1] != 2 || !init.Messages[1].Response {
		t.Errorf("IKE_SA_INIT: %d messages, first sent %d (frames %v)", len(init.Messages), init.Messages[0].Sent, init.Messages[0].Frames)
	}
	if sa.ResponderSPI.IsZero() {
		t.Error("responder SPI not learned from the response")
	}
	if sa.State != StateEstablished || sa.EstablishedFrame != 5 {
		t.Errorf("state %s at %d", sa.State, sa.EstablishedFrame)
	}
}

func TestIKEv2RetryIsNewAttempt(t *testing.T) {
	c := New(Config{})
	I, R := isakmp.FlagInitiator, isakmp.FlagResponse
	c.Add(ikePacket(1, 0, peerI, peerR, 2, isakmp.ExchangeIKESAInit, I, 0, false, 1))
	c.Add(ikePacket(2, time.Millisecond, peerR, peerI, 2, isakmp.ExchangeIKESAInit, R, 0, false, 2))
	c.Add(ikePacket(3, 2*time.Millisecond, peerI, peerR, 2, isakmp.ExchangeIKESAInit, I, 0, false, 3)) // new content, same MID
	sa := c.Snapshot().IKESAs[0]
	if len(sa.Exchanges) != 2 || sa.Exchanges[1].Attempt != 1 {
		t.Fatalf("%d exchanges; a changed request with the same message ID must start attempt 2", len(sa.Exchanges))
	}
}

func TestIKEv1MainModeNoResponse(t *testing.T) {
	c := New(Config{})
	for i := range 4 {
		c.Add(ikePacket(i+1, time.Duration(i)*time.Second, peerI, peerR, 1, isakmp.ExchangeV1Main, 0, 0, false, 1))
	}
	sa := c.Snapshot().IKESAs[0]
	if len(sa.Exchanges) != 1 || len(sa.Exchanges[0].Messages) != 1 || sa.Exchanges[0].Messages[0].Sent != 4 {
		t.Fatalf("retransmissions not folded: %+v", sa.Exchanges)
	}
	if sa.State != StateFailed || sa.Failure == nil || sa.Failure.Kind != FailNoResponse || sa.Failure.Frame != 4 {
		t.Errorf("state %s failure %+v", sa.State, sa.Failure)
	}
}

func TestIKEv1MainModeEstablished(t *testing.T) {
	c := New(Config{})
	for i := range 6 {
		src, dst := peerI, peerR
		if i%2 == 1 {
			src, dst = peerR, peerI
		}
		var flags isakmp.Flags
		if i >= 4 {
			flags = isakmp.FlagEncryption // MM5 and MM6
		}
		c.Add(ikePacket(i+1, time.Duration(i)*time.Millisecond, src, dst, 1, isakmp.ExchangeV1Main, flags, 0, i > 0, byte(i)))
	}
	sa := c.Snapshot().IKESAs[0]
	ex := sa.Exchanges[0]
	if len(ex.Messages) != 6 || ex.Messages[1].Dir != FromResponder || !ex.Messages[1].Response || ex.Messages[2].Response {
		t.Fatalf("main mode messages %d", len(ex.Messages))
	}
	if sa.State != StateEstablished || sa.EstablishedFrame != 6 || sa.Mode() != "main" {
		t.Errorf("state %s at %d mode %s", sa.State, sa.EstablishedFrame, sa.Mode())
	}
}

func TestESPSequenceHealth(t *testing.T) {
	c := New(Config{})
	seqs := []uint32{1, 2, 3, 6, 5, 5, 7, 200, 8}
	for i, s := range seqs {
		c.Add(espPacket(i+1, time.Duration(i)*time.Millisecond, peerI, peerR, 0xabcd, s))
	}
	f := c.Snapshot().ESP[0]
	// 4 missing at 6, 5 comes late (out of order), 5 again (replay), 8..199
	// missing at 200 (192 lost), 8 arrives too late for the window (replay).
	if f.Packets != 9 || f.MaxSeq != 200 {
		t.Fatalf("packets %d max %d", f.Packets, f.MaxSeq)
	}
	if f.Lost != 1+192 || f.GapEvents != 2 || f.OutOfOrder != 1 || f.Replays != 2 {
		t.Errorf("lost %d gaps %d out-of-order %d replays %d", f.Lost, f.GapEvents, f.OutOfOrder, f.Replays)
	}
	if len(f.GapFrames) != 2 || f.GapFrames[0] != 4 || f.GapFrames[1] != 8 {
		t.Errorf("gap frames %v", f.GapFrames)
	}
}

// TestSnapshotIsIndependent: what a view holds does not change while the
// correlator goes on.
func TestSnapshotIsIndependent(t *testing.T) {
	c := New(Config{})
	c.Add(ikePacket(1, 0, peerI, peerR, 1, isakmp.ExchangeV1Main, 0, 0, false, 1))
	c.Add(espPacket(2, time.Millisecond, peerI, peerR, 7, 1))
	snap := c.Snapshot()
	c.Add(ikePacket(3, time.Second, peerI, peerR, 1, isakmp.ExchangeV1Main, 0, 0, false, 1))
	c.Add(espPacket(4, 2*time.Second, peerI, peerR, 7, 2))
	if m := snap.IKESAs[0].Exchanges[0].Messages[0]; m.Sent != 1 || len(m.Frames) != 1 {
		t.Errorf("snapshot message changed: sent %d frames %v", m.Sent, m.Frames)
	}
	if snap.ESP[0].Packets != 1 {
		t.Errorf("snapshot flow changed: %d packets", snap.ESP[0].Packets)
	}
}

// TestMemoryBoundedBySAs: a million packets over a fixed set of SAs leave
// the state as it was after the first tenth, and the SA cap holds.
func TestMemoryBoundedBySAs(t *testing.T) {
	if testing.Short() {
		t.Skip("long")
	}
	c := New(Config{MaxIKESAs: 50, MaxESPFlows: 100})
	feed := func(from, to int) {
		for i := from; i < to; i++ {
			sa := i % 60 // 10 more peer pairs than the SA cap
			if i%10 == 0 {
				sa = (i / 10) % 60
			}
			src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, byte(sa), 1}), 500)
			dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 19, byte(sa), 1}), 500)
			if i%10 == 0 {
				p := ikePacket(i+1, time.Duration(i)*time.Microsecond, src, dst, 2, isakmp.ExchangeInformational, isakmp.FlagInitiator, uint32(i), true, byte(i))
				p.IKE.InitiatorSPI[0] = byte(sa)
				c.Add(p)
				continue
			}
			c.Add(espPacket(i+1, time.Duration(i)*time.Microsecond, src, dst, uint32(0x1000+i%150), uint32(i)))
		}
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	feed(0, 100_000)
	before := heap()
	feed(100_000, 1_000_000)
	after := heap()
	a := c.Snapshot()
	if len(a.IKESAs) != 50 || a.DroppedIKESAs == 0 || len(a.ESP) != 100 || a.DroppedESPFlows == 0 {
		t.Errorf("caps: %d SAs (%d dropped), %d flows (%d dropped)", len(a.IKESAs), a.DroppedIKESAs, len(a.ESP), a.DroppedESPFlows)
	}
	for _, sa := range a.IKESAs {
		if len(sa.Exchanges) > maxExchangesPerSA {
			t.Fatalf("SA #%d holds %d exchanges", sa.ID, len(sa.Exchanges))
		}
	}
	if growth := int64(after) - int64(before); growth > 16<<20 {
		t.Errorf("heap grew by %d MiB over 900,000 packets", growth>>20)
	}
}

// TestRestartWithNewSPI: a retry after INVALID_KE_PAYLOAD under a new SPI is
// linked to the refused attempt.
func TestRestartWithNewSPI(t *testing.T) {
	c := New(Config{})
	I, R := isakmp.FlagInitiator, isakmp.FlagResponse
	c.Add(ikePacket(1, 0, peerI, peerR, 2, isakmp.ExchangeIKESAInit, I, 0, false, 1))
	refusal := ikePacket(2, time.Millisecond, peerR, peerI, 2, isakmp.ExchangeIKESAInit, R, 0, false, 2)
	refusal.IKE.Payloads = []isakmp.Payload{{Type: isakmp.PayloadV2Notify, Body: &isakmp.Notify{Version: 2, Type: 17, Data: []byte{0, 19}, AcceptedGroup: 19}}}
	c.Add(refusal)
	retry := ikePacket(3, 2*time.Millisecond, peerI, peerR, 2, isakmp.ExchangeIKESAInit, I, 0, false, 3)
	retry.IKE.InitiatorSPI[0] = 0x77
	c.Add(retry)
	a := c.Snapshot()
	if len(a.IKESAs) != 2 || a.IKESAs[0].ContinuedBy != 2 || a.IKESAs[1].Continues != 1 {
		t.Fatalf("SAs %d, links %d/%d", len(a.IKESAs), a.IKESAs[0].ContinuedBy, a.IKESAs[len(a.IKESAs)-1].Continues)
	}
}

// TestMessageFloodIsCounted: distinct messages without end under one IKE
// SA (a scan, a broken peer, a fuzzer) keep the exchange at
// maxMessagesPerExchange and are counted, so neither memory nor the time
// per packet grows with them.
func TestMessageFloodIsCounted(t *testing.T) {
	c := New(Config{})
	i, r := netip.MustParseAddrPort("198.18.1.1:500"), netip.MustParseAddrPort("198.18.1.2:500")
	const n = 5000
	for k := range n {
		src, dst := i, r
		if k%2 == 1 {
			src, dst = r, i
		}
		c.Add(ikePacket(k+1, time.Duration(k)*time.Millisecond, src, dst, 1, isakmp.ExchangeV1Main, 0, 0, k > 0, byte(k)^byte(k>>8)))
	}
	a := c.Snapshot()
	ex := a.IKESAs[0].Exchanges[0]
	if len(ex.Messages) != maxMessagesPerExchange || ex.FoldedMessages == 0 {
		t.Fatalf("%d messages kept, %d folded", len(ex.Messages), ex.FoldedMessages)
	}
	total := ex.FoldedMessages
	for _, m := range ex.Messages {
		total += m.Sent
	}
	if total != n {
		t.Errorf("kept and folded add up to %d, want %d", total, n)
	}
}
