package diagnose

import (
	"net/netip"
	"strings"
)

// Traffic selectors come as this tool writes them ("TSi 198.19.1.0-
// 198.19.1.255 proto any port any", "IDci 198.19.1.0/24") and as gateways
// log them ("198.19.2.0/24", "198.19.2.0/24[tcp/80]", "dynamic"). The
// mirror check needs only their address ranges.

// selector reads one of this tool's selector strings: its name (TSi, TSr,
// IDci, IDcr) and its address range as a prefix, when it is one.
func selector(s string) (name string, p netip.Prefix, ok bool) {
	f := strings.Fields(s)
	if len(f) < 2 {
		return "", netip.Prefix{}, false
	}
	p, ok = parseRange(f[1])
	return f[0], p, ok
}

// parseRange reads "A/len", "A-B" (when it is a prefix) or a single
// address, dropping a "[proto/port]" suffix.
func parseRange(s string) (netip.Prefix, bool) {
	if i := strings.IndexByte(s, '['); i > 0 {
		s = s[:i]
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	lo, hi, found := strings.Cut(s, "-")
	if !found {
		return netip.Prefix{}, false
	}
	start, err1 := netip.ParseAddr(lo)
	end, err2 := netip.ParseAddr(hi)
	if err1 != nil || err2 != nil || start.BitLen() != end.BitLen() {
		return netip.Prefix{}, false
	}
	for bits := 0; bits <= start.BitLen(); bits++ {
		p := netip.PrefixFrom(start, bits)
		if p.Masked().Addr() == start && lastAddr(p) == end {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a.Unmap()
}

// coveredBy reports whether p lies within one of the configured selectors;
// a selector that is not an address range ("dynamic", a name) covers
// anything, as the check cannot tell.
func coveredBy(p netip.Prefix, configured []string) bool {
	for _, c := range configured {
		q, ok := parseRange(c)
		if !ok {
			return true
		}
		if q.Addr().BitLen() == p.Addr().BitLen() && q.Bits() <= p.Bits() && q.Contains(p.Addr()) {
			return true
		}
	}
	return false
}
