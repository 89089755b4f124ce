package isakmp

import (
	"strconv"
	"strings"
)

// Summary is the payload list in the compact form of strongSwan's message
// logs, e.g. "[ SA KE No N(NATD_S_IP) N(NATD_D_IP) V ]". Encrypted content is
// shown with its first inner payload: "[ SK{IDi…} ]", "[ EF(1/3){IDi…} ]", and
// for IKEv1 under the E flag "[ E{HASH…} ]".
func (m *Message) Summary() string {
	var sb strings.Builder
	sb.WriteString("[")
	if m.Encrypted != nil {
		sb.WriteString(" E{" + m.Encrypted.FirstPayload.Abbrev() + "…}")
	}
	for _, p := range m.Payloads {
		sb.WriteByte(' ')
		sb.WriteString(p.compact())
	}
	sb.WriteString(" ]")
	return sb.String()
}

// SummaryOf is the compact form of a payload list, e.g. the decrypted
// payloads of an encrypted message: "[ IDi N(INIT_CONTACT) AUTH SA TSi TSr ]".
func SummaryOf(payloads []Payload) string {
	var sb strings.Builder
	sb.WriteString("[")
	for _, p := range payloads {
		sb.WriteByte(' ')
		sb.WriteString(p.compact())
	}
	sb.WriteString(" ]")
	return sb.String()
}

func (p *Payload) compact() string {
	switch b := p.Body.(type) {
	case *Notify:
		return p.Type.Abbrev() + "(" + NotifyShortName(b.Version, b.Type) + ")"
	case *Encrypted:
		if b.FirstPayload == PayloadNone {
			return p.Type.Abbrev() + "{}" // nothing inside: an IKEv2 liveness check or its reply
		}
		return p.Type.Abbrev() + "{" + b.FirstPayload.Abbrev() + "…}"
	case *EncryptedFragment:
		s := p.Type.Abbrev() + "(" + strconv.Itoa(int(b.Number)) + "/" + strconv.Itoa(int(b.Total)) + ")"
		if b.FirstPayload != PayloadNone {
			s += "{" + b.FirstPayload.Abbrev() + "…}"
		}
		return s
	case *Delete:
		return p.Type.Abbrev() + "(" + protocolShort(b.Protocol) + ")"
	}
	return p.Type.Abbrev()
}

func protocolShort(p ProtocolID) string {
	switch p {
	case ProtocolISAKMP:
		return "IKE"
	case ProtocolAH:
		return "AH"
	case ProtocolESP:
		return "ESP"
	case ProtocolIPComp:
		return "IPCOMP"
	}
	return strconv.Itoa(int(p))
}

// NotifyShortName is strongSwan's short notify name where it has one (as in
// "N(NATD_S_IP)"), otherwise the registry name.
func NotifyShortName(version int, t NotifyType) string {
	if version == 2 {
		if s, ok := notifyShortV2[t]; ok {
			return s
		}
	} else if s, ok := notifyShortV1[t]; ok {
		return s
	}
	return NotifyName(version, t)
}

// strongSwan's notify_type_short_names (src/libcharon/encoding/payloads/
// notify_payload.c), split by the version whose meaning they carry.
var notifyShortV2 = map[NotifyType]string{
	1: "CRIT", 4: "INVAL_IKE_SPI", 5: "INVAL_MAJOR", 7: "INVAL_SYN", 9: "INVAL_MID",
	11: "INVAL_SPI", 14: "NO_PROP", 17: "INVAL_KE", 24: "AUTH_FAILED",
	34: "SINGLE_PAIR", 35: "NO_ADD_SAS", 36: "INT_ADDR_FAIL", 37: "FAIL_CP_REQ",
	38: "TS_UNACCEPT", 39: "INVAL_SEL", 40: "UNACCEPT_ADDR", 41: "UNEXPECT_NAT",
	42: "ASSIGNED_HoA", 43: "TEMP_FAIL", 44: "NO_CHILD_SA",
	16384: "INIT_CONTACT", 16385: "SET_WINSIZE", 16386: "ADD_TS_POSS", 16387: "IPCOMP_SUP",
	16388: "NATD_S_IP", 16389: "NATD_D_IP", 16390: "COOKIE", 16391: "USE_TRANSP",
	16392: "HTTP_CERT_LOOK", 16393: "REKEY_SA", 16394: "ESP_TFC_PAD_N", 16395: "NON_FIRST_FRAG",
	16396: "MOBIKE_SUP", 16397: "ADD_4_ADDR", 16398: "ADD_6_ADDR", 16399: "NO_ADD_ADDR",
	16400: "UPD_SA_ADDR", 16401: "COOKIE2", 16402: "NO_NATS", 16403: "AUTH_LFT",
	16404: "MULT_AUTH", 16405: "AUTH_FOLLOWS", 16406: "REDIR_SUP", 16407: "REDIR",
	16408: "REDIR_FROM", 16409: "TKT_LT_OPAK", 16410: "TKT_REQ", 16411: "TKT_ACK",
	16412: "TKT_NACK", 16413: "TKT_OPAK", 16414: "LINK_ID", 16415: "WESP_MODE",
	16416: "ROHC_SUP", 16417: "EAP_ONLY", 16418: "CHDLESS_SUP", 16419: "CRASH_DET",
	16420: "MSG_ID_SYN_SUP", 16421: "RPL_CTR_SYN_SUP", 16422: "MSG_ID_SYN", 16423: "RPL_CTR_SYN",
	16424: "SEC_PASSWD", 16425: "PSK_PST", 16426: "PSK_CFM", 16427: "ERX_SUP",
	16428: "IFOM_CAP", 16429: "SENDER_REQ_ID", 16430: "FRAG_SUP", 16431: "HASH_ALG",
	16438: "INT_SUP",
}

var notifyShortV1 = map[NotifyType]string{
	11: "INVAL_SPI", 13: "ATTR_UNSUP", 14: "NO_PROP", 16: "PLD_MAL", 18: "INVAL_ID",
	19: "INVAL_CERTEN", 20: "INVAL_CERT", 21: "CERT_UNSUP", 22: "INVAL_CA", 23: "INVAL_HASH",
	24: "AUTH_FAILED", 24578: "INITIAL_CONTACT", 36136: "DPD", 36137: "DPD_ACK", 40501: "UNITY_LB",
}
