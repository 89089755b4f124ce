package diagnose

import (
	"fmt"
	"strings"
)

// Proposals are written three ways: this tool's transform strings
// ("ENCR=ENCR_AES_CBC_128, INTEG=AUTH_HMAC_SHA2_256_128"; IKEv1 attribute
// lists "Encryption-Algorithm=AES-CBC Key-Length=128 …"), charon's
// ("IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048") and
// pluto's ("1:ESP=AES_CBC_128-HMAC_SHA2_256_128-NONE"). To say where an
// offer and a configuration differ they are read into one vocabulary,
// charon's, by kind of algorithm.

// algKind is a kind of transform.
type algKind string

const (
	algEncr  algKind = "encryption"
	algInteg algKind = "integrity"
	algPRF   algKind = "PRF"
	algKE    algKind = "DH group"
	algESN   algKind = "ESN"
)

var algKinds = []algKind{algEncr, algInteg, algPRF, algKE, algESN}

// algSet is one proposal's algorithms by kind.
type algSet map[algKind][]string

// parseProposal reads a proposal in any of the three notations; nil when
// nothing in it is recognised.
func parseProposal(s string) algSet {
	set := algSet{}
	add := func(k algKind, v string) {
		for _, have := range set[k] {
			if have == v {
				return
			}
		}
		set[k] = append(set[k], v)
	}
	s = strings.TrimSpace(s)
	// pluto's "1:ESP=…" / "1:IKE:ENCR=…", charon's "IKE:…" / "ESP:…"
	if i := strings.IndexAny(s, ":="); i > 0 && allDigits(s[:i]) {
		s = s[i+1:]
	}
	for _, p := range []string{"IKE:", "ESP:", "AH:", "IKE=", "ESP=", "AH="} {
		s = strings.TrimPrefix(s, p)
	}
	var keyLen string
	var encr string
	var v1Hash string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == ',' || r == ' ' || r == ';' }) {
		key, val, kv := strings.Cut(f, "=")
		if !kv {
			val, key = f, ""
		}
		switch key {
		case "Key-Length":
			keyLen = val
			continue
		case "Encryption-Algorithm":
			encr = v1Name(val)
			continue
		case "Hash-Algorithm":
			v1Hash = v1Name(val)
			continue
		case "Authentication-Algorithm":
			add(algInteg, v1Integ(v1Name(val)))
			continue
		case "Group-Description":
			add(algKE, val)
			continue
		case "ENCR", "INTEG", "PRF", "KE", "DH", "ESN", "":
		default:
			continue // Life-Type, Encapsulation-Mode, Authentication-Method ...
		}
		if key == "" && strings.HasPrefix(val, "ESP_") {
			// an IKEv1 ESP transform ID: "ESP_AES-CBC"
			encr = v1Name(strings.TrimPrefix(val, "ESP_"))
			continue
		}
		if !kv && strings.Contains(val, "-") && !strings.Contains(val, "_") {
			continue
		}
		for _, part := range splitPluto(val) {
			k, name := classify(key, part)
			if k != "" {
				add(k, name)
			}
		}
	}
	if encr != "" {
		if keyLen != "" {
			encr += "_" + keyLen
		}
		add(algEncr, encr)
	}
	if v1Hash != "" {
		add(algInteg, v1Integ(v1Hash))
		add(algPRF, "PRF_HMAC_"+v1Hash)
	}
	if len(set) == 0 {
		return nil
	}
	return set
}

// splitPluto splits pluto's "AES_CBC_128-HMAC_SHA2_256_128-NONE" (names
// joined with '-'); other names come through whole.
func splitPluto(v string) []string {
	if strings.Count(v, "-") > 0 && strings.Contains(v, "_") {
		return strings.Split(v, "-")
	}
	return []string{v}
}

// classify names one algorithm in charon's vocabulary and its kind.
func classify(key, v string) (algKind, string) {
	u := strings.ToUpper(v)
	switch key {
	case "ENCR":
		return algEncr, strings.TrimPrefix(u, "ENCR_")
	case "INTEG":
		return algInteg, strings.TrimPrefix(u, "AUTH_")
	case "PRF":
		return algPRF, u
	case "KE", "DH":
		return algKE, keName(u)
	case "ESN":
		return algESN, esnName(u)
	}
	switch {
	case u == "NO_EXT_SEQ" || u == "EXT_SEQ" || u == "NO_ESN" || u == "ESN" || u == "ENABLED" || u == "DISABLED" || u == "ENABLED+DISABLED":
		return algESN, esnName(u)
	case strings.HasPrefix(u, "PRF_"):
		return algPRF, u
	case strings.HasPrefix(u, "MODP") || strings.HasPrefix(u, "ECP") || strings.HasPrefix(u, "CURVE") ||
		strings.HasPrefix(u, "X25519") || strings.HasPrefix(u, "X448") ||
		strings.HasPrefix(u, "DH") || u == "NONE" || strings.HasPrefix(u, "ML_KEM") || strings.HasPrefix(u, "BRAINPOOL"):
		return algKE, keName(u)
	case strings.HasPrefix(u, "AUTH_") || strings.HasPrefix(u, "HMAC_") || strings.HasPrefix(u, "AES_XCBC") || strings.HasPrefix(u, "AES_CMAC") || strings.HasPrefix(u, "AES_GMAC"):
		return algInteg, strings.TrimPrefix(u, "AUTH_")
	case strings.HasPrefix(u, "ENCR_") || strings.HasPrefix(u, "AES") || strings.HasPrefix(u, "3DES") || strings.HasPrefix(u, "DES") ||
		strings.HasPrefix(u, "CHACHA") || strings.HasPrefix(u, "CAMELLIA") || strings.HasPrefix(u, "BLOWFISH") || strings.HasPrefix(u, "CAST") || u == "NULL":
		return algEncr, strings.TrimPrefix(u, "ENCR_")
	}
	return "", ""
}

func keName(u string) string {
	switch u {
	case "NONE", "NO_KE":
		return "none"
	case "CURVE25519", "X25519":
		return "CURVE_25519"
	case "CURVE448", "X448":
		return "CURVE_448"
	}
	if strings.HasPrefix(u, "MODP") && !strings.HasPrefix(u, "MODP_") {
		return "MODP_" + strings.TrimPrefix(u, "MODP") // pluto's MODP2048
	}
	return u // pluto's DH19 and others: as written
}

func esnName(u string) string {
	switch u {
	case "NO_ESN", "DISABLED", "NO_EXT_SEQ":
		return "NO_EXT_SEQ"
	case "ESN", "ENABLED", "EXT_SEQ":
		return "EXT_SEQ"
	}
	return u
}

// v1Name reads an IKEv1 attribute value ("AES-CBC", "SHA2-256") as charon
// writes it ("AES_CBC", "SHA2_256").
func v1Name(v string) string {
	u := strings.ToUpper(strings.ReplaceAll(v, "-", "_"))
	switch u {
	case "SHA", "SHA1", "HMAC_SHA", "HMAC_SHA1":
		return "SHA1"
	}
	return strings.TrimPrefix(u, "HMAC_")
}

// v1Integ is charon's integrity name for an IKEv1 hash or authentication
// algorithm, with the truncation IKEv1 implies.
func v1Integ(h string) string {
	switch h {
	case "MD5":
		return "HMAC_MD5_96"
	case "SHA1":
		return "HMAC_SHA1_96"
	case "SHA2_256":
		return "HMAC_SHA2_256_128"
	case "SHA2_384":
		return "HMAC_SHA2_384_192"
	case "SHA2_512":
		return "HMAC_SHA2_512_256"
	}
	return "HMAC_" + h
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// proposalDiff says where the closest pair of an offered and a configured
// proposal differ, kind by kind ("encryption: offered AES_CBC_256,
// configured AES_CBC_128"), with the indexes of the offered and configured
// proposals that were compared; "" when the lists cannot be read or agree
// on every kind both name.
func proposalDiff(offered, configured []string) (diff string, oi, ci int) {
	best := -1
	for i, o := range offered {
		os := parseProposal(o)
		if os == nil {
			continue
		}
		for j, c := range configured {
			cs := parseProposal(c)
			if cs == nil {
				continue
			}
			parts := kindDiffs(os, cs)
			if best < 0 || len(parts) < best {
				best, oi, ci = len(parts), i, j
				diff = strings.Join(parts, "; ")
			}
		}
	}
	if best < 0 {
		return "", -1, -1
	}
	return diff, oi, ci
}

// kindDiffs lists the kinds on which two proposals share no algorithm. A
// kind only one side names counts only for the DH group (PFS on one side,
// none on the other); "none" stands for no group.
func kindDiffs(offered, configured algSet) []string {
	var out []string
	for _, k := range algKinds {
		o, c := offered[k], configured[k]
		if k == algKE {
			if len(o) == 0 {
				o = []string{"none"}
			}
			if len(c) == 0 {
				c = []string{"none"}
			}
		}
		if len(o) == 0 || len(c) == 0 || intersects(o, c) {
			continue
		}
		out = append(out, fmt.Sprintf("%s: offered %s, configured %s", k, strings.Join(o, " "), strings.Join(c, " ")))
	}
	return out
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y || x == "EXT_SEQ" && y == "ENABLED+DISABLED" || y == "EXT_SEQ" && x == "ENABLED+DISABLED" ||
				x == "NO_EXT_SEQ" && y == "ENABLED+DISABLED" || y == "NO_EXT_SEQ" && x == "ENABLED+DISABLED" {
				return true
			}
		}
	}
	return false
}
