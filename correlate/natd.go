package correlate

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"hash"
	"net/netip"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// natDetection checks the NAT detection hashes of a message against the
// addresses and ports the capture shows (RFC 7296 §2.23, RFC 3947 §3.2). A
// mismatch means an address was rewritten between the sender and here, or
// the sender lies on purpose to force UDP encapsulation.
func (c *Correlator) natDetection(sa *IKESA, msg *Message, p *decode.Packet) {
	m := p.IKE
	var src, dst [][]byte
	if sa.Version == 2 {
		for _, pl := range m.Payloads {
			if n, ok := pl.Body.(*isakmp.Notify); ok {
				switch n.Type {
				case isakmp.NotifyV2NATDetectionSrc:
					src = append(src, n.Data)
				case isakmp.NotifyV2NATDetectionDst:
					dst = append(dst, n.Data)
				}
			}
		}
	} else {
		// The first NAT-D is the receiver's address, the rest the sender's.
		for _, pl := range m.Payloads {
			if d, ok := pl.Body.(*isakmp.NATDiscovery); ok {
				if dst == nil {
					dst = append(dst, d.Hash)
				} else {
					src = append(src, d.Hash)
				}
			}
		}
	}
	if len(src) == 0 && len(dst) == 0 {
		return
	}
	newHash := natdHash(sa)
	if newHash == nil {
		return
	}
	digest := func(ap netip.AddrPort) []byte {
		h := newHash()
		h.Write(m.InitiatorSPI[:])
		h.Write(m.ResponderSPI[:])
		h.Write(ap.Addr().Unmap().AsSlice())
		h.Write(binary.BigEndian.AppendUint16(nil, ap.Port()))
		return h.Sum(nil)
	}
	senderNAT := len(src) > 0 && !anyEqual(src, digest(p.Src))
	receiverNAT := len(dst) > 0 && !anyEqual(dst, digest(p.Dst))
	sa.NATD.Checked = true
	if len(sa.NATD.Frames) < maxEvidencePerSA {
		sa.NATD.Frames = append(sa.NATD.Frames, p.Frame)
	}
	initNAT, respNAT := senderNAT, receiverNAT
	if msg.Dir == FromResponder {
		initNAT, respNAT = receiverNAT, senderNAT
	}
	sa.NATD.InitiatorBehindNAT = sa.NATD.InitiatorBehindNAT || initNAT
	sa.NATD.ResponderBehindNAT = sa.NATD.ResponderBehindNAT || respNAT
}

// natdHash is SHA-1 for IKEv2 and the negotiated phase-1 hash for IKEv1,
// or nil when that is not known.
func natdHash(sa *IKESA) func() hash.Hash {
	if sa.Version == 2 {
		return sha1.New
	}
	switch sa.v1Hash {
	case 1:
		return md5.New
	case 2:
		return sha1.New
	case 4:
		return sha256.New
	case 5:
		return sha512.New384
	case 6:
		return sha512.New
	}
	return nil
}

func anyEqual(hashes [][]byte, want []byte) bool {
	for _, h := range hashes {
		if string(h) == string(want) {
			return true
		}
	}
	return false
}
