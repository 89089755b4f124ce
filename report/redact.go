package report

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// redactor replaces IP addresses consistently: the same address always gets
// the same placeholder, and addresses of one IPv4 /24 (IPv6 /64) get
// placeholders in one placeholder subnet, so that "same LAN" stays
// recognisable. IPv4 a.b.c.d becomes 10.x.y.d, where x.y numbers the /24s in
// order; IPv6 becomes fd00::k:n (k numbers the /64s, n the hosts in it).
type redactor struct {
	addrs   map[netip.Addr]netip.Addr
	nets4   map[[3]byte]int
	nets6   map[[8]byte]int
	hosts6  map[[8]byte]int
	planned bool
}

func newRedactor() *redactor {
	return &redactor{addrs: map[netip.Addr]netip.Addr{}, nets4: map[[3]byte]int{}, nets6: map[[8]byte]int{}, hosts6: map[[8]byte]int{}}
}

// seed assigns placeholders to every address in b in sorted order, so that
// the mapping does not depend on the format.
func (r *redactor) seed(b []byte) {
	var found []netip.Addr
	scanAddrs(b, func(a netip.Addr) netip.Addr { found = append(found, a); return a })
	slices.SortFunc(found, func(x, y netip.Addr) int { return x.Compare(y) })
	for _, a := range slices.Compact(found) {
		r.placeholder(a)
	}
}

func (r *redactor) placeholder(a netip.Addr) netip.Addr {
	a = a.Unmap().WithZone("")
	if p, ok := r.addrs[a]; ok {
		return p
	}
	var p netip.Addr
	if a.Is4() {
		b := a.As4()
		key := [3]byte{b[0], b[1], b[2]}
		k, ok := r.nets4[key]
		if !ok {
			k = len(r.nets4) + 1
			r.nets4[key] = k
		}
		p = netip.AddrFrom4([4]byte{10, byte(k >> 8), byte(k), b[3]})
	} else {
		b := a.As16()
		var key [8]byte
		copy(key[:], b[:8])
		k, ok := r.nets6[key]
		if !ok {
			k = len(r.nets6) + 1
			r.nets6[key] = k
		}
		r.hosts6[key]++
		n := r.hosts6[key]
		p = netip.MustParseAddr(fmt.Sprintf("fd00::%x:%x", k, n))
	}
	r.addrs[a] = p
	return p
}

// apply replaces every address in b.
func (r *redactor) apply(b []byte) []byte {
	return scanAddrs(b, r.placeholder)
}

// isAddrByte is a byte that may appear in a textual IPv4 or IPv6 address.
func isAddrByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':'
}

// scanAddrs finds the IP addresses in b (alone, or as address:port) and
// replaces each with f's result.
func scanAddrs(b []byte, f func(netip.Addr) netip.Addr) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if !isAddrByte(b[i]) {
			out = append(out, b[i])
			i++
			continue
		}
		j := i
		for j < len(b) && isAddrByte(b[j]) {
			j++
		}
		out = append(out, replaceRun(string(b[i:j]), f)...)
		i = j
	}
	return out
}

// replaceRun replaces the addresses in a run of address characters: the whole
// run, the run without trailing dots or colons, an address:port, or the
// dotted quads inside it.
func replaceRun(run string, f func(netip.Addr) netip.Addr) string {
	core, tail := run, ""
	for len(core) > 0 && (core[len(core)-1] == '.' || core[len(core)-1] == ':') {
		core, tail = core[:len(core)-1], core[len(core)-1:]+tail
	}
	if a, err := netip.ParseAddr(core); err == nil && (a.Is4() || countColons(core) >= 2) {
		return f(a).String() + tail
	}
	if ap, err := netip.ParseAddrPort(core); err == nil && ap.Addr().Is4() {
		return netip.AddrPortFrom(f(ap.Addr()), ap.Port()).String() + tail
	}
	// Dotted quads glued to other characters ("0x1.2.3.4" is not one, but be
	// safe): replace each maximal digits-and-dots part that parses.
	res := []byte{}
	for i := 0; i < len(run); {
		if run[i] < '0' || run[i] > '9' {
			res = append(res, run[i])
			i++
			continue
		}
		j := i
		for j < len(run) && (run[j] >= '0' && run[j] <= '9' || run[j] == '.') {
			j++
		}
		res = append(res, replaceQuads(run[i:j], f)...)
		i = j
	}
	return string(res)
}

// replaceQuads replaces the dotted quads in a run of digits and dots,
// which runs of dots may join: charon writes an address pair
// "198.18.1.2...198.18.1.1".
func replaceQuads(s string, f func(netip.Addr) netip.Addr) string {
	var out strings.Builder
	for s != "" {
		dots := len(s) - len(strings.TrimLeft(s, "."))
		out.WriteString(s[:dots])
		s = s[dots:]
		end := strings.Index(s, "..")
		if end < 0 {
			end = len(s)
		}
		part := strings.TrimRight(s[:end], ".")
		if a, err := netip.ParseAddr(part); err == nil && a.Is4() {
			out.WriteString(f(a).String())
		} else {
			out.WriteString(part)
		}
		s = s[len(part):]
	}
	return out.String()
}

func countColons(s string) int {
	n := 0
	for i := range len(s) {
		if s[i] == ':' {
			n++
		}
	}
	return n
}
