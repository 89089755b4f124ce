package gwlog

import (
	"strings"
)

// Level-4 charon logs (and pluto at high debug levels) print binary values,
// secrets among them, as a header "<label> => N bytes @ 0x…" followed by
// hex-dump lines "   0: 97 FA 53 …  ..S.". The header names the secret and
// the dump is the secret: both are withheld before any parsing, whatever the
// label, so no secret can reach an Event by a label this package does not
// know.
// A long unbroken hex string (a key printed inline by some daemon) is
// withheld too (longHexRun): SPIs and cookies are at most 16 digits.
var (
	reDumpHeader = lazyRegexp(`=> \d+ bytes @ (?:0x)?[0-9a-fA-F]+\s*$`)
)

// secretLine reports whether a line's message may carry key material.
func secretLine(body string) bool {
	return (strings.Contains(body, " bytes @ ") && reDumpHeader().MatchString(body)) ||
		dumpLine(body) || longHexRun(body)
}

// longHexRun reports a run of 33 or more hex digits.
func longHexRun(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isHex(c) {
			run++
			if run >= 33 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// dumpLine reports a hex-dump line: "   16: C6 12 01 02 …" (charon, after
// its "12[IKE] " prefix), "|   9b 3f 14 …" (pluto), or a bare run of four
// or more hex byte pairs at the start of the message.
func dumpLine(s string) bool {
	if _, _, rest, ok := charonPrefix(s); ok {
		s = rest
	} else if len(s) > 3 && s[0] >= '0' && s[0] <= '9' {
		// "12[IKE]" without the space is still a prefix
		if i := strings.IndexByte(s, ']'); i > 0 && i < 8 {
			s = s[i+1:]
		}
	}
	if strings.HasPrefix(s, "<") {
		if i := strings.IndexByte(s, '>'); i > 0 {
			s = s[i+1:]
		}
	}
	s = strings.TrimLeft(s, "| \t")
	if i := strings.IndexByte(s, ':'); i > 0 && i < 8 && allDigits(s[:i]) {
		s = strings.TrimLeft(s[i+1:], " \t")
	}
	pairs := 0
	for len(s) >= 2 && isHex(s[0]) && isHex(s[1]) {
		pairs++
		if len(s) == 2 || (s[2] != ' ' && s[2] != ':') {
			break
		}
		s = s[3:]
	}
	return pairs >= 4
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
