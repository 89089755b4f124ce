package diagnose

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

// Requirement levels of RFC 8247 ("Algorithm Implementation Requirements
// and Usage Guidance for IKEv2"), sections 3.1 to 3.4. WEAK_CRYPTO names
// each algorithm with its level, for what the responder chose and for what
// the initiator offered: HMAC-SHA1 is MUST- there (still required, to be
// retired), not "deprecated"; DES and MD5 are MUST NOT, 1024-bit MODP is
// SHOULD NOT. IKEv1 algorithms are judged by their IKEv2 equivalents.
const (
	levelMust      = "MUST"
	levelShouldP   = "SHOULD+"
	levelShould    = "SHOULD"
	levelMustM     = "MUST-"
	levelMay       = "MAY"
	levelShouldNot = "SHOULD NOT"
	levelMustNot   = "MUST NOT"
)

// IKEv2 transform types (RFC 7296 section 3.3.2), as table keys.
const (
	transformEncr  = uint16(isakmp.TransformEncr)
	transformPRF   = uint16(isakmp.TransformPRF)
	transformInteg = uint16(isakmp.TransformInteg)
	transformKE    = uint16(isakmp.TransformKE)
)

// rfc8247 is the level of each algorithm RFC 8247 lists, by IKEv2
// transform type and ID; an algorithm it does not list has none.
var rfc8247 = map[[2]uint16]string{
	// 3.1.1 Encryption (ENCR_AES_CBC 12, ENCR_CHACHA20_POLY1305 28,
	// AES-GCM 16-octet ICV 20, ENCR_AES_CCM_8 14, ENCR_3DES 3, ENCR_DES 2)
	{transformEncr, 12}: levelMust, {transformEncr, 28}: levelShould, {transformEncr, 20}: levelShould,
	{transformEncr, 14}: levelShould, {transformEncr, 3}: levelMay, {transformEncr, 2}: levelMustNot,
	// 3.2 PRF (SHA2_256 5, SHA2_512 7, SHA1 2, AES128_XCBC 4, MD5 1)
	{transformPRF, 5}: levelMust, {transformPRF, 7}: levelShouldP, {transformPRF, 2}: levelMustM,
	{transformPRF, 4}: levelShould, {transformPRF, 1}: levelMustNot,
	// 3.3 Integrity (SHA2_256_128 12, SHA2_512_256 14, SHA1_96 2,
	// AES_XCBC_96 5, MD5_96 1, DES_MAC 3, KPDK_MD5 4)
	{transformInteg, 12}: levelMust, {transformInteg, 14}: levelShould, {transformInteg, 2}: levelMustM,
	{transformInteg, 5}: levelShould, {transformInteg, 1}: levelMustNot, {transformInteg, 3}: levelMustNot,
	{transformInteg, 4}: levelMustNot,
	// 3.4 Diffie-Hellman groups
	{transformKE, 14}: levelMust, {transformKE, 19}: levelShould, {transformKE, 5}: levelShouldNot,
	{transformKE, 2}: levelShouldNot, {transformKE, 1}: levelMustNot, {transformKE, 22}: levelShouldNot,
	{transformKE, 23}: levelShouldNot, {transformKE, 24}: levelShouldNot,
}

// v1Equivalent maps an IKEv1 phase-1 attribute (RFC 2409 appendix A) to the
// IKEv2 transform RFC 8247 judges: encryption DES 1, 3DES 5, AES-CBC 7;
// hash MD5 1, SHA 2, SHA2-256 4, SHA2-512 6 (the PRF built on them); group.
func v1Equivalent(a isakmp.Attribute) (typ, id uint16, ok bool) {
	switch a.Type {
	case isakmp.AttrV1Encryption:
		id, ok = map[uint64]uint16{1: 2, 5: 3, 7: 12}[a.Value]
		return transformEncr, id, ok
	case isakmp.AttrV1Hash:
		id, ok = map[uint64]uint16{1: 1, 2: 2, 4: 5, 6: 7}[a.Value]
		return transformPRF, id, ok
	case isakmp.AttrV1Group:
		return transformKE, uint16(a.Value), true
	}
	return 0, 0, false
}

// leveled is an algorithm as shown and its RFC 8247 level.
type leveled struct {
	name, level string
}

// levels lists a transform's algorithms that RFC 8247 gives a level.
func levels(t *isakmp.Transform) []leveled {
	var out []leveled
	if t.Version == 2 {
		if l, ok := rfc8247[[2]uint16{uint16(t.Type), t.ID}]; ok {
			out = append(out, leveled{t.String(), l})
		}
		return out
	}
	for _, a := range t.Attributes {
		if typ, id, ok := v1Equivalent(a); ok {
			if l, ok := rfc8247[[2]uint16{typ, id}]; ok {
				out = append(out, leveled{a.String(), l})
			}
		}
	}
	return out
}

// retired reports whether RFC 8247 says not to use an algorithm.
func retired(level string) bool { return level == levelMustNot || level == levelShouldNot }

// weak flags phase-1 algorithms RFC 8247 says not to use: a warning when
// the responder chose one, information when only the initiator offered
// one (the peers agreed on better, but the offer would let a downgrade
// through). Algorithms at MUST- that were chosen are named beside them.
func weak(sa *correlate.IKESA, base baseFunc) []Finding {
	var chosen, soon []string
	for i := range sa.Phase1ChosenTransforms {
		for _, l := range levels(&sa.Phase1ChosenTransforms[i]) {
			switch {
			case retired(l.level):
				chosen = appendOnce(chosen, fmt.Sprintf("%s (%s)", l.name, l.level))
			case l.level == levelMustM:
				soon = appendOnce(soon, fmt.Sprintf("%s (%s)", l.name, l.level))
			}
		}
	}
	var offered []string
	for _, prop := range sa.Phase1OfferedTransforms {
		for i := range prop {
			for _, l := range levels(&prop[i]) {
				if s := fmt.Sprintf("%s (%s)", l.name, l.level); retired(l.level) && !slices.Contains(chosen, s) {
					offered = appendOnce(offered, s)
				}
			}
		}
	}
	switch {
	case len(chosen) > 0:
		s := "phase 1 uses algorithms RFC 8247 says not to use: " + strings.Join(chosen, ", ")
		if len(soon) > 0 {
			s += "; and " + strings.Join(soon, ", ") + ", still required but to be retired"
		}
		if len(offered) > 0 {
			s += "; also offered: " + strings.Join(offered, ", ")
		}
		f := base(WeakCrypto, Warning, Certain, s, sa.FirstFrame)
		f.Causes = []Cause{{"old defaults kept for interoperability", "RFC 8247 (IKEv2 algorithm requirements) rates DES and MD5 MUST NOT and MODP groups below 2048 bits SHOULD NOT; RFC 8221 does the same for ESP"}}
		return []Finding{f}
	case len(offered) > 0:
		f := base(WeakCrypto, Info, Certain, "phase 1 offers algorithms RFC 8247 says not to use, though they were not chosen: "+strings.Join(offered, ", "), sa.FirstFrame)
		f.Causes = []Cause{{"a proposal list kept wide for old peers", "the peers agreed on better algorithms, but a responder that prefers these (or an attacker in the path of an IKEv1 Aggressive Mode) could pick them"}}
		return []Finding{f}
	}
	return nil
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
