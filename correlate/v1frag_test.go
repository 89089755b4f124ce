package correlate

import (
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

const v1fragCapture = "../testdata/pcaps/extra/ikev1-fragments/capture.pcap"

// runV1Frag correlates the IKEv1 fragments capture (strongSwan, every
// message but QM3 in fragments), decrypted when withKeys; dup feeds every
// packet twice.
func runV1Frag(t *testing.T, withKeys, dup bool) *Analysis {
	t.Helper()
	f, err := capture.Open(v1fragCapture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var d *decrypt.Decrypter
	if withKeys {
		store, errs := keys.Load(keys.Discover(v1fragCapture))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		d = decrypt.New(store)
	}
	dec := decode.NewDecoder(decode.Config{})
	c := New(Config{})
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := dec.Decode(rec)
		if err != nil || p == nil {
			continue
		}
		n := 1
		if dup {
			n = 2
		}
		for range n {
			q := *p
			d.PacketFrame(&q, rec.Data)
			c.Add(&q)
		}
	}
	return c.Snapshot()
}

func TestIKEv1FragmentsGrouped(t *testing.T) {
	type want struct {
		ex        isakmp.ExchangeType
		frags     []int // per message
		decrypted []bool
	}
	for _, tc := range []struct {
		name           string
		keys, dup      bool
		sent           int
		wantDecryption bool
	}{
		{"with keys", true, false, 1, true},
		{"without keys", false, false, 1, false},
		{"every packet twice", true, true, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := runV1Frag(t, tc.keys, tc.dup)
			if len(a.IKESAs) != 1 {
				t.Fatalf("%d IKE SAs", len(a.IKESAs))
			}
			sa := a.IKESAs[0]
			wants := []want{
				{isakmp.ExchangeV1Main, []int{3, 2, 5, 5, 2, 2}, []bool{false, false, false, false, true, true}},
				{isakmp.ExchangeV1Quick, []int{3, 3, 0}, []bool{true, true, true}},
			}
			if len(sa.Exchanges) != len(wants) {
				for _, ex := range sa.Exchanges {
					t.Logf("exchange %s mid %d: %d messages", ex.Type, ex.MessageID, len(ex.Messages))
				}
				t.Fatalf("%d exchanges, want %d", len(sa.Exchanges), len(wants))
			}
			for i, w := range wants {
				ex := sa.Exchanges[i]
				if ex.Type != w.ex || len(ex.Messages) != len(w.frags) {
					t.Errorf("exchange %d: %s with %d messages, want %s with %d", i, ex.Type, len(ex.Messages), w.ex, len(w.frags))
					continue
				}
				if w.ex == isakmp.ExchangeV1Quick && ex.MessageID == 0 {
					t.Errorf("Quick Mode with message ID 0")
				}
				for j, m := range ex.Messages {
					if m.IKEFragments != w.frags[j] {
						t.Errorf("%s message %d: %d fragments, want %d (frames %v)", ex.Type, j+1, m.IKEFragments, w.frags[j], m.Frames)
					}
					nf := max(w.frags[j], 1) * tc.sent
					if len(m.Frames) != nf || m.Sent != tc.sent {
						t.Errorf("%s message %d: frames %v sent %d, want %d frames sent %d", ex.Type, j+1, m.Frames, m.Sent, nf, tc.sent)
					}
					if m.Exchange != w.ex {
						t.Errorf("%s message %d says exchange %s", ex.Type, j+1, m.Exchange)
					}
					if got := m.Decrypted; got != (w.decrypted[j] && tc.wantDecryption) {
						t.Errorf("%s message %d: decrypted %v (%q, failure %q)", ex.Type, j+1, got, m.Inner, m.DecryptFailure)
					}
					wantDir := FromInitiator
					if j%2 == 1 {
						wantDir = FromResponder
					}
					if m.Dir != wantDir || m.Response != (wantDir == FromResponder) {
						t.Errorf("%s message %d: dir %s response %v", ex.Type, j+1, m.Dir, m.Response)
					}
				}
			}
			mm := sa.Exchanges[0].Messages
			if !mm[4].Encrypted || mm[4].FirstInner != isakmp.PayloadV1ID || mm[0].Encrypted {
				t.Errorf("MM5 encrypted %v first %s; MM1 encrypted %v", mm[4].Encrypted, mm[4].FirstInner, mm[0].Encrypted)
			}
			if tc.wantDecryption && (len(mm[4].IDs) == 0 || mm[4].Inner != "[ ID HASH N(INITIAL_CONTACT) ]") {
				t.Errorf("MM5 inner %q IDs %v", mm[4].Inner, mm[4].IDs)
			}
			// the proposals of MM1/MM2 were inside the fragments
			if len(sa.Phase1Proposals) == 0 || len(sa.Phase1Chosen) == 0 {
				t.Errorf("phase-1 proposals %v chosen %v", sa.Phase1Proposals, sa.Phase1Chosen)
			}
			if sa.State != StateEstablished {
				t.Errorf("state %s", sa.State)
			}
			if tc.wantDecryption {
				qm := sa.Exchanges[1].Messages
				if len(qm[0].TS) != 2 || len(qm[0].ChildSPIs) != 1 {
					t.Errorf("QM1 TS %v SPIs %v", qm[0].TS, qm[0].ChildSPIs)
				}
			}
		})
	}
}

// FuzzV1Fragments feeds IKEv1 fragments of one SA, both directions, with
// numbering, LAST flags, IDs, times and contents from the input: grouping
// must stay bounded and consistent, and never panic.
func FuzzV1Fragments(f *testing.F) {
	whole := make([]byte, 28+16)
	copy(whole, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	whole[16], whole[17], whole[18], whole[19] = byte(isakmp.PayloadV1Hash), 0x10, byte(isakmp.ExchangeV1Quick), 1
	binary.BigEndian.PutUint32(whole[20:], 77)
	binary.BigEndian.PutUint32(whole[24:], uint32(len(whole)))
	f.Add([]byte{1, 2, 0x43}, whole)
	f.Add([]byte{0x43, 2, 2, 1, 0x42, 0x81, 0xc1}, append(whole, whole...))
	f.Add([]byte{0, 0x7f, 0x40, 0x41}, whole[:20])
	f.Fuzz(func(t *testing.T, ops, data []byte) {
		if len(ops) == 0 || len(ops) > 512 || len(data) > 8192 {
			return
		}
		c := New(Config{})
		step := max(1, len(data)/len(ops))
		for i, op := range ops {
			lo := min(i*step, len(data))
			hi := min(lo+step, len(data))
			if i == len(ops)-1 {
				hi = len(data)
			}
			chunk := data[lo:hi]
			msg := make([]byte, 28, 36+len(chunk))
			copy(msg, []byte{1, 2, 3, 4, 5, 6, 7, 8})
			msg[16], msg[17], msg[18] = byte(isakmp.PayloadV1CiscoFrag), 0x10, byte(isakmp.ExchangeV1Main)
			// bits: 0-4 number, 5 LAST, 6 fragment ID, 7 direction
			gh := []byte{0, 0, 0, 0, 0, 1 + (op>>6)&1, op & 0x1f, (op >> 5) & 1}
			binary.BigEndian.PutUint16(gh[2:], uint16(8+len(chunk)))
			msg = append(append(msg, gh...), chunk...)
			binary.BigEndian.PutUint32(msg[24:], uint32(len(msg)))
			m, err := isakmp.Decode(msg)
			if err != nil {
				t.Fatal(err)
			}
			src, dst := peerI, peerR
			if op&0x80 != 0 {
				src, dst = dst, src
			}
			c.Add(&decode.Packet{Frame: i + 1, Time: t0.Add(time.Duration(i) * 7 * time.Second), Kind: decode.KindIKE,
				Src: src, Dst: dst, IKE: m, Length: len(msg) + 8})
		}
		a := c.Snapshot()
		frames := 0
		for _, sa := range a.IKESAs {
			for _, ex := range sa.Exchanges {
				if len(ex.Messages) == 0 {
					t.Fatal("an exchange without messages")
				}
				for _, m := range ex.Messages {
					if len(m.Frames) == 0 || len(m.Frames) > maxFramesPerMessage || m.IKEFragments > maxV1FragsPerMsg {
						t.Fatalf("message with %d frames, %d fragments", len(m.Frames), m.IKEFragments)
					}
					frames += len(m.Frames)
				}
			}
		}
		if frames > len(ops) {
			t.Fatalf("%d frames in messages from %d packets", frames, len(ops))
		}
		if len(c.v1frags) > maxV1FragSets {
			t.Fatalf("%d fragment sets kept", len(c.v1frags))
		}
	})
}
