package main

import (
	"bytes"
	"flag"
	"github.com/ipsecpcap/ipsecpcap/lab"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// sharedCaptures is the public corpus beside the repository; tests that read
// it skip when it is absent (a user's clone does not have it).
const sharedCaptures = "../../../shared/captures"

// labCaptures are the captures this repository ships.
const labCaptures = "../../testdata/pcaps"

// captureFiles lists the capture files under dir, relative to it.
func captureFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() || !(strings.HasSuffix(name, ".pcap") || strings.HasSuffix(name, ".pcapng") ||
			strings.HasSuffix(name, ".cap") || strings.HasSuffix(name, ".pcap.gz")) {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		files = append(files, rel)
		return nil
	})
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// golden compares got with the golden file, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden file (run go test ./cmd/ipsecpcap -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./cmd/ipsecpcap -run %s -update to accept):\n%s", path, t.Name(), firstDiff(want, got))
	}
}

func firstDiff(want, got []byte) string {
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + w + "\n  got: " + g
		}
	}
	return ""
}

// runCLI runs the command in-process and returns stdout, stderr and the exit code.
func runCLI(args ...string) (string, string, int) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return out.String(), errOut.String(), code
}

// TestGoldenDecode runs `ipsecpcap decode` on every capture of the shared
// corpus and of testdata/pcaps and compares the one-line output (and the
// problems reported on stderr) with the golden files.
func TestGoldenDecode(t *testing.T) {
	for _, set := range []struct{ dir, golden string }{
		{sharedCaptures, "testdata/golden/shared"},
		{labCaptures, "testdata/golden/lab"},
	} {
		files := captureFiles(t, set.dir)
		if len(files) == 0 {
			t.Logf("no captures under %s: skipped", set.dir)
			continue
		}
		for _, rel := range files {
			t.Run(rel, func(t *testing.T) {
				stdout, stderr, code := runCLI("decode", filepath.Join(set.dir, rel))
				got := stdout
				if stderr != "" {
					got += "--- stderr\n" + strings.ReplaceAll(stderr, set.dir+string(filepath.Separator), "")
				}
				got += "--- exit " + strconv.Itoa(code) + "\n"
				golden(t, filepath.Join(set.golden, rel+".txt"), []byte(got))
			})
		}
	}
}

// verboseGolden are captures whose full payload trees (-v) are pinned too:
// one of each thing the decoder must get right.
var verboseGolden = []string{
	"suricata-verify/tests/ikev1-rules/ikev1-isakmp-main-mode.pcap",         // IKEv1 MM + QM, VIDs, NAT-D
	"zeek-spicy-ipsec/tests/traces/ipsec-ikev1-isakmp-aggressive-mode.pcap", // aggressive mode, IDs and HASH in clear
	"zeek-spicy-ipsec/tests/traces/ipsec.cap",                               // IKEv1 NO-PROPOSAL-CHOSEN
	"zeek-spicy-ipsec/tests/traces/ipsec_client.pcap",                       // Windows IKEv2, NAT-T, IP fragments
	"zeek-plugin-ikev2/tests/Traces/ikev2.pcap",                             // INVALID_KE_PAYLOAD, SKF
	"scapy/test/pcaps/ikev2_notify_redirect.pcap",                           // REDIRECT
	"tcpdump/tests/isakmp4500.pcap",                                         // IKEv1 NAT-T, keepalives
	"tcpdump/tests/ikev2four.pcap",                                          // COOKIE, CREATE_CHILD_SA
	"arkime/tests/pcap/IKEv1.pcap",                                          // IPv6 IKEv1
	"suricata-verify/tests/ikev2-weak-dh/IKEv2_SA_INIT_2-8-weak.pcap",       // IKEv2 proposals
	"tcpdump/tests/ikev2pI2.pcap",                                           // Openswan 6 proposals
	"pcapplusplus/Tests/Packet++Test/PacketExamples/ipsec.pcapng",           // AH+ESP, IPv6 ESP
}

func TestGoldenVerbose(t *testing.T) {
	if _, err := os.Stat(sharedCaptures); err != nil {
		t.Skip("shared captures not present")
	}
	for _, rel := range verboseGolden {
		t.Run(rel, func(t *testing.T) {
			stdout, _, code := runCLI("decode", "-v", filepath.Join(sharedCaptures, rel))
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			golden(t, filepath.Join("testdata/golden/verbose", rel+".txt"), []byte(stdout))
		})
	}
}

// TestGoldenAnalyze pins the text summary of `ipsecpcap analyze` on every
// lab capture and on public captures known for a failure or a warning.
func TestGoldenAnalyze(t *testing.T) {
	cases := map[string]string{}
	for _, rel := range captureFiles(t, labCaptures) {
		cases[filepath.Join(labCaptures, rel)] = filepath.Join("testdata/golden/analyze/lab", rel+".txt")
	}
	if _, err := os.Stat(sharedCaptures); err == nil {
		for _, rel := range verboseGolden {
			cases[filepath.Join(sharedCaptures, rel)] = filepath.Join("testdata/golden/analyze/shared", rel+".txt")
		}
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			stdout, stderr, code := runCLI("analyze", in)
			got := stdout + "--- stderr\n" + stderr + "--- exit " + strconv.Itoa(code) + "\n"
			golden(t, want, []byte(got))
		})
	}
}

// TestGoldenAnalyzeMerged pins `ipsecpcap analyze` over the captures of
// every lab scenario recorded at several points, merged into one timeline,
// with and without the two daemons' logs.
func TestGoldenAnalyzeMerged(t *testing.T) {
	m, err := lab.Load(filepath.Join(labCaptures, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sc := range m.Scenarios {
		if len(sc.Captures) == 0 {
			continue
		}
		n++
		files := []string{m.Path(sc.Capture)}
		for _, c := range sc.Captures {
			files = append(files, m.Path(c.Path))
		}
		var logArgs []string
		for _, l := range sc.Logs {
			logArgs = append(logArgs, "--log", m.Path(l))
		}
		for _, variant := range []struct {
			name string
			args []string
		}{
			{"merged", files},
			{"merged-logs-no-keys", append(append([]string{"--no-keys"}, logArgs...), files...)},
		} {
			t.Run(sc.Name+"/"+variant.name, func(t *testing.T) {
				stdout, stderr, code := runCLI(append([]string{"analyze"}, variant.args...)...)
				got := stdout + "--- stderr\n" + stderr + "--- exit " + strconv.Itoa(code) + "\n"
				golden(t, filepath.Join("testdata/golden/analyze/merged", sc.Name, variant.name+".txt"), []byte(got))
			})
		}
	}
	if n < 5 {
		t.Errorf("only %d lab scenarios with several capture points", n)
	}
}

// TestGoldenAnalyzeLogs pins analyze on every lab capture with its keys
// and both gateways' logs: the failure block sets both sides' settings
// next to each other (what was offered or sent, what the refusing gateway
// was configured with or expected) and marks where they differ.
func TestGoldenAnalyzeLogs(t *testing.T) {
	m, err := lab.Load(filepath.Join(labCaptures, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	n, compared := 0, 0
	for _, sc := range m.Scenarios {
		if len(sc.Logs) == 0 || len(sc.Captures) > 0 {
			continue
		}
		n++
		args := []string{"analyze"}
		for _, l := range sc.Logs {
			args = append(args, "--log", m.Path(l))
		}
		t.Run(sc.Name, func(t *testing.T) {
			stdout, stderr, code := runCLI(append(args, m.Path(sc.Capture))...)
			got := stdout + "--- stderr\n" + stderr + "--- exit " + strconv.Itoa(code) + "\n"
			golden(t, filepath.Join("testdata/golden/analyze/logs", sc.Name+".txt"), []byte(got))
			if strings.Contains(stdout, "≠ ") {
				compared++
			}
		})
	}
	if n < 20 || compared < 8 {
		t.Errorf("%d lab captures with logs, %d with a marked difference", n, compared)
	}
}

// sharedCaptures2 is the second public corpus; its uat-keys/ holds
// Wireshark key tables for its captures, one folder per capture.
const sharedCaptures2 = "../../../shared/captures2"

// TestGoldenDecrypted pins `ipsecpcap decode --keys` on every capture of
// the second corpus that has published keys (KLIPS ESP with 3DES, AES,
// Twofish, NULL; IPComp inside ESP; ipdecap's ciphers), and the payload
// trees (-v) of the IPComp and Twofish ones.
func TestGoldenDecrypted(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(sharedCaptures2, "uat-keys", "*"))
	if len(dirs) == 0 {
		t.Skipf("%s not present", sharedCaptures2)
	}
	for _, dir := range dirs {
		rel := strings.ReplaceAll(filepath.Base(dir), "__", "/")
		path := filepath.Join(sharedCaptures2, rel)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			continue
		}
		args := []string{"decode", "--keys", dir, path}
		if strings.Contains(rel, "ipcomp") || strings.Contains(rel, "twofish") {
			args = []string{"decode", "-v", "--keys", dir, path}
		}
		t.Run(rel, func(t *testing.T) {
			stdout, stderr, code := runCLI(args...)
			got := stdout + "--- stderr\n" + strings.ReplaceAll(stderr, sharedCaptures2+string(filepath.Separator), "") +
				"--- exit " + strconv.Itoa(code) + "\n"
			if strings.Contains(got, "not decrypted") && !strings.Contains(rel, "esp-short") {
				t.Errorf("a frame was not decrypted")
			}
			golden(t, filepath.Join("testdata/golden/decrypted", rel+".txt"), []byte(got))
		})
	}
}
