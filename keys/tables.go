package keys

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// splitUAT splits one line of a Wireshark UAT file: comma-separated fields,
// each either bare or in double quotes with backslash escapes (\" \\ \xNN).
func splitUAT(line string) ([]string, error) {
	var out []string
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		var sb strings.Builder
		if i < len(line) && line[i] == '"' {
			i++
			closed := false
			for i < len(line) {
				c := line[i]
				if c == '"' {
					closed = true
					i++
					break
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'x':
						if i+2 < len(line) {
							if v, err := strconv.ParseUint(line[i+1:i+3], 16, 8); err == nil {
								sb.WriteByte(byte(v))
								i += 3
								continue
							}
						}
						return nil, errors.New("bad \\x escape in a quoted field")
					default:
						sb.WriteByte(line[i])
					}
					i++
					continue
				}
				sb.WriteByte(c)
				i++
			}
			if !closed {
				return nil, errors.New("unterminated quoted field")
			}
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			out = append(out, sb.String())
			if i >= len(line) {
				return out, nil
			}
			if line[i] != ',' {
				return nil, fmt.Errorf("unexpected character after quoted field %d", len(out))
			}
			i++
			continue
		}
		j := strings.IndexByte(line[i:], ',')
		if j < 0 {
			out = append(out, strings.TrimSpace(line[i:]))
			return out, nil
		}
		out = append(out, strings.TrimSpace(line[i:i+j]))
		i += j + 1
	}
}

// parseKey reads a hexadecimal key ("0x" optional, may be empty). The error
// never contains the value.
func parseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	if s == "<unknown>" {
		return nil, nil
	}
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if s == "" {
		return nil, nil
	}
	if len(s)%2 != 0 {
		return nil, fmt.Errorf("odd number of hexadecimal digits (%d)", len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not hexadecimal (%d characters)", len(s))
	}
	return Key(b), nil
}

func parseSPI8(s string) (isakmp.SPI, error) {
	var spi isakmp.SPI
	s = strings.TrimPrefix(strings.TrimSpace(s), "0x")
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 8 {
		return spi, errors.New("an IKE SPI must be 16 hexadecimal digits")
	}
	copy(spi[:], b)
	return spi, nil
}

type lineErr struct {
	path string
	errs []error
}

func (l *lineErr) add(line int, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.path, Line: line, Reason: fmt.Sprintf(format, args...)})
}

// forLines calls fn for each non-comment line with its fields.
func forLines(path, text string, le *lineErr, fn func(line int, f []string)) {
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		f, err := splitUAT(line)
		if err != nil {
			le.add(n+1, "%v", err)
			continue
		}
		fn(n+1, f)
	}
}

func (s *Store) parseIKEv1Table(path, text string) []error {
	le := &lineErr{path: path}
	forLines(path, text, le, func(line int, f []string) {
		if len(f) != 2 {
			le.add(line, "ikev1_decryption_table: want 2 fields (initiator cookie, encryption key), have %d", len(f))
			return
		}
		c, err := parseSPI8(f[0])
		if err != nil {
			le.add(line, "initiator cookie: %v", err)
			return
		}
		k, err := parseKey(f[1])
		if err != nil {
			le.add(line, "encryption key: %v", err)
			return
		}
		if len(k) == 0 {
			le.add(line, "encryption key is empty")
			return
		}
		s.AddIKEv1(&IKEv1Keys{ICookie: c, EncKey: k, Source: fmt.Sprintf("%s:%d", path, line)})
	})
	return le.errs
}

var ikev2Cols = []string{"SPIi", "SPIr", "SK_ei", "SK_er", "encryption algorithm", "SK_ai", "SK_ar", "integrity algorithm"}

func (s *Store) parseIKEv2Table(path, text string) []error {
	le := &lineErr{path: path}
	forLines(path, text, le, func(line int, f []string) {
		if len(f) != 8 {
			le.add(line, "ikev2_decryption_table: want 8 fields (SPIi, SPIr, SK_ei, SK_er, encryption, SK_ai, SK_ar, integrity), have %d", len(f))
			return
		}
		k := &IKEv2Keys{Source: fmt.Sprintf("%s:%d", path, line)}
		var err error
		if k.SPIi, err = parseSPI8(f[0]); err != nil {
			le.add(line, "SPIi: %v", err)
			return
		}
		if k.SPIr, err = parseSPI8(f[1]); err != nil {
			le.add(line, "SPIr: %v", err)
			return
		}
		for i, dst := range map[int]*Key{2: &k.SKei, 3: &k.SKer, 5: &k.SKai, 6: &k.SKar} {
			if *dst, err = parseKey(f[i]); err != nil {
				le.add(line, "%s: %v", ikev2Cols[i], err)
				return
			}
		}
		var ok bool
		if k.Encr, ok = ParseEncryption(f[4]); !ok {
			le.add(line, "%s", Refusal("encryption", f[4]))
			return
		}
		if k.Integ, ok = ParseIntegrity(f[7], 0); !ok {
			le.add(line, "%s", Refusal("integrity", f[7]))
			return
		}
		s.AddIKEv2(k)
	})
	return le.errs
}

// parseAddrPattern reads an address column of esp_sa: "*" (or empty) is any
// address; an address or a prefix otherwise (Wireshark also allows a
// trailing "*" wildcard on a dotted address, e.g. "192.168.0.*").
func parseAddrPattern(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" {
		return netip.Prefix{}, nil
	}
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	if strings.HasSuffix(s, ".*") {
		parts := strings.Split(s, ".")
		fixed := 0
		for fixed < len(parts) && parts[fixed] != "*" {
			fixed++
		}
		for len(parts) < 4 {
			parts = append(parts, "*")
		}
		for i := range parts {
			if parts[i] == "*" {
				parts[i] = "0"
			}
		}
		a, err := netip.ParseAddr(strings.Join(parts[:4], "."))
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, fixed*8), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func parseSPI32(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"), 16, 32)
	if err != nil {
		return 0, errors.New("an ESP SPI must be up to 8 hexadecimal digits")
	}
	return uint32(v), nil
}

func (s *Store) parseESPTable(path, text string) []error {
	le := &lineErr{path: path}
	forLines(path, text, le, func(line int, f []string) {
		if len(f) < 8 {
			le.add(line, "esp_sa: want 8 fields (protocol, source, destination, SPI, encryption, key, authentication, key), have %d", len(f))
			return
		}
		k := &ESPKeys{Source: fmt.Sprintf("%s:%d", path, line)}
		var err error
		if k.Src, err = parseAddrPattern(f[1]); err != nil {
			le.add(line, "source address %s: not an address, prefix or *", safe(f[1]))
			return
		}
		if k.Dst, err = parseAddrPattern(f[2]); err != nil {
			le.add(line, "destination address %s: not an address, prefix or *", safe(f[2]))
			return
		}
		if k.SPI, err = parseSPI32(f[3]); err != nil {
			le.add(line, "SPI: %v", err)
			return
		}
		var ok bool
		if k.Encr, ok = ParseEncryption(f[4]); !ok {
			le.add(line, "%s", Refusal("encryption", f[4]))
			return
		}
		if k.EncKey, err = parseKey(f[5]); err != nil {
			le.add(line, "encryption key: %v", err)
			return
		}
		if k.Integ, ok = ParseIntegrity(f[6], 0); !ok {
			le.add(line, "%s", Refusal("authentication", f[6]))
			return
		}
		if k.IntegKey, err = parseKey(f[7]); err != nil {
			le.add(line, "authentication key: %v", err)
			return
		}
		s.AddESP(k)
	})
	return le.errs
}

// parseXfrm reads "ip xfrm state" output:
//
//	src 198.18.1.1 dst 198.18.1.2
//		proto esp spi 0xc1a2b3c4 reqid 1 mode tunnel
//		replay-window 0 flag af-unspec esn
//		auth-trunc hmac(sha256) 0x... 128
//		enc cbc(aes) 0x...
//		aead rfc4106(gcm(aes)) 0x... 128
func (s *Store) parseXfrm(path, text string) []error {
	le := &lineErr{path: path}
	var cur *ESPKeys
	curLine := 0
	esp := false
	flush := func() {
		if cur != nil && esp {
			if cur.Encr.Cipher == CipherUnknown {
				le.add(curLine, "ESP SA without an enc or aead line")
			} else {
				if cur.Integ.Alg == IntegUnknown {
					cur.Integ = Integrity{Alg: IntegNone, Name: "none"}
				}
				s.AddESP(cur)
			}
		}
		cur, esp = nil, false
	}
	for n, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch {
		case f[0] == "src" && len(f) >= 4 && f[2] == "dst":
			flush()
			src, err1 := netip.ParseAddr(f[1])
			dst, err2 := netip.ParseAddr(f[3])
			if err1 != nil || err2 != nil {
				le.add(n+1, "src/dst: not addresses")
				continue
			}
			cur = &ESPKeys{Src: netip.PrefixFrom(src, src.BitLen()), Dst: netip.PrefixFrom(dst, dst.BitLen()), Source: fmt.Sprintf("%s:%d", path, n+1)}
			curLine = n + 1
		case cur == nil:
		case f[0] == "proto":
			esp = len(f) >= 4 && f[1] == "esp" && f[2] == "spi"
			if esp {
				spi, err := parseSPI32(f[3])
				if err != nil {
					le.add(n+1, "SPI: %v", err)
					esp = false
					continue
				}
				cur.SPI = spi
			}
		case f[0] == "replay-window" || f[0] == "flag":
			for _, w := range f {
				if w == "esn" {
					cur.ESN = true
				}
			}
		case f[0] == "enc" || f[0] == "aead" || f[0] == "auth" || f[0] == "auth-trunc":
			if len(f) < 3 {
				le.add(n+1, "%s: want an algorithm and a key", f[0])
				continue
			}
			key, err := parseKey(f[2])
			if err != nil {
				le.add(n+1, "%s key: %v", f[0], err)
				continue
			}
			bits := 0
			if len(f) >= 4 {
				bits, _ = strconv.Atoi(f[3])
			}
			switch f[0] {
			case "enc", "aead":
				e, ok := ParseEncryption(f[1])
				if !ok {
					le.add(n+1, "%s", Refusal("encryption", f[1]))
					continue
				}
				if f[0] == "aead" && bits > 0 {
					e.ICVLen = bits / 8
				}
				cur.Encr, cur.EncKey = e, key
			default:
				if f[0] == "auth" && bits == 0 {
					bits = 96 // "auth" without truncation: the kernel's default for hmac(sha1)/hmac(md5)
				}
				i, ok := ParseIntegrity(f[1], bits)
				if !ok {
					le.add(n+1, "%s", Refusal("authentication", f[1]))
					continue
				}
				cur.Integ, cur.IntegKey = i, key
			}
		}
	}
	flush()
	return le.errs
}

var reHexRun = regexp.MustCompile(`[0-9a-fA-F]{8,}`)

// safe quotes a field for an error message unless it may be key material
// (a run of 8 or more hexadecimal digits, e.g. a key in the wrong column).
func safe(s string) string {
	if reHexRun.MatchString(s) {
		return fmt.Sprintf("(%d characters, not shown: they may be key material)", len(s))
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}
