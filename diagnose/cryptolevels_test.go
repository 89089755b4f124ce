package diagnose

import (
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/correlate"
	"github.com/ipsecpcap/ipsecpcap/decode/isakmp"
)

func v2(typ uint8, id uint16) isakmp.Transform {
	return isakmp.Transform{Version: 2, Type: typ, ID: id}
}

func v1(attrs ...[2]uint64) isakmp.Transform {
	t := isakmp.Transform{Version: 1, Protocol: 1}
	for _, a := range attrs {
		t.Attributes = append(t.Attributes, isakmp.Attribute{Space: isakmp.SpaceV1Phase1, Type: uint16(a[0]), Short: true, Value: a[1]})
	}
	return t
}

// TestWeakCryptoLevels: WEAK_CRYPTO by RFC 8247's levels, for what was
// chosen (warning) and for what was only offered (info); HMAC-SHA1 is
// MUST-, named but not a reason on its own; strong suites raise nothing.
func TestWeakCryptoLevels(t *testing.T) {
	strong := []isakmp.Transform{v2(1, 12), v2(2, 5), v2(3, 12), v2(4, 14)}
	cases := []struct {
		name     string
		chosen   []isakmp.Transform
		offered  [][]isakmp.Transform
		severity Severity // "" when nothing is raised
		want     []string
	}{
		{"strong", strong, [][]isakmp.Transform{strong}, "", nil},
		{"SHA-1 alone is MUST-, not weak", []isakmp.Transform{v2(1, 12), v2(2, 2), v2(3, 2), v2(4, 14)}, nil, "", nil},
		{"3DES is MAY in IKEv2", []isakmp.Transform{v2(1, 3), v2(2, 5), v2(3, 12), v2(4, 19)}, nil, "", nil},
		{"DES and MODP-1024 chosen", []isakmp.Transform{v2(1, 2), v2(2, 2), v2(3, 2), v2(4, 2)}, nil, Warning,
			[]string{"ENCR=ENCR_DES (MUST NOT)", "KE=MODP_1024 (SHOULD NOT)", "PRF=PRF_HMAC_SHA1 (MUST-)", "to be retired"}},
		{"MD5 only offered", strong, [][]isakmp.Transform{{v2(1, 12), v2(2, 1), v2(3, 1), v2(4, 14)}, strong}, Info,
			[]string{"offers", "not chosen", "PRF=PRF_HMAC_MD5 (MUST NOT)", "INTEG=AUTH_HMAC_MD5_96 (MUST NOT)"}},
		{"IKEv1 MD5 and group 2", []isakmp.Transform{v1([2]uint64{1, 7}, [2]uint64{2, 1}, [2]uint64{4, 2})}, nil, Warning,
			[]string{"Hash-Algorithm=MD5 (MUST NOT)", "Group-Description=MODP_1024 (SHOULD NOT)"}},
		{"IKEv1 AES, SHA2-256, group 14", []isakmp.Transform{v1([2]uint64{1, 7}, [2]uint64{2, 4}, [2]uint64{4, 14})}, nil, "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sa := &correlate.IKESA{ID: 1, Phase1ChosenTransforms: c.chosen, Phase1OfferedTransforms: c.offered}
			fs := weak(sa, saBase(sa))
			if c.severity == "" {
				if len(fs) != 0 {
					t.Fatalf("raised %+v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Code != WeakCrypto || fs[0].Severity != c.severity {
				t.Fatalf("findings %+v, want one %s WEAK_CRYPTO", fs, c.severity)
			}
			for _, w := range c.want {
				if !strings.Contains(fs[0].Summary, w) {
					t.Errorf("%q not in %q", w, fs[0].Summary)
				}
			}
		})
	}
}
