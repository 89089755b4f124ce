package diagnose

import (
	"fmt"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode"
)

// Verdicts of an analysis (JSON verdict; analyze's exit status 0, 1, 3).
const (
	VerdictHealthy = "healthy"
	VerdictFailure = "failure"
	// VerdictNoIPsec: the capture holds no IKE and no ESP at all, so it
	// says nothing about the tunnel (a capture filter, the wrong
	// interface, IKE on other ports): not healthy.
	VerdictNoIPsec = "no_ipsec"
)

// Verdict is the one answer every view gives: no IPsec in the capture,
// else a failure when a finding is an error, else healthy.
func Verdict(a *correlate.Analysis, fs []Finding) string {
	if NoIPsec(a) {
		return VerdictNoIPsec
	}
	for _, f := range fs {
		if f.Severity == Error {
			return VerdictFailure
		}
	}
	return VerdictHealthy
}

// NoIPsec reports whether a capture, read to its end, held neither IKE nor
// ESP, nor AH.
func NoIPsec(a *correlate.Analysis) bool {
	return a != nil && a.Ended && a.IKEPackets == 0 && a.ESPPackets == 0 && !decode.HasAH(a.OtherTraffic)
}

// commonUDP are UDP ports that are not IKE on another port: the IKE ports
// themselves (a malformed packet there is no sign of a moved IKE), DNS,
// DHCP, NTP, syslog, SNMP.
var commonUDP = map[int]bool{500: true, 4500: true, 53: true, 67: true, 68: true, 123: true, 514: true, 161: true, 162: true}

// noIPsec explains a capture without IKE and ESP: what it held instead and
// why a capture usually misses them.
func noIPsec(a *correlate.Analysis) []Finding {
	if !NoIPsec(a) {
		return nil
	}
	// Information: the verdict (no_ipsec, exit status 3) is the answer, and
	// the finding says what the capture held and why; it shows no tunnel
	// that could be wrong.
	f := Finding{Code: NoIPsecCode, Severity: Info, Certainty: Certain}
	if a.Frames == 0 {
		f.Summary = "the capture holds no frame at all: nothing to analyse"
		f.Causes = []Cause{
			{"the capture filter matched nothing, or the capture was stopped at once", "not one frame was written"},
			{"the capture ran on an interface that carries no traffic", "a mirror port not yet configured, a down link"},
		}
		return []Finding{f}
	}
	var seen []string
	for i, t := range a.OtherTraffic {
		if i == 5 {
			seen = append(seen, "…")
			break
		}
		seen = append(seen, fmt.Sprintf("%s %d", t, t.Frames))
	}
	f.Summary = fmt.Sprintf("no IKE and no ESP in %d frames", a.Frames)
	if len(seen) > 0 {
		f.Summary += ": " + strings.Join(seen, ", ")
	}
	if a.Keepalives > 0 || a.ICMPErrors > 0 {
		f.Summary += fmt.Sprintf(" (and %d NAT-T keepalives, %d ICMP errors about IPsec)", a.Keepalives, a.ICMPErrors)
	}
	for _, t := range a.OtherTraffic {
		if t.Layer == "udp" && !commonUDP[t.Value] && t.Frames*5 >= a.Frames {
			f.Causes = append(f.Causes, Cause{
				fmt.Sprintf("IKE on another port than 500/4500: UDP port %d carried %d of the frames", t.Value, t.Frames),
				fmt.Sprintf("a gateway configured for a non-standard IKE port (or NAT-T behind a port forward); analyse again with --ike-port %d (or --natt-port %d)", t.Value, t.Value)})
			break
		}
	}
	f.Causes = append(f.Causes,
		Cause{"the capture filter left IKE and ESP out", "a filter on a host, a port or TCP only; capture with 'udp port 500 or udp port 4500 or esp' (ipsecpcap live uses it)"},
		Cause{"the capture was taken where the tunnel's traffic does not pass", "the wrong interface, a mirror port of another VLAN, or inside the tunnel (the decrypted traffic) instead of outside it"},
		Cause{"the tunnel was idle during the capture", "an SA already up with nothing to send and no DPD or rekey in that time puts no IKE or ESP on the wire: capture longer, or send traffic through the tunnel"})
	return []Finding{f}
}
