package isakmp

import "testing"

// FuzzDecode checks that no input panics and that what Decode returns is
// consistent: offsets inside the message, payloads inside the message.
// The seed corpus is in testdata/fuzz/FuzzDecode (real messages from the
// shared captures and the lab) plus the table tests' messages below.
func FuzzDecode(f *testing.F) {
	f.Add(message(0x20, ExchangeIKESAInit, FlagInitiator, 0, pl{PayloadV2Nonce, make([]byte, 16)}))
	f.Add(message(0x10, ExchangeV1Main, 0, 0, pl{PayloadV1SA, v1SA(v1Proposal(0, 1, 1, nil, v1Transform(0, 1, 1, tv(1, 7))))}))
	f.Add(message(0x20, ExchangeCreateChildSA, FlagInitiator, 2, pl{PayloadV2TSi, []byte{1, 0, 0, 0, 7, 0, 0, 16, 0, 0, 255, 255, 1, 2, 3, 4, 5, 6, 7, 8}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			if len(b) >= HeaderLen {
				t.Fatalf("error for %d bytes: %v", len(b), err)
			}
			return
		}
		for _, e := range m.Errors {
			if e.Offset < 0 || e.Offset > len(b) {
				t.Fatalf("error offset %d outside %d bytes: %v", e.Offset, len(b), e)
			}
		}
		for _, p := range m.Payloads {
			if p.Offset < HeaderLen || p.Offset >= len(m.Raw) {
				t.Fatalf("payload at %d outside message of %d", p.Offset, len(m.Raw))
			}
		}
		_ = m.Summary()
		for _, n := range m.Notifies() {
			_ = n.Detail()
		}
	})
}
