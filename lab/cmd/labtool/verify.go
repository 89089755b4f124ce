package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// wsConfigDir makes a Wireshark configuration directory holding the
// scenario's three decryption tables and the preferences that turn on ESP
// decryption and ICV checking.
func wsConfigDir(dir string) (string, func(), error) {
	tmp, err := os.MkdirTemp("", "labtool-ws")
	if err != nil {
		return "", nil, err
	}
	done := func() { os.RemoveAll(tmp) }
	for _, n := range []string{v1Table, v2Table, espTable} {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			done()
			return "", nil, err
		}
		if err := os.WriteFile(filepath.Join(tmp, n), b, 0o644); err != nil {
			done()
			return "", nil, err
		}
	}
	prefs := "esp.enable_encryption_decode: TRUE\nesp.enable_authentication_check: TRUE\n"
	if err := os.WriteFile(filepath.Join(tmp, "preferences"), []byte(prefs), 0o644); err != nil {
		done()
		return "", nil, err
	}
	return tmp, done, nil
}

// tshark runs tshark on the scenario's (primary) capture with its keys.
func tshark(dir string, args ...string) ([]byte, error) {
	return tsharkOn(dir, captureFile, args...)
}

// tsharkOn runs tshark on one capture file of the scenario with its keys.
func tsharkOn(dir, file string, args ...string) ([]byte, error) {
	cfg, done, err := wsConfigDir(dir)
	if err != nil {
		return nil, err
	}
	defer done()
	cmd := exec.Command("tshark", append([]string{"-n", "-r", filepath.Join(dir, file)}, args...)...)
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+cfg, "HOME="+cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("tshark %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// field is one field of a packet in tshark's PDML.
type field struct{ name, show, showname string }

var reField = regexp.MustCompile(`<field name="([^"]*)"(?: showname="([^"]*)")?[^>]*? show="([^"]*)"`)
var reField2 = regexp.MustCompile(`<field name="([^"]*)" showname="([^"]*)"`)
var reProto = regexp.MustCompile(`<proto name="([^"]*)"`)

// packets reads a capture as PDML, decrypted with the scenario's keys.
func packets(dir, file string) ([][]field, error) {
	out, err := tsharkOn(dir, file, "-T", "pdml")
	if err != nil {
		return nil, err
	}
	var pkts [][]field
	var cur []field
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.Contains(l, "<packet>"):
			cur = nil
		case strings.Contains(l, "</packet>"):
			pkts = append(pkts, cur)
		default:
			if m := reField.FindStringSubmatch(l); m != nil {
				cur = append(cur, field{m[1], html.UnescapeString(m[3]), html.UnescapeString(m[2])})
			} else if m := reField2.FindStringSubmatch(l); m != nil {
				cur = append(cur, field{m[1], "", html.UnescapeString(m[2])})
			} else if m := reProto.FindStringSubmatch(l); m != nil {
				cur = append(cur, field{"proto:" + m[1], "", ""})
			}
		}
	}
	return pkts, sc.Err()
}

func get(p []field, name string) (field, bool) {
	for _, f := range p {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

func count(p []field, name string) int {
	n := 0
	for _, f := range p {
		if f.name == name {
			n++
		}
	}
	return n
}

// verification is what tshark made of the capture with the keys.
type verification struct {
	Encrypted int      // encrypted IKE and ESP packets in the capture
	OK        bool     // every key set verified, and there was something to verify
	Details   []string // one line per IKE SA / ESP SPI
}

// verify decrypts the capture with the scenario's keys: every ESP packet
// must decrypt with a correct ICV, every encrypted IKEv2 message must
// decrypt with a correct integrity checksum, and every IKEv1 SA with
// encrypted messages must have at least one that decrypts into well-formed
// payloads (after a PSK mismatch the two sides hold different keys for the
// same cookie; the table holds the initiator's).
func verify(dir string) (*verification, error) {
	return verifyFile(dir, captureFile)
}

// verifyFile is verify for one capture file of the scenario.
func verifyFile(dir, file string) (*verification, error) {
	pkts, err := packets(dir, file)
	if err != nil {
		return nil, err
	}
	type tally struct{ ok, bad int }
	esp := map[string]*tally{}
	v2 := map[string]*tally{}
	v1 := map[string]*tally{}
	inc := func(m map[string]*tally, k string, ok bool) {
		t := m[k]
		if t == nil {
			t = &tally{}
			m[k] = t
		}
		if ok {
			t.ok++
		} else {
			t.bad++
		}
	}
	for _, p := range pkts {
		malformed := false
		for _, f := range p {
			if f.name == "_ws.malformed" || f.name == "proto:_ws.malformed" {
				malformed = true
			}
		}
		if spi, ok := get(p, "esp.spi"); ok {
			good, _ := get(p, "esp.icv_good")
			_, inner := get(p, "esp.protocol")
			isGood := strings.Contains(good.showname, "True") || good.show == "1"
			key := strings.Fields(spi.showname + " ?")[2]
			inc(esp, key, isGood && inner && !malformed)
			continue
		}
		if _, ok := get(p, "isakmp.enc.data"); !ok {
			continue
		}
		ver, _ := get(p, "isakmp.version")
		ispi, _ := get(p, "isakmp.ispi")
		rspi, _ := get(p, "isakmp.rspi")
		if strings.Contains(ver.showname, "2.0") {
			icd, _ := get(p, "isakmp.enc.icd")
			_, dec := get(p, "isakmp.enc.decrypted")
			inc(v2, strings.ReplaceAll(ispi.show+","+rspi.show, ":", ""), dec && strings.Contains(icd.showname, "[correct]") && !malformed)
		} else {
			// decrypted IKEv1 payloads show up as payload fields after
			// the encrypted data
			ok := count(p, "isakmp.typepayload") > 0 && !malformed
			for _, f := range p {
				if f.name == "_ws.expert" || strings.HasPrefix(f.name, "isakmp.") && strings.Contains(f.showname, "Malformed") {
					ok = false
				}
			}
			inc(v1, strings.ReplaceAll(ispi.show, ":", ""), ok)
		}
	}
	res := &verification{OK: true}
	report := func(kind string, m map[string]*tally, needAll bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t := m[k]
			res.Encrypted += t.ok + t.bad
			pass := t.ok > 0 && (!needAll || t.bad == 0)
			if !pass {
				res.OK = false
			}
			res.Details = append(res.Details, fmt.Sprintf("%s %s: %d decrypted, %d not (%s)", kind, k, t.ok, t.bad, map[bool]string{true: "verified", false: "NOT verified"}[pass]))
		}
	}
	report("IKEv1 SA", v1, false)
	report("IKEv2 SA", v2, true)
	report("ESP SPI", esp, true)
	if res.Encrypted == 0 {
		res.OK = false
		res.Details = append(res.Details, "nothing encrypted in the capture")
	}
	return res, nil
}

func cmdVerify(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	dir := fs.String("dir", "", "scenario directory")
	file := fs.String("capture", captureFile, "capture file in the directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	v, err := verifyFile(*dir, *file)
	if err != nil {
		return err
	}
	for _, d := range v.Details {
		fmt.Println(d)
	}
	fmt.Println("verified:", v.OK)
	return nil
}
