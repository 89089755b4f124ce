package gwlog

import (
	"strings"
)

// charon dumps each connection it loads at log level 2: swanctl's vici
// "load-conn" as an indented tree, ipsec.conf's stroke "add connection" as
// key=value lines. configDump reads either into a Config.
type configDump struct {
	cfg     *Config
	section string // "", "child", "local", "remote"
	child   int    // index in cfg.Children of the open child section
	stroke  bool
}

// startDump begins a dump on "vici client N requests: load-conn" or
// "received stroke: add connection 'NAME'".
func startDump(msg string) *configDump {
	switch {
	case strings.HasSuffix(msg, "requests: load-conn") && strings.HasPrefix(msg, "vici client "):
		return &configDump{cfg: &Config{}, child: -1}
	case strings.HasPrefix(msg, "received stroke: add connection '"):
		name := strings.TrimSuffix(strings.TrimPrefix(msg, "received stroke: add connection '"), "'")
		return &configDump{cfg: &Config{Conn: name}, child: -1, stroke: true}
	}
	return nil
}

// line reads one line of the dump; false when the line is not part of it
// (the dump is over).
func (d *configDump) line(msg string) bool {
	if d.stroke {
		return d.strokeLine(msg)
	}
	indent := len(msg) - len(strings.TrimLeft(msg, " "))
	body := strings.TrimSpace(msg)
	if indent == 0 || body == "" {
		return false
	}
	key, value, isKV := strings.Cut(body, " = ")
	switch {
	case indent == 1 && strings.HasPrefix(body, "conn ") && strings.HasSuffix(body, ":"):
		d.cfg.Conn = strings.TrimSuffix(strings.TrimPrefix(body, "conn "), ":")
	case indent == 2 && strings.HasPrefix(body, "child ") && strings.HasSuffix(body, ":"):
		d.section = "child"
		if len(d.cfg.Children) < maxSettingValues {
			d.cfg.Children = append(d.cfg.Children, ChildConfig{Name: strings.TrimSuffix(strings.TrimPrefix(body, "child "), ":")})
			d.child = len(d.cfg.Children) - 1
		} else {
			d.child = -1
		}
	case indent == 2 && strings.HasSuffix(body, ":") && !isKV:
		// "local:", "remote:", "local-1:" (a round of authentication)
		switch {
		case strings.HasPrefix(body, "local"):
			d.section = "local"
		case strings.HasPrefix(body, "remote"):
			d.section = "remote"
		default:
			d.section = "other"
		}
	case !isKV:
		return true // a line of the dump this reader does not need
	case indent == 2:
		d.section = ""
		switch key {
		case "local_addrs":
			d.cfg.LocalAddrs = splitList(value)
		case "remote_addrs":
			d.cfg.RemoteAddrs = splitList(value)
		case "proposals":
			d.cfg.Proposals = splitList(value)
		}
	case indent >= 3 && d.section == "child" && d.child >= 0:
		c := &d.cfg.Children[d.child]
		switch key {
		case "proposals":
			c.Proposals = splitList(value)
		case "local_ts":
			c.LocalTS = splitList(value)
		case "remote_ts":
			c.RemoteTS = splitList(value)
		}
	case indent >= 3 && key == "id" && d.section == "local" && d.cfg.LocalID == "":
		d.cfg.LocalID = value
	case indent >= 3 && key == "id" && d.section == "remote" && d.cfg.RemoteID == "":
		d.cfg.RemoteID = value
	}
	return true
}

// strokeLine reads one "  key=value" line of a stroke dump.
func (d *configDump) strokeLine(msg string) bool {
	if !strings.HasPrefix(msg, "  ") {
		return false
	}
	key, value, ok := strings.Cut(strings.TrimSpace(msg), "=")
	if !ok {
		return strings.HasPrefix(strings.TrimSpace(msg), "conn ")
	}
	child := func() *ChildConfig {
		if len(d.cfg.Children) == 0 {
			d.cfg.Children = append(d.cfg.Children, ChildConfig{Name: d.cfg.Conn})
		}
		return &d.cfg.Children[0]
	}
	switch key {
	case "left":
		d.cfg.LocalAddrs = splitList(value)
	case "right":
		d.cfg.RemoteAddrs = splitList(value)
	case "leftid":
		d.cfg.LocalID = value
	case "rightid":
		d.cfg.RemoteID = value
	case "leftsubnet":
		child().LocalTS = splitList(value)
	case "rightsubnet":
		child().RemoteTS = splitList(value)
	case "ike":
		d.cfg.Proposals = splitList(value)
	case "esp", "ah":
		child().Proposals = splitList(value)
	}
	return true
}

// keepConfig adds a finished dump to the log.
func (p *parser) keepConfig(c *Config) {
	if c == nil || c.Conn == "" || len(p.log.Configs) >= maxConfigs {
		return
	}
	p.log.Configs = append(p.log.Configs, *c)
}
