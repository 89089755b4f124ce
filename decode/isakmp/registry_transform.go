package isakmp

import "strconv"

// Security Association registries: IKEv1 phase-1 and IPsec DOI attributes,
// IKEv1 transform identifiers, protocol identifiers, IKEv2 transform types and
// identifiers, and the key exchange (Diffie-Hellman) groups both versions share.

// v1AttrName names an IKEv1 phase-1 (Oakley/ISAKMP SA) attribute class.
//
// Source: RFC 2409 Appendix A and IANA "Internet Key Exchange (IKE)
// Attributes" / "IKE Attributes" (attribute classes 1-16). 17 Block-Size and
// 20 Asymmetric-Cryptographic-Algorithm-Type are not IANA assignments; they
// come from Wireshark's ike_attr_type (GM/T 0022 IPsec VPN).
func v1AttrName(t uint16) string {
	switch t {
	case 1:
		return "Encryption-Algorithm"
	case 2:
		return "Hash-Algorithm"
	case 3:
		return "Authentication-Method"
	case 4:
		return "Group-Description"
	case 5:
		return "Group-Type"
	case 6:
		return "Group-Prime"
	case 7:
		return "Group-Generator-One"
	case 8:
		return "Group-Generator-Two"
	case 9:
		return "Group-Curve-A"
	case 10:
		return "Group-Curve-B"
	case 11:
		return "Life-Type"
	case 12:
		return "Life-Duration"
	case 13:
		return "PRF"
	case 14:
		return "Key-Length"
	case 15:
		return "Field-Size"
	case 16:
		return "Group-Order"
	case 17:
		return "Block-Size"
	case 20:
		return "Asymmetric-Cryptographic-Algorithm-Type"
	}
	return ""
}

// v1AttrValueName names the value of an enumerated IKEv1 phase-1 attribute;
// "" when the attribute is not enumerated (lengths, durations, group
// parameters, PRF — RFC 2409 defines no PRF values) or the value is unknown.
//
// Sources: RFC 2409 Appendix A and IANA "IKE Attributes" sub-registries
// (Encryption Algorithm, Hash Algorithm, Authentication Method, Group
// Description, Group Type, Life Type); RFC 4754 (ECDSA methods 9-11);
// draft-ietf-ipsec-isakmp-hybrid-auth-05 (64221-64224) and
// draft-beaulieu-ike-xauth-02 (65001-65010) as spelled by Wireshark and
// libreswan. Private-use / non-IANA values: encryption 65001, 65002, 65004,
// 65005, 65289 (FreeS/WAN proprietary, libreswan/strongSwan) and the GM/T 0022
// values 127-129 (encryption), 20 (hash) and attribute 20 (Wireshark).
func v1AttrValueName(t uint16, v uint64) string {
	if v > 0xffff {
		return ""
	}
	switch t {
	case 1: // Encryption Algorithm
		switch v {
		case 1:
			return "DES-CBC"
		case 2:
			return "IDEA-CBC"
		case 3:
			return "Blowfish-CBC"
		case 4:
			return "RC5-R16-B64-CBC"
		case 5:
			return "3DES-CBC"
		case 6:
			return "CAST-CBC"
		case 7:
			return "AES-CBC"
		case 8:
			return "CAMELLIA-CBC"
		case 127:
			return "SM4-CBC (deprecated code point)"
		case 128:
			return "SM1-CBC"
		case 129:
			return "SM4-CBC"
		case 65001:
			return "MARS-CBC"
		case 65002:
			return "RC6-CBC"
		case 65004:
			return "Serpent-CBC"
		case 65005:
			return "Twofish-CBC"
		case 65289:
			return "Twofish-CBC-SSH"
		}
	case 2: // Hash Algorithm
		switch v {
		case 1:
			return "MD5"
		case 2:
			return "SHA"
		case 3:
			return "Tiger"
		case 4:
			return "SHA2-256"
		case 5:
			return "SHA2-384"
		case 6:
			return "SHA2-512"
		case 20:
			return "SM3"
		}
	case 3: // Authentication Method
		switch v {
		case 1:
			return "PSK"
		case 2:
			return "DSS-SIG"
		case 3:
			return "RSA-SIG"
		case 4:
			return "RSA-ENC"
		case 5:
			return "RSA-REV-ENC"
		case 9:
			return "ECDSA-SHA256-P256"
		case 10:
			return "ECDSA-SHA384-P384"
		case 11:
			return "ECDSA-SHA512-P521"
		case 64221:
			return "HybridInitRSA"
		case 64222:
			return "HybridRespRSA"
		case 64223:
			return "HybridInitDSS"
		case 64224:
			return "HybridRespDSS"
		case 65001:
			return "XAUTHInitPreShared"
		case 65002:
			return "XAUTHRespPreShared"
		case 65003:
			return "XAUTHInitDSS"
		case 65004:
			return "XAUTHRespDSS"
		case 65005:
			return "XAUTHInitRSA"
		case 65006:
			return "XAUTHRespRSA"
		case 65007:
			return "XAUTHInitRSAEncryption"
		case 65008:
			return "XAUTHRespRSAEncryption"
		case 65009:
			return "XAUTHInitRSARevisedEncryption"
		case 65010:
			return "XAUTHRespRSARevisedEncryption"
		}
	case 4: // Group Description
		return dhGroupName(uint16(v))
	case 5: // Group Type
		switch v {
		case 1:
			return "MODP"
		case 2:
			return "ECP"
		case 3:
			return "EC2N"
		}
	case 11: // Life Type
		switch v {
		case 1:
			return "seconds"
		case 2:
			return "kilobytes"
		}
	case 20: // Asymmetric Cryptographic Algorithm Type (Wireshark, GM/T 0022)
		switch v {
		case 1:
			return "RSA"
		case 2:
			return "SM2"
		}
	}
	return ""
}

// ipsecAttrName names an IPsec DOI (phase-2) SA attribute class.
//
// Sources: RFC 2407 §4.5 (1-9), IANA "IPSEC Security Association Attributes"
// (10 ECN Tunnel RFC 3168, 11 Extended (64-bit) Sequence Number RFC 4304,
// 12 Authentication Key Length and 13 Signature Encoding Algorithm RFC 4359,
// 14 Address Preservation and 15 SA Direction RFC 6407) as listed by
// Wireshark's ipsec_attr_type. 32001 is libreswan's private-use security
// context (labeled IPsec) attribute.
func ipsecAttrName(t uint16) string {
	switch t {
	case 1:
		return "SA-Life-Type"
	case 2:
		return "SA-Life-Duration"
	case 3:
		return "Group-Description"
	case 4:
		return "Encapsulation-Mode"
	case 5:
		return "Authentication-Algorithm"
	case 6:
		return "Key-Length"
	case 7:
		return "Key-Rounds"
	case 8:
		return "Compress-Dictionary-Size"
	case 9:
		return "Compress-Private-Algorithm"
	case 10:
		return "ECN-Tunnel"
	case 11:
		return "Extended-Sequence-Number"
	case 12:
		return "Authentication-Key-Length"
	case 13:
		return "Signature-Encoding-Algorithm"
	case 14:
		return "Address-Preservation"
	case 15:
		return "SA-Direction"
	case 32001:
		return "Security-Context"
	}
	return ""
}

// ipsecAttrValueName names the value of an enumerated IPsec DOI attribute;
// "" for numeric attributes or unknown values.
//
// Sources: RFC 2407 §4.5 (life type, encapsulation mode 1-2, authentication
// algorithm 1-4), RFC 3947 §5 (encapsulation modes 3-4; 61443/61444 are the
// values used by draft-ietf-ipsec-nat-t-ike-00..03), IANA "IPSEC Security
// Association Attributes" value sub-registries (authentication algorithm
// 5-13, ECN Tunnel, ESN, Signature Encoding, Address Preservation, SA
// Direction) as listed by Wireshark. 61440 is Check Point's private UDP
// encapsulation (Wireshark ipsec_attr_encap_mode).
func ipsecAttrValueName(t uint16, v uint64) string {
	if v > 0xffff {
		return ""
	}
	switch t {
	case 1: // SA Life Type
		switch v {
		case 1:
			return "seconds"
		case 2:
			return "kilobytes"
		}
	case 3: // Group Description
		return dhGroupName(uint16(v))
	case 4: // Encapsulation Mode
		switch v {
		case 1:
			return "Tunnel"
		case 2:
			return "Transport"
		case 3:
			return "UDP-Encapsulated-Tunnel"
		case 4:
			return "UDP-Encapsulated-Transport"
		case 61440:
			return "Check-Point-UDP-Encapsulation"
		case 61443:
			return "UDP-Encapsulated-Tunnel (draft)"
		case 61444:
			return "UDP-Encapsulated-Transport (draft)"
		}
	case 5: // Authentication Algorithm
		switch v {
		case 1:
			return "HMAC-MD5"
		case 2:
			return "HMAC-SHA"
		case 3:
			return "DES-MAC"
		case 4:
			return "KPDK"
		case 5:
			return "HMAC-SHA2-256"
		case 6:
			return "HMAC-SHA2-384"
		case 7:
			return "HMAC-SHA2-512"
		case 8:
			return "HMAC-RIPEMD"
		case 9:
			return "AES-XCBC-MAC"
		case 10:
			return "SIG-RSA"
		case 11:
			return "AES-128-GMAC"
		case 12:
			return "AES-192-GMAC"
		case 13:
			return "AES-256-GMAC"
		}
	case 10: // ECN Tunnel
		switch v {
		case 1:
			return "Allowed"
		case 2:
			return "Forbidden"
		}
	case 11: // Extended (64-bit) Sequence Number
		if v == 1 {
			return "64-bit Sequence Number"
		}
	case 13: // Signature Encoding Algorithm
		switch v {
		case 1:
			return "RSASSA-PKCS1-v1_5"
		case 2:
			return "RSASSA-PSS"
		}
	case 14: // Address Preservation
		switch v {
		case 1:
			return "None"
		case 2:
			return "Source-Only"
		case 3:
			return "Destination-Only"
		case 4:
			return "Source-and-Destination"
		}
	case 15: // SA Direction
		switch v {
		case 1:
			return "Sender-Only"
		case 2:
			return "Receiver-Only"
		case 3:
			return "Symmetric"
		}
	}
	return ""
}

// v1TransformIDName names an IKEv1 Transform ID, which is interpreted by the
// proposal's protocol.
//
// Sources: RFC 2407 §4.4.2-4.4.5 and IANA "IPSEC Security Protocol
// Identifiers" sub-registries "IPSEC ISAKMP Transform Identifiers", "IPSEC
// AH Transform Identifiers", "IPSEC ESP Transform Identifiers" and "IPCOMP
// Transform Identifiers" (cross-checked with strongSwan
// proposal_substructure.c and libreswan ietf_constants.h). ESP 249, 250, 252
// and 253 are private-use values from libreswan/strongSwan (FreeS/WAN).
// Note the IKEv1 ESP numbering differs from IKEv2 from 21 up: IKEv1 21 is
// SEED-CBC, 22 Camellia and 23 NULL auth AES-GMAC.
func v1TransformIDName(protocol uint8, id uint8) string {
	switch protocol {
	case 1: // ISAKMP
		if id == 1 {
			return "KEY_IKE"
		}
	case 2: // AH
		switch id {
		case 2:
			return "AH_MD5"
		case 3:
			return "AH_SHA"
		case 4:
			return "AH_DES"
		case 5:
			return "AH_SHA2-256"
		case 6:
			return "AH_SHA2-384"
		case 7:
			return "AH_SHA2-512"
		case 8:
			return "AH_RIPEMD"
		case 9:
			return "AH_AES-XCBC-MAC"
		case 10:
			return "AH_RSA"
		case 11:
			return "AH_AES-128-GMAC"
		case 12:
			return "AH_AES-192-GMAC"
		case 13:
			return "AH_AES-256-GMAC"
		}
	case 3: // ESP
		switch id {
		case 1:
			return "ESP_DES_IV64"
		case 2:
			return "ESP_DES"
		case 3:
			return "ESP_3DES"
		case 4:
			return "ESP_RC5"
		case 5:
			return "ESP_IDEA"
		case 6:
			return "ESP_CAST"
		case 7:
			return "ESP_BLOWFISH"
		case 8:
			return "ESP_3IDEA"
		case 9:
			return "ESP_DES_IV32"
		case 10:
			return "ESP_RC4"
		case 11:
			return "ESP_NULL"
		case 12:
			return "ESP_AES-CBC"
		case 13:
			return "ESP_AES-CTR"
		case 14:
			return "ESP_AES-CCM_8"
		case 15:
			return "ESP_AES-CCM_12"
		case 16:
			return "ESP_AES-CCM_16"
		case 18:
			return "ESP_AES-GCM_8"
		case 19:
			return "ESP_AES-GCM_12"
		case 20:
			return "ESP_AES-GCM_16"
		case 21:
			return "ESP_SEED_CBC"
		case 22:
			return "ESP_CAMELLIA"
		case 23:
			return "ESP_NULL_AUTH_AES-GMAC"
		case 249:
			return "ESP_MARS"
		case 250:
			return "ESP_RC6"
		case 252:
			return "ESP_SERPENT"
		case 253:
			return "ESP_TWOFISH"
		}
	case 4: // IPCOMP
		switch id {
		case 1:
			return "IPCOMP_OUI"
		case 2:
			return "IPCOMP_DEFLATE"
		case 3:
			return "IPCOMP_LZS"
		case 4:
			return "IPCOMP_LZJH"
		}
	}
	return ""
}

// protocolIDName names a Protocol ID as used in proposals, notifies and
// deletes.
//
// Sources: IKEv1 — RFC 2407 §4.4.1 and IANA "IPSEC Security Protocol
// Identifiers" (PROTO_ISAKMP, PROTO_IPSEC_AH, PROTO_IPSEC_ESP, PROTO_IPCOMP,
// PROTO_GIGABEAM_RADIO RFC 4705), given without the PROTO_/IPSEC_ prefixes;
// IKEv2 — RFC 7296 §3.3.1 and IANA "IKEv2 Security Protocol Identifiers"
// (4/5 RFC 4595).
func protocolIDName(version int, p uint8) string {
	if version == 2 {
		switch p {
		case 1:
			return "IKE"
		case 2:
			return "AH"
		case 3:
			return "ESP"
		case 4:
			return "FC_ESP_HEADER"
		case 5:
			return "FC_CT_AUTHENTICATION"
		}
		return ""
	}
	switch p {
	case 1:
		return "ISAKMP"
	case 2:
		return "AH"
	case 3:
		return "ESP"
	case 4:
		return "IPCOMP"
	case 5:
		return "GIGABEAM_RADIO"
	}
	return ""
}

// v2TransformTypeName names an IKEv2 Transform Type.
//
// Source: IANA "IKEv2 Parameters" — "Transform Type Values" (RFC 7296 §3.3.2;
// type 4 renamed Key Exchange Method and types 6-12 Additional Key Exchange
// 1-7 by RFC 9370).
func v2TransformTypeName(tt uint8) string {
	switch tt {
	case 1:
		return "ENCR"
	case 2:
		return "PRF"
	case 3:
		return "INTEG"
	case 4:
		return "KE"
	case 5:
		return "ESN"
	}
	if tt >= 6 && tt <= 12 {
		return "ADDKE" + strconv.Itoa(int(tt)-5)
	}
	return ""
}

// v2TransformIDName names an IKEv2 Transform ID of the given transform type;
// "" when unknown.
//
// Sources: IANA "IKEv2 Parameters" — "Transform Type 1 - Encryption
// Algorithm Transform IDs" (1-35; 22 is only reserved for IEEE P1619 XTS-AES
// and is left unnamed), "Transform Type 2 - Pseudorandom Function Transform
// IDs" (1-9), "Transform Type 3 - Integrity Algorithm Transform IDs" (0-14),
// "Transform Type 4 - Key Exchange Method Transform IDs" (see dhGroupName),
// "Transform Type 5" (0/1, RFC 7296 names). ENCR 65004/65005 are private-use
// values used by strongSwan and libreswan, 65289 by libreswan.
func v2TransformIDName(tt uint8, id uint16) string {
	switch tt {
	case 1:
		return v2EncrName(id)
	case 2:
		switch id {
		case 1:
			return "PRF_HMAC_MD5"
		case 2:
			return "PRF_HMAC_SHA1"
		case 3:
			return "PRF_HMAC_TIGER"
		case 4:
			return "PRF_AES128_XCBC"
		case 5:
			return "PRF_HMAC_SHA2_256"
		case 6:
			return "PRF_HMAC_SHA2_384"
		case 7:
			return "PRF_HMAC_SHA2_512"
		case 8:
			return "PRF_AES128_CMAC"
		case 9:
			return "PRF_HMAC_STREEBOG_512"
		}
	case 3:
		switch id {
		case 0:
			return "NONE"
		case 1:
			return "AUTH_HMAC_MD5_96"
		case 2:
			return "AUTH_HMAC_SHA1_96"
		case 3:
			return "AUTH_DES_MAC"
		case 4:
			return "AUTH_KPDK_MD5"
		case 5:
			return "AUTH_AES_XCBC_96"
		case 6:
			return "AUTH_HMAC_MD5_128"
		case 7:
			return "AUTH_HMAC_SHA1_160"
		case 8:
			return "AUTH_AES_CMAC_96"
		case 9:
			return "AUTH_AES_128_GMAC"
		case 10:
			return "AUTH_AES_192_GMAC"
		case 11:
			return "AUTH_AES_256_GMAC"
		case 12:
			return "AUTH_HMAC_SHA2_256_128"
		case 13:
			return "AUTH_HMAC_SHA2_384_192"
		case 14:
			return "AUTH_HMAC_SHA2_512_256"
		}
	case 4, 6, 7, 8, 9, 10, 11, 12:
		if id == 0 {
			return "NONE"
		}
		return dhGroupName(id)
	case 5:
		switch id {
		case 0:
			return "NO_ESN"
		case 1:
			return "ESN"
		}
	}
	return ""
}

// v2EncrName names a Transform Type 1 (encryption) Transform ID; see
// v2TransformIDName for the sources.
func v2EncrName(id uint16) string {
	switch id {
	case 1:
		return "ENCR_DES_IV64"
	case 2:
		return "ENCR_DES"
	case 3:
		return "ENCR_3DES"
	case 4:
		return "ENCR_RC5"
	case 5:
		return "ENCR_IDEA"
	case 6:
		return "ENCR_CAST"
	case 7:
		return "ENCR_BLOWFISH"
	case 8:
		return "ENCR_3IDEA"
	case 9:
		return "ENCR_DES_IV32"
	case 11:
		return "ENCR_NULL"
	case 12:
		return "ENCR_AES_CBC"
	case 13:
		return "ENCR_AES_CTR"
	case 14:
		return "ENCR_AES_CCM_8"
	case 15:
		return "ENCR_AES_CCM_12"
	case 16:
		return "ENCR_AES_CCM_16"
	case 18:
		return "ENCR_AES_GCM_8"
	case 19:
		return "ENCR_AES_GCM_12"
	case 20:
		return "ENCR_AES_GCM_16"
	case 21:
		return "ENCR_NULL_AUTH_AES_GMAC"
	case 23:
		return "ENCR_CAMELLIA_CBC"
	case 24:
		return "ENCR_CAMELLIA_CTR"
	case 25:
		return "ENCR_CAMELLIA_CCM_8"
	case 26:
		return "ENCR_CAMELLIA_CCM_12"
	case 27:
		return "ENCR_CAMELLIA_CCM_16"
	case 28:
		return "ENCR_CHACHA20_POLY1305"
	case 29:
		return "ENCR_AES_CCM_8_IIV"
	case 30:
		return "ENCR_AES_GCM_16_IIV"
	case 31:
		return "ENCR_CHACHA20_POLY1305_IIV"
	case 32:
		return "ENCR_KUZNYECHIK_MGM_KTREE"
	case 33:
		return "ENCR_MAGMA_MGM_KTREE"
	case 34:
		return "ENCR_KUZNYECHIK_MGM_MAC_KTREE"
	case 35:
		return "ENCR_MAGMA_MGM_MAC_KTREE"
	case 65004:
		return "ENCR_SERPENT_CBC"
	case 65005:
		return "ENCR_TWOFISH_CBC"
	case 65289:
		return "ENCR_TWOFISH_CBC_SSH"
	}
	return ""
}

// v2AttrName names an IKEv2 transform attribute type.
//
// Source: RFC 7296 §3.3.5 and IANA "IKEv2 Transform Attribute Types" (the only
// assignment is 14, Key Length in bits).
func v2AttrName(t uint16) string {
	if t == 14 {
		return "Key-Length"
	}
	return ""
}

// dhGroupName names a Diffie-Hellman group / key exchange method. IKEv1
// "Group Description" and IKEv2 Transform Type 4 (and ADDKE 6-12) share the
// numbers.
//
// Sources: RFC 2409 §6 (1-4), RFC 3526 (5, 14-18), RFC 5903 (19-21),
// RFC 5114 (22-26), RFC 6954 (27-30), RFC 8031 (31-32), RFC 9385 (33-34),
// IANA "Transform Type 4 - Key Exchange Method Transform IDs" (35-37 ML-KEM),
// IANA "IKE Attributes" Group Description (6-13, EC2N groups of
// draft-ietf-ipsec-ike-ecc-groups, IKEv1 only; IKEv2 has 3-4 reserved and
// 6-13 unassigned). Names follow strongSwan's key_exchange_method_names
// (MODP_*, ECP_*) and IANA for brainpool, Curve25519/448 and GOST.
func dhGroupName(g uint16) string {
	switch g {
	case 1:
		return "MODP_768"
	case 2:
		return "MODP_1024"
	case 3:
		return "EC2N_155"
	case 4:
		return "EC2N_185"
	case 5:
		return "MODP_1536"
	case 6, 7:
		return "EC2N_163"
	case 8, 9:
		return "EC2N_283"
	case 10, 11:
		return "EC2N_409"
	case 12, 13:
		return "EC2N_571"
	case 14:
		return "MODP_2048"
	case 15:
		return "MODP_3072"
	case 16:
		return "MODP_4096"
	case 17:
		return "MODP_6144"
	case 18:
		return "MODP_8192"
	case 19:
		return "ECP_256"
	case 20:
		return "ECP_384"
	case 21:
		return "ECP_521"
	case 22:
		return "MODP_1024_160"
	case 23:
		return "MODP_2048_224"
	case 24:
		return "MODP_2048_256"
	case 25:
		return "ECP_192"
	case 26:
		return "ECP_224"
	case 27:
		return "brainpoolP224r1"
	case 28:
		return "brainpoolP256r1"
	case 29:
		return "brainpoolP384r1"
	case 30:
		return "brainpoolP512r1"
	case 31:
		return "Curve25519"
	case 32:
		return "Curve448"
	case 33:
		return "GOST3410_2012_256"
	case 34:
		return "GOST3410_2012_512"
	case 35:
		return "ML_KEM_512"
	case 36:
		return "ML_KEM_768"
	case 37:
		return "ML_KEM_1024"
	}
	return ""
}

// dhGroupWeak reports whether a group is considered weak: the MODP groups
// below 2048 bits (1, 2, 5) and the RFC 5114 MODP groups with small prime
// order subgroups (22-24). RFC 8247 §2.4 lists 1 as MUST NOT and 2, 5, 22, 23
// and 24 as SHOULD NOT.
func dhGroupWeak(g uint16) bool {
	switch g {
	case 1, 2, 5, 22, 23, 24:
		return true
	}
	return false
}
