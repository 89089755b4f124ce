package correlate

import (
	"net/netip"
	"strconv"
)

// TunnelKeys names each tunnel of the analysis (in the order of Tunnels)
// by what does not change while it lives, unlike its number, which each
// snapshot gives afresh: its two peers and the IKE SA it began with
// ("198.18.1.1-198.18.1.2#3"; "#0" for a tunnel known from ESP alone),
// with ".2", ".3", ... for the further tunnels of one IKE SA (child SAs for
// other protected flows), in their order. The metrics' tunnel label and
// the events' ipsec.tunnel.key are these names.
func (a *Analysis) TunnelKeys() []string {
	keys := make([]string, len(a.Tunnels))
	seen := make(map[string]int, len(a.Tunnels))
	for i, t := range a.Tunnels {
		first := 0
		if len(t.IKESAs) > 0 {
			first = t.IKESAs[0]
		}
		k := addrString(t.A) + "-" + addrString(t.B) + "#" + strconv.Itoa(first)
		n := seen[k] + 1
		seen[k] = n
		if n > 1 {
			k += "." + strconv.Itoa(n)
		}
		keys[i] = k
	}
	return keys
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
