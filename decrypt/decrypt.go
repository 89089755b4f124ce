// Package decrypt decrypts IKEv1, IKEv2 and ESP packets with the keys of a
// keys.Store and fills decode.Packet.Decrypted: the inner IKE payloads
// (decoded by isakmp.DecodeChain) or the inner packet of ESP.
//
// It owns the cryptography and the per-SA state decryption needs (IKEv1 KE
// payloads, chosen transforms and IV chains; IKEv1 fragments, payload 132;
// IKEv2 SKF fragments), fed by the packets in capture order. An ESP packet
// carrying ESP is decrypted through its layers, a bounded number of them;
// one carrying IPComp is inflated to the packet inside (RFC 3173, 2394).
// It never prints, and no key byte appears in any Reason it writes.
package decrypt

import (
	"crypto/cipher"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

// Bounds on the state kept for hostile or very long captures.
const (
	maxV1SAs       = 4096
	maxV1MsgIDs    = 256 // per IKEv1 SA
	maxFragSets    = 1024
	maxFragTotal   = 64
	maxSeenPerMsg  = 16
	maxFragPayload = 1 << 20
)

// Decrypter decrypts the packets of one capture, in capture order. It keeps
// state between packets and is not safe for concurrent use.
type Decrypter struct {
	store   *keys.Store
	v1      map[isakmp.SPI]*v1SA
	frags   map[fragKey]*fragSet
	v1frags map[v1FragKey]*v1FragSet
	// espBlocks are the ESP SAs' block ciphers, keyed (one per SA of the
	// store: bounded by the keys given)
	espBlocks map[*keys.ESPKeys]cipher.Block
}

// New returns a decrypter using the keys of store (nil: no keys).
func New(store *keys.Store) *Decrypter {
	return &Decrypter{store: store, v1: map[isakmp.SPI]*v1SA{}, frags: map[fragKey]*fragSet{}}
}

// Packet decrypts an IKE message with encrypted content and fills
// p.Decrypted; it leaves p.Decrypted nil when there is nothing to decrypt
// or no key. IKEv1 messages that are not encrypted are still read for the
// state later messages need (KE payloads, the chosen SA transform).
//
// ESP packets need their bytes, which decode.Packet does not keep: use
// PacketFrame (or ESP) for them; Packet leaves them alone.
func (d *Decrypter) Packet(p *decode.Packet) {
	if d == nil || p == nil {
		return
	}
	if p.Kind == decode.KindIKE && p.IKE != nil && !p.Truncated {
		switch p.IKE.MajorVersion() {
		case 1:
			d.ikev1(p)
		case 2:
			d.ikev2(p)
		}
	}
}

// PacketFrame is Packet for a packet together with the bytes of the frame
// it was decoded from (capture.Record.Data): it also decrypts ESP packets
// that were not reassembled from IP fragments.
func (d *Decrypter) PacketFrame(p *decode.Packet, frame []byte) {
	if d == nil || p == nil {
		return
	}
	if p.Kind != decode.KindESP {
		d.Packet(p)
		return
	}
	if b := ESPBytes(p, frame); b != nil {
		d.ESP(p, b)
	}
}

// ESPBytes returns the ESP packet (header, payload, ICV) of p inside the
// bytes of its frame, or nil when they are not all there (a reassembled
// datagram, or a frame cut by the snaplen).
func ESPBytes(p *decode.Packet, frame []byte) []byte {
	if p == nil || p.Kind != decode.KindESP || p.Truncated {
		return nil
	}
	if p.PayloadOffset < 0 {
		// Reassembled from IP fragments: the datagram is kept with the
		// packet (UDP header first when encapsulated).
		b := p.Reassembled
		if p.UDPEncapsulated {
			if len(b) < 8 {
				return nil
			}
			b = b[8:]
		}
		if len(b) < 8 {
			return nil
		}
		return b
	}
	n := p.Length
	if p.UDPEncapsulated {
		n -= 8
	}
	if n < 8 || p.PayloadOffset > len(frame) || p.PayloadOffset+n > len(frame) {
		return nil
	}
	return frame[p.PayloadOffset : p.PayloadOffset+n]
}

func fail(reason string) *decode.Decrypted { return &decode.Decrypted{Reason: reason} }
