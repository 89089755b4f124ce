package decrypt

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
	"net/netip"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

// IKEv1 phase-1 attribute classes and values (RFC 2409 App. A).
const (
	attrEncr      = 1
	attrHash      = 2
	attrKeyLength = 14

	encrDES      = 1
	encrIDEA     = 2
	encrBlowfish = 3
	encrRC5      = 4
	encr3DES     = 5
	encrCAST     = 6
	encrAES      = 7
	encrCamellia = 8

	hashMD5    = 1
	hashSHA1   = 2
	hashTiger  = 3
	hashSHA256 = 4
	hashSHA384 = 5
	hashSHA512 = 6
)

// v1SA is what decryption of one IKEv1 SA needs, learnt from the clear
// messages: the two KE payloads, the chosen transform, the IV chains.
type v1SA struct {
	initiator netip.AddrPort
	haveInit  bool
	kei, ker  []byte
	// chosen transform (from the responder's SA payload; the initiator's
	// when it offered a single transform and no answer was seen)
	encr, keyBits, hash uint64
	chosen              bool
	p1                  *v1chain
	p1hist              [][]byte // the phase-1 IVs so far, oldest first
	msgs                map[uint32]*v1chain
}

// v1chain is the CBC IV chain of one message ID: the IV of the next new
// message, and the IV each message seen so far was decrypted with (so a
// retransmission decrypts again without moving the chain).
type v1chain struct {
	iv   []byte
	seen map[string][]byte
}

func newChain(iv []byte) *v1chain { return &v1chain{iv: iv, seen: map[string][]byte{}} }

// ivFor returns the IV for ciphertext ct and moves the chain on to ct's
// last block when ct is new.
func (c *v1chain) ivFor(ct []byte, bs int) []byte {
	if iv, ok := c.seen[string(ct)]; ok {
		return iv
	}
	iv := c.iv
	if len(c.seen) >= maxSeenPerMsg {
		for k := range c.seen {
			delete(c.seen, k)
			break
		}
	}
	c.seen[string(ct)] = iv
	if len(ct) >= bs {
		c.iv = append([]byte(nil), ct[len(ct)-bs:]...)
	}
	return iv
}

func (d *Decrypter) v1state(c isakmp.SPI) *v1SA {
	s := d.v1[c]
	if s == nil {
		if len(d.v1) >= maxV1SAs {
			for k := range d.v1 {
				delete(d.v1, k)
				break
			}
		}
		s = &v1SA{msgs: map[uint32]*v1chain{}}
		d.v1[c] = s
	}
	return s
}

// ikev1 learns from a clear IKEv1 message, or decrypts an encrypted one
// (RFC 2409 Appendix B).
func (d *Decrypter) ikev1(p *decode.Packet) {
	m := p.IKE
	var zero isakmp.SPI
	if m.InitiatorSPI == zero {
		return
	}
	if f := ciscoFragment(m); f != nil {
		if len(d.store.IKEv1Candidates(m.InitiatorSPI)) > 0 {
			d.v1fragment(p, f)
		}
		return
	}
	if m.Encrypted == nil {
		if _, ok := d.store.IKEv1SA(m.InitiatorSPI); !ok {
			return // no key: keep no state
		}
		s := d.v1state(m.InitiatorSPI)
		if m.ResponderSPI == zero && !s.haveInit {
			s.initiator, s.haveInit = p.Src, true
		}
		s.learn(p, m.Payloads)
		return
	}
	cands := d.store.IKEv1Candidates(m.InitiatorSPI)
	if len(cands) == 0 {
		return
	}
	s := d.v1state(m.InitiatorSPI)
	// The IV depends on the ciphertext only: take it once, then try each
	// candidate key. A new phase-2 message ID may be based on an earlier
	// phase-1 IV than the last: a peer that could not decrypt the last
	// phase-1 message (a pre-shared key mismatch) never moved its IV on.
	ivs, bs, commit, res := s.iv(p, cands[0])
	if res != nil {
		p.Decrypted = res
		return
	}
	var first *decode.Decrypted
	for i, iv := range ivs {
		for _, kk := range cands {
			res = s.decrypt(p, kk, iv, bs)
			if res.OK {
				commit(i)
				p.Decrypted = res
				return
			}
			if first == nil {
				first = res
			}
		}
	}
	commit(0)
	p.Decrypted = first
}

// learn records the KE payloads and the SA transform of a phase-1 message.
func (s *v1SA) learn(p *decode.Packet, pls []isakmp.Payload) {
	fromInit := s.haveInit && p.Src.Addr() == s.initiator.Addr()
	for _, pl := range pls {
		switch b := pl.Body.(type) {
		case *isakmp.KeyExchange:
			if len(b.Data) == 0 {
				continue
			}
			fromI := fromInit
			if !s.haveInit {
				fromI = s.kei == nil // the initiator's KE comes first
			}
			if fromI {
				s.kei = append([]byte(nil), b.Data...)
			} else {
				s.ker = append([]byte(nil), b.Data...)
			}
		case *isakmp.SA:
			if p.IKE.Exchange != isakmp.ExchangeV1Main && p.IKE.Exchange != isakmp.ExchangeV1Aggressive {
				continue
			}
			if len(b.Proposals) == 0 || len(b.Proposals[0].Transforms) == 0 {
				continue
			}
			one := len(b.Proposals) == 1 && len(b.Proposals[0].Transforms) == 1
			resp := s.haveInit && !fromInit
			if resp || (one && !s.chosen) {
				t := b.Proposals[0].Transforms[0]
				s.encr, s.keyBits, s.hash = 0, 0, 0
				for _, a := range t.Attributes {
					switch a.Type {
					case attrEncr:
						s.encr = a.Value
					case attrHash:
						s.hash = a.Value
					case attrKeyLength:
						s.keyBits = a.Value
					}
				}
				if resp {
					s.chosen = true
				}
			}
		}
	}
}

// algorithms returns the cipher, key length and IV hash of the SA, from
// the SA payloads seen, else from the key's hints, else from the key
// length.
func (s *v1SA) algorithms(kk *keys.IKEv1Keys) (keys.Cipher, int, func() hash.Hash, error) {
	c, klen := keys.CipherUnknown, 0
	switch s.encr {
	case encrDES:
		c, klen = keys.CipherDES, 8
	case encr3DES:
		c, klen = keys.Cipher3DES, 24
	case encrAES, encrBlowfish, encrCAST:
		// RFC 2409 App. A: variable key lengths (the Key-Length
		// attribute), 128 bits by default
		c, klen = map[uint64]keys.Cipher{encrAES: keys.CipherAESCBC, encrBlowfish: keys.CipherBlowfishCBC, encrCAST: keys.CipherCAST5CBC}[s.encr], 16
		if s.keyBits != 0 {
			klen = int(s.keyBits / 8)
		}
	case encrIDEA, encrRC5, encrCamellia:
		name := map[uint64]string{encrIDEA: "IDEA-CBC", encrRC5: "RC5-R16-B64-CBC", encrCamellia: "Camellia-CBC"}[s.encr]
		return 0, 0, nil, fmt.Errorf("IKEv1 %s (%d)", keys.Refusal("encryption", name), s.encr)
	case 0:
		if kk.Encr != "" {
			if e, ok := keys.ParseEncryption(kk.Encr); ok {
				c = e.Cipher
				switch {
				case c == keys.CipherDES:
					klen = 8
				case c == keys.Cipher3DES:
					klen = 24
				case strings.HasSuffix(kk.Encr, "_192"):
					klen = 24
				case strings.HasSuffix(kk.Encr, "_256"):
					klen = 32
				default:
					klen = 16
				}
			}
		}
		if c == keys.CipherUnknown {
			switch len(kk.EncKey) {
			case 8:
				c, klen = keys.CipherDES, 8
			case 16, 32:
				c, klen = keys.CipherAESCBC, len(kk.EncKey)
			case 24:
				c, klen = keys.Cipher3DES, 24
			}
		}
	default:
		return 0, 0, nil, fmt.Errorf("IKEv1 encryption algorithm %d is not supported", s.encr)
	}
	if c == keys.CipherUnknown {
		return 0, 0, nil, fmt.Errorf("no SA payload seen and a %d-byte key: cannot tell the encryption algorithm", len(kk.EncKey))
	}
	var h func() hash.Hash
	switch s.hash {
	case hashMD5:
		h = md5.New
	case hashSHA1:
		h = sha1.New
	case hashSHA256:
		h = sha256.New
	case hashSHA384:
		h = sha512.New384
	case hashSHA512:
		h = sha512.New
	case 0:
		h = sha1.New
		if kk.Hash != "" {
			if in, ok := keys.ParseIntegrity(kk.Hash, 0); ok {
				if f := hmacHash(in.Alg); f != nil {
					h = f
				}
			}
		}
	case hashTiger:
		return 0, 0, nil, fmt.Errorf("IKEv1 %s (%d)", keys.Refusal("hash", "Tiger"), s.hash)
	default:
		return 0, 0, nil, fmt.Errorf("IKEv1 hash algorithm %d is not supported", s.hash)
	}
	return c, klen, h, nil
}

// iv returns the candidate IVs for the encrypted message of p, best
// first, and a function that moves the chains on with the one that worked.
func (s *v1SA) iv(p *decode.Packet, kk *keys.IKEv1Keys) ([][]byte, int, func(int), *decode.Decrypted) {
	m := p.IKE
	c, _, h, err := s.algorithms(kk)
	if err != nil {
		return nil, 0, nil, fail(err.Error())
	}
	bs := c.BlockSize()
	if s.p1 == nil {
		if s.kei == nil || s.ker == nil {
			return nil, 0, nil, fail(ReasonNoKE)
		}
		hh := h()
		hh.Write(s.kei)
		hh.Write(s.ker)
		iv := hh.Sum(nil)
		s.p1 = newChain(iv[:bs])
		s.p1hist = [][]byte{s.p1.iv}
	}
	ct := m.Encrypted.Data
	if len(ct) == 0 || len(ct)%bs != 0 {
		return nil, 0, nil, fail(fmt.Sprintf("encrypted body of %d bytes is not a whole number of %d-byte blocks", len(ct), bs))
	}
	if m.MessageID == 0 {
		iv := s.p1.ivFor(ct, bs)
		if len(s.p1hist) < maxSeenPerMsg && !bytes.Equal(s.p1hist[len(s.p1hist)-1], s.p1.iv) {
			s.p1hist = append(s.p1hist, s.p1.iv)
		}
		return [][]byte{iv}, bs, func(int) {}, nil
	}
	if ch := s.msgs[m.MessageID]; ch != nil {
		return [][]byte{ch.ivFor(ct, bs)}, bs, func(int) {}, nil
	}
	if len(s.msgs) >= maxV1MsgIDs {
		for k := range s.msgs {
			delete(s.msgs, k)
			break
		}
	}
	var mid [4]byte
	binary.BigEndian.PutUint32(mid[:], m.MessageID)
	var ivs [][]byte
	for i := len(s.p1hist) - 1; i >= 0; i-- {
		hh := h()
		hh.Write(s.p1hist[i])
		hh.Write(mid[:])
		ivs = append(ivs, hh.Sum(nil)[:bs])
	}
	commit := func(i int) {
		ch := newChain(ivs[i])
		ch.ivFor(ct, bs)
		s.msgs[m.MessageID] = ch
	}
	return ivs, bs, commit, nil
}

func (s *v1SA) decrypt(p *decode.Packet, kk *keys.IKEv1Keys, iv []byte, bs int) *decode.Decrypted {
	m := p.IKE
	c, klen, _, err := s.algorithms(kk)
	if err != nil {
		return fail(err.Error())
	}
	if len(kk.EncKey) < klen {
		return fail(fmt.Sprintf("the key has %d bytes, %s needs %d", len(kk.EncKey), c, klen))
	}
	b, err := blockCipher(c, kk.EncKey[:klen])
	if err != nil {
		return fail(err.Error())
	}
	if b.BlockSize() != bs {
		return fail("cipher block size changed between keys")
	}
	pt, err := cbcDecrypt(b, iv, m.Encrypted.Data)
	if err != nil {
		return fail(err.Error())
	}
	out := chain(1, m.Encrypted.FirstPayload, pt)
	if len(out.Errors) > 0 || len(out.Payloads) == 0 {
		out.OK = false
		out.Reason = "decrypted payloads do not parse: wrong key or IV"
	}
	return out
}
