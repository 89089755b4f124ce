package main

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/capture"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

func TestGenerateDeterministicAndDecodable(t *testing.T) {
	for _, format := range []string{"pcap", "pcapng"} {
		t.Run(format, func(t *testing.T) {
			cfg := Config{Format: format, Seed: 42, Size: 2e6}
			var a, b bytes.Buffer
			sta, err := Generate(&a, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Generate(&b, cfg); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("same seed gave different bytes")
			}
			if int64(a.Len()) != sta.Bytes || sta.Bytes < cfg.Size {
				t.Fatalf("wrote %d bytes, stats say %d, want >= %d", a.Len(), sta.Bytes, cfg.Size)
			}
			var c bytes.Buffer
			if _, err := Generate(&c, Config{Format: format, Seed: 43, Size: 2e6}); err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(a.Bytes(), c.Bytes()) {
				t.Fatal("different seeds gave the same bytes")
			}

			f, err := capture.NewReader(bytes.NewReader(a.Bytes()), format, nil)
			if err != nil {
				t.Fatal(err)
			}
			d := decode.NewDecoder(decode.Config{})
			var frames, ike, esp, keepalive int
			var last int64
			for {
				rec, err := f.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				frames++
				if n := rec.Time.UnixNano(); n <= last {
					t.Fatalf("frame %d: time does not increase", rec.Frame)
				} else {
					last = n
				}
				if len(rec.Data) < 60 || len(rec.Data) > maxFrame {
					t.Fatalf("frame %d: %d bytes", rec.Frame, len(rec.Data))
				}
				p, err := d.Decode(rec)
				if err != nil {
					t.Fatalf("frame %d: %v", rec.Frame, err)
				}
				if p == nil {
					continue
				}
				for _, pr := range p.Problems {
					t.Errorf("frame %d (%v): problem at %d: %s", rec.Frame, p.Kind, pr.Offset, pr.Reason)
				}
				switch p.Kind {
				case decode.KindIKE:
					ike++
					if p.IKE == nil {
						t.Fatalf("frame %d: IKE packet without a message", rec.Frame)
					}
					for _, e := range p.IKE.Errors {
						t.Errorf("frame %d: IKE error at %d: %s", rec.Frame, e.Offset, e.Reason)
					}
				case decode.KindESP:
					esp++
				case decode.KindNATKeepalive:
					keepalive++
				}
			}
			if int64(frames) != sta.Packets {
				t.Errorf("read %d frames, generator wrote %d", frames, sta.Packets)
			}
			if ike == 0 || esp == 0 || keepalive == 0 {
				t.Errorf("decoded %d IKE, %d ESP, %d keepalives: want all > 0", ike, esp, keepalive)
			}
			if int64(ike) != sta.IKE || int64(esp) != sta.ESP {
				t.Errorf("decoded %d IKE and %d ESP, generator wrote %d and %d", ike, esp, sta.IKE, sta.ESP)
			}
			t.Logf("%s: %d bytes, %d frames: %d IKE, %d ESP, %d keepalives", format, a.Len(), frames, ike, esp, keepalive)
		})
	}
}

// TestNegotiationsDecode generates enough packets for every tunnel to
// negotiate (including the failing and rekeying ones) and checks that no
// generated IKE message has a decoder problem.
func TestNegotiationsDecode(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var buf bytes.Buffer
	st, err := Generate(&buf, Config{Seed: 7, Packets: 250000})
	if err != nil {
		t.Fatal(err)
	}
	f, err := capture.NewReader(&buf, "mem", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := decode.NewDecoder(decode.Config{})
	ike := 0
	for {
		rec, err := f.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := d.Decode(rec)
		if err != nil || p == nil || p.Kind != decode.KindIKE {
			continue
		}
		ike++
		for _, e := range p.IKE.Errors {
			t.Fatalf("frame %d: IKE error at %d: %s", rec.Frame, e.Offset, e.Reason)
		}
		for _, pr := range p.Problems {
			t.Fatalf("frame %d: problem at %d: %s", rec.Frame, pr.Offset, pr.Reason)
		}
	}
	if int64(ike) != st.IKE || ike < 500 {
		t.Fatalf("decoded %d IKE messages, generator wrote %d (%d tunnels)", ike, st.IKE, st.Tunnels)
	}
	t.Logf("%d tunnels, %d negotiations, %d IKE messages", st.Tunnels, st.Negotiations, ike)
}
