package decrypt

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

// ESP decrypts the ESP packet b (header, payload and ICV) of p with the
// keys for its SPI and addresses and fills p.Decrypted; it leaves it nil
// when there is no key (RFC 4303, 3602, 3686, 4106, 4309, 4543, 7634).
func (d *Decrypter) ESP(p *decode.Packet, b []byte) {
	if d == nil || p == nil || len(b) < 8 {
		return
	}
	spi := binary.BigEndian.Uint32(b[0:4])
	k, ok := d.store.ESP(spi, p.Src.Addr(), p.Dst.Addr())
	if !ok {
		return
	}
	p.Decrypted = d.openESP(k, b, p.Src.Addr(), p.Dst.Addr(), 1)
}

// maxNestedESP bounds how many ESP layers one packet is decrypted through
// (an ESP tunnel inside an ESP tunnel inside ...).
const maxNestedESP = 4

// openESP decrypts one ESP packet. With ESN (RFC 4303 §2.2.1) the high
// half of the sequence number is not on the wire; it is taken as 0, which
// is right until 2^32 packets have been sent. depth counts the ESP layers
// around the packet, 1 for the outermost.
func (d *Decrypter) openESP(k *keys.ESPKeys, b []byte, src, dst netip.Addr, depth int) *decode.Decrypted {
	pt, reason := d.espPlain(k, b, k.ESN)
	if reason == ReasonIntegrity && !k.ESN {
		// perhaps an SA with extended sequence numbers
		if pt2, r2 := d.espPlain(k, b, true); r2 == "" {
			pt, reason = pt2, r2
		}
	}
	if reason != "" {
		return fail(reason)
	}
	if len(pt) < 2 {
		return fail(ReasonPadding)
	}
	padLen, nh := int(pt[len(pt)-2]), pt[len(pt)-1]
	if padLen+2 > len(pt) {
		return fail(ReasonPadding)
	}
	// RFC 4303 §2.4: the default padding, which every implementation
	// sends, is 1, 2, 3, ... A valid ICV with bad padding means a wrong
	// encryption key (the integrity key was right).
	for i := 0; i < padLen; i++ {
		if pt[len(pt)-2-padLen+i] != byte(i+1) {
			return fail(ReasonPadding)
		}
	}
	data := pt[:len(pt)-2-padLen]
	if nh == protoIPComp {
		return compressedInner(data, src, dst)
	}
	inner, ok := innerPacket(data, nh, src, dst)
	if !ok {
		return fail(fmt.Sprintf("next header %d does not match the decrypted data: wrong key", nh))
	}
	out := &decode.Decrypted{OK: true, Inner: inner}
	if inner.Protocol == 50 {
		out.Reason = d.nestedESP(data, inner, depth)
	}
	return out
}

// compressedInner reads the IPComp packet ESP carried (RFC 3173): the
// inflated packet inside, or, for a payload left compressed, what its
// header tells.
func compressedInner(data []byte, src, dst netip.Addr) *decode.Decrypted {
	ipc, payload, nh, reason := openIPComp(data)
	if reason != "" {
		return fail(reason)
	}
	if ipc.Inflated {
		inner, ok := innerPacket(payload, nh, src, dst)
		if !ok {
			return fail(fmt.Sprintf("IPComp next header %d does not match the inflated data", nh))
		}
		inner.NextHeader, inner.IPComp = protoIPComp, ipc
		return &decode.Decrypted{OK: true, Inner: inner}
	}
	if nh != 4 && nh != 41 && !transportProto[nh] {
		return fail(fmt.Sprintf("IPComp next header %d is not a protocol: wrong key", nh))
	}
	inner := &decode.InnerPacket{NextHeader: protoIPComp, Protocol: nh, Length: len(payload), IPComp: ipc}
	if nh != 4 && nh != 41 {
		inner.Src, inner.Dst = src, dst
	}
	name := ipc.Algorithm
	if name == "" {
		name = fmt.Sprintf("CPI 0x%04x, not DEFLATE", ipc.CPI)
	}
	return &decode.Decrypted{OK: true, Inner: inner, Reason: "IPComp payload left compressed (" + name + ")"}
}

// nestedESP reads the ESP packet carried inside another (a tunnel inside
// a tunnel) and decrypts it when its keys are known, down to maxNestedESP
// layers. It returns what it found, for Decrypted.Reason: the inner SPI
// and sequence number, then the innermost packet or why it was not
// reached. Inner stays the packet the outer ESP carried.
func (d *Decrypter) nestedESP(data []byte, in *decode.InnerPacket, depth int) string {
	var b []byte
	switch in.NextHeader {
	case 4:
		ihl := int(data[0]&0x0f) * 4
		if binary.BigEndian.Uint16(data[6:8])&0x3fff != 0 {
			return "carries a fragment of an ESP packet"
		}
		b = data[ihl:in.Length]
	case 41:
		b = data[40:in.Length]
	case 50: // transport mode
		b = data
	default:
		return ""
	}
	if len(b) < 8 {
		return fmt.Sprintf("carries an ESP packet of %d bytes: cut short", len(b))
	}
	spi, seq := binary.BigEndian.Uint32(b[0:4]), binary.BigEndian.Uint32(b[4:8])
	s := fmt.Sprintf("carries ESP SPI=0x%08x seq=%d", spi, seq)
	if depth >= maxNestedESP {
		return s + fmt.Sprintf(" (not decrypted: more than %d nested ESP layers)", maxNestedESP)
	}
	k, ok := d.store.ESP(spi, in.Src, in.Dst)
	if !ok {
		return s + " (no key for it)"
	}
	r := d.openESP(k, b, in.Src, in.Dst, depth+1)
	if !r.OK {
		return s + " (not decrypted: " + r.Reason + ")"
	}
	s += fmt.Sprintf(", decrypted: %s → %s protocol %d", r.Inner.Src, r.Inner.Dst, r.Inner.Protocol)
	if r.Reason != "" {
		s += "; " + r.Reason
	}
	return s
}

// espPlain verifies (where there is an ICV to check) and decrypts; it
// returns the plaintext, padding and trailer included, or why not.
func (d *Decrypter) espPlain(k *keys.ESPKeys, b []byte, esn bool) ([]byte, string) {
	payload := b[8:]
	c := k.Encr.Cipher
	if c == keys.CipherAESGMAC {
		return gmacESP(k, b, esn)
	}
	if c.AEAD() {
		icv := k.Encr.ICVLen
		if len(payload) < 8+icv {
			return nil, fmt.Sprintf("ESP payload of %d bytes is shorter than IV and ICV", len(payload))
		}
		aad := b[:8]
		if esn {
			aad = make([]byte, 12)
			copy(aad, b[:4])
			copy(aad[8:], b[4:8])
		}
		pt, err := aeadOpen(c, k.EncKey, payload[:8], payload[8:len(payload)-icv], payload[len(payload)-icv:], aad)
		if err != nil {
			return nil, err.Error()
		}
		return pt, ""
	}
	icvLen := k.Integ.TruncLen
	if k.Integ.Alg == keys.IntegNone {
		icvLen = 0
	}
	if len(payload) < icvLen {
		return nil, "ESP payload shorter than its ICV"
	}
	data := b[:len(b)-icvLen]
	if esn {
		data = append(append([]byte(nil), data...), 0, 0, 0, 0)
	}
	_, err := verifyICV(k.Integ, k.IntegKey, data, b[len(b)-icvLen:])
	if err != nil {
		return nil, err.Error()
	}
	body := payload[:len(payload)-icvLen]
	switch c {
	case keys.CipherNull:
		return body, ""
	case keys.CipherAESCTR:
		key, salt := splitSalt(k.EncKey, 4)
		blk, err := d.espBlock(k, key)
		if err != nil {
			return nil, err.Error()
		}
		if len(body) < 8 {
			return nil, "ESP payload shorter than its IV"
		}
		return ctrDecrypt(blk, salt, body[:8], body[8:]), ""
	case keys.CipherAESCBC, keys.Cipher3DES, keys.CipherDES, keys.CipherCAST5CBC, keys.CipherBlowfishCBC, keys.CipherTwofishCBC:
		blk, err := d.espBlock(k, k.EncKey)
		if err != nil {
			return nil, err.Error()
		}
		bs := blk.BlockSize()
		if len(body) < bs {
			return nil, "ESP payload shorter than its IV"
		}
		pt, err := cbcDecrypt(blk, body[:bs], body[bs:])
		if err != nil {
			return nil, err.Error()
		}
		return pt, ""
	}
	return nil, fmt.Sprintf("ESP encryption %s is not supported", c)
}

// espBlock is the block cipher of an ESP SA (key: its key without the
// salt), set up on the SA's first packet and kept: the key schedules of
// Blowfish and Twofish cost more than decrypting a packet.
func (d *Decrypter) espBlock(k *keys.ESPKeys, key []byte) (cipher.Block, error) {
	if blk, ok := d.espBlocks[k]; ok {
		return blk, nil
	}
	blk, err := blockCipher(k.Encr.Cipher, key)
	if err != nil {
		return nil, err
	}
	if d.espBlocks == nil {
		d.espBlocks = map[*keys.ESPKeys]cipher.Block{}
	}
	d.espBlocks[k] = blk
	return blk, nil
}

// gmacESP verifies an ESP packet of ENCR_NULL_AUTH_AES_GMAC (RFC 4543
// §3.3): nothing is encrypted; the ICV is the GCM tag over an empty
// plaintext with the nonce salt | IV and, as additional authenticated
// data, the SPI, the sequence number (with ESN its high half between
// them, as for AES-GCM) and everything after it up to the ICV: the IV,
// the payload, padding, pad length and next header. It returns the
// payload, padding and trailer, in clear.
func gmacESP(k *keys.ESPKeys, b []byte, esn bool) ([]byte, string) {
	const ivLen, icvLen = 8, 16
	payload := b[8:]
	if len(payload) < ivLen+icvLen {
		return nil, fmt.Sprintf("ESP payload of %d bytes is shorter than IV and ICV", len(payload))
	}
	key, salt := splitSalt(k.EncKey, 4)
	if len(salt) != 4 {
		return nil, fmt.Sprintf("AES-GMAC key of %d bytes is too short (salt of 4 bytes included)", len(k.EncKey))
	}
	blk, err := blockCipher(keys.CipherAESGMAC, key)
	if err != nil {
		return nil, err.Error()
	}
	g, err := cipher.NewGCM(blk)
	if err != nil {
		return nil, err.Error()
	}
	end := len(b) - icvLen
	var aad []byte
	if esn {
		aad = make([]byte, 0, end+4)
		aad = append(append(append(aad, b[:4]...), 0, 0, 0, 0), b[4:end]...)
	} else {
		aad = b[:end]
	}
	nonce := append(append(make([]byte, 0, 12), salt...), payload[:ivLen]...)
	tag := g.Seal(nil, nonce, nil, aad)
	if subtle.ConstantTimeCompare(tag, b[end:]) != 1 {
		return nil, ReasonIntegrity
	}
	return b[8+ivLen : end], ""
}

// innerPacket reads the addresses, protocol and ports of the packet ESP
// carried: an IP packet in tunnel mode (next header 4 or 41), a transport
// payload otherwise (addresses then are the outer ones).
func innerPacket(b []byte, nh uint8, src, dst netip.Addr) (*decode.InnerPacket, bool) {
	in := &decode.InnerPacket{NextHeader: nh, Length: len(b)}
	ports := func(proto uint8, l4 []byte) {
		switch proto {
		case 6, 17, 132, 136:
			if len(l4) >= 4 {
				in.SrcPort = binary.BigEndian.Uint16(l4[0:2])
				in.DstPort = binary.BigEndian.Uint16(l4[2:4])
			}
		}
	}
	switch nh {
	case 4:
		if len(b) < 20 || b[0]>>4 != 4 {
			return in, false
		}
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || ihl > len(b) {
			return in, false
		}
		in.Src = netip.AddrFrom4([4]byte(b[12:16]))
		in.Dst = netip.AddrFrom4([4]byte(b[16:20]))
		in.Protocol = b[9]
		in.Length = int(binary.BigEndian.Uint16(b[2:4]))
		if in.Length < ihl || in.Length > len(b) {
			return in, false
		}
		if binary.BigEndian.Uint16(b[6:8])&0x1fff == 0 {
			ports(in.Protocol, b[ihl:])
		}
		return in, true
	case 41:
		if len(b) < 40 || b[0]>>4 != 6 {
			return in, false
		}
		in.Src = netip.AddrFrom16([16]byte(b[8:24]))
		in.Dst = netip.AddrFrom16([16]byte(b[24:40]))
		in.Protocol = b[6]
		in.Length = 40 + int(binary.BigEndian.Uint16(b[4:6]))
		if in.Length > len(b) {
			return in, false
		}
		ports(in.Protocol, b[40:])
		return in, true
	case 59: // no next header: a dummy packet (RFC 4303 §2.6)
		return in, true
	default:
		if !transportProto[nh] {
			return in, false
		}
		in.Src, in.Dst, in.Protocol = src, dst, nh
		ports(nh, b)
		return in, true
	}
}

// transportProto are the next headers accepted for transport mode: the
// common ones, so that a wrong key's random byte is not taken for one.
var transportProto = map[uint8]bool{
	1: true, 2: true, 6: true, 17: true, 47: true, 50: true, 58: true,
	89: true, 103: true, 112: true, 115: true, 132: true, 136: true,
}
