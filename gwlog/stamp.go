package gwlog

import (
	"strconv"
	"strings"
	"time"
)

// header is what precedes the message on a line: a timestamp in one of the
// forms gateways write, and the syslog host and program when present.
type header struct {
	stamp                     string
	t                         time.Time
	hasTime, hasDate, hasYear bool
	// micro is set for pluto's own "Nov 27 12:29:25.788367: " stamp.
	micro bool
	host  string
	tag   string // syslog program name (charon, pluto, ...), "" if none
}

var (
	// 2026-11-27T13:01:02.123456+01:00, as rsyslog and journalctl -o short-iso write it.
	reISO = lazyRegexp(`^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?(Z|[+-]\d\d:?\d\d)?\s+`)
	// Nov 27 13:01:02[.micro][ 2026][:] — syslog, charon's default, pluto's logfile.
	reBSD = lazyRegexp(`^([A-Z][a-z]{2}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?: (\d{4}))?(:?)\s+`)
	// host program[pid]: message
	reSyslog = lazyRegexp(`^(?:(\S+) )?([A-Za-z][\w.-]*)(?:\[\d+\])?: (.*)$`)
)

// daemonTags are the syslog program names of the daemons this package reads;
// lines of other programs in a syslog are foreign.
var daemonTags = map[string]bool{
	"charon": true, "charon-systemd": true, "charon-cmd": true, "charon-nm": true,
	"pluto": true, "ipsec": true, "ipsec_starter": true, "libreswan": true, "strongswan": true,
}

var months = map[string]time.Month{
	"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "May": 5, "Jun": 6,
	"Jul": 7, "Aug": 8, "Sep": 9, "Oct": 10, "Nov": 11, "Dec": 12,
}

// splitHeader separates the timestamp and syslog prefix from the message.
func splitHeader(s string) (header, string) {
	var h header
	rest := s
	if len(s) > 4 && isDigit(s[0]) && s[4] == '-' {
		if m := reISO().FindStringSubmatch(s); m != nil {
			h.stamp = strings.TrimSpace(m[0])
			h.t = clock(atoi(m[1]), time.Month(atoi(m[2])), atoi(m[3]), m[4], m[5], m[6], m[7], zone(m[8]))
			h.hasTime, h.hasDate, h.hasYear = true, true, true
			rest = s[len(m[0]):]
		}
	} else if len(s) > 3 && months[s[:3]] != 0 {
		m := reBSD().FindStringSubmatch(s)
		if m == nil {
			return h, rest
		}
		h.stamp = strings.TrimSuffix(strings.TrimSpace(m[0]), ":")
		year := 0
		if m[7] != "" {
			year = atoi(m[7])
			h.hasYear = true
		}
		h.t = clock(year, months[m[1]], atoi(m[2]), m[3], m[4], m[5], m[6], time.UTC)
		h.hasTime, h.hasDate = true, true
		h.micro = m[8] == ":"
		rest = s[len(m[0]):]
	} else if n, ok := clockPrefix(s); ok {
		h.stamp = s[:n]
		h.t = clock(0, 1, 1, s[0:2], s[3:5], s[6:8], strings.TrimPrefix(s[8:n], "."), time.UTC)
		h.hasTime = true
		rest = strings.TrimLeft(s[n:], " \t")
	}
	if _, _, _, ok := charonPrefix(rest); ok {
		return h, rest // charon's file log: no syslog part
	}
	if h.hasTime && !h.micro {
		if m := reSyslog().FindStringSubmatch(rest); m != nil && daemonTags[m[2]] {
			h.host, h.tag = m[1], m[2]
			rest = m[3]
		}
	} else if !h.hasTime {
		if m := reSyslog().FindStringSubmatch(rest); m != nil && m[1] == "" && daemonTags[m[2]] {
			h.tag = m[2]
			rest = m[3]
		}
	}
	return h, rest
}

// clock builds a wall-clock time from a stamp's parts; out-of-range parts
// are normalised by time.Date, never a panic.
func clock(year int, month time.Month, day int, hh, mm, ss, frac string, loc *time.Location) time.Time {
	ns := 0
	if frac != "" {
		f := (frac + "000000000")[:9]
		ns = atoi(f)
	}
	return time.Date(year, month, day, atoi(hh), atoi(mm), atoi(ss), ns, loc)
}

func zone(z string) *time.Location {
	if z == "" || z == "Z" {
		return time.UTC
	}
	z = strings.ReplaceAll(z, ":", "")
	if len(z) != 5 {
		return time.UTC
	}
	off := (atoi(z[1:3])*60 + atoi(z[3:5])) * 60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone(z, off)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// stamped copies a header's time fields into an event.
func (h header) stamped(e *Event) {
	e.Stamp = h.stamp
	e.Time = h.t
	e.HasTime, e.HasDate, e.HasYear = h.hasTime, h.hasDate, h.hasYear
	e.Host = h.host
}

// clockPrefix recognises "13:01:02[.frac] " (charon's time_format %T) and
// returns the stamp's length.
func clockPrefix(s string) (int, bool) {
	if len(s) < 9 || !isDigit(s[0]) || !isDigit(s[1]) || s[2] != ':' || !isDigit(s[3]) || !isDigit(s[4]) ||
		s[5] != ':' || !isDigit(s[6]) || !isDigit(s[7]) {
		return 0, false
	}
	n := 8
	if s[n] == '.' {
		k := n + 1
		for k < len(s) && k < n+10 && isDigit(s[k]) {
			k++
		}
		if k == n+1 {
			return 0, false
		}
		n = k
	}
	if n >= len(s) || (s[n] != ' ' && s[n] != '\t') {
		return 0, false
	}
	return n, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
