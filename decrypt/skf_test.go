package decrypt_test

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decode"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/keys"
)

// buildSKF builds fragment n of total of an IKE_AUTH request carrying
// chunk, sealed as RFC 7383 §2.5 says: each fragment with its own IV and
// ICV, the fragment number and total inside the authenticated data.
func buildSKF(t *testing.T, k *keys.IKEv2Keys, n, total int, first isakmp.PayloadType, chunk []byte) *isakmp.Message {
	t.Helper()
	hdr := make([]byte, 28)
	copy(hdr, k.SPIi[:])
	copy(hdr[8:], k.SPIr[:])
	hdr[16] = byte(isakmp.PayloadV2SKF)
	hdr[17] = 0x20
	hdr[18] = byte(isakmp.ExchangeIKEAuth)
	hdr[19] = 0x08 // initiator
	binary.BigEndian.PutUint32(hdr[20:], 1)
	gh := make([]byte, 8)
	if n == 1 {
		gh[0] = byte(first)
	}
	binary.BigEndian.PutUint16(gh[4:], uint16(n))
	binary.BigEndian.PutUint16(gh[6:], uint16(total))
	iv := []byte{1, 2, 3, 4, 5, 6, 7, byte(n)}
	// pad length 0
	pt := append(append([]byte(nil), chunk...), 0)
	var body []byte
	icvLen := 16
	switch k.Encr.Cipher {
	case keys.CipherAESGCM:
		body = make([]byte, 0, len(iv)+len(pt)+icvLen)
	default:
		t.Fatal("unsupported in this helper")
	}
	length := 28 + 8 + len(iv) + len(pt) + icvLen
	binary.BigEndian.PutUint32(hdr[24:], uint32(length))
	binary.BigEndian.PutUint16(gh[2:], uint16(8+len(iv)+len(pt)+icvLen))
	aad := append(append([]byte(nil), hdr...), gh...)
	b, _ := aes.NewCipher(k.SKei[:len(k.SKei)-4])
	g, _ := cipher.NewGCM(b)
	nonce := append(append([]byte(nil), k.SKei[len(k.SKei)-4:]...), iv...)
	body = append(append(body, iv...), g.Seal(nil, nonce, pt, aad)...)
	msg := append(aad, body...)
	m, err := isakmp.Decode(msg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSKFReassembly(t *testing.T) {
	e, _ := keys.ParseEncryption("AES-GCM-128 with 16 octet ICV [RFC5282]")
	in, _ := keys.ParseIntegrity("NONE [RFC4306]", 0)
	k := &keys.IKEv2Keys{SPIi: isakmp.SPI{1}, SPIr: isakmp.SPI{2}, Encr: e, Integ: in,
		SKei: keys.Key("0123456789abcdefSALT"), SKer: keys.Key("fedcba9876543210salt")}
	store := keys.NewStore()
	store.AddIKEv2(k)
	// IDi (FQDN "west") then a Notify, split across three fragments
	idi := []byte{byte(isakmp.PayloadV2Notify), 0, 0, 12, 2, 0, 0, 0, 'w', 'e', 's', 't'}
	notify := []byte{0, 0, 0, 8, 0, 0, 0x40, 0x00} // INITIAL_CONTACT
	whole := append(append([]byte(nil), idi...), notify...)
	parts := [][]byte{whole[:7], whole[7:15], whole[15:]}
	d := decrypt.New(store)
	var last *decode.Packet
	for i, order := range []int{2, 1, 3, 1} { // out of order, one retransmitted
		m := buildSKF(t, k, order, 3, isakmp.PayloadV2IDi, parts[order-1])
		p := &decode.Packet{Kind: decode.KindIKE, IKE: m, Frame: i + 1}
		d.Packet(p)
		if p.Decrypted == nil || !p.Decrypted.OK {
			t.Fatalf("fragment %d: %+v", order, p.Decrypted)
		}
		if i == 2 {
			last = p
		}
	}
	got := last.Decrypted
	if len(got.Payloads) != 2 || len(got.Errors) > 0 {
		t.Fatalf("reassembled: %d payloads, errors %v", len(got.Payloads), got.Errors)
	}
	if id, ok := got.Payloads[0].Body.(*isakmp.Identification); !ok || id.Text != "west" {
		t.Errorf("first payload %+v", got.Payloads[0].Body)
	}
	// a fragment whose number was changed fails authentication: the
	// number is authenticated
	m := buildSKF(t, k, 2, 3, isakmp.PayloadV2IDi, parts[1])
	binary.BigEndian.PutUint16(m.Raw[28+4:], 3)
	m2, _ := isakmp.Decode(m.Raw)
	p := &decode.Packet{Kind: decode.KindIKE, IKE: m2}
	decrypt.New(store).Packet(p)
	if p.Decrypted == nil || p.Decrypted.OK || p.Decrypted.Reason != decrypt.ReasonIntegrity {
		t.Errorf("renumbered fragment: %+v", p.Decrypted)
	}
}
