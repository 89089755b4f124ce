package report

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/decrypt"
	"github.com/ipsecpcap/ipsecpcap/gwlog"
	"github.com/ipsecpcap/ipsecpcap/keys"
	"github.com/ipsecpcap/ipsecpcap/pipeline"
)

// TestGoldenComparisons: on the lab's proposal, PFS, traffic selector,
// PSK and identity mismatches, analysed with the keys and both gateways'
// logs, every report format sets both sides' values next to each other
// and marks where they differ.
func TestGoldenComparisons(t *testing.T) {
	for _, c := range []struct {
		capture string
		wants   []string // in every format
	}{
		{"ikev1-p1-proposal-mismatch", []string{"Compared, phase-1 proposals", "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048", "encryption: offered AES_CBC_128, configured AES_CBC_256"}},
		{"ikev1-pfs-group-mismatch", []string{"Compared, child SA proposals", "PFS MODP_2048", "ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_3072/NO_EXT_SEQ", "DH group: offered MODP_2048, configured MODP_3072"}},
		{"ikev2-ts-unacceptable", []string{"Compared, traffic selectors", "TSi 198.19.1.0-198.19.1.255", "remote 198.19.3.0/24", "TSi 198.19.1.0/24 is not within the responder's remote selector 198.19.3.0/24"}},
		{"ikev2-psk-mismatch", []string{"Compared, identities", `IDi ID_FQDN "initiator.lab"`, "connection lab expects remote id initiator.lab", "never cross the wire"}},
		{"ikev2-id-mismatch", []string{"Compared, identities", "matched no peer config", "connection lab expects remote id branch-office.lab", "the initiator identifies as initiator.lab; the responder's connection lab expects branch-office.lab"}},
	} {
		dir := labDir(c.capture)
		var logs []*gwlog.Log
		for _, f := range []string{"charon-initiator.log", "charon-responder.log"} {
			l, err := gwlog.ParseFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			logs = append(logs, l)
		}
		store, errs := keys.Load(keys.Discover(labPcap(c.capture)))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		res, err := pipeline.Analyze(labPcap(c.capture), pipeline.Options{Logs: logs, Decrypt: decrypt.New(store).PacketFrame})
		if err != nil {
			t.Fatal(err)
		}
		r, err := New(res, Options{Version: "test", Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		for _, format := range Formats {
			t.Run(c.capture+"/"+format, func(t *testing.T) {
				got := render(t, r, format)
				golden(t, filepath.Join("testdata", "compare", c.capture+"."+formatExt[format]), got)
				s := string(got)
				switch format {
				case FormatJSON:
					s = strings.NewReplacer(`\"`, `"`, `"subject": "`, "Compared, ").Replace(s)
				case FormatMarkdown:
					s = regexp.MustCompile(`\\([\\_*|<>#\[\]()])`).ReplaceAllString(s, "$1")
				case FormatHTML:
					s = strings.NewReplacer("&#39;", "'", "&#34;", `"`, "<code>", "", "</code>", "").Replace(s)
				}
				s = strings.Join(strings.Fields(s), " ") // the text report wraps
				for _, w := range c.wants {
					if !strings.Contains(s, w) {
						t.Errorf("%q not in the %s report", w, format)
					}
				}
				// The difference is marked: ≠ in the views, its index in JSON.
				mark := "≠ "
				if format == FormatJSON {
					mark = `"differ": [`
				}
				if c.capture != "ikev2-psk-mismatch" && !strings.Contains(s, strings.Join(strings.Fields(mark), " ")) {
					t.Errorf("no mark of the difference (%q) in the %s report", mark, format)
				}
			})
		}
	}
}
