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

// longNotify returns the long name of a short notify name of the given IKE
// version, or the name as printed when it has no other.
func longNotify(short string, version int) string {
	if n, ok := isakmp.CharonNotifyName(short, version); ok {
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
