package isakmp

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"os"
	"strings"
	"testing"
)

func mustDecode(t *testing.T, b []byte) *Message {
	t.Helper()
	m, err := Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return m
}

func wantNoErrors(t *testing.T, m *Message) {
	t.Helper()
	for _, e := range m.Errors {
		t.Errorf("unexpected decode error: %v", e)
	}
}

func TestHeader(t *testing.T) {
	b := message(0x20, ExchangeIKESAInit, FlagInitiator, 0)
	m := mustDecode(t, b)
	wantNoErrors(t, m)
	if m.InitiatorSPI != testISPI || m.ResponderSPI != testRSPI {
		t.Errorf("SPIs %s/%s", m.InitiatorSPI, m.ResponderSPI)
	}
	if m.MajorVersion() != 2 || m.MinorVersion() != 0 || !m.IsInitiator() || m.IsResponse() {
		t.Errorf("version/flags: %d.%d I=%v R=%v", m.MajorVersion(), m.MinorVersion(), m.IsInitiator(), m.IsResponse())
	}
	if got := m.InitiatorSPI.String(); got != "0102030405060708" {
		t.Errorf("SPI string %q", got)
	}
	if m.Exchange.String() != "IKE_SA_INIT" {
		t.Errorf("exchange %q", m.Exchange)
	}
	if _, err := Decode(b[:27]); err == nil {
		t.Error("27-byte header decoded without error")
	}
}

func TestIKEv1MainModeSA(t *testing.T) {
	// MM1 of a PSK main mode: AES-CBC-128, SHA, PSK, MODP1024, 86400 s
	// with the duration in TLV form as some peers send it.
	tr := v1Transform(0, 1, 1,
		tv(1, 7), tv(14, 128), tv(2, 2), tv(3, 1), tv(4, 2), tv(11, 1), tlv(12, u32(86400)))
	b := message(0x10, ExchangeV1Main, 0, 0,
		pl{PayloadV1SA, v1SA(v1Proposal(0, 1, 1, nil, tr))},
		pl{PayloadV1VendorID, mustHex("4a131c81070358455c5728f20e95452f")},
	)
	m := mustDecode(t, b)
	wantNoErrors(t, m)
	sa, ok := m.Payloads[0].Body.(*SA)
	if !ok {
		t.Fatalf("payload 0 is %T", m.Payloads[0].Body)
	}
	if sa.DOI != 1 || len(sa.Proposals) != 1 || len(sa.Proposals[0].Transforms) != 1 {
		t.Fatalf("SA %+v", sa)
	}
	x := sa.Proposals[0].Transforms[0]
	if x.Name() != "KEY_IKE" {
		t.Errorf("transform name %q", x.Name())
	}
	if x.KeyLength() != 128 {
		t.Errorf("key length %d", x.KeyLength())
	}
	want := []string{
		"Encryption-Algorithm=AES-CBC", "Key-Length=128", "Hash-Algorithm=SHA", "Authentication-Method=PSK",
		"Group-Description=MODP_1024", "Life-Type=Seconds", "Life-Duration=86400",
	}
	if len(x.Attributes) != len(want) {
		t.Fatalf("%d attributes, want %d", len(x.Attributes), len(want))
	}
	for i, w := range want {
		if got := x.Attributes[i].String(); !strings.EqualFold(got, w) {
			t.Errorf("attribute %d = %q, want %q", i, got, w)
		}
	}
	vid := m.Payloads[1].Body.(*VendorID)
	if vid.Name != "RFC 3947 NAT-T" {
		t.Errorf("vendor %q", vid.Name)
	}
	if got := m.Summary(); got != "[ SA V ]" {
		t.Errorf("summary %q", got)
	}
}

func TestIKEv1QuickModePhase2Attributes(t *testing.T) {
	// A Quick Mode SA as it would look decrypted: ESP AES-CBC-256,
	// HMAC-SHA2-256, PFS group 14, UDP-encapsulated tunnel, 3600 s.
	tr := v1Transform(0, 1, 12, tv(1, 1), tv(2, 3600), tv(3, 14), tv(4, 3), tv(5, 5), tv(6, 256))
	sa := v1SA(v1Proposal(0, 1, 3, []byte{0xc1, 0x0d, 0x7b, 0x38}, tr))
	b := message(0x10, ExchangeV1Quick, 0, 0x2222, pl{PayloadV1SA, sa})
	m := mustDecode(t, b)
	wantNoErrors(t, m)
	p := m.Payloads[0].Body.(*SA).Proposals[0]
	if p.Protocol != ProtocolESP || hex.EncodeToString(p.SPI) != "c10d7b38" {
		t.Errorf("proposal %+v", p)
	}
	x := p.Transforms[0]
	if x.Name() != "ESP_AES-CBC" {
		t.Errorf("transform %q", x.Name())
	}
	got := []string{}
	for _, a := range x.Attributes {
		got = append(got, a.String())
	}
	want := "SA-Life-Type=Seconds SA-Life-Duration=3600 Group-Description=MODP_2048 Encapsulation-Mode=UDP-Encapsulated-Tunnel Authentication-Algorithm=HMAC-SHA2-256 Key-Length=256"
	if g := strings.Join(got, " "); !strings.EqualFold(g, want) {
		t.Errorf("attributes\n got %s\nwant %s", g, want)
	}
}

func TestIdentification(t *testing.T) {
	tests := []struct {
		name    string
		version uint8
		typ     PayloadType
		body    []byte
		want    string
	}{
		{"v1 ipv4 addr", 0x10, PayloadV1ID, cat([]byte{1, 17, 1, 0xf4}, []byte{198, 18, 1, 1}), "ID_IPV4_ADDR 198.18.1.1 proto 17 port 500"},
		{"v1 ipv4 subnet", 0x10, PayloadV1ID, cat([]byte{4, 0, 0, 0}, []byte{198, 19, 1, 0, 255, 255, 255, 0}), "ID_IPV4_ADDR_SUBNET 198.19.1.0/24"},
		{"v1 ipv4 range", 0x10, PayloadV1ID, cat([]byte{7, 6, 0, 0}, []byte{198, 19, 1, 1, 198, 19, 1, 9}), "ID_IPV4_ADDR_RANGE 198.19.1.1-198.19.1.9 proto 6 port 0"},
		{"v1 ipv6 subnet", 0x10, PayloadV1ID, cat([]byte{6, 0, 0, 0}, netip.MustParseAddr("2001:db8::").AsSlice(), netip.MustParseAddr("ffff:ffff:ffff:ffff::").AsSlice()), "ID_IPV6_ADDR_SUBNET 2001:db8::/64"},
		{"v1 fqdn", 0x10, PayloadV1ID, cat([]byte{2, 0, 0, 0}, []byte("vpn.example")), `ID_FQDN "vpn.example"`},
		{"v2 rfc822", 0x20, PayloadV2IDi, cat([]byte{3, 0, 0, 0}, []byte("a@b")), `ID_RFC822_ADDR "a@b"`},
		{"v2 ipv6", 0x20, PayloadV2IDr, cat([]byte{5, 0, 0, 0}, netip.MustParseAddr("2001:db8::1").AsSlice()), "ID_IPV6_ADDR 2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustDecode(t, message(tt.version, ExchangeType(2), 0, 0, pl{tt.typ, tt.body}))
			wantNoErrors(t, m)
			id := m.Payloads[0].Body.(*Identification)
			if got := id.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNotifyV1(t *testing.T) {
	noProp := cat(u32(1), []byte{1, 0}, u16(14))
	ruThere := cat(u32(1), []byte{1, 16}, u16(36136), testISPI[:], testRSPI[:], u32(42))
	lifetime := cat(u32(1), []byte{3, 4}, u16(24576), []byte{0xc1, 0x0d, 0x7b, 0x38}, tv(1, 1), tlv(2, u32(28800)))
	m := mustDecode(t, message(0x10, ExchangeV1Informational, 0, 0,
		pl{PayloadV1Notify, noProp}, pl{PayloadV1Notify, ruThere}, pl{PayloadV1Notify, lifetime}))
	wantNoErrors(t, m)
	ns := m.Notifies()
	if len(ns) != 3 {
		t.Fatalf("%d notifies", len(ns))
	}
	if ns[0].Name() != "NO_PROPOSAL_CHOSEN" || !ns[0].IsError() {
		t.Errorf("notify 0: %s error=%v", ns[0].Name(), ns[0].IsError())
	}
	if ns[1].Name() != "R_U_THERE" || ns[1].Sequence != 42 || ns[1].Detail() != "sequence 42" || len(ns[1].SPI) != 16 {
		t.Errorf("notify 1: %s seq %d detail %q", ns[1].Name(), ns[1].Sequence, ns[1].Detail())
	}
	if ns[2].Name() != "RESPONDER_LIFETIME" || len(ns[2].Lifetime) != 2 || ns[2].Lifetime[1].Value != 28800 {
		t.Errorf("notify 2: %s %+v", ns[2].Name(), ns[2].Lifetime)
	}
	if got := m.Summary(); got != "[ N(NO_PROP) N(DPD) N(RESPONDER_LIFETIME) ]" {
		t.Errorf("summary %q", got)
	}
}

func TestNotifyNamesPerVersion(t *testing.T) {
	// The same numbers mean different things in IKEv1 and IKEv2.
	tests := []struct {
		version int
		typ     NotifyType
		want    string
	}{
		{1, 1, "INVALID_PAYLOAD_TYPE"},
		{2, 1, "UNSUPPORTED_CRITICAL_PAYLOAD"},
		{1, 17, "INVALID_KEY_INFORMATION"},
		{2, 17, "INVALID_KE_PAYLOAD"},
		{1, 18, "INVALID_ID_INFORMATION"},
		{1, 24, "AUTHENTICATION_FAILED"},
		{2, 24, "AUTHENTICATION_FAILED"},
		{2, 38, "TS_UNACCEPTABLE"},
		{2, 16390, "COOKIE"},
		{2, 60000, "NOTIFY(60000)"},
	}
	for _, tt := range tests {
		if got := NotifyName(tt.version, tt.typ); got != tt.want {
			t.Errorf("NotifyName(%d, %d) = %q, want %q", tt.version, tt.typ, got, tt.want)
		}
	}
}

func TestDeleteV1(t *testing.T) {
	body := cat(u32(1), []byte{3, 4}, u16(2), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	m := mustDecode(t, message(0x10, ExchangeV1Informational, 0, 7, pl{PayloadV1Delete, body}))
	wantNoErrors(t, m)
	d := m.Payloads[0].Body.(*Delete)
	if d.Protocol != ProtocolESP || len(d.SPIs) != 2 || !bytes.Equal(d.SPIs[1], []byte{5, 6, 7, 8}) {
		t.Errorf("delete %+v", d)
	}
	if m.Summary() != "[ D(ESP) ]" {
		t.Errorf("summary %q", m.Summary())
	}
}

func TestIKEv1Encrypted(t *testing.T) {
	b := message(0x10, ExchangeV1Main, FlagEncryption, 0)
	b[16] = byte(PayloadV1ID)
	b = append(b, make([]byte, 48)...)
	b[27] = byte(len(b))
	m := mustDecode(t, b)
	wantNoErrors(t, m)
	if m.Encrypted == nil || m.Encrypted.FirstPayload != PayloadV1ID || m.Encrypted.Length != 48 || len(m.Payloads) != 0 {
		t.Fatalf("encrypted %+v payloads %d", m.Encrypted, len(m.Payloads))
	}
	if m.Summary() != "[ E{ID…} ]" {
		t.Errorf("summary %q", m.Summary())
	}
}

func TestIKEv2SAInit(t *testing.T) {
	sa := v2Proposal(true, 1, 1, nil,
		v2Transform(false, 1, 12, tv(14, 256)),
		v2Transform(false, 2, 5),
		v2Transform(false, 3, 12),
		v2Transform(true, 4, 19))
	ke := cat(u16(19), u16(0), make([]byte, 64))
	natd := cat([]byte{0, 0}, u16(16388), make([]byte, 20))
	frag := cat([]byte{0, 0}, u16(16430))
	m := mustDecode(t, message(0x20, ExchangeIKESAInit, FlagInitiator, 0,
		pl{PayloadV2SA, sa}, pl{PayloadV2KE, ke}, pl{PayloadV2Nonce, make([]byte, 32)},
		pl{PayloadV2Notify, natd}, pl{PayloadV2Notify, frag}))
	wantNoErrors(t, m)
	if got := m.Summary(); got != "[ SA KE No N(NATD_S_IP) N(FRAG_SUP) ]" {
		t.Errorf("summary %q", got)
	}
	prop := m.Payloads[0].Body.(*SA).Proposals[0]
	var got []string
	for _, x := range prop.Transforms {
		got = append(got, x.String())
	}
	want := "ENCR=ENCR_AES_CBC_256 PRF=PRF_HMAC_SHA2_256 INTEG=AUTH_HMAC_SHA2_256_128 KE=ECP_256"
	if strings.Join(got, " ") != want {
		t.Errorf("transforms\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	k := m.Payloads[1].Body.(*KeyExchange)
	if k.Group != 19 || k.DataLength != 64 {
		t.Errorf("KE %d/%d", k.Group, k.DataLength)
	}
}

func TestIKEv2InvalidKE(t *testing.T) {
	n := cat([]byte{0, 0}, u16(17), u16(14))
	m := mustDecode(t, message(0x20, ExchangeIKESAInit, FlagResponse, 0, pl{PayloadV2Notify, n}))
	wantNoErrors(t, m)
	got := m.Notifies()[0]
	if got.Name() != "INVALID_KE_PAYLOAD" || got.AcceptedGroup != 14 || got.Detail() != "accepted group MODP_2048" {
		t.Errorf("%s group %d detail %q", got.Name(), got.AcceptedGroup, got.Detail())
	}
}

func TestIKEv2EncryptedAndFragments(t *testing.T) {
	// SK is last and its next-payload field names the first inner payload.
	b := message(0x20, ExchangeIKEAuth, FlagInitiator, 1, pl{PayloadV2SK, make([]byte, 80)})
	b[HeaderLen] = byte(PayloadV2IDi)
	m := mustDecode(t, b)
	wantNoErrors(t, m)
	first, n, ok := m.EncryptedBody()
	if !ok || first != PayloadV2IDi || n != 80 {
		t.Errorf("encrypted body %v %d %v", first, n, ok)
	}
	if m.Summary() != "[ E{IDi…} ]" {
		t.Errorf("summary %q", m.Summary())
	}

	f := message(0x20, ExchangeIKEAuth, FlagInitiator, 1, pl{PayloadV2SKF, cat(u16(1), u16(3), make([]byte, 40))})
	f[HeaderLen] = byte(PayloadV2IDi)
	m = mustDecode(t, f)
	wantNoErrors(t, m)
	skf := m.Payloads[0].Body.(*EncryptedFragment)
	if skf.Number != 1 || skf.Total != 3 || skf.FirstPayload != PayloadV2IDi || skf.Length != 40 {
		t.Errorf("SKF %+v", skf)
	}
	if m.Summary() != "[ EF(1/3){IDi…} ]" {
		t.Errorf("summary %q", m.Summary())
	}
}

func TestTrafficSelectors(t *testing.T) {
	v4 := cat([]byte{7, 0}, u16(16), u16(0), u16(65535), []byte{198, 19, 1, 0}, []byte{198, 19, 1, 255})
	v6 := cat([]byte{8, 6}, u16(40), u16(443), u16(443), netip.MustParseAddr("2001:db8::").AsSlice(), netip.MustParseAddr("2001:db8::ffff").AsSlice())
	m := mustDecode(t, message(0x20, ExchangeCreateChildSA, FlagInitiator, 2,
		pl{PayloadV2TSi, cat([]byte{2, 0, 0, 0}, v4, v6)}))
	wantNoErrors(t, m)
	ts := m.Payloads[0].Body.(*TrafficSelectors)
	if len(ts.Selectors) != 2 {
		t.Fatalf("%d selectors", len(ts.Selectors))
	}
	if got := ts.Selectors[0].String(); got != "198.19.1.0-198.19.1.255 proto any port any" {
		t.Errorf("ts 0 %q", got)
	}
	if got := ts.Selectors[1].String(); got != "2001:db8::-2001:db8::ffff proto 6 port 443" {
		t.Errorf("ts 1 %q", got)
	}
}

func TestConfigAndEAP(t *testing.T) {
	cp := cat([]byte{1, 0, 0, 0}, u16(1), u16(0), u16(3), u16(0))
	eap := []byte{1, 7, 0, 5, 1}
	m := mustDecode(t, message(0x20, ExchangeIKEAuth, FlagInitiator, 1, pl{PayloadV2CP, cp}, pl{PayloadV2EAP, eap}))
	wantNoErrors(t, m)
	c := m.Payloads[0].Body.(*Config)
	if c.Type != 1 || len(c.Attributes) != 2 || c.Attributes[0].Name() != "INTERNAL_IP4_ADDRESS" {
		t.Errorf("CP %+v", c)
	}
	e := m.Payloads[1].Body.(*EAP)
	if e.Code != 1 || e.Identifier != 7 || e.Type != 1 {
		t.Errorf("EAP %+v", e)
	}
}

func TestMalformed(t *testing.T) {
	good := message(0x20, ExchangeIKESAInit, FlagInitiator, 0, pl{PayloadV2Nonce, make([]byte, 16)}, pl{PayloadV2VendorID, []byte("abcd")})
	tests := []struct {
		name       string
		mutate     func([]byte) []byte
		wantOffset int
		wantText   string
		wantPl     int // payloads still decoded
	}{
		{"payload length zero", func(b []byte) []byte { b[HeaderLen+2], b[HeaderLen+3] = 0, 0; return b }, HeaderLen, "shorter than its header", 0},
		{"payload length past end", func(b []byte) []byte { b[HeaderLen+20+3] = 200; return b }, HeaderLen + 20, "runs", 2},
		{"chain announces a missing payload", func(b []byte) []byte { b[HeaderLen+20] = byte(PayloadV2Notify); return b }, len(good), "message ends", 2},
		{"trailing bytes", func(b []byte) []byte { b = append(b, 1, 2, 3); b[27] += 3; return b }, len(good), "bytes after the last payload", 2},
		{"length below header", func(b []byte) []byte { b[24], b[25], b[26], b[27] = 0, 0, 0, 10; return b }, 24, "shorter than the header", 2},
		{"unknown major version", func(b []byte) []byte { b[17] = 0xbe; return b }, 17, "unknown major version", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.mutate(append([]byte(nil), good...))
			m := mustDecode(t, b)
			if len(m.Errors) == 0 {
				t.Fatal("no error reported")
			}
			e := m.Errors[0]
			if e.Offset != tt.wantOffset || !strings.Contains(e.Error(), tt.wantText) {
				t.Errorf("error %q at %d, want %q at %d", e.Error(), e.Offset, tt.wantText, tt.wantOffset)
			}
			if len(m.Payloads) != tt.wantPl {
				t.Errorf("%d payloads decoded, want %d", len(m.Payloads), tt.wantPl)
			}
		})
	}
}

func TestMalformedSA(t *testing.T) {
	// A proposal whose length runs past the SA: reported at the proposal's
	// offset, and the payload after the SA is still decoded.
	prop := v1Proposal(0, 1, 1, nil, v1Transform(0, 1, 1, tv(1, 7)))
	prop[3] = 200
	m := mustDecode(t, message(0x10, ExchangeV1Main, 0, 0, pl{PayloadV1SA, v1SA(prop)}, pl{PayloadV1VendorID, []byte{1, 2}}))
	if len(m.Errors) != 1 || m.Errors[0].Offset != HeaderLen+4+8 || m.Errors[0].Payload != PayloadV1SA {
		t.Fatalf("errors %v", m.Errors)
	}
	if len(m.Payloads) != 2 {
		t.Errorf("%d payloads", len(m.Payloads))
	}
}

func TestTruncated(t *testing.T) {
	b := message(0x20, ExchangeIKESAInit, FlagInitiator, 0, pl{PayloadV2Nonce, make([]byte, 16)}, pl{PayloadV2VendorID, make([]byte, 40)})
	m := mustDecode(t, b[:60])
	if !m.Truncated {
		t.Error("not marked truncated")
	}
	if len(m.Payloads) < 1 {
		t.Error("the nonce that fits was not decoded")
	}
}

// TestRusticataSAInit decodes the raw IKE_SA_INIT request that rusticata's
// ipsec-parser tests: SA → KE → Nonce, 256 bytes.
func TestRusticataSAInit(t *testing.T) {
	b, err := os.ReadFile("../../../shared/captures/rusticata-ipsec-parser/assets/ike-sa-init-req.bin")
	if err != nil {
		t.Skip("shared captures not present")
	}
	m := mustDecode(t, b)
	wantNoErrors(t, m)
	if m.InitiatorSPI.String() != "54c184961bc3fd77" || m.Length != 256 || m.Flags != 0x08 || m.Exchange != ExchangeIKESAInit {
		t.Errorf("header %+v", m.Header)
	}
	if m.Summary() != "[ SA KE No ]" {
		t.Errorf("summary %q", m.Summary())
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// TestCountsBeyondReason: proposals, transforms and attributes counted
// beyond any real peer's are cut at the caps with an error at the offset
// where the cap was reached, and the message is still decoded.
func TestCountsBeyondReason(t *testing.T) {
	var props [][]byte
	for i := 0; i < maxProposals+5; i++ {
		props = append(props, v2Proposal(i == maxProposals+4, byte(i+1), 1, nil, v2Transform(true, 1, 12)))
	}
	m := mustDecode(t, message(0x20, ExchangeIKESAInit, FlagInitiator, 0, pl{PayloadV2SA, cat(props...)}, pl{PayloadV2Nonce, make([]byte, 16)}))
	sa := m.Payloads[0].Body.(*SA)
	if len(sa.Proposals) != maxProposals || len(m.Errors) != 1 || !strings.Contains(m.Errors[0].Error(), "more than 64 proposals") ||
		m.Errors[0].Offset != HeaderLen+4+maxProposals*len(props[0]) {
		t.Errorf("%d proposals, errors %v", len(sa.Proposals), m.Errors)
	}
	if len(m.Payloads) != 2 {
		t.Errorf("the payload after the SA was not decoded")
	}

	var ts [][]byte
	for i := 0; i < maxTransforms+1; i++ {
		ts = append(ts, v2Transform(i == maxTransforms, 1, 12))
	}
	m = mustDecode(t, message(0x20, ExchangeIKESAInit, FlagInitiator, 0, pl{PayloadV2SA, v2Proposal(true, 1, 1, nil, ts...)}))
	p := m.Payloads[0].Body.(*SA).Proposals[0]
	if len(p.Transforms) != maxTransforms || len(m.Errors) == 0 || !strings.Contains(m.Errors[0].Error(), "more than 256 transforms") {
		t.Errorf("%d transforms, errors %v", len(p.Transforms), m.Errors)
	}

	var attrs [][]byte
	for i := 0; i < maxAttributes+3; i++ {
		attrs = append(attrs, tv(14, 128))
	}
	m = mustDecode(t, message(0x20, ExchangeIKESAInit, FlagInitiator, 0, pl{PayloadV2SA, v2Proposal(true, 1, 1, nil, v2Transform(true, 1, 12, attrs...))}))
	x := m.Payloads[0].Body.(*SA).Proposals[0].Transforms[0]
	if len(x.Attributes) != maxAttributes || len(m.Errors) != 1 || !strings.Contains(m.Errors[0].Error(), "more than 64 attributes") {
		t.Errorf("%d attributes, errors %v", len(x.Attributes), m.Errors)
	}
}

// TestRedirectGateway: the gateway of REDIRECT / REDIRECTED_FROM (RFC 5685
// §8): IPv4, IPv6, an FQDN; nothing from short or foreign data.
func TestRedirectGateway(t *testing.T) {
	v6 := make([]byte, 16)
	v6[0], v6[1], v6[15] = 0x20, 0x01, 1
	for _, tt := range []struct {
		typ  NotifyType
		data []byte
		want string
		ok   bool
	}{
		{NotifyV2Redirect, []byte{1, 4, 192, 0, 2, 1, 9, 9, 9}, "192.0.2.1", true}, // with the nonce after it
		{NotifyV2RedirectedFrom, append([]byte{2, 16}, v6...), "2001::1", true},
		{NotifyV2Redirect, append([]byte{3, 7}, "gw.test"...), "gw.test", true},
		{NotifyV2Redirect, []byte{1, 4, 192, 0}, "", false},          // cut short
		{NotifyV2Redirect, []byte{1, 5, 192, 0, 2, 1, 0}, "", false}, // wrong length for IPv4
		{NotifyV2Redirect, append([]byte{3, 3}, 0, 'a', 'b'), "", false},
		{NotifyV2Cookie, []byte{1, 4, 192, 0, 2, 1}, "", false},
	} {
		n := &Notify{Version: 2, Type: tt.typ, Data: tt.data}
		gw, ok := n.RedirectGateway()
		if gw != tt.want || ok != tt.ok {
			t.Errorf("%v %x: %q %v, want %q %v", tt.typ, tt.data, gw, ok, tt.want, tt.ok)
		}
		if ok && n.Detail() != "gateway "+tt.want {
			t.Errorf("detail %q", n.Detail())
		}
	}
}

// TestShortIDPayload: an ID payload shorter than its fixed fields keeps
// every field that is there (tcpdump's ikev2-id-short.pcap: "00 00 00 05
// 01", the ID Type and nothing more) and flags the rest as missing.
func TestShortIDPayload(t *testing.T) {
	for _, tt := range []struct {
		name           string
		version        uint8
		typ            PayloadType
		body           []byte
		idType, proto  uint8
		wantErrAtShort int // the error's offset past the payload header
	}{
		{"IKEv2 type only", 0x20, PayloadV2IDi, []byte{1}, 1, 0, 1},
		{"IKEv2 type and one reserved byte", 0x20, PayloadV2IDr, []byte{2, 0}, 2, 0, 2},
		{"IKEv2 empty", 0x20, PayloadV2IDi, nil, 0, 0, 0},
		{"IKEv1 type only", 0x10, PayloadV1ID, []byte{4}, 4, 0, 1},
		{"IKEv1 type and protocol", 0x10, PayloadV1ID, []byte{1, 17}, 1, 17, 2},
		{"IKEv1 type, protocol, half a port", 0x10, PayloadV1ID, []byte{1, 17, 1}, 1, 17, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			exch := ExchangeIKEAuth
			if tt.version == 0x10 {
				exch = ExchangeV1Main
			}
			m := mustDecode(t, message(tt.version, exch, 0, 0, pl{tt.typ, tt.body}))
			id, ok := m.Find(tt.typ).(*Identification)
			if !ok {
				t.Fatalf("no ID payload in %+v", m.Payloads)
			}
			if id.IDType != tt.idType || id.ProtocolID != tt.proto {
				t.Errorf("ID type %d protocol %d, want %d %d", id.IDType, id.ProtocolID, tt.idType, tt.proto)
			}
			if len(m.Errors) != 1 || m.Errors[0].Offset != 28+4+tt.wantErrAtShort || !strings.Contains(m.Errors[0].Reason, "needs 4 bytes") {
				t.Errorf("errors %+v: want one at offset %d (where the data runs out)", m.Errors, 28+4+tt.wantErrAtShort)
			}
		})
	}
}
