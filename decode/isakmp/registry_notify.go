package isakmp

// Notify message types. IKEv1 and IKEv2 share the 16-bit field but not the
// registry: 1, 7, 16, 17, … mean different things, so the table is always
// chosen by the ISAKMP major version of the message.

// notifyNameV1 names an IKEv1 (ISAKMP) Notify Message Type.
//
// Sources: RFC 2408 §3.14.1 (errors 1-30, status 16384 CONNECTED),
// RFC 2407 §4.6.3 (IPsec DOI status 24576-24578), RFC 3706 (DPD 36136/36137),
// IANA "Internet Key Exchange (IKE) Attributes" / "ISAKMP Notify Message
// Types". RFC names use hyphens; they are given here with underscores.
// Vendor (private-use / DOI-specific) values as listed in
// shared/reference/registries.md: 9101 Check Point (ike-scan README, notify
// text "No common authentication method with Firewall."), 30000-30002 and
// 32768/32769 Cisco (libreswan v1_notification_t, without its "ISAKMP_N_"
// namespace prefix), 40001 Juniper/NetScreen (libreswan), 40501-40503 Cisco
// Unity (Wireshark notifmsg_v1_type; libreswan calls 40503
// CISCO_PRESHARED_KEY_HASH).
func notifyNameV1(t uint16) (name string, ok bool) {
	switch t {
	// RFC 2408 §3.14.1 error types.
	case 1:
		return "INVALID_PAYLOAD_TYPE", true
	case 2:
		return "DOI_NOT_SUPPORTED", true
	case 3:
		return "SITUATION_NOT_SUPPORTED", true
	case 4:
		return "INVALID_COOKIE", true
	case 5:
		return "INVALID_MAJOR_VERSION", true
	case 6:
		return "INVALID_MINOR_VERSION", true
	case 7:
		return "INVALID_EXCHANGE_TYPE", true
	case 8:
		return "INVALID_FLAGS", true
	case 9:
		return "INVALID_MESSAGE_ID", true
	case 10:
		return "INVALID_PROTOCOL_ID", true
	case 11:
		return "INVALID_SPI", true
	case 12:
		return "INVALID_TRANSFORM_ID", true
	case 13:
		return "ATTRIBUTES_NOT_SUPPORTED", true
	case 14:
		return "NO_PROPOSAL_CHOSEN", true
	case 15:
		return "BAD_PROPOSAL_SYNTAX", true
	case 16:
		return "PAYLOAD_MALFORMED", true
	case 17:
		return "INVALID_KEY_INFORMATION", true
	case 18:
		return "INVALID_ID_INFORMATION", true
	case 19:
		return "INVALID_CERT_ENCODING", true
	case 20:
		return "INVALID_CERTIFICATE", true
	case 21:
		return "CERT_TYPE_UNSUPPORTED", true
	case 22:
		return "INVALID_CERT_AUTHORITY", true
	case 23:
		return "INVALID_HASH_INFORMATION", true
	case 24:
		return "AUTHENTICATION_FAILED", true
	case 25:
		return "INVALID_SIGNATURE", true
	case 26:
		return "ADDRESS_NOTIFICATION", true
	case 27:
		return "NOTIFY_SA_LIFETIME", true
	case 28:
		return "CERTIFICATE_UNAVAILABLE", true
	case 29:
		return "UNSUPPORTED_EXCHANGE_TYPE", true
	case 30:
		return "UNEQUAL_PAYLOAD_LENGTHS", true
	// 8192-16383 private use (errors).
	case 9101:
		return "CHECKPOINT_NO_COMMON_AUTHENTICATION_METHOD", true
	// RFC 2408 status.
	case 16384:
		return "CONNECTED", true
	// RFC 2407 §4.6.3 IPsec DOI status.
	case 24576:
		return "RESPONDER_LIFETIME", true
	case 24577:
		return "REPLAY_STATUS", true
	case 24578:
		return "INITIAL_CONTACT", true
	// Cisco (libreswan).
	case 30000:
		return "CISCO_HELLO", true
	case 30001:
		return "CISCO_WWTEBR", true
	case 30002:
		return "CISCO_SHUT_UP", true
	case 32768:
		return "IOS_KEEP_ALIVE_REQ", true
	case 32769:
		return "IOS_KEEP_ALIVE_ACK", true
	// RFC 3706 Dead Peer Detection.
	case 36136:
		return "R_U_THERE", true
	case 36137:
		return "R_U_THERE_ACK", true
	// Juniper/NetScreen next-hop tunnel binding (libreswan).
	case 40001:
		return "NETSCREEN_NHTB_INFORM", true
	// Cisco Unity (Wireshark, strongSwan UNITY_LOAD_BALANCE).
	case 40501:
		return "UNITY_LOAD_BALANCE", true
	case 40502:
		return "UNITY_UNKNOWN", true
	case 40503:
		return "UNITY_GROUP_HASH", true
	}
	return "", false
}

// notifyNameV2 names an IKEv2 Notify Message Type.
//
// Sources: RFC 7296 §3.10.1 and IANA "IKEv2 Parameters" registries "IKEv2
// Notify Message Error Types" (1-49, complete) and "IKEv2 Notify Message
// Status Types" (16384-16446, complete), as transcribed in
// shared/reference/registries.md (IANA last updated 2025-05-23).
//
// Private use (8192-16383 errors, 40960-65535 status) as listed in
// registries.md: strongSwan notify_payload.h (ME_*, USE_BEET_MODE,
// RADIUS_ATTRIBUTE), Microsoft MS-IKEE (MS_NOTIFY_STATUS), libreswan
// (NULL_AUTH) and the 3GPP TS 24.302 / 24.502 table that Wireshark decodes
// (notifmsg_v2_3gpp_type). Where two vendors use the same private value the
// name lists both, each with its vendor prefix ("3GPP:…|strongSwan:…").
func notifyNameV2(t uint16) (name string, ok bool) {
	switch t {
	// Error types (RFC 7296 unless noted).
	case 1:
		return "UNSUPPORTED_CRITICAL_PAYLOAD", true
	case 4:
		return "INVALID_IKE_SPI", true
	case 5:
		return "INVALID_MAJOR_VERSION", true
	case 7:
		return "INVALID_SYNTAX", true
	case 9:
		return "INVALID_MESSAGE_ID", true
	case 11:
		return "INVALID_SPI", true
	case 14:
		return "NO_PROPOSAL_CHOSEN", true
	case 17:
		return "INVALID_KE_PAYLOAD", true
	case 24:
		return "AUTHENTICATION_FAILED", true
	case 34:
		return "SINGLE_PAIR_REQUIRED", true
	case 35:
		return "NO_ADDITIONAL_SAS", true
	case 36:
		return "INTERNAL_ADDRESS_FAILURE", true
	case 37:
		return "FAILED_CP_REQUIRED", true
	case 38:
		return "TS_UNACCEPTABLE", true
	case 39:
		return "INVALID_SELECTORS", true
	case 40:
		return "UNACCEPTABLE_ADDRESSES", true // RFC 4555
	case 41:
		return "UNEXPECTED_NAT_DETECTED", true // RFC 4555
	case 42:
		return "USE_ASSIGNED_HoA", true // RFC 5026
	case 43:
		return "TEMPORARY_FAILURE", true
	case 44:
		return "CHILD_SA_NOT_FOUND", true
	case 45:
		return "INVALID_GROUP_ID", true // G-IKEv2
	case 46:
		return "AUTHORIZATION_FAILED", true // G-IKEv2
	case 47:
		return "STATE_NOT_FOUND", true // RFC 9370
	case 48:
		return "TS_MAX_QUEUE", true // RFC 9611
	case 49:
		return "REGISTRATION_FAILED", true // G-IKEv2

	// Private use errors (8192-16383).
	case 8192:
		return "3GPP:PDN_CONNECTION_REJECTION|strongSwan:ME_CONNECT_FAILED", true
	case 8193:
		return "MAX_CONNECTION_REACHED", true // 3GPP TS 24.302
	case 8241:
		return "SEMANTIC_ERROR_IN_THE_TFT_OPERATION", true // 3GPP TS 24.302
	case 8242:
		return "SYNTACTICAL_ERROR_IN_THE_TFT_OPERATION", true // 3GPP TS 24.302
	case 8244:
		return "SEMANTIC_ERRORS_IN_PACKET_FILTERS", true // 3GPP TS 24.302
	case 8245:
		return "SYNTACTICAL_ERRORS_IN_PACKET_FILTERS", true // 3GPP TS 24.302
	case 9000:
		return "NON_3GPP_ACCESS_TO_EPC_NOT_ALLOWED", true // 3GPP TS 24.302
	case 9001:
		return "USER_UNKNOWN", true // 3GPP TS 24.302
	case 9002:
		return "NO_APN_SUBSCRIPTION", true // 3GPP TS 24.302
	case 9003:
		return "AUTHORIZATION_REJECTED", true // 3GPP TS 24.302
	case 9006:
		return "ILLEGAL_ME", true // 3GPP TS 24.302
	case 10500:
		return "NETWORK_FAILURE", true // 3GPP TS 24.302
	case 11001:
		return "RAT_TYPE_NOT_ALLOWED", true // 3GPP TS 24.302
	case 11005:
		return "IMEI_NOT_ACCEPTED", true // 3GPP TS 24.302
	case 11011:
		return "PLMN_NOT_ALLOWED", true // 3GPP TS 24.302
	case 11055:
		return "UNAUTHENTICATED_EMERGENCY_NOT_SUPPORTED", true // 3GPP TS 24.302
	case 12345:
		return "MS_NOTIFY_STATUS", true // Microsoft MS-IKEE (0x3039), strongSwan
	case 15500:
		return "CONGESTION", true // 3GPP TS 24.502

	// Status types (RFC 7296 unless noted).
	case 16384:
		return "INITIAL_CONTACT", true
	case 16385:
		return "SET_WINDOW_SIZE", true
	case 16386:
		return "ADDITIONAL_TS_POSSIBLE", true
	case 16387:
		return "IPCOMP_SUPPORTED", true
	case 16388:
		return "NAT_DETECTION_SOURCE_IP", true
	case 16389:
		return "NAT_DETECTION_DESTINATION_IP", true
	case 16390:
		return "COOKIE", true
	case 16391:
		return "USE_TRANSPORT_MODE", true
	case 16392:
		return "HTTP_CERT_LOOKUP_SUPPORTED", true
	case 16393:
		return "REKEY_SA", true
	case 16394:
		return "ESP_TFC_PADDING_NOT_SUPPORTED", true
	case 16395:
		return "NON_FIRST_FRAGMENTS_ALSO", true
	case 16396:
		return "MOBIKE_SUPPORTED", true // RFC 4555
	case 16397:
		return "ADDITIONAL_IP4_ADDRESS", true // RFC 4555
	case 16398:
		return "ADDITIONAL_IP6_ADDRESS", true // RFC 4555
	case 16399:
		return "NO_ADDITIONAL_ADDRESSES", true // RFC 4555
	case 16400:
		return "UPDATE_SA_ADDRESSES", true // RFC 4555
	case 16401:
		return "COOKIE2", true // RFC 4555
	case 16402:
		return "NO_NATS_ALLOWED", true // RFC 4555
	case 16403:
		return "AUTH_LIFETIME", true // RFC 4478
	case 16404:
		return "MULTIPLE_AUTH_SUPPORTED", true // RFC 4739
	case 16405:
		return "ANOTHER_AUTH_FOLLOWS", true // RFC 4739
	case 16406:
		return "REDIRECT_SUPPORTED", true // RFC 5685
	case 16407:
		return "REDIRECT", true // RFC 5685
	case 16408:
		return "REDIRECTED_FROM", true // RFC 5685
	case 16409:
		return "TICKET_LT_OPAQUE", true // RFC 5723
	case 16410:
		return "TICKET_REQUEST", true // RFC 5723
	case 16411:
		return "TICKET_ACK", true // RFC 5723
	case 16412:
		return "TICKET_NACK", true // RFC 5723
	case 16413:
		return "TICKET_OPAQUE", true // RFC 5723
	case 16414:
		return "LINK_ID", true // RFC 5739
	case 16415:
		return "USE_WESP_MODE", true // RFC 5840
	case 16416:
		return "ROHC_SUPPORTED", true // RFC 5857
	case 16417:
		return "EAP_ONLY_AUTHENTICATION", true // RFC 5998
	case 16418:
		return "CHILDLESS_IKEV2_SUPPORTED", true // RFC 6023
	case 16419:
		return "QUICK_CRASH_DETECTION", true // RFC 6290
	case 16420:
		return "IKEV2_MESSAGE_ID_SYNC_SUPPORTED", true // RFC 6311
	case 16421:
		return "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED", true // RFC 6311
	case 16422:
		return "IKEV2_MESSAGE_ID_SYNC", true // RFC 6311
	case 16423:
		return "IPSEC_REPLAY_COUNTER_SYNC", true // RFC 6311
	case 16424:
		return "SECURE_PASSWORD_METHODS", true // RFC 6467
	case 16425:
		return "PSK_PERSIST", true // RFC 6631
	case 16426:
		return "PSK_CONFIRM", true // RFC 6631
	case 16427:
		return "ERX_SUPPORTED", true // RFC 6867
	case 16428:
		return "IFOM_CAPABILITY", true // 3GPP TS 24.303
	case 16429:
		return "GROUP_SENDER", true // G-IKEv2, formerly SENDER_REQUEST_ID
	case 16430:
		return "IKEV2_FRAGMENTATION_SUPPORTED", true // RFC 7383
	case 16431:
		return "SIGNATURE_HASH_ALGORITHMS", true // RFC 7427
	case 16432:
		return "CLONE_IKE_SA_SUPPORTED", true // RFC 7791
	case 16433:
		return "CLONE_IKE_SA", true // RFC 7791
	case 16434:
		return "PUZZLE", true // RFC 8019
	case 16435:
		return "USE_PPK", true // RFC 8784
	case 16436:
		return "PPK_IDENTITY", true // RFC 8784
	case 16437:
		return "NO_PPK_AUTH", true // RFC 8784
	case 16438:
		return "INTERMEDIATE_EXCHANGE_SUPPORTED", true // RFC 9242
	case 16439:
		return "IP4_ALLOWED", true // RFC 8983
	case 16440:
		return "IP6_ALLOWED", true // RFC 8983
	case 16441:
		return "ADDITIONAL_KEY_EXCHANGE", true // RFC 9370
	case 16442:
		return "USE_AGGFRAG", true // RFC 9347
	case 16443:
		return "SUPPORTED_AUTH_METHODS", true // RFC 9593
	case 16444:
		return "SA_RESOURCE_INFO", true // RFC 9611
	case 16445:
		return "USE_PPK_INT", true
	case 16446:
		return "PPK_IDENTITY_KEY", true

	// Private use status (40960-65535).
	case 40960:
		return "NULL_AUTH", true // libreswan
	case 40961:
		return "3GPP:REACTIVATION_REQUESTED_CAUSE|strongSwan:USE_BEET_MODE", true
	case 40962:
		return "ME_MEDIATION", true // strongSwan IKE-ME
	case 40963:
		return "ME_ENDPOINT", true // strongSwan IKE-ME
	case 40964:
		return "ME_CALLBACK", true // strongSwan IKE-ME
	case 40965:
		return "ME_CONNECTID", true // strongSwan IKE-ME
	case 40966:
		return "ME_CONNECTKEY", true // strongSwan IKE-ME
	case 40967:
		return "ME_CONNECTAUTH", true // strongSwan IKE-ME
	case 40968:
		return "ME_RESPONSE", true // strongSwan IKE-ME
	case 40969:
		return "RADIUS_ATTRIBUTE", true // strongSwan
	case 41041:
		return "BACKOFF_TIMER", true // 3GPP TS 24.302
	case 41050:
		return "PDN_TYPE_IPv4_ONLY_ALLOWED", true // 3GPP TS 24.302
	case 41051:
		return "PDN_TYPE_IPv6_ONLY_ALLOWED", true // 3GPP TS 24.302
	case 41101:
		return "DEVICE_IDENTITY", true // 3GPP TS 24.302
	case 41112:
		return "EMERGENCY_SUPPORT", true // 3GPP TS 24.302
	case 41134:
		return "EMERGENCY_CALL_NUMBERS", true // 3GPP TS 24.302
	case 41288:
		return "NBIFOM_GENERIC_CONTAINER", true // 3GPP TS 24.302
	case 41304:
		return "P-CSCF_RESELECTION_SUPPORT", true // 3GPP TS 24.302
	case 41501:
		return "PTI", true // 3GPP TS 24.302
	case 42011:
		return "P-IKEV2_MULTIPLE_BEARER_PDN_CONNECTIVITY", true // 3GPP TS 24.302
	case 42014:
		return "P-EPS_QOS", true // 3GPP TS 24.302
	case 42015:
		return "P-EXTENDED_EPS_QOS", true // 3GPP TS 24.302
	case 42017:
		return "P-TFT", true // 3GPP TS 24.302
	case 42020:
		return "P-MODIFIED_BEARER", true // 3GPP TS 24.302
	case 42094:
		return "P-APN_AMBR", true // 3GPP TS 24.302
	case 42095:
		return "P-EXTENDED_APN_AMBR", true // 3GPP TS 24.302
	case 51015:
		return "P-N1_MODE_CAPABILITY", true // 3GPP TS 24.302
	case 51115:
		return "P-N1_MODE_INFORMATION", true // 3GPP TS 24.302
	case 55501:
		return "5G_QOS_INFO", true // 3GPP TS 24.502
	case 55502:
		return "NAS_IP4_ADDRESS", true // 3GPP TS 24.502
	case 55503:
		return "NAS_IP6_ADDRESS", true // 3GPP TS 24.502
	case 55504:
		return "UP_IP4_ADDRESS", true // 3GPP TS 24.502
	case 55505:
		return "UP_IP6_ADDRESS", true // 3GPP TS 24.502
	case 55506:
		return "NAS_TCP_PORT", true // 3GPP TS 24.502
	case 55507:
		return "N3GPP_BACKOFF_TIMER", true // 3GPP TS 24.502
	}
	return "", false
}

// notifyIsError reports whether a Notify Message Type is an error type.
// Both registries put errors below 16384 and status types from 16384 up
// (RFC 2408 §3.14.1, RFC 7296 §3.10.1); the version argument is kept so
// callers state which registry they mean.
func notifyIsError(version int, t uint16) bool {
	switch version {
	case 1, 2:
		return t < 16384
	}
	return t < 16384
}
