package decrypt

import (
	"fmt"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

type fragKey struct {
	spis  [16]byte
	mid   uint32
	flags isakmp.Flags
}

type fragSet struct {
	total int
	first isakmp.PayloadType
	parts map[int][]byte
	size  int
}

// ikev2 decrypts the SK or SKF payload of an IKEv2 message (RFC 7296
// §3.14, RFC 5282, RFC 7383).
func (d *Decrypter) ikev2(p *decode.Packet) {
	m := p.IKE
	idx := -1
	for i, pl := range m.Payloads {
		switch pl.Body.(type) {
		case *isakmp.Encrypted, *isakmp.EncryptedFragment:
			idx = i
		}
	}
	if idx < 0 {
		return
	}
	k, ok := d.store.IKEv2(m.InitiatorSPI, m.ResponderSPI)
	if !ok {
		return
	}
	ek, ak := k.SKer, k.SKar
	if m.IsInitiator() {
		ek, ak = k.SKei, k.SKai
	}
	if len(ek) == 0 && k.Encr.Cipher != keys.CipherNull {
		return // no key for this direction
	}
	pl := m.Payloads[idx]
	raw := m.Raw
	start := pl.Offset + 4
	frag, isFrag := pl.Body.(*isakmp.EncryptedFragment)
	if isFrag {
		start = pl.Offset + 8
	}
	end := pl.Offset + pl.Length
	if pl.Offset < 0 || start > end || end > len(raw) {
		p.Decrypted = fail("encrypted payload cut short: cannot decrypt")
		return
	}
	pt, reason := openSK(k, ek, ak, raw[:start], raw[start:end], raw[:end])
	if reason != "" {
		p.Decrypted = fail(reason)
		return
	}
	if !isFrag {
		first := pl.Body.(*isakmp.Encrypted).FirstPayload
		p.Decrypted = chain(2, first, pt)
		return
	}
	p.Decrypted = d.fragment(m, frag, pt)
}

func chain(version int, first isakmp.PayloadType, pt []byte) *decode.Decrypted {
	pls, errs := isakmp.DecodeChain(version, first, pt)
	return &decode.Decrypted{OK: true, Payloads: pls, Errors: errs}
}

// fragment stores a decrypted SKF fragment and decodes the message once
// every fragment has been seen.
func (d *Decrypter) fragment(m *isakmp.Message, f *isakmp.EncryptedFragment, pt []byte) *decode.Decrypted {
	n, total := int(f.Number), int(f.Total)
	if n < 1 || total < 1 || n > total || total > maxFragTotal {
		return fail(fmt.Sprintf("SKF fragment %d of %d: invalid numbering", n, total))
	}
	key := fragKey{mid: m.MessageID, flags: m.Flags & (isakmp.FlagInitiator | isakmp.FlagResponse)}
	copy(key.spis[:8], m.InitiatorSPI[:])
	copy(key.spis[8:], m.ResponderSPI[:])
	fs := d.frags[key]
	if fs == nil || fs.total != total {
		if len(d.frags) >= maxFragSets {
			for k := range d.frags {
				delete(d.frags, k)
				break
			}
		}
		fs = &fragSet{total: total, parts: map[int][]byte{}}
		d.frags[key] = fs
	}
	if _, dup := fs.parts[n]; !dup {
		if fs.size+len(pt) > maxFragPayload {
			return fail("SKF fragments exceed the reassembly bound")
		}
		fs.parts[n] = pt
		fs.size += len(pt)
	}
	if n == 1 {
		fs.first = f.FirstPayload
	}
	if len(fs.parts) < total {
		return &decode.Decrypted{OK: true, Reason: fmt.Sprintf("SKF fragment %d of %d decrypted; the message is decoded with its last fragment", n, total)}
	}
	var all []byte
	for i := 1; i <= total; i++ {
		all = append(all, fs.parts[i]...)
	}
	delete(d.frags, key)
	out := chain(2, fs.first, all)
	out.Reason = fmt.Sprintf("reassembled from %d SKF fragments", total)
	return out
}

// openSK verifies and decrypts the body of an SK payload (IV | ciphertext
// | ICV). aad is the message up to the IV; whole is the message up to the
// end of the payload (the ICV included).
func openSK(k *keys.IKEv2Keys, ek, ak keys.Key, aad, body, whole []byte) ([]byte, string) {
	c := k.Encr.Cipher
	var pt []byte
	if c == keys.CipherAESGMAC {
		// RFC 4543 defines it for ESP and AH only; IKEv2 cannot use it
		return nil, "AES-GMAC (authentication only) is not an IKEv2 encryption algorithm"
	}
	if c.AEAD() {
		icv := k.Encr.ICVLen
		if len(body) < 8+icv {
			return nil, fmt.Sprintf("encrypted payload of %d bytes is shorter than IV and ICV", len(body))
		}
		var err error
		pt, err = aeadOpen(c, ek, body[:8], body[8:len(body)-icv], body[len(body)-icv:], aad)
		if err != nil {
			return nil, err.Error()
		}
	} else {
		icvLen := k.Integ.TruncLen
		if k.Integ.Alg == keys.IntegNone {
			icvLen = 0
		}
		if len(body) < icvLen {
			return nil, "encrypted payload shorter than its ICV"
		}
		if _, err := verifyICV(k.Integ, ak, whole[:len(whole)-icvLen], body[len(body)-icvLen:]); err != nil {
			return nil, err.Error()
		}
		body = body[:len(body)-icvLen]
		switch c {
		case keys.CipherNull:
			pt = body
		case keys.CipherAESCTR:
			key, salt := splitSalt(ek, 4)
			b, err := blockCipher(c, key)
			if err != nil {
				return nil, err.Error()
			}
			if len(body) < 8 {
				return nil, "encrypted payload shorter than its IV"
			}
			pt = ctrDecrypt(b, salt, body[:8], body[8:])
		default:
			b, err := blockCipher(c, ek)
			if err != nil {
				return nil, err.Error()
			}
			bs := b.BlockSize()
			if len(body) < bs {
				return nil, "encrypted payload shorter than its IV"
			}
			pt, err = cbcDecrypt(b, body[:bs], body[bs:])
			if err != nil {
				return nil, err.Error()
			}
		}
	}
	if len(pt) == 0 {
		return nil, ReasonPadding
	}
	pad := int(pt[len(pt)-1])
	if pad+1 > len(pt) {
		return nil, ReasonPadding
	}
	return pt[:len(pt)-1-pad], ""
}

func splitSalt(k []byte, n int) (key, salt []byte) {
	if len(k) < n {
		return k, nil
	}
	return k[:len(k)-n], k[len(k)-n:]
}
