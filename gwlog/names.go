package gwlog

import (
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// charonExchanges maps charon's exchange names, as in "generating
// QUICK_MODE request", to the exchange numbers of the wire.
var charonExchanges = map[string]isakmp.ExchangeType{
	"ID_PROT":            isakmp.ExchangeV1Main,
	"AGGRESSIVE":         isakmp.ExchangeV1Aggressive,
	"AUTH_ONLY":          isakmp.ExchangeV1AuthOnly,
	"BASE":               isakmp.ExchangeV1Base,
	"INFORMATIONAL_V1":   isakmp.ExchangeV1Informational,
	"TRANSACTION":        isakmp.ExchangeV1Transaction,
	"QUICK_MODE":         isakmp.ExchangeV1Quick,
	"NEW_GROUP_MODE":     isakmp.ExchangeV1NewGroup,
	"IKE_SA_INIT":        isakmp.ExchangeIKESAInit,
	"IKE_AUTH":           isakmp.ExchangeIKEAuth,
	"CREATE_CHILD_SA":    isakmp.ExchangeCreateChildSA,
	"INFORMATIONAL":      isakmp.ExchangeInformational,
	"IKE_SESSION_RESUME": isakmp.ExchangeIKESessionRes,
	"IKE_INTERMEDIATE":   isakmp.ExchangeIKEIntermediate,
	"IKE_FOLLOWUP_KE":    isakmp.ExchangeIKEFollowupKE,
}

// exchangeVersion is the IKE major version of an exchange number.
func exchangeVersion(x isakmp.ExchangeType) int {
	if x >= isakmp.ExchangeIKESAInit {
		return 2
	}
	return 1
}

// phaseOf is 1 for exchanges that set up the IKE SA, 2 for those that set
// up child SAs, 0 otherwise.
func phaseOf(x isakmp.ExchangeType) int {
	switch x {
	case isakmp.ExchangeV1Main, isakmp.ExchangeV1Aggressive, isakmp.ExchangeIKESAInit, isakmp.ExchangeIKEIntermediate:
		return 1
	case isakmp.ExchangeV1Quick, isakmp.ExchangeCreateChildSA, isakmp.ExchangeIKEAuth:
		// IKE_AUTH carries the first child SA; it is phase 1 for
		// authentication, 2 for proposals and selectors: causes decide.
		return 2
	}
	return 0
}

// notifyShort maps strongSwan's short notify names, as printed in the
// payload lists ("[ HASH N(NO_PROP) ]"), to the long names. Names not listed
// are kept as printed. Where IKEv1 and IKEv2 differ the key carries the
// version.
var notifyShort = map[string]string{
	"CRIT": "UNSUPPORTED_CRITICAL_PAYLOAD", "INVAL_IKE_SPI": "INVALID_IKE_SPI",
	"INVAL_MAJOR": "INVALID_MAJOR_VERSION", "INVAL_SYN": "INVALID_SYNTAX",
	"INVAL_MID": "INVALID_MESSAGE_ID", "INVAL_SPI": "INVALID_SPI",
	"NO_PROP": "NO_PROPOSAL_CHOSEN", "v2:INVAL_KE": "INVALID_KE_PAYLOAD",
	"v1:INVAL_KE": "INVALID_KEY_INFORMATION", "AUTH_FAILED": "AUTHENTICATION_FAILED",
	"SINGLE_PAIR": "SINGLE_PAIR_REQUIRED", "NO_ADD_SAS": "NO_ADDITIONAL_SAS",
	"INT_ADDR_FAIL": "INTERNAL_ADDRESS_FAILURE", "FAIL_CP_REQ": "FAILED_CP_REQUIRED",
	"TS_UNACCEPT": "TS_UNACCEPTABLE", "INVAL_SEL": "INVALID_SELECTORS",
	"UNACCEPT_ADDR": "UNACCEPTABLE_ADDRESSES", "UNEXPECT_NAT": "UNEXPECTED_NAT_DETECTED",
	"TEMP_FAIL": "TEMPORARY_FAILURE", "CHILD_NOT_FOUND": "CHILD_SA_NOT_FOUND",
	"ATTR_UNSUP": "ATTRIBUTES_NOT_SUPPORTED", "PLD_MAL": "PAYLOAD_MALFORMED",
	"INVAL_ID": "INVALID_ID_INFORMATION", "INVAL_HASH": "INVALID_HASH_INFORMATION",
	"INVAL_PAYLOAD": "INVALID_PAYLOAD_TYPE", "DPD": "R_U_THERE", "DPD_ACK": "R_U_THERE_ACK",
	"COOKIE": "COOKIE", "INITIAL_CONTACT": "INITIAL_CONTACT", "INIT_CONTACT": "INITIAL_CONTACT",
	"NATD_S_IP": "NAT_DETECTION_SOURCE_IP", "NATD_D_IP": "NAT_DETECTION_DESTINATION_IP",
	"FRAG_SUP": "FRAGMENTATION_SUPPORTED", "HASH_ALG": "SIGNATURE_HASH_ALGORITHMS",
	"REDIR_SUP": "REDIRECT_SUPPORTED", "CHDLESS_SUP": "CHILDLESS_IKEV2_SUPPORTED",
	"MULT_AUTH": "MULTIPLE_AUTH_SUPPORTED", "MOBIKE_SUP": "MOBIKE_SUPPORTED",
	"NO_ADD_ADDR": "NO_ADDITIONAL_ADDRESSES", "EAP_ONLY": "EAP_ONLY_AUTHENTICATION",
	"MSG_ID_SYN_SUP": "IKEV2_MESSAGE_ID_SYNC_SUPPORTED", "REKEY_SA": "REKEY_SA",
	"USE_TRANSP": "USE_TRANSPORT_MODE", "ESP_TFC_PAD_N": "ESP_TFC_PADDING_NOT_SUPPORTED",
	"IPCOMP_SUP": "IPCOMP_SUPPORTED", "RESP_LIFE": "RESPONDER_LIFETIME",
}

// longNotify returns the long name of a short notify name of the given IKE
// version.
func longNotify(short string, version int) string {
	v := "v1:"
	if version == 2 {
		v = "v2:"
	}
	if n, ok := notifyShort[v+short]; ok {
		return n
	}
	if n, ok := notifyShort[short]; ok {
		return n
	}
	return short
}

// routineNotifies are carried by every healthy exchange; a line that only
// reports one of them is not an event.
var routineNotifies = map[string]bool{
	"NAT_DETECTION_SOURCE_IP": true, "NAT_DETECTION_DESTINATION_IP": true,
	"FRAGMENTATION_SUPPORTED": true, "SIGNATURE_HASH_ALGORITHMS": true,
	"CHILDLESS_IKEV2_SUPPORTED": true, "MULTIPLE_AUTH_SUPPORTED": true,
	"MOBIKE_SUPPORTED": true, "NO_ADDITIONAL_ADDRESSES": true,
	"REDIRECT_SUPPORTED": true, "EAP_ONLY_AUTHENTICATION": true,
	"IKEV2_MESSAGE_ID_SYNC_SUPPORTED": true, "IPSEC_INITIAL_CONTACT": true,
	"INITIAL_CONTACT": true, "ESP_TFC_PADDING_NOT_SUPPORTED": true,
	"IPCOMP_SUPPORTED": true, "USE_TRANSPORT_MODE": true,
}

// normNotify turns a vendor's spelling (Comware's INVALID-ID-INFORMATION)
// into the long name.
func normNotify(s string) string {
	return strings.ToUpper(strings.ReplaceAll(s, "-", "_"))
}
