package gwlog

import (
	"strings"
	"time"
)

// What a gateway's log says it expected or matched: the configured side of
// the troubleshooting guide's comparisons (transform sets, protected
// flows, identities, the IKE profile and peer address the responder
// matched), which the packets never carry. A line states a Setting; a
// connection dumped when loaded is a Config.

// SettingKind names what a Setting states.
type SettingKind string

// Setting kinds.
const (
	// SettingProposalsConfigured: the proposals the gateway is configured
	// with, as it compares them (charon "configured proposals: …").
	SettingProposalsConfigured SettingKind = "configured proposals"
	// SettingProposalsReceived: the peer's proposals as the gateway read
	// them (charon "received proposals: …", pluto "no local proposal
	// matches remote proposals …").
	SettingProposalsReceived SettingKind = "received proposals"
	// SettingTSLocal and SettingTSRemote: the gateway's configured
	// protected flow, its own side and the peer's (charon "proposing
	// traffic selectors for us/other:").
	SettingTSLocal  SettingKind = "local traffic selectors"
	SettingTSRemote SettingKind = "remote traffic selectors"
	// SettingTSReceived: the flow the peer proposed, local === remote as
	// the gateway reads it (charon "looking for a child config for …",
	// "no matching CHILD_SA config found for …", pluto "no connection is
	// known for …").
	SettingTSReceived SettingKind = "received traffic selectors"
	// SettingIdentities: the identities the gateway looked a peer config up
	// with, its own and the peer's ("local me", "remote peer").
	SettingIdentities SettingKind = "identities"
	// SettingPeerConfig: the connection (charon peer config, pluto
	// connection, Comware IKE profile) the gateway matched, or "none".
	SettingPeerConfig SettingKind = "peer config"
	// SettingIKEConfig: the address pair whose IKE config matched, or
	// "none for A...B".
	SettingIKEConfig SettingKind = "IKE config"
	// SettingPolicy: the IPsec policy tried (Comware "Name = FW1, Seqnum =
	// 10").
	SettingPolicy SettingKind = "IPsec policy"
)

// Setting is a value a log line states, for the comparison.
type Setting struct {
	Kind   SettingKind
	Values []string
}

// Config is a connection as the gateway dumped it when loading it
// (charon's vici "load-conn" at log level 2, pluto's "proposals
// (connection add)"): what the gateway expects of any peer that matches it.
type Config struct {
	Conn string
	Line int
	// Time is when the connection was loaded (the line's stamp); a
	// connection loaded again later replaces it from then on.
	Time                    time.Time
	LocalAddrs, RemoteAddrs []string
	LocalID, RemoteID       string
	Proposals               []string // IKE / phase 1
	Children                []ChildConfig
}

// ChildConfig is one child SA (phase-2) configuration of a Config.
type ChildConfig struct {
	Name              string
	Proposals         []string // ESP/AH
	LocalTS, RemoteTS []string
}

// maxConfigs bounds the connections kept of one log: a log of a gateway
// reloading its configuration for days holds many copies.
const maxConfigs = 256

// maxSettingValues bounds the values of one setting (a continued list).
const maxSettingValues = 32

var (
	reCharonConfigured = lazyRegexp(`^configured proposals: (.+)$`)
	reCharonReceived   = lazyRegexp(`^received proposals: (.+)$`)
	reCharonTSFor      = lazyRegexp(`^proposing traffic selectors for (us|other):$`)
	reCharonChildFor   = lazyRegexp(`^(?:looking for a child config for|no matching CHILD_SA config found for) (.+?) === (.+?)$`)
	reCharonTSUnacc    = lazyRegexp(`^traffic selectors (.+?) === (.+?) (?:unacceptable|inacceptable)$`)
	reCharonPeerLookup = lazyRegexp(`^looking for peer configs matching \S+?\[([^\]]*)\]\.\.\.\S+?\[([^\]]*)\]`)
	reCharonPeerCfg    = lazyRegexp(`^selected peer config ['"]([^'"]*)['"]`)
	reCharonIKECfg     = lazyRegexp(`^found matching ike config: (\S+)`)
	reCharonNoIKECfg   = lazyRegexp(`^no IKE config found for (\S+)`)
	rePlutoNoLocal     = lazyRegexp(`no local proposal matches remote proposals (.+)$`)
	rePlutoNoConn      = lazyRegexp(`no connection (?:is known|has been authorized|found) for (.+?)(?:;|$)`)
	rePlutoPeerID      = lazyRegexp(`^Peer ID is (\S+): '([^']*)'`)
	reComwareProfile   = lazyRegexp(`ike profile name is ([^\s.]+)`)
	reComwarePolicy    = lazyRegexp(`does not match the flow, Name = (\S+?), Seqnum\s*=\s*(\d+)`)
)

// reCharonPeerLookupV1: IKEv1 (phase1.c) names the authentication method
// and no local identity: "looking for pre-shared key peer configs matching
// A...B[id]".
var reCharonPeerLookupV1 = lazyRegexp(`^looking for \S.*? peer configs matching [^\s\[]+\.\.\.\S+?\[([^\]]*)\]`)

// charonSetting reads the setting a charon message states, if any. The
// traffic selector lists continue on the lines after it (charonList).
func charonSetting(msg string) *Setting {
	switch {
	case strings.HasPrefix(msg, "configured proposals: "):
		if m := reCharonConfigured().FindStringSubmatch(msg); m != nil {
			return &Setting{Kind: SettingProposalsConfigured, Values: splitList(m[1])}
		}
	case strings.HasPrefix(msg, "received proposals: "):
		if m := reCharonReceived().FindStringSubmatch(msg); m != nil {
			return &Setting{Kind: SettingProposalsReceived, Values: splitList(m[1])}
		}
	case strings.HasPrefix(msg, "proposing traffic selectors for "):
		if m := reCharonTSFor().FindStringSubmatch(msg); m != nil {
			if m[1] == "us" {
				return &Setting{Kind: SettingTSLocal}
			}
			return &Setting{Kind: SettingTSRemote}
		}
	case strings.Contains(msg, " === "):
		if m := reCharonChildFor().FindStringSubmatch(msg); m != nil {
			if strings.HasPrefix(msg, "no matching CHILD_SA config found") {
				// IKEv1 Quick Mode logs the initiator's IDci === IDcr:
				// for the responder that logs it, remote === local
				return &Setting{Kind: SettingTSReceived, Values: []string{m[2], m[1]}}
			}
			return &Setting{Kind: SettingTSReceived, Values: []string{m[1], m[2]}}
		}
		if m := reCharonTSUnacc().FindStringSubmatch(msg); m != nil {
			return &Setting{Kind: SettingTSReceived, Values: []string{m[1], m[2]}}
		}
	case strings.HasPrefix(msg, "looking for peer configs matching "):
		if m := reCharonPeerLookup().FindStringSubmatch(msg); m != nil {
			return &Setting{Kind: SettingIdentities, Values: []string{"local " + m[1], "remote " + m[2]}}
		}
	case strings.HasPrefix(msg, "looking for ") && strings.Contains(msg, " peer configs matching "):
		if m := reCharonPeerLookupV1().FindStringSubmatch(msg); m != nil {
			return &Setting{Kind: SettingIdentities, Values: []string{"remote " + m[1]}}
		}
	case strings.HasPrefix(msg, "selected peer config "):
		if m := reCharonPeerCfg().FindStringSubmatch(msg); m != nil {
			return &Setting{Kind: SettingPeerConfig, Values: []string{m[1]}}
		}
	case strings.HasPrefix(msg, "no matching peer config found"), strings.HasPrefix(msg, "no peer config found"): // IKEv2, IKEv1
		return &Setting{Kind: SettingPeerConfig, Values: []string{"none"}}
	case strings.HasPrefix(msg, "found matching ike config: "):
		if m := reCharonIKECfg().FindStringSubmatch(msg); m != nil {
			return &Setting{Kind: SettingIKEConfig, Values: []string{m[1]}}
		}
	case strings.HasPrefix(msg, "no IKE config found for "):
		if m := reCharonNoIKECfg().FindStringSubmatch(msg); m != nil {
			return &Setting{Kind: SettingIKEConfig, Values: []string{"none for " + strings.TrimSuffix(m[1], ",")}}
		}
	}
	return nil
}

// charonListItem reads a continuation of "proposing traffic selectors
// for …:" (" 198.19.2.0/24"): one selector, indented, nothing else.
func charonListItem(msg string) (string, bool) {
	if !strings.HasPrefix(msg, " ") {
		return "", false
	}
	v := strings.TrimSpace(msg)
	if v == "" || strings.ContainsAny(v, " \t") {
		return "", false
	}
	return v, true
}

// plutoSetting reads the setting a pluto message states, if any.
func plutoSetting(msg string) *Setting {
	if m := rePlutoNoLocal().FindStringSubmatch(msg); m != nil {
		return &Setting{Kind: SettingProposalsReceived, Values: splitList(m[1])}
	}
	if m := rePlutoNoConn().FindStringSubmatch(msg); m != nil {
		return &Setting{Kind: SettingTSReceived, Values: []string{m[1]}}
	}
	if m := rePlutoPeerID().FindStringSubmatch(msg); m != nil {
		return &Setting{Kind: SettingIdentities, Values: []string{"remote " + strings.TrimPrefix(m[2], "@")}}
	}
	return nil
}

// comwareSetting reads the setting a Comware entry states, if any.
func comwareSetting(text string) *Setting {
	if m := reComwarePolicy().FindStringSubmatch(text); m != nil {
		return &Setting{Kind: SettingPolicy, Values: []string{m[1] + " seq " + m[2]}}
	}
	if m := reComwareProfile().FindStringSubmatch(text); m != nil {
		return &Setting{Kind: SettingPeerConfig, Values: []string{"IKE profile " + m[1]}}
	}
	return nil
}

// splitList splits a logged list ("A, B" or pluto's "1:IKE:… 2:IKE:…").
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if f = strings.TrimSpace(f); f != "" && len(out) < maxSettingValues {
			out = append(out, f)
		}
	}
	return out
}

// maxValue caps a setting's value: a log is foreign input.
const maxValue = 256

// cleanSettings makes the settings and connections of a log safe to print,
// as capText makes its events' text: one printable line, capped.
func (l *Log) cleanSettings() {
	one := func(v string) string {
		if len(v) > maxValue {
			v = v[:maxValue]
		}
		return strings.ToValidUTF8(capText(v), "")
	}
	all := func(vs []string) {
		for i, v := range vs {
			vs[i] = one(v)
		}
	}
	for i := range l.Events {
		if s := l.Events[i].Setting; s != nil {
			all(s.Values)
		}
	}
	for i := range l.Configs {
		c := &l.Configs[i]
		c.Conn, c.LocalID, c.RemoteID = one(c.Conn), one(c.LocalID), one(c.RemoteID)
		all(c.LocalAddrs)
		all(c.RemoteAddrs)
		all(c.Proposals)
		for j := range c.Children {
			ch := &c.Children[j]
			ch.Name = one(ch.Name)
			all(ch.Proposals)
			all(ch.LocalTS)
			all(ch.RemoteTS)
		}
	}
}
