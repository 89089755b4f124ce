package diagnose

import (
	"testing"
)

// TestProposalDiff: offers in this tool's IKEv2 and IKEv1 notations are
// compared with charon's and pluto's configured proposals kind by kind,
// and the difference named; agreeing proposals give none.
func TestProposalDiff(t *testing.T) {
	for _, c := range []struct {
		name                 string
		offered, configured  []string
		want                 string
		wantOffer, wantConfd int
	}{
		{"v2 encryption", []string{"ENCR=ENCR_AES_CBC_128, INTEG=AUTH_HMAC_SHA2_256_128, PRF=PRF_HMAC_SHA2_256, KE=MODP_2048"},
			[]string{"IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"}, "encryption: offered AES_CBC_128, configured AES_CBC_256", 0, 0},
		{"v2 agrees", []string{"ENCR=ENCR_AES_CBC_128, INTEG=AUTH_HMAC_SHA2_256_128, PRF=PRF_HMAC_SHA2_256, KE=MODP_2048"},
			[]string{"IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"}, "", 0, 0},
		{"v1 phase 1 hash", []string{"KEY_IKE Encryption-Algorithm=AES-CBC Key-Length=128 Hash-Algorithm=SHA Group-Description=MODP_2048 Authentication-Method=PSK"},
			[]string{"IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048"}, "integrity: offered HMAC_SHA1_96, configured HMAC_SHA2_256_128; PRF: offered PRF_HMAC_SHA1, configured PRF_HMAC_SHA2_256", 0, 0},
		{"v1 PFS group", []string{"ESP_AES-CBC Key-Length=128 Authentication-Algorithm=HMAC-SHA2-256 Group-Description=MODP_2048 Encapsulation-Mode=Tunnel"},
			[]string{"ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_3072/NO_EXT_SEQ"}, "DH group: offered MODP_2048, configured MODP_3072", 0, 0},
		{"PFS on one side", []string{"ENCR=ENCR_AES_CBC_128, INTEG=AUTH_HMAC_SHA2_256_128, ESN=NO_ESN"},
			[]string{"ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ"}, "DH group: offered none, configured MODP_2048", 0, 0},
		{"closest of several", []string{"ENCR=ENCR_3DES, INTEG=AUTH_HMAC_MD5_96, ESN=NO_ESN", "ENCR=ENCR_AES_CBC_128, INTEG=AUTH_HMAC_SHA1_96, ESN=NO_ESN"},
			[]string{"ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"}, "integrity: offered HMAC_SHA1_96, configured HMAC_SHA2_256_128", 1, 0},
		{"pluto notation", []string{"ENCR=ENCR_AES_GCM_16_256, ESN=NO_ESN"},
			[]string{"1:ESP=AES_CBC_128-HMAC_SHA2_256_128-NONE-ENABLED+DISABLED"}, "encryption: offered AES_GCM_16_256, configured AES_CBC_128", 0, 0},
		{"unreadable", []string{"???"}, []string{"aes256-sha256!"}, "", -1, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, oi, ci := proposalDiff(c.offered, c.configured)
			if got != c.want || oi != c.wantOffer || ci != c.wantConfd {
				t.Errorf("proposalDiff = %q (%d, %d), want %q (%d, %d)", got, oi, ci, c.want, c.wantOffer, c.wantConfd)
			}
		})
	}
}

// TestSelectorCover: the mirror check reads this tool's selectors and the
// gateways' configured ones, ranges and prefixes alike.
func TestSelectorCover(t *testing.T) {
	for _, c := range []struct {
		ts         string
		configured []string
		want       bool
	}{
		{"TSi 198.19.1.0-198.19.1.255 proto any port any", []string{"198.19.1.0/24"}, true},
		{"TSi 198.19.1.0-198.19.1.255 proto any port any", []string{"198.19.3.0/24"}, false},
		{"IDci 198.19.1.0/24", []string{"198.19.0.0/16"}, true},
		{"IDci 198.19.0.0/16", []string{"198.19.1.0/24"}, false},
		{"TSr 198.19.2.7-198.19.2.7 proto 6 port 80", []string{"198.19.2.0/24[tcp/80]"}, true},
		{"TSr 2001:db8::-2001:db8::ffff:ffff:ffff:ffff proto any port any", []string{"2001:db8::/64"}, true},
		{"TSr 198.19.2.0/24", []string{"dynamic"}, true},
	} {
		_, p, ok := selector(c.ts)
		if !ok {
			t.Errorf("%q not read", c.ts)
			continue
		}
		if got := coveredBy(p, c.configured); got != c.want {
			t.Errorf("%s covered by %v = %v, want %v", c.ts, c.configured, got, c.want)
		}
	}
}

// FuzzProposalDiff: proposals read from a log are foreign input; no
// string panics the reading, and a difference names only proposals that
// exist.
func FuzzProposalDiff(f *testing.F) {
	f.Add("ENCR=ENCR_AES_CBC_128, INTEG=AUTH_HMAC_SHA2_256_128, KE=MODP_2048", "IKE:AES_CBC_256/HMAC_SHA2_256_128/MODP_2048")
	f.Add("KEY_IKE Encryption-Algorithm=AES-CBC Key-Length=128 Hash-Algorithm=SHA", "1:IKE=AES_CBC_128-HMAC_SHA2_256-NONE")
	f.Add("1:ESP:ENCR=AES_GCM_C_256;ESN=DISABLED", "=:=-")
	f.Fuzz(func(t *testing.T, offered, configured string) {
		o, c := []string{offered, offered + "," + configured}, []string{configured}
		d, oi, ci := proposalDiff(o, c)
		if d != "" && (oi < 0 || oi >= len(o) || ci < 0 || ci >= len(c)) {
			t.Fatalf("difference %q names proposals %d, %d", d, oi, ci)
		}
		withoutKE(c)
		_, p, ok := selector(offered)
		if ok {
			coveredBy(p, c)
		}
	})
}
