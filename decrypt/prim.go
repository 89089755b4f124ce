package decrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/crypto/blowfish"
	"golang.org/x/crypto/cast5"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/ripemd160" // deprecated for new designs; RFC 2857 ESP (Wireshark's MAC-RIPEMD-160-96) needs it
	"golang.org/x/crypto/twofish"

	"github.com/ipsecpcap/ipsecpcap/keys"
)

// Reasons reported in Decrypted.Reason.
const (
	ReasonIntegrity = "integrity check failed: wrong keys or corrupted packet"
	ReasonPadding   = "padding invalid: wrong key"
	ReasonNoKE      = "no KE payloads seen for this IKE SA: cannot derive the phase-1 IV"
)

var errAuth = errors.New(ReasonIntegrity)

// blockCipher returns the block cipher for a CBC/CTR/AEAD family with the
// given key.
func blockCipher(c keys.Cipher, key []byte) (cipher.Block, error) {
	switch c {
	case keys.CipherDES:
		if len(key) != 8 {
			return nil, fmt.Errorf("DES needs an 8-byte key, have %d bytes", len(key))
		}
		return des.NewCipher(key)
	case keys.Cipher3DES:
		if len(key) != 24 {
			return nil, fmt.Errorf("3DES needs a 24-byte key, have %d bytes", len(key))
		}
		return des.NewTripleDESCipher(key)
	case keys.CipherTwofishCBC:
		switch len(key) {
		case 16, 24, 32:
			return twofish.NewCipher(key)
		}
		return nil, fmt.Errorf("Twofish needs a 16, 24 or 32-byte key, have %d bytes", len(key))
	case keys.CipherBlowfishCBC:
		// RFC 2451: 40 to 448 bits, 128 by default
		if len(key) < 5 || len(key) > 56 {
			return nil, fmt.Errorf("Blowfish needs a key of 5 to 56 bytes, have %d bytes", len(key))
		}
		return blowfish.NewCipher(key)
	case keys.CipherCAST5CBC:
		// RFC 2144 §2.5: a key shorter than 128 bits is padded with
		// zeros; up to 80 bits CAST-128 runs 12 rounds, which
		// x/crypto/cast5 (16 rounds) does not.
		if len(key) <= 10 || len(key) > 16 {
			return nil, fmt.Errorf("CAST5 with a %d-byte key is not supported: keys of 11 to 16 bytes are (x/crypto/cast5 runs the 16 rounds of keys over 80 bits)", len(key))
		}
		k := make([]byte, 16)
		copy(k, key)
		return cast5.NewCipher(k)
	default:
		switch len(key) {
		case 16, 24, 32:
			return aes.NewCipher(key)
		}
		return nil, fmt.Errorf("AES needs a 16, 24 or 32-byte key, have %d bytes", len(key))
	}
}

// cbcDecrypt decrypts ct (a multiple of the block size) with iv.
func cbcDecrypt(b cipher.Block, iv, ct []byte) ([]byte, error) {
	bs := b.BlockSize()
	if len(iv) != bs {
		return nil, fmt.Errorf("IV of %d bytes for a %d-byte block", len(iv), bs)
	}
	if len(ct) == 0 || len(ct)%bs != 0 {
		return nil, fmt.Errorf("ciphertext of %d bytes is not a whole number of %d-byte blocks", len(ct), bs)
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(pt, ct)
	return pt, nil
}

// ctrDecrypt is AES-CTR as in RFC 3686 / RFC 5930: the counter block is
// nonce(4) | IV(8) | counter starting at 1.
func ctrDecrypt(b cipher.Block, salt, iv, ct []byte) []byte {
	ctr := make([]byte, 16)
	copy(ctr, salt)
	copy(ctr[4:], iv)
	ctr[15] = 1
	pt := make([]byte, len(ct))
	cipher.NewCTR(b, ctr).XORKeyStream(pt, ct)
	return pt
}

// gcmOpen decrypts AES-GCM with a 12-byte nonce and an ICV of 8, 12 or 16
// bytes. The standard library accepts tags of 12 to 16 bytes only, so the
// tag is checked by decrypting in CTR mode and sealing the plaintext again:
// the full tag is computed and compared in its first icvLen bytes.
func gcmOpen(b cipher.Block, nonce, ct, icv, aad []byte) ([]byte, error) {
	g, err := cipher.NewGCM(b)
	if err != nil {
		return nil, err
	}
	if len(nonce) != 12 {
		return nil, errors.New("GCM nonce must be 12 bytes")
	}
	ctr := make([]byte, 16)
	copy(ctr, nonce)
	ctr[15] = 2 // J0 + 1
	pt := make([]byte, len(ct))
	cipher.NewCTR(b, ctr).XORKeyStream(pt, ct)
	sealed := g.Seal(nil, nonce, pt, aad)
	tag := sealed[len(ct):]
	if len(icv) > len(tag) || subtle.ConstantTimeCompare(tag[:len(icv)], icv) != 1 {
		return nil, errAuth
	}
	return pt, nil
}

// ccmOpen decrypts AES-CCM (RFC 3610) with an 11-byte nonce (L = 4), as
// used by IKEv2 (RFC 5282) and ESP (RFC 4309).
func ccmOpen(b cipher.Block, nonce, ct, icv, aad []byte) ([]byte, error) {
	if len(nonce) != 11 {
		return nil, errors.New("CCM nonce must be 11 bytes")
	}
	m := len(icv)
	if m != 8 && m != 12 && m != 16 {
		return nil, errors.New("CCM ICV must be 8, 12 or 16 bytes")
	}
	if uint64(len(ct)) >= 1<<32 {
		return nil, errors.New("CCM message too long")
	}
	pt := ccmCTR(b, nonce, ct)
	if subtle.ConstantTimeCompare(ccmTag(b, nonce, pt, aad, m), icv) != 1 {
		return nil, errAuth
	}
	return pt, nil
}

// ccmL is the size of CCM's length field with an 11-byte nonce.
const ccmL = 4

// ccmCTR is CCM's counter mode: A_i = flags(L-1) | nonce | i, from i = 1
// (it encrypts and decrypts alike).
func ccmCTR(b cipher.Block, nonce, in []byte) []byte {
	a := make([]byte, 16)
	a[0] = ccmL - 1
	copy(a[1:], nonce)
	a[15] = 1
	out := make([]byte, len(in))
	cipher.NewCTR(b, a).XORKeyStream(out, in)
	return out
}

// ccmTag is CCM's m-byte tag: the CBC-MAC over B_0 | encoded AAD |
// plaintext, encrypted with the counter block A_0.
func ccmTag(b cipher.Block, nonce, pt, aad []byte, m int) []byte {
	a := make([]byte, 16)
	a[0] = ccmL - 1
	copy(a[1:], nonce)
	s0 := make([]byte, 16)
	b.Encrypt(s0, a)
	b0 := make([]byte, 16)
	b0[0] = byte(ccmL-1) | byte((m-2)/2)<<3
	if len(aad) > 0 {
		b0[0] |= 0x40
	}
	copy(b0[1:], nonce)
	n := len(pt)
	b0[12], b0[13], b0[14], b0[15] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	x := make([]byte, 16)
	mac := func(data []byte) {
		for len(data) > 0 {
			blk := make([]byte, 16)
			k := copy(blk, data)
			data = data[k:]
			subtle.XORBytes(x, x, blk)
			b.Encrypt(x, x)
		}
	}
	mac(b0)
	if len(aad) > 0 {
		var hdr []byte
		if len(aad) < 0xff00 {
			hdr = []byte{byte(len(aad) >> 8), byte(len(aad))}
		} else {
			l := len(aad)
			hdr = []byte{0xff, 0xfe, byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)}
		}
		mac(append(hdr, aad...))
	}
	mac(pt)
	tag := make([]byte, 16)
	subtle.XORBytes(tag, x, s0)
	return tag[:m]
}

// chachaOpen decrypts ChaCha20-Poly1305 (RFC 7634): key 32 bytes, nonce
// salt(4) | IV(8), 16-byte tag.
func chachaOpen(key, nonce, ct, icv, aad []byte) ([]byte, error) {
	a, err := chacha20poly1305.New(key)
	if err != nil {
		return nil, err
	}
	if len(icv) != 16 || len(nonce) != 12 {
		return nil, errors.New("ChaCha20-Poly1305 needs a 12-byte nonce and a 16-byte ICV")
	}
	pt, err := a.Open(nil, nonce, append(append([]byte(nil), ct...), icv...), aad)
	if err != nil {
		return nil, errAuth
	}
	return pt, nil
}

// aeadOpen dispatches to the AEAD of the cipher; key includes the salt.
func aeadOpen(c keys.Cipher, keyWithSalt, iv, ct, icv, aad []byte) ([]byte, error) {
	sl := c.SaltLen()
	if len(keyWithSalt) <= sl {
		return nil, fmt.Errorf("%s key of %d bytes is too short (salt of %d bytes included)", c, len(keyWithSalt), sl)
	}
	key, salt := keyWithSalt[:len(keyWithSalt)-sl], keyWithSalt[len(keyWithSalt)-sl:]
	nonce := append(append([]byte(nil), salt...), iv...)
	if c == keys.CipherChaCha20Poly1305 {
		return chachaOpen(key, nonce, ct, icv, aad)
	}
	b, err := blockCipher(c, key)
	if err != nil {
		return nil, err
	}
	if c == keys.CipherAESCCM {
		return ccmOpen(b, nonce, ct, icv, aad)
	}
	return gcmOpen(b, nonce, ct, icv, aad)
}

func hmacHash(a keys.Integ) func() hash.Hash {
	switch a {
	case keys.IntegHMACMD5:
		return md5.New
	case keys.IntegHMACSHA1:
		return sha1.New
	case keys.IntegHMACSHA256:
		return sha256.New
	case keys.IntegHMACSHA384:
		return sha512.New384
	case keys.IntegHMACSHA512:
		return sha512.New
	case keys.IntegHMACRIPEMD160:
		return ripemd160.New
	}
	return nil
}

// computeICV computes the (untruncated) MAC of data.
func computeICV(a keys.Integ, key, data []byte) ([]byte, error) {
	if h := hmacHash(a); h != nil {
		m := hmac.New(h, key)
		m.Write(data)
		return m.Sum(nil), nil
	}
	switch a {
	case keys.IntegAESXCBC:
		return aesXCBC(key, data)
	case keys.IntegAESCMAC:
		return aesCMAC(key, data)
	}
	return nil, fmt.Errorf("integrity algorithm %s not supported", a)
}

// verifyICV checks icv against the MAC of data. It returns (false, nil)
// when the integrity algorithm does not check ("ANY ... [no checking]")
// or there is none.
func verifyICV(in keys.Integrity, key, data, icv []byte) (checked bool, err error) {
	switch in.Alg {
	case keys.IntegAny, keys.IntegNone:
		return false, nil
	}
	if len(key) == 0 {
		return false, errors.New("no integrity key for this direction")
	}
	full, err := computeICV(in.Alg, key, data)
	if err != nil {
		return false, err
	}
	if len(icv) > len(full) || subtle.ConstantTimeCompare(full[:len(icv)], icv) != 1 {
		return true, errAuth
	}
	return true, nil
}

// aesXCBC is AES-XCBC-MAC (RFC 3566) with the key handling of RFC 4434
// for keys that are not 16 bytes.
func aesXCBC(key, data []byte) ([]byte, error) {
	if len(key) != 16 {
		k0 := make([]byte, 16)
		if len(key) < 16 {
			copy(k0, key)
			key = k0
		} else {
			m, err := aesXCBC(k0, key)
			if err != nil {
				return nil, err
			}
			key = m
		}
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	k := func(c byte) []byte {
		in := make([]byte, 16)
		for i := range in {
			in[i] = c
		}
		out := make([]byte, 16)
		b.Encrypt(out, in)
		return out
	}
	k1, k2, k3 := k(1), k(2), k(3)
	b1, err := aes.NewCipher(k1)
	if err != nil {
		return nil, err
	}
	return cbcMAC(b1, data, k2, k3), nil
}

// cbcMAC is the CBC-MAC shared by AES-XCBC and AES-CMAC: the last block is
// XORed with kFull when it is whole, else padded with 0x80 and XORed with
// kPartial.
func cbcMAC(b cipher.Block, data, kFull, kPartial []byte) []byte {
	e := make([]byte, 16)
	for len(data) > 16 {
		subtle.XORBytes(e, e, data[:16])
		b.Encrypt(e, e)
		data = data[16:]
	}
	last := make([]byte, 16)
	copy(last, data)
	if len(data) == 16 {
		subtle.XORBytes(last, last, kFull)
	} else {
		last[len(data)] = 0x80
		subtle.XORBytes(last, last, kPartial)
	}
	subtle.XORBytes(e, e, last)
	b.Encrypt(e, e)
	return e
}

// aesCMAC is AES-CMAC (RFC 4493).
func aesCMAC(key, data []byte) ([]byte, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	dbl := func(in []byte) []byte {
		out := make([]byte, 16)
		carry := in[0] >> 7
		for i := 0; i < 15; i++ {
			out[i] = in[i]<<1 | in[i+1]>>7
		}
		out[15] = in[15] << 1
		if carry == 1 {
			out[15] ^= 0x87
		}
		return out
	}
	l := make([]byte, 16)
	b.Encrypt(l, l)
	k1 := dbl(l)
	k2 := dbl(k1)
	return cbcMAC(b, data, k1, k2), nil
}
