package isakmp

import (
	"crypto/md5"
	"encoding/hex"
	"testing"
)

func TestRegistryNotifyVersionSplit(t *testing.T) {
	tests := []struct {
		version int
		code    uint16
		want    string
	}{
		// The same numbers mean different things in the two registries.
		{1, 1, "INVALID_PAYLOAD_TYPE"},
		{2, 1, "UNSUPPORTED_CRITICAL_PAYLOAD"},
		{1, 7, "INVALID_EXCHANGE_TYPE"},
		{2, 7, "INVALID_SYNTAX"},
		{1, 14, "NO_PROPOSAL_CHOSEN"},
		{2, 14, "NO_PROPOSAL_CHOSEN"},
		{1, 16, "PAYLOAD_MALFORMED"},
		{2, 16, ""},
		{1, 17, "INVALID_KEY_INFORMATION"},
		{2, 17, "INVALID_KE_PAYLOAD"},
		{1, 18, "INVALID_ID_INFORMATION"},
		{2, 18, ""},
		{1, 23, "INVALID_HASH_INFORMATION"},
		{1, 24, "AUTHENTICATION_FAILED"},
		{2, 24, "AUTHENTICATION_FAILED"},
		{1, 30, "UNEQUAL_PAYLOAD_LENGTHS"},
		{2, 30, ""},
		{2, 34, "SINGLE_PAIR_REQUIRED"},
		{1, 34, ""},
		{1, 9101, "CHECKPOINT_NO_COMMON_AUTHENTICATION_METHOD"},
		{1, 16384, "CONNECTED"},
		{2, 16384, "INITIAL_CONTACT"},
		{1, 24576, "RESPONDER_LIFETIME"},
		{1, 24577, "REPLAY_STATUS"},
		{1, 24578, "INITIAL_CONTACT"},
		{2, 24578, ""},
		{1, 30000, "CISCO_HELLO"},
		{1, 32768, "IOS_KEEP_ALIVE_REQ"},
		{1, 32769, "IOS_KEEP_ALIVE_ACK"},
		{1, 36136, "R_U_THERE"},
		{1, 36137, "R_U_THERE_ACK"},
		{2, 36136, ""},
		{1, 40001, "NETSCREEN_NHTB_INFORM"},
		{1, 40501, "UNITY_LOAD_BALANCE"},
		{1, 40503, "UNITY_GROUP_HASH"},
		{2, 40501, ""},
		{2, 16388, "NAT_DETECTION_SOURCE_IP"},
		{2, 16389, "NAT_DETECTION_DESTINATION_IP"},
		{2, 16390, "COOKIE"},
		{2, 16393, "REKEY_SA"},
		{2, 16404, "MULTIPLE_AUTH_SUPPORTED"},
		{2, 16429, "GROUP_SENDER"},
		{2, 16430, "IKEV2_FRAGMENTATION_SUPPORTED"},
		{2, 16431, "SIGNATURE_HASH_ALGORITHMS"},
		{2, 16441, "ADDITIONAL_KEY_EXCHANGE"},
		{2, 16446, "PPK_IDENTITY_KEY"},
		{2, 16447, ""},
		{2, 12345, "MS_NOTIFY_STATUS"},
		{2, 40969, "RADIUS_ATTRIBUTE"},
		{2, 41041, "BACKOFF_TIMER"},
		// Private values claimed by two vendors carry both, prefixed.
		{2, 8192, "3GPP:PDN_CONNECTION_REJECTION|strongSwan:ME_CONNECT_FAILED"},
		{2, 40961, "3GPP:REACTIVATION_REQUESTED_CAUSE|strongSwan:USE_BEET_MODE"},
		{1, 0, ""},
		{2, 0, ""},
	}
	for _, tc := range tests {
		var got string
		var ok bool
		if tc.version == 1 {
			got, ok = notifyNameV1(tc.code)
		} else {
			got, ok = notifyNameV2(tc.code)
		}
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("notifyNameV%d(%d) = %q, %v; want %q", tc.version, tc.code, got, ok, tc.want)
		}
	}
}

// TestRegistryNotifyComplete checks the tables against the IANA assignments:
// every IKEv1 error 1-30 (RFC 2408), every assigned IKEv2 error in 1-49 and
// every IKEv2 status 16384-16446 has a name, and the IKEv2 values IANA lists
// as reserved have none.
func TestRegistryNotifyComplete(t *testing.T) {
	for c := uint16(1); c <= 30; c++ {
		if _, ok := notifyNameV1(c); !ok {
			t.Errorf("IKEv1 notify %d has no name", c)
		}
	}
	assigned := map[uint16]bool{1: true, 4: true, 5: true, 7: true, 9: true, 11: true, 14: true, 17: true, 24: true}
	for c := uint16(34); c <= 49; c++ {
		assigned[c] = true
	}
	for c := uint16(0); c <= 49; c++ {
		_, ok := notifyNameV2(c)
		if ok != assigned[c] {
			t.Errorf("IKEv2 error %d: named=%v, IANA assigned=%v", c, ok, assigned[c])
		}
	}
	for c := uint16(50); c < 8192; c++ {
		if name, ok := notifyNameV2(c); ok {
			t.Errorf("IKEv2 error %d is unassigned but named %q", c, name)
		}
	}
	for c := uint16(16384); c <= 16446; c++ {
		if _, ok := notifyNameV2(c); !ok {
			t.Errorf("IKEv2 status %d has no name", c)
		}
	}
	for c := uint16(16447); c < 40960; c++ {
		if name, ok := notifyNameV2(c); ok {
			t.Errorf("IKEv2 status %d is unassigned but named %q", c, name)
		}
	}
}

func TestRegistryNotifyIsError(t *testing.T) {
	tests := []struct {
		version int
		code    uint16
		want    bool
	}{
		{1, 14, true},
		{1, 9101, true},
		{1, 16383, true},
		{1, 16384, false},
		{1, 36136, false},
		{2, 17, true},
		{2, 12345, true},
		{2, 16384, false},
		{2, 16430, false},
	}
	for _, tc := range tests {
		if got := notifyIsError(tc.version, tc.code); got != tc.want {
			t.Errorf("notifyIsError(%d, %d) = %v, want %v", tc.version, tc.code, got, tc.want)
		}
	}
}

func TestRegistryVendorIDName(t *testing.T) {
	tests := []struct {
		hex  string
		want string
	}{
		{"4a131c81070358455c5728f20e95452f", "RFC 3947 NAT-T"},
		{"cd60464335df21f87cfdb2fc68b6a448", "draft-ietf-ipsec-nat-t-ike-02"},
		{"90cb80913ebb696e086381b5ec427b1f", `draft-ietf-ipsec-nat-t-ike-02\n`},
		{"7d9419a65310ca6f2c179d9215529d56", "draft-ietf-ipsec-nat-t-ike-03"},
		{"afcad71368a1f1c96b8696fc77570100", "Dead Peer Detection"},
		{"09002689dfd6b712", "XAUTH"},
		{"09002689dfd6b71280a224dec33b81e5", "XAUTH"},
		{"12f5f28c457168a9702d9fe274cc0100", "Cisco Unity"},
		{"12f5f28c457168a9702d9fe274cc0200", "Cisco Unity"},
		{"882fe56d6fd20dbc2251613b2ebe5beb", "strongSwan"},
		{"1e2b516905991c7d7c96fcbfb587e461", "MS NT5 ISAKMPOAKLEY"},
		{"1e2b516905991c7d7c96fcbfb587e46100000009", "Microsoft Windows 8/8.1/10, Server 2012 R2/2016 (MS NT5 ISAKMPOAKLEY v9)"},
		{"1e2b516905991c7d7c96fcbfb587e46100000002", "Microsoft Windows 2000 (MS NT5 ISAKMPOAKLEY v2)"},
		{"1e2b516905991c7d7c96fcbfb587e46100000063", "MS NT5 ISAKMPOAKLEY"},
		{"4048b7d56ebce88525e7de7f00d6c2d3", "FRAGMENTATION"},
		{"4048b7d56ebce88525e7de7f00d6c2d380000000", "Cisco Fragmentation"},
		{"4048b7d56ebce88525e7de7f00d6c2d340000000", "FRAGMENTATION"},
		{"e3a5966a76379fe707228231e5ce8652", "IKE CGA version 1"},
		{"fb1de3cdf341b7ea16b7e5be0855f120", "MS-Negotiation Discovery Capable"},
		{"26244d38eddb61b3172a36e3d0cfb819", "Microsoft Vid-Initial-Contact"},
		{hex.EncodeToString([]byte("CISCO-DELETE-REASON")), "CISCO-DELETE-REASON"},
		{hex.EncodeToString([]byte("CISCO-DYNAMIC-ROUTE")), "CISCO-DYNAMIC-ROUTE"},
		{hex.EncodeToString([]byte("FLEXVPN-SUPPORTED")), "Cisco FlexVPN Supported"},
		{"1f07f70eaa6514d3b0fa96542a500100", "Cisco VPN Concentrator"},
		{"3e9840481122", "Cisco IOS"},
		{"f4ed19e0c114eb516faaac0ee37daf2807b4381f000000010000138d", "Check Point"},
		{"9b096d9ac3275a7d6fe8b91c583111b09efed1a0", "Juniper/NetScreen (Netscreen-9)"},
		{"8299031757a36082c6a621de000500000001", "Fortinet FortiGate"},
		{"404bf439522ca3f6", "SonicWall"},
		{"47bbe7c993f1fc13b4e6d0db565c68e5010201010201010310382e302e3020284275696c6420313029000000", "SafeNet SoftRemote"},
		{"625027749d5ab97f5616c1602765cf480a3b7d0b", "Zyxel ZyWALL"},
		{"7003cbc1097dbe9c2600ba6983bc8b35", "KAME/racoon"},
		{hex.EncodeToString([]byte("OE-Libreswan-4.12")), "libreswan"},
		{hex.EncodeToString([]byte("OENl`CdFu~F@")), "libreswan 3.0-3.5"},
		{hex.EncodeToString([]byte("OSWxyz")), "Openswan (Xelerance)"},
		{"4f4548724b6e5e68557c604f", "Openswan 2.2.0"},
		{"4f45486b7d44784d42676b5d", "Linux FreeS/WAN 2.00"},
		// Exact entries do not match longer or shorter payloads.
		{"4a131c81070358455c5728f20e95452f00", ""},
		{"4a131c81070358455c5728f20e9545", ""},
		{"00112233445566778899aabbccddeeff", ""},
		{"", ""},
	}
	for _, tc := range tests {
		vid, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatalf("bad test hex %q", tc.hex)
		}
		if got := vendorIDName(vid); got != tc.want {
			t.Errorf("vendorIDName(%s) = %q, want %q", tc.hex, got, tc.want)
		}
	}
}

// TestRegistryVendorIDTable checks the table itself: no duplicate byte
// strings, every MD5-derived entry equals the MD5 of its source string, every
// FreeS/WAN-style entry equals the hash of its source, and the truncated
// MD5 prefixes match their documented strings.
func TestRegistryVendorIDTable(t *testing.T) {
	if len(vendorIDIndex) != len(vendorIDs) {
		t.Errorf("vendor table has %d entries but %d distinct VIDs", len(vendorIDs), len(vendorIDIndex))
	}
	for _, e := range vendorIDs {
		if e.vid == "" || e.name == "" {
			t.Errorf("empty vendor entry %+v", e)
		}
		if e.md5src != "" {
			sum := md5.Sum([]byte(e.md5src))
			if string(sum[:]) != e.vid {
				t.Errorf("%q: VID %x != MD5(%q) %x", e.name, e.vid, e.md5src, sum)
			}
		}
		if e.fswanHash != "" {
			if want := fswanVID(e.fswanHash); want != e.vid {
				t.Errorf("%q: VID %x != FreeS/WAN hash of %q %x", e.name, e.vid, e.fswanHash, want)
			}
		}
	}
	truncated := []struct {
		src  string
		vid  string
		name string
	}{
		{"draft-ietf-ipsra-isakmp-xauth-06.txt", "09002689dfd6b712", "XAUTH"},
		{"CISCO-UNITY", "12f5f28c457168a9702d9fe274cc", "Cisco Unity"},
		{"ALTIGA GATEWAY", "1f07f70eaa6514d3b0fa96542a50", "Cisco VPN Concentrator"},
	}
	for _, tc := range truncated {
		sum := md5.Sum([]byte(tc.src))
		if got := hex.EncodeToString(sum[:len(tc.vid)/2]); got != tc.vid {
			t.Errorf("MD5(%q) prefix = %s, table has %s", tc.src, got, tc.vid)
		}
		vid, _ := hex.DecodeString(tc.vid)
		if got := vendorIDName(vid); got != tc.name {
			t.Errorf("vendorIDName(%s) = %q, want %q", tc.vid, got, tc.name)
		}
	}
}

// fswanVID computes the FreeS/WAN 2.x vendor ID: "OE" followed by the first
// 10 bytes of MD5(s), each with bit 7 cleared and bit 6 set (libreswan
// vendorid.c, VID_FSWAN_HASH).
func fswanVID(s string) string {
	sum := md5.Sum([]byte(s))
	v := []byte{'O', 'E'}
	for _, b := range sum[:10] {
		v = append(v, b&0x7f|0x40)
	}
	return string(v)
}

func TestRegistryV1Attributes(t *testing.T) {
	names := []struct {
		t    uint16
		want string
	}{
		{1, "Encryption-Algorithm"},
		{2, "Hash-Algorithm"},
		{3, "Authentication-Method"},
		{4, "Group-Description"},
		{5, "Group-Type"},
		{11, "Life-Type"},
		{12, "Life-Duration"},
		{13, "PRF"},
		{14, "Key-Length"},
		{15, "Field-Size"},
		{16, "Group-Order"},
		{0, ""},
		{18, ""},
		{16384, ""},
	}
	for _, tc := range names {
		if got := v1AttrName(tc.t); got != tc.want {
			t.Errorf("v1AttrName(%d) = %q, want %q", tc.t, got, tc.want)
		}
	}
	values := []struct {
		t    uint16
		v    uint64
		want string
	}{
		{1, 1, "DES-CBC"},
		{1, 5, "3DES-CBC"},
		{1, 7, "AES-CBC"},
		{1, 8, "CAMELLIA-CBC"},
		{1, 9, ""},
		{2, 1, "MD5"},
		{2, 2, "SHA"},
		{2, 3, "Tiger"},
		{2, 4, "SHA2-256"},
		{2, 5, "SHA2-384"},
		{2, 6, "SHA2-512"},
		{3, 1, "PSK"},
		{3, 2, "DSS-SIG"},
		{3, 3, "RSA-SIG"},
		{3, 4, "RSA-ENC"},
		{3, 5, "RSA-REV-ENC"},
		{3, 9, "ECDSA-SHA256-P256"},
		{3, 64221, "HybridInitRSA"},
		{3, 64222, "HybridRespRSA"},
		{3, 65001, "XAUTHInitPreShared"},
		{3, 65010, "XAUTHRespRSARevisedEncryption"},
		{4, 2, "MODP_1024"},
		{4, 14, "MODP_2048"},
		{5, 1, "MODP"},
		{5, 2, "ECP"},
		{11, 1, "seconds"},
		{11, 2, "kilobytes"},
		{12, 28800, ""},
		{14, 256, ""},
		{1, 1 << 20, ""},
	}
	for _, tc := range values {
		if got := v1AttrValueName(tc.t, tc.v); got != tc.want {
			t.Errorf("v1AttrValueName(%d, %d) = %q, want %q", tc.t, tc.v, got, tc.want)
		}
	}
}

func TestRegistryIPsecAttributes(t *testing.T) {
	names := []struct {
		t    uint16
		want string
	}{
		{1, "SA-Life-Type"},
		{2, "SA-Life-Duration"},
		{3, "Group-Description"},
		{4, "Encapsulation-Mode"},
		{5, "Authentication-Algorithm"},
		{6, "Key-Length"},
		{7, "Key-Rounds"},
		{8, "Compress-Dictionary-Size"},
		{9, "Compress-Private-Algorithm"},
		{10, "ECN-Tunnel"},
		{11, "Extended-Sequence-Number"},
		{16, ""},
	}
	for _, tc := range names {
		if got := ipsecAttrName(tc.t); got != tc.want {
			t.Errorf("ipsecAttrName(%d) = %q, want %q", tc.t, got, tc.want)
		}
	}
	values := []struct {
		t    uint16
		v    uint64
		want string
	}{
		{1, 1, "seconds"},
		{1, 2, "kilobytes"},
		{3, 5, "MODP_1536"},
		{4, 1, "Tunnel"},
		{4, 2, "Transport"},
		{4, 3, "UDP-Encapsulated-Tunnel"},
		{4, 4, "UDP-Encapsulated-Transport"},
		{4, 61443, "UDP-Encapsulated-Tunnel (draft)"},
		{4, 61444, "UDP-Encapsulated-Transport (draft)"},
		{5, 1, "HMAC-MD5"},
		{5, 2, "HMAC-SHA"},
		{5, 5, "HMAC-SHA2-256"},
		{5, 9, "AES-XCBC-MAC"},
		{11, 1, "64-bit Sequence Number"},
		{2, 3600, ""},
		{6, 256, ""},
	}
	for _, tc := range values {
		if got := ipsecAttrValueName(tc.t, tc.v); got != tc.want {
			t.Errorf("ipsecAttrValueName(%d, %d) = %q, want %q", tc.t, tc.v, got, tc.want)
		}
	}
}

func TestRegistryV1TransformIDs(t *testing.T) {
	tests := []struct {
		proto, id uint8
		want      string
	}{
		{1, 1, "KEY_IKE"},
		{1, 2, ""},
		{2, 2, "AH_MD5"},
		{2, 3, "AH_SHA"},
		{2, 4, "AH_DES"},
		{2, 5, "AH_SHA2-256"},
		{2, 1, ""},
		{3, 1, "ESP_DES_IV64"},
		{3, 2, "ESP_DES"},
		{3, 3, "ESP_3DES"},
		{3, 11, "ESP_NULL"},
		{3, 12, "ESP_AES-CBC"},
		{3, 13, "ESP_AES-CTR"},
		{3, 14, "ESP_AES-CCM_8"},
		{3, 16, "ESP_AES-CCM_16"},
		{3, 17, ""},
		{3, 18, "ESP_AES-GCM_8"},
		{3, 20, "ESP_AES-GCM_16"},
		{3, 21, "ESP_SEED_CBC"},
		{3, 22, "ESP_CAMELLIA"},
		{3, 23, "ESP_NULL_AUTH_AES-GMAC"},
		{4, 1, "IPCOMP_OUI"},
		{4, 2, "IPCOMP_DEFLATE"},
		{4, 3, "IPCOMP_LZS"},
		{4, 4, "IPCOMP_LZJH"},
		{5, 1, ""},
	}
	for _, tc := range tests {
		if got := v1TransformIDName(tc.proto, tc.id); got != tc.want {
			t.Errorf("v1TransformIDName(%d, %d) = %q, want %q", tc.proto, tc.id, got, tc.want)
		}
	}
}

func TestRegistryProtocolIDs(t *testing.T) {
	tests := []struct {
		version int
		p       uint8
		want    string
	}{
		{1, 1, "ISAKMP"},
		{1, 2, "AH"},
		{1, 3, "ESP"},
		{1, 4, "IPCOMP"},
		{1, 5, "GIGABEAM_RADIO"},
		{2, 1, "IKE"},
		{2, 2, "AH"},
		{2, 3, "ESP"},
		{2, 4, "FC_ESP_HEADER"},
		{2, 5, "FC_CT_AUTHENTICATION"},
		{1, 0, ""},
		{2, 6, ""},
	}
	for _, tc := range tests {
		if got := protocolIDName(tc.version, tc.p); got != tc.want {
			t.Errorf("protocolIDName(%d, %d) = %q, want %q", tc.version, tc.p, got, tc.want)
		}
	}
}

func TestRegistryV2Transforms(t *testing.T) {
	types := []struct {
		tt   uint8
		want string
	}{
		{1, "ENCR"}, {2, "PRF"}, {3, "INTEG"}, {4, "KE"}, {5, "ESN"},
		{6, "ADDKE1"}, {7, "ADDKE2"}, {12, "ADDKE7"}, {0, ""}, {13, ""},
	}
	for _, tc := range types {
		if got := v2TransformTypeName(tc.tt); got != tc.want {
			t.Errorf("v2TransformTypeName(%d) = %q, want %q", tc.tt, got, tc.want)
		}
	}
	ids := []struct {
		tt   uint8
		id   uint16
		want string
	}{
		{1, 3, "ENCR_3DES"},
		{1, 11, "ENCR_NULL"},
		{1, 12, "ENCR_AES_CBC"},
		{1, 13, "ENCR_AES_CTR"},
		{1, 14, "ENCR_AES_CCM_8"},
		{1, 15, "ENCR_AES_CCM_12"},
		{1, 16, "ENCR_AES_CCM_16"},
		{1, 17, ""},
		{1, 18, "ENCR_AES_GCM_8"},
		{1, 19, "ENCR_AES_GCM_12"},
		{1, 20, "ENCR_AES_GCM_16"},
		{1, 21, "ENCR_NULL_AUTH_AES_GMAC"},
		{1, 23, "ENCR_CAMELLIA_CBC"},
		{1, 28, "ENCR_CHACHA20_POLY1305"},
		{1, 30, "ENCR_AES_GCM_16_IIV"},
		{1, 35, "ENCR_MAGMA_MGM_MAC_KTREE"},
		{1, 36, ""},
		{2, 1, "PRF_HMAC_MD5"},
		{2, 2, "PRF_HMAC_SHA1"},
		{2, 4, "PRF_AES128_XCBC"},
		{2, 5, "PRF_HMAC_SHA2_256"},
		{2, 6, "PRF_HMAC_SHA2_384"},
		{2, 7, "PRF_HMAC_SHA2_512"},
		{2, 8, "PRF_AES128_CMAC"},
		{2, 0, ""},
		{3, 0, "NONE"},
		{3, 1, "AUTH_HMAC_MD5_96"},
		{3, 2, "AUTH_HMAC_SHA1_96"},
		{3, 5, "AUTH_AES_XCBC_96"},
		{3, 8, "AUTH_AES_CMAC_96"},
		{3, 12, "AUTH_HMAC_SHA2_256_128"},
		{3, 13, "AUTH_HMAC_SHA2_384_192"},
		{3, 14, "AUTH_HMAC_SHA2_512_256"},
		{3, 15, ""},
		{4, 0, "NONE"},
		{4, 14, "MODP_2048"},
		{4, 19, "ECP_256"},
		{4, 31, "Curve25519"},
		{5, 0, "NO_ESN"},
		{5, 1, "ESN"},
		{5, 2, ""},
		{6, 36, "ML_KEM_768"},
		{12, 37, "ML_KEM_1024"},
		{13, 1, ""},
	}
	for _, tc := range ids {
		if got := v2TransformIDName(tc.tt, tc.id); got != tc.want {
			t.Errorf("v2TransformIDName(%d, %d) = %q, want %q", tc.tt, tc.id, got, tc.want)
		}
	}
	if got := v2AttrName(14); got != "Key-Length" {
		t.Errorf("v2AttrName(14) = %q", got)
	}
	if got := v2AttrName(1); got != "" {
		t.Errorf("v2AttrName(1) = %q, want empty", got)
	}
}

func TestRegistryDHGroups(t *testing.T) {
	tests := []struct {
		g    uint16
		want string
		weak bool
	}{
		{0, "", false},
		{1, "MODP_768", true},
		{2, "MODP_1024", true},
		{5, "MODP_1536", true},
		{14, "MODP_2048", false},
		{15, "MODP_3072", false},
		{16, "MODP_4096", false},
		{17, "MODP_6144", false},
		{18, "MODP_8192", false},
		{19, "ECP_256", false},
		{20, "ECP_384", false},
		{21, "ECP_521", false},
		{22, "MODP_1024_160", true},
		{23, "MODP_2048_224", true},
		{24, "MODP_2048_256", true},
		{25, "ECP_192", false},
		{26, "ECP_224", false},
		{27, "brainpoolP224r1", false},
		{30, "brainpoolP512r1", false},
		{31, "Curve25519", false},
		{32, "Curve448", false},
		{33, "GOST3410_2012_256", false},
		{34, "GOST3410_2012_512", false},
		{35, "ML_KEM_512", false},
		{36, "ML_KEM_768", false},
		{37, "ML_KEM_1024", false},
		{38, "", false},
		{1024, "", false},
	}
	for _, tc := range tests {
		if got := dhGroupName(tc.g); got != tc.want {
			t.Errorf("dhGroupName(%d) = %q, want %q", tc.g, got, tc.want)
		}
		if got := dhGroupWeak(tc.g); got != tc.weak {
			t.Errorf("dhGroupWeak(%d) = %v, want %v", tc.g, got, tc.weak)
		}
	}
	// Every IKEv2 Key Exchange Method IANA assigns (1, 2, 5, 14-37) is named.
	for g := uint16(14); g <= 37; g++ {
		if dhGroupName(g) == "" {
			t.Errorf("dhGroupName(%d) is empty", g)
		}
	}
}

func TestRegistryIdentification(t *testing.T) {
	tests := []struct {
		version int
		t       uint8
		want    string
	}{
		{1, 1, "ID_IPV4_ADDR"},
		{1, 2, "ID_FQDN"},
		{1, 3, "ID_USER_FQDN"},
		{1, 4, "ID_IPV4_ADDR_SUBNET"},
		{1, 5, "ID_IPV6_ADDR"},
		{1, 6, "ID_IPV6_ADDR_SUBNET"},
		{1, 7, "ID_IPV4_ADDR_RANGE"},
		{1, 8, "ID_IPV6_ADDR_RANGE"},
		{1, 9, "ID_DER_ASN1_DN"},
		{1, 10, "ID_DER_ASN1_GN"},
		{1, 11, "ID_KEY_ID"},
		{1, 12, "ID_LIST"},
		{1, 13, ""},
		{2, 1, "ID_IPV4_ADDR"},
		{2, 2, "ID_FQDN"},
		{2, 3, "ID_RFC822_ADDR"},
		{2, 4, ""},
		{2, 5, "ID_IPV6_ADDR"},
		{2, 7, ""},
		{2, 9, "ID_DER_ASN1_DN"},
		{2, 10, "ID_DER_ASN1_GN"},
		{2, 11, "ID_KEY_ID"},
		{2, 12, "ID_FC_NAME"},
		{2, 13, "ID_NULL"},
	}
	for _, tc := range tests {
		if got := idTypeName(tc.version, tc.t); got != tc.want {
			t.Errorf("idTypeName(%d, %d) = %q, want %q", tc.version, tc.t, got, tc.want)
		}
	}
}

func TestRegistryMisc(t *testing.T) {
	str := []struct {
		name string
		got  string
		want string
	}{
		{"certEncodingName(1)", certEncodingName(1), "PKCS #7 wrapped X.509 certificate"},
		{"certEncodingName(4)", certEncodingName(4), "X.509 Certificate - Signature"},
		{"certEncodingName(12)", certEncodingName(12), "Hash and URL of X.509 certificate"},
		{"certEncodingName(13)", certEncodingName(13), "Hash and URL of X.509 bundle"},
		{"certEncodingName(14)", certEncodingName(14), "OCSP Content"},
		{"certEncodingName(15)", certEncodingName(15), "Raw Public Key"},
		{"certEncodingName(16)", certEncodingName(16), ""},
		{"authMethodNameV2(1)", authMethodNameV2(1), "RSA_DIGITAL_SIGNATURE"},
		{"authMethodNameV2(2)", authMethodNameV2(2), "SHARED_KEY_MIC"},
		{"authMethodNameV2(3)", authMethodNameV2(3), "DSS_DIGITAL_SIGNATURE"},
		{"authMethodNameV2(9)", authMethodNameV2(9), "ECDSA_SHA256_P256"},
		{"authMethodNameV2(12)", authMethodNameV2(12), "GENERIC_SECURE_PASSWORD"},
		{"authMethodNameV2(13)", authMethodNameV2(13), "NULL_AUTH"},
		{"authMethodNameV2(14)", authMethodNameV2(14), "DIGITAL_SIGNATURE"},
		{"authMethodNameV2(4)", authMethodNameV2(4), ""},
		{"tsTypeName(7)", tsTypeName(7), "TS_IPV4_ADDR_RANGE"},
		{"tsTypeName(8)", tsTypeName(8), "TS_IPV6_ADDR_RANGE"},
		{"tsTypeName(9)", tsTypeName(9), "TS_FC_ADDR_RANGE"},
		{"tsTypeName(10)", tsTypeName(10), "TS_SECLABEL"},
		{"tsTypeName(1)", tsTypeName(1), ""},
		{"cfgTypeName(2,1)", cfgTypeName(2, 1), "CFG_REQUEST"},
		{"cfgTypeName(2,4)", cfgTypeName(2, 4), "CFG_ACK"},
		{"cfgTypeName(1,2)", cfgTypeName(1, 2), "ISAKMP_CFG_REPLY"},
		{"cfgTypeName(1,3)", cfgTypeName(1, 3), "ISAKMP_CFG_SET"},
		{"cfgTypeName(2,5)", cfgTypeName(2, 5), ""},
		{"cfgAttrName(2,1)", cfgAttrName(2, 1), "INTERNAL_IP4_ADDRESS"},
		{"cfgAttrName(1,1)", cfgAttrName(1, 1), "INTERNAL_IP4_ADDRESS"},
		{"cfgAttrName(2,3)", cfgAttrName(2, 3), "INTERNAL_IP4_DNS"},
		{"cfgAttrName(2,10)", cfgAttrName(2, 10), "INTERNAL_IP6_DNS"},
		{"cfgAttrName(2,13)", cfgAttrName(2, 13), "INTERNAL_IP4_SUBNET"},
		{"cfgAttrName(2,25)", cfgAttrName(2, 25), "INTERNAL_DNS_DOMAIN"},
		{"cfgAttrName(2,23456)", cfgAttrName(2, 23456), "INTERNAL_IP4_SERVER"},
		{"cfgAttrName(1,16520)", cfgAttrName(1, 16520), "XAUTH_TYPE"},
		{"cfgAttrName(1,16521)", cfgAttrName(1, 16521), "XAUTH_USER_NAME"},
		{"cfgAttrName(1,16522)", cfgAttrName(1, 16522), "XAUTH_USER_PASSWORD"},
		{"cfgAttrName(1,16527)", cfgAttrName(1, 16527), "XAUTH_STATUS"},
		{"cfgAttrName(1,16529)", cfgAttrName(1, 16529), "XAUTH_ANSWER"},
		{"cfgAttrName(2,16520)", cfgAttrName(2, 16520), ""},
		{"cfgAttrName(1,28672)", cfgAttrName(1, 28672), "UNITY_BANNER"},
		{"cfgAttrName(1,28675)", cfgAttrName(1, 28675), "UNITY_SPLITDNS_NAME"},
		{"cfgAttrName(1,28676)", cfgAttrName(1, 28676), "UNITY_SPLIT_INCLUDE"},
		{"cfgAttrName(1,28678)", cfgAttrName(1, 28678), "UNITY_LOCAL_LAN"},
		{"cfgAttrName(1,28682)", cfgAttrName(1, 28682), "UNITY_DDNS_HOSTNAME"},
		{"cfgAttrName(2,28672)", cfgAttrName(2, 28672), ""},
		{"eapCodeName(1)", eapCodeName(1), "Request"},
		{"eapCodeName(2)", eapCodeName(2), "Response"},
		{"eapCodeName(3)", eapCodeName(3), "Success"},
		{"eapCodeName(4)", eapCodeName(4), "Failure"},
		{"eapCodeName(0)", eapCodeName(0), ""},
		{"eapTypeName(1)", eapTypeName(1), "Identity"},
		{"eapTypeName(4)", eapTypeName(4), "MD5-Challenge"},
		{"eapTypeName(13)", eapTypeName(13), "EAP-TLS"},
		{"eapTypeName(18)", eapTypeName(18), "EAP-SIM"},
		{"eapTypeName(23)", eapTypeName(23), "EAP-AKA"},
		{"eapTypeName(25)", eapTypeName(25), "PEAP"},
		{"eapTypeName(26)", eapTypeName(26), "MSCHAPv2"},
		{"eapTypeName(50)", eapTypeName(50), "EAP-AKA'"},
		{"eapTypeName(20)", eapTypeName(20), ""},
	}
	for _, tc := range str {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestRegistryExchangeTypes(t *testing.T) {
	tests := []struct {
		t    uint8
		want string
	}{
		{0, "NONE"},
		{1, "BASE"},
		{2, "MAIN_MODE"},
		{3, "AUTH_ONLY"},
		{4, "AGGRESSIVE"},
		{5, "INFORMATIONAL"},
		{6, "TRANSACTION"},
		{7, ""},
		{32, "QUICK_MODE"},
		{33, "NEW_GROUP_MODE"},
		{34, "IKE_SA_INIT"},
		{35, "IKE_AUTH"},
		{36, "CREATE_CHILD_SA"},
		{37, "INFORMATIONAL"},
		{38, "IKE_SESSION_RESUME"},
		{39, "GSA_AUTH"},
		{40, "GSA_REGISTRATION"},
		{41, "GSA_REKEY"},
		{42, "GSA_INBAND_REKEY"},
		{43, "IKE_INTERMEDIATE"},
		{44, "IKE_FOLLOWUP_KE"},
		{45, ""},
		{255, ""},
	}
	for _, tc := range tests {
		if got := exchangeTypeName(tc.t); got != tc.want {
			t.Errorf("exchangeTypeName(%d) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestRegistryPayloadTypes(t *testing.T) {
	tests := []struct {
		t      uint8
		name   string
		abbrev string
	}{
		{1, "Security Association", "SA"},
		{2, "Proposal", "PROP"},
		{3, "Transform", "TRANS"},
		{4, "Key Exchange", "KE"},
		{5, "Identification", "ID"},
		{6, "Certificate", "CERT"},
		{7, "Certificate Request", "CERTREQ"},
		{8, "Hash", "HASH"},
		{9, "Signature", "SIG"},
		{10, "Nonce", "No"},
		{11, "Notification", "N"},
		{12, "Delete", "D"},
		{13, "Vendor ID", "V"},
		{14, "Attributes", "CP"},
		{20, "NAT-D", "NAT-D"},
		{21, "NAT-OA", "NAT-OA"},
		{23, "", ""},
		{33, "Security Association", "SA"},
		{34, "Key Exchange", "KE"},
		{35, "Identification - Initiator", "IDi"},
		{36, "Identification - Responder", "IDr"},
		{37, "Certificate", "CERT"},
		{38, "Certificate Request", "CERTREQ"},
		{39, "Authentication", "AUTH"},
		{40, "Nonce", "No"},
		{41, "Notify", "N"},
		{42, "Delete", "D"},
		{43, "Vendor ID", "V"},
		{44, "Traffic Selector - Initiator", "TSi"},
		{45, "Traffic Selector - Responder", "TSr"},
		{46, "Encrypted and Authenticated", "E"},
		{47, "Configuration", "CP"},
		{48, "EAP", "EAP"},
		{53, "Encrypted and Authenticated Fragment", "EF"},
		{54, "Puzzle Solution", "PS"},
		{55, "", ""},
		{130, "NAT-D (draft)", "NAT-D"},
		{131, "NAT-OA (draft)", "NAT-OA"},
		{132, "Fragment (Cisco)", "FRAG"},
		{133, "", ""},
	}
	for _, tc := range tests {
		if got := payloadTypeName(tc.t); got != tc.name {
			t.Errorf("payloadTypeName(%d) = %q, want %q", tc.t, got, tc.name)
		}
		if got := payloadTypeAbbrev(tc.t); got != tc.abbrev {
			t.Errorf("payloadTypeAbbrev(%d) = %q, want %q", tc.t, got, tc.abbrev)
		}
	}
	// Every named payload type has an abbreviation and vice versa.
	for p := 0; p < 256; p++ {
		if (payloadTypeName(uint8(p)) == "") != (payloadTypeAbbrev(uint8(p)) == "") {
			t.Errorf("payload type %d: name %q, abbreviation %q", p, payloadTypeName(uint8(p)), payloadTypeAbbrev(uint8(p)))
		}
	}
}
