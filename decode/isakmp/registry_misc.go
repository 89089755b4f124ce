package isakmp

// Registries for the header and the non-SA payloads: exchange and payload
// types, identification, certificates, authentication, traffic selectors,
// configuration attributes and EAP.

// idTypeName names an Identification Type.
//
// Sources: IKEv1 — RFC 2407 §4.6.2.1 and IANA "IPSEC Identification Type"
// (12 ID_LIST, RFC 3554); IKEv2 — RFC 7296 §3.5 and IANA "IKEv2
// Identification Payload ID Types" (12 ID_FC_NAME RFC 4595, 13 ID_NULL
// RFC 7619). In IKEv2, 4 and 6-8 are unassigned.
func idTypeName(version int, t uint8) string {
	if version == 2 {
		switch t {
		case 1:
			return "ID_IPV4_ADDR"
		case 2:
			return "ID_FQDN"
		case 3:
			return "ID_RFC822_ADDR"
		case 5:
			return "ID_IPV6_ADDR"
		case 9:
			return "ID_DER_ASN1_DN"
		case 10:
			return "ID_DER_ASN1_GN"
		case 11:
			return "ID_KEY_ID"
		case 12:
			return "ID_FC_NAME"
		case 13:
			return "ID_NULL"
		}
		return ""
	}
	switch t {
	case 1:
		return "ID_IPV4_ADDR"
	case 2:
		return "ID_FQDN"
	case 3:
		return "ID_USER_FQDN"
	case 4:
		return "ID_IPV4_ADDR_SUBNET"
	case 5:
		return "ID_IPV6_ADDR"
	case 6:
		return "ID_IPV6_ADDR_SUBNET"
	case 7:
		return "ID_IPV4_ADDR_RANGE"
	case 8:
		return "ID_IPV6_ADDR_RANGE"
	case 9:
		return "ID_DER_ASN1_DN"
	case 10:
		return "ID_DER_ASN1_GN"
	case 11:
		return "ID_KEY_ID"
	case 12:
		return "ID_LIST"
	}
	return ""
}

// certEncodingName names a certificate encoding (CERT / CERTREQ payloads).
//
// Sources: RFC 2408 §3.9 (1-10), RFC 7296 §3.6 and IANA "IKEv2 Certificate
// Encodings" (11-13; 14 OCSP Content RFC 4806; 15 Raw Public Key RFC 7670).
// 5 is IKEv1-only (reserved in IKEv2); 11 is deprecated by RFC 7296.
func certEncodingName(t uint8) string {
	switch t {
	case 1:
		return "PKCS #7 wrapped X.509 certificate"
	case 2:
		return "PGP Certificate"
	case 3:
		return "DNS Signed Key"
	case 4:
		return "X.509 Certificate - Signature"
	case 5:
		return "X.509 Certificate - Key Exchange"
	case 6:
		return "Kerberos Tokens"
	case 7:
		return "Certificate Revocation List (CRL)"
	case 8:
		return "Authority Revocation List (ARL)"
	case 9:
		return "SPKI Certificate"
	case 10:
		return "X.509 Certificate - Attribute"
	case 11:
		return "Raw RSA Key"
	case 12:
		return "Hash and URL of X.509 certificate"
	case 13:
		return "Hash and URL of X.509 bundle"
	case 14:
		return "OCSP Content"
	case 15:
		return "Raw Public Key"
	}
	return ""
}

// authMethodNameV2 names an IKEv2 AUTH payload Auth Method.
//
// Sources: RFC 7296 §3.8 (1-3) and IANA "IKEv2 Authentication Method"
// (9-11 ECDSA RFC 4754, 12 Generic Secure Password RFC 6467, 13 NULL
// Authentication RFC 7619, 14 Digital Signature RFC 7427).
func authMethodNameV2(m uint8) string {
	switch m {
	case 1:
		return "RSA_DIGITAL_SIGNATURE"
	case 2:
		return "SHARED_KEY_MIC"
	case 3:
		return "DSS_DIGITAL_SIGNATURE"
	case 9:
		return "ECDSA_SHA256_P256"
	case 10:
		return "ECDSA_SHA384_P384"
	case 11:
		return "ECDSA_SHA512_P521"
	case 12:
		return "GENERIC_SECURE_PASSWORD"
	case 13:
		return "NULL_AUTH"
	case 14:
		return "DIGITAL_SIGNATURE"
	}
	return ""
}

// tsTypeName names an IKEv2 Traffic Selector Type.
//
// Sources: RFC 7296 §3.13.1 and IANA "IKEv2 Traffic Selector Types"
// (9 TS_FC_ADDR_RANGE RFC 4595, 10 TS_SECLABEL RFC 9478).
func tsTypeName(t uint8) string {
	switch t {
	case 7:
		return "TS_IPV4_ADDR_RANGE"
	case 8:
		return "TS_IPV6_ADDR_RANGE"
	case 9:
		return "TS_FC_ADDR_RANGE"
	case 10:
		return "TS_SECLABEL"
	}
	return ""
}

// cfgTypeName names the CFG Type of an IKEv2 Configuration payload or the
// Type of an IKEv1 mode-config "Attributes" payload.
//
// Sources: RFC 7296 §3.15 and IANA "IKEv2 Configuration Payload CFG Types";
// draft-ietf-ipsec-isakmp-mode-cfg-05 for IKEv1 (ISAKMP_CFG_*, as spelled by
// Wireshark and libreswan).
func cfgTypeName(version int, t uint8) string {
	var s string
	switch t {
	case 1:
		s = "CFG_REQUEST"
	case 2:
		s = "CFG_REPLY"
	case 3:
		s = "CFG_SET"
	case 4:
		s = "CFG_ACK"
	default:
		return ""
	}
	if version == 2 {
		return s
	}
	return "ISAKMP_" + s
}

// cfgAttrName names a configuration attribute.
//
// Sources: RFC 7296 §3.15.1 and IANA "IKEv2 Configuration Payload Attribute
// Types" (1-29; 16 RFC 5026, 17-18 RFC 5739, 19 3GPP TS 24.302, 20-21 RFC 7651,
// 22-24 3GPP, 25-26 RFC 8598, 27-29 RFC 9464). 5, 9 and 11 are reserved in
// IKEv2 since RFC 5996 but were INTERNAL_ADDRESS_EXPIRY, INTERNAL_IP6_NETMASK
// and INTERNAL_IP6_NBNS in RFC 4306 and IKEv1 mode-config, so they keep
// those names for both versions.
//
// Private use (16384-32767): 23456/23457 Microsoft (strongSwan, libreswan;
// both versions). IKEv1 only: Check Point 16387-16389 and 16400-16402
// (Wireshark, libreswan), XAUTH 16520-16529
// (draft-beaulieu-ike-xauth-02 / draft-ietf-ipsec-isakmp-xauth-06), Cisco
// Unity 28672-28682 (strongSwan spelling) and 28683 (libreswan).
func cfgAttrName(version int, t uint16) string {
	switch t {
	case 1:
		return "INTERNAL_IP4_ADDRESS"
	case 2:
		return "INTERNAL_IP4_NETMASK"
	case 3:
		return "INTERNAL_IP4_DNS"
	case 4:
		return "INTERNAL_IP4_NBNS"
	case 5:
		return "INTERNAL_ADDRESS_EXPIRY"
	case 6:
		return "INTERNAL_IP4_DHCP"
	case 7:
		return "APPLICATION_VERSION"
	case 8:
		return "INTERNAL_IP6_ADDRESS"
	case 9:
		return "INTERNAL_IP6_NETMASK"
	case 10:
		return "INTERNAL_IP6_DNS"
	case 11:
		return "INTERNAL_IP6_NBNS"
	case 12:
		return "INTERNAL_IP6_DHCP"
	case 13:
		return "INTERNAL_IP4_SUBNET"
	case 14:
		return "SUPPORTED_ATTRIBUTES"
	case 15:
		return "INTERNAL_IP6_SUBNET"
	case 16:
		return "MIP6_HOME_PREFIX"
	case 17:
		return "INTERNAL_IP6_LINK"
	case 18:
		return "INTERNAL_IP6_PREFIX"
	case 19:
		return "HOME_AGENT_ADDRESS"
	case 20:
		return "P_CSCF_IP4_ADDRESS"
	case 21:
		return "P_CSCF_IP6_ADDRESS"
	case 22:
		return "FTT_KAT"
	case 23:
		return "EXTERNAL_SOURCE_IP4_NAT_INFO"
	case 24:
		return "TIMEOUT_PERIOD_FOR_LIVENESS_CHECK"
	case 25:
		return "INTERNAL_DNS_DOMAIN"
	case 26:
		return "INTERNAL_DNSSEC_TA"
	case 27:
		return "ENCDNS_IP4"
	case 28:
		return "ENCDNS_IP6"
	case 29:
		return "ENCDNS_DIGEST_INFO"
	case 23456:
		return "INTERNAL_IP4_SERVER"
	case 23457:
		return "INTERNAL_IP6_SERVER"
	}
	if version == 2 {
		return ""
	}
	switch t {
	case 16387:
		return "CHKPT_DEF_DOMAIN"
	case 16388:
		return "CHKPT_MAC_ADDRESS"
	case 16389:
		return "CHKPT_MARCIPAN_REASON_CODE"
	case 16400:
		return "CHKPT_UNKNOWN1"
	case 16401:
		return "CHKPT_UNKNOWN2"
	case 16402:
		return "CHKPT_UNKNOWN3"
	case 16520:
		return "XAUTH_TYPE"
	case 16521:
		return "XAUTH_USER_NAME"
	case 16522:
		return "XAUTH_USER_PASSWORD"
	case 16523:
		return "XAUTH_PASSCODE"
	case 16524:
		return "XAUTH_MESSAGE"
	case 16525:
		return "XAUTH_CHALLENGE"
	case 16526:
		return "XAUTH_DOMAIN"
	case 16527:
		return "XAUTH_STATUS"
	case 16528:
		return "XAUTH_NEXT_PIN"
	case 16529:
		return "XAUTH_ANSWER"
	case 28672:
		return "UNITY_BANNER"
	case 28673:
		return "UNITY_SAVE_PASSWD"
	case 28674:
		return "UNITY_DEF_DOMAIN"
	case 28675:
		return "UNITY_SPLITDNS_NAME"
	case 28676:
		return "UNITY_SPLIT_INCLUDE"
	case 28677:
		return "UNITY_NATT_PORT"
	case 28678:
		return "UNITY_LOCAL_LAN"
	case 28679:
		return "UNITY_PFS"
	case 28680:
		return "UNITY_FW_TYPE"
	case 28681:
		return "UNITY_BACKUP_SERVERS"
	case 28682:
		return "UNITY_DDNS_HOSTNAME"
	case 28683:
		return "CISCO_UNKNOWN_SEEN_ON_IPHONE"
	}
	return ""
}

// eapCodeName names an EAP Code.
//
// Sources: RFC 3748 §4 (1-4) and IANA "EAP Registry" Codes (5 Initiate,
// 6 Finish, RFC 6696; used with IKEv2 ERX, RFC 6867).
func eapCodeName(c uint8) string {
	switch c {
	case 1:
		return "Request"
	case 2:
		return "Response"
	case 3:
		return "Success"
	case 4:
		return "Failure"
	case 5:
		return "Initiate"
	case 6:
		return "Finish"
	}
	return ""
}

// eapTypeName names an EAP method type.
//
// Source: IANA "EAP Registry" Method Types (RFC 3748 §5 for 1-6), as listed
// by Wireshark's EAP dissector. IANA's long names are shortened to the
// method's usual name where IANA gives one (18 EAP-SIM, 23 EAP-AKA,
// 26 MSCHAPv2 for "MS-EAP-Authentication", 50 EAP-AKA').
func eapTypeName(t uint8) string {
	switch t {
	case 1:
		return "Identity"
	case 2:
		return "Notification"
	case 3:
		return "Legacy Nak"
	case 4:
		return "MD5-Challenge"
	case 5:
		return "OTP"
	case 6:
		return "GTC"
	case 9:
		return "RSA Public Key Authentication"
	case 10:
		return "DSS Unilateral"
	case 11:
		return "KEA"
	case 12:
		return "KEA-VALIDATE"
	case 13:
		return "EAP-TLS"
	case 14:
		return "Defender Token (AXENT)"
	case 15:
		return "RSA Security SecurID EAP"
	case 16:
		return "Arcot Systems EAP"
	case 17:
		return "EAP-Cisco Wireless"
	case 18:
		return "EAP-SIM"
	case 19:
		return "SRP-SHA1"
	case 21:
		return "EAP-TTLS"
	case 22:
		return "Remote Access Service"
	case 23:
		return "EAP-AKA"
	case 24:
		return "EAP-3Com Wireless"
	case 25:
		return "PEAP"
	case 26:
		return "MSCHAPv2"
	case 27:
		return "MAKE"
	case 28:
		return "CRYPTOCard"
	case 29:
		return "EAP-MSCHAP-V2"
	case 30:
		return "DynamID"
	case 31:
		return "Rob EAP"
	case 32:
		return "Protected One-Time Password"
	case 33:
		return "MS-Authentication-TLV"
	case 34:
		return "SentriNET"
	case 35:
		return "EAP-Actiontec Wireless"
	case 36:
		return "Cogent Systems Biometrics Authentication EAP"
	case 37:
		return "AirFortress EAP"
	case 38:
		return "EAP-HTTP Digest"
	case 39:
		return "SecureSuite EAP"
	case 40:
		return "DeviceConnect EAP"
	case 41:
		return "EAP-SPEKE"
	case 42:
		return "EAP-MOBAC"
	case 43:
		return "EAP-FAST"
	case 44:
		return "ZLXEAP"
	case 45:
		return "EAP-Link"
	case 46:
		return "EAP-PAX"
	case 47:
		return "EAP-PSK"
	case 48:
		return "EAP-SAKE"
	case 49:
		return "EAP-IKEv2"
	case 50:
		return "EAP-AKA'"
	case 51:
		return "EAP-GPSK"
	case 52:
		return "EAP-pwd"
	case 53:
		return "EAP-EKE"
	case 54:
		return "PT-EAP"
	case 55:
		return "TEAP"
	case 254:
		return "Expanded Type"
	case 255:
		return "Experimental"
	}
	return ""
}

// exchangeTypeName names an exchange type. IKEv1 and IKEv2 numbers do not
// overlap, so one table serves both.
//
// Sources: RFC 2408 §3.1 and IANA "ISAKMP Exchange Types" (0-6), RFC 2409
// Appendix A (32 Quick Mode, 33 New Group Mode); RFC 7296 §3.1 and IANA
// "IKEv2 Exchange Types" (34-37; 38 RFC 5723; 39-42 G-IKEv2; 43 RFC 9242;
// 44 RFC 9370). IKEv1 2 (Identity Protection) and 4 (Aggressive) are named
// after the phase-1 modes they carry; 6 (Transaction) is the mode-config
// exchange.
func exchangeTypeName(t uint8) string {
	switch t {
	case 0:
		return "NONE"
	case 1:
		return "BASE"
	case 2:
		return "MAIN_MODE"
	case 3:
		return "AUTH_ONLY"
	case 4:
		return "AGGRESSIVE"
	case 5:
		return "INFORMATIONAL"
	case 6:
		return "TRANSACTION"
	case 32:
		return "QUICK_MODE"
	case 33:
		return "NEW_GROUP_MODE"
	case 34:
		return "IKE_SA_INIT"
	case 35:
		return "IKE_AUTH"
	case 36:
		return "CREATE_CHILD_SA"
	case 37:
		return "INFORMATIONAL"
	case 38:
		return "IKE_SESSION_RESUME"
	case 39:
		return "GSA_AUTH"
	case 40:
		return "GSA_REGISTRATION"
	case 41:
		return "GSA_REKEY"
	case 42:
		return "GSA_INBAND_REKEY"
	case 43:
		return "IKE_INTERMEDIATE"
	case 44:
		return "IKE_FOLLOWUP_KE"
	}
	return ""
}

// payloadTypeName gives the full name of a payload type. IKEv1 (1-22,
// 130-132) and IKEv2 (33-54) numbers do not overlap.
//
// Sources: RFC 2408 §3.1 (1-13), draft-ietf-ipsec-isakmp-mode-cfg (14),
// RFC 3547/6407 (15-19, 22), RFC 3947 (20-21), IANA "ISAKMP Next Payload
// Types"; 130/131 draft-ietf-ipsec-nat-t-ike-01..03, 132 Cisco/Microsoft IKE
// fragmentation (Wireshark, libreswan, MS-IKEE); RFC 7296 §3.2 and IANA
// "IKEv2 Payload Types" (49 RFC 6467, 50-52 G-IKEv2, 53 RFC 7383, 54
// RFC 8019).
func payloadTypeName(t uint8) string {
	switch t {
	case 0:
		return "No Next Payload"
	case 1:
		return "Security Association"
	case 2:
		return "Proposal"
	case 3:
		return "Transform"
	case 4:
		return "Key Exchange"
	case 5:
		return "Identification"
	case 6:
		return "Certificate"
	case 7:
		return "Certificate Request"
	case 8:
		return "Hash"
	case 9:
		return "Signature"
	case 10:
		return "Nonce"
	case 11:
		return "Notification"
	case 12:
		return "Delete"
	case 13:
		return "Vendor ID"
	case 14:
		return "Attributes"
	case 15:
		return "SA KEK"
	case 16:
		return "SA TEK"
	case 17:
		return "Key Download"
	case 18:
		return "Sequence Number"
	case 19:
		return "Proof of Possession"
	case 20:
		return "NAT-D"
	case 21:
		return "NAT-OA"
	case 22:
		return "Group Associated Policy"
	case 33:
		return "Security Association"
	case 34:
		return "Key Exchange"
	case 35:
		return "Identification - Initiator"
	case 36:
		return "Identification - Responder"
	case 37:
		return "Certificate"
	case 38:
		return "Certificate Request"
	case 39:
		return "Authentication"
	case 40:
		return "Nonce"
	case 41:
		return "Notify"
	case 42:
		return "Delete"
	case 43:
		return "Vendor ID"
	case 44:
		return "Traffic Selector - Initiator"
	case 45:
		return "Traffic Selector - Responder"
	case 46:
		return "Encrypted and Authenticated"
	case 47:
		return "Configuration"
	case 48:
		return "EAP"
	case 49:
		return "Generic Secure Password Method"
	case 50:
		return "Group Identification"
	case 51:
		return "Group Security Association"
	case 52:
		return "Key Download"
	case 53:
		return "Encrypted and Authenticated Fragment"
	case 54:
		return "Puzzle Solution"
	case 130:
		return "NAT-D (draft)"
	case 131:
		return "NAT-OA (draft)"
	case 132:
		return "Fragment (Cisco)"
	}
	return ""
}

// payloadTypeAbbrev gives the compact payload name strongSwan logs
// (payload_type_short_names in libcharon/encoding/payloads/payload.c), e.g.
// "SA KE No ID V". Types strongSwan does not name take IANA's abbreviation
// (15 SAK, 16 SAT, 17 KD, 18 SEQ, 19 POP, 22 GAP, 54 PS).
func payloadTypeAbbrev(t uint8) string {
	switch t {
	case 0:
		return "--"
	case 1, 33:
		return "SA"
	case 2:
		return "PROP"
	case 3:
		return "TRANS"
	case 4, 34:
		return "KE"
	case 5:
		return "ID"
	case 6, 37:
		return "CERT"
	case 7, 38:
		return "CERTREQ"
	case 8:
		return "HASH"
	case 9:
		return "SIG"
	case 10, 40:
		return "No"
	case 11, 41:
		return "N"
	case 12, 42:
		return "D"
	case 13, 43:
		return "V"
	case 14, 47:
		return "CP"
	case 15:
		return "SAK"
	case 16:
		return "SAT"
	case 17, 52:
		return "KD"
	case 18:
		return "SEQ"
	case 19:
		return "POP"
	case 20, 130:
		return "NAT-D"
	case 21, 131:
		return "NAT-OA"
	case 22:
		return "GAP"
	case 35:
		return "IDi"
	case 36:
		return "IDr"
	case 39:
		return "AUTH"
	case 44:
		return "TSi"
	case 45:
		return "TSr"
	case 46:
		return "E"
	case 48:
		return "EAP"
	case 49:
		return "GSPM"
	case 50:
		return "IDg"
	case 51:
		return "GSA"
	case 53:
		return "EF"
	case 54:
		return "PS"
	case 132:
		return "FRAG"
	}
	return ""
}
