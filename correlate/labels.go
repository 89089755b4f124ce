package correlate

import (
	"fmt"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// How a message is labelled, decided here for every finding and view:
// MM5, AM2, QM1 for IKEv1's numbered modes, as vendors' debug output
// numbers them; the exchange and its direction for IKEv2 ("IKE_AUTH
// response") and for informationals.

// Label names message n (1-based) of the exchange, a response or not.
func (e *Exchange) Label(n int, response bool) string {
	if l := e.v1Label(n); l != "" {
		return l
	}
	if e.Type >= isakmp.ExchangeIKESAInit {
		if response {
			return e.Name() + " response"
		}
		return e.Name() + " request"
	}
	return e.Name()
}

// ShortLabel is Label for a narrow column: "AUTH req", "INFO rsp".
func (e *Exchange) ShortLabel(n int, response bool) string {
	if l := e.v1Label(n); l != "" {
		return l
	}
	name := e.shortName()
	if e.Type >= isakmp.ExchangeIKESAInit {
		if response {
			return name + " rsp"
		}
		return name + " req"
	}
	return name
}

func (e *Exchange) v1Label(n int) string {
	switch e.Type {
	case isakmp.ExchangeV1Main:
		return fmt.Sprintf("MM%d", n)
	case isakmp.ExchangeV1Aggressive:
		return fmt.Sprintf("AM%d", n)
	case isakmp.ExchangeV1Quick:
		return fmt.Sprintf("QM%d", n)
	}
	return ""
}

// shortName is the exchange's name in a short label.
func (e *Exchange) shortName() string {
	switch e.Type {
	case isakmp.ExchangeV1Informational, isakmp.ExchangeInformational:
		return "INFO"
	case isakmp.ExchangeIKESAInit:
		return "SA_INIT"
	case isakmp.ExchangeIKEAuth:
		return "AUTH"
	case isakmp.ExchangeCreateChildSA:
		return "CHILD_SA"
	case isakmp.ExchangeV1Transaction:
		return "CFG"
	}
	return e.Name()
}
