package gwlog

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ipsecpcap/ipsecpcap/keys"
)

var reLabDump = regexp.MustCompile(`\[[A-Z]{3}\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})`)

// labSecrets collects, from a level-4 charon log, every key that
// keys.ParseCharonLog finds and every byte string charon dumped, as
// lower-case hex: the dumps hold the DH secret, nonces, SKEYIDs, SK_*.
func labSecrets(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cl, err := keys.ParseCharonLog(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range cl.IKEv1 {
		out = append(out, k.EncKey)
	}
	for _, k := range cl.IKEv2 {
		out = append(out, k.SKei, k.SKer, k.SKai, k.SKar)
	}
	for _, c := range cl.Children {
		out = append(out, c.In.EncKey, c.In.IntegKey, c.Out.EncKey, c.Out.IntegKey)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	// The dumps themselves: consecutive dump lines of one thread make
	// one value; the interleaving of threads is rare enough to ignore
	// here (a split value is still checked in 8-byte windows).
	// natd_chunk is public (the SPIs, an address and a port, what the
	// capture shows anyway) and is left out.
	sc := bufio.NewScanner(f)
	var cur strings.Builder
	public := false
	for sc.Scan() {
		if m := reLabDump.FindStringSubmatch(sc.Text()); m != nil {
			if !public {
				cur.WriteString(strings.ToLower(strings.ReplaceAll(m[1], " ", "")))
			}
			continue
		}
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
		if strings.Contains(sc.Text(), " => ") {
			public = strings.Contains(sc.Text(), "natd_chunk")
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// eventStrings renders every field of an event that could hold text or
// bytes, in the forms a key could take: hex either case, spaced hex.
func eventStrings(e Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%+v|%s|%s|%s|%s|%s|", e, e.Text, e.Reason, e.Stamp, e.Conn, e.Host)
	if e.Packet != nil {
		fmt.Fprintf(&b, "%+v|", *e.Packet)
	}
	if e.Message != nil {
		fmt.Fprintf(&b, "%+v|%s|%s|", *e.Message, strings.Join(e.Message.Payloads, " "), strings.Join(e.Message.Notifies, " "))
	}
	fmt.Fprintf(&b, "%s|%s|", hex.EncodeToString(e.ISPI[:]), hex.EncodeToString(e.RSPI[:]))
	s := strings.ToLower(b.String())
	return s + "|" + strings.NewReplacer(" ", "", ":", "").Replace(s)
}

// TestNoSecretsInEvents parses the lab's level-4 charon logs and checks
// that no 8-byte piece of any key or dumped value appears in any event
// field, and that no hex-dump line became an event.
func TestNoSecretsInEvents(t *testing.T) {
	logs, _ := filepath.Glob(filepath.Join(labDir, "lab", "*", "charon-*.log"))
	if len(logs) == 0 {
		t.Skip("no lab logs")
	}
	checked, withSecrets := 0, 0
	for _, path := range logs {
		secrets := labSecrets(t, path)
		windows := map[string]bool{}
		for _, s := range secrets {
			for i := 0; i+16 <= len(s); i += 2 {
				if w := s[i : i+16]; distinct(w) >= 6 { // not padding or zeros
					windows[w] = true
				}
			}
		}
		log, err := ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(windows) > 0 {
			withSecrets++
			if log.Withheld == 0 {
				t.Errorf("%s: nothing withheld from a log with dumps", path)
			}
		}
		for _, e := range log.Events {
			if dumpLine(e.Text) || reDumpHeader().MatchString(e.Text) {
				t.Errorf("%s line %d: a dump line became an event: %q", path, e.Line, e.Text)
			}
			s := eventStrings(e)
			for i := 0; i+16 <= len(s); i++ {
				if windows[s[i:i+16]] {
					t.Errorf("%s line %d: secret bytes %s in the event", path, e.Line, s[i:i+16])
					break
				}
			}
			checked++
		}
	}
	if withSecrets == 0 {
		t.Error("no secrets found in the lab logs: the test checks nothing")
	}
	t.Logf("%d logs (%d with dumped secrets), %d events checked", len(logs), withSecrets, checked)
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}
