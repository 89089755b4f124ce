package decrypt_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

// The capture of testdata/pcaps/extra/ikev1-fragments: strongSwan IKEv1
// Main Mode and Quick Mode with fragmentation = force and a small
// fragment_size, every message but QM3 sent in fragments (tshark with the
// ikev1_decryption_table decrypts the reassembled MM5, MM6, QM1, QM2).
const v1fragCapture = "../testdata/pcaps/extra/ikev1-fragments/capture.pcap"

type framePkt struct {
	p    *decode.Packet
	data []byte
}

func loadFrames(t *testing.T, path string) []framePkt {
	t.Helper()
	f, err := capture.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	dec := decode.NewDecoder(decode.Config{})
	var out []framePkt
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data := append([]byte(nil), rec.Data...)
		rec.Data = data
		p, err := dec.Decode(rec)
		if err != nil || p == nil {
			continue
		}
		out = append(out, framePkt{p, data})
	}
	return out
}

func v1fragStore(t *testing.T) *keys.Store {
	t.Helper()
	store, errs := keys.Load(keys.Discover(v1fragCapture))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if a, _, _ := store.Counts(); a == 0 {
		t.Fatal("no IKEv1 key found beside the capture")
	}
	return store
}

// fragInfo returns the fragment payload of a packet, or nil.
func fragInfo(p *decode.Packet) *isakmp.CiscoFragment {
	if p.Kind != decode.KindIKE || p.IKE == nil {
		return nil
	}
	f, _ := p.IKE.Find(isakmp.PayloadV1CiscoFrag).(*isakmp.CiscoFragment)
	return f
}

// feed runs the packets through one decrypter in the order given (frame
// numbers) and returns Decrypted by frame; every packet is fed fresh.
func feed(t *testing.T, store *keys.Store, pkts []framePkt, order []int) map[int]*decode.Decrypted {
	t.Helper()
	byFrame := map[int]framePkt{}
	for _, fp := range pkts {
		byFrame[fp.p.Frame] = fp
	}
	d := decrypt.New(store)
	out := map[int]*decode.Decrypted{}
	for _, n := range order {
		fp, ok := byFrame[n]
		if !ok {
			t.Fatalf("no frame %d", n)
		}
		q := *fp.p
		q.Decrypted = nil
		d.PacketFrame(&q, fp.data)
		if q.Decrypted != nil {
			out[n] = q.Decrypted
		}
	}
	return out
}

func types(d *decode.Decrypted) string {
	if d == nil {
		return "<nil>"
	}
	return strings.Join(payloadTypes(d), " ")
}

func TestIKEv1FragmentsLab(t *testing.T) {
	pkts := loadFrames(t, v1fragCapture)
	store := v1fragStore(t)
	var order []int
	for _, fp := range pkts {
		order = append(order, fp.p.Frame)
	}
	check := func(t *testing.T, got map[int]*decode.Decrypted) {
		t.Helper()
		// the last fragment of each message carries the message
		var lastFrames []int
		for _, fp := range pkts {
			f := fragInfo(fp.p)
			if f == nil {
				continue
			}
			if f.Last {
				lastFrames = append(lastFrames, fp.p.Frame)
			} else if got[fp.p.Frame] != nil {
				t.Errorf("frame %d (fragment %d, not the last) has a Decrypted: %+v", fp.p.Frame, f.Number, got[fp.p.Frame])
			}
		}
		if len(lastFrames) != 8 {
			t.Fatalf("%d fragmented messages, want 8 (MM1-MM6, QM1, QM2)", len(lastFrames))
		}
		want := []string{
			"", "", "", "", // MM1-MM4, in clear
			"ID HASH N", // MM5
			"ID HASH",   // MM6
			"HASH SA No ID ID",
			"HASH SA No ID ID",
		}
		for i, fr := range lastFrames {
			d := got[fr]
			if i < 4 {
				// in clear: read for the KE payloads, nothing decrypted
				if d != nil {
					t.Errorf("frame %d (message %d, in clear): %+v", fr, i+1, d)
				}
				continue
			}
			if d == nil || !d.OK {
				t.Errorf("frame %d: %+v", fr, d)
				continue
			}
			if len(d.Errors) > 0 {
				t.Errorf("frame %d: errors %v", fr, d.Errors)
			}
			if !strings.HasPrefix(d.Reason, "reassembled from ") {
				t.Errorf("frame %d: reason %q", fr, d.Reason)
			}
			if g := types(d); g != want[i] {
				t.Errorf("frame %d (message %d): payloads %q, want %q", fr, i+1, types(d), want[i])
			}
		}
		// MM5 carries the initiator's identity
		mm5 := got[lastFrames[4]]
		if mm5 != nil && len(mm5.Payloads) > 0 {
			if id, ok := mm5.Payloads[0].Body.(*isakmp.Identification); !ok || id.Text != "initiator-with-a-rather-long-identity.fragments.lab" {
				t.Errorf("MM5 ID %+v", mm5.Payloads[0].Body)
			}
		}
		// QM3 (not fragmented) decrypts: the IV chain went on through
		// the reassembled Quick Mode messages; ESP too
		esp, ok := 0, 0
		for _, fp := range pkts {
			switch {
			case fp.p.Kind == decode.KindIKE && fp.p.IKE.Encrypted != nil:
				if d := got[fp.p.Frame]; d == nil || !d.OK || types(d) != "HASH" {
					t.Errorf("QM3 frame %d: %+v", fp.p.Frame, d)
				}
			case fp.p.Kind == decode.KindESP:
				esp++
				if d := got[fp.p.Frame]; d != nil && d.OK && d.Inner != nil && d.Inner.Protocol == 1 {
					ok++
				}
			}
		}
		if esp == 0 || ok != esp {
			t.Errorf("ESP: %d of %d decrypted to ICMP", ok, esp)
		}
	}
	t.Run("in order", func(t *testing.T) { check(t, feed(t, store, pkts, order)) })
	t.Run("fragments reversed and repeated", func(t *testing.T) {
		// each message's fragments last first, every fragment twice
		var shuffled []int
		var group []int
		for _, fp := range pkts {
			if fragInfo(fp.p) != nil {
				group = append(group, fp.p.Frame, fp.p.Frame)
				if fragInfo(fp.p).Last {
					slices.Reverse(group)
					shuffled = append(shuffled, group...)
					group = nil
				}
				continue
			}
			shuffled = append(shuffled, fp.p.Frame)
		}
		got := feed(t, store, pkts, shuffled)
		// the decrypted messages now sit on the frame that completed
		// them: the first fragment
		remap := map[int]*decode.Decrypted{}
		var first int
		for _, fp := range pkts {
			f := fragInfo(fp.p)
			if f == nil {
				remap[fp.p.Frame] = got[fp.p.Frame]
				continue
			}
			if f.Number == 1 {
				first = fp.p.Frame
			}
			if f.Last {
				remap[fp.p.Frame] = got[first]
			}
		}
		check(t, remap)
	})
	t.Run("a fragment lost", func(t *testing.T) {
		// without MM5's second fragment MM5 is never reassembled; MM6 has
		// no IV then (the chain lacks MM5) but stays an honest failure
		var lost []int
		n := 0
		for _, fp := range pkts {
			if f := fragInfo(fp.p); f != nil && f.Number == 2 {
				n++
				if n == 5 {
					continue
				}
			}
			lost = append(lost, fp.p.Frame)
		}
		got := feed(t, store, pkts, lost)
		for fr, d := range got {
			if d.OK && types(d) == "ID HASH N" {
				t.Errorf("frame %d: MM5 decoded without its second fragment", fr)
			}
		}
	})
	t.Run("no keys", func(t *testing.T) {
		if got := feed(t, keys.NewStore(), pkts, order); len(got) != 0 {
			t.Errorf("%d Decrypted without keys", len(got))
		}
	})
}

// fragPacket builds one IKEv1 fragment message of cookie c carrying data.
func fragPacket(c isakmp.SPI, id uint16, n uint8, last bool, data []byte, at time.Time) *decode.Packet {
	msg := make([]byte, 28, 28+8+len(data))
	copy(msg, c[:])
	msg[16] = byte(isakmp.PayloadV1CiscoFrag)
	msg[17] = 0x10
	msg[18] = byte(isakmp.ExchangeV1Main)
	gh := []byte{0, 0, 0, 0, byte(id >> 8), byte(id), n, 0}
	if last {
		gh[7] = 1
	}
	binary.BigEndian.PutUint16(gh[2:], uint16(8+len(data)))
	msg = append(append(msg, gh...), data...)
	binary.BigEndian.PutUint32(msg[24:], uint32(len(msg)))
	m, err := isakmp.Decode(msg)
	if err != nil {
		panic(err)
	}
	return &decode.Packet{Kind: decode.KindIKE, IKE: m, Time: at,
		Src: netip.MustParseAddrPort("192.0.2.1:500"), Dst: netip.MustParseAddrPort("192.0.2.2:500")}
}

// encMsg is an encrypted IKEv1 message of cookie c (body of n bytes).
// With no KE payload seen it cannot be decrypted, and says so: enough to
// see that it was put back together.
func encMsg(c isakmp.SPI, n int) []byte {
	msg := make([]byte, 28+n)
	copy(msg, c[:])
	msg[16] = byte(isakmp.PayloadV1Hash)
	msg[17] = 0x10
	msg[18] = byte(isakmp.ExchangeV1Main)
	msg[19] = 1
	binary.BigEndian.PutUint32(msg[24:], uint32(len(msg)))
	return msg
}

func reassembled(d *decode.Decrypted, n int) bool {
	return d != nil && !d.OK && strings.Contains(d.Reason, decrypt.ReasonNoKE) &&
		strings.Contains(d.Reason, fmt.Sprintf("reassembled from %d IKEv1 fragments", n))
}

func TestIKEv1FragmentBounds(t *testing.T) {
	c := isakmp.SPI{9, 9, 9, 9, 9, 9, 9, 9}
	store := keys.NewStore()
	store.AddIKEv1(&keys.IKEv1Keys{ICookie: c, EncKey: make(keys.Key, 16)})
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	whole := encMsg(c, 320)
	parts := [][]byte{whole[:100], whole[100:200], whole[200:]}

	t.Run("reassembles", func(t *testing.T) {
		d := decrypt.New(store)
		var last *decode.Packet
		for i, n := range []int{3, 1, 2} {
			last = fragPacket(c, 7, uint8(n), n == 3, parts[n-1], t0.Add(time.Duration(i)*time.Second))
			d.Packet(last)
		}
		if !reassembled(last.Decrypted, 3) {
			t.Fatalf("%+v", last.Decrypted)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		d := decrypt.New(store)
		d.Packet(fragPacket(c, 7, 1, false, parts[0], t0))
		d.Packet(fragPacket(c, 7, 2, false, parts[1], t0))
		p := fragPacket(c, 7, 3, true, parts[2], t0.Add(2*time.Minute))
		d.Packet(p)
		if p.Decrypted != nil {
			t.Errorf("completed from fragments older than the timeout: %+v", p.Decrypted)
		}
	})
	t.Run("too many fragments", func(t *testing.T) {
		d := decrypt.New(store)
		p := fragPacket(c, 7, 200, false, parts[0], t0)
		d.Packet(p)
		if p.Decrypted == nil || p.Decrypted.OK || !strings.Contains(p.Decrypted.Reason, "bound") {
			t.Errorf("%+v", p.Decrypted)
		}
	})
	t.Run("too many bytes", func(t *testing.T) {
		d := decrypt.New(store)
		big := make([]byte, 40000)
		p := fragPacket(c, 7, 1, false, big, t0)
		d.Packet(p)
		p = fragPacket(c, 7, 2, false, big, t0)
		d.Packet(p)
		if p.Decrypted == nil || p.Decrypted.OK || !strings.Contains(p.Decrypted.Reason, "bytes") {
			t.Errorf("%+v", p.Decrypted)
		}
	})
	t.Run("many messages at once", func(t *testing.T) {
		// thousands of incomplete messages: the oldest are dropped, the
		// newest still completes
		d := decrypt.New(store)
		for id := 0; id < 5000; id++ {
			d.Packet(fragPacket(c, uint16(id), 1, false, parts[0], t0))
		}
		d.Packet(fragPacket(c, 4999, 2, false, parts[1], t0))
		p := fragPacket(c, 4999, 3, true, parts[2], t0)
		d.Packet(p)
		if !reassembled(p.Decrypted, 3) {
			t.Errorf("%+v", p.Decrypted)
		}
		p = fragPacket(c, 0, 2, true, append(append([]byte(nil), parts[1]...), parts[2]...), t0)
		d.Packet(p)
		if p.Decrypted != nil {
			t.Errorf("an evicted message completed: %+v", p.Decrypted)
		}
	})
	t.Run("garbage inside", func(t *testing.T) {
		d := decrypt.New(store)
		p := fragPacket(c, 1, 1, true, []byte("not an ISAKMP message"), t0)
		d.Packet(p)
		if p.Decrypted == nil || p.Decrypted.OK {
			t.Errorf("%+v", p.Decrypted)
		}
		other := encMsg(isakmp.SPI{1}, 16)
		p = fragPacket(c, 2, 1, true, other, t0)
		d.Packet(p)
		if p.Decrypted == nil || p.Decrypted.OK || !strings.Contains(p.Decrypted.Reason, "not of this IKEv1 SA") {
			t.Errorf("%+v", p.Decrypted)
		}
	})
}
