package diagnose

import (
	"fmt"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
)

// What each gateway's log says about an IKE SA, for the comparison: the
// settings its lines state (configured proposals, the flow it would
// accept, the peer config it matched) and the connection it had loaded.

// gatewayLog is one log's view of an IKE SA.
type gatewayLog struct {
	name string
	role string // "initiator", "responder" or ""
	// last holds the last setting of each kind, line the line that stated
	// it.
	last map[string]*correlate.LoggedSetting
	line map[string]int
	// all keeps every setting of the kinds read in several parts (the
	// proposals of phase 1 and of the child SA both come as "configured
	// proposals").
	all    []*correlate.LoggedSetting
	config *correlate.LoggedConfig
	// others are the other connections the log had loaded then (a hub's
	// other sites), for a flow the matched one refuses.
	others []*correlate.LoggedConfig
}

// gatewayLogs returns the view of each log with lines about the IKE SA, in
// the order the logs were given. upTo, when non-zero, leaves out the lines
// about frames after it (a later rekey's negotiation).
func gatewayLogs(a *correlate.Analysis, sa *correlate.IKESA, upTo int) []*gatewayLog {
	var out []*gatewayLog
	byName := map[string]*gatewayLog{}
	firstLine := map[string]int{}
	for _, i := range a.LogsOf(sa.ID) {
		e := &a.Logs[i]
		if upTo != 0 && e.Frame > upTo && len(a.Captures) <= 1 {
			continue
		}
		g := byName[e.Log]
		if g == nil {
			g = &gatewayLog{name: e.Log, last: map[string]*correlate.LoggedSetting{}, line: map[string]int{}}
			byName[e.Log] = g
			firstLine[e.Log] = e.Line
			out = append(out, g)
		}
		if g.role == "" && e.Side != "" {
			g.role = e.Side
		}
		if s := e.Setting; s != nil {
			g.last[s.Kind] = s
			g.line[s.Kind] = e.Line
			g.all = append(g.all, s)
		}
	}
	for _, g := range out {
		g.config = loadedConfig(a, g, firstLine[g.name])
		g.others = otherConfigs(a, g)
	}
	return out
}

// loadedConfig is the connection the log had loaded for the IKE SA: the
// one named by the peer config it matched, else the only one it dumped,
// loaded last before the SA's first line.
func loadedConfig(a *correlate.Analysis, g *gatewayLog, before int) *correlate.LoggedConfig {
	var configs []correlate.LoggedConfig
	for _, f := range a.LogFiles {
		if f.Name == g.name {
			configs = f.Configs
		}
	}
	want := ""
	if pc := g.last["peer config"]; pc != nil && len(pc.Values) == 1 && pc.Values[0] != "none" {
		want = pc.Values[0]
	}
	var found *correlate.LoggedConfig
	names := map[string]bool{}
	for i := range configs {
		c := &configs[i]
		if c.Line > before && found != nil {
			break
		}
		names[c.Conn] = true
		if want == "" || c.Conn == want {
			found = c
		}
	}
	if want == "" && len(names) > 1 {
		return nil // several connections and no line says which one
	}
	return found
}

// otherConfigs are the connections the log had loaded when it selected a
// peer config for the SA, besides the one it matched (the last load of
// each), in the order first loaded. None when no line names the peer
// config it selected.
func otherConfigs(a *correlate.Analysis, g *gatewayLog) []*correlate.LoggedConfig {
	before := g.line["peer config"]
	if g.config == nil || before == 0 {
		return nil
	}
	var out []*correlate.LoggedConfig
	at := map[string]int{}
	for _, f := range a.LogFiles {
		if f.Name != g.name {
			continue
		}
		for i := range f.Configs {
			c := &f.Configs[i]
			if c.Line > before {
				break
			}
			if c.Conn == g.config.Conn {
				continue
			}
			if j, ok := at[c.Conn]; ok {
				out[j] = c
				continue
			}
			at[c.Conn] = len(out)
			out = append(out, c)
		}
	}
	return out
}

// who names a log's gateway: "responder 198.18.1.2's log (charon.log)".
func (g *gatewayLog) who(sa *correlate.IKESA) string {
	switch g.role {
	case "initiator":
		return fmt.Sprintf("initiator %s's log (%s)", sa.Initiator.Addr(), g.name)
	case "responder":
		return fmt.Sprintf("responder %s's log (%s)", sa.Responder.Addr(), g.name)
	}
	return "log " + g.name
}

// proposals are the proposals the gateway is configured with for phase 1
// (ike) or a child SA: the "configured proposals" lines of that kind,
// else the loaded connection's.
func (g *gatewayLog) proposals(ike bool) []string {
	for i := len(g.all) - 1; i >= 0; i-- {
		s := g.all[i]
		if s.Kind != "configured proposals" || len(s.Values) == 0 {
			continue
		}
		if isIKEProposal(s.Values[0]) == ike {
			return s.Values
		}
	}
	if c := g.config; c != nil {
		if ike {
			return c.Proposals
		}
		for _, ch := range c.Children {
			if len(ch.Proposals) > 0 {
				return ch.Proposals
			}
		}
	}
	return nil
}

// received are the proposals the gateway says it received from its peer
// for phase 1 (ike) or a child SA: the last "received proposals" of that
// kind.
func (g *gatewayLog) received(ike bool) []string {
	for i := len(g.all) - 1; i >= 0; i-- {
		if s := g.all[i]; s.Kind == "received proposals" && len(s.Values) > 0 && isIKEProposal(s.Values[0]) == ike {
			return s.Values
		}
	}
	return nil
}

func isIKEProposal(s string) bool {
	return strings.HasPrefix(s, "IKE") || strings.Contains(s, ":IKE")
}

// flows are the gateway's configured protected flow, its own side and the
// peer's: the selectors it narrowed to, else the loaded connection's.
func (g *gatewayLog) flows() (local, remote []string) {
	if s := g.last["local traffic selectors"]; s != nil {
		local = s.Values
	}
	if s := g.last["remote traffic selectors"]; s != nil {
		remote = s.Values
	}
	if (local == nil || remote == nil) && g.config != nil {
		for _, ch := range g.config.Children {
			if local == nil {
				local = ch.LocalTS
			}
			if remote == nil {
				remote = ch.RemoteTS
			}
			break
		}
	}
	return local, remote
}

// matched lists what the gateway matched the peer to: its IKE config (the
// address pair), its peer config or IKE profile, the IPsec policy tried.
func (g *gatewayLog) matched() []string {
	var out []string
	if s := g.last["IKE config"]; s != nil && len(s.Values) > 0 {
		out = append(out, "matched IKE config "+s.Values[0])
	}
	if s := g.last["peer config"]; s != nil && len(s.Values) > 0 {
		if s.Values[0] == "none" {
			out = append(out, "matched no peer config")
		} else {
			out = append(out, "matched peer config "+strings.Join(s.Values, " "))
		}
	}
	if s := g.last["IPsec policy"]; s != nil && len(s.Values) > 0 {
		out = append(out, "tried IPsec policy "+s.Values[0])
	}
	return out
}

// silent says that a log was given but states none of what a comparison
// needs, and which logging would.
func (g *gatewayLog) silent(sa *correlate.IKESA, what string) string {
	return fmt.Sprintf("%s states no %s: charon writes them at log level cfg 2 (\"configured proposals\", \"proposing traffic selectors\" and the connections it loads), pluto when it adds a connection", g.who(sa), what)
}
