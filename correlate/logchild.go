package correlate

import "time"

// A gateway's log names each child SA it installs with its SPIs and
// protected flows ("CHILD_SA net{1} established with SPIs c1d2e3f4_i
// c5d6e7f8_o and TS 198.19.1.0/24 === 198.19.2.0/24"): what the keys would
// show of it. LoggedChildren gives the child SAs the capture saw
// negotiated what their logs say, then ties the ESP flows to them again,
// exactly by SPI, and the tunnels with them. The pipeline calls it once the
// logs are placed.

// loggedChildWindow is how far from the end of a child SA's negotiation a
// log line that installs it may be (the log's clock offset removed).
const loggedChildWindow = 2 * time.Second

// LoggedChildren applies the logs' installed child SAs to the analysis.
func (a *Analysis) LoggedChildren() {
	changed := false
	for i := range a.Logs {
		e := &a.Logs[i]
		if e.Child == nil || e.IKESA == 0 || e.Side == "" {
			continue
		}
		sa := a.IKESAByID(e.IKESA)
		if sa == nil {
			continue
		}
		if c := sa.loggedChild(e); c != nil && c.SPIIn == 0 && c.SPIOut == 0 {
			lc := e.Child
			if e.Side == "initiator" {
				c.SPIIn, c.SPIOut = lc.In, lc.Out
			} else {
				c.SPIIn, c.SPIOut = lc.Out, lc.In
			}
			if len(c.TS) == 0 {
				local, remote := lc.Local, lc.Remote
				if e.Side != "initiator" {
					local, remote = remote, local
				}
				if c.By == FromResponder {
					local, remote = remote, local // TSi is the child's initiator's
				}
				c.TS = []string{"TSi " + local, "TSr " + remote}
			}
			changed = true
		}
	}
	if !changed {
		return
	}
	a.attributeESP()
	a.buildTunnels()
}

// loggedChild is the child SA whose negotiation a log line that installs
// one describes: the one whose exchange holds the line's frame, else the
// one completed nearest to the line's time.
func (sa *IKESA) loggedChild(e *LogEvent) *Child {
	var best *Child
	var bestD time.Duration
	for i := range sa.Children {
		c := &sa.Children[i]
		if c.Exchange < 0 || !c.WasUp() {
			continue
		}
		for _, m := range sa.Exchanges[c.Exchange].Messages {
			for _, f := range m.Frames {
				if e.Frame != 0 && f == e.Frame {
					return c
				}
			}
		}
		if e.Time.IsZero() {
			continue
		}
		if d := e.Time.Sub(c.Time).Abs(); d <= loggedChildWindow && (best == nil || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}
