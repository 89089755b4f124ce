package diagnose

// guidance is the remedy and the commands for a finding code, after the
// order of the H3C Comware phase-2 troubleshooting flow and the strongSwan
// and Cisco equivalents.
type guidance struct {
	remedy   string
	commands []Command
}

var (
	h3cIKESA     = Command{"H3C/Comware", "display ike sa verbose"}
	h3cIPsecSA   = Command{"H3C/Comware", "display ipsec sa"}
	h3cProposal  = Command{"H3C/Comware", "display ike proposal"}
	h3cTransform = Command{"H3C/Comware", "display ipsec transform-set"}
	h3cPolicy    = Command{"H3C/Comware", "display ipsec policy"}
	h3cKeychain  = Command{"H3C/Comware", "display ike keychain (pre-shared-key address ...)"}
	h3cReset     = Command{"H3C/Comware", "reset ike sa / reset ipsec sa"}
	h3cDebug     = Command{"H3C/Comware", "debugging ike all / debugging ipsec all (terminal debugging)"}
	swanSAs      = Command{"strongSwan", "swanctl --list-sas"}
	swanConns    = Command{"strongSwan", "swanctl --list-conns"}
	swanLog      = Command{"strongSwan", "journalctl -u strongswan (charondebug ike 2, cfg 2)"}
	swanInitiate = Command{"strongSwan", "swanctl --initiate --child NAME"}
	ciscoISAKMP  = Command{"Cisco IOS", "show crypto isakmp sa / show crypto ikev2 sa"}
	ciscoIPsec   = Command{"Cisco IOS", "show crypto ipsec sa"}
	ciscoDebug   = Command{"Cisco IOS", "debug crypto isakmp / debug crypto ikev2"}
	ciscoMap     = Command{"Cisco IOS", "show crypto map / show crypto ipsec transform-set"}
)

var guide = map[string]guidance{
	P1NoResponse: {
		"Check that the peer address in the local policy is the gateway's real address, that UDP 500 (and 4500) reach it through every firewall and ACL on the path, and that the IKE service runs on the peer with a policy for this address.",
		[]Command{h3cPolicy, h3cIKESA, swanConns, ciscoISAKMP},
	},
	P1ProposalMismatch: {
		"Make the phase-1 proposals intersect: the same encryption, integrity/hash, PRF, DH group, authentication method and, for IKEv1, lifetime policy on both sides. Compare the offered list with the responder's configuration.",
		[]Command{h3cProposal, swanConns, Command{"Cisco IOS", "show crypto isakmp policy / show crypto ikev2 proposal"}},
	},
	P1DHGroupMismatch: {
		"Configure the DH group the responder accepts first on the initiator (it then needs no retry), or allow the initiator's group on the responder.",
		[]Command{h3cProposal, swanConns, Command{"Cisco IOS", "show crypto ikev2 proposal"}},
	},
	P1AuthFailed: {
		"Set the same pre-shared key on both sides for this peer (re-type it: trailing spaces and similar characters are common), check that each side's local and remote identity (address, FQDN, user FQDN, DN) match what the other expects, and for certificates the CA chain and validity.",
		[]Command{h3cKeychain, h3cIKESA, h3cDebug, swanConns, swanLog, ciscoDebug},
	},
	P1NATTBlocked: {
		"Allow UDP 4500 in both directions between the peers (and ESP-in-UDP on it); the peers moved there because a NAT was detected.",
		[]Command{h3cIKESA, swanSAs, ciscoISAKMP},
	},
	P1Fragmentation: {
		"Enable IKE fragmentation (IKEv2 RFC 7383: strongSwan fragmentation=yes, Cisco crypto ikev2 fragmentation; IKEv1 vendor fragmentation) or fix the path MTU / the firewall that drops IP fragments.",
		[]Command{h3cIKESA, swanConns, Command{"Cisco IOS", "show crypto ikev2 sa detailed"}},
	},
	P1Rejected: {
		"The peer refused phase 1 with the notify shown; look up the notify in the peer's log for the exact reason.",
		[]Command{h3cDebug, swanLog, ciscoDebug},
	},
	P2NoResponse: {
		"The peer does not answer the phase-2 request: compare transform sets and PFS on both sides, and look at the responder's log for the rejected request.",
		[]Command{h3cTransform, h3cPolicy, h3cIPsecSA, swanConns, ciscoMap},
	},
	P2ProposalMismatch: {
		"Make the transform sets intersect: ESP encryption and authentication algorithms, key lengths and encapsulation mode (tunnel/transport) must match on both sides.",
		[]Command{h3cTransform, swanConns, ciscoMap},
	},
	P2PFSMismatch: {
		"Configure PFS the same on both sides: enabled on both with the same DH group, or disabled on both. On IKEv1 the initiator's PFS group must be at least as strong as the responder's.",
		[]Command{h3cPolicy, h3cTransform, swanConns, ciscoMap},
	},
	P2TSMismatch: {
		"Make the protected flows mirror images: the local ACL / traffic selector of one side must be the remote of the other (same subnets, protocol and ports).",
		[]Command{Command{"H3C/Comware", "display acl all / display ipsec policy"}, swanConns, Command{"Cisco IOS", "show access-lists / show crypto map"}},
	},
	P2Rejected: {
		"The peer rejected the child SA with an encrypted error. Candidates, most likely first: transform-set mismatch, PFS mismatch, protected flows not mirrored. The keys (--keys) or the peer's log tell them apart.",
		[]Command{h3cTransform, h3cPolicy, h3cDebug, swanConns, swanLog, ciscoMap, ciscoDebug},
	},
	ESPOneWay: {
		"ESP leaves one side but nothing comes back: check that the peer receives it (ESP / UDP 4500 allowed on the path, no NAT that breaks ESP), that it has the inbound SA, and that its return route sends traffic into the tunnel.",
		[]Command{h3cIPsecSA, swanSAs, ciscoIPsec},
	},
	ESPInvalidSPI: {
		"One side sends ESP on an SA the other no longer has (a peer restarted or deleted the SA without telling): clear the stale SAs (and enable DPD / initial-contact so it recovers by itself).",
		[]Command{h3cIPsecSA, h3cReset, swanSAs, ciscoIPsec, Command{"Cisco IOS", "clear crypto sa peer ADDRESS"}},
	},
	ESPSeqGap: {
		"ESP sequence numbers are missing: packets were lost between the sender and the capture point (or by the capture). Look for drops on the path or interface counters.",
		[]Command{h3cIPsecSA, ciscoIPsec},
	},
	ESPReplay: {
		"ESP sequence numbers repeat: the path duplicates packets, or two senders share one SA. The receiver drops these as replays.",
		[]Command{h3cIPsecSA, ciscoIPsec},
	},
	ESPNone: {
		"The tunnel is up but carries nothing: check that traffic to protect is sent at all and matches the protected flows, and that routing sends it into the tunnel.",
		[]Command{h3cIPsecSA, h3cPolicy, swanSAs, ciscoIPsec},
	},
	DPDPeerDead: {
		"The peer stopped answering dead-peer detection: it rebooted, lost its SA, or the path broke. Check the peer and the path; the SA will be renegotiated.",
		[]Command{h3cIKESA, swanSAs, ciscoISAKMP},
	},
	NATDetected: {
		"A NAT (or a peer forcing UDP encapsulation) is between the peers: IKE and ESP move to UDP 4500, which must be allowed.",
		nil,
	},
	SADeleted:       {"An SA was deleted; if unexpected, look for the reason in the logs of the side that sent the delete.", nil},
	SARekeyed:       {"SAs were rekeyed; nothing to do unless traffic stopped across the rekey.", nil},
	IKERedirected:   {"The gateway sent the initiator to another gateway (RFC 5685 redirect, load balancing or maintenance): if the redirected negotiation fails, troubleshoot it with the gateway it names.", []Command{h3cIKESA, swanSAs, ciscoISAKMP}},
	CookieChallenge: {"The responder asked for a cookie before committing state (RFC 7296 §2.6): it is under load or in DoS-protection mode (many half-open IKE SAs). Nothing to do unless negotiations fail; if so, look for a flood of IKE_SA_INIT towards it.", []Command{h3cIKESA, swanSAs, ciscoISAKMP}},
	RekeyCollision:  {"Both peers rekeyed the same SA at once; RFC 7296 §2.8.1 resolves it (the redundant SA is deleted), so nothing to do unless it happens at every rekey: then give the peers different lifetimes, or let one side rekey (strongSwan rand_time, Cisco lifetime).", []Command{swanSAs, ciscoIPsec}},
	SAFlapping:      {"The same peers negotiate again and again without carrying traffic: look for a failing phase 2, mismatched lifetimes or a DPD that kills the SA.", []Command{h3cIKESA, swanLog, ciscoDebug}},
	WeakCrypto:      {"Move to the algorithms RFC 8247 (IKE) and RFC 8221 (ESP) rate MUST or SHOULD: AES-CBC or AES-GCM, SHA-2, DH group 14 or 19 (or Curve25519); drop DES and MD5 (MUST NOT) and MODP groups below 2048 bits (SHOULD NOT) from every proposal, not only from the one chosen; plan SHA-1 (MUST-) away.", []Command{h3cProposal, h3cTransform, swanConns}},
	TooManySAs:      {"The capture holds more SAs than are tracked (a scan or a flood): the analysis of the excess is incomplete.", nil},
	PathLoss: {
		"Packets leave one capture point and never reach the next: inspect every device between the two points (firewalls, ACLs, NAT, policers, routers that drop IP fragments) for UDP 500, UDP 4500 and ESP in the direction named; check the route both ways.",
		[]Command{Command{"Linux", "nft list ruleset / iptables -L -v -n (counters of drops)"}, Command{"H3C/Comware", "display packet-filter statistics / debugging ip packet acl ACL"}, Command{"Cisco ASA", "packet-tracer input IF udp SRC 4500 DST 4500 / show asp drop"}},
	},
	MisleadingNotify: {
		"The notify on the wire names another problem than the gateway's own log: trust the log's reason and fix that; the daemon reported the failure with the closest notify it has.",
		[]Command{h3cDebug, swanLog, ciscoDebug},
	},
	NoIPsecCode: {"Capture again where the tunnel's packets pass (the gateways' outside interfaces, or a mirror of them), with a filter that keeps IKE and ESP ('udp port 500 or udp port 4500 or esp', plus any other IKE port the gateways use), for long enough to see a negotiation, DPD or traffic.",
		[]Command{{"Linux", "tcpdump -i IFACE -w cap.pcap 'udp port 500 or udp port 4500 or esp'"}, {"H3C/Comware", "packet-capture interface IF / display ike sa / display ipsec sa"}, {"Cisco ASA", "capture CAP interface outside match udp any any eq 500 / show crypto isakmp sa"}},
	},
	CaptureDrops: {"The capture lost packets: capture again with a larger buffer, a BPF filter for IPsec only, or on a less loaded host; findings about missing packets may be artefacts.", nil},
}

// finish fills the remedy and commands of a finding from its code.
func finish(f Finding) Finding {
	g := guide[f.Code]
	if f.Remedy == "" {
		f.Remedy = g.remedy
	}
	if f.Commands == nil {
		f.Commands = g.commands
	}
	if f.Frames == nil {
		f.Frames = []int{}
	}
	if f.Causes == nil {
		f.Causes = []Cause{}
	}
	return f
}
